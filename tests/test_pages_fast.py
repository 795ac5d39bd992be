"""The rules behind the page paths made fast for benchmark 1, on small literal plans.

The heatmap, the per-group status counts and progress bars, and the sidebar filters
were rewritten for speed (plain Python counting, array masks); these tests pin what a
user sees from them: which actions count in which cell or group, in which order, and
which actions a filter keeps. The roll-up numbers themselves are pinned by
``test_rollup.py``; a plan-sized check of the page objects is in ``test_dashboard.py``.
"""

from __future__ import annotations

import functools

import pandas as pd
import pytest
from frames import items, updates

from wehoplan import dashboard, repository, trends
from wehoplan.db import make_engine
from wehoplan.filters import Filters
from wehoplan.generate import generate_plan
from wehoplan.rollup import (
    ROOT_ID,
    Thresholds,
    first_completed,
    leaf_states,
    prepare_tree,
    roll_up,
    roll_up_many,
    rollup_table,
)

same = functools.partial(pd.testing.assert_frame_equal, check_exact=True)
TH = Thresholds()
D = "2020-06-30"


def plan() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Strategy 1 (initiatives 1.1, 1.2) and 2 (2.1): five actions with departments, partners and tags.

    1.1.1 Public Works, partner Planning, owner Ana Diaz, MT, on track 40
    1.1.2 Public Works, owner Ben, M, deferred 10
    1.2.1 Innovation, partner Public Works, owner Ana Diaz, no tag, completed 100
    2.1.1 no department, owner Cy, S, some disruption 20 ("vendor" in its description)
    2.1.2 Innovation, no owner, T, deferred 50
    """
    tree = prepare_tree(items(
        (1, None, "1", {"title": "Data"}), (2, 1, "1.1", {"title": "Privacy policy"}),
        (3, 2, "1.1.1", {"department": "Department of Public Works", "partners": "Planning", "owner": "Ana Diaz",
                         "smart": "MT"}),
        (4, 2, "1.1.2", {"department": "Department of Public Works", "owner": "Ben", "smart": "M"}),
        (5, 1, "1.2"),
        (6, 5, "1.2.1", {"department": "Innovation Division", "partners": "Public Works", "owner": "Ana Diaz"}),
        (7, None, "2"), (8, 7, "2.1"),
        (9, 8, "2.1.1", {"owner": "Cy", "smart": "S", "description": "Waiting on the VENDOR"}),
        (10, 8, "2.1.2", {"department": "Innovation Division", "smart": "T"}),
    ))
    ups = updates((3, "2020-02-01", "on_track", 40), (4, "2020-02-01", "deferred", 10),
                  (6, "2020-02-01", "completed", 100), (9, "2020-02-01", "some_disruption", 20),
                  (10, "2020-02-01", "deferred", 50))
    return tree, ups


def table(f: Filters | None = None) -> pd.DataFrame:
    tree, ups = plan()
    return rollup_table(tree, ups, D, f or Filters())


def selected(f: Filters) -> list[str]:
    t = table(f)
    return t.loc[t["is_leaf"] & (t["id"] != ROOT_ID), "code"].tolist()


def test_heatmap_counts_a_leaf_in_each_of_its_tags_and_averages_non_deferred_progress():
    heat = dashboard.heatmap_data(table())
    assert heat.to_dict("records") == [
        # 1.1.1 (MT, 40) and 1.1.2 (M, deferred 10): the deferred one counts but is left out of the mean
        {"department": "(none)", "smart": "Sustainability", "n_leaves": 1, "progress": 20.0},
        {"department": "Department of Public Works", "smart": "Mobility", "n_leaves": 2, "progress": 40.0},
        {"department": "Department of Public Works", "smart": "Transparency", "n_leaves": 1, "progress": 40.0},
        {"department": "Innovation Division", "smart": "(none)", "n_leaves": 1, "progress": 100.0},
        # every action of the cell deferred: the plain mean, not an empty cell
        {"department": "Innovation Division", "smart": "Transparency", "n_leaves": 1, "progress": 50.0},
    ]


def test_status_counts_by_group_put_the_biggest_group_first_and_ties_by_name():
    by_owner = dashboard.status_counts_by(table(), "owner")
    assert by_owner.to_dict("records") == [
        {"group": "Ana Diaz", "status": "completed", "n": 1}, {"group": "Ana Diaz", "status": "on_track", "n": 1},
        {"group": "(none)", "status": "deferred", "n": 1}, {"group": "Ben", "status": "deferred", "n": 1},
        {"group": "Cy", "status": "some_disruption", "n": 1}]
    assert dashboard.status_counts_by(table(Filters(owner=("nobody",))), "owner").empty


def test_departments_page_groups_actions_by_department_and_smart_value():
    data = dashboard.departments(table())
    # Best progress first; the deferred 1.1.2 is left out of Public Works' progress.
    assert data.by_department[["name", "n_leaves", "progress"]].to_dict("records") == [
        {"name": "Innovation Division", "n_leaves": 2, "progress": 100.0},
        {"name": "Department of Public Works", "n_leaves": 2, "progress": 40.0},
        {"name": "(none)", "n_leaves": 1, "progress": 20.0}]
    # 1.1.1 counts under Mobility and Transparency; 1.2.1 has no tag.
    assert data.by_smart[["name", "n_leaves"]].to_dict("records") == [
        {"name": "(none)", "n_leaves": 1}, {"name": "Mobility", "n_leaves": 2},
        {"name": "Sustainability", "n_leaves": 1}, {"name": "Transparency", "n_leaves": 2}]
    assert data.heatmap_chart.to_dict()["title"].startswith("Department × SMART value")
    assert dashboard.departments(table(Filters(department=("nobody",)))) is None


@pytest.mark.parametrize(("f", "codes"), [
    (Filters(department=("public works",)), ["1.1.1", "1.1.2", "1.2.1"]),  # lead or partner, any case
    (Filters(department=("planning",)), ["1.1.1"]),  # a partner department alone selects
    (Filters(department=("planning", "innovation")), ["1.1.1", "1.2.1", "2.1.2"]),  # OR within a filter
    (Filters(department=("public works",), smart=("T",)), ["1.1.1"]),  # AND across filters
    (Filters(owner=("ana",)), ["1.1.1", "1.2.1"]),  # part of a name, any case
    (Filters(smart=("M", "S")), ["1.1.1", "1.1.2", "2.1.1"]),
    (Filters(strategy=("1.1",)), ["1.1.1", "1.1.2"]),  # an initiative keeps what is under it
    (Filters(strategy=("2", "1.2")), ["1.2.1", "2.1.1", "2.1.2"]),
    (Filters(strategy=("1.",)), []),  # codes match whole, not as a prefix of text
    (Filters(text="PRIVACY"), ["1.1.1", "1.1.2"]),  # an ancestor's title
    (Filters(text="vendor"), ["2.1.1"]),  # the description
    (Filters(text="diaz"), ["1.1.1", "1.2.1"]),  # the owner
    (Filters(text="|"), []),  # the haystack's separators are not text
    (Filters(department=("nobody",)), []),
])
def test_filters_select_the_actions_a_user_asked_for(f, codes):
    assert selected(f) == codes


# ---------------------------------------------------------------- a generated plan


def _plan(engine, name):
    p = repository.resolve_plan(engine, name)
    ups = repository.load_updates(engine, p.id)
    tree = prepare_tree(repository.load_items(engine, p.id))
    return tree, ups, repository.default_as_of(ups, tree.frame)


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('gen') / 'g.db'}")
    return _plan(engine, generate_plan(engine, actions=400, months=18, seed=3).name)


def _filter_sets(tree):
    leaves = tree.frame[tree.frame["is_leaf"]]
    top = leaves["department"].dropna().astype(str).value_counts().index
    owner = leaves["owner"].dropna().astype(str).iloc[0]
    return [Filters(), Filters(department=(top[0],)), Filters(department=(top[-1],), smart=("M", "T")),
            Filters(smart=("S",), status=("on_track", "some_disruption")), Filters(strategy=("2",)),
            Filters(owner=(owner,)), Filters(text="data"), Filters(health=("behind", "at_risk")),
            Filters(department=("no such department",))]


def test_page_objects_add_up_to_the_selection_on_a_generated_plan(generated):
    tree, ups, as_of = generated
    for f in _filter_sets(tree):
        t = rollup_table(tree, ups, as_of, f, TH)
        n = int((t["is_leaf"] & (t["id"] != ROOT_ID)).sum())
        over, dept = dashboard.overview(t, ups, as_of, first_completed(ups, as_of), TH), \
            dashboard.departments(t)
        if n == 0:
            assert over is None and dept is None and dashboard.action_report(t) is None
            continue
        assert over.kpis.n_actions == n == over.status_counts["n"].sum()
        assert dept.department_status["n"].sum() == dept.owner_status["n"].sum() == n
        assert dept.by_department["n_leaves"].sum() == n
        assert dept.heatmap["n_leaves"].sum() >= n  # an action counts once per SMART tag
        assert dashboard.action_report(t, "flat").rows["Code"].tolist() == \
            t.loc[t["is_leaf"] & (t["id"] != ROOT_ID), "code"].tolist()


def test_a_tree_changed_after_a_roll_up_is_not_served_stale_filter_ids(generated):
    tree, updates, as_of = generated
    frame = tree.frame
    f = Filters(department=(frame.loc[frame["is_leaf"], "department"].dropna().iloc[0],))
    states = leaf_states(tree, updates, [as_of], TH)
    before = roll_up(tree, states, f)
    other = prepare_tree(frame.assign(department="Elsewhere", partners=None))  # a new tree: its own indices
    after = roll_up(other, states, f)
    assert (before["id"] != ROOT_ID).sum() > 0
    assert (after["id"] != ROOT_ID).sum() == 0


def _check_shared_trend(tree, updates, as_of):
    """One roll-up over the trend's and the forecast's dates gives what two roll-ups gave."""
    dates = trends.period_ends(updates, as_of, "quarter")
    for window in (90, 180, 365):
        shared = trends.shared_dates(dates, as_of, window)
        fdates = list(trends.forecast_dates(as_of, window))
        assert set(fdates) <= set(shared) and set(dates) <= set(shared)
        many, both = leaf_states(tree, updates, dates, TH), leaf_states(tree, updates, fdates, TH)
        every = leaf_states(tree, updates, shared, TH)
        for f in _filter_sets(tree):
            alone = roll_up_many(tree, many, f)
            rolled = roll_up_many(tree, every, f)
            same(trends.forecast(tree, rolled, as_of, window), trends.forecast(tree, roll_up_many(tree, both, f),
                                                                               as_of, window))
            for by in trends.TREND_GROUPS:
                same(trends.progress_over_time(tree, rolled, dates, by),
                     trends.progress_over_time(tree, alone, dates, by))
            same(trends.status_mix_over_time(rolled, dates), trends.status_mix_over_time(alone, dates))
            same(trends.overdue_over_time(rolled, dates), trends.overdue_over_time(alone, dates))


@pytest.mark.parametrize("name", ["WeHo Smart City Strategic Plan 2018", "WeHoX Innovations Annual Report 2015"])
def test_one_shared_trend_roll_up_equals_two_on_the_demo_plans(demo_engine, name):
    _check_shared_trend(*_plan(demo_engine, name))


def test_one_shared_trend_roll_up_equals_two_on_a_generated_plan(generated):
    _check_shared_trend(*generated)
