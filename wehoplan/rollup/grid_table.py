"""The grid roll-up's table: every column of its rows (leaf rows, then parent rows), and the one-date table.

:func:`wehoplan.rollup.grid.roll` rolls a (date x leaf) grid of states up the tree; :func:`columns`
lays the result out as the general path would stack it, and :func:`decorate` puts one date's rows
in outline order with the tree's columns beside them. ``want`` (both): only those columns of the
result are made, the others are left out (a page reads 15 to 25 of the ~40); the values, dtypes
and order of the columns made are the full result's.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import pandas as pd

from wehoplan.domain import STATUS_KEYS
from wehoplan.rollup import engine, rules
from wehoplan.rollup.engine import LEAF_COUNT_COLUMNS
from wehoplan.rollup.grid import _STATUS_DTYPE, Nodes, grid_shape, roll, state_codes
from wehoplan.rollup.tree import PreparedTree

# What health and the schedule variance are worked out from: made even when not wanted.
_WORK = frozenset({"progress", "expected_progress", "overdue"})


def kept_rows(nodes: Nodes, sel_nodes: np.ndarray, dates: np.ndarray, parent_node: np.ndarray | None,
              keep: tuple | None) -> tuple[np.ndarray | None, np.ndarray | None]:
    """(the leaf rows kept, the parent rows kept) as row positions, each None for all of them.

    ``keep`` = (depths, every leaf, the dates whose leaf rows are kept): a row is kept when
    its node's depth is one of ``depths`` (the plan row's is 0), or it is a leaf row and
    every leaf is kept or its date is one of those dates.
    """
    if keep is None:
        return None, None
    depths, all_leaves, leaf_days = keep
    by_depth = np.isin(nodes.depth, np.asarray(depths, dtype="int64"))
    leaf_idx = None
    if not all_leaves:
        on_day = np.isin(dates, np.asarray(leaf_days, dtype="datetime64[ns]"))
        mask = by_depth[sel_nodes][None, :] | on_day[:, None]
        if not mask.all():
            leaf_idx = np.flatnonzero(mask)
    par_idx = None if parent_node is None else np.flatnonzero(by_depth[parent_node])
    return leaf_idx, par_idx


def columns(tree: PreparedTree, states: pd.DataFrame, th: rules.Thresholds,
            keep: tuple | None = None, want: Collection[str] | None = None) -> tuple[dict, np.ndarray] | None:
    """The roll-up's columns of grid ``states`` (what the general path stacks), and each row's node; or None.

    Leaf rows first, then the parent rows; every numeric column is written once into its
    full-length array (no per-part arrays joined afterwards). ``keep`` (see
    :func:`kept_rows`): only those rows are made into columns (every node is still
    rolled up); the rows keep their order. ``want``: only these columns are returned
    (None: all), in the same order.
    """
    frame = states
    names = states.columns.tolist()  # (iterating an Arrow-backed index itself goes value by value)
    states = {c: frame[c] for c in names}  # each column read once
    shape = grid_shape(tree, states)
    if shape is None:
        return None
    made = None if want is None else frozenset(want) | _WORK

    def wanted(c: str) -> bool:
        return made is None or c in made

    dates, selected = shape
    code = state_codes(frame, states["status"])
    nodes = tree.grid_nodes
    sel_nodes = nodes.leaf_nodes[selected]
    parents, parent_node = roll(tree, states, dates, selected, code)
    k, m = len(dates), len(selected)
    leaf_idx, par_idx = kept_rows(nodes, sel_nodes, dates, parent_node, keep)
    if parents is not None and parent_node is not None and par_idx is not None:
        parents = {c: v[par_idx] for c, v in parents.items()}
        parent_node = parent_node[par_idx]

    def leaf_part(values):  # the kept leaf rows of a leaf-row column
        return values if leaf_idx is None else values[leaf_idx]

    n_rows = k * m if leaf_idx is None else len(leaf_idx)
    n_par = 0 if parents is None else len(parents["id"])
    total = n_rows + n_par
    par_status = None if parents is None or not wanted("status") else engine.words(parents["code"], STATUS_KEYS)
    par_cols = {} if parents is None else {
        **{c: parents[c] for c in ("snap", "id", "progress", "expected_progress", *LEAF_COUNT_COLUMNS,
                                   "depth", "parent_key", "weight", "start", "due")},
        "status": par_status,
        **{c: np.zeros(n_par, dtype=bool) for c in ("overdue", "due_soon", "stale")}}
    cols: dict = {}
    rest: dict = {}
    for c in names:
        if not wanted(c):
            continue
        v = states[c]
        right = par_cols.get(c)
        if c == "status" and v.dtype == _STATUS_DTYPE and par_status is not None:
            cols[c] = _joined_text(leaf_part(v.array), par_status)
        elif right is None and parents is not None and _arrow_text(v):  # missing for the parents (comment)
            cols[c] = _joined_text(leaf_part(v.array), None, n_par)
        elif isinstance(v.dtype, np.dtype) and (parents is None or (isinstance(right, np.ndarray)
                                                                   and right.dtype == v.dtype)
                                                or (right is None and v.dtype.kind in "fM")):
            out = np.empty(total, dtype=v.dtype)
            if leaf_idx is None:
                out[:n_rows] = v.to_numpy()
            else:
                np.take(v.to_numpy(), leaf_idx, out=out[:n_rows])
            if parents is not None:  # a column the parents lack is missing there (NaN, NaT), as pd.concat fills it
                out[n_rows:] = right if right is not None else np.array(np.nan if v.dtype.kind == "f" else "NaT",
                                                                         dtype=v.dtype)
            cols[c] = out
        else:
            cols[c] = None  # keeps the column's place
            rest[c] = v if leaf_idx is None else v.iloc[leaf_idx]
    if rest:
        joined = engine.stack_columns(rest, None if parents is None else {c: par_cols[c] for c in rest
                                                                          if c in par_cols} | {"id": parents["id"]})
        cols.update({c: joined[c] for c in rest})
    leaf_code = leaf_part(code)
    over = states["overdue"].to_numpy()
    for c in LEAF_COUNT_COLUMNS:
        if not wanted(c):
            continue
        out = np.empty(total, dtype="int64")
        if c == "n_leaves":
            out[:n_rows] = 1
        elif c == "n_overdue":
            out[:n_rows] = leaf_part(over)
        else:
            out[:n_rows] = leaf_code == STATUS_KEYS.index(c[2:])
        if parents is not None:
            out[n_rows:] = par_cols[c]
        cols[c] = out
    for c, v in (("depth", nodes.depth), ("parent_key", nodes.parent_key), ("weight", nodes.leaf_weight),
                 ("start", nodes.start), ("due", nodes.due)):
        if not wanted(c):
            continue
        out = np.empty(total, dtype=v.dtype)
        if leaf_idx is None:
            out[:n_rows].reshape(k, m)[:] = v[sel_nodes][None, :]
        else:
            out[:n_rows] = v[sel_nodes[leaf_idx % m]] if m else v[:0]
        if parents is not None:
            out[n_rows:] = par_cols[c]
        cols[c] = out
    if wanted("schedule_variance"):
        cols["schedule_variance"] = cols["progress"] - cols["expected_progress"]
    is_leaf = np.zeros(total, dtype=bool)
    is_leaf[:n_rows] = True
    cols["is_leaf"] = is_leaf
    if wanted("health"):
        cols["health"] = _health(cols, n_rows, total, leaf_code, None if parents is None else parents["code"], th)
    node = sel_nodes[leaf_idx % m] if leaf_idx is not None else np.tile(sel_nodes, k)
    if parent_node is not None:
        node = np.concatenate([node, np.where(parent_node == tree.grid_nodes.n, -1, parent_node)])
    if want is not None:
        cols = {c: v for c, v in cols.items() if c in want}
    return cols, node


def _health(cols: dict, n_rows: int, total: int, leaf_code: np.ndarray, parent_code: np.ndarray | None,
            th: rules.Thresholds) -> pd.api.extensions.ExtensionArray:
    """Each row's schedule health, from its status code, progress, expected progress and overdue flag."""
    keys = np.empty(total, dtype=np.int8)
    # Health is per row: worked out in blocks of rows, leaf rows then parent rows (no full-size temporaries).
    step = max(1, engine.BLOCK_ROWS)
    for lo, hi, codes in (*((a, min(a + step, n_rows), leaf_code[a:a + step]) for a in range(0, n_rows, step)),
                          (n_rows, total, parent_code)):
        if hi <= lo or codes is None:
            continue
        keys[lo:hi] = rules.schedule_health_codes(codes == rules.COMPLETED, codes == rules.DEFERRED,
                                                  cols["progress"][lo:hi], cols["expected_progress"][lo:hi],
                                                  cols["overdue"][lo:hi], th)
    return engine.words(keys, rules.HEALTH_WORDS)


def decorate(cols: dict, node: np.ndarray, tree: PreparedTree, want: Collection[str] | None = None) -> pd.DataFrame:
    """:func:`wehoplan.rollup.engine.decorate` of one date's grid columns, knowing each row's node.

    Rows are put in outline order (plan row first) by their nodes' places, without a
    look-up of ids; with every node present the tree's columns are the tree's own, in
    outline order, made once per tree (copied per table, so a table can be changed).
    ``want``: only these of the table's columns (None: all), in the same order.
    """
    tree_order = tree.decorate[1]
    n = tree.grid_nodes.n
    order = np.where(node >= 0, tree_order[np.maximum(node, 0)] if n else -1, -1)
    slot = np.full(n + 1, -1, dtype="int64")
    slot[order + 1] = np.arange(len(order))
    idx = slot[slot >= 0]
    out: dict = {c: (v[idx] if isinstance(v, np.ndarray) else v.take(idx))
                 for c, v in cols.items() if c not in ("depth", "weight", "snap")}
    if want is not None:
        out = {c: v for c, v in out.items() if c in want}
    if len(idx) == n + 1:
        for c, v in tree.decorated_outline.items():
            if want is None or c in want:
                out[c] = v.copy()
    else:
        ext = np.where(node < 0, n, node)[idx]
        for c, values in tree.decorate_with_plan_row.items():
            if want is None or c in want:
                out[c] = values.take(ext)
    return engine.frame(out, len(idx))


def _arrow_text(v: pd.Series) -> bool:
    """An Arrow-backed string column (``str`` or ``string``)."""
    return isinstance(v.dtype, pd.StringDtype) and v.dtype.storage == "pyarrow"


def _joined_text(left, right, n_missing: int = 0):
    """Two Arrow-backed string arrays of one dtype end to end, or ``left`` then ``n_missing`` missing values.

    The chunks side by side, no copy of the text: what ``pd.concat`` gives.
    """
    import pyarrow as pa

    a = left.__arrow_array__()
    b = pa.nulls(n_missing, a.type) if right is None else right.__arrow_array__()
    if isinstance(b, pa.ChunkedArray):
        if b.type != a.type:
            return pd.concat([pd.Series(left), pd.Series(right)], ignore_index=True).array
        b_chunks = b.chunks
    else:
        b_chunks = [b]
    return type(left)(pa.chunked_array([*a.chunks, *b_chunks], type=a.type), dtype=left.dtype)
