"""Golden Altair specs (GUIDE §5.7). Regenerate: WEHOPLAN_UPDATE_SNAPSHOTS=1 pytest tests/test_charts.py."""

import json
import os
from pathlib import Path

import pandas as pd
import pytest

from wehoplan import charts
from wehoplan.domain import STATUS_COLOURS, STATUS_KEYS

SNAPSHOTS = Path(__file__).parent / "snapshots"
UPDATE = os.environ.get("WEHOPLAN_UPDATE_SNAPSHOTS") == "1"
T = pd.Timestamp


def check(name: str, chart) -> dict:
    spec = json.loads(json.dumps(chart.to_dict(), sort_keys=True, default=str))
    spec.pop("$schema", None)  # the Vega-Lite version follows the installed altair, not our code
    path = SNAPSHOTS / f"{name}.json"
    if UPDATE or not path.exists():
        SNAPSHOTS.mkdir(exist_ok=True)
        path.write_text(json.dumps(spec, indent=1, sort_keys=True) + "\n")
        if not UPDATE:
            pytest.fail(f"new snapshot written: {path.name}; review it and run again")
    assert spec == json.loads(path.read_text()), f"{name} changed; review, then WEHOPLAN_UPDATE_SNAPSHOTS=1"
    return spec


BARS = pd.DataFrame({"name": ["1 Data", "2 Services"], "progress": [62.5, 10.0],
                     "expected_progress": [50.0, None], "status": ["on_track", "major_disruption"]})
COUNTS = pd.DataFrame({"status": list(STATUS_KEYS), "n": [2, 5, 1, 0, 3, 1]})
TREND = pd.DataFrame({"snap": [T("2020-03-31"), T("2020-06-30")] * 2, "group": ["1 Data"] * 2 + ["2 Services"] * 2,
                      "progress": [10.0, 20.0, 0.0, 5.0]})
MIX = pd.DataFrame({"snap": [T("2020-03-31")] * 2, "status": ["on_track", "completed"],
                    "label": ["On track", "Completed"], "n": [3, 1]})
QUARTERS = pd.DataFrame({"quarter": ["2020 Q1", "2020 Q2"], "quarter_end": [T("2020-03-31"), T("2020-06-30")],
                         "n": [1, 0]})
OVERDUE = pd.DataFrame({"snap": [T("2020-03-31"), T("2020-06-30")], "n_overdue": [0, 2]})
FORECAST = pd.DataFrame({"code": ["1.1", "1.2"], "title": ["Analytics", "Dashboards"],
                         "due": [T("2020-12-31"), T("2020-06-30")],
                         "projected_finish": [T("2020-10-28"), pd.NaT], "progress_now": [30.0, 0.0],
                         "velocity": [1 / 3, 0.0], "state": ["on time", "no velocity"]})
HEAT = pd.DataFrame({"department": ["Public Works", "Public Works", "Planning"],
                     "smart": ["Mobility", "Resiliency", "Mobility"], "n_leaves": [3, 1, 2],
                     "progress": [40.0, 100.0, 12.5]})
WORKLOAD = pd.DataFrame({"group": ["Ana", "Ana", "Ben"], "status": ["on_track", "completed", "pending"],
                         "n": [2, 1, 1]})
HISTORY = pd.DataFrame({"id": [7, 9], "item_id": [3, 3], "as_of": [T("2020-03-31"), T("2020-06-30")],
                        "status": ["on_track", "some_disruption"], "progress": [20.0, 35.0],
                        "author": ["Ana", "Ben"], "comment": ["kick-off", "vendor late"], "source": ["app", "app"]})
CYCLE = pd.DataFrame({"group": ["Ana", "Ben"], "n_items": [3, 2], "reported": [2, 0], "due": [1, 0],
                      "late": [0, 2]})

BUILDERS = {
    "progress_bars": lambda: charts.progress_bars(BARS),
    "status_mix": lambda: charts.status_mix(COUNTS),
    "progress_trend": lambda: charts.progress_trend(TREND),
    "status_area": lambda: charts.status_area(MIX),
    "completions_bar": lambda: charts.completions_bar(QUARTERS),
    "overdue_line": lambda: charts.overdue_line(OVERDUE),
    "forecast_chart": lambda: charts.forecast_chart(FORECAST, "2020-04-01"),
    "heatmap": lambda: charts.heatmap(HEAT),
    "status_counts_bar": lambda: charts.status_counts_bar(WORKLOAD, "Owner", "Workload by owner"),
    "history_chart": lambda: charts.history_chart(HISTORY),
    "empty": lambda: charts.empty(),
    "cycle_tracker": lambda: charts.cycle_tracker(CYCLE, "Owner"),
}


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_golden_spec(name):
    check(name, BUILDERS[name]())


def _find(obj, key):
    if isinstance(obj, dict):
        if key in obj:
            yield obj[key]
        for v in obj.values():
            yield from _find(v, key)
    elif isinstance(obj, list):
        for v in obj:
            yield from _find(v, key)


@pytest.mark.parametrize("name", ["progress_bars", "status_mix", "status_area", "status_counts_bar", "history_chart"])
def test_status_charts_use_the_guide_colours_and_have_tooltips(name):
    spec = BUILDERS[name]().to_dict()
    ranges = [s["range"] for s in _find(spec, "scale") if isinstance(s, dict) and "range" in s]
    assert [STATUS_COLOURS[k] for k in STATUS_KEYS] in ranges
    assert any(True for _ in _find(spec, "tooltip"))


def test_empty_frames_give_a_message_not_a_blank_chart():
    for build in (charts.progress_bars, charts.progress_trend, charts.heatmap, charts.overdue_line):
        spec = build(BARS.iloc[0:0] if build is charts.progress_bars else pd.DataFrame(
            columns=["snap", "group", "progress", "department", "smart", "n_leaves", "n_overdue"])).to_dict()
        values = next(iter(spec["datasets"].values()))
        assert values == [{"message": "No items match these filters."}]
    spec = charts.completions_bar(QUARTERS.iloc[0:0]).to_dict()
    assert next(iter(spec["datasets"].values())) == [{"message": "No action completed by this date."}]


def test_charts_ship_only_the_aggregated_rows():
    spec = charts.progress_bars(BARS).to_dict()
    assert [len(v) for v in spec["datasets"].values()] == [2]


def test_history_chart_shows_one_point_per_report_and_says_when_there_is_none():
    spec = charts.history_chart(HISTORY).to_dict()
    rows = next(iter(spec["datasets"].values()))
    assert [(r["as_of"], r["label"], r["progress"]) for r in rows] == [
        ("2020-03-31", "On track", 20.0), ("2020-06-30", "Some disruption", 35.0)]
    spec = charts.history_chart(HISTORY.iloc[0:0]).to_dict()
    assert next(iter(spec["datasets"].values())) == [{"message": "No report yet."}]


@pytest.mark.parametrize("name", ["progress_trend", "status_area", "overdue_line", "history_chart", "forecast_chart"])
def test_every_time_axis_names_the_year(name):
    spec = BUILDERS[name]().to_dict()
    time_axes = [enc for enc in _find(spec, "x") if isinstance(enc, dict) and enc.get("type") == "temporal"
                 and "axis" in enc]
    assert time_axes and all("%Y" in enc["axis"]["format"] for enc in time_axes)


def test_long_names_are_not_cut_on_axes_and_legends():
    for name in ("progress_bars", "heatmap", "status_counts_bar", "forecast_chart"):
        limits = [a["labelLimit"] for a in _find(BUILDERS[name]().to_dict(), "axis") if "labelLimit" in a]
        assert limits and min(limits) >= 400, name
    for name in ("progress_trend", "status_mix", "status_area", "forecast_chart"):
        legends = [g for g in _find(BUILDERS[name]().to_dict(), "legend") if isinstance(g, dict)]
        assert legends and all(g.get("labelLimit") == 0 for g in legends), name  # 0: no limit


def test_the_overview_has_one_status_legend_and_counts_on_the_doughnut():
    bars = charts.progress_bars(BARS, status_legend=False).to_dict()
    assert [g for g in _find(bars, "legend") if g is not None] == []
    mix = charts.status_mix(COUNTS).to_dict()
    marks = [layer["mark"]["type"] for layer in mix["layer"]]
    assert marks == ["arc", "text"]
    assert mix["layer"][1]["encoding"]["text"]["field"] == "n"


def test_the_forecast_marks_every_initiative_and_explains_its_tick():
    spec = charts.forecast_chart(FORECAST.assign(state=["on time", "completed"]), "2020-04-01").to_dict()
    rows = next(iter(spec["datasets"].values()))
    assert all(r["mark_at"] for r in rows)  # the completed one too (at the as-of date)
    assert rows[1]["mark_at"] == "2020-04-01"
    tick = next(layer for layer in spec["layer"] if layer["mark"]["type"] == "tick")
    assert tick["encoding"]["stroke"]["scale"]["domain"][0] == "Tick: due date"
    x = next(layer for layer in spec["layer"] if layer["mark"]["type"] == "tick")["encoding"]["x"]
    assert x["scale"]["padding"] > 0  # the earliest and latest dots are not cut at the edge


def test_cycle_tracker_stacks_reported_due_late_and_leaves_out_zeros():
    spec = charts.cycle_tracker(CYCLE, "Owner").to_dict()
    rows = next(iter(spec["datasets"].values()))
    assert sorted((r["group"], r["label"], r["n"]) for r in rows) == [
        ("Ana", "Due", 1), ("Ana", "Reported", 2), ("Ben", "Late", 2)]
    spec = charts.cycle_tracker(CYCLE.iloc[0:0], "Owner").to_dict()
    assert next(iter(spec["datasets"].values())) == [{"message": "No open action is due in this cycle."}]
