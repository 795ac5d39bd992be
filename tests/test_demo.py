"""The demo database: the real plans' shape and every dated milestone."""

import csv

import pandas as pd
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wehoplan import repository
from wehoplan.config import DATA_DIR
from wehoplan.db import make_engine
from wehoplan.demo import INNOVATIONS, SMART_CITY, build_demo
from wehoplan.models import Measure, Plan
from wehoplan.rollup import plan_total, prepare_tree, rollup, rollup_table


def frames(engine, name):
    plan = repository.resolve_plan(engine, name)
    return plan, prepare_tree(repository.load_items(engine, plan.id)), repository.load_updates(engine, plan.id)


def test_demo_holds_exactly_the_two_real_plans(demo_engine):
    assert repository.list_plans(demo_engine)["name"].tolist() == [SMART_CITY, INNOVATIONS]


@pytest.mark.parametrize(
    "name, levels, counts",
    [
        (SMART_CITY, ("Strategy", "Initiative", "Action"), [3, 14, 39]),
        (INNOVATIONS, ("Topic area", "Initiative", "Idea"), [5, 43, 95]),
    ],
)
def test_plan_shapes(demo_engine, name, levels, counts):
    plan, tree, _ = frames(demo_engine, name)
    assert plan.is_demo and "Illustrative" in plan.source_note
    assert tree.frame.groupby("level").size().reindex(list(levels)).tolist() == counts
    assert tree.frame.loc[tree.frame["is_leaf"], "level"].eq(levels[2]).all()


def test_smart_city_keeps_real_attributes(demo_engine):
    _, tree, _ = frames(demo_engine, SMART_CITY)
    i = tree.frame.set_index("code")
    assert i.loc["1.3", "department"] == "Department of Public Works"
    assert i.loc["1.3", "partners"] == "Long Range & Mobility Planning"
    assert i.loc["1.3.2", "department"] == "Department of Public Works"  # inherited
    assert i.loc["2.3", "smart"] == "MA"
    assert i.loc["3.4", "depends_on"] == "3.2;3.5"
    assert i.loc["3.1", "item_type"] == "Policy+Pilot"
    assert i.loc["1", "smart"] == "SMART"


def test_innovations_report_has_its_34_candidate_measures(demo_engine):
    with Session(demo_engine) as s:
        by_plan = dict(s.execute(select(Plan.name, func.count()).join(Measure, Measure.plan_id == Plan.id)
                                 .group_by(Plan.name)).all())
        provenance = dict(s.execute(select(Plan.name, func.min(Measure.provenance))
                                    .join(Measure, Measure.plan_id == Plan.id).group_by(Plan.name)).all())
    # The report's 34 are real measures with illustrative values; Smart City's few are inferred from its text.
    assert by_plan == {INNOVATIONS: 34, SMART_CITY: 5}
    assert provenance == {INNOVATIONS: "illustrative", SMART_CITY: "inferred"}


def test_history_windows(demo_engine):
    _, _, ups = frames(demo_engine, SMART_CITY)
    assert ups["as_of"].min() >= pd.Timestamp("2018-03-01")
    assert ups["as_of"].max() <= pd.Timestamp("2022-12-31")
    _, _, ups = frames(demo_engine, INNOVATIONS)
    assert ups["as_of"].max() <= pd.Timestamp("2017-12-31")


def milestones():
    with open(DATA_DIR / "weho_milestones.csv", newline="", encoding="utf-8") as fh:
        return [m for m in csv.DictReader(fh) if m["code"]]


@pytest.mark.parametrize("m", milestones(), ids=lambda m: f"{m['plan']}-{m['code']}-{m['event']}")
def test_every_dated_milestone_holds(demo_engine, m):
    name = SMART_CITY if m["plan"] == "smart_city_2018" else INNOVATIONS
    _, tree, ups = frames(demo_engine, name)
    when = pd.Timestamp(m["date"])
    at = rollup(tree, ups, when).set_index("code").loc[m["code"]]
    before = rollup(tree, ups, when - pd.Timedelta(days=1)).set_index("code").loc[m["code"]]
    if m["event"] == "started":
        assert before["status"] == "pending" and at["status"] != "pending"
    elif m["event"] == "completed":
        assert at["status"] == "completed" and at["progress"] == 100.0
        assert before["status"] != "completed"
    else:  # evaluated: an update carrying the event is dated that day
        items = tree.frame
        ids = items.loc[items["path_codes"].str.contains(f"|{m['code']}|", regex=False), "id"]
        assert ups[ups["item_id"].isin(ids) & (ups["as_of"] == when)]["comment"].str.contains("evaluation").any()


def test_smart_city_nearly_halfway_and_on_track_in_october_2020(demo_engine):
    _, tree, ups = frames(demo_engine, SMART_CITY)
    total = plan_total(rollup_table(tree, ups, "2020-10-15"))
    assert 45.0 <= total["progress"] <= 50.0
    assert total["status"] == "on_track"


def test_nothing_is_reported_before_the_plan_was_adopted(demo_engine):
    _, tree, ups = frames(demo_engine, SMART_CITY)
    assert set(rollup(tree, ups, "2018-02-20")["status"]) == {"pending"}


def test_innovations_all_completed_or_folded_at_the_final_report(demo_engine):
    _, tree, ups = frames(demo_engine, INNOVATIONS)
    leaves = rollup(tree, ups, "2017-12-31").query("is_leaf")
    assert set(leaves["status"]) <= {"completed", "deferred"}


def test_demo_history_is_deterministic(tmp_path, demo_engine):
    other = make_engine(f"sqlite:///{tmp_path / 'again.db'}")
    build_demo(other)
    for name in (SMART_CITY, INNOVATIONS):
        a = frames(demo_engine, name)[2].drop(columns=["id", "created_at", "item_id"])
        b = frames(other, name)[2].drop(columns=["id", "created_at", "item_id"])
        pd.testing.assert_frame_equal(a, b)


def test_build_refuses_to_overwrite_without_force(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    build_demo(engine)
    with pytest.raises(FileExistsError, match="--force"):
        build_demo(engine)
    build_demo(engine, force=True)
    assert len(repository.list_plans(engine)) == 2
