"""Filtered Excel and CSV extracts that open cleanly and never run a formula (issue 5).

An extract holds exactly what a page shows: it is built from the same
:func:`wehoplan.rollup.rollup_table` call with the same :class:`Filters` and as-of date.

Two steps, so a Streamlit download button can build the file only when clicked:

1. :func:`build_extract` (:mod:`.frames`) turns (tree, updates, plan, as-of, filters) into
   an :class:`Extract`: one display-ready DataFrame per sheet.
2. :func:`write_xlsx` (:mod:`.xlsx`) / :func:`write_csv` (:mod:`.csv_writer`) write it;
   :func:`extract_bytes` does both steps and returns the file's bytes.

:func:`csv_bytes` is the one CSV writer of the project (extracts, audit trail, page
downloads): every text field quoted and neutralised by
:func:`wehoplan.domain.neutralise_csv_field`.
"""

from __future__ import annotations

import dataclasses
import io
from typing import Literal

import pandas as pd

# Re-exported so callers keep one import: ``from wehoplan import exporting``.
from wehoplan.domain import CSV_FORMULA_TRIGGERS, neutralise_csv_field
from wehoplan.exporting.csv_writer import csv_bytes, write_csv
from wehoplan.exporting.frames import (
    ACTIONS_COLUMNS,
    COUNT_HEADERS,
    DEMO_NOTE,
    EXECUTIVE_COLUMNS,
    NO_MATCH_NOTE,
    PERCENT_COLUMNS,
    ROLLUP_COLUMNS,
    SHEET_NAMES,
    UPDATES_COLUMNS,
    Extract,
    build_extract,
)
from wehoplan.exporting.xlsx import DATE_FORMAT, write_xlsx
from wehoplan.filters import Filters
from wehoplan.rollup import Thresholds


def extract_bytes(
    tree: pd.DataFrame,
    updates: pd.DataFrame,
    plan,
    as_of,
    filters: Filters | None = None,
    *,
    fmt: Literal["xlsx", "csv"] = "xlsx",
    updates_from=None,
    updates_to=None,
    thresholds: Thresholds | None = None,
    extra_sheets: tuple[tuple[str, pd.DataFrame], ...] = (),
) -> bytes:
    """Build and write an extract, returning the file's bytes (for ``st.download_button``).

    Pass it as a callable (e.g. ``functools.partial``) so the file is built only on click.
    ``extra_sheets`` (name, frame) are written before About (the Measures sheets).
    """
    if fmt not in ("xlsx", "csv"):
        raise ValueError(f"unknown extract format {fmt!r}; use xlsx or csv")
    extract = build_extract(tree, updates, plan, as_of, filters, updates_from=updates_from,
                            updates_to=updates_to, thresholds=thresholds)
    if extra_sheets:
        extract = dataclasses.replace(extract, extra_sheets=tuple(extra_sheets))
    out = io.BytesIO()
    (write_xlsx if fmt == "xlsx" else write_csv)(extract, out)
    return out.getvalue()


def extract_filename(plan_name: str, as_of, fmt: str = "xlsx") -> str:
    """Return a tidy download name, e.g. ``weho-smart-city-strategic-plan-2018_2020-10-15.xlsx``."""
    slug = "".join(ch if ch.isalnum() else "-" for ch in plan_name.lower())
    slug = "-".join(part for part in slug.split("-") if part)[:60] or "plan"
    return f"{slug}_{pd.Timestamp(as_of):%Y-%m-%d}.{fmt}"


__all__ = [
    "ACTIONS_COLUMNS", "COUNT_HEADERS", "CSV_FORMULA_TRIGGERS", "DATE_FORMAT", "DEMO_NOTE", "EXECUTIVE_COLUMNS",
    "NO_MATCH_NOTE", "PERCENT_COLUMNS", "ROLLUP_COLUMNS", "SHEET_NAMES", "UPDATES_COLUMNS",
    "Extract", "build_extract", "csv_bytes", "extract_bytes", "extract_filename", "neutralise_csv_field",
    "write_csv", "write_xlsx",
]
