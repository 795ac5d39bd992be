"""prepare_tree's rules on awkward items, and the fast as-of lookup against merge_asof."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from wehoplan import repository
from wehoplan.db import make_engine
from wehoplan.generate import generate_plan
from wehoplan.rollup import prepare_tree, states


def _items(rows: list[dict]) -> pd.DataFrame:
    base = {"owner": None, "department": None, "partners": None, "smart": "", "archived": False,
            "weight": 1.0, "title": "t"}
    return pd.DataFrame([{**base, **r} for r in rows])


def _awkward(blank) -> pd.DataFrame:
    # Deeper than three levels, children listed before parents, blanks of every kind,
    # partners without a department, an archived branch, an orphan, codes that sort as numbers.
    return _items([
        {"id": 5, "parent_id": 2, "code": "1.10.1", "department": blank, "partners": "X"},
        {"id": 1, "parent_id": None, "code": "1", "owner": "Ana", "department": "Works", "partners": "P; Q",
         "smart": "MA"},
        {"id": 2, "parent_id": 1, "code": "1.10", "owner": blank, "smart": blank},
        {"id": 3, "parent_id": 1, "code": "1.9", "department": "Parks", "partners": blank, "owner": "Ben"},
        {"id": 4, "parent_id": 5, "code": "1.10.1.1", "owner": " ", "smart": "T"},
        {"id": 6, "parent_id": None, "code": "2", "department": blank, "partners": "Lonely"},
        {"id": 7, "parent_id": 6, "code": "2.1", "archived": True},
        {"id": 8, "parent_id": 7, "code": "2.1.1"},
        {"id": 9, "parent_id": 6, "code": "2.2", "title": None},
        {"id": 10, "parent_id": 99, "code": "3.1"},
    ]).astype({"parent_id": "Int64"})


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Missing values of every kind as None, everything as object: compare values, not dtypes."""
    return frame.astype(object).where(frame.notna(), None)


@pytest.mark.parametrize("blank", [None, np.nan, "", "  "])
def test_structure_and_inheritance_on_awkward_items(blank):
    got = prepare_tree(_awkward(blank)).frame
    cols = ["code", "depth", "parent_key", "is_leaf", "order", "top_code", "owner", "department", "partners", "smart",
            "path_codes", "path_text"]
    want = pd.DataFrame(
        [
            ["1", 1, 0, False, 0, "1", "Ana", "Works", "P; Q", "MA", "|1|", "1 t"],
            # Its own lead department, no partners of its own: the partners are still inherited.
            ["1.9", 2, 1, True, 1, "1", "Ben", "Parks", "P; Q", "MA", "|1|1.9|", "1 t 1.9 t"],
            ["1.10", 2, 1, False, 2, "1", "Ana", "Works", "P; Q", "MA", "|1|1.10|", "1 t 1.10 t"],
            # Its own partners, no lead: keeps the partners, inherits the lead.
            ["1.10.1", 3, 2, False, 3, "1", "Ana", "Works", "X", "MA", "|1|1.10|1.10.1|", "1 t 1.10 t 1.10.1 t"],
            ["1.10.1.1", 4, 5, True, 4, "1", "Ana", "Works", "X", "T", "|1|1.10|1.10.1|1.10.1.1|",
             "1 t 1.10 t 1.10.1 t 1.10.1.1 t"],
            ["2", 1, 0, False, 5, "2", None, None, "Lonely", "", "|2|", "2 t"],
            ["2.2", 2, 6, True, 6, "2", None, None, "Lonely", "", "|2|2.2|", "2 t 2.2"]  # no title: just the code,
        ],
        columns=cols,
    )
    pd.testing.assert_frame_equal(_plain(got[cols]), _plain(want))
    # The own values are kept beside the effective ones.
    own = got.set_index("code")
    assert own.loc["1.10.1", "own_partners"] == "X" and own.loc["1.9", "own_department"] == "Parks"
    assert pd.isna(own.loc["1.10.1.1", "own_department"]) and own.loc["1.10.1.1", "own_smart"] == "T"


def test_archived_items_take_their_subtree_with_them_and_orphans_are_dropped():
    codes = prepare_tree(_awkward(None)).frame["code"].tolist()
    assert "2.1" not in codes and "2.1.1" not in codes  # archived, and under an archived item
    assert "3.1" not in codes  # its parent is not in the plan


def test_an_item_whose_children_are_all_archived_is_a_leaf():
    items = _items([
        {"id": 1, "parent_id": None, "code": "1"},
        {"id": 2, "parent_id": 1, "code": "1.1", "archived": True},
    ]).astype({"parent_id": "Int64"})
    got = prepare_tree(items).frame
    assert got["code"].tolist() == ["1"] and got["is_leaf"].tolist() == [True]


def test_a_generated_plan_has_consistent_structure(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'g.db'}")
    made = generate_plan(engine, actions=300, months=2, seed=5)
    for archived in (False, True):
        tree = prepare_tree(repository.load_items(engine, made.plan_id, include_archived=archived)).frame
        by_id = tree.set_index("id")
        parents = tree[tree["parent_key"] != 0]
        # Depth is the parent's plus one, parents come first in outline order, a parent is never a leaf.
        assert (parents["depth"].to_numpy() == by_id.loc[parents["parent_key"], "depth"].to_numpy() + 1).all()
        assert (parents["order"].to_numpy() > by_id.loc[parents["parent_key"], "order"].to_numpy()).all()
        assert not by_id.loc[parents["parent_key"].unique(), "is_leaf"].any()
        assert tree["order"].tolist() == list(range(len(tree)))
        assert not tree["archived"].any()


@pytest.mark.parametrize("seed", range(6))
def test_asof_lookup_equals_merge_asof(seed, monkeypatch):
    rng = np.random.default_rng(seed)
    days = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 400, 300), unit="D")
    if seed % 2:  # times of day: the lookup must hand over to merge_asof and agree
        days = days + pd.to_timedelta(rng.integers(0, 86_400, 300), unit="s")
    right = pd.DataFrame({"id": rng.integers(1, 40, 300), "when": days,
                          "status": pd.array(rng.choice(["on_track", "completed"], 300), dtype="str"),
                          "progress": rng.uniform(0, 100, 300)})
    right = right.drop_duplicates(["id", "when"]).sort_values("when", kind="stable")
    snaps = pd.date_range("2019-12-31", periods=14, freq="ME")
    leaf_ids = rng.permutation(np.arange(0, 45))  # the grid keeps the leaves' own order
    left = (pd.DataFrame({"snap": snaps}).merge(pd.DataFrame({"id": leaf_ids}), how="cross")
            .sort_values("snap", kind="stable").reset_index(drop=True))
    expected = pd.merge_asof(left, right, left_on="snap", right_on="when", by="id", direction="backward")
    # Without the grid's shape the general path (merge_asof itself) answers.
    pd.testing.assert_frame_equal(states.merge_asof_by_id(left, right, "when"), expected)
    if seed % 2 == 0:  # whole days: the searchsorted path must answer, not merge_asof
        monkeypatch.setattr(states.pd, "merge_asof", None)
    got = states.merge_asof_by_id(left, right, "when", leaf_ids, len(snaps))
    monkeypatch.undo()
    assert got["when"].notna().any() and got["when"].isna().any()
    pd.testing.assert_frame_equal(got, expected)


@pytest.mark.parametrize("seed", range(4))
def test_asof_lookup_takes_the_last_update_recorded_on_a_day(seed, monkeypatch):
    """``last_of_day``: several updates of a leaf on one day, in recorded order: the last one counts."""
    rng = np.random.default_rng(seed)
    days = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 60, 400), unit="D")
    if seed % 2:  # times of day: merge_asof answers, after de-duplicating
        days = days + pd.to_timedelta(rng.integers(0, 3, 400) * 3600, unit="s")
    right = pd.DataFrame({"id": rng.integers(1, 20, 400), "when": days, "progress": np.arange(400.0)})
    right = right.sort_values("when", kind="stable").reset_index(drop=True)
    assert right.duplicated(["id", "when"]).any()
    snaps = pd.date_range("2020-01-10", periods=5, freq="10D")
    leaf_ids = rng.permutation(np.arange(0, 22))
    left = (pd.DataFrame({"snap": snaps}).merge(pd.DataFrame({"id": leaf_ids}), how="cross")
            .sort_values("snap", kind="stable").reset_index(drop=True))
    last = right.drop_duplicates(["id", "when"], keep="last")
    expected = pd.merge_asof(left, last, left_on="snap", right_on="when", by="id", direction="backward")
    if seed % 2 == 0:
        monkeypatch.setattr(states.pd, "merge_asof", None)
    got = states.merge_asof_by_id(left, right, "when", leaf_ids, len(snaps), last_of_day=True)
    monkeypatch.undo()
    assert got["progress"].notna().any()
    pd.testing.assert_frame_equal(got.reset_index(drop=True), expected.reset_index(drop=True))
