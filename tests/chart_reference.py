"""Reference copy of wehoplan.charts before issue 15's fifth pass (tests/test_pages_equal.py compares against it).

Altair chart builders: pre-aggregated frame in, ``alt.Chart`` out, no Streamlit calls.

Each chart ships its own copy of its data to the browser (GUIDE §6), so every
builder takes a small, already aggregated frame. Statuses always use the GUIDE
colours and labels (from :mod:`wehoplan.domain`); an empty frame gives a chart that
says why it is empty instead of a blank box.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from wehoplan.domain import SMART_VALUES, STATUS_KEYS, STATUS_LABELS, STATUSES

# What the builders return: a single chart, or bars and ticks layered.
AnyChart = alt.Chart | alt.LayerChart

NO_MATCH = "No items match these filters."
STATUS_ORDER = [STATUS_LABELS[k] for k in STATUS_KEYS]
STATUS_SCALE = alt.Scale(domain=STATUS_ORDER, range=[s.colour for s in STATUSES])
SMART_SCALE = alt.Scale(domain=[v.name for v in SMART_VALUES], range=[v.colour for v in SMART_VALUES])
PROGRESS_AXIS = alt.Axis(title="Progress (%)", values=[0, 25, 50, 75, 100])
# Every time axis names the year ("Oct 2020"), and tooltips the day ("15 Oct 2020"), the on-screen format.
TIME_FORMAT = "%b %Y"
DAY_FORMAT = "%-d %b %Y"
# Room for a whole item name on an axis (names longer than NAME_CHARS end in "…" first).
NAME_LIMIT = 420
NAME_CHARS = 80


def short_names(names: pd.Series) -> pd.Series:
    """Names as an axis shows them: whole up to :data:`NAME_CHARS` characters, else cut with "…"."""
    s = names.astype(str)
    return s.where(s.str.len() <= NAME_CHARS, s.str.slice(0, NAME_CHARS - 1).str.rstrip() + "…")


def _time_x(field: str = "snap", title: str = "As of") -> alt.X:
    return alt.X(f"{field}:T", title=title, axis=alt.Axis(format=TIME_FORMAT, labelAngle=0, labelOverlap=True))


def _day_tip(field: str = "snap", title: str = "As of") -> alt.Tooltip:
    return alt.Tooltip(f"{field}:T", title=title, format=DAY_FORMAT)


def _status_colour(field: str = "label", title: str = "Status", legend: bool = True) -> alt.Color:
    # labelLimit 0: "Deferred / on hold / cancelled" reads whole (the default limit cut it).
    return alt.Color(f"{field}:N", scale=STATUS_SCALE, sort=STATUS_ORDER, title=title,
                     legend=alt.Legend(orient="bottom", columns=3, labelLimit=0) if legend else None)


def _with_labels(df: pd.DataFrame, status_col: str = "status") -> pd.DataFrame:
    return df.assign(label=df[status_col].astype("string").map(STATUS_LABELS))


def _dates_as_text(df: pd.DataFrame) -> pd.DataFrame:
    """ISO date strings: stable golden specs and no timezone shift in the browser."""
    out = {c: df[c].dt.strftime("%Y-%m-%d") for c in df.columns if pd.api.types.is_datetime64_any_dtype(df[c])}
    return df.assign(**out)


def _layer(data: pd.DataFrame, *layers: alt.Chart, **props) -> AnyChart:
    """Layer data-less charts over one shared ``data``, top-level properties set at once.

    Same spec as ``(alt.Chart(data)... + alt.Chart(data)...).properties(...)``, but
    Altair's ``+`` hashes and deep-copies every layer to hoist the shared data and
    ``.properties`` rebuilds the whole layer chart: ~5 ms per layered chart per rerun.
    """
    return alt.LayerChart(data=data, layer=list(layers), **props)


def empty(message: str = NO_MATCH, height: int = 120) -> alt.Chart:
    """Build a chart that only shows ``message`` (the empty state of every builder)."""
    return (
        alt.Chart(pd.DataFrame({"message": [message]}))
        .mark_text(size=14, color="#616161")
        .encode(text=alt.Text("message:N"))
        .properties(height=height, width="container")
    )


def progress_bars(df: pd.DataFrame, title: str = "Progress", status_legend: bool = True) -> AnyChart:
    """Horizontal bars of progress per group, coloured by status, with an expected-progress tick.

    Args:
        df: ``name, progress, expected_progress, status`` (one row per bar, in display order).
        title: chart title.
        status_legend: False when a status legend is already beside it (the overview's doughnut).

    """
    if df.empty:
        return empty()
    data = _with_labels(df[["name", "progress", "expected_progress", "status"]]).assign(
        progress=lambda d: d["progress"].round(1), expected_progress=lambda d: d["expected_progress"].round(1))
    order = data["name"].tolist()
    y = alt.Y("name:N", sort=order, title=None, axis=alt.Axis(labelLimit=NAME_LIMIT))
    tooltip = [alt.Tooltip("name:N", title="Item"), alt.Tooltip("progress:Q", title="Progress %"),
               alt.Tooltip("expected_progress:Q", title="Expected %"), alt.Tooltip("label:N", title="Status")]
    bars = alt.Chart().mark_bar().encode(
        x=alt.X("progress:Q", scale=alt.Scale(domain=[0, 100]), axis=PROGRESS_AXIS), y=y,
        color=_status_colour(legend=status_legend), tooltip=tooltip)
    ticks = alt.Chart().mark_tick(color="black", thickness=2).encode(
        x=alt.X("expected_progress:Q"), y=y, tooltip=tooltip)
    # Anchored at the chart's left edge, not centred over the bars: long names leave the bars narrow.
    return _layer(data, bars, ticks, title=alt.TitleParams(title, anchor="start", frame="bounds"),
                  width="container", height=alt.Step(26))


def status_mix(counts: pd.DataFrame, title: str = "Status mix (actions)") -> AnyChart:
    """Doughnut of leaf counts per status, each slice labelled with its count.

    Args:
        counts: ``status, n`` (statuses with n == 0 are left out).
        title: chart title.

    """
    data = counts[counts["n"] > 0]
    if data.empty:
        return empty()
    data = _with_labels(data[["status", "n"]]).assign(n=lambda d: d["n"].astype("int64"))
    # Arcs and their counts share one stacking order, so each number sits on its own slice.
    theta, order = alt.Theta("n:Q", stack=True), alt.Order("status_order:Q")
    tooltip = [alt.Tooltip("label:N", title="Status"), alt.Tooltip("n:Q", title="Actions")]
    arcs = alt.Chart().mark_arc(innerRadius=50, outerRadius=88).encode(
        theta=theta, color=_status_colour(), order=order, tooltip=tooltip)
    counts = alt.Chart().mark_text(radius=104, fontSize=13, fontWeight="bold", color="#212121").encode(
        theta=theta, order=order, text=alt.Text("n:Q"), tooltip=tooltip)
    return _layer(data, arcs, counts, title=title, height=260, width="container",
                  transform=[alt.CalculateTransform(calculate=f"indexof({STATUS_ORDER!r}, datum.label)",
                                                    **{"as": "status_order"})])


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
    return alt.Chart(data).mark_line(point=True).encode(
        x=_time_x(),
        y=alt.Y("progress:Q", scale=alt.Scale(domain=[0, 100]), axis=PROGRESS_AXIS),
        color=alt.Color("group:N", title=by_title, legend=alt.Legend(orient="bottom", columns=1, labelLimit=0)),
        tooltip=[_day_tip(), alt.Tooltip("group:N", title=by_title),
                 alt.Tooltip("progress:Q", title="Progress %")],
    ).properties(title=title, height=320, width="container")


def status_area(df: pd.DataFrame, title: str = "Status mix over time") -> alt.Chart:
    """Stacked area of leaf counts per status over time.

    Args:
        df: ``snap, status, label, n`` (from :func:`wehoplan.trends.status_mix_over_time`).
        title: chart title.

    """
    if df.empty or int(df["n"].sum()) == 0:
        return empty()
    data = _dates_as_text(df[["snap", "label", "n"]])
    return alt.Chart(data).mark_area().encode(
        x=_time_x(),
        y=alt.Y("n:Q", stack="zero", title="Actions"),
        color=_status_colour(),
        order=alt.Order("status_order:Q"),
        tooltip=[_day_tip(), alt.Tooltip("label:N", title="Status"),
                 alt.Tooltip("n:Q", title="Actions")],
    ).transform_calculate(
        status_order=f"indexof({STATUS_ORDER!r}, datum.label)"
    ).properties(title=title, height=300, width="container")


def completions_bar(df: pd.DataFrame, title: str = "Actions completed per quarter") -> alt.Chart:
    """Bars of completions per quarter (``quarter, n`` from :func:`wehoplan.trends.completions_per_quarter`)."""
    if df.empty:
        return empty("No action completed by this date.")
    data = df[["quarter", "n"]]
    return alt.Chart(data).mark_bar(color=STATUS_SCALE.range[STATUS_KEYS.index("completed")]).encode(
        x=alt.X("quarter:O", title="Quarter", sort=data["quarter"].tolist(), axis=alt.Axis(labelAngle=-45)),
        y=alt.Y("n:Q", title="Actions completed", axis=alt.Axis(tickMinStep=1)),
        tooltip=[alt.Tooltip("quarter:O", title="Quarter"), alt.Tooltip("n:Q", title="Completed")],
    ).properties(title=title, height=260, width="container")


def overdue_line(df: pd.DataFrame, title: str = "Overdue actions over time") -> alt.Chart:
    """Line of the overdue count over time (``snap, n_overdue``)."""
    if df.empty:
        return empty()
    data = _dates_as_text(df[["snap", "n_overdue"]])
    red = STATUS_SCALE.range[STATUS_KEYS.index("major_disruption")]
    return alt.Chart(data).mark_line(point=True, color=red, interpolate="step-after").encode(
        x=_time_x(),
        y=alt.Y("n_overdue:Q", title="Overdue actions", axis=alt.Axis(tickMinStep=1)),
        tooltip=[_day_tip(), alt.Tooltip("n_overdue:Q", title="Overdue")],
    ).properties(title=title, height=260, width="container")


FORECAST_COLOURS = {"late": "#c62828", "on time": "#2e7d32", "no velocity": "#9e9e9e",
                    "completed": "#1565c0", "deferred": "#616161"}


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
    y = alt.Y("name:N", sort=order, title=None, axis=alt.Axis(labelLimit=NAME_LIMIT))
    tooltip = [alt.Tooltip("name:N", title="Initiative"), alt.Tooltip("progress_now:Q", title="Progress %"),
               alt.Tooltip("velocity:Q", title="Points per 30 days"), _day_tip("due", "Due"),
               _day_tip("projected_finish", "Projected finish"), alt.Tooltip("state:N", title="Forecast")]
    colour = alt.Color("state:N", title="Dot: projected finish", legend=alt.Legend(orient="bottom", labelLimit=0),
                       scale=alt.Scale(domain=list(FORECAST_COLOURS), range=list(FORECAST_COLOURS.values())))
    # Padding keeps the earliest and latest dots inside the plot instead of cut in half at its edge.
    x = alt.X("due:T", title="Date", scale=alt.Scale(padding=14), axis=alt.Axis(format=TIME_FORMAT))
    base = alt.Chart()
    link = base.mark_rule(color="#bdbdbd").encode(x=alt.X("due:T"), x2=alt.X2("mark_at:T"), y=y)
    due = base.mark_tick(thickness=2, size=14).encode(
        x=x, y=y, tooltip=tooltip,
        stroke=alt.Stroke("tick:N", title=None, scale=alt.Scale(domain=["Tick: due date", "Dashed line: as-of date"],
                                                                 range=["black", "#616161"]),
                          legend=alt.Legend(orient="bottom", labelLimit=0, symbolType="stroke")),
    ).transform_calculate(tick="'Tick: due date'")
    proj = base.mark_circle(size=90, opacity=1).encode(x=alt.X("mark_at:T"), y=y, color=colour, tooltip=tooltip)
    today = alt.Chart(pd.DataFrame({"as_of": [day.strftime("%Y-%m-%d")]})).mark_rule(
        strokeDash=[4, 4], color="#616161").encode(x=alt.X("as_of:T"), tooltip=[_day_tip("as_of", "As of")])
    return _layer(data, link, due, proj, today, title=alt.TitleParams(title, anchor="start", frame="bounds"),
                  width="container", height=alt.Step(24),
                  resolve=alt.Resolve(scale=alt.ScaleResolveMap(color="independent", stroke="independent")))


# The label colour condition, wrapped into its channel once: Altair builds it from a dict
# through jsonschema on every ``encode`` (~4 ms per rerun); the object is only read.
_HEAT_TEXT_COLOUR = alt.Chart().encode(
    color=alt.condition("datum.progress > 60", alt.value("white"), alt.value("black"))).encoding.color


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
    base = alt.Chart().encode(
        x=alt.X("smart:N", title="SMART value", sort=smart_order, axis=alt.Axis(labelAngle=0, orient="top")),
        y=alt.Y("department:N", title=None, axis=alt.Axis(labelLimit=NAME_LIMIT)),
        tooltip=[alt.Tooltip("department:N", title="Department"), alt.Tooltip("smart:N", title="SMART value"),
                 alt.Tooltip("n_leaves:Q", title="Actions"), alt.Tooltip("progress:Q", title="Progress %")],
    )
    rect = base.mark_rect(stroke="white").encode(
        color=alt.Color("progress:Q", title="Progress (%)", scale=alt.Scale(domain=[0, 100], scheme="blues")))
    text = base.mark_text(fontSize=13).encode(
        text=alt.Text("n_leaves:Q"),
        color=_HEAT_TEXT_COLOUR)
    return _layer(data, rect, text, title=title, width="container", height=alt.Step(36))


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
    data = _with_labels(data[["group", "status", "n"]])
    order = list(dict.fromkeys(df["group"].tolist()))
    return alt.Chart(data).mark_bar().encode(
        x=alt.X("n:Q", title="Actions", stack="zero", axis=alt.Axis(tickMinStep=1)),
        y=alt.Y("group:N", sort=order, title=None, axis=alt.Axis(labelLimit=NAME_LIMIT)),
        color=_status_colour(),
        order=alt.Order("status_order:Q"),
        tooltip=[alt.Tooltip("group:N", title=group_title), alt.Tooltip("label:N", title="Status"),
                 alt.Tooltip("n:Q", title="Actions")],
    ).transform_calculate(
        status_order=f"indexof({STATUS_ORDER!r}, datum.label)"
    ).properties(title=title, width="container", height=alt.Step(26))


def history_chart(history: pd.DataFrame) -> AnyChart:
    """Small timeline of one item's reports: progress over time, points coloured by status.

    Args:
        history: the item's rows of the updates frame (``as_of, status, progress, author, comment``).

    """
    if history.empty:
        return empty("No report yet.")
    # Only what the marks use travels to the browser (the status key is replaced by its label).
    data = _dates_as_text(_with_labels(history[["as_of", "status", "progress", "author", "comment"]])
                          .drop(columns="status"))
    x = _time_x("as_of")
    y = alt.Y("progress:Q", title="Progress %", scale=alt.Scale(domain=[0, 100]))
    # Step after each point: a report holds until the next one (GUIDE §3, as-of state).
    line = alt.Chart().mark_line(color="#9e9e9e", interpolate="step-after").encode(x=x, y=y)
    points = alt.Chart().mark_point(filled=True, size=70).encode(
        x=x, y=y, color=_status_colour(),
        tooltip=[_day_tip("as_of"), alt.Tooltip("label:N", title="Status"),
                 alt.Tooltip("progress:Q", title="Progress %"), alt.Tooltip("author:N", title="Author"),
                 alt.Tooltip("comment:N", title="Comment")],
    )
    return _layer(data, line, points, height=180, width="container")


# ---------------------------------------------------------------- measures (issue 17)


def _measure_status_scale() -> alt.Scale:
    from wehoplan.measures.rules import MEASURE_STATUSES

    return alt.Scale(domain=[s.label for s in MEASURE_STATUSES] + ["Not applicable"],
                     range=[s.colour for s in MEASURE_STATUSES] + ["#bdbdbd"])


def measure_chart(history: pd.DataFrame, unit: str | None = None) -> AnyChart:
    """One measure over its periods: actuals, the target as a step line, the caution band.

    Args:
        history: :func:`wehoplan.measures.history` rows (``period, label, value, target, lower,
            upper, band_low, band_high, status``).
        unit: the measure's unit (the y axis title).

    """
    if history.empty:
        return empty("No value or target yet.")
    from wehoplan.measures.rules import MEASURE_STATUS_LABELS

    labels = {**MEASURE_STATUS_LABELS, "not_applicable": "Not applicable"}
    data = _dates_as_text(history[["period", "label", "value", "target", "lower", "upper", "band_low",
                                   "band_high", "status"]].assign(
        status=lambda d: d["status"].astype("string").map(labels)))
    # Month and year on every tick ("Jul 2018", not "July ... 2019 ... March"), and room at the ends so
    # the first and last points are not cut in half.
    x = alt.X("period:T", title="Period end", scale=alt.Scale(padding=12),
              axis=alt.Axis(format=TIME_FORMAT, labelAngle=0, labelOverlap=True))
    y_title = unit or "Value"
    # A target holds from its period until the next (step-after), like the values it is compared with.
    band = alt.Chart().mark_area(color="#f9a825", opacity=0.18, interpolate="step-after").encode(
        x=x, y=alt.Y("band_low:Q", title=y_title), y2="band_high:Q")
    target = alt.Chart().mark_line(color="#424242", strokeDash=[6, 4], interpolate="step-after").encode(
        x=x, y="target:Q")
    lower = alt.Chart().mark_line(color="#424242", strokeDash=[2, 3], interpolate="step-after").encode(
        x=x, y="lower:Q")
    upper = alt.Chart().mark_line(color="#424242", strokeDash=[2, 3], interpolate="step-after").encode(
        x=x, y="upper:Q")
    actual = alt.Chart().mark_line(color="#546e7a").encode(x=x, y="value:Q")
    points = alt.Chart().mark_point(filled=True, size=70).encode(
        x=x, y="value:Q",
        color=alt.Color("status:N", scale=_measure_status_scale(), title="Status",
                        legend=alt.Legend(orient="bottom")),
        tooltip=[alt.Tooltip("label:N", title="Period"), alt.Tooltip("value:Q", title="Value"),
                 alt.Tooltip("target:Q", title="Target"), alt.Tooltip("lower:Q", title="Lower bound"),
                 alt.Tooltip("upper:Q", title="Upper bound"), alt.Tooltip("status:N", title="Status")],
    )
    return _layer(data, band, target, lower, upper, actual, points, height=260, width="container")


def measure_status_bar(counts: pd.DataFrame, title: str = "Measures by status") -> AnyChart:
    """One horizontal stacked bar of measure counts per status (the Overview's measure line).

    Args:
        counts: ``status, n`` (status keys of :data:`wehoplan.measures.MEASURE_STATUS_KEYS`).
        title: chart title.

    """
    from wehoplan.measures.rules import MEASURE_STATUS_KEYS, MEASURE_STATUS_LABELS

    counts = counts[counts["n"] > 0]
    if counts.empty:
        return empty("No measures.", height=60)
    order = [MEASURE_STATUS_LABELS[k] for k in MEASURE_STATUS_KEYS]
    data = counts.assign(label=counts["status"].map(MEASURE_STATUS_LABELS))[["label", "n"]]
    return alt.Chart(data).mark_bar().encode(
        x=alt.X("sum(n):Q", title="Measures", stack="zero"),
        color=alt.Color("label:N", scale=_measure_status_scale(), sort=order, title="Status",
                        legend=alt.Legend(orient="bottom")),
        order=alt.Order("order:Q"),
        tooltip=[alt.Tooltip("label:N", title="Status"), alt.Tooltip("n:Q", title="Measures")],
    ).transform_calculate(order=f"indexof({order!r}, datum.label)").properties(
        title=title, height=60, width="container")
CYCLE_STATES = ["Reported", "Due", "Late"]
CYCLE_SCALE = alt.Scale(domain=CYCLE_STATES, range=["#2e7d32", "#f9a825", "#c62828"])


def cycle_tracker(summary: pd.DataFrame, group_title: str, title: str = "Reports this cycle") -> alt.Chart:
    """Stacked horizontal bars of reported / due / late items per group (owner or department).

    Args:
        summary: :func:`wehoplan.cycles.summarise` of one cycle (``group, reported, due, late``).
        group_title: what a group is ("Owner", "Department").
        title: chart title.

    """
    if summary.empty or int(summary["n_items"].sum()) == 0:
        return empty("No open action is due in this cycle.")
    long = summary.melt(id_vars=["group"], value_vars=["reported", "due", "late"], var_name="state", value_name="n")
    long = long[long["n"] > 0].assign(label=lambda d: d["state"].str.capitalize())
    return alt.Chart(long[["group", "label", "n"]]).mark_bar().encode(
        x=alt.X("n:Q", title="Actions", stack="zero", axis=alt.Axis(tickMinStep=1)),
        y=alt.Y("group:N", sort=summary["group"].tolist(), title=None, axis=alt.Axis(labelLimit=300)),
        color=alt.Color("label:N", scale=CYCLE_SCALE, sort=CYCLE_STATES, title=None,
                        legend=alt.Legend(orient="bottom")),
        order=alt.Order("state_order:Q"),
        tooltip=[alt.Tooltip("group:N", title=group_title), alt.Tooltip("label:N", title="State"),
                 alt.Tooltip("n:Q", title="Actions")],
    ).transform_calculate(
        state_order=f"indexof({CYCLE_STATES!r}, datum.label)"
    ).properties(title=title, width="container", height=alt.Step(26))
