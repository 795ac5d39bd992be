"""Time series over many as-of dates, and completion forecasts (GUIDE §3 "Trends").

Every series here is the roll-up of :mod:`wehoplan.rollup` evaluated at a series of
dates in ONE call of :func:`wehoplan.rollup.rollup_many` (grouped by its ``snap``
column), never one roll-up per date in a Python loop. So the trend at date D is, by
construction, exactly what the dashboard shows for "as of D".

Forecast (:func:`forecast`), per initiative (the second level of the tree):

* ``progress_now`` is the rolled-up progress at the as-of date, ``progress_then``
  the same ``window_days`` earlier (default 180 days).
* trailing velocity = (progress_now − progress_then) / window_days, in points per day.
* projected finish = as-of date + (100 − progress_now) / velocity days.
* ``state``: ``completed`` (status completed, or 100 %), ``deferred``, ``no velocity``
  (no progress during the window: no projection; flagged late when the due date
  has passed), ``late`` (projected finish after the due date, or already overdue),
  ``on time``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from wehoplan import rollup
from wehoplan.domain import SMART_NAMES, STATUS_KEYS, STATUS_LABELS
from wehoplan.filters import Filters
from wehoplan.rollup import (
    COUNT_COLUMNS,
    ROOT_ID,
    Thresholds,
    aggregate,
    first_completed,
    leaf_states,
    prepare_tree,
    rollup_many,
    select_leaves,
)

DEFAULT_THRESHOLDS = Thresholds()
TREND_GROUPS = ("strategy", "department", "smart")


def period_ends(updates: pd.DataFrame, as_of, freq: str = "month", start=None) -> pd.DatetimeIndex:
    """Month or quarter ends from the first update up to ``as_of``, ending with ``as_of`` itself.

    Args:
        updates: the plan's updates (only ``as_of`` is read); none -> just ``as_of``.
        as_of: the last date of the series (included even when not a period end).
        freq: ``"month"`` or ``"quarter"``.
        start: first date (default: the earliest update).

    """
    end = pd.Timestamp(as_of).normalize()
    first = pd.Timestamp(start) if start is not None else (updates["as_of"].min() if len(updates) else end)
    if pd.isna(first) or first > end:
        return pd.DatetimeIndex([end])
    rule = {"month": "ME", "quarter": "QE"}[freq]
    ends = pd.date_range(first.normalize(), end, freq=rule)
    return pd.DatetimeIndex(sorted(set(ends) | {end}))


def progress_over_time(
    tree: pd.DataFrame,
    updates: pd.DataFrame,
    dates,
    filters: Filters | None = None,
    by: str = "strategy",
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
    rolled: pd.DataFrame | None = None,
    states: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Rolled-up progress per group at every date.

    ``by="strategy"``: the top-level items' own roll-up (same numbers as the table).
    ``by="department"`` / ``"smart"``: the selected leaves grouped by effective lead
    department / SMART value (a leaf with several values counts in each), rolled up
    with the same rules as :func:`wehoplan.rollup.group_leaves`. ``rolled``: the result
    of :func:`series` for the same arguments, to share one roll-up between charts; it may
    cover more dates than ``dates`` (see :func:`shared_dates`), only ``dates`` are shown.
    ``states``: the unfiltered ``leaf_states(tree, updates, dates, thresholds)`` when the
    caller has it (see :func:`wehoplan.rollup.rollup_many`).

    Returns:
        ``snap, group, progress, expected_progress, status, n_leaves`` sorted by group, snap.

    """
    if by not in TREND_GROUPS:
        raise ValueError(f"cannot trend by {by!r}; choose one of {', '.join(TREND_GROUPS)}")
    tree = prepare_tree(tree)
    cols = ["snap", "group", "progress", "expected_progress", "status", "n_leaves"]
    if by == "strategy":
        rolled = series(tree, updates, dates, filters, thresholds, states) if rolled is None else rolled
        top_mask = rolled["depth"].to_numpy() == 1
        snaps = _snap_values(dates)
        rolled_snaps = rolled["snap"].to_numpy(dtype="datetime64[ns]")
        if not np.isin(rolled_snaps, snaps).all():  # a roll-up shared with more dates (forecast)
            top_mask &= np.isin(rolled_snaps, snaps)
        top = rolled[top_mask]
        info = _labels(tree)
        out = top.assign(group=(top["id"].map(info["code"]).astype(str) + " "
                                + top["id"].map(info["title"]).astype(str)).str.slice(0, 60))
    else:
        if states is None:
            states = leaf_states(tree, updates, dates, thresholds)
        states = select_leaves(tree, states, filters)
        info = tree[["id", "weight", "smart", "department"]].set_index("id")
        leaves = states.assign(
            weight=states["id"].map(info["weight"]).astype("float64"),
            n_leaves=1,
            **{f"n_{k}": (states["status"] == k).astype("int64") for k in STATUS_KEYS},
            n_overdue=states["overdue"].astype("int64"),
        )
        if by == "smart":
            tags = states["id"].map(info["smart"]).fillna("").astype(str)
            leaves = leaves.assign(group=tags.map(lambda s: [SMART_NAMES[c] for c in s] or ["(none)"]))
            leaves = leaves.explode("group")
        else:
            leaves = leaves.assign(group=states["id"].map(info["department"]).fillna("(none)").astype(str))
        if leaves.empty:
            return pd.DataFrame({c: pd.Series(dtype="object") for c in cols})
        out = aggregate(leaves, ["snap", "group"])
    return out[cols].sort_values(["group", "snap"], kind="stable").reset_index(drop=True)


def status_mix_over_time(
    tree: pd.DataFrame,
    updates: pd.DataFrame,
    dates,
    filters: Filters | None = None,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
    rolled: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Count of selected leaves in each status at every date (long form).

    Returns:
        ``snap, status, label, n`` with a row for every status at every date.

    """
    plan = _plan_rows(tree, updates, dates, filters, thresholds, rolled)
    # The plan rows are one per date in date order: the long form is each row's counts in
    # status order, laid out directly (melt + map + sort cost ~5 ms per rerun).
    k, m = len(STATUS_KEYS), len(plan)
    return pd.DataFrame({
        "snap": np.repeat(plan["snap"].to_numpy(), k),
        "status": pd.Series(np.tile(np.array(STATUS_KEYS, dtype=object), m), dtype="str"),
        "label": pd.Series(np.tile(np.array([STATUS_LABELS[s] for s in STATUS_KEYS], dtype=object), m), dtype="str"),
        "n": plan[COUNT_COLUMNS].to_numpy(dtype="int64").reshape(-1),
    })


def overdue_over_time(
    tree: pd.DataFrame,
    updates: pd.DataFrame,
    dates,
    filters: Filters | None = None,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
    rolled: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Count the overdue selected leaves (open, due date passed) at every date: ``snap, n_overdue``."""
    plan = _plan_rows(tree, updates, dates, filters, thresholds, rolled)
    return plan[["snap", "n_overdue"]].reset_index(drop=True)  # _plan_rows' counts are int64 already


def series(
    tree: pd.DataFrame,
    updates: pd.DataFrame,
    dates,
    filters: Filters | None = None,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
    states: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Roll the filtered plan up at every date once; pass it as ``rolled`` to several series.

    ``states``: the unfiltered ``leaf_states(tree, updates, dates, thresholds)`` when the
    caller has it (see :func:`wehoplan.rollup.rollup_many`).
    """
    return rollup_many(tree, updates, dates, filters, thresholds, states)


def _labels(tree: pd.DataFrame) -> pd.DataFrame:
    """The tree's ``code``, ``title`` and ``order`` indexed by id, made once per tree object.

    Trees are never modified in place; indexing them on every call cost ~1 ms a chart.
    """
    memo = rollup._tree_memo(tree)
    if "labels" not in memo:
        memo["labels"] = tree[["id", "code", "title", "order"]].set_index("id")
    return memo["labels"]


def _snap_values(dates) -> np.ndarray:
    """``dates`` as sorted, distinct, normalised ``datetime64[ns]`` values (the roll-up's snaps)."""
    return np.unique(pd.DatetimeIndex(pd.to_datetime(pd.Index(np.atleast_1d(dates)))).normalize()
                     .to_numpy(dtype="datetime64[ns]"))


def shared_dates(dates, as_of, window_days: int = 180) -> pd.DatetimeIndex:
    """The trend's ``dates`` plus :func:`forecast_dates`: one :func:`series` over these serves both.

    Each date's roll-up does not depend on the other dates, so the rows of a roll-up over
    more dates at a date are the rows of a roll-up at fewer (same values, same order).
    The trends page rolls up once instead of twice (series, then forecast).
    """
    return pd.DatetimeIndex(np.union1d(_snap_values(dates), _snap_values(list(forecast_dates(as_of, window_days)))))


def _plan_rows(tree, updates, dates, filters, thresholds, rolled=None) -> pd.DataFrame:
    """Return the plan row of the roll-up at every date; dates where nothing is selected count zero."""
    rolled = series(tree, updates, dates, filters, thresholds) if rolled is None else rolled
    cols = [*COUNT_COLUMNS, "n_overdue"]
    plan = rolled.loc[rolled["id"].to_numpy() == ROOT_ID, ["snap", *cols]]
    snaps = _snap_values(dates)
    # One root row per date: look each date up by position (a merge + fillna + astype per
    # chart cost ~4 ms); dates where nothing is selected count zero.
    pos = pd.Index(plan["snap"].to_numpy(dtype="datetime64[ns]")).get_indexer(snaps)
    hit = pos >= 0
    at = np.where(hit, pos, 0)
    out = {"snap": snaps}
    for c in cols:
        values = plan[c].to_numpy(dtype="float64")
        out[c] = np.where(hit, values[at] if len(values) else 0, 0).astype("int64")
    return pd.DataFrame(out)


def completions_per_quarter(
    tree: pd.DataFrame,
    updates: pd.DataFrame,
    as_of,
    filters: Filters | None = None,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
    states: pd.DataFrame | None = None,
    first_done: pd.Series | None = None,
) -> pd.DataFrame:
    """Count the selected leaves completed in each calendar quarter up to ``as_of``.

    A leaf's completion date is the date of its first update with status completed
    (on or before ``as_of``); the leaves counted are those that pass ``filters`` at
    ``as_of``. Quarters with no completion in between are listed with 0. ``states``
    (``leaf_states(tree, updates, [as_of], thresholds)``) and ``first_done``
    (:func:`first_completed` at ``as_of``), when the caller has them, skip the work that
    does not depend on the filters.

    Returns:
        ``quarter`` (label like ``2019 Q1``), ``quarter_end``, ``n``.

    """
    tree = prepare_tree(tree)
    as_of = pd.Timestamp(as_of).normalize()
    if states is None:
        states = leaf_states(tree, updates, [as_of], thresholds)
    selected = select_leaves(tree, states, filters)
    if first_done is None:
        first_done = first_completed(updates, as_of)
    first = first_done[first_done.index.isin(selected["id"])]
    if first.empty:
        return pd.DataFrame({"quarter": pd.Series(dtype="string"), "quarter_end": pd.Series(dtype="datetime64[ns]"),
                             "n": pd.Series(dtype="int64")})
    periods = first.dt.to_period("Q")
    counts = periods.value_counts()
    full = pd.period_range(periods.min(), periods.max(), freq="Q")
    counts = counts.reindex(full, fill_value=0)
    return pd.DataFrame({
        "quarter": pd.array([f"{p.year} Q{p.quarter}" for p in full], dtype="string"),
        "quarter_end": full.to_timestamp(how="end").normalize().astype("datetime64[ns]"),
        "n": counts.to_numpy().astype("int64"),
    })


def forecast(
    tree: pd.DataFrame,
    updates: pd.DataFrame,
    as_of,
    filters: Filters | None = None,
    window_days: int = 180,
    depth: int = 2,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
    states: pd.DataFrame | None = None,
    rolled: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Projected finish of every item at ``depth`` (default: initiatives) from trailing velocity.

    See the module docstring for the rule. ``states``: the unfiltered leaf states at
    :func:`forecast_dates` when the caller has them (see :func:`wehoplan.rollup.rollup_many`).
    ``rolled``: a :func:`series` of the same filters whose dates include both
    :func:`forecast_dates` (e.g. over :func:`shared_dates`); the forecast then rolls nothing up.

    Returns:
        ``id, code, title, due, progress_then, progress_now, velocity`` (points per
        day), ``projected_finish``, ``days_late`` (projected − due, > 0 late),
        ``state``, ``late`` (bool), in outline order.

    """
    tree = prepare_tree(tree)
    as_of = pd.Timestamp(as_of).normalize()
    then, as_of = forecast_dates(as_of, window_days)
    if rolled is None:
        rolled = rollup_many(tree, updates, [then, as_of], filters, thresholds, states)
    level = rolled[rolled["depth"] == depth]
    now = level[level["snap"] == as_of].set_index("id")
    before = level[level["snap"] == then].set_index("id")["progress"]
    info = _labels(tree)
    ids = now.index
    p_now = now["progress"].astype("float64")
    p_then = before.reindex(ids).fillna(0.0).astype("float64")
    velocity = (p_now - p_then) / float(window_days)
    done = (now["status"] == "completed") | (p_now >= 100.0)
    deferred = now["status"] == "deferred"
    moving = velocity > 0
    days_left = ((100.0 - p_now) / velocity.where(moving)).clip(lower=0)
    projected = (as_of + pd.to_timedelta(np.ceil(days_left), unit="D")).where(moving & ~done & ~deferred)
    due = now["due"].astype("datetime64[ns]")
    days_late = (projected - due).dt.days
    open_ = ~done & ~deferred
    overdue_now = open_ & (due < as_of)
    late = open_ & ((days_late > 0).fillna(False) | overdue_now)
    state = np.select(
        [done, deferred, late & ~moving, late, ~moving],
        ["completed", "deferred", "no velocity", "late", "no velocity"],
        default="on time",
    )
    out = pd.DataFrame({
        "id": ids.astype("int64"),
        "code": ids.map(info["code"]).astype(str),
        "title": ids.map(info["title"]).astype(str),
        "due": due.to_numpy(),
        "progress_then": p_then.to_numpy(),
        "progress_now": p_now.to_numpy(),
        "velocity": velocity.to_numpy(),
        "projected_finish": projected.astype("datetime64[ns]").to_numpy(),
        "days_late": days_late.astype("Int64").to_numpy(),
        "state": pd.array(state, dtype="string"),
        "late": late.astype(bool).to_numpy(),
        "_order": ids.map(info["order"]).to_numpy(),
    })
    return out.sort_values("_order").drop(columns="_order").reset_index(drop=True)


def forecast_dates(as_of, window_days: int = 180) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The two dates a forecast compares: ``(as_of - window_days, as_of)``, normalised."""
    as_of = pd.Timestamp(as_of).normalize()
    return as_of - pd.Timedelta(days=window_days), as_of
