"""The prepared tree (GUIDE §3 "Tree" and "Inheritance"): one frozen object per plan load.

:func:`prepare_tree` adds structure and effective values to a plan's items once;
the indices the roll-up, the filters and the trends read over and over are cached
properties of the :class:`PreparedTree` itself, so they live and die with it and can
never describe another frame. The frame is read through :attr:`PreparedTree.frame`,
a copy-on-write copy: changing it cannot change the tree (prepare the changed frame
to roll it up).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from wehoplan.domain import code_sort_key, is_blank, plain_outline_order
from wehoplan.filters import Haystacks
from wehoplan.rollup.rules import INHERITED_FIELDS, day_numbers, effective

ROOT_ID = 0  # the virtual plan node above the top level
#: Columns prepare_tree adds (besides the effective values, which replace the own ones).
DERIVED_COLUMNS = ("parent_key", "depth", "is_leaf", "order", "path_codes", "path_text", "top_code")
# Tree columns a roll-up table carries for each item (those the items have).
_DECORATE_COLUMNS = ("code", "title", "level", "depth", "parent_id", "order", "owner", "department",
                     "partners", "smart", "top_code", "weight", "description", "sponsor", "priority")


@dataclass(frozen=True, eq=False)
class PreparedTree:
    """A plan's non-archived items in outline order with structure and effective values.

    Columns of :attr:`frame`: the items' own, with ``owner``, ``sponsor``,
    ``department``, ``partners`` and ``smart`` replaced by their effective values (the
    own ones kept as ``own_*``), plus ``depth`` (1 = top level), ``is_leaf``,
    ``parent_key`` (0 for top level), ``order`` (outline order), ``top_code`` and the
    ``path_codes`` / ``path_text`` the filters search. Build it with :func:`prepare_tree`;
    to roll up a changed plan, change a copy of :attr:`frame` (its effective values or
    any other item column; the derived columns are recomputed) and prepare that.
    """

    _frame: pd.DataFrame

    @property
    def frame(self) -> pd.DataFrame:
        """The prepared items (a copy-on-write copy: cheap, and changing it leaves the tree alone)."""
        return self._frame.copy(deep=False)

    def __len__(self) -> int:
        return len(self._frame)

    @cached_property
    def max_depth(self) -> int:
        """Depth of the deepest item (0 for an empty plan)."""
        return int(self._frame["depth"].max()) if len(self._frame) else 0

    @cached_property
    def leaves(self) -> pd.DataFrame:
        """``id, start, due`` of the leaves, in outline order (what leaf states are computed for)."""
        return self._frame.loc[self._frame["is_leaf"].to_numpy(), ["id", "start", "due"]]

    @cached_property
    def nodes(self) -> pd.DataFrame:
        """The columns the roll-up reads, indexed by id."""
        return self._frame[["id", "depth", "parent_key", "weight", "start", "due", "is_leaf"]].set_index("id")

    @cached_property
    def leaf_arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """:attr:`leaves`' ``id``, ``start`` and ``due`` as numpy arrays (dates as datetime64[ns])."""
        leaves = self.leaves
        return (leaves["id"].to_numpy(), leaves["start"].to_numpy(dtype="datetime64[ns]"),
                leaves["due"].to_numpy(dtype="datetime64[ns]"))

    @cached_property
    def leaf_days(self) -> tuple[np.ndarray, np.ndarray] | None:
        """:attr:`leaf_arrays`' ``start`` and ``due`` as :func:`wehoplan.rollup.rules.day_numbers`, or None.

        None unless every leaf date is a whole day (what the loaders give).
        """
        start, due = (day_numbers(v) for v in self.leaf_arrays[1:])
        return None if start is None or due is None else (start, due)

    @cached_property
    def leaf_positions(self) -> pd.Index:
        """The leaves' ids as an index: a leaf's position in :attr:`leaves`."""
        return pd.Index(self.leaves["id"].to_numpy())

    @cached_property
    def grid_nodes(self):
        """The nodes as arrays for the roll-up on a (date x leaf) grid (:func:`wehoplan.rollup.grid.nodes_of`)."""
        from wehoplan.rollup.grid import nodes_of  # the grid reads the tree

        return nodes_of(self)

    @cached_property
    def grid_plan(self) -> list:
        """The levels of a roll-up of every leaf (:func:`wehoplan.rollup.grid.plan`), made once per tree."""
        from wehoplan.rollup.grid import plan

        return plan(self.grid_nodes, np.arange(len(self.grid_nodes.leaf_nodes)))

    @cached_property
    def haystacks(self) -> Haystacks:
        """The leaves' texts the filters search (see :class:`wehoplan.filters.Haystacks`)."""
        cols = [c for c in ("id", "path_codes", "department", "partners", "owner", "smart", "path_text",
                            "description") if c in self._frame.columns]
        return Haystacks.of(self._frame.loc[self._frame["is_leaf"].to_numpy(), cols])

    @cached_property
    def labels(self) -> pd.DataFrame:
        """``code``, ``title``, ``order`` and the effective ``department`` and ``smart``, indexed by id."""
        cols = [c for c in ("id", "code", "title", "order", "department", "smart") if c in self._frame.columns]
        return self._frame[cols].set_index("id")

    @cached_property
    def decorate(self) -> tuple[pd.Index, np.ndarray, dict[str, tuple[pd.api.extensions.ExtensionArray, bool]]]:
        """What a roll-up table takes from the tree: the id index, outline order, and each column's values."""
        names = [c for c in _DECORATE_COLUMNS if c in self._frame.columns]
        return (pd.Index(self._frame["id"]), self._frame["order"].to_numpy(),
                {c: (self._frame[c].array, self._frame[c].dtype == object) for c in names})

    @cached_property
    def decorate_with_plan_row(self) -> dict:
        """:attr:`decorate`'s columns as a table shows them, plus the plan row's values at the end."""
        from wehoplan.rollup.engine import tree_columns_with_plan_row  # the engine reads the tree

        return tree_columns_with_plan_row(self.decorate[2])

    @cached_property
    def decorated_outline(self) -> dict:
        """:attr:`decorate_with_plan_row` for a table of every item: the plan row, then outline order."""
        ext = np.append(len(self._frame), np.argsort(self._frame["order"].to_numpy(), kind="stable"))
        return {c: values.take(ext) for c, values in self.decorate_with_plan_row.items()}


def _own_fields(items: pd.DataFrame) -> list[str]:
    """The inherited fields whose own values a (once) prepared frame keeps as ``own_*``."""
    return [k for k in INHERITED_FIELDS if f"own_{k}" in items.columns and k in items.columns]


def _raw_items(items: pd.DataFrame, edited: dict[str, np.ndarray] | None = None) -> pd.DataFrame:
    """A prepared frame back to plain items: each field's own value, no derived columns.

    ``edited``: per field, the rows whose (effective) value is taken as their own instead.
    """
    fields = _own_fields(items)
    own = {k: items[f"own_{k}"] for k in fields}
    for k, rows in (edited or {}).items():
        own[k] = items[k].where(rows, own[k])
    drop = [c for c in (*DERIVED_COLUMNS, *(f"own_{k}" for k in fields)) if c in items.columns]
    return items.assign(**own).drop(columns=drop)


def _plain(values: pd.Series) -> list:
    """Values to compare: every kind of blank as None."""
    return [None if is_blank(v) else v for v in values.tolist()]


def _edited(items: pd.DataFrame, tree: PreparedTree) -> dict[str, np.ndarray]:
    """Effective values of a prepared frame that someone changed: they become the items' own.

    A value equal to what the own values give is left alone (so a change further up
    is still inherited); any other was written by hand.
    """
    derived = tree.frame.set_index("id")
    given = items.set_index("id")
    out = {}
    for k in _own_fields(items):
        now = derived[k].reindex(given.index)
        changed = np.array([a != b for a, b in zip(_plain(given[k]), _plain(now), strict=True)], dtype=bool)
        if changed.any():
            out[k] = changed
    return out


def _depths(ids: list[int], parent: dict[int, int]) -> dict[int, int]:
    """Depth of every item (1 = top level), walking each chain up once."""
    depth: dict[int, int] = {}
    for i in ids:
        chain = []
        j = i
        while j not in depth:
            chain.append(j)
            p = parent[j]
            if p == ROOT_ID:
                depth[j] = 1
                chain.pop()
                break
            j = p
        d = depth[j]
        for j in reversed(chain):
            d += 1
            depth[j] = d
    return depth


def prepare_tree(items: pd.DataFrame | PreparedTree) -> PreparedTree:
    """Prepare a plan's items (from ``load_items``) for the roll-up; a prepared tree is returned as is.

    Archived items and everything under them are dropped; each inherited field takes
    the item's own value, else its nearest ancestor's, on its own (GUIDE §3). A frame
    read from :attr:`PreparedTree.frame` (perhaps changed) is prepared afresh from its
    ``own_*`` values, except that an effective value someone changed becomes that
    item's own (and is inherited from it).
    """
    if isinstance(items, PreparedTree):
        return items
    if not _own_fields(items):
        return _prepare(items)
    # A frame read from a tree, perhaps changed: prepared from its own values, and any
    # effective value changed by hand counts as that item's own.
    tree = _prepare(_raw_items(items))
    edited = _edited(items, tree)
    return _prepare(_raw_items(items, edited)) if edited else tree


def _prepare(df: pd.DataFrame) -> PreparedTree:
    """:func:`prepare_tree` of plain items."""
    df = df[~df["archived"].astype(bool)] if "archived" in df.columns else df
    ids_set = set(df["id"].tolist())
    while True:  # drop children whose parent is archived or missing, repeatedly (whole subtrees)
        orphan = df["parent_id"].notna() & ~df["parent_id"].isin(ids_set)
        if not orphan.any():
            break
        df = df[~orphan]
        ids_set = set(df["id"].tolist())

    ids = df["id"].tolist()
    parent = dict(zip(ids, df["parent_id"].astype("float64").fillna(ROOT_ID).astype("int64").tolist(), strict=True))
    depth = _depths(ids, parent)
    pos = {i: n for n, i in enumerate(ids)}
    code = df["code"].tolist()
    title = [" " + str(t) if not is_blank(t) else "" for t in df["title"].tolist()]
    depth_arr = np.array([depth[i] for i in ids], dtype="int64")
    # Position of each item's parent; -1 (the top level) reads the trailing None: nothing to inherit.
    parent_pos = np.array([pos.get(parent[i], -1) for i in ids], dtype="int64")
    fields = [k for k in INHERITED_FIELDS if k in df.columns]
    eff = {k: np.concatenate([df[k].to_numpy(dtype=object), np.array([None], dtype=object)]) for k in fields}
    path_codes = [""] * len(ids)
    path_text = [""] * len(ids)
    for d in range(1, int(depth_arr.max(initial=0)) + 1):  # parents before children
        rows = np.flatnonzero(depth_arr == d)
        for k in fields:
            eff[k][rows] = effective(eff[k][rows], eff[k][parent_pos[rows]])
        for n in rows.tolist():
            p = int(parent_pos[n])
            path_codes[n] = ("|" if p < 0 else path_codes[p]) + f"{code[n]}|"
            path_text[n] = ("" if p < 0 else path_text[p] + " ") + f"{code[n]}{title[n]}"
    rank = np.empty(len(ids), dtype="int64")
    order = plain_outline_order(code)
    if order is None:
        order = sorted(range(len(ids)), key=lambda n: code_sort_key(code[n]))
    rank[order] = np.arange(len(ids))
    has_children = set(parent.values())

    def col(values, dtype=None) -> pd.Series:
        return pd.Series(values, index=df.index, dtype=dtype)

    out = df.assign(
        **{f"own_{k}": df[k] for k in fields},
        **{k: col(list(eff[k][:-1])) for k in fields},
        parent_key=col([parent[i] for i in ids], "int64"),
        depth=col(depth_arr),
        is_leaf=~df["id"].isin(has_children),
        order=col(rank),
        path_codes=col(path_codes),
        path_text=col(path_text),
    )
    if "smart" in fields:
        out = out.assign(smart=out["smart"].fillna(""))
    out = out.assign(top_code=out["path_codes"].astype("string").str.split("|").str[1])
    return PreparedTree(out.sort_values("order").reset_index(drop=True))
