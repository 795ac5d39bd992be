"""Verbatim copies of the code issue 15's ninth pass replaced, kept as the reference.

- ``wehoplan/charts.py``: ``short_names`` and ``_status_labels`` (pandas' string operations on a
  chart's few rows), the chart builders whose frames were made by column selections and
  ``assign`` calls (``progress_bars``, ``status_mix``, ``progress_trend``, ``status_area``,
  ``completions_bar``, ``overdue_line``, ``forecast_chart``, ``heatmap``, ``status_counts_bar``),
  and ``wehoplan/dashboard.py``'s ``departments`` calling them.
- ``wehoplan/dashboard.py``: ``kpis`` and ``needs_attention`` (which read the status words),
  ``strategy_progress`` (names joined by pandas), and ``overview`` calling these.
- ``wehoplan/trends.py``: ``_snap_values``, ``progress_over_time``, ``completions_per_quarter``,
  ``forecast`` (days late through a Series and ``Int64``), and ``page_data`` calling these.

The helpers that did not change are imported from their modules. ``tests/test_pages_equal9.py``
checks the new code against these.
"""


from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from wehoplan.action_report import ReportLabels
from wehoplan.charts import (
    FORECAST_COLOURS,
    NAME_CHARS,
    NAME_LIMIT,
    SMART_VALUES,
    STATUS_KEYS,
    STATUS_SCALE,
    TIME_FORMAT,
    AnyChart,
    _chart,
    _day_tip_spec,
    _f,
    _iso_days,
    _iso_text,
    _layer,
    _mark,
    _o,
    _progress_axis,
    _status_colour_spec,
    _status_order,
    _time_x_spec,
    _title,
    _unit,
    empty,
)
from wehoplan.dashboard import (
    RECENT_DAYS,
    ROOT_ID,
    Departments,
    Kpis,
    Overview,
    _col,
    _days,
    _metrics,
    _objects,
    _take,
    _text,
    behind_schedule,
    group_leaves,
    group_table,
    heatmap_data,
    plural,
    report_labels,
    status_counts,
    status_counts_by,
    summary_table,
)
from wehoplan.domain import HEALTH_LABELS, STATUS_LABELS
from wehoplan.filters import Filters
from wehoplan.rollup import PreparedTree, Thresholds, first_completed, roll_up_many
from wehoplan.table_columns import _column_words
from wehoplan.trends import (
    GROUP_OPTIONS,
    PAGE_COLUMNS,
    TREND_GROUPS,
    TrendsPage,
    _plan_counts,
    _status_mix,
    aggregate,
    forecast_dates,
    page_rows,
    smart_names,
)


def short_names(names: pd.Series) -> pd.Series:
    """Names as an axis shows them: whole up to :data:`NAME_CHARS` characters, else cut with "…"."""
    s = names.astype(str)
    short = s.str.len() <= NAME_CHARS
    if short.all():  # the usual case: nothing to cut, so no cut copies to make
        return s.where(short)
    return s.where(short, s.str.slice(0, NAME_CHARS - 1).str.rstrip() + "…")


def _status_labels(status: pd.Series) -> pd.Series:
    """``status.astype("string").map(STATUS_LABELS)``, looked up once per distinct status."""
    codes, uniques = pd.factorize(status.astype("string"))
    words = pd.array([*(STATUS_LABELS.get(u) for u in uniques), None], dtype="str")
    return pd.Series(words.take(np.where(codes < 0, len(uniques), codes)), index=status.index)


def _dates_as_text(df: pd.DataFrame) -> pd.DataFrame:
    """ISO date strings: stable golden specs and no timezone shift in the browser."""
    out = {c: _iso_days(df[c]) for c in df.columns if pd.api.types.is_datetime64_any_dtype(df[c])}
    return df.assign(**out)


def progress_bars(df: pd.DataFrame, title: str = "Progress", status_legend: bool = True) -> AnyChart:
    """Horizontal bars of progress per group, coloured by status, with an expected-progress tick.

    Args:
        df: ``name, progress, expected_progress, status`` (one row per bar, in display order).
        title: chart title.
        status_legend: False when a status legend is already beside it (the overview's doughnut).

    """
    if df.empty:
        return empty()
    # One frame, built once (a copy per assign cost more than the chart).
    data = pd.DataFrame({"name": df["name"], "progress": df["progress"].round(1),
                         "expected_progress": df["expected_progress"].round(1), "status": df["status"],
                         "label": _status_labels(df["status"])}, index=df.index)
    order = data["name"].tolist()

    def y() -> dict:
        return _f("name:N", sort=list(order), title=None, axis=_o(labelLimit=NAME_LIMIT))

    def tooltip() -> list[dict]:
        return [_f("name:N", title="Item"), _f("progress:Q", title="Progress %"),
                _f("expected_progress:Q", title="Expected %"), _f("label:N", title="Status")]

    bars = _unit(_mark("bar"), {
        "x": _f("progress:Q", scale={"domain": [0, 100]}, axis=_progress_axis()), "y": y(),
        "color": _status_colour_spec(legend=status_legend), "tooltip": tooltip()})
    ticks = _unit(_mark("tick", color="black", thickness=2),
                  {"x": _f("expected_progress:Q"), "y": y(), "tooltip": tooltip()})
    # Anchored at the chart's left edge, not centred over the bars: long names leave the bars narrow.
    return _layer(data, bars, ticks, title=_title(title), width="container", height={"step": 26})


def status_mix(counts: pd.DataFrame, title: str = "Status mix (actions)") -> AnyChart:
    """Doughnut of leaf counts per status, each slice labelled with its count.

    Args:
        counts: ``status, n`` (statuses with n == 0 are left out).
        title: chart title.

    """
    data = counts[counts["n"] > 0]
    if data.empty:
        return empty()
    data = pd.DataFrame({"status": data["status"], "n": data["n"].astype("int64"),
                         "label": _status_labels(data["status"])}, index=data.index)

    # Arcs and their counts share one stacking order, so each number sits on its own slice.
    def shared() -> dict:
        return {"theta": _f("n:Q", stack=True), "order": _f("status_order:Q"),
                "tooltip": [_f("label:N", title="Status"), _f("n:Q", title="Actions")]}

    arcs = _unit(_mark("arc", innerRadius=50, outerRadius=88), {**shared(), "color": _status_colour_spec()})
    labels = _unit(_mark("text", radius=104, fontSize=13, fontWeight="bold", color="#212121"),
                   {**shared(), "text": _f("n:Q")})
    return _layer(data, arcs, labels, title=title, height=260, width="container", transform=[_status_order()])


def progress_trend(df: pd.DataFrame, by_title: str = "Strategy", title: str = "Progress over time") -> alt.Chart:
    """Lines of rolled-up progress per group over time.

    Args:
        df: ``snap, group, progress`` (from :func:`wehoplan.trends.progress_over_time`).
        by_title: legend title (what the groups are).
        title: chart title.

    """
    if df.empty:
        return empty()
    data = _dates_as_text(df[["snap", "group", "progress"]].assign(progress=lambda d: d["progress"].round(1)))
    # One legend entry a line, whole: two columns cut long strategy titles ("...to do m").
    return _chart(data, mark=_mark("line", point=True), encoding=_o(
        x=_time_x_spec(),
        y=_f("progress:Q", scale={"domain": [0, 100]}, axis=_progress_axis()),
        color=_f("group:N", title=by_title, legend=_o(orient="bottom", columns=1, labelLimit=0)),
        tooltip=[_day_tip_spec(), _f("group:N", title=by_title), _f("progress:Q", title="Progress %")],
    ), title=title, height=320, width="container")


def status_area(df: pd.DataFrame, title: str = "Status mix over time") -> alt.Chart:
    """Stacked area of leaf counts per status over time.

    Args:
        df: ``snap, status, label, n`` (from :func:`wehoplan.trends.status_mix_over_time`).
        title: chart title.

    """
    if df.empty or int(df["n"].sum()) == 0:
        return empty()
    data = _dates_as_text(df[["snap", "label", "n"]])
    return _chart(data, mark=_mark("area"), encoding=_o(
        x=_time_x_spec(),
        y=_f("n:Q", stack="zero", title="Actions"),
        color=_status_colour_spec(),
        order=_f("status_order:Q"),
        tooltip=[_day_tip_spec(), _f("label:N", title="Status"), _f("n:Q", title="Actions")],
    ), transform=[_status_order()], title=title, height=300, width="container")


def completions_bar(df: pd.DataFrame, title: str = "Actions completed per quarter") -> alt.Chart:
    """Bars of completions per quarter (``quarter, n`` from :func:`wehoplan.trends.completions_per_quarter`)."""
    if df.empty:
        return empty("No action completed by this date.")
    data = df[["quarter", "n"]]
    return _chart(data, mark=_mark("bar", color=STATUS_SCALE.range[STATUS_KEYS.index("completed")]),
                     encoding=_o(
        x=_f("quarter:O", title="Quarter", sort=data["quarter"].tolist(), axis=_o(labelAngle=-45)),
        y=_f("n:Q", title="Actions completed", axis=_o(tickMinStep=1)),
        tooltip=[_f("quarter:O", title="Quarter"), _f("n:Q", title="Completed")],
    ), title=title, height=260, width="container")


def overdue_line(df: pd.DataFrame, title: str = "Overdue actions over time") -> alt.Chart:
    """Line of the overdue count over time (``snap, n_overdue``)."""
    if df.empty:
        return empty()
    data = _dates_as_text(df[["snap", "n_overdue"]])
    red = STATUS_SCALE.range[STATUS_KEYS.index("major_disruption")]
    return _chart(data, mark=_mark("line", point=True, color=red, interpolate="step-after"), encoding=_o(
        x=_time_x_spec(),
        y=_f("n_overdue:Q", title="Overdue actions", axis=_o(tickMinStep=1)),
        tooltip=[_day_tip_spec(), _f("n_overdue:Q", title="Overdue")],
    ), title=title, height=260, width="container")


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
    # The frame the chart carries, made at once from the forecast's columns (naive datetimes,
    # as trends.forecast makes them): dates as ISO text, a missing projection marked at the as-of date.
    due, projected = (df[c].to_numpy(dtype="datetime64[ns]") for c in ("due", "projected_finish"))
    names = short_names(df["code"] + " " + df["title"])
    data = pd.DataFrame({
        "name": names.array, "due": _iso_text(due), "projected_finish": _iso_text(projected),
        "mark_at": _iso_text(np.where(np.isnat(projected), day.to_datetime64(), projected)),
        "progress_now": df["progress_now"].to_numpy().round(1), "velocity": (df["velocity"].to_numpy() * 30).round(1),
        "state": df["state"].array,
    }, index=df.index)
    order = names.tolist()

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


def kpis(table: pd.DataFrame, updates: pd.DataFrame, as_of: pd.Timestamp | str, recent_days: int = RECENT_DAYS,
         first_done: pd.Series | None = None) -> Kpis | None:
    """Headline numbers of the selection at ``as_of``; None when nothing is selected.

    ``n_completed_recently`` counts selected actions completed at ``as_of`` whose first
    completed update falls within the last ``recent_days`` days. ``first_done``:
    :func:`wehoplan.rollup.first_completed` at ``as_of`` when the caller has it (it does
    not depend on the filters; computing it scans every update).
    """
    ids = table["id"].to_numpy()
    root = np.flatnonzero(ids == ROOT_ID)
    if not len(root):
        return None
    r = root[0]
    at = np.flatnonzero(table["is_leaf"].to_numpy(dtype=bool) & (ids != ROOT_ID))
    status = _col(table, "status", at)
    active = ~np.isin(status, ["deferred", "pending"])
    good = int(np.isin(status[active], ["on_track", "completed"]).sum())
    n_active = int(active.sum())
    as_of = pd.Timestamp(as_of).normalize()
    done_ids = ids[at][status == "completed"]
    if first_done is None:
        first_done = first_completed(updates, as_of)
    first_done = first_done[first_done.index.isin(done_ids)]
    recent = int((first_done > as_of - pd.Timedelta(days=recent_days)).sum())
    expected = table["expected_progress"].to_numpy()[r]
    level, behind = behind_schedule(table)
    return Kpis(
        progress=float(table["progress"].to_numpy()[r]),
        expected_progress=None if pd.isna(expected) else float(expected),
        share_on_track=float(good / n_active * 100) if n_active else None,
        n_actions=int(table["n_leaves"].to_numpy()[r]),
        n_overdue=int(table["n_overdue"].to_numpy()[r]),
        n_completed_recently=recent,
        n_stale=int(table["stale"].to_numpy(dtype=bool)[at].sum()),
        health=str(_col(table, "health", root)[0]),
        n_behind_schedule=behind,
        behind_label=f"{plural(level)} behind schedule",
    )


def strategy_progress(table: pd.DataFrame) -> pd.DataFrame:
    """``name, progress, expected_progress, status`` per top-level item (for a bar chart)."""
    at = np.flatnonzero(table["depth"].to_numpy() == 1)
    names = pd.Series(_take(table, "code", at) + " " + _take(table, "title", at))
    return pd.DataFrame({
        "name": short_names(names).to_numpy(),
        "progress": table["progress"].to_numpy()[at],
        "expected_progress": table["expected_progress"].to_numpy()[at],
        "status": _objects(_take(table, "status", at)),
    })


def needs_attention(table: pd.DataFrame, labels: ReportLabels | None = None) -> pd.DataFrame:
    """Actions in major disruption, overdue or stale, worst first, with owner and department.

    ``labels``: :func:`report_labels` of the tree ``table`` was rolled up from (code, title,
    owner and department are then taken from it).
    """
    leaf = table["is_leaf"].to_numpy(dtype=bool) & (table["id"].to_numpy() != ROOT_ID)
    major = (table["status"].to_numpy(dtype=object) == "major_disruption") & leaf
    overdue = table["overdue"].to_numpy(dtype=bool) & leaf
    stale = table["stale"].to_numpy(dtype=bool) & leaf
    at = np.flatnonzero(major | overdue | stale)
    major, overdue, stale = major[at], overdue[at], stale[at]
    # Worst first (major disruption, then overdue, then stale), outline order among equals.
    rank = major.astype(int) * 4 + overdue.astype(int) * 2 + stale.astype(int)
    by = np.lexsort((table["order"].to_numpy()[at], -rank))
    at, major, overdue, stale = at[by], major[by], overdue[by], stale[by]
    # One join per row over three booleans: a row-wise DataFrame.apply was the slow part of the page.
    words = ("major disruption", "overdue", "stale")
    reasons = [", ".join(w for w, on in zip(words, row, strict=True) if on)
               for row in zip(major.tolist(), overdue.tolist(), stale.tolist(), strict=True)]
    if labels is None:
        code, title = _take(table, "code", at), _take(table, "title", at)
        owner, department = _take(table, "owner", at).fillna(""), _take(table, "department", at).fillna("")
    else:
        where = labels.at(table, at)
        code, title, owner, department = (a.take(where) for a in (labels.code, labels.title, labels.owner,
                                                                    labels.department))
    return pd.DataFrame({
        "Code": code, "Title": title,
        "Why": _text(reasons),
        "Owner": owner, "Department": department,
        "Due": _days(table, "due", at), "Status": _column_words(table, "status", at, STATUS_LABELS.get, None),
        "Health": _column_words(table, "health", at, lambda h: HEALTH_LABELS.get(h, ""), ""),
        "Progress": table["progress"].to_numpy(dtype="float64")[at].round(1),
        "Last update": _days(table, "last_update", at),
    })


def overview(table: pd.DataFrame, updates: pd.DataFrame, as_of: pd.Timestamp | str, first_done: pd.Series,
             thresholds: Thresholds, prepared: PreparedTree | None = None) -> Overview | None:
    """Everything the executive overview shows; None when nothing is selected.

    Args:
        table: the roll-up table of the selection at ``as_of``.
        updates: the plan's updates.
        as_of: the as-of date.
        first_done: :func:`wehoplan.rollup.first_completed` at ``as_of`` (filter-independent,
            so the caller caches it).
        thresholds: the schedule thresholds the table was rolled up with (their stale days
            appear in the help texts).
        prepared: the prepared tree ``table`` was rolled up from, when the caller has it: the
            attention table's code, title, owner and department come from :func:`report_labels`.

    """
    k = kpis(table, updates, as_of, first_done=first_done)
    if k is None:
        return None
    bars, mix = strategy_progress(table), status_counts(table)
    attention = needs_attention(table, None if prepared is None else report_labels(prepared))
    n = len(attention)
    return Overview(
        kpis=k, metrics=_metrics(k, thresholds), strategy_progress=bars, status_counts=mix,
        # The doughnut beside it carries the status legend: one legend, not two identical ones.
        progress_chart=progress_bars(bars, "Progress by strategy (tick = expected)", status_legend=False),
        status_chart=status_mix(mix),
        summary=summary_table(table, status_key=False), attention=attention,
        attention_caption=f"{n} action{'s' if n != 1 else ''}: major disruption, overdue, or no update for "
                          f"{thresholds.stale_days}+ days.",
    )


def _snap_values(dates) -> np.ndarray:
    """``dates`` as sorted, distinct, normalised ``datetime64[ns]`` values (the roll-up's snaps)."""
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
        ids = pd.Series(uniq)
        names = short_names(ids.map(labels["code"]).astype(str) + " " + ids.map(labels["title"]).astype(str))
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
    first = first_done.to_numpy()[first_done.index.isin(rolled["id"].to_numpy()[here])]
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
    projected = (as_of + pd.to_timedelta(np.ceil(days_left), unit="D")).to_numpy(dtype="datetime64[ns]")
    projected = np.where(moving & ~done & ~deferred, projected, np.datetime64("NaT", "ns"))
    due = rolled["due"].to_numpy(dtype="datetime64[ns]")[now]
    days_late = pd.Series(projected - due).dt.days  # whole days, floored, as Timedelta.days
    open_ = ~done & ~deferred
    overdue_now = open_ & (due < as_of.to_datetime64())
    late = open_ & ((days_late > 0).to_numpy(dtype=bool) | overdue_now)
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
        "days_late": days_late.astype("Int64").to_numpy()[by],
        "state": pd.array(state[by], dtype="string"),
        "late": late[by],
    })


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
        progress_chart=progress_trend(progress, GROUP_OPTIONS[by]),
        status_chart=status_area(mix),
        overdue_chart=overdue_line(overdue),
        completions_chart=completions_bar(done),
        forecast_chart=forecast_chart(fc, pd.Timestamp(as_of).normalize()),
    )


def heatmap(df: pd.DataFrame, title: str = "Department × SMART value") -> AnyChart:
    """Department × SMART value grid coloured by progress, labelled with the action count.

    Args:
        df: ``department, smart, n_leaves, progress`` (one row per cell with actions).
        title: chart title.

    """
    if df.empty:
        return empty()
    data = df[["department", "smart", "n_leaves", "progress"]].assign(progress=lambda d: d["progress"].round(1))
    smart_order = [v.name for v in SMART_VALUES] + ["(none)"]

    def base() -> dict:
        return {
            "x": _f("smart:N", title="SMART value", sort=list(smart_order), axis=_o(labelAngle=0, orient="top")),
            "y": _f("department:N", title=None, axis=_o(labelLimit=NAME_LIMIT)),
            "tooltip": [_f("department:N", title="Department"), _f("smart:N", title="SMART value"),
                        _f("n_leaves:Q", title="Actions"), _f("progress:Q", title="Progress %")],
        }

    rect = _unit(_mark("rect", stroke="white"), {**base(), "color": _f(
        "progress:Q", title="Progress (%)", scale={"domain": [0, 100], "scheme": "blues"})})
    text = _unit(_mark("text", fontSize=13), {**base(), "text": _f("n_leaves:Q"), "color": {
        "condition": {"test": "datum.progress > 60", "value": "white"}, "value": "black"}})
    return _layer(data, rect, text, title=title, width="container", height={"step": 36})


def status_counts_bar(df: pd.DataFrame, group_title: str, title: str) -> alt.Chart:
    """Stacked horizontal bars of action counts per status for each group (department, owner...).

    Args:
        df: ``group, status, n`` (long form; groups in display order).
        group_title: what a group is ("Department", "Owner").
        title: chart title.

    """
    data = df[df["n"] > 0]
    if data.empty:
        return empty()
    data = pd.DataFrame({"group": data["group"], "status": data["status"], "n": data["n"],
                         "label": _status_labels(data["status"])}, index=data.index)
    order = list(dict.fromkeys(df["group"].tolist()))
    return _chart(data, mark=_mark("bar"), encoding=_o(
        x=_f("n:Q", title="Actions", stack="zero", axis=_o(tickMinStep=1)),
        y=_f("group:N", sort=order, title=None, axis=_o(labelLimit=NAME_LIMIT)),
        color=_status_colour_spec(),
        order=_f("status_order:Q"),
        tooltip=[_f("group:N", title=group_title), _f("label:N", title="Status"), _f("n:Q", title="Actions")],
    ), transform=[_status_order()], title=title, width="container", height={"step": 26})


def departments(table: pd.DataFrame, thresholds: Thresholds | None = None) -> Departments | None:
    """The department, SMART and owner views of the selection; None when no action is selected.

    ``thresholds``: the schedule-health ratios the groups' health is read with (default: the defaults).
    """
    th = thresholds or Thresholds()
    if not (table["is_leaf"] & (table["id"] != ROOT_ID)).any():
        return None
    heat = heatmap_data(table)
    by_dept = group_leaves(table, "department", th).rename(columns={"group": "name"}) \
        .sort_values("progress", ascending=False)
    by_smart = group_leaves(table, "smart", th).rename(columns={"group": "name"})
    dept_status, owner_status = status_counts_by(table, "department"), status_counts_by(table, "owner")
    return Departments(
        heatmap=heat, by_department=by_dept, by_smart=by_smart, department_status=dept_status,
        owner_status=owner_status,
        heatmap_chart=heatmap(heat, "Department × SMART value (number = actions, colour = progress)"),
        department_chart=progress_bars(by_dept, "Progress by department (tick = expected)"),
        department_status_chart=status_counts_bar(dept_status, "Department",
                                                         "Actions per status, by department"),
        smart_chart=progress_bars(by_smart, "Progress by SMART value (tick = expected)"),
        owner_status_chart=status_counts_bar(owner_status, "Owner", "Workload by owner (actions per status)"),
        department_table=group_table(by_dept, "Department"),
    )
