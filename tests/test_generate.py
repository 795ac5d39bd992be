"""The generator: deterministic, the promised shape, and plans the app accepts."""

from __future__ import annotations

import sqlite3

import pandas as pd
import pytest

from wehoplan import repository, rollup
from wehoplan.cli import main
from wehoplan.db import make_engine
from wehoplan.generate import generate, generate_plan


def _dump(path) -> list:
    """Every row of the content tables, in id order (created_at is generated too)."""
    con = sqlite3.connect(path)
    try:
        return [con.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall()
                for t in ("items", "updates", "people", "departments", "item_partner_departments")]
    finally:
        con.close()


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    path = tmp_path_factory.mktemp("gen") / "g.db"
    engine = make_engine(f"sqlite:///{path}")
    made = generate_plan(engine, actions=400, months=24, seed=3)
    return path, engine, made


def test_same_arguments_give_the_same_database(small, tmp_path):
    path, _, _ = small
    other = tmp_path / "again.db"
    generate_plan(make_engine(f"sqlite:///{other}"), actions=400, months=24, seed=3)
    assert _dump(path) == _dump(other)


def test_another_seed_gives_another_plan(small, tmp_path):
    path, _, _ = small
    other = tmp_path / "seed4.db"
    generate_plan(make_engine(f"sqlite:///{other}"), actions=400, months=24, seed=4)
    assert _dump(path)[1] != _dump(other)[1]


def test_shape_matches_the_issue(small):
    _, engine, made = small
    items = repository.load_items(engine, made.plan_id, include_archived=True)
    levels = items["level"].value_counts()
    assert 3 <= levels["Strategy"] <= 8
    assert 10 <= levels["Initiative"] <= 60
    assert levels["Action"] == 400 == made.actions
    # Every action reports at every month-end.
    updates = repository.load_updates(engine, made.plan_id)
    assert len(updates) == made.updates == 400 * 24
    assert updates.groupby("item_id").size().eq(24).all()
    assert updates["as_of"].max() == pd.Timestamp("2025-12-31")
    assert updates["as_of"].nunique() == 24


def test_history_is_realistic(small):
    _, engine, made = small
    updates = repository.load_updates(engine, made.plan_id)
    # Progress never goes backwards for an action, and completed means 100 %.
    back = updates.sort_values(["item_id", "as_of"]).groupby("item_id")["progress"].diff().lt(0)
    assert not back.any()
    assert updates.loc[updates["status"] == "completed", "progress"].eq(100).all()
    # All six statuses occur, disruptions included, and some updates carry comments.
    assert set(updates["status"]) == {"pending", "on_track", "some_disruption", "major_disruption",
                                      "completed", "deferred"}
    assert 0 < updates["comment"].notna().mean() < 0.5


def test_items_use_inheritance_weights_and_smart(small):
    _, engine, made = small
    items = repository.load_items(engine, made.plan_id)
    actions = items[items["level"] == "Action"]
    # Some actions have their own owner / department / SMART tags, others inherit them.
    for col in ("owner", "department"):
        assert 0 < actions[col].notna().mean() < 1
    assert 0 < (actions["smart"] != "").mean() < 1
    assert set(actions["weight"]) > {1.0}
    assert actions["partners"].notna().any()
    assert (actions["start"] <= actions["due"]).all()
    tree = rollup.prepare_tree(items).frame
    assert tree.loc[tree["is_leaf"], "level"].eq("Action").all()
    table = rollup.rollup_table(tree, repository.load_updates(engine, made.plan_id), pd.Timestamp("2025-12-31"))
    assert table.loc[table["id"] == 0, "n_leaves"].item() == len(tree[tree["is_leaf"]])


def test_several_plans_share_the_actions(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'p.db'}")
    made = generate(engine, actions=101, months=3, plans=2, seed=1)
    assert [g.actions for g in made] == [51, 50]
    assert len(repository.list_plans(engine)) == 2


def test_cli_generate_and_refuses_a_duplicate(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert main(["generate", "--actions", "30", "--months", "2", "--db", url]) == 0
    assert "30 actions, 60 updates" in capsys.readouterr().out
    assert main(["generate", "--actions", "30", "--months", "2", "--db", url]) == 1
    assert "exists already" in capsys.readouterr().err
    assert main(["generate", "--actions", "0", "--months", "2", "--db", url]) == 2
