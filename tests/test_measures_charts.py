"""Golden specs of the measure charts (GUIDE §5.7); regenerate with WEHOPLAN_UPDATE_SNAPSHOTS=1."""

import pandas as pd

from tests.test_charts import check
from wehoplan import charts

T = pd.Timestamp
HISTORY = pd.DataFrame({
    "period": [T("2016-03-31"), T("2016-06-30"), T("2016-09-30")], "label": ["2016 Q1", "2016 Q2", "2016 Q3"],
    "value": [95.0, None, 120.0], "not_applicable": [False, False, False], "target": [100.0, 100.0, 110.0],
    "lower": [None, None, None], "upper": [None, None, None], "band_low": [90.0, 90.0, 99.0],
    "band_high": [100.0, 100.0, 110.0], "status": ["caution", "no_data", "on_target"], "note": [None, None, "x"],
    "author": ["Ana", None, "Ben"]}).astype({"lower": "float64", "upper": "float64"})
MAINTAIN = HISTORY.assign(target=[None] * 3, lower=[70.0] * 3, upper=[85.0] * 3, band_low=[63.0] * 3,
                          band_high=[93.5] * 3, status=["off_target", "not_applicable", "on_target"],
                          value=[99.0, None, 80.0]).astype({"target": "float64"})
COUNTS = pd.DataFrame({"status": ["on_target", "caution", "off_target", "no_target", "no_data"], "n": [3, 2, 1, 0, 4]})


def test_measure_chart_golden():
    spec = check("measure_chart", charts.measure_chart(HISTORY, "collisions per year"))
    marks = [layer["mark"]["type"] for layer in spec["layer"]]
    assert marks == ["area", "line", "line", "line", "line", "point"]  # band, target, bounds, actuals, statuses
    assert spec["layer"][1]["mark"]["interpolate"] == "step-after"  # the target holds until the next one


def test_measure_chart_maintain_golden():
    check("measure_chart_maintain", charts.measure_chart(MAINTAIN, "% occupied"))


def test_measure_status_bar_golden():
    spec = check("measure_status_bar", charts.measure_status_bar(COUNTS))
    assert "No target" not in [r["label"] for r in spec["datasets"][next(iter(spec["datasets"]))]]


def test_empty_measure_chart_says_why():
    assert "No value or target yet." in str(charts.measure_chart(HISTORY.iloc[0:0]).to_dict())


def test_measure_chart_time_axis_names_the_year_on_every_tick():
    spec = charts.measure_chart(HISTORY, "collisions per year").to_dict()
    xs = [layer["encoding"]["x"] for layer in spec["layer"] if "x" in layer.get("encoding", {})]
    assert xs and all(x.get("axis", {}).get("format") == "%b %Y" for x in xs)  # "Jul 2018", never a bare "July"
