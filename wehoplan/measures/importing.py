"""Measure values from spreadsheets: long (measure, period, value) or wide (a column per period).

The file goes through the same guarded reader as plan imports
(:func:`wehoplan.importing.reading.read_source`: size and shape checks, then calamine in a
capped child process), so a hostile workbook is refused before anything reads it. The values
are then written through :func:`wehoplan.measures.model.record_values_bulk`: all of them, or
none, with every bad cell reported by its spreadsheet row number.

Layouts, found from the header row (the first of the first 20 rows with a "Measure" cell):

- *long*: a measure column, a period column ("Period", "Period end", "Date", "As of") and a
  value column, optionally "Note" and "Not applicable";
- *wide*: a measure column and one column per period, headed by a date or a period
  ("2016-12-31", "Dec 2016", "Q4 2016", "2016 Q4", "2016").

A cell "n/a", "N/A" or "not applicable" marks its period not applicable; a blank cell of a
wide table is no report for that period.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine

from wehoplan.access import Principal
from wehoplan.domain import date_range_error, is_blank, one_line
from wehoplan.importing.guard import FileRejected
from wehoplan.importing.reading import Sheet, read_source
from wehoplan.importing.values import parse_date
from wehoplan.measures.model import RowProblem, load_measures, record_values_bulk

_MEASURE = re.compile(r"^(measure|measure name|kpi|indicator|performance measure)s?$", re.I)
_PERIOD = re.compile(r"^(period|period end|period ending|date|as of|as-of|reporting period)$", re.I)
_VALUE = re.compile(r"^(value|actual|result)$", re.I)
_NOTE = re.compile(r"^(note|notes|comment|comments)$", re.I)
_NA_COLUMN = re.compile(r"^(not applicable|n/?a)$", re.I)
_NA_CELL = re.compile(r"^(n/?a|not applicable)$", re.I)
_YEAR_Q = re.compile(r"^(\d{4})\s*[- ]?\s*Q([1-4])$", re.I)


@dataclass
class MeasureImport:
    """What an import of measure values did (or would do, on a dry run)."""

    file: str
    sheet: str = ""
    layout: str = ""
    saved: int = 0
    skipped: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        """True when nothing was refused (then every value was written, unless a dry run)."""
        return not self.problems

    def frame(self) -> pd.DataFrame:
        """The problems for display: row, measure, column, value, message (blank where about the whole file)."""
        return pd.DataFrame([{**p.__dict__, "row": p.row or None} for p in self.problems],
                            columns=["row", "measure", "column", "value", "message"]).astype(
            {"row": "Int64"})

    def lines(self) -> list[str]:
        """Every problem as one line, with the row as the spreadsheet shows it."""
        out = []
        for p in self.problems:
            where = f"{self.file}" + (f" [{self.sheet}]" if self.sheet else "") + (f" row {p.row}" if p.row else "")
            col = f", {p.column}" if p.column else ""
            out.append(f"{where}{col}: {p.message}")
        return out


def _norm(cell: object) -> str:
    return "" if is_blank(cell) else re.sub(r"\s+", " ", str(cell)).strip()


def header_period(cell: object) -> dt.date | None:
    """The period a wide table's column header names (any date in it), or None when it names none."""
    if isinstance(cell, bool) or is_blank(cell):
        return None
    if isinstance(cell, int | float) and float(cell).is_integer() and 1900 <= int(cell) <= 2199:
        return dt.date(int(cell), 12, 31)
    text = _norm(cell)
    if re.fullmatch(r"\d{4}", text):
        return dt.date(int(text), 12, 31)
    m = _YEAR_Q.match(text)
    if m:
        return (pd.Timestamp(year=int(m[1]), month=3 * int(m[2]), day=1) + pd.offsets.MonthEnd(0)).date()
    try:
        day = parse_date(cell)
    except ValueError:
        return None
    return day if day is not None and date_range_error(day) is None else None


def _header(rows: list[tuple[object, ...]]) -> int | None:
    for n, row in enumerate(rows[:20]):
        if any(_MEASURE.match(_norm(c)) for c in row):
            return n
    return None


def sheet_rows(sheet: Sheet) -> tuple[str, list[dict]] | tuple[None, str]:
    """The value rows of one sheet and its layout (``long`` or ``wide``), or (None, why not).

    Each row: ``row`` (spreadsheet row number), ``measure``, ``period``, ``value``,
    ``not_applicable``, ``note``.
    """
    h = _header(sheet.rows)
    if h is None:
        return None, "no header row with a 'Measure' column in the first 20 rows"
    head = [_norm(c) for c in sheet.rows[h]]
    col = {name: next((i for i, c in enumerate(head) if rx.match(c)), None)
           for name, rx in (("measure", _MEASURE), ("period", _PERIOD), ("value", _VALUE), ("note", _NOTE),
                            ("na", _NA_COLUMN))}
    body = [(h + 2 + k, r) for k, r in enumerate(sheet.rows[h + 1:]) if any(not is_blank(c) for c in r)]

    def cell(r: tuple[object, ...], i: int | None) -> object:
        return r[i] if i is not None and i < len(r) else None

    out: list[dict] = []
    if col["period"] is not None and col["value"] is not None:
        for row_no, r in body:
            value, na = cell(r, col["value"]), cell(r, col["na"])
            na_flag = _yes(na) or (isinstance(value, str) and bool(_NA_CELL.match(value.strip())))
            out.append({"row": row_no, "measure": cell(r, col["measure"]), "period": cell(r, col["period"]),
                        "value": None if na_flag and isinstance(value, str) else value,
                        "not_applicable": na_flag, "note": cell(r, col["note"])})
        return "long", out
    periods = {i: header_period(c) for i, c in enumerate(sheet.rows[h]) if i != col["measure"]}
    periods = {i: p for i, p in periods.items() if p is not None}
    if not periods:
        return None, ("the header has a 'Measure' column but neither 'Period' and 'Value' columns (long layout) "
                      "nor columns headed by periods such as 2016-12-31 or Q4 2016 (wide layout)")
    for row_no, r in body:
        for i, p in periods.items():
            value = cell(r, i)
            if is_blank(value):
                continue
            na_flag = isinstance(value, str) and bool(_NA_CELL.match(value.strip()))
            out.append({"row": row_no, "measure": cell(r, col["measure"]), "period": p,
                        "value": None if na_flag else value, "not_applicable": na_flag, "note": cell(r, col["note"])})
    return "wide", out


def _yes(v: object) -> bool:
    return not is_blank(v) and _norm(v).casefold() in ("yes", "y", "x", "true", "1", "not applicable", "n/a")


def import_values(engine: Engine, source: str | Path | tuple[str, bytes], plan_id: int, author: str | Principal, *,
                  sheet: str | None = None, dry_run: bool = False, today: dt.date | None = None,
                  allow_future: bool = False) -> MeasureImport:
    """Read a file of measure values and record them all, or none.

    Args:
        engine: the plan database.
        source: a path, or (file name, bytes) from an upload.
        plan_id: the plan whose measures the rows name.
        author: who imports (a principal, or a name: the trusted local caller).
        sheet: only this sheet (default: the first visible sheet with a measure table).
        dry_run: check everything, write nothing.
        today: the day periods may not start after (default: today).
        allow_future: allow periods that have not begun.

    Returns:
        The outcome: problems (nothing written), or how many values were saved and skipped
        (a value equal to the one already in force for its period is skipped).

    """
    name = source[0] if isinstance(source, tuple) else Path(source).name
    result = MeasureImport(file=one_line(str(name)) or "file", dry_run=dry_run)
    try:
        wb = read_source(source)
    except FileRejected as exc:
        result.problems.append(RowProblem(0, "", "", "", str(exc)))
        return result
    result.notices = list(wb.notices)
    sheets = [s for s in wb.sheets if s.name == sheet] if sheet else [s for s in wb.sheets if s.visible]
    if sheet and not sheets:
        result.problems.append(RowProblem(0, "", "", "", f"no sheet named {one_line(sheet)!r}; sheets: "
                                          + "; ".join(s.name for s in wb.sheets)))
        return result
    why = "the file has no sheet"
    for s in sheets:
        layout, rows = sheet_rows(s)
        if layout is None:
            why = f"{s.name}: {rows}"
            continue
        assert isinstance(rows, list)
        result.sheet, result.layout = s.name, layout
        if not rows:
            result.notices.append(f"{s.name}: the table has no values")
            return result
        bulk = record_values_bulk(engine, rows, load_measures(engine, plan_id), author,
                                  source=f"import {result.file}", today=today, allow_future=allow_future,
                                  dry_run=dry_run)
        result.problems, result.saved, result.skipped = bulk.problems, bulk.saved, bulk.skipped
        return result
    result.problems.append(RowProblem(0, "", "", "", why))
    return result
