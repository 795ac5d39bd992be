"""Stage 3: select the leaves that pass the filters and roll them up (GUIDE §3 roll-up rules).

``roll_up_many(tree, states, filters)`` gives one row per (snap, item) for any number
of dates, so a trend at D is by construction the roll-up as of D; ``roll_up`` is the
one-date table the pages and exports show.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import numpy as np
import pandas as pd

from wehoplan.domain import smart_names
from wehoplan.filters import Filters
from wehoplan.rollup import engine, grid, grid_table, rules
from wehoplan.rollup.engine import COUNT_COLUMNS, LEAF_COUNT_COLUMNS
from wehoplan.rollup.rules import Thresholds
from wehoplan.rollup.tree import ROOT_ID, PreparedTree

ROLLUP_COLUMNS = ["progress", "status", "expected_progress", *LEAF_COUNT_COLUMNS, "health"]
_DEFAULT_THRESHOLDS = Thresholds()
GROUP_KINDS = ("department", "smart", "owner")


@dataclass(frozen=True)
class Rows:
    """Which rows of :func:`roll_up_many`'s result to build (every node is still rolled up at every date).

    A row is built when its depth is one of ``depths`` (0: the plan row; leaves and
    parents alike), or it is a leaf row and ``leaves`` is true or its date is one of
    ``leaves_on``. The rows built are exactly the full result's rows that pass this test,
    in the same order: a page that reads only some rows builds only those.
    """

    depths: Collection[int] = ()
    leaves: bool = False
    leaves_on: Collection = ()

    def spec(self) -> tuple:
        """(the depths, every leaf, the leaf dates as normalised ``datetime64[ns]``) for the engine."""
        days = pd.DatetimeIndex(pd.to_datetime(pd.Index(list(self.leaves_on)))).normalize()
        return (np.array(sorted(self.depths), dtype="int64"), bool(self.leaves),
                days.to_numpy(dtype="datetime64[ns]"))

    def mask(self, rolled: pd.DataFrame) -> np.ndarray:
        """Which rows of a full :func:`roll_up_many` result this keeps."""
        depths, leaves, days = self.spec()
        leaf = rolled["is_leaf"].to_numpy(dtype=bool)
        on = leaves or np.isin(rolled["snap"].to_numpy(dtype="datetime64[ns]"), days)
        return np.isin(rolled["depth"].to_numpy(dtype="int64"), depths) | (leaf & on)


def _check(tree: PreparedTree) -> None:
    if not isinstance(tree, PreparedTree):
        raise TypeError("the roll-up needs a PreparedTree: call prepare_tree(items) first")


# What a roll-up reads of the states whichever of its columns are asked for: the rules' inputs.
_STATE_INPUTS = frozenset({"snap", "id", "status", "progress", "expected_progress", "overdue"})


def select_leaves(tree: PreparedTree, states: pd.DataFrame, filters: Filters,
                  thresholds: Thresholds = _DEFAULT_THRESHOLDS, columns: Collection[str] | None = None) -> pd.DataFrame:
    """The rows of ``states`` whose leaves pass ``filters`` (effective values; GUIDE §3, §4).

    Structural filters read the tree; status, health and text also read each row's state
    (its status, its schedule health under ``thresholds``, and its as-of comment:
    comments are dated). ``columns`` (a roll-up's wanted columns; None: all): the rows kept
    carry only the states' columns named there and the ones a roll-up reads, the others
    are not copied (a trend's comments are 600k strings).
    """
    _check(tree)
    if filters.is_empty():
        return states
    names = states.columns.tolist()
    if columns is not None:
        names = [c for c in names if c in columns or c in _STATE_INPUTS or (c == "comment" and filters.text)]
    hay = tree.haystacks
    mask = filters.leaf_mask(hay)
    keep = _grid_mask(states, hay.ids, mask)
    if keep is None:  # (a frame's mask leaves no status codes on it: the roll-up reads the words)
        sub = states[names] if len(names) < states.shape[1] else states
        out = sub[sub["id"].isin(hay.ids[mask])]
    else:  # every leaf at each date: the rows kept by position
        out = _rows(states, names, np.flatnonzero(keep))
    if filters.status:
        out = out[out["status"].isin(list(filters.status))]
    if filters.health:
        out = out[np.isin(health_of(out, thresholds).to_numpy(dtype=object), list(filters.health))]
    if filters.text:
        text_hit = out["comment"].astype("string").str.contains(filters.text, case=False, regex=False)
        struct_hit = out["id"].isin(hay.ids[filters.text_mask(hay)])
        out = out[struct_hit | text_hit.fillna(False)]
    return out


def _rows(states: pd.DataFrame, names: list[str], rows: np.ndarray) -> pd.DataFrame:
    """``states[names]`` at the positions ``rows``, labels kept (what a boolean mask gives), each column taken once.

    The status codes ``leaf_states`` left on ``states`` go with their rows (the grid roll-up reads them).
    """
    cols = {}
    for c in names:
        v = states[c]
        cols[c] = v.to_numpy()[rows] if isinstance(v.dtype, np.dtype) else v.array.take(rows)
    out = engine.frame(cols, len(rows))
    out.index = states.index[rows]
    code = grid.saved_codes(states)
    if code is not None:
        grid.keep_codes(out, code[rows])
    return out


def _grid_mask(states: pd.DataFrame, leaf_ids: np.ndarray, mask: np.ndarray) -> np.ndarray | None:
    """``states["id"].isin(leaf_ids[mask])`` of states holding every leaf at each date in ``leaf_ids``' order.

    Such states (what ``leaf_states`` gives) repeat the leaves date by date, so the rows kept are
    the leaves' mask repeated: no hash look-up of every row (a trend's states have 200k rows).
    None for states of any other shape.
    """
    ids = states["id"].to_numpy()
    n = len(leaf_ids)
    if not n or len(ids) % n or not (ids.reshape(-1, n) == leaf_ids).all():
        return None
    return np.tile(mask, len(ids) // n)


def _empty(states: pd.DataFrame) -> pd.DataFrame:
    """Zero rows with the real dtypes, so callers can use .dt / string ops without special cases."""
    typed = {**{c: "int64" for c in (*LEAF_COUNT_COLUMNS, "depth", "parent_key")},
             "weight": "float64", "schedule_variance": "float64", "is_leaf": "bool",
             "start": "datetime64[ns]", "due": "datetime64[ns]", "health": "string"}
    return states.iloc[0:0].assign(id=states["id"].iloc[0:0].astype("int64"),
                                   **{c: pd.Series(dtype=t) for c, t in typed.items()})


def _leaf_extra(tree: PreparedTree, states: pd.DataFrame) -> dict[str, np.ndarray]:
    """The tree's depth, parent, weight and dates of each state's leaf."""
    ids = states["id"].to_numpy()
    leaf_ids = tree.leaves["id"].to_numpy()
    n, k = len(leaf_ids), (len(ids) // len(leaf_ids) if len(leaf_ids) else 0)
    if n and len(ids) == n * k and np.array_equal(ids, np.tile(leaf_ids, k)):
        # Unfiltered states (every leaf at every date, in the tree's order): no look-up per row.
        at = np.tile(np.flatnonzero(tree.nodes["is_leaf"].to_numpy(dtype=bool)), k)
    else:
        at = tree.nodes.index.get_indexer(ids)
    return {c: tree.nodes[c].to_numpy()[at].astype(t) for c, t in
            (("depth", "int64"), ("parent_key", "int64"), ("weight", "float64"))} | {
        c: tree.nodes[c].to_numpy()[at] for c in ("start", "due")}


def health_of(cols, th: Thresholds, code: np.ndarray | None = None) -> pd.api.extensions.ExtensionArray:
    """Schedule health (:func:`wehoplan.rollup.rules.schedule_health`) of roll-up rows (a frame or column dict).

    Only leaves carry a true ``overdue`` flag (parent rows have False), so only a leaf is
    at risk for being overdue. The rule runs on status codes and the words are made once
    at the end (object comparisons and text arrays per row were most of a trend's time).
    ``code``: the status codes of the rows when the caller has them.
    """
    code = engine.status_codes(cols["status"]) if code is None else code
    keys = rules.schedule_health_codes(
        code == rules.COMPLETED, code == rules.DEFERRED,
        np.asarray(cols["progress"], dtype="float64"), np.asarray(cols["expected_progress"], dtype="float64"),
        np.asarray(cols["overdue"], dtype=bool), th)
    return engine.words(keys, rules.HEALTH_WORDS)


@engine.plain_pages_for(engine.rows_rolled_up)  # a county's fresh full-size columns
def roll_up_many(tree: PreparedTree, states: pd.DataFrame, filters: Filters,
                 thresholds: Thresholds = _DEFAULT_THRESHOLDS, rows: Rows | None = None,
                 columns: Collection[str] | None = None) -> pd.DataFrame:
    """Roll the selected leaves of ``states`` (any number of dates) up the tree.

    Args:
        tree: the prepared tree.
        states: ``leaf_states(tree, updates, dates, thresholds)`` (unfiltered).
        filters: which leaves to roll up (``Filters()`` for all).
        thresholds: the schedule-health ratios (``on_schedule_ratio``, ``behind_ratio``).
        rows: build only these rows (:class:`Rows`; None: all). The values are the same:
            the result is the full one's rows that ``rows`` keeps, in order, index 0..n-1.
        columns: build only these columns (None: all): the full result's columns that are
            named here, in the same order, with the same values.

    Returns:
        One row per (snap, item) for every item with at least one selected leaf, plus
        one plan row per snap (``id == 0``, ``depth == 0``): the leaf states' columns,
        :data:`ROLLUP_COLUMNS`, ``depth, parent_key, weight``, the effective
        ``start``/``due`` span, ``schedule_variance``, ``is_leaf`` and ``health``
        (schedule health, GUIDE §3: ``on_schedule``, ``behind``, ``at_risk``, ``done`` or "").

    """
    states = select_leaves(tree, states, filters, thresholds, columns)
    if states.empty:
        return _only(_empty(states), columns)
    fast = grid_table.columns(tree, states, thresholds, None if rows is None else rows.spec(), columns)
    if fast is not None:  # a (date x leaf) grid: the levels planned per node, not per row
        return engine.frame(fast[0], len(fast[1]))
    code = engine.status_codes(states["status"])
    # Column arrays, one frame at the end: two concatenations of 600k-row frames cost more than the sums.
    leaves = {**{c: states[c] for c in states.columns}, **engine.leaf_counts(states, code),
              **_leaf_extra(tree, states)}
    parents = engine.roll_levels(leaves, tree, code)
    cols = engine.stack_columns(leaves, parents)
    # The leaf rows come first and every one is a tree leaf; the rows after them are parents
    # and plan rows: no per-row look-up of 600k ids in the tree's index.
    n_leaf_rows = len(states)
    cols["schedule_variance"] = cols["progress"] - cols["expected_progress"]
    cols["is_leaf"] = np.arange(len(cols["id"])) < n_leaf_rows
    cols["health"] = health_of(cols, thresholds, code if parents is None else np.concatenate(
        [code, engine.status_codes(pd.Series(parents["status"]))]))
    out = pd.DataFrame(cols, copy=False)
    return _only(out if rows is None else out[rows.mask(out)].reset_index(drop=True), columns)


def roll_up(tree: PreparedTree, states: pd.DataFrame, filters: Filters,
            thresholds: Thresholds = _DEFAULT_THRESHOLDS, columns: Collection[str] | None = None) -> pd.DataFrame:
    """The roll-up at one as-of date: one row per item in outline order, plan row first.

    Args:
        tree: the prepared tree.
        states: ``leaf_states(tree, updates, [as_of], thresholds)`` (one date, unfiltered).
        filters: which leaves to roll up (``Filters()`` for all).
        thresholds: the schedule-health ratios (``on_schedule_ratio``, ``behind_ratio``).
        columns: build only these columns (None: all): the full table's columns that are
            named here, in the same order, with the same values (a page reads 15 to 25 of ~40).

    Returns:
        :func:`roll_up_many`'s columns (but ``snap``, ``depth`` from the tree) with the
        tree's code, title, level, order, effective owner / department / partners /
        SMART and the other item columns beside; the plan row has ``id == 0``,
        ``level == "Plan"``, ``depth == 0``. No row at all when nothing is selected.

    Raises:
        ValueError: ``states`` holds more than one date (use :func:`roll_up_many`).

    """
    snap = states["snap"].to_numpy(dtype="datetime64[ns]")
    if len(snap) and snap.min() != snap.max():
        raise ValueError("roll_up takes the states of one date; use roll_up_many for several")
    states = select_leaves(tree, states, filters, thresholds, columns)
    if states.empty:
        empty = _empty(states)
        return _only(engine.decorate({c: empty[c].array for c in empty.columns}, tree), columns)
    fast = grid_table.columns(tree, states, thresholds, want=columns)
    if fast is not None:
        return grid_table.decorate(*fast, tree, columns)
    code = engine.status_codes(states["status"])
    # Column arrays, not frames: on one date a frame per step cost more than the sums.
    leaves = {**{c: states[c] for c in states.columns}, **engine.leaf_counts(states, code),
              **_leaf_extra(tree, states)}
    cols = engine.stack_columns(leaves, engine.roll_levels(leaves, tree, code))
    cols["schedule_variance"] = cols["progress"] - cols["expected_progress"]
    cols["is_leaf"] = np.arange(len(cols["id"])) < len(states)  # the leaf rows come first, then the parents
    cols["health"] = health_of(cols, thresholds)
    return _only(engine.decorate(cols, tree), columns)


def _only(table: pd.DataFrame, columns: Collection[str] | None) -> pd.DataFrame:
    """``table``'s columns named in ``columns`` (all for None), in the table's order."""
    return table if columns is None else table[[c for c in table.columns if c in columns]]


def plan_total(table: pd.DataFrame) -> pd.Series | None:
    """The plan row of a :func:`roll_up` table, or None when nothing was selected."""
    root = table[table["id"] == ROOT_ID]
    return None if root.empty else root.iloc[0]


def group_leaves(table: pd.DataFrame, by: str, thresholds: Thresholds = _DEFAULT_THRESHOLDS) -> pd.DataFrame:
    """Roll the leaves of a :func:`roll_up` table up by effective department, SMART value or owner.

    A leaf tagged with several SMART values counts in each of them; leaves without a
    value go to the group "(none)". Returns ``group`` plus :data:`ROLLUP_COLUMNS`,
    sorted by group.
    """
    if by not in GROUP_KINDS:
        raise ValueError(f"cannot group by {by!r}; choose one of {', '.join(GROUP_KINDS)}")
    at = np.flatnonzero(table["is_leaf"].astype(bool).to_numpy())
    if not len(at):
        return pd.DataFrame(columns=["group", *ROLLUP_COLUMNS])
    key = table[by].array.take(at)
    if by == "smart":
        # One row per tag, each distinct tag set named once (a plan has a handful of them).
        codes, uniques = pd.factorize(key)
        names = [smart_names(u) or ["(none)"] for u in uniques] + [smart_names(None) or ["(none)"]]
        codes = np.where(codes < 0, len(uniques), codes)
        sizes = np.array([len(t) for t in names], dtype="int64")[codes]
        rows = np.repeat(np.arange(len(at)), sizes)
        flat = np.array([t for ts in names for t in ts], dtype=object)
        offset = np.concatenate([[0], np.cumsum([len(t) for t in names])])
        within = np.arange(len(rows)) - np.repeat(np.cumsum(sizes) - sizes, sizes)
        group = pd.Series(flat[offset[codes[rows]] + within], dtype="str")
        at = at[rows]
    else:
        group = pd.Series(key).fillna("(none)").astype("string")
    return _aggregate_group(table, at, group, thresholds)


def _aggregate_group(table: pd.DataFrame, at: np.ndarray, group: pd.Series, th: Thresholds) -> pd.DataFrame:
    """:func:`wehoplan.rollup.engine.aggregate` of ``table``'s rows ``at`` by ``group`` (one label per row), sorted.

    The same sums and rules on column arrays taken at ``at``: no frame of the leaves is made.
    """
    code = engine.status_codes(pd.Series(table["status"].array.take(at)))
    w, p, e = (table[c].to_numpy(dtype="float64", na_value=np.nan)[at]
               for c in ("weight", "progress", "expected_progress"))
    gid, _ = pd.factorize(group)  # first-appearance order, as groupby(sort=False).ngroup()
    gid = gid.astype("int64")
    n_groups = int(gid.max()) + 1
    _, first = np.unique(gid, return_index=True)
    sums, _ = engine.child_sums(gid, n_groups, code, w, p, e)
    counts = {c: np.bincount(gid, weights=table[c].to_numpy()[at].astype("float64"), minlength=n_groups)
              .astype("int64") for c in LEAF_COUNT_COLUMNS}
    status = pd.array(engine.STATUS_TEXT[rules.parent_status(sums)], dtype="string")
    progress, expected = rules.parent_progress(sums), rules.rolled_expected_progress(sums)
    health = pd.array(rules.schedule_health(np.asarray(status, dtype=object), progress, expected,
                                            np.zeros(n_groups, dtype=bool), th), dtype="string")
    agg = pd.DataFrame({"group": group.iloc[first].reset_index(drop=True), "progress": progress, "status": status,
                        "expected_progress": expected, **counts, "health": health})
    # Sorted by the casefolded names (a few dozen groups). When no two fold alike the order is the
    # one any sort gives, so the names are sorted in Python (code point order, as pandas sorts
    # text); equal folds keep pandas' own sort and its order among them.
    folded = [str(g).casefold() for g in agg["group"].tolist()]
    if len(set(folded)) == len(folded):
        return agg.take(sorted(range(len(folded)), key=folded.__getitem__)).reset_index(drop=True)
    return agg.sort_values("group", key=lambda s: s.astype("string").str.casefold()).reset_index(drop=True)


__all__ = ["COUNT_COLUMNS", "GROUP_KINDS", "ROLLUP_COLUMNS", "Rows", "group_leaves", "plan_total", "roll_up",
           "roll_up_many", "select_leaves"]
