"""GUIDE §3 rules on small hand-written trees; each test fails if its rule changes."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from frames import items, updates

from wehoplan.filters import Filters
from wehoplan.repository import default_as_of
from wehoplan.rollup import (
    Thresholds,
    group_leaves,
    leaf_states,
    plan_total,
    prepare_tree,
    roll_up,
    rollup,
    rollup_table,
)

D = "2020-03-01"


def tree_a(**extra):
    """1 > (1.1 > 1.1.1, 1.1.2), (1.2 > 1.2.1)."""
    e = lambda code: extra.get(code, {})  # noqa: E731
    return items(
        (1, None, "1", e("1")),
        (2, 1, "1.1", e("1.1")),
        (3, 2, "1.1.1", e("1.1.1")),
        (4, 2, "1.1.2", e("1.1.2")),
        (5, 1, "1.2", e("1.2")),
        (6, 5, "1.2.1", e("1.2.1")),
    )


UPS_A = updates(
    (3, "2020-01-31", "on_track", 40),
    (4, "2020-02-15", "completed", 80),
    (6, "2020-02-29", "some_disruption", 10),
)


def row(table, code):
    return table.set_index("code").loc[code]


def test_progress_rolls_up_level_by_level_not_over_all_leaves():
    t = rollup(tree_a(), UPS_A, D)
    got = t.set_index("code")[["progress", "status", "n_leaves", "n_on_track", "n_completed", "n_some_disruption"]]
    want = pd.DataFrame(
        {
            "progress": [40.0, 70.0, 40.0, 100.0, 10.0, 10.0],
            "status": pd.array(
                ["on_track", "on_track", "on_track", "completed", "some_disruption", "some_disruption"], dtype="string"
            ),
            "n_leaves": [3, 2, 1, 1, 1, 1],
            "n_on_track": [1, 1, 1, 0, 0, 0],
            "n_completed": [1, 1, 0, 1, 0, 0],
            "n_some_disruption": [1, 0, 0, 0, 1, 1],
        },
        index=pd.Index(["1", "1.1", "1.1.1", "1.1.2", "1.2", "1.2.1"], name="code"),
    )
    pd.testing.assert_frame_equal(got, want, check_dtype=False)


def test_weights_shift_the_parent_mean():
    t = rollup(tree_a(**{"1.1": {"weight": 3.0}}), UPS_A, D)
    assert row(t, "1")["progress"] == pytest.approx((3 * 70 + 10) / 4)


def test_all_zero_weights_fall_back_to_plain_mean():
    t = rollup(tree_a(**{"1.1": {"weight": 0.0}, "1.2": {"weight": 0.0}}), UPS_A, D)
    assert row(t, "1")["progress"] == pytest.approx(40.0)


def test_zero_weight_child_is_ignored_when_a_sibling_weighs_more():
    t = rollup(tree_a(**{"1.2": {"weight": 0.0}}), UPS_A, D)
    assert row(t, "1")["progress"] == pytest.approx(70.0)


def test_completed_leaf_counts_as_100_whatever_its_progress_says():
    t = rollup(tree_a(), UPS_A, D)
    assert row(t, "1.1.2")["progress"] == 100.0


def test_deferred_children_are_left_out_of_progress_and_status():
    ups = pd.concat([UPS_A, updates((6, "2020-02-29", "deferred", 10))]).assign(id=range(1, 5))
    t = rollup(tree_a(), ups, D)
    assert row(t, "1.2")["status"] == "deferred"
    assert row(t, "1")["progress"] == pytest.approx(70.0)  # 1.2 deferred -> only 1.1 counts
    assert row(t, "1")["status"] == "on_track"
    assert row(t, "1")["n_deferred"] == 1
    assert row(t, "1")["n_leaves"] == 3


def test_all_children_deferred_makes_parent_deferred_with_plain_mean_of_theirs():
    ups = updates((3, "2020-01-01", "deferred", 20), (4, "2020-01-01", "deferred", 60))
    t = rollup(tree_a(**{"1.1.1": {"weight": 5.0}}), ups, D)
    assert row(t, "1.1")["status"] == "deferred"
    assert row(t, "1.1")["progress"] == pytest.approx(40.0)


def test_all_pending_parent_is_pending_at_zero():
    t = rollup(tree_a(), updates((6, "2020-01-01", "on_track", 50)), D)
    assert row(t, "1.1")["status"] == "pending"
    assert row(t, "1.1")["progress"] == 0.0
    assert row(t, "1.1")["n_pending"] == 2


def test_leaf_without_updates_is_pending_at_zero():
    t = rollup(tree_a(), UPS_A.iloc[:2], D)
    assert (row(t, "1.2.1")["status"], row(t, "1.2.1")["progress"]) == ("pending", 0.0)


def test_before_any_update_everything_is_pending():
    t = rollup(tree_a(), UPS_A, "2019-12-31")
    assert set(t["status"]) == {"pending"}
    assert t["progress"].eq(0).all()


def test_as_of_takes_latest_update_on_or_before_the_date():
    ups = updates((3, "2020-01-31", "on_track", 40), (3, "2020-02-29", "major_disruption", 45))
    assert row(rollup(tree_a(), ups, "2020-02-28"), "1.1.1")["progress"] == 40.0
    assert row(rollup(tree_a(), ups, "2020-02-29"), "1.1.1")["status"] == "major_disruption"


def test_several_updates_on_one_day_the_last_recorded_wins():
    ups = updates((3, "2020-02-01", "on_track", 40), (3, "2020-02-01", "some_disruption", 35))
    got = row(rollup(tree_a(), ups, D), "1.1.1")
    assert (got["status"], got["progress"]) == ("some_disruption", 35.0)


@pytest.mark.parametrize(
    "statuses, expected",
    [
        (["on_track", "on_track"], "on_track"),
        (["on_track", "some_disruption"], "on_track"),  # 2.5
        (["on_track", "major_disruption"], "some_disruption"),  # 2.0
        (["some_disruption", "major_disruption"], "some_disruption"),  # 1.5
        (["major_disruption", "major_disruption", "some_disruption"], "major_disruption"),  # 1.33
        (["completed", "completed"], "completed"),
        (["completed", "on_track"], "on_track"),
        (["pending", "major_disruption"], "major_disruption"),  # pending is not scored
        (["completed", "deferred"], "completed"),
        (["pending", "completed"], "on_track"),
    ],
)
def test_status_roll_up_scores(statuses, expected):
    rows = [(1, None, "1")] + [(i + 2, 1, f"1.{i + 1}") for i in range(len(statuses))]
    ups = updates(*[(i + 2, "2020-01-01", s, 50) for i, s in enumerate(statuses) if s != "pending"])
    assert row(rollup(items(*rows), ups, D), "1")["status"] == expected


def test_status_score_is_weighted():
    rows = [(1, None, "1"), (2, 1, "1.1", {"weight": 3.0}), (3, 1, "1.2")]
    ups = updates((2, "2020-01-01", "on_track", 50), (3, "2020-01-01", "major_disruption", 50))
    assert row(rollup(items(*rows), ups, D), "1")["status"] == "on_track"  # (9 + 1) / 4 = 2.5


def test_expected_progress_from_dates_and_spans():
    dated = {
        "1.1.1": {"start": "2020-01-01", "due": "2020-12-31"},
        "1.1.2": {"start": "2020-03-01", "due": "2020-04-30"},
    }
    t = rollup(tree_a(**dated), UPS_A, "2020-07-01")
    assert row(t, "1.1.1")["expected_progress"] == pytest.approx(182 / 365 * 100)
    assert row(t, "1.1.2")["expected_progress"] == 100.0
    assert np.isnan(row(t, "1.2.1")["expected_progress"])  # no dates
    # parent without dates: spans its children, expected rolls up over children that have one
    assert row(t, "1.1")["start"] == pd.Timestamp("2020-01-01")
    assert row(t, "1.1")["due"] == pd.Timestamp("2020-12-31")
    assert row(t, "1.1")["expected_progress"] == pytest.approx((182 / 365 * 100 + 100) / 2)
    assert row(t, "1")["expected_progress"] == pytest.approx(row(t, "1.1")["expected_progress"])
    assert np.isnan(row(t, "1.2")["expected_progress"])
    assert row(t, "1.1.1")["schedule_variance"] == pytest.approx(40 - 182 / 365 * 100)
    before = rollup(tree_a(**dated), UPS_A, "2019-06-01")
    assert row(before, "1.1.1")["expected_progress"] == 0.0


def test_parent_with_own_dates_but_undated_children_uses_its_own():
    t = rollup(tree_a(**{"1.2": {"start": "2020-01-01", "due": "2020-01-31"}}), UPS_A, D)
    assert row(t, "1.2")["expected_progress"] == 100.0


def test_schedule_flags_overdue_due_soon_stale():
    extra = {
        "1.1.1": {"start": "2019-01-01", "due": "2020-02-01"},  # past due, open -> overdue
        "1.1.2": {"start": "2019-01-01", "due": "2020-02-01"},  # past due but completed
        "1.2.1": {"start": "2019-01-01", "due": "2020-03-20"},  # due within 30 days
    }
    ups = updates(
        (3, "2019-10-01", "on_track", 40), (4, "2020-01-01", "completed", 100), (6, "2020-02-20", "on_track", 5)
    )
    t = rollup(tree_a(**extra), ups, D)
    flags = t.set_index("code")[["overdue", "due_soon", "stale"]]
    assert flags.loc["1.1.1"].tolist() == [True, False, True]  # last update 152 days before D
    assert flags.loc["1.1.2"].tolist() == [False, False, False]
    assert flags.loc["1.2.1"].tolist() == [False, True, False]
    assert row(t, "1")["n_overdue"] == 1
    loose = rollup(tree_a(**extra), ups, D, thresholds=Thresholds(due_soon_days=10, stale_days=200))
    assert row(loose, "1.2.1")["due_soon"] == False  # noqa: E712
    assert row(loose, "1.1.1")["stale"] == False  # noqa: E712


def test_deferred_leaf_is_never_overdue():
    ups = updates((3, "2019-10-01", "deferred", 40))
    t = rollup(tree_a(**{"1.1.1": {"due": "2020-01-01"}}), ups, D)
    assert not row(t, "1.1.1")["overdue"]


def test_owner_department_and_smart_are_inherited_from_nearest_ancestor():
    tree = prepare_tree(
        tree_a(
            **{
                "1": {"owner": "Ana", "department": "Innovation", "smart": "MT"},
                "1.2": {"owner": "Ben", "department": "Public Works", "partners": "Transit"},
                "1.2.1": {"smart": "S"},
            }
        )
    )
    got = tree.frame.set_index("code")[["owner", "department", "partners", "smart"]]
    assert got.loc["1.1.1", ["owner", "department", "smart"]].tolist() == ["Ana", "Innovation", "MT"]
    assert pd.isna(got.loc["1.1.1", "partners"])
    assert got.loc["1.2.1"].tolist() == ["Ben", "Public Works", "Transit", "S"]


def test_filters_select_leaves_by_effective_values_and_roll_the_subtree_up():
    tree = tree_a(
        **{
            "1.1": {"department": "Department of Public Works", "smart": "M"},
            "1.2": {"department": "Innovation Division", "smart": "MT"},
        }
    )
    t = rollup(tree, UPS_A, D, Filters(department=("public works",)))
    assert t["code"].tolist() == ["1", "1.1", "1.1.1", "1.1.2"]
    assert row(t, "1")["progress"] == 70.0
    # OR within a filter, AND across filters
    both = rollup(tree, UPS_A, D, Filters(department=("public works", "innovation")))
    assert len(both) == 6
    none = rollup(tree, UPS_A, D, Filters(department=("public works",), smart=("T",)))
    assert none.empty
    assert plan_total(rollup_table(tree, UPS_A, D, Filters(department=("nobody",)))) is None


def test_strategy_filter_keeps_item_and_everything_under_it():
    t = rollup(tree_a(), UPS_A, D, Filters(strategy=("1.2",)))
    assert t["code"].tolist() == ["1", "1.2", "1.2.1"]
    assert row(t, "1")["progress"] == 10.0


def test_status_filter_uses_state_at_as_of():
    t = rollup(tree_a(), UPS_A, D, Filters(status=("completed",)))
    assert t["code"].tolist() == ["1", "1.1", "1.1.2"]
    assert rollup(tree_a(), UPS_A, "2020-02-01", Filters(status=("completed",))).empty


def test_text_filter_searches_titles_of_ancestors_and_comments():
    ups = pd.concat([UPS_A, updates((6, "2020-02-29", "on_track", 12, "waiting on the vendor"))]).assign(id=range(1, 5))
    tree = tree_a(**{"1.1": {"title": "Privacy policy"}})
    assert rollup(tree, ups, D, Filters(text="privacy"))["code"].tolist() == ["1", "1.1", "1.1.1", "1.1.2"]
    assert rollup(tree, ups, D, Filters(text="VENDOR"))["code"].tolist() == ["1", "1.2", "1.2.1"]


def test_deep_tree_rolls_up_every_level():
    rows = [
        (1, None, "1"),
        (2, 1, "1.1"),
        (3, 2, "1.1.1"),
        (4, 3, "1.1.1.1"),
        (5, 4, "1.1.1.1.1"),
        (6, 4, "1.1.1.1.2"),
        (7, 1, "1.2"),
    ]
    ups = updates(
        (5, "2020-01-01", "on_track", 30), (6, "2020-01-01", "on_track", 50), (7, "2020-01-01", "completed", 0)
    )
    t = rollup(items(*rows), ups, D)
    assert t.set_index("code")["progress"].to_dict() == {
        "1": 70.0,
        "1.1": 40.0,
        "1.1.1": 40.0,
        "1.1.1.1": 40.0,
        "1.1.1.1.1": 30.0,
        "1.1.1.1.2": 50.0,
        "1.2": 100.0,
    }
    assert row(t, "1.1.1.1.1")["depth"] == 5


def test_archived_items_and_their_subtrees_are_left_out():
    t = rollup(tree_a(**{"1.2": {"archived": True}}), UPS_A, D)
    assert t["code"].tolist() == ["1", "1.1", "1.1.1", "1.1.2"]
    assert row(t, "1")["progress"] == 70.0


def test_outline_order_puts_1_10_after_1_9():
    rows = [(1, None, "1")] + [(i + 1, 1, f"1.{i}") for i in (10, 9, 2)]
    assert rollup(items(*rows), updates(), D)["code"].tolist() == ["1", "1.2", "1.9", "1.10"]


def test_plan_row_rolls_up_top_level_items():
    table = rollup_table(tree_a(), UPS_A, D)
    total = plan_total(table)
    assert total["level"] == "Plan" and total["progress"] == 40.0 and total["n_leaves"] == 3


def test_group_leaves_by_smart_counts_a_leaf_in_each_of_its_values():
    tree = tree_a(**{"1.1": {"smart": "MT"}, "1.2": {"smart": "T"}})
    g = group_leaves(rollup_table(tree, UPS_A, D), "smart").set_index("group")
    assert g.loc["Mobility", "n_leaves"] == 2 and g.loc["Transparency", "n_leaves"] == 3
    assert g.loc["Mobility", "progress"] == 70.0


def test_leaf_states_carry_latest_comment_and_date():
    ups = updates((3, "2020-01-01", "on_track", 10, "kick-off"), (3, "2020-02-01", "on_track", 20))
    st = leaf_states(prepare_tree(tree_a()), ups, [D], Thresholds()).set_index("id")
    assert st.loc[3, "comment"] == "kick-off"
    assert st.loc[3, "comment_date"] == pd.Timestamp("2020-01-01")
    assert st.loc[3, "last_update"] == pd.Timestamp("2020-02-01")


def test_default_as_of_is_latest_update_or_today_if_earlier():
    assert default_as_of(UPS_A, tree_a(), today=dt.date(2026, 1, 1)) == pd.Timestamp("2020-02-29")
    assert default_as_of(UPS_A, tree_a(), today=dt.date(2020, 2, 1)) == pd.Timestamp("2020-02-01")
    assert default_as_of(updates(), tree_a(), today=dt.date(2026, 1, 1)) == pd.Timestamp("2026-01-01")


def test_an_empty_plan_rolls_up_to_nothing():
    table = rollup_table(items(), updates(), D)
    assert table.empty and plan_total(table) is None
    assert group_leaves(table, "department").empty


# ---------------------------------------------------------------- GUIDE §3 clarifications (issue 10)


def partner_tree():
    """1 Works + Parks;Transit > 1.1 (partners only) > 1.1.1; 1.2 (lead only) > 1.2.1 (partners only)."""
    return items(
        (1, None, "1", {"department": "Works", "partners": "Parks; Transit", "owner": "Ana", "sponsor": "Mayor"}),
        (2, 1, "1.1", {"partners": "Library"}),
        (3, 2, "1.1.1", {"sponsor": "Deputy"}),
        (4, 1, "1.2", {"department": "Finance", "owner": "Ben"}),
        (5, 4, "1.2.1", {"partners": "Information Technology"}),
    )


def test_each_field_is_inherited_on_its_own():
    got = prepare_tree(partner_tree()).frame.set_index("code")[["department", "partners", "owner", "sponsor"]]
    want = pd.DataFrame(
        {
            "department": ["Works", "Works", "Works", "Finance", "Finance"],
            # 1.1 keeps its own partners and inherits the lead; 1.2 has a lead of its own and
            # still inherits the partners; 1.2.1 keeps its partners and inherits 1.2's lead.
            "partners": ["Parks; Transit", "Library", "Library", "Parks; Transit", "Information Technology"],
            "owner": ["Ana", "Ana", "Ana", "Ben", "Ben"],
            "sponsor": ["Mayor", "Mayor", "Deputy", "Mayor", "Mayor"],
        },
        index=pd.Index(["1", "1.1", "1.1.1", "1.2", "1.2.1"], name="code"),
    )
    pd.testing.assert_frame_equal(got, want, check_dtype=False)
    own = prepare_tree(partner_tree()).frame.set_index("code")
    assert own["own_partners"].isna().tolist() == [False, False, True, True, False]


def test_department_filter_matches_the_effective_lead_or_any_effective_partner():
    tree, ups = partner_tree(), updates((3, "2020-01-01", "on_track", 20), (5, "2020-01-01", "on_track", 60))
    assert rollup(tree, ups, D, Filters(department=("technology",)))["code"].tolist() == ["1", "1.2", "1.2.1"]
    assert rollup(tree, ups, D, Filters(department=("library",)))["code"].tolist() == ["1", "1.1", "1.1.1"]
    assert rollup(tree, ups, D, Filters(department=("finance",)))["code"].tolist() == ["1", "1.2", "1.2.1"]
    # 1.2.1's effective lead is Finance and its partners its own: "Works" is not among them.
    assert rollup(tree, ups, D, Filters(department=("works",)))["code"].tolist() == ["1", "1.1", "1.1.1"]
    assert rollup(tree, ups, D, Filters(department=("transit",))).empty  # no leaf has it: 1.1.1, 1.2.1 have their own
    table = rollup_table(tree, ups, D).set_index("code")
    assert table.loc["1.2.1", ["department", "partners"]].tolist() == ["Finance", "Information Technology"]


def dated_tree():
    """1 (no dates) > 1.1 (own dates) > 1.1.1, 1.1.2 (own dates); 1.2 (no dates) > 1.2.1 (own dates)."""
    return items(
        (1, None, "1"),
        (2, 1, "1.1", {"start": "2020-07-01", "due": "2023-06-30"}),
        (3, 2, "1.1.1", {"start": "2020-07-01", "due": "2021-06-30"}),
        (4, 2, "1.1.2", {"start": "2021-01-01", "due": "2021-12-31"}),
        (5, 1, "1.2", {"start": "2021-01-10"}),
        (6, 5, "1.2.1", {"start": "2021-01-01", "due": "2021-01-31"}),
    )


def test_a_parent_with_both_dates_of_its_own_expects_progress_from_them():
    on_jan = rollup(dated_tree(), updates(), "2021-01-15").set_index("code")
    on_dec = rollup(dated_tree(), updates(), "2021-12-31").set_index("code")
    # The initiative: 198 / 1094 days and 548 / 1094 days of its own span,
    # not the mean of its actions' (54.4 % and 3.8 % -> 29.1 %; 100 % and 100 %).
    assert on_jan.loc["1.1", "expected_progress"] == pytest.approx(198 / 1094 * 100)
    assert round(on_jan.loc["1.1", "expected_progress"], 1) == 18.1
    assert round(on_dec.loc["1.1", "expected_progress"], 1) == 50.1
    assert on_jan.loc["1.1.1", "expected_progress"] == pytest.approx(198 / 364 * 100)
    # 1.2 lacks a due date: it rolls up from its child (14 of 30 days) and spans it for display.
    assert on_jan.loc["1.2", "expected_progress"] == pytest.approx(14 / 30 * 100)
    assert on_jan.loc["1.2", "start"] == pd.Timestamp("2021-01-10")  # its own start is kept
    assert on_jan.loc["1.2", "due"] == pd.Timestamp("2021-01-31")
    # The strategy has no dates: the mean of its initiatives' expected progress, and their span.
    assert on_jan.loc["1", "expected_progress"] == pytest.approx((198 / 1094 * 100 + 14 / 30 * 100) / 2)
    assert on_jan.loc["1", "start"] == pd.Timestamp("2020-07-01")
    assert on_jan.loc["1", "due"] == pd.Timestamp("2023-06-30")
    assert on_jan.loc["1.1", "schedule_variance"] == pytest.approx(0 - 198 / 1094 * 100)


def test_a_parent_whose_start_is_its_due_expects_0_before_and_100_from_that_day():
    tree = items((1, None, "1", {"start": "2021-03-01", "due": "2021-03-01"}),
                 (2, 1, "1.1", {"start": "2021-01-01", "due": "2021-12-31"}))
    assert rollup(tree, updates(), "2021-02-28").set_index("code").loc["1", "expected_progress"] == 0.0
    assert rollup(tree, updates(), "2021-03-01").set_index("code").loc["1", "expected_progress"] == 100.0


def test_roll_up_gives_the_three_stages_table():
    tree = prepare_tree(tree_a())
    pd.testing.assert_frame_equal(roll_up(tree, leaf_states(tree, UPS_A, [D], Thresholds()), Filters()),
                                  rollup_table(tree_a(), UPS_A, D))
