"""The roll-up core (GUIDE §3): pure pandas, DataFrame in, new DataFrame out.

The same code evaluates one as-of date or many: every step is keyed by a ``snap``
column (the as-of date), so a trend over sixty month-ends is one grouped computation,
and ``trend at D == roll-up at D`` holds by construction.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import numpy as np
import pandas as pd

from wehoplan.domain import (
    ON_TRACK_MIN_SCORE,
    SOME_DISRUPTION_MIN_SCORE,
    STATUS_KEYS,
    STATUS_SCORES,
    code_sort_key,
)
from wehoplan.filters import Filters

ROOT_ID = 0  # the virtual plan node above the top level
COUNT_COLUMNS = [f"n_{k}" for k in STATUS_KEYS]
ROLLUP_COLUMNS = [
    "progress", "status", "expected_progress", "n_leaves", *COUNT_COLUMNS, "n_overdue",
]


_STATUS_INDEX = {k: n for n, k in enumerate(STATUS_KEYS)}
_PENDING, _COMPLETED, _DEFERRED = (_STATUS_INDEX[k] for k in ("pending", "completed", "deferred"))
# Score by status code; NaN for the unscored (pending, deferred) and for unknown (-1, last).
_SCORE_BY_CODE = np.array([float(STATUS_SCORES.get(k, np.nan)) for k in STATUS_KEYS] + [np.nan])


def _status_codes(status: pd.Series) -> np.ndarray:
    """Status keys as positions in STATUS_KEYS (-1 for anything else, e.g. missing)."""
    try:  # Arrow's hash lookup: ~8 ms for 600k statuses against ~60 ms for a Categorical
        import pyarrow as pa
        import pyarrow.compute as pc

        arr = pa.array(status.astype("string"), type=pa.large_string())
        return pc.index_in(arr, value_set=pa.array(STATUS_KEYS, type=pa.large_string())).fill_null(-1).to_numpy(
            zero_copy_only=False).astype("int64")
    except ImportError:
        return pd.Categorical(status, categories=STATUS_KEYS).codes.astype("int64")


@dataclass(frozen=True)
class Thresholds:
    """Schedule flag thresholds (settings ``due_soon_days`` and ``stale_days``)."""

    due_soon_days: int = 30
    stale_days: int = 90

    @classmethod
    def from_config(cls, cfg) -> Thresholds:
        """Take the thresholds from a :class:`wehoplan.config.Config`."""
        return cls(due_soon_days=cfg.due_soon_days, stale_days=cfg.stale_days)


# ---------------------------------------------------------------- the tree


def prepare_tree(items: pd.DataFrame) -> pd.DataFrame:
    """Add structure and inherited values to a plan's items.

    Adds ``depth`` (1 = top level), ``is_leaf``, ``parent_key`` (0 for top level),
    ``order`` (outline order), ``top_code`` (the strategy's code), the effective
    ``owner``/``department``/``partners``/``smart`` (own value, else the nearest
    ancestor's; originals kept as ``own_*``), and ``path_codes``/``path_text`` used
    by filters. Archived items and everything under them are dropped.
    """
    if "depth" in items.columns:
        return items
    df = items[~items["archived"]] if "archived" in items.columns else items
    ids = set(df["id"].tolist())
    # Drop children whose parent is archived or missing, repeatedly (whole subtrees).
    while True:
        orphan = df["parent_id"].notna() & ~df["parent_id"].isin(ids)
        if not orphan.any():
            break
        df = df[~orphan]
        ids = set(df["id"].tolist())

    # Plain lists and dicts, parents before children: 10k items in ~40 ms where the
    # recursive, per-value version took ~200 ms (a cold load pays this on every page).
    ids = df["id"].tolist()
    parent = dict(zip(ids, df["parent_id"].astype("float64").fillna(ROOT_ID).astype("int64").tolist(), strict=True))
    keys = ("owner", "department", "partners", "smart")
    own = {k: df[k].tolist() for k in keys}
    # blank = None / NaN / NA or only whitespace once turned into text (as str(v).strip()).
    blank = {k: (df[k].isna() | (df[k].astype("str").str.strip() == "")).tolist() for k in keys}
    pos = {i: n for n, i in enumerate(ids)}
    code = dict(zip(ids, df["code"].tolist(), strict=True))
    title = dict(zip(ids, df["title"].tolist(), strict=True))

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

    eff: dict[str, dict[int, object]] = {k: {} for k in keys}
    path_codes: dict[int, str] = {}
    path_text: dict[int, str] = {}
    for i in sorted(ids, key=depth.__getitem__):
        n = pos[i]
        p = parent[i]
        top = p == ROOT_ID
        path_codes[i] = ("|" if top else path_codes[p]) + f"{code[i]}|"
        path_text[i] = ("" if top else path_text[p] + " ") + f"{code[i]} {title[i]}"
        for k in keys:
            # Partners travel with the lead department: inherited together or not at all.
            if k == "partners":
                if blank["department"][n] and not top:
                    v = eff[k][p]
                    eff[k][i] = None if v is None else v
                else:
                    eff[k][i] = None if blank[k][n] else own[k][n]
            elif blank[k][n]:
                eff[k][i] = None if top else eff[k][p]
            else:
                eff[k][i] = own[k][n]

    has_children = set(parent.values())
    sort_keys = {i: code_sort_key(code[i]) for i in ids}
    order = sorted(ids, key=sort_keys.__getitem__)
    rank = {i: n for n, i in enumerate(order)}

    def col(values: dict) -> pd.Series:
        # Same values, same inference as ``df["id"].map(values)``.
        return pd.Series([values[i] for i in ids], index=df.index)

    out = df.assign(
        **{f"own_{k}": df[k] for k in keys},
        owner=col(eff["owner"]),
        department=col(eff["department"]),
        partners=col(eff["partners"]),
        smart=col(eff["smart"]).fillna(""),
        parent_key=col(parent).astype("int64"),
        depth=col(depth).astype("int64"),
        is_leaf=~df["id"].isin(has_children),
        order=col(rank).astype("int64"),
        path_codes=col(path_codes),
        path_text=col(path_text),
    )
    out = out.assign(top_code=out["path_codes"].astype("string").str.split("|").str[1])
    return out.sort_values("order").reset_index(drop=True)


# ---------------------------------------------------------------- leaf state


def _snaps(dates) -> pd.DatetimeIndex:
    idx = pd.DatetimeIndex(pd.to_datetime(pd.Index(np.atleast_1d(dates)))).normalize()
    return pd.DatetimeIndex(sorted(set(idx.astype("datetime64[ns]"))))


def _sorted_by_date_id(ups: pd.DataFrame) -> bool:
    """Tell whether rows are in (as_of, id) order already (what the loaders return)."""
    d = ups["as_of"].to_numpy()
    i = ups["id"].to_numpy()
    return bool(((d[1:] > d[:-1]) | ((d[1:] == d[:-1]) & (i[1:] > i[:-1]))).all())


def _days(later: pd.Series, earlier: pd.Series) -> pd.Series:
    """Whole days between two date columns (NaN where either is missing), like ``.dt.days``."""
    delta = later.to_numpy(dtype="datetime64[ns]") - earlier.to_numpy(dtype="datetime64[ns]")
    return pd.Series(np.floor(delta / np.timedelta64(1, "D")), index=later.index)


_DAY_NS = 86_400 * 10**9


def _merge_asof_by_id(left: pd.DataFrame, right: pd.DataFrame, on: str,
                      leaf_ids: np.ndarray | None = None, n_snaps: int = 0) -> pd.DataFrame:
    """``pd.merge_asof(left, right, left_on="snap", right_on=on, by="id", direction="backward")``.

    When ``left`` is the trend grid (``n_snaps`` sorted dates, each followed by the
    ``leaf_ids`` in one fixed order), ``right`` holds at most one row per (id, date)
    and every date is a whole day (what the loaders give), the lookup is one
    ``np.searchsorted`` of sorted (id, day) keys: several times faster than
    merge_asof on a 600k-row grid. Anything else goes through merge_asof itself.
    """
    snap = left["snap"].to_numpy(dtype="datetime64[ns]").view("int64")
    when = right[on].to_numpy(dtype="datetime64[ns]").view("int64")
    r_ids = right["id"].to_numpy()
    nat = np.iinfo("int64").min
    fast = (leaf_ids is not None and len(right) > 0 and len(left) == len(leaf_ids) * n_snaps > 0
            and not (when == nat).any() and not (snap == nat).any()
            and not (when % _DAY_NS).any() and not (snap % _DAY_NS).any())
    if fast:
        n_leaves = len(leaf_ids)
        by_id = np.argsort(leaf_ids, kind="stable")
        sorted_ids = leaf_ids[by_id]
        rank_r = np.searchsorted(sorted_ids, r_ids)
        fast = bool((rank_r < n_leaves).all()) and bool((sorted_ids[np.minimum(rank_r, n_leaves - 1)] == r_ids).all())
        firsts = snap[::n_leaves]  # the grid's dates, one per snap
        snap_days = firsts // _DAY_NS
        fast = (fast and bool((np.diff(firsts) > 0).all()) and np.array_equal(snap, np.repeat(firsts, n_leaves))
                and np.array_equal(left["id"].to_numpy(), np.tile(leaf_ids, n_snaps)))
    if not fast:
        return pd.merge_asof(left, right, left_on="snap", right_on=on, by="id", direction="backward")
    day_r = when // _DAY_NS
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


def leaf_states(
    tree: pd.DataFrame,
    updates: pd.DataFrame,
    dates,
    thresholds: Thresholds = Thresholds(),
) -> pd.DataFrame:
    """State of every leaf at every date in ``dates`` (GUIDE §3 "As-of state").

    A leaf's state on D is its latest update dated on or before D (several on one day:
    the last recorded); with none it is pending at 0 %. A completed leaf counts as
    100 %. Also computes expected progress and the overdue / due-soon / stale flags,
    and carries the latest non-empty comment with its date.

    Returns:
        One row per (snap, leaf): ``snap, id, status, progress, last_update,
        comment, comment_date, expected_progress, overdue, due_soon, stale``.

    """
    tree = prepare_tree(tree)
    snaps = _snaps(dates)
    leaves = tree.loc[tree["is_leaf"], ["id", "start", "due"]]
    grid = (
        pd.DataFrame({"snap": snaps})
        .merge(leaves, how="cross")
        .sort_values("snap", kind="stable")
        .reset_index(drop=True)
    )
    # Only the columns used here are carried (filtering 600k rows of author/source text
    # costs); the loaders return rows already in (as_of, id) order: no re-sort then.
    ups = updates[["id", "item_id", "as_of", "status", "progress", "comment"]]
    mine = ups["item_id"].isin(leaves["id"])
    if not mine.all():
        ups = ups[mine]
    if not _sorted_by_date_id(ups):
        ups = ups.sort_values(["as_of", "id"], kind="stable")
    # Several updates on one day: the last one recorded wins.
    last = ups.drop_duplicates(["item_id", "as_of"], keep="last")
    last = last[["item_id", "as_of", "status", "progress"]].rename(columns={"item_id": "id", "as_of": "last_update"})
    leaf_ids = leaves["id"].to_numpy()
    state = _merge_asof_by_id(grid, last.astype({"last_update": "datetime64[ns]"}), "last_update",
                              leaf_ids, len(snaps))
    commented = ups[ups["comment"].notna()]
    commented = commented[commented["comment"].astype("string").str.strip() != ""]
    commented = commented.drop_duplicates(["item_id", "as_of"], keep="last")[["item_id", "as_of", "comment"]]
    commented = commented.rename(columns={"item_id": "id", "as_of": "comment_date"})
    state = _merge_asof_by_id(state, commented.astype({"comment_date": "datetime64[ns]"}), "comment_date",
                              leaf_ids, len(snaps))
    status = state["status"].fillna("pending").astype("string")
    progress = state["progress"].fillna(0.0).astype("float64").where(status != "completed", 100.0)
    span = _days(state["due"], state["start"])
    elapsed = _days(state["snap"], state["start"])
    expected = np.where(
        span > 0, np.clip((elapsed / span.where(span > 0)).to_numpy(), 0, 1) * 100.0,
        np.where(state["snap"] >= state["due"], 100.0, 0.0),
    )
    has_dates = state["start"].notna() & state["due"].notna()
    open_ = ~status.isin(["completed", "deferred"])
    days_to_due = _days(state["due"], state["snap"])
    age = _days(state["snap"], state["last_update"])
    return state.assign(
        status=status,
        progress=progress,
        expected_progress=pd.Series(expected, index=state.index).where(has_dates),
        overdue=(open_ & (days_to_due < 0)).fillna(False).astype(bool),
        due_soon=(open_ & days_to_due.between(0, thresholds.due_soon_days)).fillna(False).astype(bool),
        stale=(open_ & (age > thresholds.stale_days)).fillna(False).astype(bool),
    )[[
        "snap", "id", "status", "progress", "last_update", "comment", "comment_date",
        "expected_progress", "overdue", "due_soon", "stale",
    ]]


# ---------------------------------------------------------------- aggregation


def _group_numbers(frame: pd.DataFrame, keys: list[str]) -> np.ndarray:
    """Group number of each row in first-appearance order (-1: a key is missing)."""
    if len(keys) != 2:
        return frame.groupby(keys, sort=False).ngroup().to_numpy()
    # Two keys: factorize each, combine the codes, factorize the pairs (first appearance
    # again): the same numbering as groupby(sort=False).ngroup() at a third of its cost.
    a, b = (pd.factorize(frame[k])[0].astype("int64") for k in keys)
    out = np.full(len(frame), -1, dtype="int64")
    ok = (a >= 0) & (b >= 0)
    if ok.any():
        out[ok] = pd.factorize(a[ok] * (int(b.max()) + 1) + b[ok])[0]
    return out


def aggregate(children: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Roll ``children`` up into one row per ``keys`` group (GUIDE §3 roll-up rules).

    ``children`` needs ``weight, progress, status, expected_progress`` and the leaf
    counts ``n_leaves, n_<status>..., n_overdue``. Progress and expected progress are
    weighted means over non-deferred children (plain means when those weigh 0); a
    group whose children are all deferred is deferred with the plain mean of theirs.
    Status: all non-deferred completed -> completed; all pending -> pending; else the
    weighted mean score of the scored children decides.
    """
    return _aggregate(children, keys)


def _aggregate(children: pd.DataFrame, keys: list[str], gid: np.ndarray | None = None,
               leaves_only: bool = False, columns_only: bool = False):
    """:func:`aggregate`, optionally with the group numbers already computed.

    ``leaves_only``: every child is a leaf row made by :func:`_leaf_counts`.
    ``columns_only``: return ``(keys frame, {column: array})`` instead of the frame, for
    a caller that adds columns of its own and builds one frame at the end.
    """
    # Integer status codes and plain numpy: mapping and comparing 600k status strings
    # per level was most of a 60-date trend's time.
    code = _status_codes(children["status"])
    w = children["weight"].to_numpy(dtype="float64", na_value=np.nan)
    p = children["progress"].to_numpy(dtype="float64", na_value=np.nan)
    e = children["expected_progress"].to_numpy(dtype="float64", na_value=np.nan)
    # Group sums with np.bincount over group numbers (first-appearance order, like
    # groupby(sort=False)): building a 25-column frame to sum it cost more than the sums.
    gid = _group_numbers(children, keys) if gid is None else gid
    valid = gid >= 0  # rows with a missing key belong to no group (as in groupby().sum())
    if not valid.all():
        children, gid = children[valid], gid[valid]
        code, w, p, e = (x[valid] for x in (code, w, p, e))
    n_groups = int(gid.max()) + 1 if len(gid) else 0
    _, first = np.unique(gid, return_index=True)
    sums, per_code = _group_sums(gid, n_groups, code, w, p, e, with_per_code=True)
    if leaves_only:
        # Children that are all leaves (from _leaf_counts: n_leaves 1, n_<status> one-hot of
        # the status): their counts are the (group, status) counts already made above.
        counts = {
            "n_leaves": per_code.sum(axis=1).astype("int64"),
            **{c: per_code[:, n + 1].astype("int64") for n, c in enumerate(COUNT_COLUMNS)},
            "n_overdue": np.bincount(gid, weights=children["n_overdue"].to_numpy(dtype="float64"),
                                     minlength=n_groups).astype("int64"),
        }
    else:
        counts = {c: np.bincount(gid, weights=children[c].to_numpy(dtype="float64"), minlength=n_groups).astype("int64")
                  for c in ["n_leaves", *COUNT_COLUMNS, "n_overdue"]}
    # The sums stay numpy arrays (assigning 18 columns to a frame and reading them back
    # cost more than the arithmetic on a filtered selection).
    g = sums
    keys_frame = children[keys].iloc[first].reset_index(drop=True)
    values = _aggregate_values(g)
    if columns_only:
        return keys_frame, {**values, **counts}
    return pd.concat(
        [keys_frame, pd.DataFrame(values, index=keys_frame.index), pd.DataFrame(counts, index=keys_frame.index)],
        axis=1,
    )


def _group_sums(gid: np.ndarray, n_groups: int, code: np.ndarray, w: np.ndarray, p: np.ndarray, e: np.ndarray,
                with_per_code: bool = False):
    """The group sums the roll-up rules need (see :func:`_aggregate_values`), by ``np.bincount``."""
    nd = code != _DEFERRED
    score = _SCORE_BY_CODE[code]
    scored = nd & (code != _PENDING)
    e_ok = nd & ~np.isnan(e)
    zero = 0.0

    def total(values: np.ndarray) -> np.ndarray:
        # groupby().sum() skips NaN: so does this.
        if np.isnan(values).any():
            values = np.where(np.isnan(values), 0.0, values)
        return np.bincount(gid, weights=values, minlength=n_groups)

    # Children per (group, status) in one pass: the plain counts all derive from it.
    n_codes = len(STATUS_KEYS) + 1
    per_code = np.bincount(gid * n_codes + (code + 1), minlength=n_groups * n_codes).reshape(n_groups, n_codes)
    c_all = per_code.sum(axis=1).astype("float64")
    c_nd = c_all - per_code[:, _DEFERRED + 1]
    sums = {
        "c_all": c_all,
        "c_nd": c_nd,
        "c_done": per_code[:, _COMPLETED + 1].astype("float64"),
        "c_pend": per_code[:, _PENDING + 1].astype("float64"),
        "w_nd": total(np.where(nd, w, zero)),
        "wp_nd": total(np.where(nd, w * p, zero)),
        "p_nd": total(np.where(nd, p, zero)),
        "p_all": total(p),
        "c_s": c_nd - per_code[:, _PENDING + 1],
        "w_s": total(np.where(scored, w, zero)),
        "ws": total(np.where(scored, w * score, zero)),
        "s_plain": total(np.where(scored, score, zero)),
        "c_e": total(e_ok.astype("float64")),
        "w_e": total(np.where(e_ok, w, zero)),
        "we": total(np.where(e_ok, w * e, zero)),
        "e_plain": total(np.where(e_ok, e, zero)),
        "c_e_all": total((~np.isnan(e)).astype("float64")),
        "e_all": total(np.where(np.isnan(e), zero, e)),
    }
    return (sums, per_code) if with_per_code else sums


def _aggregate_values(g: dict[str, np.ndarray], codes: bool = False) -> dict[str, np.ndarray]:
    """Progress, status and expected progress of each group from its sums (GUIDE §3).

    ``codes``: the status as positions in STATUS_KEYS (key ``code``) instead of text.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        progress = np.where(
            g["w_nd"] > 0, g["wp_nd"] / g["w_nd"],
            np.where(g["c_nd"] > 0, g["p_nd"] / g["c_nd"], g["p_all"] / g["c_all"]),
        )
        mean_score = np.where(g["w_s"] > 0, g["ws"] / g["w_s"], g["s_plain"] / g["c_s"])
        expected = np.where(
            g["c_nd"] == 0,
            np.where(g["c_e_all"] > 0, g["e_all"] / g["c_e_all"], np.nan),
            np.where(g["w_e"] > 0, g["we"] / g["w_e"], np.where(g["c_e"] > 0, g["e_plain"] / g["c_e"], np.nan)),
        )
    conditions = [g["c_nd"] == 0, g["c_done"] == g["c_nd"], g["c_pend"] == g["c_nd"],
                  mean_score >= ON_TRACK_MIN_SCORE, mean_score >= SOME_DISRUPTION_MIN_SCORE]
    order = ["deferred", "completed", "pending", "on_track", "some_disruption"]
    if codes:
        code = np.select(conditions, [_STATUS_INDEX[k] for k in order], default=_STATUS_INDEX["major_disruption"])
        return {"progress": progress, "code": code.astype("int64"), "expected_progress": expected}
    status = np.select(conditions, order, default="major_disruption")
    return {"progress": progress, "status": pd.array(status, dtype="string"), "expected_progress": expected}


def _leaf_counts(states: pd.DataFrame, code: np.ndarray | None = None, **more) -> pd.DataFrame:
    code = _status_codes(states["status"]) if code is None else code
    # One concat of a frame of new columns: ``assign`` inserts them one by one (each insert
    # rebuilds the column index), ~1 ms per roll-up.
    extra = {
        "n_leaves": np.ones(len(states), dtype="int64"),
        **{f"n_{k}": (code == n).astype("int64") for n, k in enumerate(STATUS_KEYS)},
        "n_overdue": states["overdue"].to_numpy().astype("int64"),
        **more,
    }
    return pd.concat([states, pd.DataFrame(extra, index=states.index)], axis=1)


def _leaf_columns(states: pd.DataFrame, code: np.ndarray, **more) -> dict:
    """:func:`_leaf_counts`' columns without the frame: the states' Series, then new arrays.

    The roll-up reads them as arrays (:func:`_roll_levels`, :func:`_stack_columns`);
    building the frame first cost ~10 ms on a 60-date trend's 600k leaf rows.
    """
    return {
        **{c: states[c] for c in states.columns},
        "n_leaves": np.ones(len(states), dtype="int64"),
        **{f"n_{k}": (code == n).astype("int64") for n, k in enumerate(STATUS_KEYS)},
        "n_overdue": states["overdue"].to_numpy().astype("int64"),
        **more,
    }


def _group_extreme(values: np.ndarray, gid: np.ndarray, n_groups: int, how: np.ufunc) -> np.ndarray:
    """Per-group min (``np.minimum``) or max (``np.maximum``) of datetimes, NaT skipped.

    Like ``groupby(gid).min()``/``max()`` (NaT when a group has no date), without the
    groupby machinery: ~1 ms a level on every filter change.
    """
    ints = values.view("int64")
    nat = np.isnat(values)
    fill = np.iinfo("int64").max if how is np.minimum else np.iinfo("int64").min + 1
    out = np.full(n_groups, fill, dtype="int64")
    how.at(out, gid, np.where(nat, fill, ints))
    out[out == fill] = np.iinfo("int64").min  # NaT
    return out.view("datetime64[ns]")


def _expected_arrays(s: np.ndarray, d: np.ndarray, n: np.ndarray) -> np.ndarray:
    # Plain numpy (same arithmetic as .dt.days / Series.clip / where, NaT compares False):
    # the pandas version cost ~3 ms a level, on every filter change.
    day = np.timedelta64(1, "D")
    span = np.floor((d - s) / day)
    elapsed = np.floor((n - s) / day)
    with np.errstate(invalid="ignore", divide="ignore"):
        val = np.where(span > 0, np.clip(elapsed / np.where(span > 0, span, np.nan), 0, 1) * 100.0,
                       np.where(n >= d, 100.0, 0.0))
    return np.where(np.isnat(s) | np.isnat(d), np.nan, val)


# ---------------------------------------------------------------- roll-up

# Per-tree derived frames (filter-independent), keyed by the tree object itself. A page
# rerun rolls the same cached, read-only tree up several times (table, trend, forecast):
# slicing its leaves' text columns and indexing it cost ~3 ms each time. Entries die with
# their tree (weak reference); trees are never modified in place (copy-on-write habits).
_TREE_MEMO: dict[int, tuple[weakref.ref, dict]] = {}


def _tree_memo(tree: pd.DataFrame) -> dict:
    key = id(tree)
    hit = _TREE_MEMO.get(key)
    if hit is not None and hit[0]() is tree:
        return hit[1]
    memo: dict = {}
    _TREE_MEMO[key] = (weakref.ref(tree, lambda _r, k=key: _TREE_MEMO.pop(k, None)), memo)
    return memo


def _filter_leaves(tree: pd.DataFrame) -> pd.DataFrame:
    """The tree's leaves with only the columns the filter masks read (memoised per tree)."""
    memo = _tree_memo(tree)
    if "filter_leaves" not in memo:
        # Only the columns the masks read: copying every text column of the tree's leaves
        # cost more than the masks themselves on every filter change.
        cols = [c for c in ("id", "path_codes", "department", "partners", "owner", "smart", "path_text",
                            "description") if c in tree.columns]
        memo["filter_leaves"] = tree.loc[tree["is_leaf"].to_numpy(), cols]
    return memo["filter_leaves"]


def _node_info(tree: pd.DataFrame) -> pd.DataFrame:
    """Tree columns the roll-up reads, indexed by id (memoised per tree)."""
    memo = _tree_memo(tree)
    if "info" not in memo:
        memo["info"] = tree[["id", "depth", "parent_key", "weight", "start", "due", "is_leaf"]].set_index("id")
    return memo["info"]


def _structural_ids(tree: pd.DataFrame, leaves: pd.DataFrame, filters: Filters) -> np.ndarray:
    """Ids of the leaves passing the structural filters.

    The last answer is kept per tree (one entry): a page rolls the same filters up
    several times in one rerun (trends: series, completions, forecast).
    """
    memo = _tree_memo(tree)
    key = (filters.strategy, filters.department, filters.owner, filters.smart)
    last = memo.get("structural")
    if last is not None and last[0] == key:
        return last[1]
    ids = leaves.loc[filters.leaf_mask(leaves), "id"].to_numpy()
    memo["structural"] = (key, ids)
    return ids

_LEVEL_FIELDS = ("snap", "parent_key", "weight", "progress", "expected_progress", "code", "start", "due",
                 "n_leaves", *COUNT_COLUMNS, "n_overdue")
_STATUS_TEXT = np.array(STATUS_KEYS, dtype=object)


def _values(v: pd.Series | np.ndarray, dtype: str) -> np.ndarray:
    """A leaf column (a Series of the states or an array made for them) as a numpy array."""
    if isinstance(v, np.ndarray):
        return v.astype(dtype, copy=False)
    return v.to_numpy(dtype=dtype, na_value=np.nan) if dtype == "float64" else v.to_numpy(dtype=dtype)


def _roll_levels(nodes: pd.DataFrame | dict, info: pd.DataFrame, max_depth: int,
                 code: np.ndarray) -> dict[str, np.ndarray] | None:
    """Aggregate the leaf rows up the tree, deepest level first, in plain arrays.

    Each level's children are the leaves at that depth, then the groups made at deeper
    levels that sit at it (in the order they were made): the same rows, in the same
    order, that a frame per level gave, so group numbers, sums and row order are the same.
    The columns of all levels are returned as arrays (a frame per level and the per-level
    column selections were most of a filtered roll-up's time). None when no level is made.
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
        **{c: _values(nodes[c], "int64") for c in ("n_leaves", *COUNT_COLUMNS, "n_overdue")},
    }
    leaf_depth = _values(nodes["depth"], "int64")
    made: list[dict[str, np.ndarray]] = []
    for d in range(max_depth, 0, -1):
        parts = []
        at_d = leaf_depth == d
        if at_d.all():
            parts.append(leaf)
        elif at_d.any():
            parts.append({k: v[at_d] for k, v in leaf.items()})
        from_leaves_only = bool(parts)  # so far only leaf rows
        for level in made:
            here = level["depth"] == d
            if here.any():
                from_leaves_only = False
            if here.all():
                parts.append(level)
            elif here.any():
                parts.append({k: level[k][here] for k in _LEVEL_FIELDS})
        if not parts:
            continue
        ch = parts[0] if len(parts) == 1 else {k: np.concatenate([p[k] for p in parts]) for k in _LEVEL_FIELDS}
        if not len(ch["snap"]):
            continue
        made.append(_roll_one_level(ch, info, leaves_only=from_leaves_only))
    if not made:
        return None
    out = {k: np.concatenate([m[k] for m in made]) if len(made) > 1 else made[0][k] for k in made[0]}
    n_out = len(out["id"])
    return {
        "snap": out["snap"], "id": out["id"], "progress": out["progress"],
        "status": pd.array(_STATUS_TEXT[out["code"]], dtype="string"),
        "expected_progress": out["expected_progress"],
        **{c: out[c] for c in ("n_leaves", *COUNT_COLUMNS, "n_overdue")},
        "depth": out["depth"], "parent_key": out["parent_key"], "weight": out["weight"],
        "start": out["start"], "due": out["due"],
        "overdue": np.zeros(n_out, dtype=bool), "due_soon": np.zeros(n_out, dtype=bool),
        "stale": np.zeros(n_out, dtype=bool),
    }


def _is_leaf(info: pd.DataFrame, ids: np.ndarray) -> np.ndarray:
    """The tree's ``is_leaf`` of each id, False for ids not in the tree (the plan row).

    Same as ``reindex(ids).fillna(False).astype(bool)`` without the object-dtype detour
    (~20 ms on a 60-date trend's 600k rows).
    """
    pos = info.index.get_indexer(ids)
    flags = info["is_leaf"].to_numpy(dtype=bool)
    return np.where(pos >= 0, flags[np.where(pos >= 0, pos, 0)] if len(flags) else False, False)


def _roll_one_level(ch: dict[str, np.ndarray], info: pd.DataFrame, leaves_only: bool = False) -> dict[str, np.ndarray]:
    """One level of :func:`_roll_levels`: the children's (snap, parent) groups as arrays.

    ``leaves_only``: every child is a leaf (one-hot status counts): the counts come from
    the (group, status) counts the sums already made (on a 60-date trend, 600k children).
    """
    a = pd.factorize(ch["snap"])[0].astype("int64")
    b = pd.factorize(ch["parent_key"])[0].astype("int64")
    gid = pd.factorize(a * (int(b.max()) + 1) + b)[0].astype("int64")  # first-appearance order
    n_groups = int(gid.max()) + 1
    _, first = np.unique(gid, return_index=True)
    sums, per_code = _group_sums(gid, n_groups, ch["code"], ch["weight"], ch["progress"], ch["expected_progress"],
                                 with_per_code=True)
    values = _aggregate_values(sums, codes=True)
    if leaves_only:
        counts = {
            "n_leaves": per_code.sum(axis=1).astype("int64"),
            **{c: per_code[:, n + 1].astype("int64") for n, c in enumerate(COUNT_COLUMNS)},
            "n_overdue": np.bincount(gid, weights=ch["n_overdue"].astype("float64"),
                                     minlength=n_groups).astype("int64"),
        }
    else:
        counts = {c: np.bincount(gid, weights=ch[c].astype("float64"), minlength=n_groups).astype("int64")
                  for c in ("n_leaves", *COUNT_COLUMNS, "n_overdue")}
    span_start = _group_extreme(ch["start"], gid, n_groups, np.minimum)
    span_due = _group_extreme(ch["due"], gid, n_groups, np.maximum)
    ids = ch["parent_key"][first]
    snap = ch["snap"][first]
    is_root = ids == ROOT_ID
    # One index lookup for the parent attributes (five Series.map calls per level cost
    # ~5 ms per roll-up); a missing parent (or the plan row) gives NaN/NaT, as map does.
    pos = info.index.get_indexer(ids)
    pos[is_root] = -1

    def parent(col: str) -> np.ndarray:
        return pd.api.extensions.take(info[col].to_numpy(), pos, allow_fill=True)

    own_start = parent("start").astype("datetime64[ns]")
    own_due = parent("due").astype("datetime64[ns]")
    # No child has an expected progress: fall back to the parent's own dates.
    exp = values["expected_progress"]
    exp = np.where(np.isnan(exp), _expected_arrays(own_start, own_due, snap), exp)
    depth, pkey, weight = (parent(c).astype("float64") for c in ("depth", "parent_key", "weight"))
    return {
        "snap": snap, "id": ids, "progress": values["progress"], "code": values["code"],
        "expected_progress": exp, **counts,
        "depth": np.where(is_root, 0, np.where(np.isnan(depth), 0, depth)).astype("int64"),
        "parent_key": np.where(is_root, -1, np.where(np.isnan(pkey), -1, pkey)).astype("int64"),
        "weight": np.where(is_root, 1.0, np.where(np.isnan(weight), 1.0, weight)),
        "start": np.where(np.isnat(own_start), span_start, own_start),
        "due": np.where(np.isnat(own_due), span_due, own_due),
    }


def select_leaves(tree: pd.DataFrame, states: pd.DataFrame, filters: Filters | None) -> pd.DataFrame:
    """Keep the leaf states that pass ``filters`` (effective values; see GUIDE §4)."""
    if filters is None or filters.is_empty():
        return states
    tree = prepare_tree(tree)
    leaves = _filter_leaves(tree)
    keep_ids = _structural_ids(tree, leaves, filters)
    out = states[states["id"].isin(keep_ids)]
    if filters.status:
        out = out[out["status"].isin(list(filters.status))]
    if filters.text:
        # Comments are dated, so the text filter also looks at the as-of comment.
        text_hit = out["comment"].astype("string").str.contains(filters.text, case=False, regex=False)
        struct_hit = out["id"].isin(leaves.loc[filters.text_mask(leaves), "id"])
        out = out[struct_hit | text_hit.fillna(False)]
    return out


def rollup_many(
    tree: pd.DataFrame,
    updates: pd.DataFrame,
    dates,
    filters: Filters | None = None,
    thresholds: Thresholds = Thresholds(),
    states: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Roll the (filtered) plan up at every date in ``dates`` at once.

    Returns one row per (snap, item) for every item with at least one selected leaf,
    plus one plan row per snap (``id == 0``, ``depth == 0``), with the columns of
    :data:`ROLLUP_COLUMNS`, leaf flags and the effective ``start``/``due`` span.

    ``states``, when given, must be ``leaf_states(tree, updates, dates, thresholds)``
    (unfiltered): the as-of lookup over every update is most of a roll-up's cost and does
    not depend on the filters, so the pages compute it once per date and data version
    and a filter change only selects and aggregates leaves.
    """
    return _rollup_columns(tree, updates, dates, filters, thresholds, states, as_frame=True)


def _rollup_columns(tree, updates, dates, filters, thresholds, states, as_frame: bool = False) -> pd.DataFrame | dict:
    """:func:`rollup_many`'s columns as arrays (its frame when nothing is selected or ``as_frame``).

    :func:`rollup_table` decorates and orders the arrays and builds one frame from them
    (a frame per step, re-sliced and concatenated, cost ~5 ms per filter change).
    :func:`rollup_many` keeps the frames: on a 60-date trend's 600k leaf rows pandas'
    block-wise concat of the (consolidated) leaf frame is faster than column arrays.
    """
    tree = prepare_tree(tree)
    if states is None:
        states = leaf_states(tree, updates, dates, thresholds)
    states = select_leaves(tree, states, filters)
    # Only the columns used below: indexing the whole tree (all its text) cost ~15 ms a call.
    info = _node_info(tree)
    if states.empty:  # an empty plan, or filters that match nothing
        # Zero rows with the real dtypes, so callers can use .dt / string ops without special cases.
        typed = {**{c: "int64" for c in ("n_leaves", *COUNT_COLUMNS, "n_overdue", "depth", "parent_key")},
                 "weight": "float64", "schedule_variance": "float64", "is_leaf": "bool",
                 "start": "datetime64[ns]", "due": "datetime64[ns]"}
        return states.iloc[0:0].assign(id=states["id"].iloc[0:0].astype("int64"),
                                       **{c: pd.Series(dtype=t) for c, t in typed.items()})
    # One lookup of each leaf's row in the tree instead of five Series.map calls.
    at = info.index.get_indexer(states["id"])

    def leaf(col: str) -> np.ndarray:
        return info[col].to_numpy()[at]

    code = _status_codes(states["status"])  # once: the leaf rows and the levels above use it
    more = {"depth": leaf("depth").astype("int64"), "parent_key": leaf("parent_key").astype("int64"),
            "weight": leaf("weight").astype("float64"), "start": leaf("start"), "due": leaf("due")}
    max_depth = int(tree["depth"].max()) if len(tree) else 0
    if as_frame:
        frame = _leaf_counts(states, code, **more)
        aggs = _roll_levels(frame, info, max_depth, code)
        out = pd.concat([frame] if aggs is None else [frame, pd.DataFrame(aggs)], ignore_index=True)
        return out.assign(
            schedule_variance=out["progress"] - out["expected_progress"],
            is_leaf=_is_leaf(info, out["id"].to_numpy()),
        )
    nodes = _leaf_columns(states, code, **more)
    aggs = _roll_levels(nodes, info, max_depth, code)
    cols = _stack_columns(nodes, aggs)
    cols["schedule_variance"] = cols["progress"] - cols["expected_progress"]
    cols["is_leaf"] = _is_leaf(info, cols["id"])
    return cols


def _stack_columns(nodes: dict, aggs: dict[str, np.ndarray] | None) -> dict:
    """The leaf rows then the level rows, column by column: what ``pd.concat`` of the two gave.

    A column both sides have with the same dtype is joined as arrays; any other column
    (the leaves' own, e.g. comment, or differing dtypes) by ``pd.concat`` of that column
    alone, so its dtype and missing values are pandas' own.
    """
    n_levels = 0 if aggs is None else len(aggs["id"])
    n_leaves = len(next(iter(nodes.values()))) if nodes else 0
    cols: dict = {}
    for c, s in nodes.items():
        if isinstance(s, np.ndarray):
            s = pd.Series(s, copy=False)
        numpy_dtype = isinstance(s.dtype, np.dtype)
        right = None if aggs is None else aggs.get(c)
        if aggs is None:  # copies: the table is built without copying (copy=False)
            cols[c] = s.to_numpy(copy=True) if numpy_dtype else s.array.copy()
        elif numpy_dtype and isinstance(right, np.ndarray) and right.dtype == s.dtype:
            cols[c] = np.concatenate([s.to_numpy(), right])
        elif right is not None and not isinstance(right, np.ndarray) and right.dtype == s.dtype:
            cols[c] = type(s.array)._concat_same_type([s.array, right])
        elif right is None and numpy_dtype and s.dtype.kind in "fmM":  # missing: NaN / NaT, same dtype
            cols[c] = np.concatenate([s.to_numpy(), np.full(n_levels, np.nan if s.dtype.kind == "f" else
                                                            np.datetime64("NaT"), dtype=s.dtype)])
        elif right is None and not numpy_dtype:  # extension dtypes fill with their own missing value
            arr = s.array
            cols[c] = type(arr)._concat_same_type([arr, arr.take(np.full(n_levels, -1), allow_fill=True)])
        else:
            other = pd.DataFrame({c: right} if right is not None else {}, index=range(n_levels))
            cols[c] = pd.concat([s.reset_index(drop=True).to_frame(), other], ignore_index=True)[c].array
    for c, v in (aggs or {}).items():  # level-only columns (none today): missing for the leaves
        if c not in cols:
            cols[c] = pd.concat([pd.DataFrame(index=range(n_leaves)), pd.DataFrame({c: v})],
                                ignore_index=True)[c].array
    return cols


def first_completed(updates: pd.DataFrame, as_of) -> pd.Series:
    """Date of each item's first update with status completed on or before ``as_of`` (index item_id)."""
    as_of = pd.Timestamp(as_of).normalize()
    done = updates[(updates["status"] == "completed") & (updates["as_of"] <= as_of)]
    return done.groupby("item_id")["as_of"].min()


_DECORATE_COLUMNS = ["id", "code", "title", "level", "depth", "parent_id", "order", "owner", "department",
                     "partners", "smart", "top_code", "weight", "description", "sponsor", "priority"]


def _decorate(rolled: pd.DataFrame, tree: pd.DataFrame) -> pd.DataFrame:
    cols = [c for c in _DECORATE_COLUMNS if c in tree.columns]
    if len(rolled) and "order" in cols:
        return _decorate_fast(rolled, tree, cols)
    merged = rolled.drop(columns=["depth", "weight"]).merge(tree[cols], on="id", how="left")
    root = merged["id"] == ROOT_ID
    return merged.assign(
        code=merged["code"].where(~root, ""),
        level=merged["level"].where(~root, "Plan"),
        depth=merged["depth"].fillna(0).astype("int64"),
        order=merged["order"].fillna(-1).astype("int64"),
    ).sort_values(["snap", "order"], kind="stable").reset_index(drop=True)


def _decorate_fast(rolled: pd.DataFrame, tree: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    """:func:`_decorate` by position: the same frame without a merge and a sort.

    Each row's tree position comes from one index lookup; rows are put in (snap, outline
    order) with a stable lexsort, then the tree's columns are taken at those positions
    (missing for the plan row, as the left merge gives). ~5 ms less per filter change.
    """
    memo = _tree_memo(tree)
    if "id_index" not in memo:
        memo["id_index"] = pd.Index(tree["id"])
    pos = memo["id_index"].get_indexer(rolled["id"].to_numpy())
    order = np.where(pos >= 0, tree["order"].to_numpy()[pos], -1)
    idx = np.lexsort((order, rolled["snap"].to_numpy()))
    pos = pos[idx]
    base = rolled.drop(columns=["depth", "weight"]).take(idx).reset_index(drop=True)
    root = base["id"] == ROOT_ID
    # Object columns stay object (a plain array of strings would be inferred as str).
    extra = pd.DataFrame({c: pd.Series(pd.api.extensions.take(tree[c].array, pos, allow_fill=True),
                                       dtype=object if tree[c].dtype == object else None)
                          for c in cols if c != "id"})
    merged = pd.concat([base, extra], axis=1)
    return merged.assign(
        code=merged["code"].where(~root, ""),
        level=merged["level"].where(~root, "Plan"),
        depth=merged["depth"].fillna(0).astype("int64"),
        order=merged["order"].fillna(-1).astype("int64"),
    )


def _decorate_columns(cols: dict, tree: pd.DataFrame) -> pd.DataFrame:
    """:func:`_decorate_fast` (without ``snap``) from :func:`_rollup_columns`' arrays, in one frame.

    The rows are ordered and the tree's columns taken by position as there; the frame is
    built once from the ordered arrays instead of a take, a concat and an assign of frames.
    """
    memo = _tree_memo(tree)
    if "decorate" not in memo:
        names = [c for c in _DECORATE_COLUMNS if c in tree.columns and c != "id"]
        memo["decorate"] = (pd.Index(tree["id"]), tree["order"].to_numpy(),
                            {c: (tree[c].array, tree[c].dtype == object) for c in names})
    id_index, tree_order, tree_cols = memo["decorate"]
    ids = np.asarray(cols["id"])
    pos = id_index.get_indexer(ids)
    order = np.where(pos >= 0, tree_order[pos], -1)
    idx = np.lexsort((order, np.asarray(cols["snap"])))
    pos = pos[idx]
    root = ids[idx] == ROOT_ID
    out: dict = {c: (v[idx] if isinstance(v, np.ndarray) else v.take(idx))
                 for c, v in cols.items() if c not in ("depth", "weight", "snap")}
    for c, (arr, is_object) in tree_cols.items():
        # Object columns stay object (a plain array of strings would be inferred as str).
        taken = pd.Series(pd.api.extensions.take(arr, pos, allow_fill=True), dtype=object if is_object else None)
        if c == "code":
            taken = taken.where(~root, "")
        elif c == "level":
            taken = taken.where(~root, "Plan")
        elif c in ("depth", "order"):
            taken = taken.fillna(0 if c == "depth" else -1).astype("int64")
        out[c] = taken if is_object else taken.array
    return pd.DataFrame(out, copy=False)


def rollup_table(
    tree: pd.DataFrame,
    updates: pd.DataFrame,
    as_of,
    filters: Filters | None = None,
    thresholds: Thresholds = Thresholds(),
    states: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The roll-up at one as-of date, one row per item in outline order, plan row first.

    The plan row has ``id == 0``, ``level == "Plan"`` and ``depth == 0``. ``states``:
    ``leaf_states(tree, updates, [as_of], thresholds)`` when the caller has it (see
    :func:`rollup_many`).
    """
    tree = prepare_tree(tree)
    cols = _rollup_columns(tree, updates, [as_of], filters, thresholds, states)
    if not isinstance(cols, pd.DataFrame) and "order" in tree.columns:
        return _decorate_columns(cols, tree)
    rolled = cols if isinstance(cols, pd.DataFrame) else pd.DataFrame(cols)
    return _decorate(rolled, tree).drop(columns=["snap"])


def rollup(
    tree: pd.DataFrame,
    updates: pd.DataFrame,
    as_of,
    filters: Filters | None = None,
    thresholds: Thresholds = Thresholds(),
) -> pd.DataFrame:
    """Items only (no plan row) of :func:`rollup_table`."""
    table = rollup_table(tree, updates, as_of, filters, thresholds)
    return table[table["id"] != ROOT_ID].reset_index(drop=True)


def plan_total(table: pd.DataFrame) -> pd.Series | None:
    """The plan row of a :func:`rollup_table` result, or None when nothing was selected."""
    root = table[table["id"] == ROOT_ID]
    return None if root.empty else root.iloc[0]


GROUP_KINDS = ("department", "smart", "owner")


def group_leaves(table: pd.DataFrame, by: str) -> pd.DataFrame:
    """Roll selected leaves up by effective department, SMART value or owner.

    A leaf tagged with several SMART values counts in each of them; leaves without a
    value go to the group "(none)". Returns ``group`` plus :data:`ROLLUP_COLUMNS`,
    sorted by group.
    """
    if by not in GROUP_KINDS:
        raise ValueError(f"cannot group by {by!r}; choose one of {', '.join(GROUP_KINDS)}")
    # Only the columns the roll-up reads (and the grouping value): exploding and filtering
    # the whole ~40-column table cost ~4 ms per chart.
    used = [by, "weight", "progress", "status", "expected_progress", "n_leaves", *COUNT_COLUMNS, "n_overdue"]
    leaves = table.loc[table["is_leaf"].astype(bool).to_numpy(), used]
    if leaves.empty:
        return pd.DataFrame(columns=["group", *ROLLUP_COLUMNS])
    if by == "smart":
        from wehoplan.domain import SMART_NAMES

        # One row per tag, laid out by position (explode joins the frame back on its index).
        tags = [[SMART_NAMES[c] for c in s] or ["(none)"] for s in leaves["smart"].fillna("").tolist()]
        rows = np.repeat(np.arange(len(leaves)), [len(t) for t in tags])
        leaves = leaves.iloc[rows].assign(group=pd.Series([t for ts in tags for t in ts], dtype="str",
                                                          index=leaves.index[rows]))
    else:
        leaves = leaves.assign(group=leaves[by].fillna("(none)").astype("string"))
    if leaves.empty:
        return pd.DataFrame(columns=["group", *ROLLUP_COLUMNS])
    agg = aggregate(leaves, ["group"])
    return agg.sort_values("group", key=lambda s: s.astype("string").str.casefold()).reset_index(drop=True)
