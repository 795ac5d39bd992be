"""Cycles and period locks in the database: set, show, lock; the progress writer refuses locked periods."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from wehoplan import cycle_store, editing, repository, users
from wehoplan.access import AccessDenied, Principal, principal_for_email
from wehoplan.cli import main
from wehoplan.cycles import CycleRule
from wehoplan.db import make_engine
from wehoplan.demo import SMART_CITY
from wehoplan.models import Audit
from wehoplan.rollup import prepare_tree

D = dt.date


@pytest.fixture
def setup(fresh_url):
    eng = make_engine(fresh_url)
    plan = repository.resolve_plan(eng, SMART_CITY)
    return fresh_url, eng, plan


def _leaf(eng, plan_id, owner="Public Works Director"):
    tree = prepare_tree(repository.load_items(eng, plan_id)).frame
    return tree[tree["is_leaf"] & (tree["owner"] == owner)].iloc[0]


def _audit(eng, **where):
    with Session(eng) as s:
        q = select(Audit)
        for k, v in where.items():
            q = q.where(getattr(Audit, k) == v)
        return list(s.scalars(q.order_by(Audit.id)))


def test_set_rule_is_audited_and_needs_the_editor_role(setup):
    _, eng, plan = setup
    cycle_store.set_rule(eng, plan.id, CycleRule("month", 7, 5, 2), "Ed")
    assert cycle_store.get_rule(eng, plan.id) == CycleRule("month", 7, 5, 2)
    rows = _audit(eng, field="update cycle")
    assert [(r.author, r.old_value, r.new_value) for r in rows] == [
        ("Ed", None, "every month; window opens 7 days before the period end; due 5 days after it; "
                     "late after 2 grace days")]
    viewer = Principal(email="v@weho.org", name="Vic", roles={plan.id: "viewer"})
    with pytest.raises(AccessDenied):
        cycle_store.set_rule(eng, plan.id, CycleRule("quarter"), viewer)
    with pytest.raises(editing.ValidationError, match="shortest period"):
        cycle_store.set_rule(eng, plan.id, CycleRule("month", 20, 10, 5), "Ed")
    assert cycle_store.get_rule(eng, plan.id) == CycleRule("month", 7, 5, 2)


def test_locked_period_refuses_reports_except_from_an_admin_who_is_audited(setup):
    _, eng, plan = setup
    cycle_store.set_rule(eng, plan.id, CycleRule("quarter"), "Ed")
    users.add_user(eng, "pwd@weho.org", role="updater", plan_id=plan.id, person="Public Works Director",
                   author="Setup")
    editor = Principal(email="ed@weho.org", name="Ed", roles={plan.id: "editor"})
    admin = Principal(email="ada@weho.org", name="Ada", roles={plan.id: "admin"})
    with pytest.raises(AccessDenied):
        cycle_store.lock_period(eng, plan.id, D(2020, 9, 30), editor, today=D(2020, 11, 1))
    with pytest.raises(editing.ValidationError, match="not over yet"):
        cycle_store.lock_period(eng, plan.id, D(2020, 12, 31), admin, today=D(2020, 11, 1))
    with pytest.raises(editing.ValidationError, match="not a period end"):
        cycle_store.lock_period(eng, plan.id, D(2020, 8, 31), admin, today=D(2020, 11, 1))
    assert cycle_store.lock_period(eng, plan.id, D(2020, 9, 30), admin, today=D(2020, 11, 1)) == (
        D(2020, 7, 1), D(2020, 9, 30))
    leaf = _leaf(eng, plan.id)
    n = len(repository.load_updates(eng, plan.id))
    updater = principal_for_email(eng, "pwd@weho.org")
    for who in (editor, updater):
        with pytest.raises(editing.ValidationError, match="1 Jul 2020 to 30 Sep 2020 is locked"):
            editing.record_update(eng, int(leaf["id"]), as_of=D(2020, 8, 15), status="on_track", progress=10,
                                  author=who)
    bulk = editing.record_updates_bulk(eng, [{"item_id": int(leaf["id"]), "expected_version": 1,
                                              "as_of": D(2020, 9, 30), "status": "on_track", "progress": 5}], editor)
    assert not bulk.ok and "is locked" in bulk.problems[0].message
    assert len(repository.load_updates(eng, plan.id)) == n
    # Outside the locked period: fine for anyone who may report.
    editing.record_update(eng, int(leaf["id"]), as_of=D(2020, 10, 1), status="on_track", progress=10, author=editor)
    editing.record_update(eng, int(leaf["id"]), as_of=D(2020, 8, 15), status="on_track", progress=10, author=admin)
    assert len(repository.load_updates(eng, plan.id)) == n + 2
    locked = _audit(eng, action="locked report")
    assert [(r.author, r.new_value) for r in locked] == [
        ("Ada <ada@weho.org>", "report dated 2020-08-15 inside the locked period 2020-07-01 to 2020-09-30")]
    assert [r.new_value for r in _audit(eng, action="lock")] == ["1 Jul 2020 to 30 Sep 2020"]
    cycle_store.unlock_period(eng, plan.id, D(2020, 9, 30), admin)
    editing.record_update(eng, int(leaf["id"]), as_of=D(2020, 8, 16), status="on_track", progress=10, author=editor)


def test_person_for_links_by_user_then_email_then_name(setup):
    _, eng, plan = setup
    users.add_user(eng, "it@weho.org", role="updater", plan_id=plan.id, person="IT Manager", author="Setup")
    cycle_store.set_email(eng, "public works director", "PWD@weho.org", "Setup")
    p_it = Principal(email="it@weho.org", name="x", roles={plan.id: "updater"})
    assert cycle_store.person_for(eng, p_it) == "IT Manager"
    assert cycle_store.person_for(eng, Principal(email="pwd@weho.org", name="y")) == "Public Works Director"
    assert cycle_store.person_for(eng, Principal(email="", name="Innovation Manager", local=True)) == \
        "Innovation Manager"
    assert cycle_store.person_for(eng, Principal(email="nobody@weho.org", name="Nobody")) is None
    with pytest.raises(editing.ValidationError):
        cycle_store.set_email(eng, "IT Manager", "not an email", "Setup")


def test_cli_cycle_set_show_lock_and_people_set_email(setup, capsys):
    url, eng, plan = setup
    assert main(["cycle", "show", "--plan", "smart city", "--db", url]) == 1
    assert "no update cycle" in capsys.readouterr().err
    assert main(["cycle", "set", "--plan", "smart city", "--every", "quarter", "--window-days", "20", "--db", url]) == 0
    assert cycle_store.get_rule(eng, plan.id) == CycleRule("quarter", 20, 10, 5)
    assert main(["cycle", "set", "--plan", "smart city", "--every", "quarter", "--grace-days", "3", "--db", url]) == 0
    assert cycle_store.get_rule(eng, plan.id) == CycleRule("quarter", 20, 10, 3)  # the others kept
    capsys.readouterr()
    assert main(["cycle", "show", "--plan", "smart city", "--today", "2020-10-05", "--db", url]) == 0
    out = capsys.readouterr().out
    assert "# 2020 Q3: period 1 Jul 2020 to 30 Sep 2020; reports open 10 Sep 2020, due 10 Oct 2020" in out
    assert "Innovation Manager,15,11,4,0" in out
    assert main(["cycle", "lock", "--plan", "smart city", "--period-end", "2020-06-30", "--db", url]) == 0
    assert main(["cycle", "lock", "--plan", "smart city", "--period-end", "2020-06-30", "--db", url]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 2 and "already locked" in err
    assert main(["cycle", "set", "--plan", "smart city", "--every", "month", "--window-days", "30", "--db", url]) == 1
    assert main(["cycle", "set", "--plan", "smart city", "--every", "weekly", "--db", url]) == 2
    assert main(["people", "set-email", "IT Manager", "it@weho.org", "--db", url]) == 0
    assert main(["people", "set-email", "Nobody", "x@weho.org", "--db", url]) == 1
    assert "no person named 'Nobody'" in capsys.readouterr().err
    people = repository.people_frame(eng).set_index("name")
    assert people.loc["IT Manager", "email"] == "it@weho.org"


def test_an_import_of_reports_into_a_locked_period_is_refused_whole_except_for_an_admin(setup):
    from wehoplan.importing import import_files

    _, eng, plan = setup
    cycle_store.set_rule(eng, plan.id, CycleRule("quarter"), "Ed")
    admin = Principal(email="ada@weho.org", name="Ada", roles={plan.id: "admin"})
    editor = Principal(email="ed@weho.org", name="Ed", roles={plan.id: "editor"})
    cycle_store.lock_period(eng, plan.id, D(2020, 9, 30), admin, today=D(2020, 11, 1))
    tree = prepare_tree(repository.load_items(eng, plan.id)).frame.set_index("code")
    title = tree["title"].str.replace(",", " ")
    csv = ("Code,Title,Status,Progress,Update date\n"
           f"1,{title['1']},,,\n1.1,{title['1.1']},,,\n"
           f"1.1.1,{title['1.1.1']},on track,61,2020-08-15\n1.1.2,{title['1.1.2']},on track,62,2020-10-05\n").encode()
    n = len(repository.load_updates(eng, plan.id))

    rep = import_files(eng, [("late.csv", csv)], plan_name=plan.name, author=editor)
    assert not rep.ok and rep.batch_id is None
    locked = [p for p in rep.errors if "is locked" in p.message]
    assert [(p.row, p.value) for p in locked] == [(4, "2020-08-15")]  # the row of the locked report, named
    assert len(repository.load_updates(eng, plan.id)) == n  # the other report is not written either

    rep = import_files(eng, [("late.csv", csv)], plan_name=plan.name, author=admin)
    assert rep.ok and rep.updates_added == 2
    assert [r.new_value for r in _audit(eng, action="locked report", entity="batch")] == [
        "1 report(s) dated inside locked periods"]


def test_an_admin_may_lock_any_past_period_back_to_the_plans_first_report(setup):
    _, eng, plan = setup
    cycle_store.set_rule(eng, plan.id, CycleRule("quarter"), "Ed")
    admin = Principal(email="ada@weho.org", name="Ada", roles={plan.id: "admin"})
    first = repository.load_updates(eng, plan.id)["as_of"].min().date()
    today = D(2026, 12, 2)
    offered = cycle_store.lockable_periods(eng, plan.id, CycleRule("quarter"), today)
    ends = [c.period_end for c in offered]
    assert ends == sorted(ends, reverse=True) and ends[0] == D(2026, 9, 30)
    # Years of quarters back to the one holding the first report, not only the last 12.
    assert offered[-1].period_start <= first <= offered[-1].period_end
    assert D(2020, 9, 30) in ends and len(ends) > 12
    cycle_store.lock_period(eng, plan.id, D(2020, 9, 30), admin, today=today)
    assert D(2020, 9, 30) not in [c.period_end for c in cycle_store.lockable_periods(
        eng, plan.id, CycleRule("quarter"), today)]
