"""The roll-up on a regular grid: the same leaves at every date, the levels planned once in node space.

``leaf_states`` gives every leaf at every date, dates in order, leaves in outline order;
a structural filter keeps the same leaves at every date. Such states are a (date x leaf)
grid, and everything that is not a sum over children is then known per node, not per
row: which parent each child row belongs to (the group numbers are arithmetic, no
``factorize``), the order the parent rows come out in, the parents' own attributes, the
displayed date spans (children's earliest start and latest due do not depend on the date).
:func:`plan` works that out once per tree and selection; :func:`roll` sums the rows.

It gives exactly what :func:`wehoplan.rollup.engine.roll_levels` gives on the same rows:
the same sums in the same order (``np.bincount`` over the same child rows, only the group
numbers differ), the same rules, the parent rows in the same order. States of any other
shape (a status, health or text filter keeps different leaves at different dates; a
caller's own frame) take the general path. The table's columns are laid out in
:mod:`wehoplan.rollup.grid_table`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from wehoplan.domain import STATUS_KEYS
from wehoplan.rollup import engine, rules
from wehoplan.rollup.engine import LEAF_COUNT_COLUMNS
from wehoplan.rollup.tree import PreparedTree

_NAT = np.iinfo("int64").min
# What a roll-up adds beside the states' own columns; states already carrying one take the general path.
_ADDED = (*LEAF_COUNT_COLUMNS, "depth", "parent_key", "weight", "start", "due", "schedule_variance", "is_leaf",
          "health")
_ADDED_SET = frozenset(_ADDED)
#: The state columns a grid roll-up reads.
NEEDED = frozenset({"snap", "id", "status", "progress", "expected_progress", "overdue"})
_STATUS_DTYPE = engine.words(np.zeros(0, dtype="int64"), STATUS_KEYS).dtype
#: The attribute ``leaf_states`` leaves on its frame: (its status column's Arrow array, the status codes).
CODES_ATTRIBUTE = "_wehoplan_status_codes"


@dataclass(frozen=True)
class Nodes:
    """The tree's nodes as arrays in outline order; position ``n`` is the plan (root)."""

    n: int
    ids: np.ndarray  # item id per node, 0 for the root
    parent: np.ndarray  # parent position, n for the top level (and the root itself)
    depth: np.ndarray  # int64, root 0
    parent_key: np.ndarray  # int64, root -1
    leaf_weight: np.ndarray  # float64 as the tree has it (NaN kept): what a leaf row carries
    parent_weight: np.ndarray  # float64, NaN as 1.0, root 1.0: what a parent row carries
    start: np.ndarray  # own dates, datetime64[ns], NaT for the root
    due: np.ndarray
    leaf_nodes: np.ndarray  # node position of each leaf (tree.leaves order)
    ns_dates: bool  # the tree's start and due are datetime64[ns] (the grid path's condition)


def nodes_of(tree: PreparedTree) -> Nodes:
    """The :class:`Nodes` of ``tree`` (cached on the tree as ``tree.grid_nodes``)."""
    f = tree.nodes  # indexed by id, outline order
    ids = f.index.to_numpy().astype("int64")
    n = len(ids)
    pk = f["parent_key"].to_numpy().astype("int64")
    pos = pd.Index(ids).get_indexer(pk)
    parent = np.append(np.where(pos < 0, n, pos), n)
    weight = f["weight"].to_numpy(dtype="float64", na_value=np.nan)
    start = f["start"].to_numpy(dtype="datetime64[ns]")
    due = f["due"].to_numpy(dtype="datetime64[ns]")
    nat = np.array([_NAT]).view("datetime64[ns]")
    return Nodes(
        n=n, ids=np.append(ids, 0), parent=parent,
        depth=np.append(f["depth"].to_numpy().astype("int64"), 0),
        parent_key=np.append(pk, -1),
        leaf_weight=np.append(weight, 1.0),
        parent_weight=np.append(np.where(np.isnan(weight), 1.0, weight), 1.0),
        start=np.append(start, nat), due=np.append(due, nat),
        leaf_nodes=np.flatnonzero(f["is_leaf"].to_numpy(dtype=bool)),
        ns_dates=all(f[c].dtype == np.dtype("datetime64[ns]") for c in ("start", "due")),
    )


@dataclass(frozen=True)
class Part:
    """Children of one level that come as one block of rows: for each date, ``nodes`` in order."""

    nodes: np.ndarray  # child node positions
    leaf_columns: np.ndarray | None  # leaf part: the columns of the selected-leaf grid; None: parents made below
    made_block: int  # made part: which block of the level below
    block_start: np.ndarray  # per child: cumulative size of the blocks before its parent's block
    block_size: np.ndarray  # per child: the size of its parent's block
    index: np.ndarray  # per child: its parent's position in that block


@dataclass(frozen=True)
class Level:
    """One level: its child parts, and the parents it makes, block by block (each: for each date, the block)."""

    parts: tuple[Part, ...]
    blocks: tuple[np.ndarray, ...]
    start: np.ndarray  # displayed span per node (only the made ones are read)
    due: np.ndarray


def _first_appearance(values: np.ndarray) -> np.ndarray:
    """The distinct values in order of first appearance."""
    _, first = np.unique(values, return_index=True)
    return values[np.sort(first)]


def plan(nodes: Nodes, selected: np.ndarray) -> list[Level]:
    """The levels of a roll-up of the leaves ``selected`` (positions in tree.leaves, ascending), deepest first.

    Mirrors :func:`wehoplan.rollup.engine.roll_levels`: a level's children are the leaves
    at its depth, then the parents made one level below, block by block; each (date,
    parent) group is numbered by first appearance over those rows, which on a grid is:
    block by block, each block for each date in turn.
    """
    sel_nodes = nodes.leaf_nodes[selected]
    n = nodes.n
    span_start = nodes.start.copy()
    span_due = nodes.due.copy()
    levels: list[Level] = []
    below: Level | None = None
    for d in range(int(nodes.depth[:n].max(initial=0)), 0, -1):
        raw: list[tuple[np.ndarray, np.ndarray | None, int]] = []
        cols = np.flatnonzero(nodes.depth[sel_nodes] == d)
        if len(cols):
            raw.append((sel_nodes[cols], cols, -1))
        if below is not None:
            raw.extend((b, None, j) for j, b in enumerate(below.blocks))
        if not raw:
            below = None
            continue
        seen = np.zeros(n + 1, dtype=bool)
        blocks = []
        for kids, _, _ in raw:
            firsts = _first_appearance(nodes.parent[kids])
            new = firsts[~seen[firsts]]
            seen[new] = True
            if len(new):
                blocks.append(new)
        sizes = np.array([len(b) for b in blocks], dtype="int64")
        cum = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype("int64")
        block_of = np.full(n + 1, -1, dtype="int64")
        index_in = np.full(n + 1, -1, dtype="int64")
        for b, members in enumerate(blocks):
            block_of[members] = b
            index_in[members] = np.arange(len(members))
        parts = []
        for kids, leaf_cols, made_block in raw:
            par = nodes.parent[kids]
            parts.append(Part(kids, leaf_cols, made_block, cum[block_of[par]], sizes[block_of[par]], index_in[par]))
        # Displayed spans of the parents made here: own dates, else the children's earliest / latest.
        kids_all = np.concatenate([p.nodes for p in parts])
        par_all = nodes.parent[kids_all]
        made = np.concatenate(blocks)
        earliest = _extreme(span_start[kids_all], par_all, n + 1, np.minimum)
        latest = _extreme(span_due[kids_all], par_all, n + 1, np.maximum)
        s, e = rules.parent_span(nodes.start[made], nodes.due[made], earliest[made], latest[made])
        span_start[made], span_due[made] = s, e
        below = Level(tuple(parts), tuple(blocks), span_start, span_due)
        levels.append(below)
    return levels


def _extreme(values: np.ndarray, group: np.ndarray, n_groups: int, how: np.ufunc) -> np.ndarray:
    """Per-group min / max of datetimes, NaT skipped (NaT for none), as engine._group_extreme."""
    return engine._group_extreme(values, group, n_groups, how)


def grid_shape(tree: PreparedTree, states: dict) -> tuple[np.ndarray, np.ndarray] | None:
    """(the dates, the selected leaves' positions) when ``states`` (its columns) is a grid; None otherwise.

    A grid: rows date by date (dates strictly increasing), each date the same leaves in
    outline order.
    """
    if not _ADDED_SET.isdisjoint(states) or not NEEDED <= states.keys() or not tree.grid_nodes.ns_dates:
        return None  # (other date types: the general path joins them the pandas way)
    snap = states["snap"].to_numpy()
    ids = states["id"].to_numpy()
    if snap.dtype != np.dtype("datetime64[ns]") or ids.dtype.kind not in "iu" or not len(ids):
        return None
    cuts = np.flatnonzero(snap[1:] != snap[:-1]) + 1
    k = len(cuts) + 1
    m = len(ids) // k
    if m * k != len(ids) or (len(cuts) and not np.array_equal(cuts, np.arange(1, k) * m)):
        return None
    dates = snap[::m]
    if np.isnat(dates).any() or (k > 1 and not (dates[1:] > dates[:-1]).all()):
        return None
    first = ids[:m]
    if k > 1 and not (ids.reshape(k, m) == first).all():
        return None
    leaf_ids = tree.leaves["id"].to_numpy()
    if m == len(leaf_ids) and np.array_equal(first, leaf_ids):
        return dates, np.arange(m)
    pos = tree.leaf_positions.get_indexer(first)
    if (pos < 0).any() or (m > 1 and not (pos[1:] > pos[:-1]).all()):
        return None
    return dates, pos


def keep_codes(frame: pd.DataFrame, code: np.ndarray) -> None:
    """Leave ``frame``'s status codes on it (:data:`CODES_ATTRIBUTE`), read back by :func:`state_codes`.

    They count while the frame's status column is the one they were made with (an Arrow array).
    """
    arr = frame["status"].array
    if hasattr(arr, "__arrow_array__"):
        object.__setattr__(frame, CODES_ATTRIBUTE, (arr.__arrow_array__(), code))


def saved_codes(frame: pd.DataFrame) -> np.ndarray | None:
    """The status codes :func:`keep_codes` left on ``frame``, while its status column is unchanged; else None."""
    saved = getattr(frame, CODES_ATTRIBUTE, None)
    if saved is not None:
        arr = frame["status"].array
        if hasattr(arr, "__arrow_array__") and arr.__arrow_array__() is saved[0]:
            return saved[1]
    return None


def state_codes(frame: pd.DataFrame, status: pd.Series) -> np.ndarray:
    """The status codes of the states' rows: the ones ``leaf_states`` left, while its status column is unchanged."""
    saved = saved_codes(frame)
    return engine.status_codes(status) if saved is None else saved


def roll(tree: PreparedTree, states: dict, dates: np.ndarray, selected: np.ndarray,
         code: np.ndarray) -> tuple[dict | None, np.ndarray | None]:
    """The parent rows (as :func:`engine.roll_levels`) and each parent row's node; (None, None) for none.

    Each (date, parent) row depends only on its date's child rows, so the dates are
    rolled up in blocks (:data:`engine.BLOCK_ROWS` rows) and each block's rows of each (level, parent
    block) are written at their places: level by level, block by block, date-major inside
    a block, as one roll-up of every date lays them out.
    """
    nodes = tree.grid_nodes
    levels = tree.grid_plan if len(selected) == len(nodes.leaf_nodes) else plan(nodes, selected)
    k, m = len(dates), len(selected)
    grids = (code.reshape(k, m),
             states["progress"].to_numpy(dtype="float64", na_value=np.nan).reshape(k, m),
             states["expected_progress"].to_numpy(dtype="float64", na_value=np.nan).reshape(k, m),
             states["overdue"].to_numpy().reshape(k, m))
    step = max(1, min(k, engine.BLOCK_ROWS // max(m, 1)))
    if not levels:
        return None, None
    if step >= k:
        made = _roll_dates(levels, nodes, dates, *grids)
        out = {c: np.concatenate([lv[c] for lv in made]) if len(made) > 1 else made[0][c] for c in made[0]}
        return out, out.pop("node")
    sizes = [np.array([len(b) for b in level.blocks], dtype="int64") for level in levels]
    total = k * int(sum(int(s.sum()) for s in sizes))
    full: dict = {}
    for lo in range(0, k, step):
        hi = min(k, lo + step)
        kb = hi - lo
        made = _roll_dates(levels, nodes, dates[lo:hi], *(g[lo:hi] for g in grids))
        if not full:
            full = {c: np.empty(total, dtype=v.dtype) for c, v in made[0].items()}
        base = 0
        for level_rows, level_sizes in zip(made, sizes, strict=True):
            src = 0
            before = 0  # parents in the blocks before this one
            for size in level_sizes.tolist():
                dst = base + k * before + lo * size
                n = kb * size
                for c, values in level_rows.items():
                    full[c][dst:dst + n] = values[src:src + n]
                src += n
                before += size
            base += k * before
    return full, full.pop("node")


def _roll_dates(levels: list[Level], nodes: Nodes, dates: np.ndarray, code2: np.ndarray, prog2: np.ndarray,
                exp2: np.ndarray, over2: np.ndarray) -> list[dict]:
    """Every level's parent rows at ``dates`` from the (date x selected leaf) grids, deepest level first."""
    s = np.arange(len(dates), dtype="int64")[:, None]
    made: list[dict] = []
    for level in levels:
        made.append(_roll_level(level, nodes, made[-1] if made else None, dates, code2, prog2, exp2, over2, s))
    return made


def _roll_level(level: Level, nodes: Nodes, below: dict | None, dates: np.ndarray, code2: np.ndarray,
                prog2: np.ndarray, exp2: np.ndarray, over2: np.ndarray,
                s: np.ndarray) -> dict:
    """One level's parent rows, from its parts' child rows (the same rows, in the same order, as the general path)."""
    k = len(dates)
    pieces = []
    for part in level.parts:
        gid = (k * part.block_start)[None, :] + s * part.block_size[None, :] + part.index[None, :]
        if part.leaf_columns is not None:
            whole = len(part.leaf_columns) == code2.shape[1]
            cols = slice(None) if whole else part.leaf_columns
            c = code2 if whole else code2[:, cols]
            pieces.append({
                "gid": gid, "code": c, "weight": nodes.leaf_weight[part.nodes][None, :],
                "progress": prog2 if whole else prog2[:, cols],
                "expected_progress": exp2 if whole else exp2[:, cols], "onehot": c,
                "n_overdue": over2 if whole else over2[:, cols],
            })
        else:  # parents made one level below: its rows, block by block
            assert below is not None
            lo = int(sum(len(b) for b in _blocks_before(level, part)) * k)
            rows = slice(lo, lo + k * len(part.nodes))
            pieces.append({"gid": gid, **{c: below[c][rows].reshape(k, -1) for c in
                                          ("code", "weight", "progress", "expected_progress", *LEAF_COUNT_COLUMNS)}})
    n_groups = k * sum(len(b) for b in level.blocks)
    runs = _runs(level, k)
    if runs is not None:  # one leaf part, each parent's children side by side: sums per run of children
        p = pieces[0]
        by_child = {c: np.ascontiguousarray(p[c].T) for c in ("gid", "code", "progress", "expected_progress")}
        sums, per_code = engine.child_sums(by_child["gid"], n_groups, by_child["code"], p["weight"].T,
                                           by_child["progress"], by_child["expected_progress"],
                                           sum_by=_run_sums(*runs, k))
        counts = engine._counts(p["gid"].ravel(), n_groups, per_code, {"n_overdue": p["n_overdue"].ravel()}, True)
    elif len(pieces) == 1 and "onehot" in pieces[0]:
        p = pieces[0]
        sums, per_code = engine.child_sums(p["gid"], n_groups, p["code"], p["weight"], p["progress"],
                                           p["expected_progress"])
        counts = engine._counts(p["gid"].ravel(), n_groups, per_code, {"n_overdue": p["n_overdue"].ravel()}, True)
    else:
        flat = [_flat(p) for p in pieces]
        cat = {c: np.concatenate([f[c] for f in flat]) for c in flat[0]}
        sums, _ = engine.child_sums(cat["gid"], n_groups, cat["code"], cat["weight"], cat["progress"],
                                    cat["expected_progress"])
        counts = {c: np.bincount(cat["gid"], weights=cat[c].astype("float64"), minlength=n_groups).astype("int64")
                  for c in LEAF_COUNT_COLUMNS}
    node = np.concatenate([np.tile(b, k) for b in level.blocks])
    snap = np.concatenate([np.repeat(dates, len(b)) for b in level.blocks])
    own_start, own_due = nodes.start[node], nodes.due[node]
    return {
        "snap": snap, "id": nodes.ids[node], "progress": rules.parent_progress(sums),
        "code": rules.parent_status(sums),
        "expected_progress": rules.parent_expected_progress(sums, own_start, own_due, snap), **counts,
        "depth": nodes.depth[node], "parent_key": nodes.parent_key[node], "weight": nodes.parent_weight[node],
        "start": level.start[node], "due": level.due[node], "node": node,
    }


_MAX_RUNS = 256  # beyond this many parents a Python loop over them costs more than np.bincount


def _runs(level: Level, k: int) -> tuple[np.ndarray, np.ndarray] | None:
    """(first, end) child column of each parent's run, or None.

    Runs apply to a level that is one leaf part whose parents' children sit side by side
    (in first-appearance order), with at least two dates.
    """
    if k < 2 or len(level.parts) != 1 or level.parts[0].leaf_columns is None:
        return None
    index = level.parts[0].index
    if len(level.blocks[0]) > _MAX_RUNS or (len(index) > 1 and (np.diff(index) < 0).any()):
        return None
    cuts = np.flatnonzero(np.diff(index)) + 1
    return np.concatenate([[0], cuts]), np.concatenate([cuts, [len(index)]])


def _run_sums(first: np.ndarray, end: np.ndarray, k: int):
    """Per-(date, parent) sums of (child x date) values, each parent's children added in order.

    ``np.add.reduce`` over the first axis of a C-ordered (children x dates) block adds row
    after row, as ``np.bincount`` adds the same rows one by one (checked in
    tests/test_rollup_grid.py); the trailing ``+ 0.0`` gives bincount's +0.0 where all children are -0.0.
    """
    def sum_by(values: np.ndarray) -> np.ndarray:
        values = np.ascontiguousarray(values)
        out = np.empty((len(first), k))
        for g, (a, b) in enumerate(zip(first.tolist(), end.tolist(), strict=True)):
            np.add.reduce(values[a:b], axis=0, out=out[g])
        return (out + 0.0).T.ravel()

    return sum_by


def _blocks_before(level: Level, part: Part) -> list:
    """The blocks of the level below that come before ``part``'s (its rows start after theirs)."""
    return [p.nodes for p in level.parts if p.leaf_columns is None and p.made_block < part.made_block]


def _flat(piece: dict) -> dict:
    """A part's child rows as 1-D arrays (leaf parts: their one-hot counts made), in row order."""
    shape = piece["gid"].shape
    out = {"gid": piece["gid"].ravel()}
    for c in ("code", "weight", "progress", "expected_progress"):
        out[c] = np.broadcast_to(piece[c], shape).ravel()
    if "onehot" in piece:
        c = piece["onehot"].ravel()
        out |= {"n_leaves": np.ones(len(c), dtype="int64"),
                **{f"n_{key}": (c == n).astype("int64") for n, key in enumerate(STATUS_KEYS)},
                "n_overdue": piece["n_overdue"].ravel().astype("int64")}
    else:
        out |= {c: piece[c].ravel() for c in LEAF_COUNT_COLUMNS}
    return out
