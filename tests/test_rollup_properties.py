"""Hypothesis properties of the roll-up on random trees and histories."""

import pandas as pd
from frames import items, updates
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wehoplan.domain import STATUS_KEYS
from wehoplan.filters import Filters
from wehoplan.rollup import Thresholds, leaf_states, prepare_tree, roll_up, roll_up_many, rollup_table

DATES = pd.date_range("2020-01-31", periods=6, freq="ME")


@st.composite
def plans(draw):
    rows = [(1, None, "1", {"weight": draw(st.sampled_from([0.0, 1.0, 2.5]))})]
    frontier = [(1, "1", 1)]
    next_id = 2
    while frontier and next_id < 25:
        pid, pcode, depth = frontier.pop(0)
        n = draw(st.integers(0 if depth > 1 else 1, 3 if depth < 4 else 0))
        for k in range(1, n + 1):
            code = f"{pcode}.{k}"
            rows.append((next_id, pid, code, {"weight": draw(st.sampled_from([0.0, 1.0, 3.0]))}))
            frontier.append((next_id, code, depth + 1))
            next_id += 1
    ids = [r[0] for r in rows]
    ups = draw(st.lists(
        st.tuples(st.sampled_from(ids), st.sampled_from(list(DATES.strftime("%Y-%m-%d"))),
                  st.sampled_from(STATUS_KEYS), st.integers(0, 100)),
        max_size=30,
    ))
    return items(*rows), updates(*ups)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plans())
def test_parent_progress_lies_between_its_childrens(plan):
    tree, ups = plan
    t = rollup_table(tree, ups, DATES[-1])
    by_parent = t[t["parent_id"].notna()].groupby("parent_id")
    for pid, children in by_parent:
        parent = t.set_index("id").loc[int(pid)]
        counted = children[children["status"] != "deferred"]
        pool = counted if len(counted) else children
        assert pool["progress"].min() - 1e-9 <= parent["progress"] <= pool["progress"].max() + 1e-9


@settings(max_examples=20, deadline=None)
@given(plans())
def test_before_any_update_everything_is_pending_at_zero(plan):
    tree, ups = plan
    t = rollup_table(tree, ups, "2019-12-31")
    assert set(t["status"]) == {"pending"}
    assert (t["progress"] == 0).all()


@settings(max_examples=20, deadline=None)
@given(plans())
def test_trend_at_each_date_equals_the_single_roll_up(plan):
    items_, ups = plan
    tree, th, f = prepare_tree(items_), Thresholds(), Filters()
    many = roll_up_many(tree, leaf_states(tree, ups, DATES, th), f)
    cols = ["id", "progress", "status", "expected_progress", "n_leaves", "n_overdue", "start", "due"]
    for d in DATES[::2]:
        one = roll_up(tree, leaf_states(tree, ups, [d], th), f)[cols].sort_values("id").reset_index(drop=True)
        at_d = many[many["snap"] == d][cols].sort_values("id").reset_index(drop=True)
        pd.testing.assert_frame_equal(one, at_d, check_dtype=False)
