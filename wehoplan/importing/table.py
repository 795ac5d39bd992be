"""A table found in a sheet: its header row, its columns' fields, its data rows.

Which sheets and which header row are chosen is :mod:`wehoplan.importing.sheets` and
:mod:`wehoplan.importing.headers`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from wehoplan.importing.reading import Sheet, Workbook


@dataclass
class Table:
    """One sheet's table: its header row (0-based) and column mapping."""

    file_name: str
    sheet: Sheet
    header_row: int
    headers: list[object]
    mapping: dict[int, str]
    workbook: Workbook
    notes: list[str] = field(default_factory=list)
    header_reason: str = ""  # why this row is the header (the report)
    explicit: set[int] = field(default_factory=set)  # columns the user's mapping named

    @property
    def signature(self) -> frozenset[str]:
        """The kind of table: which fields it holds."""
        return frozenset(self.mapping.values())

    @property
    def data_rows(self) -> range:
        """Row indexes (0-based) below the header."""
        return range(self.header_row + 1, len(self.sheet.rows))
