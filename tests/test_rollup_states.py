"""Passing precomputed leaf states (what the pages cache per date) changes no number.

A filter change on a page reuses the unfiltered ``leaf_states`` and first-completion
dates; every roll-up, trend, forecast and KPI must equal the one computed from scratch.
"""

from __future__ import annotations

import pandas as pd
import pytest

from wehoplan import dashboard, repository, trends
from wehoplan.filters import Filters
from wehoplan.rollup import Thresholds, first_completed, leaf_states, prepare_tree, rollup_many, rollup_table

SMART_CITY = "WeHo Smart City Strategic Plan 2018"
FILTERS = [
    Filters(),
    Filters(department=("Innovation",)),
    Filters(smart=("M",), status=("on_track", "some_disruption")),
    Filters(strategy=("2",)),
    Filters(text="data"),
    Filters(department=("no such department",)),
]


@pytest.fixture(scope="module")
def plan(demo_engine):
    p = repository.resolve_plan(demo_engine, SMART_CITY)
    tree = prepare_tree(repository.load_items(demo_engine, p.id))
    updates = repository.load_updates(demo_engine, p.id)
    return tree, updates, repository.default_as_of(updates)


@pytest.mark.parametrize("f", FILTERS, ids=lambda f: f.describe())
def test_rollup_table_with_cached_states_is_identical(plan, f):
    tree, updates, as_of = plan
    th = Thresholds(due_soon_days=45, stale_days=60)
    states = leaf_states(tree, updates, [as_of], th)
    pd.testing.assert_frame_equal(rollup_table(tree, updates, as_of, f, th, states),
                                  rollup_table(tree, updates, as_of, f, th))


@pytest.mark.parametrize("f", FILTERS, ids=lambda f: f.describe())
def test_trends_forecast_and_kpis_with_cached_states_are_identical(plan, f):
    tree, updates, as_of = plan
    th = Thresholds()
    dates = trends.period_ends(updates, as_of, "quarter")
    states = leaf_states(tree, updates, dates, th)
    pd.testing.assert_frame_equal(rollup_many(tree, updates, dates, f, th, states),
                                  rollup_many(tree, updates, dates, f, th))
    for by in trends.TREND_GROUPS:
        pd.testing.assert_frame_equal(trends.progress_over_time(tree, updates, dates, f, by, th, states=states),
                                      trends.progress_over_time(tree, updates, dates, f, by, th))
    now = leaf_states(tree, updates, [as_of], th)
    first = first_completed(updates, as_of)
    pd.testing.assert_frame_equal(
        trends.completions_per_quarter(tree, updates, as_of, f, th, states=now, first_done=first),
        trends.completions_per_quarter(tree, updates, as_of, f, th))
    pair = leaf_states(tree, updates, list(trends.forecast_dates(as_of, 90)), th)
    pd.testing.assert_frame_equal(trends.forecast(tree, updates, as_of, f, 90, thresholds=th, states=pair),
                                  trends.forecast(tree, updates, as_of, f, 90, thresholds=th))
    table = rollup_table(tree, updates, as_of, f, th)
    assert dashboard.kpis(table, updates, as_of, first_done=first) == dashboard.kpis(table, updates, as_of)


def test_first_completed_is_the_first_completed_update_up_to_the_date():
    ups = pd.DataFrame({
        "item_id": [1, 1, 2, 1, 3],
        "as_of": pd.to_datetime(["2020-01-01", "2020-02-01", "2020-03-01", "2020-04-01", "2020-06-01"]),
        "status": ["on_track", "completed", "completed", "completed", "completed"],
    })
    got = first_completed(ups, "2020-05-01")
    assert got.to_dict() == {1: pd.Timestamp("2020-02-01"), 2: pd.Timestamp("2020-03-01")}


def test_the_filters_above_select_something_on_the_demo(plan):
    # Otherwise the identity checks would compare two empty roll-ups.
    tree, updates, as_of = plan
    for f in FILTERS[:-1]:
        table = rollup_table(tree, updates, as_of, f)
        assert int((table["is_leaf"] & (table["id"] != 0)).sum()) > 0, f.describe()
