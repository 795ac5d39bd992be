"""A table's fields read column by column: each distinct cell value parsed once.

:func:`wehoplan.importing.rows.read_fields` reads one row at a time and stays the rule. A plan
repeats the same dates, status words, departments and people in thousands of rows, so this
module parses each column's distinct values once with the same parsers, and fills a row's
fields from those results. A row with any cell the column pass cannot vouch for (a value a
parser refuses, a spreadsheet error cell) is read by ``read_fields`` itself, so every error,
warning and counter comes from the one per-row rule (``tests/test_importing_fast_equal.py``
proves both ways give the same plan and the same report).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from typing import Any, cast

from wehoplan.domain import is_blank, parse_smart
from wehoplan.importing.nodes import Node
from wehoplan.importing.rows import RowContext, _split_names, _status, read_fields
from wehoplan.importing.values import (
    _PLAIN_CODE,
    lettered_code,
    parse_code,
    parse_date,
    parse_email,
    parse_progress,
    parse_weight,
    parse_yes,
    text,
    texts,
)

_FAIL = object()  # the parser refused the value: the row is read by read_fields
# Cell types whose equal values always parse alike (int and float 1 == 1.0 do too; -0.0 and
# bool do not: they are told apart, or the table is read row by row).
_KEYED_TYPES = frozenset({str, type(None), float, int, dt.datetime, dt.date, dt.time, dt.timedelta})


def _column(rows: list[tuple[object, ...]], c: int | None, first: int) -> list[object]:
    if c is None:
        return [None] * (len(rows) - first)
    return [row[c] if c < len(row) else None for row in rows[first:]]


class _Columns:
    """The cells of a table column by column: one transposition when every row has the same width."""

    def __init__(self, rows: list[tuple[object, ...]], first: int) -> None:
        self.rows, self.first = rows, first
        self.body = rows[first:]
        widths = set(map(len, self.body))
        self.width = widths.pop() if len(widths) == 1 else None
        self.cache: dict[int, list[object]] = {}

    def get(self, c: int | None) -> list[object]:
        """Column ``c``'s cells below the header (None where a row is too short, or no column)."""
        if c is None or self.width is None or c >= self.width:
            return _column(self.rows, c, self.first)
        if c not in self.cache:
            # Every row is wide enough: no length test per cell (and no per-row iterators,
            # which a transposition by zip would make for the collector to count).
            self.cache[c] = [row[c] for row in self.body]
        return self.cache[c]


def _codes(col: list[object] | tuple[object, ...]) -> tuple[list[object], list[object]]:
    """``parse_code`` and ``lettered_code`` of every cell; a plain "1.2.3" (most cells) is its own code."""
    plain = [type(v) is str and _PLAIN_CODE.fullmatch(v) is not None for v in col]
    codes = [v if p else parse_code(v) for v, p in zip(col, plain, strict=True)]
    # A plain code has no letters, so it is never a lettered one.
    lettered = [False if p else lettered_code(v) for v, p in zip(col, plain, strict=True)]
    return codes, lettered  # type: ignore[return-value]


def _keys(col: list[object] | tuple[object, ...]) -> list[object] | tuple[object, ...] | None:
    """Dictionary keys for the column's cells (equal keys parse alike), or None when it has other types."""
    types = set(map(type, col))
    if not types <= _KEYED_TYPES:
        return None  # bool (True == 1), or a type this pass does not know: row by row
    if float not in types:
        return col
    # -0.0 == 0.0 but parses to a different progress or weight: zeros keyed by their sign too.
    return [(v, math.copysign(1.0, v)) if type(v) is float and v == 0 else v for v in col]


def distinct_cells(rows: list[tuple[object, ...]], c: int, first: int) -> list[object] | None:
    """One cell of each distinct value of column ``c`` below ``first``, or None (types told apart row by row).

    Each cell returned parses like every other cell of its value.
    """
    col = _column(rows, c, first)
    keys = _keys(col)
    return None if keys is None else list(dict(zip(keys, col, strict=True)).values())


def _mapped(col: list[object] | tuple[object, ...], keys: list[object] | tuple[object, ...],
            fn: Callable[[Any], object]) -> list[object]:
    """``fn`` of every cell, computed once per distinct key; ``_FAIL`` where it raised."""
    memo: dict[object, object] = {}
    for k, v in dict(zip(keys, col, strict=True)).items():
        try:
            memo[k] = fn(v)
        except Exception:  # read_fields meets the same exception at that row
            memo[k] = _FAIL
    return list(map(memo.__getitem__, keys))


class TableColumns:
    """The parsed fields of every data row of one table, and which rows need ``read_fields``.

    ``fields[i]`` and ``state[i]`` are the dicts ``read_fields`` would fill for row
    ``first + i`` of a new item (made at their first use); ``slow[i]`` marks the rows read
    by ``read_fields`` instead. ``field_columns`` and ``state_columns`` hold the same values
    column by column, None where the dict has no such key, in the dicts' key order.
    """

    def __init__(self, ctx: RowContext, first: int, field_columns: dict[str, list[Any]],
                 state_columns: dict[str, list[Any]], slow: list[bool], titles: list[str | None],
                 codes: list[str | None], filled: list[bool], lettered: list[bool], numeric: list[bool]) -> None:
        self.ctx = ctx
        self.first = first
        self.field_columns = field_columns
        self.state_columns = state_columns
        self._fields: list[dict[str, Any]] | None = None
        self._state: list[dict[str, Any]] | None = None
        self.slow = slow
        self.titles = titles  # text() of the title cell
        self.codes = codes  # parse_code() of the code cell
        self.filled = filled  # True: at least two cells filled (neither blank nor a section row)
        self.lettered = lettered  # lettered_code() of the code cell
        self.numeric = numeric  # the code cell is a number with a fraction (1.1: maybe 1.10 in Excel)

    @staticmethod
    def _dicts(columns: dict[str, list[Any]], n: int) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = [{} for _ in range(n)]
        # Filled key by key in read_fields' order, one column at a time.
        for key, values in columns.items():
            for d, v in zip(out, values, strict=True):
                if v is not None:
                    d[key] = v
        return out

    @property
    def fields(self) -> list[dict[str, Any]]:
        """Each row's fields dict (made at the first use)."""
        if self._fields is None:
            self._fields = self._dicts(self.field_columns, len(self.slow))
        return self._fields

    @property
    def state(self) -> list[dict[str, Any]]:
        """Each row's state dict (made at the first use)."""
        if self._state is None:
            self._state = self._dicts(self.state_columns, len(self.slow))
        return self._state

    @classmethod
    def build(cls, ctx: RowContext) -> TableColumns | None:
        """The columns of ``ctx``'s table, or None when its cells need the per-row reader throughout."""
        t = ctx.t
        col = ctx.col
        first = t.header_row + 1
        rows = t.sheet.rows
        n = max(len(rows) - first, 0)
        slow = [False] * n
        parsed: dict[str, list[object]] = {}

        pct, pc = ctx.pct, col.get("progress")

        cells = _Columns(rows, first)

        def parse(name: str, fn: Callable[[Any], object]) -> bool:
            raw: list[object] | tuple[object, ...] = cells.get(col.get(name))
            keys = _keys(raw)
            if keys is None:
                return False
            if name == "progress" and pct:
                # A %-formatted cell reads 0.45 as 45 %: the format is part of the value here.
                flags = [(r, pc) in pct for r in range(first, first + n)]
                raw = list(zip(raw, flags, strict=True))
                keys = list(zip(keys, flags, strict=True))
            out = parsed[name] = _mapped(raw, keys, fn)
            if _FAIL in out:  # identity first: a parsed value is never the marker
                for i, v in enumerate(out):
                    if v is _FAIL:
                        slow[i] = True
            return True

        fy = ctx.fy_start
        words = ctx.words
        steps: list[tuple[str, Callable[[Any], object]]] = [(name, text) for name in ctx.text_fields]
        if "partners" in col:
            steps.append(("partners", _split_names))
        if "department" in col:
            steps.append(("department", _split_names))
        if "smart" in col:
            steps.append(("smart", lambda v: parse_smart(text(v))))
        steps += [(key, parse_yes) for _letter, key in ctx.smart_fields]
        steps += [(name, lambda v: parse_date(v, fy)) for name in ctx.date_fields]
        if "weight" in col:
            steps.append(("weight", parse_weight))
        if "owner_email" in col:
            steps.append(("owner_email", parse_email))
        if "status" in col:
            steps.append(("status", lambda v: None if is_blank(v) else _status(v, words)))
        if "progress" in col:
            steps.append(("progress", (lambda vf: parse_progress(*vf)) if pct else parse_progress))
        if "comment" in col:
            steps.append(("comment", text))
        if "update_date" in col:
            steps.append(("update_date", lambda v: parse_date(v, fy)))
        for name, fn in steps:
            if not parse(name, fn):
                return None
        # Titles and codes are mostly distinct: parsed cell by cell, without keys.
        tc = col.get("title")
        parsed["title"] = cast("list[object]",
                               texts(cells.get(None)) if tc is None else t.sheet.column_texts(tc, first))
        raw_codes = cells.get(col.get("code"))
        parsed["code"], parsed["lettered"] = _codes(raw_codes)
        if t.sheet.error_cells:
            cols = set(col.values())
            for r, c in t.sheet.error_cells:
                if c in cols and first <= r < len(rows):
                    slow[r - first] = True
        fc: dict[str, list[Any]] = {}  # the fields' columns, None for "no such key"
        for name in ctx.text_fields:
            fc[name] = parsed[name]
        if "partners" in col:
            fc["partners"] = [list(v) if v and v is not _FAIL else None  # type: ignore[call-overload]
                              for v in parsed["partners"]]
        if "department" in col:
            fc["department"] = [v[0] if v and v is not _FAIL else None  # type: ignore[index]
                                for v in parsed["department"]]
            for i, v in enumerate(parsed["department"]):
                if v and v is not _FAIL and len(v) > 1:  # type: ignore[arg-type]
                    slow[i] = True  # lead and partners, counted: read_fields does it
        if "smart" in col or ctx.smart_fields:
            sm_col = parsed.get("smart") or [None] * n
            flags = [(letter, parsed[key]) for letter, key in ctx.smart_fields]
            smart: list[Any] = [None] * n
            for i in range(n):
                if slow[i]:
                    continue
                sm = sm_col[i]
                letters = "".join(letter for letter, vals in flags if vals[i])
                if letters:
                    smart[i] = "".join(c for c in "SMART" if c in letters + str(sm or ""))
                elif sm:
                    smart[i] = sm
            fc["smart"] = smart
        for name in ctx.date_fields:
            fc[name] = [None if v is _FAIL else v for v in parsed[name]]
        if len(ctx.date_fields) == 2:
            for i, (a, b) in enumerate(zip(fc["start"], fc["due"], strict=True)):
                if a is not None and b is not None and a > b:
                    slow[i] = True  # due before start: read_fields reports it
        if "weight" in col:
            fc["weight"] = parsed["weight"]
        if "owner_email" in col:
            fc["owner_email"] = parsed["owner_email"]
        sc: dict[str, list[Any]] = {}  # the state's columns
        for name, key in (("status", "status"), ("progress", "progress"), ("comment", "comment"),
                          ("update_date", "as_of")):
            if name in col:
                sc[key] = parsed[name] if name != "comment" else [v or None for v in parsed[name]]
        latest = ctx.latest
        if latest is not None and "update_date" in col:
            for i, v in enumerate(sc["as_of"]):
                if v is not None and v is not _FAIL and v > latest:
                    slow[i] = True  # a future update: read_fields reports it
        # A row with a title and a code has two filled cells: neither blank nor a section row.
        filled = [a is not None and (b.strip() != "" if type(b) is str else not is_blank(b))
                  for a, b in zip(parsed["title"], raw_codes, strict=True)]
        titles = parsed["title"]
        codes = parsed["code"]
        numeric = [isinstance(v, float) and not v.is_integer() for v in raw_codes]
        return cls(ctx, first, fc, sc, slow, titles, codes, filled,  # type: ignore[arg-type]
                   parsed["lettered"], numeric)  # type: ignore[arg-type]

    def read(self, r: int, node: Node) -> None:
        """What ``read_fields(ctx, r, node)`` does, from the parsed columns."""
        i = r - self.first
        if self.slow[i] or node.fields or node.state:
            read_fields(self.ctx, r, node)
            return
        node.fields = self.fields[i]
        node.state = self.state[i]
