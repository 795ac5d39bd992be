"""What the parser produces: plan items read from a file (``Node``), problems, the result."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from wehoplan.domain import DEFAULT_LEVEL_NAMES

if TYPE_CHECKING:
    from wehoplan.importing.flat import FlatPlan

# A leaf's children: one shared empty tuple until a child is linked (see tree.link_codes), so
# the many leaves hold no list of their own for the garbage collector to walk.
NO_CHILDREN: tuple[()] = ()


@dataclass
class Problem:
    """One problem, located as the spreadsheet shows it (row 1 is the first row)."""

    file: str
    sheet: str
    row: int | None
    column: str | None
    value: object
    message: str

    def to_dict(self) -> dict:
        """Return the report JSON shape."""
        v = self.value
        if isinstance(v, (dt.date, dt.datetime)):
            v = v.isoformat()
        return {"file": self.file, "sheet": self.sheet, "row": self.row, "column": self.column,
                "value": v, "message": self.message}

    def line(self) -> str:
        """One readable line for stderr."""
        where = f"{self.file}"
        if self.sheet:
            where += f", sheet {self.sheet!r}"
        if self.row is not None:
            where += f", row {self.row}"
        if self.column:
            where += f", column {self.column}"
        val = "" if self.value is None else f": {self.value!r}"
        return f"{where}{val}: {self.message}"


@dataclass(slots=True)
class Node:
    """One plan item read from the file."""

    code: str | None
    title: str | None
    depth_hint: int | None = None
    parent: Node | None = None
    parent_code: str | None = None  # code mode: resolved after all rows are read
    level_label: str | None = None
    # Values by key (a date for "due", a list for "partners", ...): Any, read per key.
    fields: dict[str, Any] = field(default_factory=dict)
    state: dict[str, Any] = field(default_factory=dict)
    file: str = ""
    sheet: str = ""
    row: int | None = None
    children: list[Node] | tuple[()] = NO_CHILDREN
    section: bool = False
    numeric_code: bool = False  # Excel stored the code as a number (1.10 -> 1.1)
    # A level that numbers itself ("action 1" under "committee 1"): the number within its parent,
    # made into a full code under the parent's code (tree.assign_codes).
    local_code: str | None = None

    @property
    def depth(self) -> int:
        """1 for top-level items."""
        d, p = 1, self.parent
        while p is not None:
            d, p = d + 1, p.parent
        return d


class Parsed:
    """The result of reading the tables: items in outline order, problems, notes.

    A table read as a :class:`~wehoplan.importing.flat.FlatPlan` (``flat``) makes its
    nodes only when :attr:`nodes` is first read: a new plan is written from the columns.
    """

    def __init__(self, nodes: list[Node] | None, errors: list[Problem], warnings: list[Problem],
                 level_names: tuple[str, ...] = DEFAULT_LEVEL_NAMES, mode: str = "",
                 level_names_from_file: bool = False, notes: list[str] | None = None,
                 flat: FlatPlan | None = None) -> None:
        if nodes is None and flat is None:
            raise ValueError("Parsed needs its nodes or a flat plan")
        self._nodes = nodes
        self.flat = flat
        self.errors = errors
        self.warnings = warnings
        self.level_names = level_names
        self.mode = mode
        self.level_names_from_file = level_names_from_file
        self.notes = notes if notes is not None else []  # how the rows were read, for the report

    @property
    def nodes(self) -> list[Node]:
        """The items in outline order (made from ``flat`` at the first read)."""
        if self._nodes is None:
            assert self.flat is not None  # checked in __init__
            self._nodes = self.flat.nodes()
        return self._nodes

    @property
    def built_nodes(self) -> list[Node] | None:
        """The nodes if they are made already, else None (nothing is made here)."""
        return self._nodes

    @property
    def size(self) -> int:
        """How many items were read."""
        return len(self._nodes) if self._nodes is not None else len(self.flat or ())
