"""``python -m wehoplan rollup``: print the rolled-up plan as CSV or JSON (GUIDE §4)."""

from __future__ import annotations

import argparse
import json
import sys

import pandas as pd

from wehoplan import rollup
from wehoplan.cli.common import (
    SubParsers,
    UsageError,
    add_db,
    add_filters,
    add_plan_asof,
    engine_from_args,
    filters_from_args,
    load_plan_as_of,
)
from wehoplan.config import load_config
from wehoplan.exporting import csv_bytes

# GUIDE §4: columns are only ever appended, never renamed or reordered.
ROLLUP_CSV_COLUMNS = [
    "code", "title", "level", "progress", "status", "expected_progress", "n_leaves", "n_pending",
    "n_on_track", "n_some_disruption", "n_major_disruption", "n_completed", "n_deferred", "n_overdue",
    "health",
]


def register(sub: SubParsers) -> None:
    """Add the ``rollup`` command."""
    p = sub.add_parser("rollup", help="print the rolled-up plan as CSV or JSON")
    add_db(p)
    add_plan_asof(p)
    p.add_argument("--by", metavar="LEVEL|department|smart|owner",
                   help="only one level (strategy, initiative, action) or one row per group")
    p.add_argument("--format", choices=["csv", "json"], default="csv")
    add_filters(p)
    p.set_defaults(func=cmd_rollup)


def _rows(table: pd.DataFrame, by: str, level_names: tuple[str, ...], thresholds: rollup.Thresholds) -> pd.DataFrame:
    """The rows and columns that ``--by`` asks for, progress rounded to one decimal."""
    if by.casefold() in rollup.GROUP_KINDS:
        out = rollup.group_leaves(table, by.casefold(), thresholds)
        cols = ["group", *ROLLUP_CSV_COLUMNS[3:]]
    else:
        if by:
            levels = {lv.casefold() for lv in table["level"].dropna()} | {lv.casefold() for lv in level_names}
            if by.casefold() not in levels:
                raise UsageError(
                    f"--by {by!r}: choose a level ({', '.join(level_names)}) or department, smart, owner"
                )
            table = table[table["level"].str.casefold() == by.casefold()]
        out = table
        cols = ROLLUP_CSV_COLUMNS
    return out[cols].assign(
        progress=out["progress"].astype("float64").round(1),
        expected_progress=out["expected_progress"].astype("float64").round(1),
    )


def cmd_rollup(args: argparse.Namespace) -> int:
    """Print the rolled-up plan as CSV or JSON; the plan, date and filters go to stderr."""
    engine = engine_from_args(args)
    filters = filters_from_args(args)
    view = load_plan_as_of(engine, args)
    thresholds = rollup.Thresholds.from_config(load_config())
    table = rollup.rollup(view.items, view.updates, view.as_of, filters, thresholds)
    out = _rows(table, (args.by or "").strip(), view.plan.level_names, thresholds)
    if args.format == "json":
        records = json.loads(out.to_json(orient="records"))
        json.dump(records, sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        # The one CSV writer (codes, titles and owners are user text: quoted and neutralised).
        floats = out.select_dtypes("float").columns
        sys.stdout.write(csv_bytes(out.assign(**{c: out[c].round(1) for c in floats}), bom=False,
                                   line_end="\n").decode("utf-8"))
    print(f"{view.plan.name} as of {view.as_of.date()} ({filters.describe()})", file=sys.stderr)
    return 0
