"""One row of a table -> the fields and state of its item, with every bad cell reported."""

from __future__ import annotations

import datetime as dt
import re

from wehoplan.domain import NO_END_DATE, is_blank, parse_smart, parse_status
from wehoplan.importing.nodes import Node, Problem
from wehoplan.importing.reading import column_letter, percent_cells
from wehoplan.importing.table import Table
from wehoplan.importing.values import (
    DateOutOfRange,
    parse_date,
    parse_email,
    parse_progress,
    parse_weight,
    parse_yes,
    text,
)

LEVEL_WORDS: dict[str, int] = {
    **{w: 1 for w in ("strategy", "goal", "focus area", "pillar", "theme", "priority", "topic area", "topic",
                      "priority area", "strategic goal", "section")},
    **{w: 2 for w in ("initiative", "objective", "program", "project", "sub goal", "subgoal")},
    **{w: 3 for w in ("action", "task", "activity", "action item", "step", "idea", "action step")},
}



class RowContext:
    """One table being parsed: its column map, the problems so far, settings, memos."""

    def __init__(self, table: Table, errors: list[Problem], fy_start: int, latest: dt.date | None = None,
                 words: dict[str, str] | None = None):
        self.t = table
        self.words = words or {}
        self.latest = latest
        self.errors = errors
        self.fy_start = fy_start
        self.col = {f: c for c, f in table.mapping.items()}
        self.pct: set[tuple[int, int]] = set()
        self.no_end_rows: list[int] = []  # 0-based rows whose due date was 9999-12-31
        self.notes: list[str] = []  # how the table was read (the report)
        self.codes_as_titles: set[str] = set()  # hierarchy levels whose codes stand as titles
        self._status_memo: dict[object, str | ValueError] = {}
        # Which optional fields the table has, decided once instead of per row.
        self.text_fields: list[str] = [n for n in ("description", "owner", "sponsor") if n in self.col]
        self.multi_department_rows = 0  # rows naming several departments (lead + partners)
        self.smart_fields = [(letter, f"smart_{letter}") for letter in "SMART" if f"smart_{letter}" in self.col]
        self.date_fields: list[str] = [n for n in ("start", "due") if n in self.col]
        pc = self.col.get("progress")
        if pc is not None and table.workbook.kind == "xlsx":
            rows = table.sheet.rows
            if any(isinstance(r[pc], (int, float)) for r in rows[table.header_row + 1:] if pc < len(r)):
                self.pct = percent_cells(table.workbook.data, table.sheet.name, [pc])

    def status(self, value: object) -> str:
        """:func:`_status` of a cell, remembered per distinct value (a sheet repeats a few words)."""
        try:
            hit = self._status_memo[value]
        except KeyError:
            try:
                hit = _status(value, self.words)
            except ValueError as exc:
                hit = exc
            self._status_memo[value] = hit
        except TypeError:  # an unhashable cell value: no memo
            return _status(value, self.words)
        if isinstance(hit, ValueError):
            raise hit
        return hit

    def get(self, r: int, f: str) -> object:
        """The cell of field ``f`` in row ``r`` (None when the table has no such column)."""
        c = self.col.get(f)
        if c is None:
            return None
        row = self.t.sheet.rows[r]
        return row[c] if c < len(row) else None

    def colname(self, f: str) -> str:
        """Column letter and header of field ``f``, as the report names it."""
        c = self.col[f]
        return f"{column_letter(c)} ({text(self.t.headers[c]) or f})"

    def err(self, r: int, f: str | None, value: object, msg: str) -> None:
        """Report a problem in row ``r`` (0-based), column of field ``f``."""
        self.errors.append(Problem(self.t.file_name, self.t.sheet.name, r + 1,
                                   self.colname(f) if f else None, value, msg))

    def parsed(self, r: int, f: str, fn, *args):
        """``fn(cell, *args)``, or None with the problem reported when it raises ValueError."""
        v = self.get(r, f)
        try:
            return fn(v, *args)
        except ValueError as exc:
            self.err(r, f, text(v), str(exc))
            return None


_NAME_SEPARATORS = frozenset(";\n,/")


def _split_names(value: object) -> list[str]:
    s = text(value)
    if not s:
        return []
    if _NAME_SEPARATORS.isdisjoint(s):
        return [s]  # one name (most cells): no regex
    return [p.strip() for p in re.split(r"[;\n,/]+", s) if p.strip()]


_UNSET = object()


def read_fields(ctx: RowContext, r: int, node: Node) -> None:
    """Fill ``node.fields`` and ``node.state`` from row ``r``; report every bad cell."""
    # The row and the column look-ups are fetched once per row (100k rows x ~15 fields).
    col = ctx.col
    row = ctx.t.sheet.rows[r]
    width = len(row)

    def cell(name: str) -> object:
        c = col.get(name)
        return row[c] if c is not None and c < width else None

    def parsed(name: str, fn, *args, value: object = _UNSET):
        v = cell(name) if value is _UNSET else value
        try:
            return fn(v, *args)
        except ValueError as exc:
            ctx.err(r, name, text(v), str(exc))
            return None

    if ctx.t.sheet.error_cells:
        for name, ci in col.items():
            if (r, ci) in ctx.t.sheet.error_cells:
                ctx.err(r, name, None, "the cell holds a spreadsheet error (such as #DIV/0!, #N/A or #REF!), "
                        "not a value; fix its formula or type the value")
    f = node.fields
    for name in ctx.text_fields:
        t = text(cell(name))
        if t is not None:
            f[name] = t
    if "partners" in col:
        names = _split_names(cell("partners"))
        if names:
            f["partners"] = names
    if "department" in col:
        depts = _split_names(cell("department"))
        if depts:
            # "BPD, MONSE": the first department named leads, the others are partners.
            f["department"] = depts[0]
            if len(depts) > 1:
                ctx.multi_department_rows += 1
                f["partners"] = list(dict.fromkeys([*depts[1:], *f.get("partners", [])]))
    if "smart" in col:
        sm = parsed("smart", lambda v: parse_smart(text(v)))
        if sm:
            f["smart"] = sm
    letters = ""
    for letter, key in ctx.smart_fields:
        if parsed(key, parse_yes):
            letters += letter
    if letters:
        f["smart"] = "".join(c for c in "SMART" if c in letters + str(f.get("smart", "")))
    for name in ctx.date_fields:
        v = cell(name)
        try:
            d = parse_date(v, ctx.fy_start)
        except DateOutOfRange as exc:
            if name == "due" and exc.date == NO_END_DATE:
                ctx.no_end_rows.append(r)  # the common "no end" value: no due date (one warning)
            else:
                ctx.err(r, name, text(v), str(exc))
            continue
        except ValueError as exc:
            ctx.err(r, name, text(v), str(exc))
            continue
        if d is not None:
            f[name] = d
    if f.get("start") and f.get("due") and f["start"] > f["due"]:
        ctx.err(r, "due", f["due"].isoformat(), f"due date is before the start date {f['start'].isoformat()}")
    if "weight" in col:
        w = parsed("weight", parse_weight)
        if w is not None:
            f["weight"] = w
    if "owner_email" in col:
        e = parsed("owner_email", parse_email)
        if e is not None:
            f["owner_email"] = e
    st = node.state
    if "status" in col:
        v = cell("status")
        if not is_blank(v):
            st["status"] = parsed("status", ctx.status, value=v)
            if st["status"] is None:
                st["bad"] = True
    if "progress" in col:
        v = cell("progress")
        if not is_blank(v):
            st["progress"] = parsed("progress", parse_progress, (r, col["progress"]) in ctx.pct, value=v)
            if st["progress"] is None:
                st["bad"] = True
    if "comment" in col:
        c = text(cell("comment"))
        if c:
            st["comment"] = c
    if "update_date" in col:
        d = parsed("update_date", parse_date, ctx.fy_start)
        if d is not None and ctx.latest is not None and d > ctx.latest:
            ctx.err(r, "update_date", d.isoformat(), "update date is in the future; set "
                    "WEHOPLAN_ALLOW_FUTURE_UPDATES=true to allow planned updates")
        elif d is not None:
            st["as_of"] = d


def _status(value: object, words: dict[str, str]) -> str:
    word = text(value) or ""
    mine = words.get(re.sub(r"[\s_\-]+", " ", word.lower()))
    if mine:
        return mine
    try:
        return parse_status(word)
    except ValueError as exc:
        raise ValueError(f"{exc}; or map the word in a mapping file, e.g. "
                         f'{{"status:{word}": "on_track"}}') from None


def section_title(ctx: RowContext, row: tuple[object, ...]) -> str | None:
    """The title of a section row (only its first cell filled, with letters), else None."""
    # Exactly one filled cell: stop at the second (most rows are filled).
    found: tuple[int, object] | None = None
    for i, c in enumerate(row):
        if not is_blank(c):
            if found is not None:
                return None
            found = (i, c)
    if found is None or len(ctx.t.mapping) < 2:
        return None
    i, c = found
    first_col = min(ctx.t.mapping)
    s = text(c) or ""
    if i > first_col or not re.search(r"[A-Za-z]", s):
        return None
    return s


def level_depth(label: str) -> int | None:
    """Depth a level label names ("Strategy" 1, "Task" 3, "Level 2" 2), else None."""
    low = re.sub(r"[^a-z0-9 ]+", " ", label.lower()).strip()
    if low in LEVEL_WORDS:
        return LEVEL_WORDS[low]
    m = re.fullmatch(r"(?:level|tier|l)?\s*([1-9])", low)
    return int(m[1]) if m else None

