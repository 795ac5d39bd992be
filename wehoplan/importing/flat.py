"""A plan read in code mode, held as columns: no ``Node`` per row until one is asked for.

Most large files are one table of plain outline codes ("1", "1.2", "1.2.3"), every row with its
code and its title. For those, the tree is in the codes themselves: a row's parent is the code
before its last dot, its depth the number of dots plus one, and the outline order one sort of
the codes. :func:`flat_plan` vouches for a table only when the per-row reader could not do
anything else with it (no refused cell, no section row, no lettered, missing, duplicate or
orphan code, no missing title); every other table goes through the per-row loop, so every
error, warning and note still comes from one rule. :meth:`FlatPlan.nodes` builds the very
nodes the per-row loop would (the page's preview, an import onto an existing plan), and
``tests/test_importing_fast_equal.py`` proves both give the same plan, report and preview.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from wehoplan.domain import is_blank, plain_outline_order
from wehoplan.importing.nodes import Node
from wehoplan.importing.tree import outline_code_key_fn

if TYPE_CHECKING:
    from wehoplan.importing.columns import TableColumns
    from wehoplan.importing.rows import RowContext


@dataclass
class FlatPlan:
    """The items of one table in file order, and their outline order.

    ``field_columns`` and ``state_columns`` hold the rows' fields and state column by column
    (None: no such key; :class:`~wehoplan.importing.columns.TableColumns`), the state as
    ``tree.check`` leaves it: a parent's own status and progress dropped (``cleared``).
    """

    file: str
    sheet: str
    codes: list[str]
    titles: list[str]
    parents: list[str | None]  # the parent's code (None at the top)
    depths: list[int]
    leaf: list[bool]
    field_columns: dict[str, list[Any]]
    state_columns: dict[str, list[Any]]
    cleared: set[int]  # rows whose state tree.check empties (parents with a status or progress)
    rows: list[int]  # the row as the spreadsheet numbers it
    numeric: list[bool]
    order: list[int]  # file positions in outline order
    parents_with_state: int  # for tree.check's warnings
    inferred: int

    def __len__(self) -> int:
        return len(self.codes)

    @property
    def max_leaf_depth(self) -> int:
        """Depth of the deepest leaf (0 for no rows)."""
        return max((d for d, leaf in zip(self.depths, self.leaf, strict=True) if leaf), default=0)

    def column(self, name: str) -> list[Any]:
        """A field's values by row (None where a row has none, or the table no such column)."""
        got = self.field_columns.get(name)
        return got if got is not None else [None] * len(self.codes)

    def state_column(self, name: str) -> list[Any]:
        """A state value by row, as ``tree.check`` leaves it (None where a row has none)."""
        got = self.state_columns.get(name)
        if got is None:
            return [None] * len(self.codes)
        if not self.cleared:
            return got
        return [None if i in self.cleared else v for i, v in enumerate(got)]

    def _dicts(self, columns: dict[str, list[Any]]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = [{} for _ in self.codes]
        for key, values in columns.items():  # read_fields' key order
            for d, v in zip(out, values, strict=True):
                if v is not None:
                    d[key] = v
        return out

    def nodes(self) -> list[Node]:
        """The nodes the per-row loop makes of this table, linked, in outline order."""
        file, sheet = self.file, self.sheet
        states = self._dicts(self.state_columns)
        for i in self.cleared:
            states[i] = {}
        made = [Node(code=c, title=t, file=file, sheet=sheet, row=r, numeric_code=num, fields=f, state=st,
                     parent_code=p)
                for c, t, r, num, f, st, p in zip(self.codes, self.titles, self.rows, self.numeric,
                                                  self._dicts(self.field_columns), states, self.parents, strict=True)]
        by_code = dict(zip(self.codes, made, strict=True))
        for n in made:  # file order, as tree.link_codes appends children
            if n.parent_code is not None:
                p = by_code[n.parent_code]
                n.parent = p
                if isinstance(p.children, list):
                    p.children.append(n)
                else:
                    p.children = [n]
        return [made[i] for i in self.order]


def flat_plan(ctx: RowContext, cols: TableColumns) -> FlatPlan | None:
    """The table as a :class:`FlatPlan`, or None when any row needs the per-row loop.

    Call only for a table read in code mode (not numbered within groups, codes not in titles).
    """
    if any(cols.slow) or any(cols.lettered):
        return None  # refused cells, several departments, lettered codes: the per-row rules
    t = ctx.t
    first = cols.first
    filled = cols.filled
    if all(filled):
        keep: range | list[int] = range(len(filled))
    else:
        # Blank rows are skipped; any other row with a single cell (a section, a code or a
        # title alone) is the per-row loop's to read.
        rows = t.sheet.rows
        keep = []
        for i, f in enumerate(filled):
            if f:
                keep.append(i)
            elif not all(is_blank(c) for c in rows[first + i]):
                return None
    codes: list[Any]  # str | None per cell until every one is known to be a code
    if isinstance(keep, range):
        codes, titles, numeric = list(cols.codes), list(cols.titles), list(cols.numeric)
        fcols, scols = dict(cols.field_columns), dict(cols.state_columns)
    else:
        codes, titles = [cols.codes[i] for i in keep], [cols.titles[i] for i in keep]
        numeric = [cols.numeric[i] for i in keep]
        fcols = {k: [v[i] for i in keep] for k, v in cols.field_columns.items()}
        scols = {k: [v[i] for i in keep] for k, v in cols.state_columns.items()}
    if not all(codes) or not all(titles):
        return None  # missing codes are generated, missing titles are errors: per row
    known = set(codes)
    if len(known) != len(codes):
        return None  # duplicate codes: an error per row
    parents = [c.rsplit(".", 1)[0] if "." in c else None for c in codes]
    if not known.issuperset(p for p in parents if p is not None):
        return None  # orphan codes: an error per row
    # Every code's chain of parents is in the file, one dot less at each step.
    depths = [c.count(".") + 1 for c in codes]
    has_children = {p for p in parents if p is not None}
    leaf = [c not in has_children for c in codes]
    nones = [None] * len(codes)
    status, progress = scols.get("status", nones), scols.get("progress", nones)
    cleared = {i for i, is_leaf in enumerate(leaf)
               if not is_leaf and (status[i] is not None or progress[i] is not None)}
    inferred = sum(1 for is_leaf, st, pr in zip(leaf, status, progress, strict=True)
                   if is_leaf and st is None and pr is not None)
    order = plain_outline_order(codes, depths)
    if order is None:
        keys = list(map(outline_code_key_fn(), codes))
        order = sorted(range(len(codes)), key=keys.__getitem__)
    rows_no = [first + i + 1 for i in keep]
    return FlatPlan(t.file_name, t.sheet.name, codes, titles, parents, depths, leaf,  # type: ignore[arg-type]
                    fcols, scols, cleared, rows_no, numeric, order, len(cleared), inferred)
