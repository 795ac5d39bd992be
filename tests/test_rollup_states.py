"""Leaf states computed once and shared (what the pages cache per date) change no number.

A filter change on a page reuses the unfiltered ``leaf_states`` and first-completion
dates; every roll-up, trend, forecast and KPI must equal the one computed from scratch,
and sharing must not change the shared frames.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from wehoplan import dashboard, repository, trends
from wehoplan.filters import Filters
from wehoplan.rollup import Thresholds, first_completed, leaf_states, prepare_tree, roll_up, roll_up_many, rollup_table

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
    return tree, updates, repository.default_as_of(updates, tree.frame)


def test_one_states_frame_serves_every_filter(plan):
    tree, updates, as_of = plan
    th = Thresholds(due_soon_days=45, stale_days=60)
    states = leaf_states(tree, updates, [as_of], th)
    kept = states.copy()
    for f in FILTERS:
        pd.testing.assert_frame_equal(roll_up(tree, states, f), rollup_table(tree, updates, as_of, f, th))
    pd.testing.assert_frame_equal(states, kept)


@pytest.mark.parametrize("f", FILTERS, ids=lambda f: f.describe())
def test_trends_page_from_shared_states_equals_each_chart_from_scratch(plan, f):
    tree, updates, as_of = plan
    th, window = Thresholds(), 90
    dates = trends.period_ends(updates, as_of, "quarter")
    shared = leaf_states(tree, updates, trends.shared_dates(dates, as_of, window), th)
    first = first_completed(updates, as_of)
    page = trends.page_data(tree, shared, f, dates, as_of, window, "strategy", first)

    def fresh(d):
        return roll_up_many(tree, leaf_states(tree, updates, d, th), f)

    alone = fresh(dates)
    pd.testing.assert_frame_equal(page.progress, trends.progress_over_time(tree, alone, dates, "strategy"))
    pd.testing.assert_frame_equal(page.status_mix, trends.status_mix_over_time(alone, dates))
    pd.testing.assert_frame_equal(page.overdue, trends.overdue_over_time(alone, dates))
    pd.testing.assert_frame_equal(page.completions, trends.completions_per_quarter(
        fresh([as_of]), as_of, first_completed(updates, as_of)))
    pd.testing.assert_frame_equal(page.forecast, trends.forecast(
        tree, fresh(list(trends.forecast_dates(as_of, window))), as_of, window))
    for by in ("department", "smart"):
        pd.testing.assert_frame_equal(
            trends.page_data(tree, shared, f, dates, as_of, window, by, first).progress,
            trends.progress_over_time(tree, alone, dates, by))
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


def test_leaf_states_of_whole_day_dates_equal_the_datetime_rules(plan, demo_engine):
    """Whole-day dates take day numbers (no datetime arithmetic); every state is the datetime rules' own."""
    tree, updates, as_of = plan
    th = Thresholds(due_soon_days=45, stale_days=10)
    ends = pd.date_range(end=as_of, periods=24, freq="ME")
    dates = ends.append(ends - pd.Timedelta(days=12)).append(pd.DatetimeIndex([as_of])).sort_values()
    assert tree.leaf_days is not None  # the demo's dates are whole days: the day-number path runs
    fast = leaf_states(tree, updates, dates, th)
    slow_tree = prepare_tree(repository.load_items(demo_engine, repository.resolve_plan(demo_engine, SMART_CITY).id))
    slow_tree.__dict__["leaf_days"] = None  # as for dates that are not whole days: the datetime rules
    slow = leaf_states(slow_tree, updates, dates, th)
    pd.testing.assert_frame_equal(fast, slow)
    assert fast["overdue"].any() and fast["due_soon"].any() and fast["stale"].any()
    assert (fast["expected_progress"] == 100).any() and fast["expected_progress"].between(1, 99).any()


def test_day_numbers_only_for_whole_days_and_the_expected_progress_of_days_is_the_datetime_rules():
    from wehoplan.rollup import rules

    rng = np.random.default_rng(3)
    day0 = np.datetime64("2024-01-01", "ns")
    start = day0 + rng.integers(-40, 400, 500).astype("timedelta64[D]")
    due = start + rng.integers(-5, 300, 500).astype("timedelta64[D]")  # some before their start, some equal
    start[::17], due[::13] = np.datetime64("NaT"), np.datetime64("NaT")
    on = (day0 + np.arange(-30, 450, 40).astype("timedelta64[D]")).astype("datetime64[ns]")[:, None]
    s_d, d_d, o_d = rules.day_numbers(start), rules.day_numbers(due), rules.day_numbers(on)
    assert np.isnan(s_d[::17]).all() and (d_d[1:4] == (due[1:4] - np.datetime64("1970-01-01")) // np.timedelta64(
        1, "D")).all()
    np.testing.assert_array_equal(rules.expected_progress_days(s_d[None, :], d_d[None, :], o_d),
                                  rules.expected_progress(start[None, :], due[None, :], on))
    th = Thresholds(due_soon_days=30, stale_days=60)
    open_ = rng.random((len(on), 500)) > 0.2
    left = d_d[None, :] - o_d
    np.testing.assert_array_equal(rules.overdue_left(open_, left), rules.is_overdue(open_, due[None, :], on))
    np.testing.assert_array_equal(rules.due_soon_left(open_, left, th), rules.is_due_soon(open_, due[None, :], on, th))
    np.testing.assert_array_equal(rules.stale_since(open_, o_d - s_d[None, :], th),
                                  rules.is_stale(open_, start[None, :], on, th))
    assert rules.day_numbers(np.array(["2024-01-01T12:00"], dtype="datetime64[ns]")) is None


def test_the_ordered_pass_finds_the_latest_update_the_binary_search_finds():
    """Many dates take one ordered pass over the keys, a few a binary search per needle: the same states.

    Random histories with several updates on one day, leaves without any, and dates before the
    first update, between updates and after the last one.
    """
    from wehoplan.rollup import prepare_updates
    from wehoplan.rollup import states as states_module

    rng = np.random.default_rng(7)
    n = 40
    items = pd.DataFrame({
        "id": np.arange(1, n + 2), "parent_id": pd.array([None] + [1] * n, dtype="Int64"),
        "code": ["1"] + [f"1.{i}" for i in range(1, n + 1)], "level": ["Strategy"] + ["Action"] * n,
        "title": ["S"] + [f"a{i}" for i in range(n)], "description": None, "owner": None, "department": None,
        "partners": None, "smart": "", "start": pd.NaT, "due": pd.NaT, "weight": 1.0, "archived": False,
    }).astype({"start": "datetime64[ns]", "due": "datetime64[ns]"})
    tree = prepare_tree(items)
    m = 600
    days = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 400, m), unit="D")
    ups = pd.DataFrame({"id": np.arange(1, m + 1), "item_id": rng.integers(2, n - 3, m),  # the last leaves: none
                        "as_of": days.astype("datetime64[ns]"),
                        "status": rng.choice(["on_track", "completed", "some_disruption"], m),
                        "progress": rng.integers(0, 101, m).astype(float), "comment": None})
    ups = ups.sort_values(["as_of", "id"], kind="stable").reset_index(drop=True)
    prep, th = prepare_updates(tree, ups), Thresholds()
    dates = pd.DatetimeIndex(["2019-06-30", "2020-01-01", *pd.date_range("2020-01-31", periods=14, freq="ME"),
                              "2021-02-05", "2030-01-01"])
    snap_days = dates.to_numpy("datetime64[ns]").view("int64") // states_module.DAY_NS
    n_leaves = len(tree.leaf_arrays[0])
    searched = states_module._searched_keys(prep, snap_days, n_leaves)
    old = states_module.SEARCH_PER_KEY
    try:
        states_module.SEARCH_PER_KEY = 10**9  # every lookup takes the ordered pass
        passed = states_module._latest_keys(prep, snap_days, n_leaves)
        by_pass = leaf_states(tree, prep, dates, th)
        states_module.SEARCH_PER_KEY = 0  # every lookup searches
        by_search = leaf_states(tree, prep, dates, th)
    finally:
        states_module.SEARCH_PER_KEY = old
    np.testing.assert_array_equal(passed, searched)
    assert (searched == -1).any() and (searched >= 0).any()
    pd.testing.assert_frame_equal(by_pass, by_search, check_exact=True)
    pd.testing.assert_frame_equal(by_pass, leaf_states(tree, ups, dates, th), check_exact=True)
