"""Verbatim copies of the code issue 15's eighth pass (branch pages8) replaced, kept as the reference.

- ``wehoplan/rollup/stages.py``'s ``group_leaves`` and ``_aggregate_group``: the groups sorted by
  pandas with a casefolding key.
- ``wehoplan/filters.py``'s ``Haystacks.contains``: pandas' ``str.contains`` of the distinct texts.
- ``wehoplan/charts.py``'s ``forecast_chart`` (with ``_dates_as_text`` and ``_iso_days``): the chart's
  frame made with two ``assign`` calls and a column selection. ``page_data`` below calls this one.
- ``wehoplan/trends.py``'s ``page_data`` (which rolled up every column), ``progress_over_time``,
  ``_status_mix`` (from the plan rows' frame) and ``completions_per_quarter``; their helpers that
  did not change are imported from ``wehoplan.trends``.

``tests/test_pages_equal8.py`` checks the new code against these.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from wehoplan import charts
from wehoplan.charts import (
    FORECAST_COLOURS,
    NAME_LIMIT,
    TIME_FORMAT,
    AnyChart,
    _day_tip_spec,
    _f,
    _layer,
    _mark,
    _o,
    _title,
    _unit,
    empty,
    short_names,
)
from wehoplan.domain import STATUS_KEYS, STATUS_LABELS, smart_names
from wehoplan.filters import Filters, _matches
from wehoplan.rollup import COUNT_COLUMNS, PreparedTree, Thresholds, aggregate, engine, roll_up_many, rules
from wehoplan.rollup.engine import LEAF_COUNT_COLUMNS
from wehoplan.rollup.stages import _DEFAULT_THRESHOLDS, GROUP_KINDS, ROLLUP_COLUMNS
from wehoplan.trends import (
    GROUP_OPTIONS,
    TREND_GROUPS,
    TrendsPage,
    _plan_rows,
    _snap_values,
    forecast,
    page_rows,
)


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
        top = rolled.iloc[top_at][["snap", "id", "progress", "expected_progress", "status", "n_leaves"]]
        # Each top-level item named once (a few strategies over every date), then spread by position.
        at, uniq = pd.factorize(top["id"].to_numpy())
        ids = pd.Series(uniq)
        names = charts.short_names(ids.map(labels["code"]).astype(str) + " " + ids.map(labels["title"]).astype(str))
        out = top.assign(group=pd.Series(names.array.take(at), index=top.index))
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
    at = rolled["snap"].to_numpy(dtype="datetime64[ns]") == _snap_values([as_of])[0]
    here = at & rolled["is_leaf"].to_numpy(dtype=bool)
    first = first_done[first_done.index.isin(rolled.loc[here, "id"])]
    if first.empty:
        return pd.DataFrame({"quarter": pd.Series(dtype="string"), "quarter_end": pd.Series(dtype="datetime64[ns]"),
                             "n": pd.Series(dtype="int64")})
    periods = first.dt.to_period("Q")
    full = pd.period_range(periods.min(), periods.max(), freq="Q")
    counts = periods.value_counts().reindex(full, fill_value=0)
    return pd.DataFrame({
        "quarter": pd.array([f"{p.year} Q{p.quarter}" for p in full], dtype="string"),
        "quarter_end": full.to_timestamp(how="end").normalize().astype("datetime64[ns]"),
        "n": counts.to_numpy().astype("int64"),
    })


def page_data(tree: PreparedTree, states: pd.DataFrame, filters: Filters, dates, as_of, window_days: int,
              by: str, first_done: pd.Series, thresholds: Thresholds | None = None) -> TrendsPage:
    """The Trends page's data from one roll-up, of only the rows the page reads (:func:`page_rows`).

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
    rolled = roll_up_many(tree, states, filters, thresholds or Thresholds(), rows=page_rows(dates, as_of, by))
    progress = progress_over_time(tree, rolled, dates, by)
    plan = _plan_rows(rolled, dates)  # the status mix and the overdue count read the same plan rows
    mix = _status_mix(plan)
    overdue = plan[["snap", "n_overdue"]].reset_index(drop=True)  # overdue_over_time's frame
    done = completions_per_quarter(rolled, as_of, first_done)
    fc = forecast(tree, rolled, as_of, window_days)
    return TrendsPage(
        progress=progress, status_mix=mix, overdue=overdue, completions=done, forecast=fc, window_days=window_days,
        progress_chart=charts.progress_trend(progress, GROUP_OPTIONS[by]),
        status_chart=charts.status_area(mix),
        overdue_chart=charts.overdue_line(overdue),
        completions_chart=charts.completions_bar(done),
        forecast_chart=forecast_chart(fc, pd.Timestamp(as_of).normalize()),
    )


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
    return agg.sort_values("group", key=lambda s: s.astype("string").str.casefold()).reset_index(drop=True)


def contains(hay, field: str, needle: str, case: bool) -> np.ndarray:
    """``Haystacks.contains`` as it was (a method; here a function of the haystacks)."""
    codes, uniques = hay._distinct(field)
    hit = _matches(uniques.str.contains(needle, case=case, regex=False))
    return np.append(hit, False)[codes]  # code -1 (a missing text) matches nothing


def forecast_chart(
    df: pd.DataFrame, as_of, title: str = "Completion forecast per initiative"
) -> AnyChart:
    """Due date (black tick) against projected finish (dot) per item; red when projected late.

    An item with no projected finish (completed, deferred, no velocity) gets its dot on the
    as-of date, in its state's colour, so every row has a mark; the legend names the tick,
    the dot's colours and the dashed as-of line.

    Args:
        df: the frame of :func:`wehoplan.trends.forecast`.
        as_of: the as-of date (drawn as a rule).
        title: chart title.

    """
    if df.empty:
        return empty()
    day = pd.Timestamp(as_of).normalize()
    data = df.assign(
        name=short_names(df["code"] + " " + df["title"]),
        progress_now=df["progress_now"].round(1),
        velocity=(df["velocity"] * 30).round(1),
        mark_at=df["projected_finish"].fillna(day),
    )[["name", "due", "projected_finish", "mark_at", "progress_now", "velocity", "state"]]
    data = _dates_as_text(data)
    order = data["name"].tolist()

    def y() -> dict:
        return _f("name:N", sort=list(order), title=None, axis=_o(labelLimit=NAME_LIMIT))

    def tooltip() -> list[dict]:
        return [_f("name:N", title="Initiative"), _f("progress_now:Q", title="Progress %"),
                _f("velocity:Q", title="Points per 30 days"), _day_tip_spec("due", "Due"),
                _day_tip_spec("projected_finish", "Projected finish"), _f("state:N", title="Forecast")]

    colour = _f("state:N", title="Dot: projected finish", legend=_o(orient="bottom", labelLimit=0),
                scale={"domain": list(FORECAST_COLOURS), "range": list(FORECAST_COLOURS.values())})
    # Padding keeps the earliest and latest dots inside the plot instead of cut in half at its edge.
    x = _f("due:T", title="Date", scale={"padding": 14}, axis={"format": TIME_FORMAT})
    link = _unit(_mark("rule", color="#bdbdbd"), {"x": _f("due:T"), "x2": {"field": "mark_at"}, "y": y()})
    due = _unit(_mark("tick", thickness=2, size=14), {
        "x": x, "y": y(), "tooltip": tooltip(),
        "stroke": _f("tick:N", title=None, scale={"domain": ["Tick: due date", "Dashed line: as-of date"],
                                                  "range": ["black", "#616161"]},
                     legend=_o(orient="bottom", labelLimit=0, symbolType="stroke"))},
        transform=[{"calculate": "'Tick: due date'", "as": "tick"}])
    proj = _unit(_mark("circle", size=90, opacity=1), {"x": _f("mark_at:T"), "y": y(), "color": colour,
                                                       "tooltip": tooltip()})
    today = _unit(_mark("rule", strokeDash=[4, 4], color="#616161"),
                  {"x": _f("as_of:T"), "tooltip": [_day_tip_spec("as_of", "As of")]},
                  data=pd.DataFrame({"as_of": [day.strftime("%Y-%m-%d")]}))
    return _layer(data, link, due, proj, today, title=_title(title), width="container", height={"step": 24},
                        resolve={"scale": {"color": "independent", "stroke": "independent"}})


def _dates_as_text(df: pd.DataFrame) -> pd.DataFrame:
    """ISO date strings: stable golden specs and no timezone shift in the browser."""
    out = {c: _iso_days(df[c]) for c in df.columns if pd.api.types.is_datetime64_any_dtype(df[c])}
    return df.assign(**out)


def _iso_days(s: pd.Series) -> pd.Series:
    """``s.dt.strftime("%Y-%m-%d")`` of naive datetimes (missing stays missing), in numpy."""
    if getattr(s.dt, "tz", None) is not None:
        return s.dt.strftime("%Y-%m-%d")
    values = s.to_numpy(dtype="datetime64[ns]")
    text = np.datetime_as_string(values, unit="D").astype(object)
    text[np.isnat(values)] = np.nan
    return pd.Series(pd.array(text, dtype="str"), index=s.index)


def _status_mix(plan: pd.DataFrame) -> pd.DataFrame:
    """:func:`status_mix_over_time` from the plan rows (:func:`_plan_rows`)."""
    # One plan row per date, in date order: the long form is each row's counts in status order.
    k, m = len(STATUS_KEYS), len(plan)
    return pd.DataFrame({
        "snap": np.repeat(plan["snap"].to_numpy(), k),
        "status": pd.Series(np.tile(np.array(STATUS_KEYS, dtype=object), m), dtype="str"),
        "label": pd.Series(np.tile(np.array([STATUS_LABELS[s] for s in STATUS_KEYS], dtype=object), m), dtype="str"),
        "n": plan[COUNT_COLUMNS].to_numpy(dtype="int64").reshape(-1),
    })
