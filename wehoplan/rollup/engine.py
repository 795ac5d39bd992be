"""The array engine under the roll-up: per-parent sums by ``np.bincount``, level by level.

It holds no rule of its own: it groups children by (snap, parent), sums what
:class:`wehoplan.rollup.rules.ChildSums` lists and asks :mod:`wehoplan.rollup.rules`
for each parent's progress, status, expected progress and dates. Plain numpy arrays
throughout: a frame per level and the per-level column selections were most of a
roll-up's time.
"""

from __future__ import annotations

import functools
from collections.abc import Sized
from contextlib import nullcontext

import numpy as np
import pandas as pd

from wehoplan.domain import STATUS_KEYS
from wehoplan.rollup import rules
from wehoplan.rollup.tree import ROOT_ID, PreparedTree
from wehoplan.switches import HUGE_PAGES

#: Rows of (date x leaf) worked on at once by the lookups of many dates (states) and by their roll-up
#: (grid): more dates than fit are done in blocks of dates, each block's rows written at their places
#: in the full-length columns, so a block's temporaries stay within the caches and reuse memory
#: instead of faulting in fresh full-size arrays. Read at each call (tests force tiny blocks).
BLOCK_ROWS = 1 << 20

COUNT_COLUMNS = [f"n_{k}" for k in STATUS_KEYS]
LEAF_COUNT_COLUMNS = ("n_leaves", *COUNT_COLUMNS, "n_overdue")
STATUS_TEXT = np.array(STATUS_KEYS, dtype=object)
_LEVEL_FIELDS = ("snap", "parent_key", "weight", "progress", "expected_progress", "code", "start", "due",
                 *LEAF_COUNT_COLUMNS)


# numpy asks the kernel (``madvise``) for huge pages for every array of 4 MB or more. A county's
# trend makes a few dozen fresh columns of ~48 MB each; on a machine whose memory is fragmented or
# not yet backed (a VM), faulting those in as huge pages stalls for seconds, erratically, while plain
# pages cost the same every run. The switch (wehoplan.switches.HUGE_PAGES) changes no value, only how
# memory is faulted in; it is process-wide, so it is counted (threads of one server may roll up at
# once) and numpy's own setting comes back when the last one ends.


#: Rows from which a roll-up's columns are county-sized: above 32 MB per float column glibc maps every
#: block fresh (never recycled), which is where huge pages stall; below it they are recycled and
#: numpy's huge pages help (fewer TLB misses).
LARGE_ROWS = 4_000_000


def plain_pages(rows: int = LARGE_ROWS):
    """A context in which numpy asks for no huge pages (``switches.HUGE_PAGES``) when ``rows`` is county-sized.

    Results are unchanged. Below :data:`LARGE_ROWS` it changes nothing.
    """
    return HUGE_PAGES.off() if rows >= LARGE_ROWS else nullcontext()


def rows_rolled_up(*args, **kwargs) -> int:
    """The rows of ``roll_up_many(tree, states, ...)``'s call: its states' rows."""
    states = args[1] if len(args) > 1 else kwargs.get("states")
    return len(states) if isinstance(states, Sized) else 0


def rows_looked_up(*args, **kwargs) -> int:
    """The rows of ``leaf_states(tree, updates, dates, ...)``'s call: leaves x dates."""
    tree = args[0] if args else kwargs.get("tree")
    dates = args[2] if len(args) > 2 else kwargs.get("dates")
    return len(getattr(tree, "leaves", ())) * (len(dates) if isinstance(dates, Sized) else 1)


def plain_pages_for(rows_of):
    """Decorate a function to run in :func:`plain_pages` of ``rows_of(*args, **kwargs)`` rows."""
    def decorate(function):
        @functools.wraps(function)
        def run(*args, **kwargs):
            with plain_pages(rows_of(*args, **kwargs)):
                return function(*args, **kwargs)

        return run

    return decorate


def status_codes(status: pd.Series) -> np.ndarray:
    """Status keys as positions in STATUS_KEYS (-1 for anything else, e.g. missing)."""
    return vocabulary_codes(status, STATUS_KEYS)


def vocabulary_codes(values, vocabulary: tuple[str, ...]) -> np.ndarray:
    """Each value's position in ``vocabulary`` (a few known keys: statuses, health), -1 for anything else.

    ``values``: a Series or a column's array.
    """
    try:  # Arrow's hash lookup: several times faster than a Categorical on many rows
        import pyarrow as pa
        import pyarrow.compute as pc

        own = values.array if isinstance(values, pd.Series) else values
        # An Arrow-backed text column is read as it is (a cast to "string" first copies it).
        arr = own.__arrow_array__().cast(pa.large_string()) if isinstance(own.dtype, pd.StringDtype) \
            and hasattr(own, "__arrow_array__") else pa.array(values.astype("string"), type=pa.large_string())
        return pc.index_in(arr, value_set=pa.array(vocabulary, type=pa.large_string())).fill_null(-1).to_numpy(
            zero_copy_only=False).astype("int64")
    except ImportError:
        return pd.Categorical(values, categories=vocabulary).codes.astype("int64")


def words(codes: np.ndarray, vocabulary: tuple[str, ...]) -> pd.api.extensions.ExtensionArray:
    """``vocabulary[code]`` of each code as a ``string`` array (-1: missing), made in Arrow without Python strings."""
    try:
        import pyarrow as pa

        codes = np.asarray(codes)
        # A take from the few words (a dictionary cast does the same, a little slower).
        return pd.arrays.ArrowStringArray(pa.array(vocabulary, type=pa.large_string()).take(
            pa.array(codes, mask=codes < 0)))
    except ImportError:
        text = np.array([*vocabulary, None], dtype=object)
        return pd.array(text[np.where(np.asarray(codes) < 0, len(vocabulary), codes)], dtype="string")


def group_numbers(frame: pd.DataFrame, keys: list[str]) -> np.ndarray:
    """Group number of each row in first-appearance order (-1: a key is missing)."""
    if len(keys) != 2:
        return frame.groupby(keys, sort=False).ngroup().to_numpy()
    # Two keys: factorize each, combine the codes, factorize the pairs (first appearance
    # again): the same numbering as groupby(sort=False).ngroup() at a fraction of its cost.
    a, b = (pd.factorize(frame[k])[0].astype("int64") for k in keys)
    out = np.full(len(frame), -1, dtype="int64")
    ok = (a >= 0) & (b >= 0)
    if ok.any():
        out[ok] = pd.factorize(a[ok] * (int(b.max()) + 1) + b[ok])[0]
    return out


def child_sums(gid: np.ndarray, n_groups: int, code: np.ndarray, w: np.ndarray, p: np.ndarray,
               e: np.ndarray, sum_by=None) -> tuple[rules.ChildSums, np.ndarray]:
    """The sums the rules need per group, and the children per (group, status) (column 0: unknown).

    Rows may come as 2-D grids (a weight per child broadcast over the dates); the sums run
    over the raveled rows in order (``np.bincount``), or through ``sum_by(values)``, which
    must add each group's values in that same order.
    """
    gid = np.ravel(gid)
    counted = code != rules.DEFERRED
    score = rules.SCORE_BY_CODE[code]
    scored = counted & (code != rules.PENDING)
    e_ok = counted & ~np.isnan(e)
    # With finite weights and progress, known statuses and no infinite expected progress no
    # summed value below can be NaN: one check here instead of one per sum.
    clean = (bool(np.isfinite(w).all()) and bool(np.isfinite(p).all()) and not bool((code < 0).any())
             and not bool(np.isinf(e).any()))

    def total(values: np.ndarray) -> np.ndarray:
        # groupby().sum() skips NaN: so does this.
        if not clean and np.isnan(values).any():
            values = np.where(np.isnan(values), 0.0, values)
        if sum_by is not None:
            return sum_by(values)
        return np.bincount(gid, weights=np.ravel(values), minlength=n_groups)

    n_codes = len(STATUS_KEYS) + 1  # children per (group, status) in one pass: the counts derive from it
    per_code = np.bincount(gid * n_codes + (np.ravel(code) + 1), minlength=n_groups * n_codes).reshape(
        n_groups, n_codes)
    n_all = per_code.sum(axis=1).astype("float64")
    n_counted = n_all - per_code[:, rules.DEFERRED + 1]
    # Each masked value is made in one scratch array, summed, then overwritten by the next:
    # np.where(mask, x, 0.0) value for value, without a fresh array per sum.
    buf = np.empty(np.broadcast_shapes(np.shape(code), np.shape(w), np.shape(p), np.shape(e)))

    def full(x: np.ndarray) -> np.ndarray:
        return x if np.shape(x) == buf.shape else np.broadcast_to(x, buf.shape)

    def masked(mask: np.ndarray, a: np.ndarray, b: np.ndarray | None = None) -> np.ndarray:
        buf.fill(0.0)
        if b is None:
            np.copyto(buf, full(a), where=mask)
        else:  # a * b where mask
            np.multiply(a, b, out=buf, where=full(mask))
        return buf

    def flag(mask: np.ndarray) -> np.ndarray:
        np.copyto(buf, full(mask))
        return buf

    e_nan = np.isnan(e)
    n_scored = n_counted - per_code[:, rules.PENDING + 1]
    weight_counted = total(masked(counted, w))
    weighted_progress = total(masked(counted, w, p))
    weight_scored = total(masked(scored, w))
    weighted_score = total(masked(scored, w, score))
    weight_expected = total(masked(e_ok, w))
    weighted_expected = total(masked(e_ok, w, e))
    # The plain sums are read only by groups whose children weigh 0 (plain means) or are all
    # deferred; with no such group the rules pick the weighted values everywhere, so they are not
    # summed (the placeholder is never picked: the same results).
    unused = np.zeros(n_groups)
    all_deferred = bool((n_counted == 0).any())
    need_expected = bool(((n_counted > 0) & ~(weight_expected > 0)).any())
    sums = rules.ChildSums(
        n_all=n_all,
        n_counted=n_counted,
        n_completed=per_code[:, rules.COMPLETED + 1].astype("float64"),
        n_pending=per_code[:, rules.PENDING + 1].astype("float64"),
        weight_counted=weight_counted,
        weighted_progress=weighted_progress,
        progress_counted=(total(masked(counted, p)) if ((n_counted > 0) & ~(weight_counted > 0)).any()
                          else unused),
        progress_all=total(p) if all_deferred else unused,
        n_scored=n_scored,
        weight_scored=weight_scored,
        weighted_score=weighted_score,
        score_scored=total(masked(scored, score)) if ((n_scored > 0) & ~(weight_scored > 0)).any() else unused,
        n_expected=total(flag(e_ok)) if need_expected else unused,
        weight_expected=weight_expected,
        weighted_expected=weighted_expected,
        expected_counted=total(masked(e_ok, e)) if need_expected else unused,
        n_expected_all=total(flag(~e_nan)) if all_deferred else unused,
        expected_all=total(masked(~e_nan, e)) if all_deferred else unused,
    )
    return sums, per_code


def _counts(gid: np.ndarray, n_groups: int, per_code: np.ndarray, ch: dict, leaves_only: bool) -> dict:
    """Leaf counts per group: children that are all leaves (one-hot status counts) reuse ``per_code``."""
    if leaves_only:
        return {
            "n_leaves": per_code.sum(axis=1).astype("int64"),
            **{c: per_code[:, n + 1].astype("int64") for n, c in enumerate(COUNT_COLUMNS)},
            "n_overdue": np.bincount(gid, weights=np.asarray(ch["n_overdue"], dtype="float64"),
                                     minlength=n_groups).astype("int64"),
        }
    return {c: np.bincount(gid, weights=np.asarray(ch[c], dtype="float64"), minlength=n_groups).astype("int64")
            for c in LEAF_COUNT_COLUMNS}


def aggregate(children: pd.DataFrame, keys: list[str], thresholds: rules.Thresholds | None = None) -> pd.DataFrame:
    """Roll ``children`` up into one row per ``keys`` group with the parent rules of GUIDE §3.

    ``children`` needs ``weight, progress, status, expected_progress`` and the leaf
    counts ``n_leaves, n_<status>..., n_overdue``. Groups are not items (e.g. a
    department), so their expected progress is always rolled up. With ``thresholds``, each
    group also gets its schedule ``health`` (never overdue: a group is not a leaf).
    """
    code = status_codes(children["status"])
    w, p, e = (children[c].to_numpy(dtype="float64", na_value=np.nan)
               for c in ("weight", "progress", "expected_progress"))
    gid = group_numbers(children, keys)
    valid = gid >= 0  # rows with a missing key belong to no group (as in groupby().sum())
    if not valid.all():
        children, gid = children[valid], gid[valid]
        code, w, p, e = (x[valid] for x in (code, w, p, e))
    n_groups = int(gid.max()) + 1 if len(gid) else 0
    _, first = np.unique(gid, return_index=True)
    sums, per_code = child_sums(gid, n_groups, code, w, p, e)
    counts = _counts(gid, n_groups, per_code, {c: children[c].to_numpy() for c in LEAF_COUNT_COLUMNS}, False)
    keys_frame = children[keys].iloc[first].reset_index(drop=True)
    values = {"progress": rules.parent_progress(sums),
              "status": pd.array(STATUS_TEXT[rules.parent_status(sums)], dtype="string"),
              "expected_progress": rules.rolled_expected_progress(sums)}
    health = {} if thresholds is None else {"health": pd.array(rules.schedule_health(
        np.asarray(values["status"], dtype=object), values["progress"], values["expected_progress"],
        np.zeros(n_groups, dtype=bool), thresholds), dtype="string")}
    return pd.concat([keys_frame, pd.DataFrame({**values, **counts, **health}, index=keys_frame.index)], axis=1)


def _group_extreme(values: np.ndarray, gid: np.ndarray, n_groups: int, how: np.ufunc) -> np.ndarray:
    """Per-group min (``np.minimum``) or max (``np.maximum``) of datetimes, NaT skipped (NaT for none)."""
    ints = values.view("int64")
    fill = np.iinfo("int64").max if how is np.minimum else np.iinfo("int64").min + 1
    out = np.full(n_groups, fill, dtype="int64")
    how.at(out, gid, np.where(np.isnat(values), fill, ints))
    out[out == fill] = np.iinfo("int64").min  # NaT
    return out.view("datetime64[ns]")


def leaf_counts(states: pd.DataFrame, code: np.ndarray) -> dict[str, np.ndarray]:
    """Each leaf row's own counts: one leaf, one-hot status, its overdue flag."""
    return {
        "n_leaves": np.ones(len(states), dtype="int64"),
        **{f"n_{k}": (code == n).astype("int64") for n, k in enumerate(STATUS_KEYS)},
        "n_overdue": states["overdue"].to_numpy().astype("int64"),
    }


def _values(v: pd.Series | np.ndarray, dtype: str) -> np.ndarray:
    """A leaf column (a Series of the states or an array made for them) as a numpy array."""
    if isinstance(v, np.ndarray):
        return v.astype(dtype, copy=False)
    return v.to_numpy(dtype=dtype, na_value=np.nan) if dtype == "float64" else v.to_numpy(dtype=dtype)


def roll_levels(nodes: pd.DataFrame | dict, tree: PreparedTree, code: np.ndarray) -> dict[str, np.ndarray] | None:
    """Aggregate the leaf rows up the tree, deepest level first; the parents' columns, or None.

    Each level's children are the leaves at that depth, then the parents made at deeper
    levels that sit at it, in the order they were made (first-appearance group order).
    """
    leaf = {
        "snap": _values(nodes["snap"], "datetime64[ns]"),
        "parent_key": _values(nodes["parent_key"], "int64"),
        "weight": _values(nodes["weight"], "float64"),
        "progress": _values(nodes["progress"], "float64"),
        "expected_progress": _values(nodes["expected_progress"], "float64"),
        "code": code,
        "start": _values(nodes["start"], "datetime64[ns]"),
        "due": _values(nodes["due"], "datetime64[ns]"),
        **{c: _values(nodes[c], "int64") for c in LEAF_COUNT_COLUMNS},
    }
    leaf_depth = _values(nodes["depth"], "int64")
    made: list[dict[str, np.ndarray]] = []
    for d in range(tree.max_depth, 0, -1):
        parts = []
        at_d = leaf_depth == d
        if at_d.all():
            parts.append(leaf)
        elif at_d.any():
            parts.append({k: v[at_d] for k, v in leaf.items()})
        leaves_only = bool(parts)  # so far only leaf rows
        for level in made:
            here = level["depth"] == d
            if here.any():
                leaves_only = False
            if here.all():
                parts.append(level)
            elif here.any():
                parts.append({k: level[k][here] for k in _LEVEL_FIELDS})
        if not parts:
            continue
        ch = parts[0] if len(parts) == 1 else {k: np.concatenate([p[k] for p in parts]) for k in _LEVEL_FIELDS}
        if len(ch["snap"]):
            made.append(_roll_one_level(ch, tree.nodes, leaves_only))
    if not made:
        return None
    out = {k: np.concatenate([m[k] for m in made]) if len(made) > 1 else made[0][k] for k in made[0]}
    n_out = len(out["id"])
    return {
        "snap": out["snap"], "id": out["id"], "progress": out["progress"],
        "status": pd.array(STATUS_TEXT[out["code"]], dtype="string"),
        "expected_progress": out["expected_progress"],
        **{c: out[c] for c in LEAF_COUNT_COLUMNS},
        "depth": out["depth"], "parent_key": out["parent_key"], "weight": out["weight"],
        "start": out["start"], "due": out["due"],
        "overdue": np.zeros(n_out, dtype=bool), "due_soon": np.zeros(n_out, dtype=bool),
        "stale": np.zeros(n_out, dtype=bool),
    }


def _roll_one_level(ch: dict[str, np.ndarray], info: pd.DataFrame, leaves_only: bool) -> dict[str, np.ndarray]:
    """One level of :func:`roll_levels`: the children's (snap, parent) groups as parent rows."""
    a = pd.factorize(ch["snap"])[0].astype("int64")
    b = pd.factorize(ch["parent_key"])[0].astype("int64")
    gid = pd.factorize(a * (int(b.max()) + 1) + b)[0].astype("int64")  # first-appearance order
    n_groups = int(gid.max()) + 1
    # Numbered by first appearance, a group starts where its number first exceeds all before it
    # (what np.unique(return_index=True) gives, without sorting every row).
    first = np.flatnonzero(np.r_[True, gid[1:] > np.maximum.accumulate(gid)[:-1]])
    sums, per_code = child_sums(gid, n_groups, ch["code"], ch["weight"], ch["progress"], ch["expected_progress"])
    counts = _counts(gid, n_groups, per_code, ch, leaves_only)
    ids = ch["parent_key"][first]
    snap = ch["snap"][first]
    is_root = ids == ROOT_ID
    # One index lookup for the parents' own attributes (the plan row has none: NaN / NaT).
    pos = info.index.get_indexer(ids)
    pos[is_root] = -1

    def parent(col: str) -> np.ndarray:
        return pd.api.extensions.take(info[col].to_numpy(), pos, allow_fill=True)

    own_start = parent("start").astype("datetime64[ns]")
    own_due = parent("due").astype("datetime64[ns]")
    start, due = rules.parent_span(own_start, own_due, _group_extreme(ch["start"], gid, n_groups, np.minimum),
                                   _group_extreme(ch["due"], gid, n_groups, np.maximum))
    depth, pkey, weight = (parent(c).astype("float64") for c in ("depth", "parent_key", "weight"))
    return {
        "snap": snap, "id": ids, "progress": rules.parent_progress(sums), "code": rules.parent_status(sums),
        "expected_progress": rules.parent_expected_progress(sums, own_start, own_due, snap), **counts,
        "depth": np.where(is_root, 0, np.where(np.isnan(depth), 0, depth)).astype("int64"),
        "parent_key": np.where(is_root, -1, np.where(np.isnan(pkey), -1, pkey)).astype("int64"),
        "weight": np.where(is_root, 1.0, np.where(np.isnan(weight), 1.0, weight)),
        "start": start, "due": due,
    }


def stack_columns(leaves: dict, parents: dict | None) -> dict:
    """The leaf rows then the parent rows, column by column (what ``pd.concat`` of two frames gives).

    A column both have with one numpy dtype is joined with ``np.concatenate``; any other
    (the leaves' own, e.g. comment, missing for parents) by ``pd.concat`` of that column,
    so its dtype and missing values are pandas' own.
    """
    n_parents = 0 if parents is None else len(parents["id"])
    cols: dict = {}
    for c, s in leaves.items():
        right = None if parents is None else parents.get(c)
        if isinstance(s, np.ndarray) and isinstance(right, np.ndarray) and right.dtype == s.dtype:
            cols[c] = np.concatenate([s, right])
            continue
        left = pd.Series(s, copy=False) if isinstance(s, np.ndarray) else s.reset_index(drop=True)
        if parents is None:  # copies: the table is built from these without copying
            cols[c] = left.to_numpy(copy=True) if isinstance(left.dtype, np.dtype) else left.array.copy()
            continue
        if isinstance(right, np.ndarray) and isinstance(left.dtype, np.dtype) and right.dtype == left.dtype:
            cols[c] = np.concatenate([left.to_numpy(), right])
            continue
        other = (pd.Series(right, copy=False) if right is not None
                 else pd.Series(left.array.take(np.full(n_parents, -1), allow_fill=True)))
        cols[c] = pd.concat([left, other], ignore_index=True).array
        if isinstance(cols[c].dtype, np.dtype):
            cols[c] = cols[c].to_numpy()
    return cols


def _tree_column(arr, is_object: bool, c: str, pos: np.ndarray, root: np.ndarray):
    """The tree's column ``c`` at positions ``pos`` (-1: none; ``root``: the plan row's values)."""
    taken = pd.Series(pd.api.extensions.take(arr, pos, allow_fill=True), dtype=object if is_object else None)
    if c == "code":
        taken = taken.where(~root, "")
    elif c == "level":
        taken = taken.where(~root, "Plan")
    elif c in ("depth", "order"):
        taken = taken.fillna(0 if c == "depth" else -1).astype("int64")
    return taken.to_numpy() if is_object else taken.array


def tree_columns_with_plan_row(tree_cols: dict) -> dict:
    """Each decorated column for the tree's rows, then one more entry: the plan row's values.

    A table's columns are then one plain ``take`` each (no fill, no per-column fix-up of the plan row).
    """
    n = len(next(iter(tree_cols.values()))[0]) if tree_cols else 0
    pos = np.append(np.arange(n), -1)
    root = np.append(np.zeros(n, dtype=bool), True)
    return {c: _tree_column(arr, is_object, c, pos, root) for c, (arr, is_object) in tree_cols.items()}


_SMALL = 50_000  # rows: below, checks and inference cost more than a copy of the columns into blocks


def frame(cols: dict, n_rows: int) -> pd.DataFrame:
    """A frame of ready columns (1-D numpy arrays or extension arrays, all ``n_rows`` long).

    What ``pd.DataFrame(cols, copy=False)`` gives (object arrays stay object). A small
    frame is built without the constructor's per-column checks and inference (its numeric
    columns are copied into blocks); a large one as it is, without that copy.
    """
    from_arrays = getattr(pd.DataFrame, "_from_arrays", None)
    if n_rows > _SMALL or from_arrays is None:
        return pd.DataFrame({c: (pd.Series(v, dtype=object, copy=False) if isinstance(v, np.ndarray)
                                 and v.dtype == object else v) for c, v in cols.items()}, copy=False)
    return from_arrays(list(cols.values()), pd.Index(list(cols)), pd.RangeIndex(n_rows), verify_integrity=False)


def decorate(cols: dict, tree: PreparedTree) -> pd.DataFrame:
    """The roll-up's columns as one table: rows in (snap, outline order), the tree's columns beside.

    The plan row (id 0) gets code "", level "Plan", depth 0, order -1 and no other tree value.
    """
    id_index, tree_order, tree_cols = tree.decorate
    ids = np.asarray(cols["id"])
    pos = id_index.get_indexer(ids)
    order = np.where(pos >= 0, tree_order[pos] if len(tree_order) else -1, -1)
    idx = np.lexsort((order, np.asarray(cols["snap"])))
    pos = pos[idx]
    root = ids[idx] == ROOT_ID
    out: dict = {c: (v[idx] if isinstance(v, np.ndarray) else v.take(idx))
                 for c, v in cols.items() if c not in ("depth", "weight", "snap")}
    if bool((root == (pos < 0)).all()):  # every row is a tree item or the plan row: one take per column
        ext = np.where(root, len(tree_order), pos)
        for c, values in tree.decorate_with_plan_row.items():
            out[c] = values.take(ext)
    else:
        for c, (arr, is_object) in tree_cols.items():
            out[c] = _tree_column(arr, is_object, c, pos, root)
    for c, (_, is_object) in tree_cols.items():
        if is_object:  # object columns stay object (a plain array of strings would be inferred as str)
            out[c] = pd.Series(out[c], dtype=object, copy=False)
    return pd.DataFrame(out, copy=False)
