"""Roles x write functions: every writer allows what the role allows, and refuses the rest
with one readable line and nothing written (issue "Sign-in and roles")."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from wehoplan import cycle_store, editing, importing, repository, users
from wehoplan.access import AccessDenied, Principal, local_principal, principal_for_email, visible_plan_ids
from wehoplan.cycles import CycleRule
from wehoplan.db import data_version, make_engine
from wehoplan.demo import INNOVATIONS, SMART_CITY
from wehoplan.models import Audit, Department, Person
from wehoplan.rollup import prepare_tree

TODAY = dt.date(2026, 1, 15)
CSV = ("new.csv", b"code,title,status,progress\n9,New strategy,,\n9.1,New action,on track,10\n")
TABLES = ("items", "updates", "audit", "people", "departments", "import_batches", "users", "user_plan_roles", "cycles",
          "user_departments", "item_partner_departments")


@pytest.fixture
def world(fresh_url):
    """A demo database with one import batch, and the ids the cases need."""
    eng = make_engine(fresh_url)
    plan = repository.resolve_plan(eng, SMART_CITY)
    other_plan = repository.resolve_plan(eng, INNOVATIONS)
    batch = importing.import_files(eng, CSV, plan_name=SMART_CITY, author="Setup").batch_id
    tree = prepare_tree(repository.load_items(eng, plan.id)).frame
    leaves = tree[tree["is_leaf"] & ~tree["archived"]]
    with Session(eng) as s:
        pwd = s.scalar(select(Person.id).where(Person.name == "Public Works Director"))
        safety = s.scalar(select(Department.id).where(Department.name == "Department of Public Safety"))
        dep_any = s.scalar(select(Department.id).order_by(Department.id))
        person_any = s.scalar(select(Person.id).order_by(Person.id))
    own_person = leaves[leaves["owner"] == "Public Works Director"].iloc[0]
    own_dep = leaves[leaves["department"] == "Department of Public Safety"].iloc[0]
    other = leaves[leaves["department"] == "Innovation Division"].iloc[0]
    users.add_user(eng, "boss@weho.org", role="admin", author="Setup")
    gone = leaves[leaves["owner"] == "Public Works Director"].iloc[1]
    gone_version = editing.archive_item(eng, int(gone["id"]), "Setup", int(gone["version"]))
    return {"archived": (int(gone["id"]), gone_version), "eng": eng, "plan": plan.id,
            "other_plan": other_plan.id, "batch": batch, "pwd": pwd, "safety": safety, "own_person": own_person,
            "own_dep": own_dep, "other": other, "dep_any": dep_any, "person_any": person_any}


def _principals(w) -> dict[str, Principal]:
    p = w["plan"]
    return {
        "nobody": Principal(email="x@weho.org", name="X"),
        "viewer": Principal(email="v@weho.org", name="Vi", roles={p: "viewer"}),
        "updater": Principal(email="u@weho.org", name="Up", roles={p: "updater"}, person_id=w["pwd"],
                             department_ids=frozenset({w["safety"]})),
        "editor_other_plan": Principal(email="eo@weho.org", name="Eo", roles={w["other_plan"]: "editor"}),
        "editor": Principal(email="e@weho.org", name="Ed", roles={p: "editor"}),
        "plan_admin": Principal(email="pa@weho.org", name="Pa", roles={p: "admin"}),
        "admin": Principal(email="a@weho.org", name="Ad", roles={None: "admin"}),
    }


def _row(item):
    return {"item_id": int(item["id"]), "expected_version": int(item["version"]), "as_of": "2025-12-31",
            "status": "on_track", "progress": 55, "code": item["code"]}


def _progress(w, who, key):
    return editing.record_update(w["eng"], int(w[key]["id"]), as_of=dt.date(2025, 12, 31), status="on_track",
                                 progress=55, author=who, expected_version=int(w[key]["version"]), today=TODAY)


def _bulk(w, who, key):
    res = editing.record_updates_bulk(w["eng"], [_row(w[key])], who, today=TODAY)
    if not res.ok:
        raise AccessDenied(res.problems[0].message)


def _version(w, item_id):
    return int(repository.load_items(w["eng"], w["plan"]).set_index("id").loc[item_id, "version"])


# Each write function (and scope), and the roles that may do it.
ACTIONS = {
    "progress own item (owner)": (lambda w, a: _progress(w, a, "own_person"),
                                  {"updater", "editor", "plan_admin", "admin"}),
    "progress own item (department)": (lambda w, a: _progress(w, a, "own_dep"),
                                       {"updater", "editor", "plan_admin", "admin"}),
    "progress other item": (lambda w, a: _progress(w, a, "other"), {"editor", "plan_admin", "admin"}),
    "bulk progress own item": (lambda w, a: _bulk(w, a, "own_person"), {"updater", "editor", "plan_admin", "admin"}),
    "bulk progress other item": (lambda w, a: _bulk(w, a, "other"), {"editor", "plan_admin", "admin"}),
    "add item": (lambda w, a: editing.add_item(w["eng"], w["plan"], parent_id=None, title="New", author=a),
                 {"editor", "plan_admin", "admin"}),
    "edit own item": (lambda w, a: editing.edit_item(w["eng"], int(w["own_person"]["id"]), {"title": "Changed"}, a,
                                                     int(w["own_person"]["version"])),
                      {"editor", "plan_admin", "admin"}),
    "move item": (lambda w, a: editing.move_item(w["eng"], int(w["other"]["id"]), None, a,
                                                 int(w["other"]["version"])),
                  {"editor", "plan_admin", "admin"}),
    "archive own item": (lambda w, a: editing.archive_item(w["eng"], int(w["own_person"]["id"]), a,
                                                           int(w["own_person"]["version"])),
                         {"editor", "plan_admin", "admin"}),
    "restore own archived item": (lambda w, a: editing.restore_item(w["eng"], w["archived"][0], a, w["archived"][1]),
                                  {"editor", "plan_admin", "admin"}),
    "add department": (lambda w, a: editing.add_department(w["eng"], "Dept of Tests", a),
                       {"editor", "editor_other_plan", "plan_admin", "admin"}),
    "rename department": (lambda w, a: editing.rename_department(w["eng"], w["dep_any"], "Renamed", a),
                          {"editor", "editor_other_plan", "plan_admin", "admin"}),
    "add person": (lambda w, a: editing.add_person(w["eng"], "New Person", a),
                   {"editor", "editor_other_plan", "plan_admin", "admin"}),
    "edit person": (lambda w, a: editing.edit_person(w["eng"], w["person_any"], {"email": "new@weho.org"}, a),
                    {"editor", "editor_other_plan", "plan_admin", "admin"}),
    "import into the plan": (lambda w, a: importing.import_files(
        w["eng"], ("more.csv", b"code,title,status,progress\n8,Another,,\n8.1,Act,on track,5\n"),
        plan_name=SMART_CITY, author=a), {"editor", "plan_admin", "admin"}),
    "import a new plan": (lambda w, a: importing.import_files(w["eng"], CSV, plan_name="Brand new plan", author=a),
                          {"admin"}),
    "undo import": (lambda w, a: importing.undo_import(w["eng"], w["batch"], a), {"plan_admin", "admin"}),
    "add user": (lambda w, a: users.add_user(w["eng"], "new@weho.org", role="viewer", author=a), {"admin"}),
    "set role": (lambda w, a: users.set_role(w["eng"], "boss@weho.org", role="editor", plan_id=w["plan"], author=a),
                 {"admin"}),
    "remove user": (lambda w, a: users.remove_user(w["eng"], "BOSS@weho.org", author=a), {"admin"}),
    "set update cycle": (lambda w, a: cycle_store.set_rule(w["eng"], w["plan"], CycleRule("month", 7, 5, 2), a),
                         {"editor", "plan_admin", "admin"}),
}
ROLES = ("nobody", "viewer", "updater", "editor_other_plan", "editor", "plan_admin", "admin")


def _snapshot(eng):
    with eng.connect() as c:
        return {t: c.execute(text(f"SELECT * FROM {t} ORDER BY 1")).all() for t in TABLES}, data_version(eng)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", list(ACTIONS))
def test_role_action_matrix(world, action, role):
    call, allowed = ACTIONS[action]
    who = _principals(world)[role]
    before = _snapshot(world["eng"])
    if role in allowed:
        call(world, who)
        after = _snapshot(world["eng"])
        assert after != before
        with Session(world["eng"]) as s:
            newest = s.scalars(select(Audit).order_by(Audit.id.desc())).first()
        assert newest is not None and newest.author == f"{who.name} <{who.email}>"
    else:
        with pytest.raises(AccessDenied) as err:
            call(world, who)
        message = str(err.value)
        assert "\n" not in message and ("role" in message or "not yours" in message)
        assert _snapshot(world["eng"]) == before


def test_updater_refusal_names_the_item_and_the_rule(world):
    who = _principals(world)["updater"]
    with pytest.raises(AccessDenied, match=rf"item {world['other']['code']} is not yours"):
        _progress(world, who, "other")


def test_bulk_with_one_foreign_row_saves_nothing(world):
    who = _principals(world)["updater"]
    before = _snapshot(world["eng"])
    res = editing.record_updates_bulk(world["eng"], [_row(world["own_person"]), _row(world["other"])], who,
                                      today=TODAY)
    assert not res.ok and res.saved == 0
    assert [p.code for p in res.problems] == [world["other"]["code"]]
    assert _snapshot(world["eng"]) == before


def test_updater_scope_follows_inherited_owner(world):
    """An action with no owner of its own is its nearest ancestor's owner's item."""
    eng = world["eng"]
    parent_id = int(world["own_person"]["parent_id"])
    new_id = editing.add_item(eng, world["plan"], parent_id=parent_id, title="No owner of its own", author="Setup")
    who = _principals(world)["updater"]
    editing.record_update(eng, new_id, as_of=dt.date(2025, 12, 31), status="on_track", progress=5, author=who,
                          expected_version=_version(world, new_id), today=TODAY)
    assert repository.load_updates(eng, world["plan"]).query("item_id == @new_id")["author"].tolist() == [
        "Up <u@weho.org>"]


def test_plain_name_is_the_trusted_local_caller(world):
    """The CLI passes a name: it acts as the local user (every right) under that name."""
    _progress(world, "Ann", "other")
    with Session(world["eng"]) as s:
        assert s.scalars(select(Audit).order_by(Audit.id.desc())).first().author == "Ann"
    assert local_principal("Ann").role(world["plan"]) == "admin"


def test_signed_in_email_matches_case_insensitively_with_roles_and_scope(world):
    eng = world["eng"]
    users.add_user(eng, "Pat.Director@WeHo.org", role="updater", plan_id=world["plan"], name="Pat",
                   person="public works director", departments=["Department of Public Safety"], author="Setup")
    users.set_role(eng, "pat.director@weho.org", role="viewer", plan_id=world["other_plan"], author="Setup")
    who = principal_for_email(eng, " PAT.DIRECTOR@weho.ORG ")
    assert who is not None
    assert (who.email, who.name, who.person_id, who.department_ids) == (
        "pat.director@weho.org", "Pat", world["pwd"], frozenset({world["safety"]}))
    assert who.role(world["plan"]) == "updater" and who.role(world["other_plan"]) == "viewer"
    assert visible_plan_ids(eng, who) == sorted([world["plan"], world["other_plan"]])
    _progress(world, who, "own_dep")


def test_unknown_email_gets_the_configured_role_or_nothing(world):
    eng = world["eng"]
    assert principal_for_email(eng, "stranger@weho.org") is None
    guest = principal_for_email(eng, "stranger@weho.org", unknown_role="viewer")
    assert guest is not None and guest.role(world["plan"]) == "viewer"
    with pytest.raises(AccessDenied):
        _progress(world, guest, "own_person")


def test_admin_without_plan_is_admin_of_every_plan(world):
    who = principal_for_email(world["eng"], "boss@weho.org")
    assert who is not None and who.role(world["plan"]) == who.role(world["other_plan"]) == "admin"


def test_users_list_shows_roles_person_and_departments(world):
    users.add_user(world["eng"], "pat@weho.org", role="updater", plan_id=world["plan"], person="Public Works Director",
                   departments=["Department of Public Safety"], author="Setup")
    frame = users.list_users(world["eng"]).set_index("email")
    assert frame.loc["boss@weho.org", "roles"] == "admin: every plan"
    assert frame.loc["pat@weho.org"].to_dict() == {
        "name": None, "person": "Public Works Director", "departments": "Department of Public Safety",
        "roles": f"updater: {SMART_CITY}"}


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"email": "not-an-email", "role": "viewer"}, "not an email"),
    ({"email": "a@b.org", "role": "owner"}, "unknown role 'owner'"),
    ({"email": "BOSS@weho.org", "role": "viewer"}, "already exists"),
    ({"email": "a@b.org", "role": "viewer", "person": "Nobody Here"}, "no person"),
])
def test_add_user_rejects_bad_input_and_writes_nothing(world, kwargs, message):
    before = _snapshot(world["eng"])
    with pytest.raises(editing.EditError, match=message):
        users.add_user(world["eng"], author="Setup", **kwargs)
    assert _snapshot(world["eng"]) == before
