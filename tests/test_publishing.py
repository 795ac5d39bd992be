"""Publishing: nothing internal leaves, the JSON follows its schema, a publication stays as it went out.

Runs on SQLite and PostgreSQL (``BOTH_BACKENDS``).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from pathlib import Path

import jsonschema
import pytest
from sqlalchemy import exc, func, select, text
from sqlalchemy.orm import Session

from wehoplan import editing, publishing, repository, users
from wehoplan.access import AccessDenied, Principal, principal_for_email
from wehoplan.cli import main
from wehoplan.db import make_engine
from wehoplan.demo import SMART_CITY
from wehoplan.models import AppendOnlyError, Audit, Item, Person, Plan, Publication

SCHEMA = json.loads(publishing.SCHEMA_PATH.read_text(encoding="utf-8"))
NOW = dt.datetime(2026, 12, 2, 9, 30, tzinfo=dt.UTC)


def _validate(doc: dict) -> None:
    jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker()).validate(doc)


def _plan(engine):
    return repository.resolve_plan(engine, SMART_CITY)


def _items(engine, plan_id):
    return repository.load_items(engine, plan_id).set_index("code")


def _count(engine, model) -> int:
    with Session(engine) as s:
        return int(s.scalar(select(func.count()).select_from(model)))


@pytest.fixture
def secrets(fresh_url):
    """A demo database holding the three things that must never leave, and an editor with an email."""
    engine = make_engine(fresh_url)
    plan = _plan(engine)
    items = _items(engine, plan.id)
    # 1. an internal initiative: its title and its actions' titles stay in
    publishing.set_items_public(engine, plan.id, {"2.1": False}, "Editor")
    hidden = [items.loc[c, "title"] for c in items.index if c == "2.1" or c.startswith("2.1.")]
    # 2. an internal comment beside a public note on a public action
    leaf = items.loc["1.1.1"]
    editing.record_update(engine, int(leaf["id"]), as_of="2022-12-31", status="completed", progress=100,
                          comment="INTERNAL budget overrun, do not share", public_note="Training finished for "
                          "all departments.", author="Innovation Manager")
    # 3. an owner's email (people) and the publisher's email (users)
    with Session(engine) as s, s.begin():
        owner = s.scalar(select(Person).where(Person.name == items.loc["1.1", "owner"]))
        owner.email = "owner.private@weho.example"
    users.add_user(engine, "ed.private@weho.example", role="editor", plan_id=plan.id, name="Ed Editor",
                   author="Setup")
    return {"url": fresh_url, "engine": engine, "plan": plan, "hidden": hidden,
            "never": ["INTERNAL budget overrun", "owner.private@weho.example", "ed.private@weho.example",
                      "(illustrative)", items.loc["1.1", "owner"], *hidden]}


def test_nothing_internal_leaves_in_any_published_file(secrets, tmp_path):
    engine, plan = secrets["engine"], secrets["plan"]
    editor = principal_for_email(engine, "ED.private@weho.example")
    done = publishing.publish(engine, plan.id, editor, note="Our first public report.", now=NOW)
    files = publishing.write_site(done, tmp_path / "site")
    names = {f.name for f in files}
    assert {"index.html", "style.css", "plan.json", "plan.schema.json", "items.csv", "updates.csv",
            "DATA.md"} <= names
    for f in files:
        body = f.read_bytes().decode("utf-8")  # every file is UTF-8
        for secret in secrets["never"]:
            assert secret not in body, (f.name, secret)
    codes = [i["code"] for i in done.document["items"]]
    assert "2.1" not in codes and not any(c.startswith("2.1.") for c in codes) and "2.2" in codes
    assert done.document["published"]["by"] == "Ed Editor"
    # What a resident sees: the public note, not the comment.
    page = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert "Training finished for all departments." in page and "Our first public report." in page
    # Percentages read as in the app ("92 %"), never glued ("92%").
    assert "\u00a0%" in page and not re.search(r"\d%", re.sub(r"<[^>]*>", "", page))
    updates = list(csv.DictReader(io.StringIO((tmp_path / "site" / "updates.csv").read_text(encoding="utf-8"))))
    assert "Training finished for all departments." in {u["public_note"] for u in updates}
    assert set(updates[0]) == {"code", "as_of", "status", "status_label", "progress", "public_note"}


def test_internal_items_do_not_move_published_totals(secrets):
    engine, plan = secrets["engine"], secrets["plan"]
    doc = publishing.publish(engine, plan.id, "Editor", now=NOW).document
    strategy2 = next(i for i in doc["items"] if i["code"] == "2")
    under = [i for i in doc["items"] if i["is_action"] and i["code"].startswith("2.")]
    assert strategy2["n_actions"] == len(under)
    assert doc["summary"]["n_actions"] == sum(i["is_action"] for i in doc["items"])


def test_the_document_follows_its_schema_for_both_demo_plans(fresh_url, tmp_path):
    engine = make_engine(fresh_url)
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    for plan in repository.list_plans(engine)["id"]:
        done = publishing.publish(engine, int(plan), "Editor", now=NOW)
        _validate(done.document)
        files = publishing.write_site(done, tmp_path / str(plan))
        _validate(json.loads((tmp_path / str(plan) / "plan.json").read_text(encoding="utf-8")))
        if done.document["measures"]:  # the 2015 report's candidate measures
            assert "measures.csv" in {f.name for f in files}
            rows = list(csv.DictReader(io.StringIO((tmp_path / str(plan) / "measures.csv").read_text("utf-8"))))
            # One row per published value (a measure without values: one row with blank date and value).
            assert len(rows) == sum(max(1, len(m["values"])) for m in done.document["measures"]) and rows[0]["name"]
            assert {r["status_label"] for r in rows} <= {"On target", "Caution", "Off target", "No target", "No data"}
    broken = json.loads(json.dumps(done.document))
    broken["items"][0]["status"] = "some_delay"
    with pytest.raises(jsonschema.ValidationError):
        _validate(broken)


def test_a_publication_does_not_change_when_live_data_changes(fresh_url, tmp_path, capsys):
    engine = make_engine(fresh_url)
    plan = _plan(engine)
    first = publishing.publish(engine, plan.id, "Editor", note="As it stood.", now=NOW)
    publishing.write_site(first, tmp_path / "before")
    items = _items(engine, plan.id)
    editing.record_update(engine, int(items.loc["3.1.1", "id"]), as_of="2022-12-31", status="major_disruption",
                          progress=5, public_note="Cameras removed.", author="Owner")
    editing.edit_item(engine, int(items.loc["1", "id"]), {"title": "A new live title"}, author="Editor",
                      expected_version=int(items.loc["1", "version"]))
    publishing.set_items_public(engine, plan.id, {"1.2": False}, "Editor")
    latest = publishing.latest_publication(engine, plan.id)
    assert latest is not None and latest.id == first.id and latest.document == first.document
    assert main(["publish", "--db", fresh_url, "--plan", "smart city", "--site-only",
                 "--out", str(tmp_path / "after")]) == 0
    capsys.readouterr()
    for f in (tmp_path / "before").iterdir():
        assert (tmp_path / "after" / f.name).read_bytes() == f.read_bytes(), f.name
    # The ORM refuses to edit it; the next publication is a new row.
    with Session(engine) as s:
        s.get_one(Publication, first.id).note = "rewritten"
        with pytest.raises(AppendOnlyError):
            s.flush()
        s.rollback()
    # So does the database itself, to raw SQL from any client (SQLite and PostgreSQL triggers).
    for sql in ("UPDATE publications SET note = 'rewritten'", "DELETE FROM publications",
                f"INSERT OR REPLACE INTO publications SELECT * FROM publications WHERE id = {first.id}"
                if engine.dialect.name == "sqlite" else "TRUNCATE publications"):
        with pytest.raises(exc.DatabaseError, match="frozen"), engine.begin() as c:
            c.execute(text(sql))
    assert publishing.latest_publication(engine, plan.id).document == first.document
    second = publishing.publish(engine, plan.id, "Editor", now=NOW + dt.timedelta(days=1))
    assert second.id != first.id and "A new live title" in json.dumps(second.document)
    assert "1.2" not in {i["code"] for i in second.document["items"]}
    assert "Cameras removed." in json.dumps(second.document)


def test_only_editors_and_admins_of_the_plan_publish_and_nothing_is_written_otherwise(fresh_url):
    engine = make_engine(fresh_url)
    plan = _plan(engine)
    other = repository.list_plans(engine).query("id != @plan.id")["id"].iloc[0]
    users.add_user(engine, "viewer@weho.example", role="viewer", name="V", author="Setup")
    users.add_user(engine, "upd@weho.example", role="updater", plan_id=plan.id, name="U", author="Setup")
    users.add_user(engine, "other@weho.example", role="editor", plan_id=int(other), name="O", author="Setup")
    audit_before = _count(engine, Audit)
    for email in ("viewer@weho.example", "upd@weho.example", "other@weho.example"):
        who = principal_for_email(engine, email)
        with pytest.raises(AccessDenied, match="editor role to publish"):
            publishing.publish(engine, plan.id, who)
        with pytest.raises(AccessDenied):
            publishing.set_plan_public(engine, plan.id, False, who)
        with pytest.raises(AccessDenied):
            publishing.set_items_public(engine, plan.id, {"1": False}, who)
    assert _count(engine, Publication) == 0 and _count(engine, Audit) == audit_before
    done = publishing.publish(engine, plan.id, Principal(email="ed@weho.example", name="Ed",
                                                          roles={plan.id: "editor"}))
    with Session(engine) as s:
        row = s.scalars(select(Audit).where(Audit.action == "publish")).one()
    assert row.author == "Ed <ed@weho.example>" and row.entity_id == plan.id and f"publication {done.id}" in (
        row.new_value or "")


def test_an_internal_plan_is_never_published_or_shown(fresh_url):
    engine = make_engine(fresh_url)
    plan = _plan(engine)
    publishing.publish(engine, plan.id, "Editor")
    publishing.set_plan_public(engine, plan.id, False, "Editor")
    assert publishing.latest_publication(engine, plan.id) is None  # withdrawn
    with pytest.raises(editing.ValidationError, match="not public"):
        publishing.publish(engine, plan.id, "Editor")
    with Session(engine) as s:
        assert not s.get_one(Plan, plan.id).public
        assert s.scalar(select(func.count()).select_from(Audit).where(Audit.field == "public")) == 1


def test_a_plan_whose_items_are_all_internal_publishes_nothing(fresh_url):
    engine = make_engine(fresh_url)
    plan = _plan(engine)
    tops = [c for c in _items(engine, plan.id).index if "." not in c]
    publishing.set_items_public(engine, plan.id, dict.fromkeys(tops, False), "Editor")
    with pytest.raises(editing.ValidationError, match="nothing to publish"):
        publishing.publish(engine, plan.id, "Editor")
    assert _count(engine, Publication) == 0


def test_new_plans_start_internal_and_new_items_public(fresh_url):
    engine = make_engine(fresh_url)
    with engine.begin() as c:
        c.execute(text("INSERT INTO plans (name, level_names, is_demo) VALUES ('Fresh plan', 'Goal', false)"))
        pid = c.execute(text("SELECT id FROM plans WHERE name = 'Fresh plan'")).scalar_one()
        c.execute(text("INSERT INTO items (plan_id, code, level, title, smart, weight, sort_order, archived, "
                       "version) VALUES (:p, '1', 'Goal', 'A goal', '', 1, 0, false, 1)"), {"p": pid})
    with Session(engine) as s:
        assert s.get_one(Plan, pid).public is False
        assert s.scalar(select(Item.public).where(Item.plan_id == pid)) is True


def test_the_publish_command_writes_a_site_a_resident_can_use(fresh_url, tmp_path, capsys):
    out = tmp_path / "site"
    code = main(["publish", "--db", fresh_url, "--plan", "smart city", "--note", "Spring update",
                 "--internal", "3.2", "--out", str(out), "--author", "Pat"])
    _, err = capsys.readouterr()
    assert code == 0, err
    assert "publication 1" in err and str(out) in err
    page = (out / "index.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and '<html lang="en">' in page and "<script" not in page
    assert "Spring update" in page and "by Pat." in page
    doc = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    assert doc["published"]["by"] == "Pat" and not any(i["code"].startswith("3.2") for i in doc["items"])
    rows = list(csv.DictReader(io.StringIO((out / "items.csv").read_text(encoding="utf-8"))))
    assert [r["code"] for r in rows] == [i["code"] for i in doc["items"]]
    assert "status_label" in (out / "DATA.md").read_text(encoding="utf-8")


def test_the_publish_command_refuses_in_one_line(fresh_url, capsys):
    engine = make_engine(fresh_url)
    publishing.set_plan_public(engine, _plan(engine).id, False, "Editor")
    assert main(["publish", "--db", fresh_url, "--plan", "smart city"]) == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "not public" in err and "--make-public" in err
    assert main(["publish", "--db", fresh_url, "--plan", "smart city", "--internal", "9.9", "--make-public"]) == 1
    assert "no item 9.9" in capsys.readouterr().err
    assert main(["publish", "--db", fresh_url, "--plan", "smart city", "--site-only"]) == 1
    assert "--out" in capsys.readouterr().err
    assert main(["publish", "--db", fresh_url, "--plan", "smart city", "--make-public"]) == 0
    capsys.readouterr()


def test_record_update_keeps_the_public_note_apart_from_the_comment(fresh_url, capsys):
    assert main(["record-update", "1.1.1", "--db", fresh_url, "--plan", "smart city", "--status", "completed",
                 "--as-of", "2022-12-31", "--comment", "internal", "--public-note", "Done, thank you.",
                 "--author", "A"]) == 0
    capsys.readouterr()
    with make_engine(fresh_url).connect() as c:
        row = c.execute(text("SELECT comment, public_note FROM updates ORDER BY id DESC LIMIT 1")).one()
    assert tuple(row) == ("internal", "Done, thank you.")


def test_the_schema_file_ships_with_the_package():
    assert Path(publishing.SCHEMA_PATH).parent.name == "publishing"
    assert SCHEMA["properties"]["schema_version"]["const"] == publishing.SCHEMA_VERSION
