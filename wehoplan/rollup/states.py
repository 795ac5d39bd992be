"""Stage 2: the as-of state of every leaf at every date (GUIDE §3 "As-of state", "Schedule").

The state of a leaf on D is its latest update dated on or before D; the lookup is one
as-of join of all dates at once (``snap`` column), so a trend is one computation.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from wehoplan.domain import STATUS_KEYS
from wehoplan.rollup import engine, rules
from wehoplan.rollup.engine import plain_pages_for, rows_looked_up
from wehoplan.rollup.rules import DAY_NS, Thresholds
from wehoplan.rollup.tree import PreparedTree

_UPDATE_COLUMNS = ["id", "item_id", "as_of", "status", "progress", "comment"]
STATE_COLUMNS = ["snap", "id", "status", "progress", "last_update", "comment", "comment_date",
                 "expected_progress", "overdue", "due_soon", "stale"]


def snaps(dates) -> pd.DatetimeIndex:
    """The as-of dates ``dates`` stands for: normalised, unique, sorted."""
    if isinstance(dates, (list, tuple)) and len(dates) == 1 and type(dates[0]) is pd.Timestamp and dates[0].tz is None:
        # One plain date (a page's as-of): the same index without the conversions of a general list.
        return pd.DatetimeIndex(np.array([dates[0].as_unit("ns").normalize().value], dtype="datetime64[ns]"))
    idx = pd.DatetimeIndex(pd.to_datetime(pd.Index(np.atleast_1d(dates)))).normalize()
    if idx.hasnans or not len(idx):  # a missing date or none: as before (a set and sort of Timestamps)
        return pd.DatetimeIndex(sorted(set(idx.astype("datetime64[ns]"))))
    return pd.DatetimeIndex(np.unique(idx.to_numpy(dtype="datetime64[ns]")))


def _sorted_by_date_id(ups: pd.DataFrame) -> bool:
    """Tell whether rows are in (as_of, id) order already (what the loaders return)."""
    d = ups["as_of"].to_numpy()
    i = ups["id"].to_numpy()
    return bool(((d[1:] > d[:-1]) | ((d[1:] == d[:-1]) & (i[1:] > i[:-1]))).all())


def merge_asof_by_id(left: pd.DataFrame, right: pd.DataFrame, on: str,
                     leaf_ids: np.ndarray | None = None, n_snaps: int = 0, *,
                     last_of_day: bool = False) -> pd.DataFrame:
    """``pd.merge_asof(left, right, left_on="snap", right_on=on, by="id", direction="backward")``.

    When ``left`` is the trend grid (``n_snaps`` sorted dates, each followed by the
    ``leaf_ids`` in one fixed order), ``right`` holds at most one row per (id, date)
    and every date is a whole day (what the loaders give), the lookup is one
    ``np.searchsorted`` of sorted (id, day) keys, several times faster than
    merge_asof on a large grid. Anything else goes through merge_asof itself.

    ``last_of_day``: ``right`` may hold several rows per (id, date), in the order they were
    recorded, and the last one counts (what ``drop_duplicates(keep="last")`` would keep).
    The lookup's stable sort keeps that order and takes the last equal key, so the fast
    path needs no de-duplication pass (most of a one-date roll-up's time on a long history).
    """
    if last_of_day:
        fast_result = _lookup_last(left, right, on, leaf_ids, n_snaps)
        if fast_result is not None:
            return fast_result
        right = right.drop_duplicates(["id", on], keep="last")
    return _merge_asof_by_id(left, right, on, leaf_ids, n_snaps)


def _lookup_last(left: pd.DataFrame, right: pd.DataFrame, on: str, leaf_ids: np.ndarray | None,
                 n_snaps: int) -> pd.DataFrame | None:
    """The fast path of :func:`merge_asof_by_id` alone (None when it does not apply)."""
    if leaf_ids is None:
        return None
    return _merge_asof_by_id(left, right, on, leaf_ids, n_snaps, fallback=False)


def _merge_asof_by_id(left: pd.DataFrame, right: pd.DataFrame, on: str, leaf_ids: np.ndarray | None,
                      n_snaps: int, fallback: bool = True) -> pd.DataFrame | None:
    snap = left["snap"].to_numpy(dtype="datetime64[ns]").view("int64")
    when = right[on].to_numpy(dtype="datetime64[ns]").view("int64")
    r_ids = right["id"].to_numpy()
    nat = np.iinfo("int64").min
    if leaf_ids is None:
        return pd.merge_asof(left, right, left_on="snap", right_on=on, by="id", direction="backward")
    fast = (len(right) > 0 and len(left) == len(leaf_ids) * n_snaps > 0
            and not (when == nat).any() and not (snap == nat).any()
            and not (when % DAY_NS).any() and not (snap % DAY_NS).any())
    if fast:
        n_leaves = len(leaf_ids)
        by_id = np.argsort(leaf_ids, kind="stable")
        sorted_ids = leaf_ids[by_id]
        rank_r = np.searchsorted(sorted_ids, r_ids)
        fast = bool((rank_r < n_leaves).all()) and bool((sorted_ids[np.minimum(rank_r, n_leaves - 1)] == r_ids).all())
        firsts = snap[::n_leaves]  # the grid's dates, one per snap
        snap_days = firsts // DAY_NS
        fast = (fast and bool((np.diff(firsts) > 0).all()) and np.array_equal(snap, np.repeat(firsts, n_leaves))
                and np.array_equal(left["id"].to_numpy(), np.tile(leaf_ids, n_snaps)))
    if not fast:
        if not fallback:
            return None
        return pd.merge_asof(left, right, left_on="snap", right_on=on, by="id", direction="backward")
    day_r = when // DAY_NS
    low = min(int(day_r.min()), int(snap_days.min()))
    width = max(int(day_r.max()), int(snap_days.max())) - low + 1
    key_r = rank_r * width + (day_r - low)
    order = np.argsort(key_r, kind="stable")
    key_sorted = key_r[order]
    # Needles in (leaf rank, snap) order are sorted: searchsorted walks both arrays once.
    key_l = (np.arange(n_leaves)[:, None] * width + (snap_days - low)[None, :]).ravel()
    at = np.searchsorted(key_sorted, key_l, side="right") - 1
    hit = (at >= 0) & (key_sorted[np.maximum(at, 0)] // width == key_l // width)
    take_rank_major = np.where(hit, order[np.maximum(at, 0)], -1)
    # Back to the grid's order: snap-major, leaves in their given order.
    take = take_rank_major.reshape(n_leaves, len(snap_days))[np.argsort(by_id)].T.ravel()
    extra = {c: right[c].array.take(take, allow_fill=True) for c in right.columns if c != "id"}
    return left.assign(**{c: pd.Series(v, index=left.index) for c, v in extra.items()})


def _grid(at: pd.DatetimeIndex, leaves: pd.DataFrame) -> pd.DataFrame:
    """Every (snap, leaf) pair: each date followed by all leaves in their order.

    Built by repeat/tile when the leaf columns are plain numpy (what prepare_tree gives), the
    same frame a cross merge sorted by snap gives at a fraction of its cost on many dates.
    """
    if all(isinstance(leaves[c].dtype, np.dtype) for c in leaves.columns):
        n = len(leaves)
        cols = {"snap": np.repeat(at.to_numpy(dtype="datetime64[ns]"), n)}
        cols |= {c: np.tile(leaves[c].to_numpy(), len(at)) for c in leaves.columns}
        return pd.DataFrame(cols)
    return (pd.DataFrame({"snap": at}).merge(leaves, how="cross").sort_values("snap", kind="stable")
            .reset_index(drop=True))


def _no_rows() -> np.ndarray:
    return np.zeros(0, "int64")


@dataclass(frozen=True, eq=False)
class PreparedUpdates:
    """A plan's leaf updates as lookup arrays, made once per tree and data version (:func:`prepare_updates`).

    What every as-of lookup needs and no date changes: the leaves' updates sorted once by
    (leaf, day, recorded) as integer keys, each key carrying its row and its leaf's latest
    commented row so far, and each row's day and status code. Rows are positions in
    ``updates``, the caller's frame itself: nothing of the history is copied (the day and
    progress arrays are views of its columns when their dtypes allow).
    :func:`leaf_states` takes it instead of the updates frame, so a lookup at new dates is
    one ``searchsorted``.
    """

    tree: PreparedTree
    updates: pd.DataFrame  # the frame given to prepare_updates, not copied; rows below are its positions
    code: np.ndarray  # int8 status code of each row (rules.CODE), -1 for anything else (missing, unknown)
    progress: np.ndarray  # float64 progress of each row
    when: np.ndarray  # each row's as_of in nanoseconds (int64)
    whole_days: bool  # every leaf update's as_of is a whole day (what the loaders give): the array lookup applies
    known: bool = False  # every leaf update's status is one of STATUS_KEYS: states carry codes, words made from them
    low: int = 0  # the first leaf update's day
    width: int = 1  # days per leaf in a key: (last - first) + 2 (key day 0 is "before any update")
    key: np.ndarray = field(default_factory=_no_rows)  # leaf * width + (day - low + 1), sorted (int32 when it fits)
    src: np.ndarray = field(default_factory=_no_rows)  # the row of each key
    # per key: the leaf's latest row at or before it with a non-blank comment, as its place among the
    # commented rows below (-1: none)
    src_commented: np.ndarray = field(default_factory=_no_rows)
    # The commented rows' comments and as_of (ns), in row order: a copy of the ~6 % of the history that
    # has a comment, so each lookup's take reads a buffer that size instead of the whole text column.
    commented_text: pd.api.extensions.ExtensionArray = field(default_factory=lambda: pd.array([], dtype="string"))
    commented_when: np.ndarray = field(default_factory=_no_rows)

    @property
    def frame(self) -> pd.DataFrame:
        """The leaves' updates (``id, item_id, as_of, status, progress, comment``) in (as_of, id) order.

        A new frame, made on each call: only the lookups that cannot use the arrays
        (updates not dated in whole days) read it.
        """
        return _leaf_updates(self.tree, self.updates)


def _leaf_updates(tree: PreparedTree, updates: pd.DataFrame) -> pd.DataFrame:
    """The updates of ``tree``'s leaves, the columns the lookups read, in (as_of, id) order, indexed 0..n-1."""
    ups = updates[_UPDATE_COLUMNS]
    mine = ups["item_id"].isin(tree.leaves["id"].to_numpy())
    if not mine.all():
        ups = ups[mine]
    if not _sorted_by_date_id(ups):
        ups = ups.sort_values(["as_of", "id"], kind="stable")
    return ups.reset_index(drop=True)


def _row_numbers(a: np.ndarray, n_rows: int) -> np.ndarray:
    """``a`` (row numbers, -1 for none) in 32 bits when every row number fits: half the memory of 64."""
    return a.astype(np.int32) if n_rows <= np.iinfo(np.int32).max else a.astype(np.int64, copy=False)


def prepare_updates(tree: PreparedTree, updates: pd.DataFrame) -> PreparedUpdates:
    """The :class:`PreparedUpdates` of ``updates`` for ``tree`` (compute once per data version).

    The leaves' rows in (day, recorded) order (the loaders' order: no sort then) are sorted
    once more, stably, by leaf: (leaf, day, recorded) order (a radix sort when the leaf
    positions fit 16 bits); the commented rows are a subsequence of that order. Rows of
    items that are not the tree's leaves (archived items, parents) get no key.
    """
    if not isinstance(tree, PreparedTree):
        raise TypeError("prepare_updates needs a PreparedTree: call prepare_tree(items) first")
    from wehoplan.rollup.engine import status_codes  # engine reads the tree, not the states

    leaf_ids = tree.leaves["id"].to_numpy()
    item_id = updates["item_id"].to_numpy()
    mine = updates["item_id"].isin(leaf_ids).to_numpy(dtype=bool)
    when = updates["as_of"].to_numpy(dtype="datetime64[ns]").view("int64")  # a view of the column when it is ns
    rows = np.flatnonzero(mine) if not mine.all() else None  # the leaves' rows; None: every row
    del mine
    if not _sorted_by_date_id(updates):  # (as_of, id) order, as the stable sort of the frame gives
        mine_rows = rows if rows is not None else np.arange(len(updates))
        ids = updates["id"].to_numpy()
        rows = mine_rows[np.lexsort((ids[mine_rows], when[mine_rows]))]
    w = when if rows is None else when[rows]
    whole = not (w == np.iinfo("int64").min).any() and not (w % DAY_NS).any()
    # Status codes of every row (int8: six statuses); ``known`` is about the leaves' rows only.
    code = status_codes(updates["status"]).astype(np.int8)
    known = not ((code if rows is None else code[rows]) < 0).any()
    base = PreparedUpdates(tree=tree, updates=updates, code=code,
                           progress=updates["progress"].to_numpy(dtype="float64", na_value=np.nan),
                           whole_days=whole, known=known, when=when)
    if not (whole and len(w)):
        return base
    day = w // DAY_NS
    del w
    by_id = np.argsort(leaf_ids, kind="stable")
    mine_ids = np.asarray(item_id if rows is None else item_id[rows], dtype=leaf_ids.dtype)
    # Leaf positions in 16 bits when they fit (a radix sort), else 32: the prepared arrays stay small
    # while they are made (a county's history is millions of rows).
    small = np.int16 if len(leaf_ids) <= np.iinfo(np.int16).max else np.int32
    leaf = by_id.astype(small)[np.searchsorted(leaf_ids[by_id], mine_ids)]
    del mine_ids
    order = np.argsort(leaf, kind="stable")
    low = int(day.min())
    width = int(day.max()) - low + 2
    leaf_sorted = leaf[order]
    del leaf
    key = leaf_sorted.astype(np.int64) * width + (day[order] - low + 1)
    del day
    if (len(leaf_ids) + 1) * width <= np.iinfo(np.int32).max:  # keys in 32 bits when every key fits
        key = key.astype(np.int32)
    n_rows = len(updates)
    src = _row_numbers(order if rows is None else rows[order], n_rows)  # each key's row in ``updates``
    del order, rows
    comment = updates["comment"]
    has_comment = comment.notna().to_numpy(dtype=bool, copy=True)
    if has_comment.any():
        has_comment &= (comment.astype("string").str.strip() != "").to_numpy(dtype=bool, na_value=False)
    # The commented rows are a subsequence of the key order: the latest commented row on or before a
    # key is the last commented position up to it (a running maximum), if it is the same leaf's.
    at = np.maximum.accumulate(np.where(has_comment[src], np.arange(len(src), dtype=src.dtype), -1))
    commented = np.flatnonzero(has_comment)  # the commented rows, in row order
    place = np.cumsum(has_comment, dtype=np.int64)  # each commented row's place among them (+ 1)
    del has_comment
    place -= 1
    # Keys are in leaf order: the last commented position is this leaf's when its leaf is this key's.
    safe = np.maximum(at, 0)
    src_commented = np.where((at >= 0) & (leaf_sorted[safe] == leaf_sorted), place[src[safe]], -1)
    del place
    return dataclasses.replace(base, low=low, width=width, key=key, src=src,
                               src_commented=_row_numbers(src_commented, len(commented)),
                               commented_text=comment.array.take(commented), commented_when=when[commented])


def _latest_keys(prep: PreparedUpdates, snap_days: np.ndarray, n_leaves: int) -> np.ndarray:
    """Each (leaf, snap)'s latest key on or before the snap, as its place in the keys (-1: none), ``(leaf, snap)``.

    Keys are in (leaf, day, recorded) order, so the latest key of a leaf on or before a snap is the
    last of its keys dated up to it. Each key serves the snaps from the first one on or after
    its day; numbered ``leaf * (snaps + 1) + that snap``, the keys stay in order, so each
    number's last key is where the number changes. Those are written into the (leaf, snap)
    grid and carried forward to the later snaps of each leaf (a running maximum: places grow
    along a leaf). One pass over the keys in their order and one over the grid: no binary
    search of every needle in millions of keys.
    """
    k = len(snap_days)
    key = prep.key
    width = prep.width
    if n_leaves * k * SEARCH_PER_KEY < len(key):  # a few dates: a binary search per needle reads less
        return _searched_keys(prep, snap_days, n_leaves)
    # The first snap on or after each key day (key day 1 is the first update's day, prep.low).
    first_snap = np.searchsorted(snap_days, np.arange(prep.low - 1, prep.low - 1 + width), side="left")
    leaf = key // width
    number = leaf.astype(np.int64) * (k + 1) + first_snap[key - leaf * width]
    del leaf
    last = np.flatnonzero(number[1:] != number[:-1])  # each number's last key, but the very last
    places = np.append(last, len(key) - 1)
    small = np.int32 if len(key) <= np.iinfo(np.int32).max else np.int64
    grid = np.full((n_leaves, k + 1), -1, dtype=small)
    grid.ravel()[number[places]] = places
    del number, places, last
    np.maximum.accumulate(grid, axis=1, out=grid)
    return grid[:, :k]


# A binary search of one needle in the keys costs about as much as this many keys of the ordered
# pass: the two break even near 16 dates on the 10k and the 100k plans (needles = a quarter of the
# keys; 0.25 against 2.0 ms for one date, 11.6 against 6.5 ms for 60 at 10k actions).
SEARCH_PER_KEY = 4


def _searched_keys(prep: PreparedUpdates, snap_days: np.ndarray, n_leaves: int) -> np.ndarray:
    """:func:`_latest_keys` by one ``searchsorted`` of every (leaf, snap) needle in the sorted keys.

    The last key on or before a needle is the latest state when it is the same leaf's (a key
    below the leaf's first is another leaf's); a date before every update looks for key
    day 0, which no key has, one after all of them for the last day.
    """
    k, key, width = len(snap_days), prep.key, prep.width
    needles = (np.arange(n_leaves)[:, None] * width
               + np.clip(snap_days - prep.low + 1, 0, width - 1)[None, :]).astype(key.dtype, copy=False)
    at = np.searchsorted(key, needles.ravel(), side="right").reshape(n_leaves, k)
    at -= 1
    hit = key[np.maximum(at, 0)] >= (np.arange(n_leaves) * width)[:, None]
    hit &= at >= 0
    at[~hit] = -1
    return at


def _latest_rows(prep: PreparedUpdates, latest: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Some snaps' columns of :func:`_latest_keys`, snap-major: (no such key, the key's row, its comment).

    The key's row is -1 where there is none; its latest comment is a place among the commented
    rows (-1: none), the one the key carries.
    """
    at = latest.T.ravel()  # back to the grid's order (snap-major) once; the rows are then taken in that order
    miss = at < 0
    safe = np.maximum(at, 0)
    taken = []
    for src in (prep.src, prep.src_commented):
        rows = src[safe]
        rows[miss] = -1
        taken.append(rows)
    return miss, taken[0], taken[1]


def _taken(values: np.ndarray, safe: np.ndarray, hit: np.ndarray, missing) -> np.ndarray:
    """``np.where(hit, values[safe], missing)``, made in the taken array itself."""
    out = values[safe]
    out[~hit] = missing
    return out


def _update_days(last_update: np.ndarray, hit: np.ndarray) -> np.ndarray:
    """The day number of each state's latest update where ``hit`` (NaN elsewhere): updates dated in whole days.

    Read from the states' own ``last_update`` column, not taken a second time from the history's
    dates at scattered rows (a county's 6 M).
    """
    d = (last_update.view("int64") // DAY_NS).astype("float64")
    d[~hit] = np.nan
    return d


def _taken_days(when: np.ndarray, take: np.ndarray) -> np.ndarray:
    """``when`` (ns) at the positions ``take`` (NaT for -1) as datetime64[ns]."""
    if not len(when):  # nothing to take (no commented row): every position is -1
        return np.full(len(take), np.datetime64("NaT"), dtype="datetime64[ns]")
    ns = when[np.maximum(take, 0)]
    ns[take < 0] = np.iinfo("int64").min
    return ns.view("datetime64[ns]")


@plain_pages_for(rows_looked_up)  # a county's fresh full-size columns (see engine.plain_pages)
def leaf_states(tree: PreparedTree, updates: pd.DataFrame | PreparedUpdates, dates,
                thresholds: Thresholds) -> pd.DataFrame:
    """State of every leaf at every date in ``dates`` (GUIDE §3 "As-of state").

    A leaf's state on D is its latest update dated on or before D (several on one day:
    the last recorded); with none it is pending at 0 %. A completed leaf counts as
    100 %. Also computes expected progress and the overdue / due-soon / stale flags,
    and carries the latest non-empty comment with its date. It does not depend on any
    filter: compute it once per data version and dates, then roll up per filter.

    Args:
        tree: the prepared tree.
        updates: the plan's updates, or their :func:`prepare_updates` for this tree
            (made once per data version: the lookups at new dates then skip the conversions).
        dates: the as-of dates.
        thresholds: the due-soon and stale thresholds.

    Returns:
        One row per (snap, leaf): ``snap, id, status, progress, last_update,
        comment, comment_date, expected_progress, overdue, due_soon, stale``.

    """
    if not isinstance(tree, PreparedTree):
        raise TypeError("leaf_states needs a PreparedTree: call prepare_tree(items) first")
    prep = updates if isinstance(updates, PreparedUpdates) else prepare_updates(tree, updates)
    if prep.tree is not tree:
        raise ValueError("these PreparedUpdates were made for another tree: call prepare_updates(tree, updates)")
    at = snaps(dates)
    leaf_id, leaf_start, leaf_due = tree.leaf_arrays
    n, k = len(leaf_id), len(at)
    if not (prep.whole_days and n and k and len(prep.key)):
        return _leaf_states_frames(tree, prep.frame, at, thresholds)
    days = at.to_numpy(dtype="datetime64[ns]")
    snap_days = days.view("int64") // DAY_NS
    # Dates in blocks whose (date x leaf) rows fit the caches: the lookups and rules are per row,
    # so each block's rows are the same values, written in place into the full-length columns.
    step = k if not prep.known else max(1, min(k, engine.BLOCK_ROWS // n))
    rows = n * k
    take_c = np.empty(rows, dtype="int64")
    code = np.empty(rows, dtype="int64") if prep.known else None  # the states' codes stay int64 (the roll-up's)
    cols = {c: np.empty(rows, dtype=t) for c, t in (
        ("progress", "float64"), ("last_update", "datetime64[ns]"), ("comment_date", "datetime64[ns]"),
        ("expected_progress", "float64"), ("overdue", bool), ("due_soon", bool), ("stale", bool))}
    start, due = leaf_start[None, :], leaf_due[None, :]
    leaf_days = tree.leaf_days
    if leaf_days is not None:
        start_d, due_d = leaf_days[0][None, :], leaf_days[1][None, :]
    status_array = None
    latest = _latest_keys(prep, snap_days, n)
    for lo in range(0, k, step):
        hi = min(k, lo + step)
        r = slice(lo * n, hi * n)
        kb = hi - lo
        miss, take, take_c[r] = _latest_rows(prep, latest[:, lo:hi])
        # The rules are elementwise: dates as a column, the leaves' dates as a row, broadcast to (date x leaf).
        on = days[lo:hi, None]
        last_update = _taken_days(prep.when, take)
        hit = ~miss
        safe = np.maximum(take, 0)
        if code is None:  # a word outside STATUS_KEYS (or none) travels as the update's own text (one block)
            status = rules.leaf_status(pd.Series(prep.updates["status"].array.take(take, allow_fill=True)))
            completed, open_ = (status == "completed").to_numpy(dtype=bool), rules.is_open(status)
            status_array = status.array
        else:  # codes all the way, the words made once
            c = prep.code[safe]
            c[miss] = rules.PENDING
            code[r] = c
            completed, open_ = c == rules.COMPLETED, rules.is_open_code(c)
        open2 = open_.reshape(kb, n)
        cols["progress"][r] = rules.leaf_progress_of(completed, _taken(prep.progress, safe, hit, np.nan))
        cols["last_update"][r] = last_update
        cols["comment_date"][r] = _taken_days(prep.commented_when, take_c[r])
        if leaf_days is None:
            cols["expected_progress"][r] = rules.expected_progress(start, due, on).ravel()
            cols["overdue"][r] = rules.is_overdue(open2, due, on).ravel()
            cols["due_soon"][r] = rules.is_due_soon(open2, due, on, thresholds).ravel()
            cols["stale"][r] = rules.is_stale(open2, last_update.reshape(kb, n), on, thresholds).ravel()
        else:  # whole days as day numbers: the same rules without datetime arithmetic
            on_d = snap_days[lo:hi, None].astype("float64")
            cols["expected_progress"][r] = rules.expected_progress_days(start_d, due_d, on_d).ravel()
            left = due_d - on_d
            cols["overdue"][r] = rules.overdue_left(open2, left).ravel()
            cols["due_soon"][r] = rules.due_soon_left(open2, left, thresholds).ravel()
            since = on_d - _update_days(last_update, hit).reshape(kb, n)
            cols["stale"][r] = rules.stale_since(open2, since, thresholds).ravel()
    if code is not None:
        from wehoplan.rollup.engine import words

        status_array = words(code, STATUS_KEYS)
    from wehoplan.rollup.engine import frame as make_frame

    comment = prep.commented_text
    frame = make_frame({
        "snap": np.repeat(days, n),
        "id": np.tile(leaf_id, k),
        "status": status_array,
        "progress": cols["progress"],
        "last_update": cols["last_update"],
        "comment": comment.take(take_c, allow_fill=True),
        "comment_date": cols["comment_date"],
        "expected_progress": cols["expected_progress"],
        "overdue": cols["overdue"],
        "due_soon": cols["due_soon"],
        "stale": cols["stale"],
    }, rows)
    if code is not None:  # the roll-up reads the codes instead of the words, while the column is unchanged
        from wehoplan.rollup.grid import keep_codes

        keep_codes(frame, code)
    return frame


def _leaf_states_frames(tree: PreparedTree, ups: pd.DataFrame, at: pd.DatetimeIndex,
                        thresholds: Thresholds) -> pd.DataFrame:
    """:func:`leaf_states` on frames (merge_asof): updates not dated in whole days, no leaves or no dates."""
    leaves = tree.leaves
    grid = _grid(at, leaves)
    # Several updates on one day: the last one recorded wins (rows are in recorded order).
    last = ups[["item_id", "as_of", "status", "progress"]].rename(columns={"item_id": "id", "as_of": "last_update"})
    leaf_ids = leaves["id"].to_numpy()
    state = merge_asof_by_id(grid, last.astype({"last_update": "datetime64[ns]"}), "last_update",
                             leaf_ids, len(at), last_of_day=True)
    commented = ups[ups["comment"].notna()]
    commented = commented[commented["comment"].astype("string").str.strip() != ""][["item_id", "as_of", "comment"]]
    commented = commented.rename(columns={"item_id": "id", "as_of": "comment_date"})
    state = merge_asof_by_id(state, commented.astype({"comment_date": "datetime64[ns]"}), "comment_date",
                             leaf_ids, len(at), last_of_day=True)
    on, start, due, last_update = (state[c].to_numpy(dtype="datetime64[ns]")
                                   for c in ("snap", "start", "due", "last_update"))
    status = rules.leaf_status(state["status"])
    open_ = rules.is_open(status)
    idx = state.index
    return state.assign(
        status=status,
        progress=pd.Series(rules.leaf_progress(status, state["progress"].to_numpy(dtype="float64", na_value=np.nan)),
                           index=idx),
        expected_progress=pd.Series(rules.expected_progress(start, due, on), index=idx),
        overdue=pd.Series(rules.is_overdue(open_, due, on), index=idx),
        due_soon=pd.Series(rules.is_due_soon(open_, due, on, thresholds), index=idx),
        stale=pd.Series(rules.is_stale(open_, last_update, on, thresholds), index=idx),
    )[STATE_COLUMNS]


def first_completed(updates: pd.DataFrame, as_of) -> pd.Series:
    """Date of each item's first update with status completed on or before ``as_of`` (index item_id)."""
    as_of = pd.Timestamp(as_of).normalize()
    done = updates[(updates["status"] == "completed") & (updates["as_of"] <= as_of)]
    return done.groupby("item_id")["as_of"].min()
