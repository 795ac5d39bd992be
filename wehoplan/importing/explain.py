"""The import report's explanation: which sheet and header row, how each column was read, what was ignored.

Pure functions of the chosen tables and the parsed tree, shared by the CLI (lines on stderr,
the --report JSON) and the Import page (a table).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from wehoplan.importing.guard import column_letter
from wehoplan.importing.mapping import FIELD_HELP, field_for
from wehoplan.importing.nodes import Parsed
from wehoplan.importing.table import Table
from wehoplan.importing.values import text

COLUMN_FRAME = ("file", "sheet", "column", "header", "read as", "why")

_HOW = {
    "department": "lead department (a cell naming several: the first leads, the others are partners)",
    "partners": "partner departments (several names separated by , ; or /)",
    "start": "start date", "due": "due date", "update_date": "date of the status and progress",
    "progress": "percent complete", "status": "status (the status words of the plan's vocabulary)",
    "h1": "top level of the hierarchy (each distinct value is one item)",
    "h2": "second level of the hierarchy (each distinct value is one item under the level above)",
    "h3": "third level of the hierarchy (each distinct value is one item under the level above)",
    "code": "outline code (1, 1.2, 1.2.1; letters before each number, as in P1.F2.A1, are dropped)",
}


def day(d: dt.date) -> str:
    """A date as every screen shows it: "15 Oct 2020"."""
    return f"{d.day} {d:%b %Y}"


# The fields read_fields puts in an item's fields, and the two state cells looked up here.
_READ_INTO_NODES = frozenset({"description", "owner", "sponsor", "partners", "department", "smart", "start", "due",
                              "weight", "owner_email", "status", "progress"})


def _example(parsed: Parsed | None, table: Table, field: str) -> str:
    """One value as it will be read, from the first item of this table that has one."""
    if parsed is None or field not in _READ_INTO_NODES:
        return ""  # no item holds this field (codes, titles, levels...): nothing to look for
    flat = parsed.flat
    if flat is not None:
        # The same items in the same order, from the columns (no node made for the report).
        if flat.sheet != table.sheet.name or flat.file != table.file_name:
            return ""
        held = flat.state_column(field) if field in ("status", "progress") else flat.column(field)
        values = (held[i] for i in flat.order)
    else:
        values = ((n.fields.get(field) if field not in ("status", "progress") else n.state.get(field))
                  for n in parsed.nodes if n.sheet == table.sheet.name and n.file == table.file_name)
    for v in values:
        if v is None or v == "" or v == []:
            continue
        if isinstance(v, dt.date):
            return day(v)
        if isinstance(v, list):
            return ", ".join(map(str, v))
        if field == "progress":
            return f"{v:g} %"
        return str(v)
    return ""


def column_rows(tables: list[Table], parsed: Parsed | None) -> list[dict[str, str]]:
    """One row per column of each chosen table: how it is read, or why it is ignored."""
    out: list[dict[str, str]] = []
    for t in tables:
        used = {f: c for c, f in t.mapping.items()}
        width = max(len(t.headers), max(t.mapping, default=-1) + 1)
        for c in range(width):
            header = text(t.headers[c]) if c < len(t.headers) else None
            field = t.mapping.get(c)
            if field is None and header is None:
                continue
            if field is not None:
                how = _HOW.get(field, FIELD_HELP.get(field, field))
                ex = _example(parsed, t, "department" if field == "department" else field)
                why = "as you chose" if c in t.explicit else "recognised from its heading"
                if ex:
                    why += f"; first value read: {ex}"
                read_as = how
            else:
                guess = field_for(header)
                read_as = "not imported"
                if guess and guess in used:
                    why = (f"column {column_letter(used[guess])} already gives the "
                           f"{FIELD_HELP.get(guess, guess)}")
                elif c in t.explicit:
                    why = "as you chose"
                else:
                    why = "its heading is not one the import knows: choose what it holds to import it"
            out.append({"file": t.file_name, "sheet": t.sheet.name, "column": column_letter(c),
                        "header": header or "", "read as": read_as, "why": why})
    return out


def column_frame(tables: list[Table], parsed: Parsed | None) -> pd.DataFrame:
    """:func:`column_rows` as a frame (columns :data:`COLUMN_FRAME`)."""
    return pd.DataFrame(column_rows(tables, parsed), columns=list(COLUMN_FRAME))


def header_lines(tables: list[Table]) -> list[str]:
    """Per chosen table: which row is its header and why."""
    return [f"{t.file_name}, sheet {t.sheet.name!r}: header {t.header_reason or f'row {t.header_row + 1}'}"
            for t in tables]
