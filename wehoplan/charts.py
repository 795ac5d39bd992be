"""Altair chart builders: pre-aggregated frame in, ``alt.Chart`` out, no Streamlit calls.

Each chart ships its own copy of its data to the browser (GUIDE §6), so every
builder takes a small, already aggregated frame. Statuses always use the GUIDE
colours and labels (from :mod:`wehoplan.domain`); an empty frame gives a chart that
says why it is empty instead of a blank box.
"""

from __future__ import annotations

from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from wehoplan.domain import SMART_VALUES, STATUS_KEYS, STATUS_LABELS, STATUSES

# What the builders return: a single chart, or bars and ticks layered.
AnyChart = alt.Chart | alt.LayerChart

NO_MATCH = "No items match these filters."
STATUS_ORDER = [STATUS_LABELS[k] for k in STATUS_KEYS]
STATUS_SCALE = alt.Scale(domain=STATUS_ORDER, range=[s.colour for s in STATUSES])
# Every time axis names the year ("Oct 2020"), and tooltips the day ("15 Oct 2020"), the on-screen format.
TIME_FORMAT = "%b %Y"
DAY_FORMAT = "%-d %b %Y"
# Room for a whole item name on an axis (names longer than NAME_CHARS end in "…" first).
NAME_LIMIT = 420
NAME_CHARS = 80


# Up to this many values, a column's words are worked out in plain Python: pandas' own string
# operations cost tens of microseconds each however short the column (a chart has a few dozen bars).
FEW = 512


def joined_names(codes, titles) -> pd.Series:
    """``codes + " " + titles`` (two text columns of one length) as a ``str`` Series: "1.2 Open data".

    Missing where either is missing, as the columns' own ``+`` gives; up to :data:`FEW`
    names joined in plain Python.
    """
    if len(codes) > FEW:
        return pd.Series(pd.array(codes, dtype="str") + " " + pd.array(titles, dtype="str"))
    return pd.Series([c + " " + t if isinstance(c, str) and isinstance(t, str) else np.nan
                      for c, t in zip(pd.array(codes, dtype="str").tolist(), pd.array(titles, dtype="str").tolist(),
                                      strict=True)], dtype="str")


def short_names(names: pd.Series) -> pd.Series:
    """Names as an axis shows them: whole up to :data:`NAME_CHARS` characters, else cut with "…"."""
    s = names.astype(str)
    if len(s) <= FEW and all(isinstance(v, str) and len(v) <= NAME_CHARS for v in s.tolist()):
        return s  # the usual case: every name whole (what ``s.where(short)`` gives, a new Series)
    short = s.str.len() <= NAME_CHARS
    if short.all():  # the usual case: nothing to cut, so no cut copies to make
        return s.where(short)
    return s.where(short, s.str.slice(0, NAME_CHARS - 1).str.rstrip() + "…")


def _time_x(field: str = "snap", title: str = "As of") -> alt.X:
    return alt.X(f"{field}:T", title=title, axis=alt.Axis(format=TIME_FORMAT, labelAngle=0, labelOverlap=True))


def _day_tip(field: str = "snap", title: str = "As of") -> alt.Tooltip:
    return alt.Tooltip(f"{field}:T", title=title, format=DAY_FORMAT)


def _status_colour(field: str = "label", title: str = "Status", legend: bool = True) -> alt.Color:
    # labelLimit 0: "Deferred / on hold / cancelled" reads whole (the default limit cut it).
    return alt.Color(f"{field}:N", scale=STATUS_SCALE, sort=STATUS_ORDER, title=title,
                     legend=alt.Legend(orient="bottom", columns=3, labelLimit=0) if legend else None)


def _status_labels(status: pd.Series) -> pd.Series:
    """``status.astype("string").map(STATUS_LABELS)``, looked up once per distinct status."""
    if len(status) <= FEW:  # a chart's few rows: each looked up in plain Python
        return pd.Series(pd.array([STATUS_LABELS.get(v) if isinstance(v, str) else None for v in status.tolist()],
                                  dtype="str"), index=status.index)
    codes, uniques = pd.factorize(status.astype("string"))
    words = pd.array([*(STATUS_LABELS.get(u) for u in uniques), None], dtype="str")
    return pd.Series(words.take(np.where(codes < 0, len(uniques), codes)), index=status.index)


def _with_labels(df: pd.DataFrame, status_col: str = "status") -> pd.DataFrame:
    return df.assign(label=_status_labels(df[status_col]))


def _dates_as_text(df: pd.DataFrame) -> pd.DataFrame:
    """ISO date strings: stable golden specs and no timezone shift in the browser."""
    out = {c: _iso_days(df[c]) for c in df.columns if pd.api.types.is_datetime64_any_dtype(df[c])}
    return df.assign(**out)


def _columns_as_text(df: pd.DataFrame, columns: list[str], **values) -> pd.DataFrame:
    """``_dates_as_text(df[columns].assign(**values))``, made at once from the columns' arrays.

    A chart's frame of a few dozen rows: a column selection, an ``assign`` and a second
    ``assign`` each copied the frame, and cost more than the chart. ``values``: arrays
    replacing those columns, in their places.
    """
    out = {}
    for c in columns:
        v = values[c] if c in values else df[c]
        v = v if isinstance(v, pd.Series) else pd.Series(v, index=df.index, copy=False)
        if pd.api.types.is_datetime64_any_dtype(v):
            v = _iso_days(v)
        if isinstance(v.dtype, pd.api.extensions.ExtensionDtype):
            out[c] = v.array
        elif v.dtype == object:  # stays object (a frame would infer "str" from an object array of text)
            out[c] = pd.Series(v.to_numpy(), index=df.index, dtype=object, copy=False)
        else:
            out[c] = v.to_numpy()
    return pd.DataFrame(out, index=df.index, copy=False)


def _iso_days(s: pd.Series) -> pd.Series:
    """``s.dt.strftime("%Y-%m-%d")`` of naive datetimes (missing stays missing), in numpy."""
    if getattr(s.dt, "tz", None) is not None:
        return s.dt.strftime("%Y-%m-%d")
    return pd.Series(_iso_text(s.to_numpy(dtype="datetime64[ns]")), index=s.index)


def _iso_text(values: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """Naive ``datetime64[ns]`` values as ISO date strings (``str``; missing stays missing)."""
    text = np.datetime_as_string(values, unit="D").astype(object)
    text[np.isnat(values)] = np.nan
    return pd.array(text, dtype="str")


def _layer(data: pd.DataFrame, *layers: alt.Chart, **props) -> alt.LayerChart:
    """Layer data-less charts over one shared ``data``, top-level properties set at once.

    Same spec as ``(alt.Chart(data)... + alt.Chart(data)...).properties(...)``, but
    Altair's ``+`` hashes and deep-copies every layer to hoist the shared data and
    ``.properties`` rebuilds the whole layer chart: ~5 ms per layered chart per rerun.
    """
    if "params" in props or not all(_bare(c) for c in layers) or _hoists_data(data, layers):
        return alt.LayerChart(data=data, layer=list(layers), **props)
    # Layers without parameters or sizes, whose data stays where it is: LayerChart's constructor
    # would only deep-copy each of them twice (to hoist data and parameters and move sizes to the
    # top, none here) and hand back equal copies. The layers are set as given: the same to_dict().
    chart = alt.LayerChart(data=data, **props)
    chart.layer = list(layers)
    return chart


_HOISTED = ("params", "height", "width", "view")  # what LayerChart's constructor moves out of a layer


def _bare(layer) -> bool:
    """A plain unit layer with no parameters or sizes for LayerChart's constructor to hoist (see :func:`_layer`)."""
    return type(layer) is alt.Chart and all(layer._get(k) is alt.Undefined for k in _HOISTED)


def _hoists_data(data, layers) -> bool:
    """Whether LayerChart's constructor would move a layer's data (Altair's ``_combine_subchart_data``).

    Without top-level data, the layers' one shared data goes up; with it, the layers' copies
    of that same object are dropped, but only when no layer has other data. A layer's own
    other data (a rule at one date over the chart's rows, say) stays in every case.
    """
    if not layers:
        return False
    own = [c._get("data") for c in layers]
    if data is alt.Undefined:
        return own[0] is not alt.Undefined and all(d is own[0] for d in own)
    return any(d is not alt.Undefined for d in own) and all(d is alt.Undefined or d is data for d in own)


# ---------------------------------------------------------------- specs as plain dicts
# The dashboard builders below write their Vega-Lite parts as plain dicts (keys in the order
# Altair emits them) inside one thin Altair top-level object: the same ``to_dict()`` as the
# fluent API (pinned by the golden specs and by tests/test_charts_equal.py against the fluent
# builders), without the fluent API's per-call copies and per-object schema validation.
# Streamlit still validates the whole spec once when it draws the chart.
_TYPES = {"N": "nominal", "Q": "quantitative", "T": "temporal", "O": "ordinal"}


class _Encoding(alt.FacetedEncoding):
    """A layer's encoding from channel dicts: a layer needs an encoding object, not a dict."""

    _class_is_valid_at_instantiation = False  # validated with the whole spec, once


def _o(**props) -> dict:
    """Properties in Altair's order for schema objects (alphabetical)."""
    return dict(sorted(props.items()))


def _f(shorthand: str, **props) -> dict:
    """A field channel: ``"name:N"`` plus properties, as Altair writes ``alt.X("name:N", ...)``."""
    field, kind = shorthand.rsplit(":", 1)
    return _o(field=field, type=_TYPES[kind], **props)


def _mark(kind: str, **props) -> dict:
    """A mark definition: its type first, then its properties (Altair's order)."""
    return {"type": kind, **_o(**props)}


def _title(text: str) -> dict:
    """A title anchored at the chart's left edge (long names leave the bars narrow)."""
    return {"text": text, "anchor": "start", "frame": "bounds"}


def _status_scale() -> dict:
    return {"domain": list(STATUS_ORDER), "range": [s.colour for s in STATUSES]}


def _status_colour_spec(field: str = "label", title: str = "Status", legend: bool = True) -> dict:
    # labelLimit 0: "Deferred / on hold / cancelled" reads whole (the default limit cut it).
    return _f(f"{field}:N", scale=_status_scale(), sort=list(STATUS_ORDER), title=title,
              legend=_o(orient="bottom", columns=3, labelLimit=0) if legend else None)


def _status_order() -> dict:
    return {"calculate": f"indexof({STATUS_ORDER!r}, datum.label)", "as": "status_order"}


def _progress_axis() -> dict:
    return _o(title="Progress (%)", values=[0, 25, 50, 75, 100])


def _time_x_spec(field: str = "snap", title: str = "As of") -> dict:
    return _f(f"{field}:T", title=title, axis=_o(format=TIME_FORMAT, labelAngle=0, labelOverlap=True))


def _day_tip_spec(field: str = "snap", title: str = "As of") -> dict:
    return _f(f"{field}:T", title=title, format=DAY_FORMAT)


def _chart(data: pd.DataFrame, mark: dict, encoding: dict, **props: Any) -> alt.Chart:
    """A single chart from its spec parts (dicts); Altair orders the top-level keys as it always does."""
    kwargs: dict[str, Any] = {"data": data, "mark": mark, "encoding": encoding, **props}
    return alt.Chart(**kwargs)


def _unit(mark: dict, encoding: dict, **props: Any) -> alt.Chart:
    """One layer of a layered chart (its data is the layered chart's unless ``data`` is given)."""
    kwargs: dict[str, Any] = {"mark": mark, "encoding": _Encoding(**encoding), **props}
    return alt.Chart(**kwargs)


def empty(message: str = NO_MATCH, height: int = 120) -> alt.Chart:
    """Build a chart that only shows ``message`` (the empty state of every builder)."""
    return _chart(pd.DataFrame({"message": [message]}), mark=_mark("text", size=14, color="#616161"),
                     encoding={"text": _f("message:N")}, height=height, width="container")


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
    # The columns as arrays over df's own rows: no alignment of Series on their index.
    data = pd.DataFrame({"name": df["name"].array, "progress": df["progress"].round(1).array,
                         "expected_progress": df["expected_progress"].round(1).array, "status": df["status"].array,
                         "label": _status_labels(df["status"]).array}, index=df.index)
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
    at = np.flatnonzero(counts["n"].to_numpy() > 0)
    if not len(at):
        return empty()
    # The rows with actions, taken by position (a boolean mask and a frame of Series aligned on
    # their index cost more than the chart's few rows).
    status = pd.Series(counts["status"].array.take(at), index=counts.index[at])
    data = pd.DataFrame({"status": status.array, "n": counts["n"].to_numpy()[at].astype("int64"),
                         "label": _status_labels(status).array}, index=status.index)

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
    data = _columns_as_text(df, ["snap", "group", "progress"], progress=df["progress"].round(1))
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
    data = _columns_as_text(df, ["snap", "label", "n"])
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
    data = _columns_as_text(df, ["quarter", "n"])
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
    data = _columns_as_text(df, ["snap", "n_overdue"])
    red = STATUS_SCALE.range[STATUS_KEYS.index("major_disruption")]
    return _chart(data, mark=_mark("line", point=True, color=red, interpolate="step-after"), encoding=_o(
        x=_time_x_spec(),
        y=_f("n_overdue:Q", title="Overdue actions", axis=_o(tickMinStep=1)),
        tooltip=[_day_tip_spec(), _f("n_overdue:Q", title="Overdue")],
    ), title=title, height=260, width="container")


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
    # The frame the chart carries, made at once from the forecast's columns (naive datetimes,
    # as trends.forecast makes them): dates as ISO text, a missing projection marked at the as-of date.
    due, projected = (df[c].to_numpy(dtype="datetime64[ns]") for c in ("due", "projected_finish"))
    names = short_names(joined_names(df["code"], df["title"]))
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


def heatmap(df: pd.DataFrame, title: str = "Department × SMART value") -> AnyChart:
    """Department × SMART value grid coloured by progress, labelled with the action count.

    Args:
        df: ``department, smart, n_leaves, progress`` (one row per cell with actions).
        title: chart title.

    """
    if df.empty:
        return empty()
    data = _columns_as_text(df, ["department", "smart", "n_leaves", "progress"], progress=df["progress"].round(1))
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
    at = np.flatnonzero(df["n"].to_numpy() > 0)
    if not len(at):
        return empty()
    # The rows with actions, taken by position (as the doughnut's: no mask, no Series aligned on an index).
    status = pd.Series(df["status"].array.take(at), index=df.index[at])
    data = pd.DataFrame({"group": df["group"].array.take(at), "status": status.array,
                         "n": df["n"].to_numpy()[at], "label": _status_labels(status).array}, index=status.index)
    order = list(dict.fromkeys(df["group"].tolist()))
    return _chart(data, mark=_mark("bar"), encoding=_o(
        x=_f("n:Q", title="Actions", stack="zero", axis=_o(tickMinStep=1)),
        y=_f("group:N", sort=order, title=None, axis=_o(labelLimit=NAME_LIMIT)),
        color=_status_colour_spec(),
        order=_f("status_order:Q"),
        tooltip=[_f("group:N", title=group_title), _f("label:N", title="Status"), _f("n:Q", title="Actions")],
    ), transform=[_status_order()], title=title, width="container", height={"step": 26})


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
