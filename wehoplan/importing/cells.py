"""What a column's cells mean, beyond its header: list cells, status words in a progress column.

Both run on a chosen table before its rows are parsed, and say what they did in one note
each (the import report), never once per row.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from dataclasses import replace

from wehoplan.domain import is_blank
from wehoplan.importing.reading import Sheet, column_letter
from wehoplan.importing.table import Table
from wehoplan.importing.values import parse_progress

SAMPLE_ROWS = 200
_LIST_CELL = re.compile(r"^\s*\[.*\]\s*$", re.S)


def list_cell(value: object) -> object:
    """A SharePoint export's list cell (``['A', 'B']``) as text: one item as is, several as "A; B".

    Anything that is not such a list comes back unchanged.
    """
    if not isinstance(value, str) or not _LIST_CELL.match(value):
        return value
    try:
        items = ast.literal_eval(value.strip())
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return value
    if not isinstance(items, list) or not all(isinstance(i, (str, int, float)) for i in items):
        return value
    parts = [str(i).strip() for i in items if str(i).strip()]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else "; ".join(parts)


def unlist_sheet(sheet: Sheet, first_row: int) -> tuple[Sheet, int]:
    """The sheet with its list cells (below ``first_row``) read as text, and how many there were."""
    # Export tools write a list column the same way in every row: a sample of the first rows
    # says which columns to read, so a large sheet without lists is not walked cell by cell.
    sample = sheet.rows[first_row:first_row + SAMPLE_ROWS]
    cols = sorted({c for row in sample for c, v in enumerate(row) if isinstance(v, str) and v[:1] == "["})
    if not cols:
        return sheet, 0
    changed = 0
    rows = list(sheet.rows)
    for r in range(first_row, len(rows)):
        row = rows[r]
        new = list(row)
        for c in cols:
            if c < len(row):
                new[c] = list_cell(row[c])
        if new != list(row):
            changed += sum(a != b for a, b in zip(new, row, strict=True))
            rows[r] = tuple(new)
    return (replace(sheet, rows=rows) if changed else sheet), changed


def _status_word(value: object) -> bool:
    from wehoplan.domain import parse_status

    try:
        parse_status(str(value))
    except ValueError:
        return False
    return True


def _not_percent(value: object) -> bool:
    try:
        parse_progress(value)
    except ValueError:
        return True
    return False


def refine(table: Table, explicit: set[int] | None = None) -> list[str]:
    """Re-read columns whose cells contradict their header; return one note per change.

    A "Progress" column holding status words (In Progress, Complete, Not Yet Started) is the
    status when the table has none; when it has one, the column is left out with one note
    instead of one "not a percentage" error per row. A column the user mapped
    (``explicit``) is kept as mapped.
    """
    notes: list[str] = []
    col = {f: c for c, f in table.mapping.items()}
    pc = col.get("progress")
    if pc is None or pc in (explicit or set()):
        return notes
    counts: dict[object, int] = {}
    # Counted per distinct cell first (in C), then keyed as before: cells that compare equal
    # have equal keys, so the counts and the keys' first-seen order are the same.
    cells = Counter([row[pc] if pc < len(row) else None for row in table.sheet.rows[table.header_row + 1:]])
    for v, k in cells.items():
        if not is_blank(v):
            key = v if isinstance(v, (str, int, float)) else str(v)
            counts[key] = counts.get(key, 0) + k
    # Each distinct value is checked once: a sheet repeats a few words or numbers.
    words = [v for v in counts if _not_percent(v)]
    n_words = sum(counts[v] for v in words)
    if not counts or n_words * 2 < sum(counts.values()) or not all(_status_word(v) for v in words):
        return notes
    name = f"column {column_letter(pc)} ({table.headers[pc]})"
    if "status" not in col:
        table.mapping[pc] = "status"
        notes.append(f"{name} holds status words (such as {words[0]!r}), not percentages: read as the status")
    else:
        del table.mapping[pc]
        notes.append(f"{name} holds status words (such as {words[0]!r}), not percentages, and the table already "
                     f"has a status column: not imported; map it to status instead if it is the one to use")
    return notes
