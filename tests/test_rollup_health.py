"""Schedule health (GUIDE §3): the rule on literal cases, and on every node of the roll-up."""

import numpy as np
import pandas as pd
import pytest
from frames import items, updates

from wehoplan.config import load_config
from wehoplan.filters import Filters
from wehoplan.rollup import (
    Thresholds,
    group_leaves,
    leaf_states,
    prepare_tree,
    roll_up,
    roll_up_many,
    rollup,
    rollup_table,
)
from wehoplan.rollup.rules import schedule_health

TH = Thresholds()


def health(status, progress, expected, overdue=False, th=TH):
    return schedule_health(np.array([status], dtype=object), np.array([progress], dtype="float64"),
                           np.array([expected], dtype="float64"), np.array([overdue]), th)[0]


@pytest.mark.parametrize(("status", "progress", "expected", "overdue", "want"), [
    ("on_track", 95.0, 100.0, False, "on_schedule"),  # ratio 0.95: the edge is on schedule
    ("on_track", 76.0, 80.0, False, "on_schedule"),  # 0.95 again, from a division
    ("on_track", 94.9, 100.0, False, "behind"),
    ("some_disruption", 85.0, 100.0, False, "behind"),  # 0.85: the edge is behind
    ("on_track", 84.9, 100.0, False, "at_risk"),
    ("pending", 0.0, 10.0, False, "at_risk"),  # not started but expected to be
    ("on_track", 120.0, 100.0, True, "at_risk"),  # an overdue leaf is at risk whatever its ratio
    ("on_track", 50.0, np.nan, True, "at_risk"),  # overdue without a start date
    ("completed", 100.0, 100.0, False, "done"),
    ("completed", 30.0, 100.0, False, "done"),
    ("deferred", 10.0, 100.0, False, ""),
    ("on_track", 0.0, 0.0, False, ""),  # expected 0: nothing to measure yet
    ("on_track", 40.0, 0.0, False, ""),
    ("on_track", 40.0, np.nan, False, ""),  # no dates: no expected progress
    ("major_disruption", 100.0, 50.0, False, "on_schedule"),  # health is arithmetic, not the owners' word
])
def test_the_health_rule_on_literal_cases(status, progress, expected, overdue, want):
    assert health(status, progress, expected, overdue) == want


def test_the_thresholds_are_settings():
    th = Thresholds.from_config(load_config({"WEHOPLAN_ON_SCHEDULE_RATIO": "0.6", "WEHOPLAN_BEHIND_RATIO": "0.5"}))
    assert (th.on_schedule_ratio, th.behind_ratio) == (0.6, 0.5)
    assert health("on_track", 65.0, 100.0, th=th) == "on_schedule"
    assert health("on_track", 55.0, 100.0, th=th) == "behind"
    assert health("on_track", 65.0, 100.0) == "at_risk"  # the defaults: 0.95 and 0.85
    with pytest.raises(ValueError, match="WEHOPLAN_BEHIND_RATIO"):
        load_config({"WEHOPLAN_ON_SCHEDULE_RATIO": "0.8", "WEHOPLAN_BEHIND_RATIO": "0.9"})
    with pytest.raises(ValueError, match="WEHOPLAN_ON_SCHEDULE_RATIO"):
        load_config({"WEHOPLAN_ON_SCHEDULE_RATIO": "most"})


# Strategy 1 runs 1 Jan to 11 Jan: on 9 Jan 80 % of it should be done.
D = "2020-01-09"


def plan():
    return items(
        (1, None, "1", {"start": "2020-01-01", "due": "2020-01-11"}),
        (2, 1, "1.1"),  # no dates of its own: no expected progress, no health
        (3, None, "2", {"start": "2020-01-01", "due": "2020-01-11"}),
        (4, 3, "2.1", {"start": "2020-01-01", "due": "2020-01-06"}),  # overdue on 9 Jan
        (5, 3, "2.2", {"start": "2020-01-01", "due": "2020-01-06"}),  # completed
        (6, None, "3", {"start": "2020-01-01", "due": "2020-01-11"}),
        (7, 6, "3.1", {"start": "2020-01-01", "due": "2020-01-11"}),  # deferred
    )


UPS = updates(
    (2, "2020-01-08", "on_track", 52),
    (4, "2020-01-05", "on_track", 100 * 0.96),
    (5, "2020-01-05", "completed", 100),
    (7, "2020-01-05", "deferred", 10),
)


def test_a_strategy_reported_on_track_at_52_against_80_reads_at_risk():
    t = rollup(plan(), UPS, D).set_index("code")
    s = t.loc["1"]
    assert (s["status"], round(s["progress"]), round(s["expected_progress"])) == ("on_track", 52, 80)
    assert s["health"] == "at_risk"
    assert t.loc["1.1", "health"] == ""  # a leaf without dates has nothing to be measured against


def test_every_node_carries_health():
    t = rollup_table(plan(), UPS, D).set_index("code")
    assert t.loc["2.1", "health"] == "at_risk"  # overdue, though 96 % done
    assert t.loc["2.2", "health"] == "done"
    assert t.loc["2", "health"] == "on_schedule"  # (96 + 100) / 2 = 98 of 80 expected; a parent is never "overdue"
    assert t.loc["3.1", "health"] == "" and t.loc["3", "health"] == ""  # all deferred
    assert t.loc["", "level"] == "Plan" and t.loc["", "health"] in {"on_schedule", "behind", "at_risk"}
    assert t["health"].notna().all()  # blank is "", never a missing value a mask would trip on


def test_the_thresholds_reach_the_roll_up():
    loose = Thresholds(on_schedule_ratio=0.6, behind_ratio=0.5)
    assert rollup(plan(), UPS, D, thresholds=loose).set_index("code").loc["1", "health"] == "on_schedule"
    tree = prepare_tree(plan())
    states = leaf_states(tree, UPS, [D], loose)
    assert roll_up(tree, states, Filters()).set_index("code").loc["1", "health"] == "at_risk"  # defaults
    assert roll_up(tree, states, Filters(), loose).set_index("code").loc["1", "health"] == "on_schedule"


def test_many_dates_give_the_health_of_each_date():
    tree = prepare_tree(plan())
    dates = ["2020-01-03", "2020-01-05", D]
    many = roll_up_many(tree, leaf_states(tree, UPS, dates, TH), Filters())
    for d in dates:
        one = roll_up(tree, leaf_states(tree, UPS, [d], TH), Filters())
        at = many[many["snap"] == pd.Timestamp(d)]
        assert dict(zip(at["id"], at["health"], strict=True)) == dict(zip(one["id"], one["health"], strict=True))
    by_date = many.set_index(["snap", "id"])["health"]
    assert by_date.loc[(pd.Timestamp("2020-01-03"), 4)] == "at_risk"  # no update yet: 0 % of 40 % expected
    assert by_date.loc[(pd.Timestamp("2020-01-05"), 4)] == "on_schedule"  # 96 % of 80 %, not yet due
    assert by_date.loc[(pd.Timestamp(D), 4)] == "at_risk"  # overdue


def test_groups_carry_health():
    t = rollup_table(plan().assign(department=["A", "A", "B", "B", "B", "B", "B"]), UPS, D)
    g = group_leaves(t, "department").set_index("group")
    assert g.loc["B", "health"] == "on_schedule"  # 2.1 at 96 and 2.2 done against 100 expected: 0.98
    assert g.loc["A", "health"] == ""  # its one action has no dates
    assert list(g.columns)[-1] == "health"


def test_the_health_filter_reads_each_dates_health_on_many_dates():
    tree = prepare_tree(plan())
    states = leaf_states(tree, UPS, ["2020-01-05", D], TH)
    risky = roll_up_many(tree, states, Filters(health=("at_risk",)))
    leaves = risky[risky["is_leaf"]]
    # 2.1 is on schedule on 5 Jan (96 % of 80 %) and at risk on 9 Jan (overdue): selected on the 9th only.
    assert 4 not in set(leaves.loc[leaves["snap"] == pd.Timestamp("2020-01-05"), "id"])
    assert 4 in set(leaves.loc[leaves["snap"] == pd.Timestamp(D), "id"])
    assert set(leaves["health"]) == {"at_risk"}
    strict = Thresholds(on_schedule_ratio=1.5, behind_ratio=1.0)  # 2.1's 96 % of 80 % (1.2) is behind then
    behind = roll_up_many(tree, states, Filters(health=("behind",)), strict)
    assert behind.loc[behind["is_leaf"], "id"].tolist() == [4]
    assert roll_up_many(tree, states, Filters(health=("behind",))).empty  # on schedule by the default ratios
