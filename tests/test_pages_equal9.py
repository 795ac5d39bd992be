"""The pages' small frames made cheaper in issue 15's ninth pass give what they gave before.

- The chart builders' frames made at once from arrays (the Departments page's too), names joined
  and labels looked up in plain Python for a chart's few rows (``wehoplan.charts``);
- ``kpis`` and ``needs_attention`` reading the plan row's and the leaf rows' status counts instead
  of the status words; ``strategy_progress``'s names;
- the Trends page's dates normalised in numpy, its days late without a Series (the cap on a crawl's
  projection is tested in ``test_trends.py``; the reference is the code before it, compared where
  no crawl occurs).

``pages_reference9.py`` keeps the replaced functions verbatim; the new ones must equal them, on
both demo plans and a generated plan, at two dates, under the filters of ``test_pages_fast``, and
on hand-made edge cases (missing names, long names, unknown statuses, dates before 1970).
"""

from __future__ import annotations

import numpy as np
import pages_reference9 as ref
import pandas as pd
import pytest

from tests.test_pages_equal8 import (  # noqa: F401 - plans is a fixture
    _dates,
    _filters,
    chart_element,
    plans,
    same,
    same_page,
    trends_pages_equal,
)
from wehoplan import charts, dashboard, trends
from wehoplan.rollup import Thresholds, first_completed, leaf_states, roll_up

TH = Thresholds()
OVERVIEW_FRAMES = ("attention", "summary", "strategy_progress", "status_counts")


def test_the_overview_equals_the_previous_code(plans):  # noqa: F811
    n = 0
    for tree, ups, as_of in plans:
        done = first_completed(ups, as_of)
        for day in _dates(as_of):
            states = leaf_states(tree, ups, [day], TH)
            for f in _filters(tree):
                table = roll_up(tree, states, f, TH, dashboard.OVERVIEW_COLUMNS)
                new = dashboard.overview(table, ups, day, done, TH, tree)
                old = ref.overview(table, ups, day, done, TH, tree)
                assert (new is None) == (old is None)
                if new is None:
                    continue
                same_page(new, old, OVERVIEW_FRAMES, ("progress_chart", "status_chart"))
                assert new.kpis == old.kpis and new.metrics == old.metrics
                full = roll_up(tree, states, f, TH)  # every column: what the council packet passes
                same(dashboard.needs_attention(full), ref.needs_attention(full))
                assert dashboard.kpis(full, ups, day) == ref.kpis(full, ups, day)
                n += 1
    assert n > 20


DEPARTMENT_FRAMES = ("heatmap", "by_department", "by_smart", "department_status", "owner_status", "department_table")
DEPARTMENT_CHARTS = ("heatmap_chart", "department_chart", "department_status_chart", "smart_chart",
                     "owner_status_chart")


def test_the_departments_page_equals_the_previous_code(plans):  # noqa: F811
    for tree, ups, as_of in plans:
        for day in _dates(as_of):
            states = leaf_states(tree, ups, [day], TH)
            for f in _filters(tree):
                table = roll_up(tree, states, f, TH, dashboard.DEPARTMENTS_COLUMNS)
                new, old = dashboard.departments(table, TH), ref.departments(table, TH)
                assert (new is None) == (old is None)
                if new is None:
                    continue
                same_page(new, old, DEPARTMENT_FRAMES, DEPARTMENT_CHARTS)


def test_the_trends_page_equals_the_previous_code(plans):  # noqa: F811
    trends_pages_equal(plans, ref.page_data)


TEXTS = [["1 Open data", "2 Mobility", "3 Resilience"], ["x" * 79, "y" * 80, "z" * 81 + "  tail", "short"],
         ["1", None, "3"], [None, None], [], ["ä" * 90, "naïve café", "😀" * 85]]


@pytest.mark.parametrize("values", TEXTS)
@pytest.mark.parametrize("dtype", ["str", "object", "string"])
def test_short_names_and_joined_names_as_before(values, dtype):
    names = pd.Series(values, dtype=dtype)
    pd.testing.assert_series_equal(charts.short_names(names), ref.short_names(names), check_exact=True)
    titles = pd.Series(list(reversed(values)), dtype=dtype)
    old = ref.short_names(names.astype(str) + " " + titles.astype(str)) if len(values) else None
    if old is not None:
        pd.testing.assert_series_equal(charts.short_names(charts.joined_names(names, titles)), old, check_exact=True)


@pytest.mark.parametrize("values", [["on_track", "completed", None, "no such status", "pending"], [], [None],
                                    ["deferred"] * 3])
def test_status_labels_as_before(values):
    status = pd.Series(values, dtype="string", index=[7 * i for i in range(len(values))])
    for s in (status, status.astype(object), status.astype("str")):
        pd.testing.assert_series_equal(charts._status_labels(s), ref._status_labels(s), check_exact=True)


def test_chart_frames_as_before():
    bars = pd.DataFrame({"name": ["1 Open", "2 Move"], "progress": [12.345, 99.99], "expected_progress": [np.nan, 50.0],
                         "status": ["on_track", None]}, index=[3, 9])
    counts = pd.DataFrame({"status": list(charts.STATUS_KEYS), "n": [0, 4, 0, 2, 7, 1]})
    snaps = pd.to_datetime(["1969-12-31", "2020-03-31", "2020-06-30"])
    line = pd.DataFrame({"snap": snaps, "group": ["a", "a", "b"], "progress": [1.26, np.nan, 100.0], "label": ["x"] * 3,
                         "n": [1, 0, 2], "n_overdue": [0, 3, 1]}, index=[5, 6, 7])
    groups = pd.DataFrame({"group": ["Parks", "Parks", "Works"], "status": ["on_track", None, "completed"],
                           "n": [2, 0, 5]}, index=[4, 8, 12])
    cells = pd.DataFrame({"department": ["Parks", "Works"], "smart": ["Mobility", "(none)"], "n_leaves": [3, 1],
                          "progress": [33.333, np.nan]}, index=[2, 5])
    quarters = pd.DataFrame({"quarter": pd.array(["2020 Q1", "2020 Q2"], dtype="string"),
                             "quarter_end": pd.to_datetime(["2020-03-31", "2020-06-30"]), "n": [0, 3]})
    for new, old in [(charts.progress_bars(bars), ref.progress_bars(bars)),
                     (charts.status_mix(counts), ref.status_mix(counts)),
                     (charts.status_mix(counts.assign(n=0)), ref.status_mix(counts.assign(n=0))),
                     (charts.progress_trend(line), ref.progress_trend(line)),
                     (charts.status_area(line), ref.status_area(line)),
                     (charts.overdue_line(line), ref.overdue_line(line)),
                     (charts.completions_bar(quarters), ref.completions_bar(quarters)),
                     (charts.status_counts_bar(groups, "D", "t"), ref.status_counts_bar(groups, "D", "t")),
                     (charts.heatmap(cells), ref.heatmap(cells))]:
        assert chart_element(new) == chart_element(old)


def test_dates_normalised_as_before():
    rng = np.random.default_rng(3)
    values = rng.integers(-3 * 10**18, 3 * 10**18, 500).astype("datetime64[ns]")
    values[::17] = np.datetime64("NaT")
    for dates in (pd.DatetimeIndex(values), pd.DatetimeIndex(values.astype("datetime64[s]")),
                  pd.DatetimeIndex([]), pd.date_range("2019-01-31", periods=9, freq="ME"),
                  pd.DatetimeIndex(values[:5]).tz_localize("America/Los_Angeles")):
        np.testing.assert_array_equal(trends._snap_values(dates), ref._snap_values(dates))


def test_forecast_days_late_as_before(plans):  # noqa: F811
    tree, ups, as_of = plans[-1]
    dates = trends.period_ends(ups, as_of, "quarter")
    for window in (90, 180, 365):  # initiatives with no projection (NaT) beside projected ones
        states = leaf_states(tree, ups, list(trends.shared_dates(dates, as_of, window)), TH)
        for f in _filters(tree):
            rolled = trends.roll_up_many(tree, states, f, TH)
            same(trends.forecast(tree, rolled, as_of, window), ref.forecast(tree, rolled, as_of, window))
            same(trends.completions_per_quarter(rolled, as_of, first_completed(ups, as_of)),
                 ref.completions_per_quarter(rolled, as_of, first_completed(ups, as_of)))



@pytest.mark.parametrize("dtype", ["string", "str", "object"])
def test_status_and_health_words_as_before(dtype):
    """Looked up in Arrow: the same words as one per distinct value, unknown and missing values included."""
    from wehoplan.domain import HEALTH_LABELS, STATUS_LABELS
    from wehoplan.table_columns import _column_words, health_words, status_words

    table = pd.DataFrame({
        "status": pd.Series(["on_track", None, "no such status", "completed", "", "deferred"] * 3, dtype=dtype),
        "health": pd.Series(["behind", "", None, "done", "at_risk", "what"] * 3, dtype=dtype)})
    for at in (np.arange(18), np.array([5, 0, 2, 2]), np.array([], dtype="int64")):
        new, old = status_words(table, at), _column_words(table, "status", at, STATUS_LABELS.get, None)
        pd.testing.assert_extension_array_equal(new, old)
        new, old = health_words(table, at), _column_words(table, "health", at, lambda h: HEALTH_LABELS.get(h, ""), "")
        pd.testing.assert_extension_array_equal(new, old)
