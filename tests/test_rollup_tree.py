"""A prepared tree is a frozen object: changing what it hands out never changes a roll-up."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from frames import items, updates

from wehoplan.filters import Filters
from wehoplan.rollup import PreparedTree, Thresholds, leaf_states, prepare_tree, roll_up, rollup_table

D = "2020-03-01"
# Two leaves, one at 0 % and one at 100 %: equal weights give the parent 50 %.
ITEMS = items((1, None, "1"), (2, 1, "1.1"), (3, 1, "1.2"))
UPS = updates((2, "2020-01-01", "on_track", 0), (3, "2020-01-01", "on_track", 100))


def parent_progress(tree: PreparedTree) -> float:
    table = roll_up(tree, leaf_states(tree, UPS, [D], Thresholds()), Filters())
    return float(table.set_index("code").loc["1", "progress"])


def test_the_rule_the_in_place_tests_rely_on():
    tree = prepare_tree(ITEMS)
    assert parent_progress(tree) == 50.0
    heavy = prepare_tree(ITEMS.assign(weight=[1.0, 1.0, 3.0]))
    assert parent_progress(heavy) == 75.0  # (0 x 1 + 100 x 3) / 4


def test_setting_a_weight_in_the_frame_it_hands_out_leaves_the_tree_alone():
    tree = prepare_tree(ITEMS)
    frame = tree.frame
    frame.loc[frame["code"] == "1.2", "weight"] = 3.0
    assert frame.loc[frame["code"] == "1.2", "weight"].item() == 3.0  # the caller's copy did change
    assert parent_progress(tree) == 50.0
    assert tree.frame.loc[tree.frame["code"] == "1.2", "weight"].item() == 1.0


def test_preparing_the_changed_frame_gives_the_rules_number():
    tree = prepare_tree(ITEMS)
    assert parent_progress(tree) == 50.0  # computes and caches the tree's indices first
    frame = tree.frame
    frame.loc[frame["code"] == "1.2", "weight"] = 3.0
    assert parent_progress(prepare_tree(frame)) == 75.0
    assert rollup_table(frame, UPS, D).set_index("code").loc["1", "progress"] == 75.0
    assert parent_progress(tree) == 50.0


@pytest.mark.parametrize("trick", ["setitem", "iloc", "values", "to_numpy", "column_series", "assign_back"])
def test_no_in_place_trick_reaches_the_tree(trick):
    tree = prepare_tree(ITEMS)
    before = roll_up(tree, leaf_states(tree, UPS, [D], Thresholds()), Filters())
    frame = tree.frame
    row = int(np.flatnonzero(frame["code"].to_numpy() == "1.2")[0])
    col = frame.columns.get_loc("weight")
    try:
        if trick == "setitem":
            frame["weight"] = 3.0
        elif trick == "iloc":
            frame.iloc[row, col] = 3.0
        elif trick == "values":
            frame["weight"].values[row] = 3.0
        elif trick == "to_numpy":
            frame["weight"].to_numpy()[row] = 3.0
        elif trick == "column_series":
            s = frame["weight"]
            s.iloc[row] = 3.0
        else:
            frame.loc[:, "is_leaf"] = False
            frame.loc[:, "department"] = "Somewhere"
    except ValueError:  # pandas refuses to write into a read-only (shared) array: also fine
        pass
    after = roll_up(tree, leaf_states(tree, UPS, [D], Thresholds()), Filters())
    pd.testing.assert_frame_equal(after, before)
    assert parent_progress(tree) == 50.0


def test_the_tree_itself_cannot_be_reassigned():
    tree = prepare_tree(ITEMS)
    with pytest.raises(dataclasses.FrozenInstanceError):
        tree._frame = ITEMS  # type: ignore[misc]


def test_preparing_a_prepared_tree_returns_it_unchanged():
    tree = prepare_tree(ITEMS)
    assert prepare_tree(tree) is tree


def test_preparing_the_handed_out_frame_gives_the_same_tree():
    tree = prepare_tree(ITEMS.assign(owner=["Ana", None, "Ben"], department=["Works", None, None]))
    pd.testing.assert_frame_equal(prepare_tree(tree.frame).frame, tree.frame)


def test_changing_the_items_after_preparing_leaves_the_tree_alone():
    raw = ITEMS.copy()
    tree = prepare_tree(raw)
    raw.loc[raw["code"] == "1.2", "weight"] = 3.0
    assert parent_progress(tree) == 50.0


def test_the_stages_want_a_prepared_tree():
    with pytest.raises(TypeError, match="prepare_tree"):
        leaf_states(ITEMS, UPS, [D], Thresholds())
    tree = prepare_tree(ITEMS)
    with pytest.raises(TypeError, match="prepare_tree"):
        roll_up(ITEMS, leaf_states(tree, UPS, [D], Thresholds()), Filters())


def test_roll_up_takes_one_date():
    tree = prepare_tree(ITEMS)
    with pytest.raises(ValueError, match="roll_up_many"):
        roll_up(tree, leaf_states(tree, UPS, ["2020-01-31", D], Thresholds()), Filters())


def _tree_with_owners() -> PreparedTree:
    return prepare_tree(items((1, None, "1", {"owner": "Ana", "department": "Works"}),
                              (2, 1, "1.1"), (3, 1, "1.2", {"owner": "Ben"}), (4, 2, "1.1.1")))


def test_an_effective_value_changed_in_the_frame_becomes_the_items_own_and_is_inherited():
    frame = _tree_with_owners().frame
    frame.loc[frame["code"] == "1.1", "owner"] = "Cy"
    got = prepare_tree(frame).frame.set_index("code")
    assert got["owner"].to_dict() == {"1": "Ana", "1.1": "Cy", "1.1.1": "Cy", "1.2": "Ben"}
    assert got.loc["1.1", "own_owner"] == "Cy" and pd.isna(got.loc["1.1.1", "own_owner"])


def test_a_blanked_effective_value_inherits_again():
    frame = _tree_with_owners().frame
    frame.loc[frame["code"] == "1.2", "owner"] = None
    assert prepare_tree(frame).frame.set_index("code").loc["1.2", "owner"] == "Ana"


def test_a_changed_department_moves_the_filter():
    tree = _tree_with_owners()
    ups = updates((4, "2020-01-01", "on_track", 10), (3, "2020-01-01", "on_track", 30))
    works = Filters(department=("works",))
    assert len(roll_up(tree, leaf_states(tree, ups, [D], Thresholds()), works)) == 5  # plan, 1, 1.1, 1.1.1, 1.2
    moved = prepare_tree(tree.frame.assign(department="Elsewhere"))
    assert roll_up(moved, leaf_states(moved, ups, [D], Thresholds()), works).empty
    assert len(roll_up(tree, leaf_states(tree, ups, [D], Thresholds()), works)) == 5  # the first tree is unchanged
