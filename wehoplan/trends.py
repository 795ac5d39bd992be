"""Time series over many as-of dates, and completion forecasts (GUIDE §3 "Trends").

Every series here reads ONE roll-up over all its dates,
``rolled = roll_up_many(tree, leaf_states(tree, updates, dates, thresholds), filters)``
(grouped by its ``snap`` column), never one roll-up per date in a Python loop. So the
trend at date D is, by construction, exactly what the dashboard shows for "as of D".
:func:`page_data` gives everything the Trends page draws from one such roll-up.

Forecast (:func:`forecast`), per initiative (the second level of the tree):

* ``progress_now`` is the rolled-up progress at the as-of date, ``progress_then``
  the same ``window_days`` earlier (default 180 days).
* trailing velocity = (progress_now - progress_then) / window_days, in points per day.
* projected finish = as-of date + (100 - progress_now) / velocity days (at the latest
  11 April 2262, the last day a date can hold: a crawl projects centuries ahead).
* ``state``: ``completed`` (status completed, or 100 %), ``deferred``, ``no velocity``
  (no progress during the window: no projection; flagged late when the due date
  has passed), ``late`` (projected finish after the due date, or already overdue),
  ``on time``.
"""

from __future__ import annotations

from dataclasses import dataclass

import altair as alt
import numpy as np
import pandas as pd

from wehoplan import charts
from wehoplan.domain import STATUS_KEYS, STATUS_LABELS, smart_names
from wehoplan.filters import Filters
from wehoplan.rollup import COUNT_COLUMNS, ROOT_ID, PreparedTree, Thresholds, aggregate, roll_up_many
from wehoplan.rollup.engine import LEAF_COUNT_COLUMNS
from wehoplan.rollup.rules import DAY_NS
from wehoplan.rollup.stages import Rows

TREND_GROUPS = ("strategy", "department", "smart")
#: The roll-up's columns :func:`page_data` reads (it rolls up only these).
PAGE_COLUMNS = frozenset({"snap", "id", "depth", "is_leaf", "status", "progress", "expected_progress", "weight",
                          "due", *LEAF_COUNT_COLUMNS})


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


def forecast_dates(as_of, window_days: int = 180) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The two dates a forecast compares: ``(as_of - window_days, as_of)``, normalised."""
    as_of = pd.Timestamp(as_of).normalize()
    return as_of - pd.Timedelta(days=window_days), as_of


def shared_dates(dates, as_of, window_days: int = 180) -> pd.DatetimeIndex:
    """The trend's ``dates`` plus :func:`forecast_dates`: one roll-up over these serves the whole page.

    Each date's roll-up does not depend on the other dates, so the rows of a roll-up over
    more dates at a date are the rows of a roll-up at fewer (same values, same order).
    """
    return pd.DatetimeIndex(np.union1d(_snap_values(dates), _snap_values(list(forecast_dates(as_of, window_days)))))


def _snap_values(dates) -> np.ndarray:
    """``dates`` as sorted, distinct, normalised ``datetime64[ns]`` values (the roll-up's snaps)."""
    if isinstance(dates, pd.DatetimeIndex) and dates.tz is None:  # a page's dates: normalised in numpy
        return np.unique(dates.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]").astype("datetime64[ns]"))
    return np.unique(pd.DatetimeIndex(pd.to_datetime(pd.Index(np.atleast_1d(dates)))).normalize()
                     .to_numpy(dtype="datetime64[ns]"))


def progress_over_time(tree: PreparedTree, rolled: pd.DataFrame, dates, by: str) -> pd.DataFrame:
    """Rolled-up progress per group at every date in ``dates``.

    Args:
        tree: the prepared tree.
        rolled: :func:`wehoplan.rollup.roll_up_many` over (at least) ``dates``.
        dates: the dates shown.
        by: ``"strategy"``: the top-level items' own roll-up (same numbers as the table);
            ``"department"`` / ``"smart"``: the selected leaves grouped by effective lead
            department / SMART value (a leaf with several values counts in each), rolled
            up with the same rules as :func:`wehoplan.rollup.group_leaves`.

    Returns:
        ``snap, group, progress, expected_progress, status, n_leaves`` sorted by group, snap.

    """
    if by not in TREND_GROUPS:
        raise ValueError(f"cannot trend by {by!r}; choose one of {', '.join(TREND_GROUPS)}")
    snaps = _snap_values(dates)
    cols = ["snap", "group", "progress", "expected_progress", "status", "n_leaves"]
    rolled_snaps = rolled["snap"].to_numpy(dtype="datetime64[ns]")
    labels = tree.labels
    if by == "strategy":
        # Only the top-level rows at the dates shown, and only the columns shown: the trend's
        # roll-up has ~40 columns over every item and date.
        top_at = np.flatnonzero(rolled["depth"].to_numpy() == 1)
        top_at = top_at[np.isin(rolled_snaps[top_at], snaps)]
        # Each top-level item named once (a few strategies over every date), then spread by position.
        at, uniq = pd.factorize(rolled["id"].to_numpy()[top_at])
        where = labels.index.get_indexer(uniq)  # -1: no such item, its name missing (as a map gives)
        names = charts.short_names(charts.joined_names(*(labels[c].array.take(where, allow_fill=True)
                                                         for c in ("code", "title"))))
        # Sorted by group, then snap, as a stable sort of the rows: the distinct names ranked once
        # (code point order, as pandas sorts text), the rows ordered by (rank, snap) with a stable lexsort.
        _, rank = np.unique(names.to_numpy(dtype=object), return_inverse=True)
        snap = rolled_snaps[top_at]
        order = np.lexsort((snap, rank.reshape(-1)[at]))
        top_at, at = top_at[order], at[order]
        return pd.DataFrame({
            "snap": snap[order], "group": names.array.take(at),
            **{c: rolled[c].to_numpy()[top_at] for c in ("progress", "expected_progress")},
            "status": rolled["status"].array.take(top_at), "n_leaves": rolled["n_leaves"].to_numpy()[top_at],
        })
    else:
        # The roll-up's leaf rows are the selected leaf states with their weights and counts.
        leaves = rolled[rolled["is_leaf"].to_numpy(dtype=bool) & np.isin(rolled_snaps, snaps)]
        if by == "smart":
            tags = [smart_names(s) or ["(none)"] for s in leaves["id"].map(labels["smart"]).tolist()]
            leaves = leaves.assign(group=tags).explode("group")
        else:
            leaves = leaves.assign(group=leaves["id"].map(labels["department"]).fillna("(none)").astype(str))
        if leaves.empty:
            return pd.DataFrame({c: pd.Series(dtype="object") for c in cols})
        out = aggregate(leaves, ["snap", "group"])
    return out[cols].sort_values(["group", "snap"], kind="stable").reset_index(drop=True)


def _plan_rows(rolled: pd.DataFrame, dates) -> pd.DataFrame:
    """The plan row's counts at every date; dates where nothing is selected count zero."""
    return pd.DataFrame(_plan_counts(rolled, dates))


def _plan_counts(rolled: pd.DataFrame, dates) -> dict[str, np.ndarray]:
    """:func:`_plan_rows`'s columns as arrays (``snap`` and the counts)."""
    cols = [*COUNT_COLUMNS, "n_overdue"]
    plan = np.flatnonzero(rolled["id"].to_numpy() == ROOT_ID)  # the plan rows, by position
    snaps = _snap_values(dates)
    # One plan row per date: look each date up by position.
    pos = pd.Index(rolled["snap"].to_numpy(dtype="datetime64[ns]")[plan]).get_indexer(snaps)
    hit = pos >= 0
    at = np.where(hit, pos, 0)
    out = {"snap": snaps}
    for c in cols:
        values = rolled[c].to_numpy(dtype="float64")[plan]
        out[c] = np.where(hit, values[at] if len(values) else 0, 0).astype("int64")
    return out


def status_mix_over_time(rolled: pd.DataFrame, dates) -> pd.DataFrame:
    """Count of selected leaves in each status at every date (long form), from ``roll_up_many`` over ``dates``.

    Returns:
        ``snap, status, label, n`` with a row for every status at every date.

    """
    return _status_mix(_plan_counts(rolled, dates))


def _status_mix(plan: dict[str, np.ndarray]) -> pd.DataFrame:
    """:func:`status_mix_over_time` from the plan rows' counts (:func:`_plan_counts`)."""
    # One plan row per date, in date order: the long form is each row's counts in status order.
    k, m = len(STATUS_KEYS), len(plan["snap"])
    return pd.DataFrame({
        "snap": np.repeat(plan["snap"], k),
        "status": pd.Series(np.tile(np.array(STATUS_KEYS, dtype=object), m), dtype="str"),
        "label": pd.Series(np.tile(np.array([STATUS_LABELS[s] for s in STATUS_KEYS], dtype=object), m), dtype="str"),
        "n": np.column_stack([plan[c] for c in COUNT_COLUMNS]).reshape(-1) if m else np.zeros(0, dtype="int64"),
    })


def overdue_over_time(rolled: pd.DataFrame, dates) -> pd.DataFrame:
    """Count the overdue selected leaves (open, due date passed) at every date: ``snap, n_overdue``."""
    plan = _plan_counts(rolled, dates)
    return pd.DataFrame({"snap": plan["snap"], "n_overdue": plan["n_overdue"]})


def completions_per_quarter(rolled: pd.DataFrame, as_of, first_done: pd.Series) -> pd.DataFrame:
    """Count the selected leaves completed in each calendar quarter up to ``as_of``.

    Args:
        rolled: :func:`wehoplan.rollup.roll_up_many` over dates that include ``as_of``:
            the leaves counted are those selected at ``as_of``.
        as_of: the as-of date.
        first_done: :func:`wehoplan.rollup.first_completed` at ``as_of``: a leaf's
            completion date is that of its first update with status completed.

    Returns:
        ``quarter`` (label like ``2019 Q1``), ``quarter_end``, ``n``; quarters with no
        completion in between are listed with 0.

    """
    at = rolled["snap"].to_numpy(dtype="datetime64[ns]") == _snap_values(pd.DatetimeIndex([pd.Timestamp(as_of)]))[0]
    here = at & rolled["is_leaf"].to_numpy(dtype=bool)
    first = first_done.to_numpy()[np.isin(first_done.index.to_numpy(), rolled["id"].to_numpy()[here])]
    if not len(first):
        return pd.DataFrame({"quarter": pd.Series(dtype="string"), "quarter_end": pd.Series(dtype="datetime64[ns]"),
                             "n": pd.Series(dtype="int64")})
    # Calendar quarters counted from 1970 Q1 (months since 1970-01, three to a quarter): every
    # quarter from the first completion's to the last's, each with its count, label and last day.
    quarter = first.astype("datetime64[M]").astype("int64") // 3
    lo = int(quarter.min())
    full = np.arange(lo, int(quarter.max()) + 1)
    return pd.DataFrame({
        "quarter": pd.array([f"{1970 + q // 4} Q{q % 4 + 1}" for q in full.tolist()], dtype="string"),
        "quarter_end": ((full + 1) * 3).astype("datetime64[M]").astype("datetime64[D]").astype("datetime64[ns]")
        - np.timedelta64(1, "D"),
        "n": np.bincount(quarter - lo, minlength=len(full)).astype("int64"),
    })


def forecast(tree: PreparedTree, rolled: pd.DataFrame, as_of, window_days: int, depth: int = 2) -> pd.DataFrame:
    """Projected finish of every item at ``depth`` (default: initiatives) from trailing velocity.

    See the module docstring for the rule. ``rolled``: :func:`wehoplan.rollup.roll_up_many`
    over dates that include both :func:`forecast_dates` (e.g. :func:`shared_dates`).

    Returns:
        ``id, code, title, due, progress_then, progress_now, velocity`` (points per
        day), ``projected_finish``, ``days_late`` (projected - due, > 0 late),
        ``state``, ``late`` (bool), in outline order.

    """
    then, as_of = forecast_dates(as_of, window_days)
    # Plain arrays over the level's rows at the two dates (a few hundred initiatives): the
    # same arithmetic as pandas Series, without a frame per step.
    snap = rolled["snap"].to_numpy(dtype="datetime64[ns]")
    at_level = rolled["depth"].to_numpy() == depth
    now = np.flatnonzero(at_level & (snap == as_of.to_datetime64()))
    before = np.flatnonzero(at_level & (snap == then.to_datetime64()))
    all_ids = rolled["id"].to_numpy()
    ids = all_ids[now]
    progress = rolled["progress"].to_numpy(dtype="float64")
    p_now = progress[now]
    then_at = pd.Index(all_ids[before]).get_indexer(ids)
    p_then = np.where(then_at >= 0, progress[before][then_at], np.nan)
    p_then = np.where(np.isnan(p_then), 0.0, p_then)  # no row, or no progress, then: 0
    velocity = (p_now - p_then) / float(window_days)
    status = rolled["status"].array.take(now).to_numpy(dtype=object)
    done = (status == "completed") | (p_now >= 100.0)
    deferred = status == "deferred"
    moving = velocity > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        days_left = np.maximum((100.0 - p_now) / np.where(moving, velocity, np.nan), 0)
    # A crawl (a hundredth of a point in the window) projects past the last day a date can hold
    # (11 April 2262): such a finish is shown on that day, late unless due later, instead of failing.
    days_left = np.minimum(days_left, float((pd.Timestamp.max.normalize() - as_of).days))
    projected = (as_of + pd.to_timedelta(np.ceil(days_left), unit="D")).to_numpy(dtype="datetime64[ns]")
    projected = np.where(moving & ~done & ~deferred, projected, np.datetime64("NaT", "ns"))
    due = rolled["due"].to_numpy(dtype="datetime64[ns]")[now]
    # Whole days, floored, as Timedelta.days: float with NaN where either date is missing, else int64
    # (what ``pd.Series(projected - due).dt.days`` gives, without a Series).
    gap = projected - due
    missing = np.isnat(gap)
    whole = np.floor_divide(gap.view("int64"), DAY_NS)
    days_late = np.where(missing, np.nan, whole) if missing.any() else whole
    open_ = ~done & ~deferred
    overdue_now = open_ & (due < as_of.to_datetime64())
    late = open_ & ((days_late > 0) | overdue_now)
    state = np.select(
        [done, deferred, late & ~moving, late, ~moving],
        ["completed", "deferred", "no velocity", "late", "no velocity"],
        default="on time",
    )
    labels = tree.labels
    where = labels.index.get_indexer(ids)
    by = np.argsort(labels["order"].to_numpy()[where], kind="stable")  # outline order (orders are unique)
    return pd.DataFrame({
        "id": ids.astype("int64")[by],
        "code": pd.array(labels["code"].array.take(where[by]), dtype="str"),
        "title": pd.array(labels["title"].array.take(where[by]), dtype="str"),
        "due": due[by],
        "progress_then": p_then[by],
        "progress_now": p_now[by],
        "velocity": velocity[by],
        "projected_finish": projected[by],
        "days_late": days_late[by],
        "state": pd.array(state[by], dtype="string"),
        "late": late[by],
    })


# The page's choices (value -> label, in the order shown), kept in the URL, and their defaults.
GROUP_OPTIONS = {"strategy": "Strategy", "department": "Department", "smart": "SMART value"}
STEP_OPTIONS = {"month": "Month", "quarter": "Quarter"}
WINDOW_OPTIONS = {"90": "90 days", "180": "180 days", "365": "365 days"}
DEFAULT_GROUP, DEFAULT_STEP, DEFAULT_WINDOW = "strategy", "quarter", "180"


# eq=False: frames have no single truth value, so the generated __eq__ would raise.
@dataclass(frozen=True, eq=False)
class TrendsPage:
    """Everything the Trends page shows (each frame as its function above returns it, and its chart)."""

    progress: pd.DataFrame  # :func:`progress_over_time`
    status_mix: pd.DataFrame  # :func:`status_mix_over_time`
    overdue: pd.DataFrame  # :func:`overdue_over_time`
    completions: pd.DataFrame  # :func:`completions_per_quarter`
    forecast: pd.DataFrame  # :func:`forecast`
    window_days: int
    progress_chart: alt.Chart | alt.LayerChart
    status_chart: alt.Chart | alt.LayerChart
    overdue_chart: alt.Chart | alt.LayerChart
    completions_chart: alt.Chart | alt.LayerChart
    forecast_chart: alt.Chart | alt.LayerChart

    @property
    def n_late(self) -> int:
        """How many of the forecast's items are projected late."""
        return int(self.forecast["late"].sum()) if len(self.forecast) else 0

    @property
    def forecast_table(self) -> pd.DataFrame:
        """The forecast as the page's table shows it: velocity in points per 30 days, no id."""
        return self.forecast.drop(columns=["id"]).assign(velocity=lambda d: (d["velocity"] * 30).round(2))


def page_rows(dates, as_of, by: str) -> Rows:
    """The rows of the page's roll-up that :func:`page_data` reads (a county's full trend is millions of rows).

    The plan row (status mix, overdue), the top level (the progress chart by strategy),
    the initiatives (the forecast's ``depth=2``), and leaf rows at ``as_of`` (the
    completions count the leaves selected then) and, when the progress chart groups
    leaves (department, SMART value), at every date of ``dates``.
    """
    shown = () if by == "strategy" else tuple(pd.DatetimeIndex(pd.to_datetime(pd.Index(np.atleast_1d(dates)))))
    return Rows(depths=(0, 1, 2), leaves_on=(*shown, pd.Timestamp(as_of)))


def page_data(tree: PreparedTree, states: pd.DataFrame, filters: Filters, dates, as_of, window_days: int,
              by: str, first_done: pd.Series, thresholds: Thresholds | None = None) -> TrendsPage:
    """The Trends page's data from one roll-up, of only the rows (:func:`page_rows`) and columns the page reads.

    Args:
        tree: the prepared tree.
        states: ``leaf_states(tree, updates, shared_dates(dates, as_of, window_days), thresholds)``
            (unfiltered: the pages cache it per data version).
        filters: the user's filters.
        dates: the trend's dates (e.g. :func:`period_ends`).
        as_of: the as-of date.
        window_days: the forecast's trailing window.
        by: what the progress chart groups by (a key of :data:`GROUP_OPTIONS`).
        first_done: :func:`wehoplan.rollup.first_completed` at ``as_of``.
        thresholds: the schedule-health ratios a health filter reads (default: the defaults).

    """
    rolled = roll_up_many(tree, states, filters, thresholds or Thresholds(), rows=page_rows(dates, as_of, by),
                          columns=PAGE_COLUMNS)
    progress = progress_over_time(tree, rolled, dates, by)
    plan = _plan_counts(rolled, dates)  # the status mix and the overdue count read the same plan rows
    mix = _status_mix(plan)
    overdue = pd.DataFrame({"snap": plan["snap"], "n_overdue": plan["n_overdue"]})  # overdue_over_time's frame
    done = completions_per_quarter(rolled, as_of, first_done)
    fc = forecast(tree, rolled, as_of, window_days)
    return TrendsPage(
        progress=progress, status_mix=mix, overdue=overdue, completions=done, forecast=fc, window_days=window_days,
        progress_chart=charts.progress_trend(progress, GROUP_OPTIONS[by]),
        status_chart=charts.status_area(mix),
        overdue_chart=charts.overdue_line(overdue),
        completions_chart=charts.completions_bar(done),
        forecast_chart=charts.forecast_chart(fc, pd.Timestamp(as_of).normalize()),
    )
