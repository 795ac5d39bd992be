"""Measure status rules: literal cases per direction, and properties (mirror symmetry, maintain bands)."""

import datetime as dt

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from wehoplan.measures import frames
from wehoplan.measures.model import MeasureData, MeasureError, parse_value
from wehoplan.measures.rules import latest_period_end, period_end, period_ends, status_of, statuses

D = dt.date


@pytest.mark.parametrize(("direction", "value", "target", "expected"), [
    ("increase", 100, 100, "on_target"),     # meeting it is on target
    ("increase", 120, 100, "on_target"),
    ("increase", 90, 100, "caution"),        # exactly 10 % short: still caution
    ("increase", 89.9, 100, "off_target"),
    ("increase", None, 100, "no_data"),
    ("increase", 50, None, "no_target"),
    ("decrease", 100, 100, "on_target"),
    ("decrease", 80, 100, "on_target"),
    ("decrease", 110, 100, "caution"),
    ("decrease", 110.1, 100, "off_target"),
    ("decrease", float("nan"), 100, "no_data"),
    ("increase", -9, -10, "on_target"),      # negative targets: the band is 10 % of the target's size
    ("increase", -11, -10, "caution"),
    ("increase", -11.5, -10, "off_target"),
    ("increase", -0.1, 0, "off_target"),     # a zero target has no caution band
])
def test_increase_and_decrease(direction, value, target, expected):
    assert status_of(direction, value, target) == expected


@pytest.mark.parametrize(("value", "lower", "upper", "expected"), [
    (70, 70, 85, "on_target"), (85, 70, 85, "on_target"), (77, 70, 85, "on_target"),
    (63, 70, 85, "caution"), (62.9, 70, 85, "off_target"),
    (93.5, 70, 85, "caution"), (93.6, 70, 85, "off_target"),
    (5, None, 10, "on_target"), (12, None, 10, "off_target"), (11, None, 10, "caution"),
    (5, 10, None, "off_target"), (50, None, None, "no_target"),
    (None, 70, 85, "no_data"),
])
def test_maintain(value, lower, upper, expected):
    assert status_of("maintain", value, None, lower, upper) == expected


def test_a_wider_tolerance_turns_off_target_into_caution():
    assert status_of("increase", 80, 100, tolerance=0.10) == "off_target"
    assert status_of("increase", 80, 100, tolerance=0.25) == "caution"


finite = st.floats(min_value=-1e9, max_value=1e9, allow_nan=False)
tol = st.floats(min_value=0, max_value=1, allow_nan=False)


@given(finite, finite, tol)
def test_mirror_symmetry_between_increase_and_decrease(value, target, tolerance):
    assert status_of("increase", value, target, tolerance=tolerance) == \
        status_of("decrease", -value, -target, tolerance=tolerance)


@given(finite, finite, tol)
def test_a_value_meeting_its_target_is_on_target_and_more_of_it_never_worse(value, target, tolerance):
    rank = {"on_target": 0, "caution": 1, "off_target": 2}
    a = status_of("increase", value, target, tolerance=tolerance)
    b = status_of("increase", value + abs(target) + 1, target, tolerance=tolerance)
    assert rank[b] <= rank[a]
    assert status_of("increase", max(value, target), target, tolerance=tolerance) == "on_target"


@given(finite, finite, finite, tol)
def test_maintain_is_on_target_inside_the_bounds_and_symmetric_about_them(a, b, value, tolerance):
    lo, hi = min(a, b), max(a, b)
    s = status_of("maintain", value, None, lo, hi, tolerance)
    assert (s == "on_target") == (lo <= value <= hi)
    # Mirrored bounds and value give the same status.
    assert status_of("maintain", -value, None, -hi, -lo, tolerance) == s
    # Maintain with one bound is the plain rule of that side.
    assert status_of("maintain", value, None, lo, None, tolerance) == \
        status_of("increase", value, lo, tolerance=tolerance)
    assert status_of("maintain", value, None, None, hi, tolerance) == \
        status_of("decrease", value, hi, tolerance=tolerance)


def test_periods():
    assert period_end(D(2016, 5, 3), "monthly") == D(2016, 5, 31)
    assert period_end(D(2016, 5, 3), "quarterly") == D(2016, 6, 30)
    assert period_end(D(2016, 5, 3), "annual") == D(2016, 12, 31)
    assert latest_period_end(D(2016, 12, 31), "annual") == D(2016, 12, 31)
    assert latest_period_end(D(2016, 12, 30), "annual") == D(2015, 12, 31)
    assert latest_period_end(D(2016, 11, 15), "quarterly") == D(2016, 9, 30)
    assert period_ends(D(2016, 2, 1), D(2016, 8, 1), "quarterly") == [D(2016, 3, 31), D(2016, 6, 30)]


@pytest.mark.parametrize(("raw", "number"), [("1,234", 1234.0), ("45%", 45.0), ("$5,000", 5000.0), (12, 12.0),
                                             ("-3.5", -3.5), (" 7 ", 7.0), ("", None)])
def test_values_people_type(raw, number):
    assert parse_value(raw) == number


@pytest.mark.parametrize("raw", ["abc", "1.2.3", "12,34", "inf", "nan", True])
def test_values_that_are_not_numbers(raw):
    with pytest.raises(MeasureError):
        parse_value(raw)


def _data(direction="increase", frequency="quarterly", values=(), targets=()) -> MeasureData:
    measures = pd.DataFrame([{"id": 1, "plan_id": 1, "name": "M", "unit": "u", "number_format": "integer",
                              "direction": direction, "frequency": frequency, "baseline_value": None,
                              "baseline_date": None, "data_source": None, "owner": None, "owner_id": None,
                              "tolerance": float("nan"), "provenance": None, "goal_code": None, "goal": None,
                              "item_ids": (), "item_codes": ""}])
    vals = pd.DataFrame([{"id": n, "measure_id": 1, "period": pd.Timestamp(p), "value": v, "not_applicable": na,
                          "note": None, "author": "a", "source": "s", "created_at": None}
                         for n, (p, v, na) in enumerate(values, start=1)],
                        columns=["id", "measure_id", "period", "value", "not_applicable", "note", "author", "source",
                                 "created_at"])
    tg = pd.DataFrame([{"measure_id": 1, "period": pd.Timestamp(p), "value": v, "lower": lo, "upper": hi}
                       for p, v, lo, hi in targets], columns=["measure_id", "period", "value", "lower", "upper"])
    return MeasureData(measures, vals.astype({"value": "float64"}),
                       tg.astype({"value": "float64", "lower": "float64", "upper": "float64"}))


def test_the_latest_period_decides_and_a_missing_report_is_no_data():
    d = _data(values=[("2016-06-30", 95, False), ("2016-09-30", 120, False)],
              targets=[("2016-03-31", 100, None, None)])
    t = frames.measure_table(d, "2016-09-30")
    assert t.loc[0, "status"] == "on_target" and t.loc[0, "value"] == 120
    assert frames.measure_table(d, "2016-08-31").loc[0, "status"] == "caution"  # Q2's 95 against 100
    assert frames.measure_table(d, "2016-12-31").loc[0, "status"] == "no_data"  # Q4 not reported yet


def test_a_correction_wins_and_a_not_applicable_period_is_skipped():
    d = _data(values=[("2016-06-30", 80, False), ("2016-06-30", 99, False), ("2016-09-30", None, True)],
              targets=[("2016-03-31", 100, None, None)])
    t = frames.measure_table(d, "2016-09-30")
    assert t.loc[0, "period"] == pd.Timestamp("2016-06-30")  # Q3 is not applicable: Q2 counts
    assert t.loc[0, "value"] == 99 and t.loc[0, "status"] == "caution"


def test_a_target_holds_until_the_next_one_and_the_history_carries_the_band():
    d = _data(values=[("2016-03-31", 10, False), ("2016-06-30", 10, False), ("2016-09-30", 10, False)],
              targets=[("2016-03-31", 10, None, None), ("2016-09-30", 20, None, None)])
    h = frames.history(d, 1, "2016-09-30")
    assert h["target"].tolist() == [10, 10, 20]
    assert h["status"].tolist() == ["on_target", "on_target", "off_target"]
    assert h["band_low"].tolist() == [9, 9, 18] and h["band_high"].tolist() == [10, 10, 20]


def test_statuses_over_a_frame_match_the_single_rule():
    f = pd.DataFrame({"direction": ["increase", "decrease", "maintain"], "value": [9, 9, 9],
                      "target": [10, 10, None], "lower": [None, None, 1], "upper": [None, None, 8],
                      "tolerance": [None, 0.0, None]})
    assert statuses(f).tolist() == ["caution", "on_target", "off_target"]


def test_an_owner_owes_the_value_of_the_latest_period_ended_and_not_applicable_counts_as_in():
    d = _data(frequency="monthly", values=[("2016-08-31", 7, False)])
    d = MeasureData(d.measures.assign(owner="Ana"), d.values, d.targets)
    owed = frames.due_values(d, "Ana", dt.date(2016, 10, 5))  # October: September's value is owed
    assert owed[["period_label", "reported", "last_value"]].values.tolist() == [["Sep 2016", False, "7 u"]]
    assert frames.due_values(d, "Ana", dt.date(2016, 9, 30)).loc[0, "period_label"] == "Sep 2016"  # its last day
    assert frames.due_values(d, "Ana", dt.date(2016, 9, 15)).loc[0, "reported"]  # August's is in
    na = _data(frequency="monthly", values=[("2016-08-31", 7, False), ("2016-09-30", None, True)])
    na = MeasureData(na.measures.assign(owner="Ana"), na.values, na.targets)
    assert frames.due_values(na, "Ana", dt.date(2016, 10, 5)).loc[0, "reported"]
    assert frames.due_values(na, "Ben", dt.date(2016, 10, 5)).empty
