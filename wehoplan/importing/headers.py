"""Which row of a sheet is its header.

A header is near the top, made of text (not numbers or dates), its cells distinct, and it
names known columns. Data rows below it can hold words that are also header words ("No",
"Item", "percent" in a measure catalogue), so a lower row never outvotes a real header
above it just by matching one more word.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from wehoplan.domain import is_blank
from wehoplan.importing.mapping import apply_mapping_file, detect_mapping, norm_header
from wehoplan.importing.reading import Sheet

HEADER_SCAN_ROWS = 40
NAME_FIELDS = frozenset({"title", "code", "h1", "h2", "h3", "h1_code", "h2_code", "h3_code"})
_NUMBER = re.compile(r"^\s*[-+]?\d+(?:[.,]\d+)?\s*%?\s*$")


@dataclass(frozen=True)
class HeaderChoice:
    """The header row found (0-based), its mapping, and why it was taken."""

    row: int
    mapping: dict[int, str]
    reason: str


def _texty(value: object) -> bool:
    if isinstance(value, (int, float, dt.date, dt.datetime)) or isinstance(value, bool):
        return False
    return not _NUMBER.match(str(value))


def _looks_like_header(filled: list[object]) -> bool:
    """Mostly text and mostly distinct: how header rows look and data rows often do not."""
    non_text = sum(not _texty(v) for v in filled)
    names = [norm_header(v) for v in filled]
    return non_text * 4 <= len(filled) and len(set(names)) * 5 >= len(names) * 4


def _mapping(row: tuple[object, ...], override: dict[str, str] | None) -> dict[int, str]:
    mapping = detect_mapping(list(row))
    return apply_mapping_file(list(row), mapping, override) if override else mapping


def find_header(sheet: Sheet, override: dict[str, str] | None = None,
                row: int | None = None) -> HeaderChoice | None:
    """Find the header row of ``sheet`` (or take ``row``, 0-based, when the user picked it).

    None when the sheet holds no table (an About or instructions sheet), or the picked row
    names no known column.
    """
    if row is not None:
        if row >= len(sheet.rows):
            return None
        mapping = _mapping(sheet.rows[row], override)
        return HeaderChoice(row, mapping, f"row {row + 1}, as chosen") if mapping else None
    cands: list[tuple[int, dict[int, str], bool]] = []
    for r, cells in enumerate(sheet.rows[:HEADER_SCAN_ROWS]):
        filled = [c for c in cells if not is_blank(c)]
        if len(filled) < 2:
            continue
        mapping = _mapping(cells, override)
        if len(mapping) < 2 or not set(mapping.values()) & NAME_FIELDS:
            continue
        # Headers are mostly recognised; a data row that happens to contain "Status" is not.
        if len(mapping) * 2 < len(filled) and len(mapping) < 3:
            continue
        cands.append((r, mapping, _looks_like_header(filled)))
    if not cands:
        return None
    most = max(len(m) for _, m, _ in cands)
    above = ""
    for r, m, plain in cands:
        # The topmost text row naming at least half as many known columns as any row is the header.
        if plain and len(m) * 2 >= most:
            titles = sum(1 for cells in sheet.rows[:r] if any(not is_blank(c) for c in cells))
            if titles:
                above = f"; the {titles} row(s) above it are titles"
            return HeaderChoice(r, m, f"row {r + 1}: the first row of text naming known columns{above}")
    r, m, _ = max(cands, key=lambda c: len(c[1]))
    return HeaderChoice(r, m, f"row {r + 1}: the row naming the most known columns")


def sub_header(sheet: Sheet, r: int, mapping: dict[int, str]) -> dict[int, str] | None:
    """Fields named by a second header row under a merged group header ("SMART" over S M A R T).

    The row below the header is a sub-header when it has no title or code and every filled
    cell names a field; returns those fields by column, or None.
    """
    if r + 1 >= len(sheet.rows):
        return None
    row = sheet.rows[r + 1]
    filled = {c: v for c, v in enumerate(row) if not is_blank(v)}
    if len(filled) < 2 or any(mapping.get(c) in ("title", "code") for c in filled):
        return None
    sub = detect_mapping([row[c] if c in filled else None for c in range(len(row))])
    return sub if len(sub) == len(filled) else None
