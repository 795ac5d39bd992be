"""Recording progress and editing the plan: audit rows, concurrency, atomicity, archive, move."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random

import pandas as pd
import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session

from wehoplan import editing, exporting, repository
from wehoplan.db import data_version, make_engine
from wehoplan.demo import INNOVATIONS, SMART_CITY
from wehoplan.editing.frames import find_items
from wehoplan.models import Audit, ImportBatch, Update
from wehoplan.rollup import plan_total, prepare_tree, rollup_table

TODAY = dt.date(2026, 1, 15)


@pytest.fixture
def eng(fresh_url):
    return make_engine(fresh_url)


@pytest.fixture
def plan(eng):
    return repository.resolve_plan(eng, SMART_CITY)


def _items(eng, plan, archived=False):
    return repository.load_items(eng, plan.id, include_archived=archived).set_index("code")


def _counts(eng):
    with eng.connect() as c:
        return {t: c.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar() for t in ("updates", "audit", "items")}


def _snapshot(eng):
    """Everything a user could see change: items (all fields), updates, audit, data version."""
    with eng.connect() as c:
        items = c.execute(text("SELECT * FROM items ORDER BY id")).all()
        partners = c.execute(text("SELECT * FROM item_partner_departments ORDER BY 1, 2")).all()
        people = c.execute(text("SELECT * FROM people ORDER BY id")).all()
        departments = c.execute(text("SELECT * FROM departments ORDER BY id")).all()
    return items, partners, people, departments, _counts(eng), data_version(eng)


def _record(eng, item, **kw):
    args = dict(as_of=dt.date(2025, 12, 31), status="on_track", progress=40, comment="ok", author="Ann",
                expected_version=int(item["version"]), today=TODAY)
    args.update(kw)
    return editing.record_update(eng, int(item["id"]), **args)


# ---------------------------------------------------------------- progress updates


def test_record_update_is_stored_audited_and_bumps_version_and_data_version(eng, plan):
    item = _items(eng, plan).loc["1.1.1"]
    before, dv = _counts(eng), data_version(eng)
    new_version = _record(eng, item, status="At risk", progress="55%", comment="waiting on vendor")
    assert new_version == item["version"] + 1
    after = _counts(eng)
    assert after["updates"] == before["updates"] + 1 and after["audit"] == before["audit"] + 1
    assert data_version(eng) > dv
    ups = repository.load_updates(eng, plan.id)
    last = ups[ups["item_id"] == item["id"]].iloc[-1]
    assert (last["status"], last["progress"], last["author"]) == ("some_disruption", 55.0, "Ann")
    audit = repository.audit_frame(eng, item_id=int(item["id"]))
    assert audit.iloc[0][["author", "action", "item_code"]].tolist() == ["Ann", "update", "1.1.1"]
    assert "some_disruption 55% as of 2025-12-31: waiting on vendor" == audit.iloc[0]["new_value"]


def test_recorded_update_moves_the_rollup(eng, plan):
    item = _items(eng, plan).loc["1.1.1"]
    _record(eng, item, as_of=dt.date(2025, 12, 31), status="completed", progress=None)
    items = repository.load_items(eng, plan.id)
    table = rollup_table(prepare_tree(items), repository.load_updates(eng, plan.id), pd.Timestamp("2025-12-31"))
    row = table.set_index("code").loc["1.1.1"]
    assert (row["status"], row["progress"]) == ("completed", 100.0)


@pytest.mark.parametrize(
    ("kw", "fragment"),
    [
        ({"progress": 101}, "outside 0 to 100"),
        ({"progress": -1}, "outside 0 to 100"),
        ({"progress": "lots"}, "not a number"),
        ({"progress": None}, "progress is required"),
        ({"status": "purple"}, "unknown status 'purple'; accepted:"),
        ({"status": ""}, "status is required"),
        ({"as_of": dt.date(2026, 1, 16)}, "in the future"),
        ({"as_of": "not a date"}, "is not a date"),
    ],
)
def test_invalid_update_is_refused_with_a_readable_reason_and_writes_nothing(eng, plan, kw, fragment):
    item = _items(eng, plan).loc["1.1.1"]
    before = _snapshot(eng)
    with pytest.raises(editing.ValidationError, match=fragment):
        _record(eng, item, **kw)
    assert _snapshot(eng) == before


def test_future_dates_are_allowed_when_the_setting_says_so(eng, plan):
    item = _items(eng, plan).loc["1.1.1"]
    _record(eng, item, as_of=dt.date(2026, 3, 1), allow_future=True)
    assert repository.load_updates(eng, plan.id)["as_of"].max() == pd.Timestamp("2026-03-01")


def test_progress_is_reported_on_actions_not_on_parents(eng, plan):
    parent = _items(eng, plan).loc["1.1"]
    with pytest.raises(editing.ValidationError, match="has sub-items"):
        _record(eng, parent)


# ---------------------------------------------------------------- concurrency


def test_a_stale_edit_is_refused_and_names_who_changed_it(eng, plan):
    item = _items(eng, plan).loc["1.1.2"]
    # Ann and Bob both read version v; Ann saves an edit first.
    editing.edit_item(eng, int(item["id"]), {"title": "Ann's title"}, "Ann", int(item["version"]))
    before = _snapshot(eng)
    stale = r"item 1\.1\.2 was changed by Ann at \d{4}-\d\d-\d\d \d\d:\d\d, reload"
    with pytest.raises(editing.StaleWriteError, match=stale):
        editing.edit_item(eng, int(item["id"]), {"title": "Bob's title"}, "Bob", int(item["version"]))
    with pytest.raises(editing.StaleWriteError):
        editing.archive_item(eng, int(item["id"]), "Bob", int(item["version"]))
    with pytest.raises(editing.StaleWriteError):
        editing.move_item(eng, int(item["id"]), None, "Bob", int(item["version"]))
    assert _snapshot(eng) == before


def test_two_reports_read_at_the_same_version_are_both_kept(eng, plan):
    """Reports are appends: Bob's report after Ann's, from the same read, is history, not a conflict."""
    item = _items(eng, plan).loc["1.1.2"]
    v_ann = _record(eng, item, author="Ann", progress=20)
    v_bob = _record(eng, item, author="Bob", progress=10, comment="from the same page")
    assert v_bob == v_ann + 1
    ups = repository.load_updates(eng, plan.id)
    mine = ups[ups["item_id"] == item["id"]].tail(2)
    assert mine[["author", "progress"]].values.tolist() == [["Ann", 20.0], ["Bob", 10.0]]
    # An edit of the item's fields read before both reports is still refused: it would overwrite blind.
    with pytest.raises(editing.StaleWriteError, match="changed by Bob"):
        editing.edit_item(eng, int(item["id"]), {"title": "late"}, "Cy", int(item["version"]))


def test_bulk_reports_after_someone_elses_report_are_all_saved(eng, plan):
    items = _items(eng, plan)
    _record(eng, items.loc["1.1.3"], author="Ann")
    rows = [
        dict(item_id=int(items.loc[c, "id"]), code=c, expected_version=int(items.loc[c, "version"]),
             as_of="2025-12-31", status="on_track", progress=50)
        for c in ("1.1.1", "1.1.3")
    ]
    before = _counts(eng)
    result = editing.record_updates_bulk(eng, rows, "Bob", today=TODAY)
    assert result.ok and result.saved == 2
    assert _counts(eng)["updates"] == before["updates"] + 2


# ---------------------------------------------------------------- bulk


def _bulk_rows(items, codes, **over):
    return [
        dict(item_id=int(items.loc[c, "id"]), code=c, expected_version=int(items.loc[c, "version"]),
             as_of="2025-12-31", status="on track", progress=10 * (n + 1), comment=f"row {n}", **over)
        for n, c in enumerate(codes)
    ]


def test_bulk_saves_every_row_together(eng, plan):
    items = _items(eng, plan)
    codes = ["1.1.1", "1.1.2", "1.1.3", "1.1.4", "1.2.1"]
    before = _counts(eng)
    result = editing.record_updates_bulk(eng, pd.DataFrame(_bulk_rows(items, codes)), "Owner", today=TODAY)
    assert result.ok and result.saved == 5
    after = _counts(eng)
    assert after["updates"] - before["updates"] == 5 and after["audit"] - before["audit"] == 5
    assert (_items(eng, plan).loc[codes, "version"] == items.loc[codes, "version"] + 1).all()


def test_bulk_with_one_bad_row_saves_nothing_and_lists_every_problem(eng, plan):
    items = _items(eng, plan)
    rows = _bulk_rows(items, ["1.1.1", "1.1.2", "1.1.3"])
    rows[1]["progress"] = 250
    rows[2]["status"] = "meh"
    before = _snapshot(eng)
    result = editing.record_updates_bulk(eng, rows, "Owner", today=TODAY)
    assert result.saved == 0
    frame = result.frame()
    assert frame["row"].tolist() == [1, 2]
    assert "outside 0 to 100" in frame.loc[0, "message"] and "unknown status 'meh'" in frame.loc[1, "message"]
    assert _snapshot(eng) == before


def test_bulk_failure_found_inside_the_transaction_rolls_back_earlier_rows(eng, plan):
    items = _items(eng, plan)
    rows = _bulk_rows(items, ["1.1.1", "1.1"])  # 1.1 is a parent: found only after 1.1.1 was written
    before = _snapshot(eng)
    result = editing.record_updates_bulk(eng, rows, "Owner", today=TODAY)
    assert [p.code for p in result.problems] == ["1.1"]
    assert _snapshot(eng) == before


# ---------------------------------------------------------------- atomicity


def test_an_exception_in_the_middle_of_a_save_leaves_the_database_unchanged(eng, plan, monkeypatch):
    item = _items(eng, plan).loc["1.1.1"]
    real = repository.write_audit
    calls = {"n": 0}

    def fail_on_second(*a, **kw):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("disk full")
        return real(*a, **kw)

    monkeypatch.setattr(repository, "write_audit", fail_on_second)
    before = _snapshot(eng)
    with pytest.raises(RuntimeError, match="disk full"):  # two fields: fails after the first is written
        editing.edit_item(eng, int(item["id"]), {"title": "New", "weight": 3}, "Ann", int(item["version"]))
    assert _snapshot(eng) == before
    calls["n"] = 0
    items = _items(eng, plan)
    with pytest.raises(RuntimeError, match="disk full"):  # bulk: fails on the second row's audit
        editing.record_updates_bulk(eng, _bulk_rows(items, ["1.1.1", "1.1.2"]), "Ann", today=TODAY)
    assert _snapshot(eng) == before


# ---------------------------------------------------------------- editing items


def test_edit_writes_one_audit_row_per_changed_field_with_old_and_new(eng, plan):
    item = _items(eng, plan).loc["1.1.1"]
    changes = {"title": item["title"], "owner": "Jane Doe", "due": "2027-06-30", "weight": 2,
               "smart": "Mobility; T", "partners": ["Transit", "Innovation Division"]}
    v = editing.edit_item(eng, int(item["id"]), changes, "Ann", int(item["version"]))
    assert v == item["version"] + 1
    after = _items(eng, plan).loc["1.1.1"]
    assert (after["owner"], after["due"], after["weight"], after["smart"]) == (
        "Jane Doe", pd.Timestamp("2027-06-30"), 2.0, "MT")
    assert after["partners"].split("; ") == sorted(["Transit", "Innovation Division"])
    audit = repository.audit_frame(eng, item_id=int(item["id"]), actions=["edit"])
    assert set(audit["field"]) == {"owner", "due", "weight", "smart", "partners"}  # title did not change
    owner = audit.set_index("field").loc["owner"]
    assert (owner["old_value"], owner["new_value"], owner["author"]) == (item["owner"], "Jane Doe", "Ann")


def test_edit_with_nothing_changed_writes_nothing(eng, plan):
    item = _items(eng, plan).loc["1.1.1"]
    before = _snapshot(eng)
    assert editing.edit_item(eng, int(item["id"]), {"title": item["title"]}, "Ann", int(item["version"])) == item[
        "version"]
    assert _snapshot(eng) == before


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"title": "  "}, "title is required"),
        ({"weight": -1}, "weight"),
        ({"smart": "X"}, "unknown SMART value"),
        ({"start": "2030-01-01", "due": "2029-01-01"}, "is after due"),
        ({"code": "9.9"}, "cannot edit code"),
    ],
)
def test_invalid_edits_are_refused(eng, plan, changes, fragment):
    item = _items(eng, plan).loc["1.1.1"]
    before = _snapshot(eng)
    with pytest.raises(editing.ValidationError, match=fragment):
        editing.edit_item(eng, int(item["id"]), changes, "Ann", int(item["version"]))
    assert _snapshot(eng) == before


def test_add_item_takes_the_next_code_and_level_and_is_audited(eng, plan):
    items = _items(eng, plan)
    parent = items.loc["1.1"]
    n_children = int((items["parent_id"] == parent["id"]).sum())
    new_id = editing.add_item(eng, plan.id, parent_id=int(parent["id"]), title="Pilot curb sensors", author="Ann",
                              owner="Jane Doe", department="Transit", smart="M", due="2027-01-31")
    after = _items(eng, plan)
    code = f"1.1.{n_children + 1}"
    row = after.loc[code]
    assert (row["id"], row["level"], row["title"], row["owner"], row["department"]) == (
        new_id, "Action", "Pilot curb sensors", "Jane Doe", "Transit")
    audit = repository.audit_frame(eng, item_id=new_id)
    assert audit["action"].tolist() == ["add"] and audit.loc[0, "new_value"] == f"{code} Pilot curb sensors"
    top = editing.add_item(eng, plan.id, parent_id=None, title="New strategy", author="Ann")
    assert _items(eng, plan).loc[str(int(items.index.str.split(".").str[0].astype(int).max()) + 1), "id"] == top


def test_move_renumbers_the_subtree_consistently_and_keeps_codes_unique(eng, plan):
    items = _items(eng, plan)
    moved = items.loc["1.1"]
    old_codes = [c for c in items.index if c == "1.1" or c.startswith("1.1.")]
    dest = items.loc["2"]
    n_dest = int((items["parent_id"] == dest["id"]).sum())
    new_code = editing.move_item(eng, int(moved["id"]), int(dest["id"]), "Ann", int(moved["version"]))
    assert new_code == f"2.{n_dest + 1}"
    after = _items(eng, plan, archived=True)
    assert after.index.is_unique
    assert not any(c == "1.1" or c.startswith("1.1.") for c in after.index)
    for c in old_codes:  # same item ids, same relative numbers, new prefix, level follows depth
        new = new_code + c[len("1.1"):]
        assert after.loc[new, "id"] == items.loc[c, "id"]
        assert after.loc[new, "level"] == ("Initiative" if c == "1.1" else "Action")
        assert after.loc[new, "version"] == items.loc[c, "version"] + 1
    assert after.loc[new_code, "parent_id"] == dest["id"]
    tree = prepare_tree(repository.load_items(eng, plan.id)).frame  # still a valid tree
    assert tree.set_index("code").loc[new_code, "depth"] == 2
    audit = repository.audit_frame(eng, actions=["move", "renumber"])
    assert len(audit) == 1 + len(old_codes)
    assert set(zip(audit["old_value"], audit["new_value"], strict=True)) >= {("1.1", new_code), ("1", "2")}


def test_move_to_top_level_and_refusals(eng, plan):
    items = _items(eng, plan)
    moved = items.loc["1.2"]
    with pytest.raises(editing.ValidationError, match="under itself"):
        editing.move_item(eng, int(moved["id"]), int(items.loc["1.2.1", "id"]), "Ann", int(moved["version"]))
    code = editing.move_item(eng, int(moved["id"]), None, "Ann", int(moved["version"]))
    after = _items(eng, plan)
    assert "." not in code and after.loc[code, "level"] == "Strategy"
    assert after.loc[f"{code}.1", "level"] == "Initiative"


# ---------------------------------------------------------------- archive / restore


def test_archived_items_leave_rollups_and_come_back_on_restore(eng, plan):
    as_of = pd.Timestamp("2022-12-31")

    def total():
        items = repository.load_items(eng, plan.id)
        return plan_total(rollup_table(prepare_tree(items), repository.load_updates(eng, plan.id), as_of))

    before = total()
    items = _items(eng, plan)
    strategy = items.loc["1"]
    n_leaves_1 = len(prepare_tree(repository.load_items(eng, plan.id)).frame.query("top_code == '1' and is_leaf"))
    n_updates = _counts(eng)["updates"]
    v = editing.archive_item(eng, int(strategy["id"]), "Ann", int(strategy["version"]))
    archived_total = total()
    assert archived_total["n_leaves"] == before["n_leaves"] - n_leaves_1
    assert "1" not in _items(eng, plan).index and "1" in _items(eng, plan, archived=True).index
    assert _counts(eng)["updates"] == n_updates  # nothing deleted
    with pytest.raises(editing.ValidationError, match="archived"):
        _record(eng, _items(eng, plan, archived=True).loc["1.1.1"])
    editing.restore_item(eng, int(strategy["id"]), "Ann", v)
    pd.testing.assert_series_equal(total(), before)
    assert repository.audit_frame(eng, item_id=int(strategy["id"]))["action"].tolist() == ["restore", "archive"]


# ---------------------------------------------------------------- departments and people


def test_departments_and_people_are_managed_and_audited(eng):
    dep = editing.add_department(eng, "Office of Data", "Ann")
    with pytest.raises(editing.ValidationError, match="already exists"):
        editing.add_department(eng, "Office of Data", "Ann")
    editing.rename_department(eng, dep, "Office of Data & Analytics", "Ann")
    pid = editing.add_person(eng, "Jane Doe", "Ann", email="jane@example.org", department="Office of Data & Analytics")
    editing.edit_person(eng, pid, {"email": "jd@example.org"}, "Bob")
    people = repository.people_frame(eng).set_index("name")
    assert people.loc["Jane Doe", ["email", "department"]].tolist() == ["jd@example.org", "Office of Data & Analytics"]
    audit = repository.audit_frame(eng, entities=["department", "person"])
    cols = ["author", "action", "entity", "field", "old_value", "new_value"]
    assert audit[cols].fillna("").values.tolist() == [
        ["Bob", "edit", "person", "email", "jane@example.org", "jd@example.org"],
        ["Ann", "add", "person", "name", "", "Jane Doe"],
        ["Ann", "edit", "department", "name", "Office of Data", "Office of Data & Analytics"],
        ["Ann", "add", "department", "name", "", "Office of Data"],
    ]


# ---------------------------------------------------------------- append-only


def test_raw_deletes_and_edits_of_updates_and_audit_fail_in_the_database(eng):
    for sql in ("DELETE FROM updates", "UPDATE updates SET progress = 0", "DELETE FROM audit",
                "UPDATE audit SET author = 'x'"):
        with pytest.raises(DatabaseError, match="append-only"), eng.begin() as c:
            c.execute(text(sql))


def test_the_orm_refuses_to_delete_or_edit_updates_and_audit_rows(eng):
    for model in (Update, Audit):
        with Session(eng) as s:
            row = s.scalars(model.__table__.select().limit(1).with_only_columns(model.id)).first()
            obj = s.get(model, row)
            s.delete(obj)
            with pytest.raises(editing.AppendOnlyError):
                s.flush()
    with Session(eng) as s:
        u = s.scalars(Update.__table__.select().limit(1).with_only_columns(Update.id)).first()
        s.get(Update, u).progress = 1
        with pytest.raises(editing.AppendOnlyError):
            s.flush()


def test_audit_frame_filters_and_csv_is_formula_safe(eng, plan):
    item = _items(eng, plan).loc["1.1.1"]
    _record(eng, item, author="Ann", comment="=HYPERLINK(\"x\")")
    v = editing.edit_item(eng, int(item["id"]), {"priority": "High"}, "Bob", int(item["version"]) + 1)
    assert v == item["version"] + 2
    assert repository.audit_frame(eng, authors=["Bob"])["field"].tolist() == ["priority"]
    assert repository.audit_frame(eng, text_contains="hyperlink")["author"].tolist() == ["Ann"]
    other = repository.resolve_plan(eng, "WeHoX")
    assert repository.audit_frame(eng, plan_id=other.id)["entity"].tolist() == ["plan"]
    assert repository.audit_frame(eng, since="2000-01-01", until="2000-12-31").empty
    editing.edit_item(eng, int(item["id"]), {"description": "=1+2"}, "Bob", v)
    rows = _csv_rows(exporting.csv_bytes(repository.audit_frame(eng, authors=["Bob"], actions=["edit"])))
    assert rows[0] == repository.AUDIT_COLUMNS
    assert rows[1][rows[0].index("new_value")] == "'=1+2"  # a spreadsheet shows the text instead of running it


def _csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel reads accents right
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


@pytest.mark.parametrize("trigger", ["\t", "\r", "=", "+", "-", "@"])
def test_audit_csv_neutralises_every_formula_trigger_like_the_extracts(eng, trigger):
    # Author and values go into the audit trail as typed; the CSV must not let a spreadsheet run them.
    author = f"{trigger}cmd|' /C calc'!A0"
    editing.add_department(eng, "Office of Data", author)
    frame = repository.audit_frame(eng, entities=["department"])
    rows = _csv_rows(exporting.csv_bytes(frame))
    row = dict(zip(rows[0], rows[1], strict=True))
    assert (row["author"], row["new_value"], row["action"]) == ("'" + author, "Office of Data", "add")
    # The audit command's CSV (a text stream, no BOM) is the same writer.
    assert editing.audit_csv(frame) == exporting.csv_bytes(frame)[3:]


def test_find_items_searches_code_title_and_owner(eng, plan):
    tree = prepare_tree(repository.load_items(eng, plan.id)).frame
    assert find_items(tree, text_contains="1.1.")["code"].tolist()[:2] == ["1.1.1", "1.1.2"]
    owner = tree.loc[tree["is_leaf"], "owner"].iloc[0]
    mine = find_items(tree, owner=owner, leaves_only=True)
    assert len(mine) > 0 and (mine["owner"] == owner).all() and mine["is_leaf"].all()


def test_updates_of_an_undone_import_batch_may_be_deleted_and_no_others(eng, plan):
    item = _items(eng, plan).loc["1.1.1"]
    with Session(eng) as s, s.begin():
        batch = ImportBatch(plan_id=plan.id, file_name="x.xlsx", sha256="0" * 64, author="Ann")
        s.add(batch)
        s.flush()
        s.add(Update(item_id=int(item["id"]), as_of=dt.date(2025, 1, 1), status="on_track", progress=5,
                     batch_id=batch.id))
        batch_id = batch.id
    with Session(eng) as s:  # batch not undone: refused
        s.delete(s.scalars(select(Update).where(Update.batch_id == batch_id)).one())
        with pytest.raises(editing.AppendOnlyError):
            s.flush()
    with Session(eng) as s, s.begin():  # undone (its undo audited first): the import's own updates may go
        repository.write_audit(s, author="Ann", action="undo", entity="batch", entity_id=batch_id, batch_id=batch_id)
        s.flush()
        s.get(ImportBatch, batch_id).undone_at = dt.datetime(2025, 1, 2)
        s.flush()
        s.delete(s.scalars(select(Update).where(Update.batch_id == batch_id)).one())
    with eng.connect() as c:
        assert c.execute(text("SELECT COUNT(*) FROM updates WHERE batch_id = :b"), {"b": batch_id}).scalar() == 0


def _codes_consistent(eng, plan):
    items = repository.load_items(eng, plan.id, include_archived=True)
    code = dict(zip(items["id"], items["code"], strict=True))
    assert items["code"].is_unique
    for p, c in zip(items["parent_id"], items["code"], strict=True):
        if pd.isna(p):
            assert c.isdigit(), c
        else:
            assert c.startswith(code[int(p)] + ".") and c[len(code[int(p)]) + 1:].isdigit(), (c, code[int(p)])
    tree = prepare_tree(items).frame
    assert (tree["level"] == tree["depth"].map({1: "Strategy", 2: "Initiative", 3: "Action"})
            .fillna("Level " + tree["depth"].astype(str))).all()


def test_random_moves_keep_every_code_consistent_with_the_tree(eng, plan):
    rng = random.Random(6)
    _codes_consistent(eng, plan)
    moves = 0
    while moves < 12:
        items = repository.load_items(eng, plan.id)
        moved = items.sample(1, random_state=rng.randrange(10**6)).iloc[0]
        target = rng.choice([None, *items["id"].tolist()])
        try:
            editing.move_item(eng, int(moved["id"]), None if target is None else int(target), "Ann",
                              int(moved["version"]))
        except editing.ValidationError:
            continue  # under itself, or already there
        moves += 1
        _codes_consistent(eng, plan)


CHANGE_KINDS = {
    "record_update": lambda eng, _plan, it: _record(eng, it["1.1.1"]),
    "bulk": lambda eng, _plan, it: editing.record_updates_bulk(
        eng, [dict(item_id=int(it["1.1.1"]["id"]), expected_version=int(it["1.1.1"]["version"]),
                   as_of="2025-12-31", status="done", progress=None)], "Ann", today=TODAY),
    "add_item": lambda eng, plan, it: editing.add_item(eng, plan.id, parent_id=int(it["1.1"]["id"]), title="x",
                                                       author="Ann", owner="Brand New Person"),
    "edit_item": lambda eng, _plan, it: editing.edit_item(eng, int(it["1.1.1"]["id"]), {"owner": "Brand New Person"},
                                                         "Ann", int(it["1.1.1"]["version"])),
    "move_item": lambda eng, _plan, it: editing.move_item(eng, int(it["1.1"]["id"]), None, "Ann",
                                                         int(it["1.1"]["version"])),
    "archive_item": lambda eng, _plan, it: editing.archive_item(eng, int(it["1"]["id"]), "Ann",
                                                                int(it["1"]["version"])),
    "add_department": lambda eng, _plan, _it: editing.add_department(eng, "Office of Data", "Ann"),
    "add_person": lambda eng, _plan, _it: editing.add_person(eng, "Brand New Person", "Ann", department="New Dept"),
}


@pytest.mark.parametrize("kind", sorted(CHANGE_KINDS))
def test_every_change_kind_is_written_with_its_audit_row_or_not_at_all(eng, plan, monkeypatch, kind):
    items = _items(eng, plan)
    it = {c: items.loc[c] for c in ("1", "1.1", "1.1.1")}
    monkeypatch.setattr(repository, "write_audit", lambda *_a, **_kw: (_ for _ in ()).throw(RuntimeError("boom")))
    before = _snapshot(eng)
    with pytest.raises(RuntimeError, match="boom"):
        CHANGE_KINDS[kind](eng, plan, it)
    assert _snapshot(eng) == before
    monkeypatch.undo()
    n_audit = _counts(eng)["audit"]
    CHANGE_KINDS[kind](eng, plan, it)
    assert _counts(eng)["audit"] > n_audit and data_version(eng) > before[-1]


def test_added_and_moved_items_take_the_plans_own_level_names(eng):
    plan = repository.resolve_plan(eng, INNOVATIONS)  # levels: Topic area, Initiative, Idea
    top = editing.add_item(eng, plan.id, parent_id=None, title="New topic", author="Ann")
    mid = editing.add_item(eng, plan.id, parent_id=top, title="New initiative", author="Ann")
    items = repository.load_items(eng, plan.id).set_index("id")
    assert (items.loc[top, "level"], items.loc[mid, "level"]) == ("Topic area", "Initiative")
    # Under an idea (depth 3) is deeper than the plan names: "Level 4", never a default name.
    idea = int(items.index[items["level"] == "Idea"][0])
    editing.move_item(eng, mid, idea, "Ann", int(items.loc[mid, "version"]))
    assert repository.load_items(eng, plan.id).set_index("id").loc[mid, "level"] == "Level 4"


def test_item_snapshot_reads_names_and_refuses_an_unknown_item(eng, plan):
    item = _items(eng, plan).loc["1.1.1"]
    v = editing.edit_item(eng, int(item["id"]), {"owner": "Jane Doe", "partners": "Planning; IT"}, "Ann",
                          int(item["version"]))
    snap = repository.item_snapshot(eng, int(item["id"]))
    assert (snap["code"], snap["version"], snap["archived"]) == ("1.1.1", v, False)
    assert (snap["owner"], snap["partners"]) == ("Jane Doe", "IT; Planning")
    with pytest.raises(repository.ItemNotFound, match="item 999999 does not exist"):
        repository.item_snapshot(eng, 999999)


def test_current_states_and_bulk_changes_on_literal_frames():
    from wehoplan.editing.frames import bulk_changes, bulk_editor_frame, current_states

    T = pd.Timestamp
    updates = pd.DataFrame({"id": [1, 2, 3], "item_id": [10, 10, 11], "as_of": [T("2020-01-31"), T("2020-01-31"),
                                                                                T("2020-02-29")],
                            "status": ["on_track", "some_disruption", "completed"], "progress": [20.0, 25.0, 100.0]})
    # Two reports on one day: the later-recorded one (higher id) is the current state.
    cur = current_states(updates).set_index("item_id")
    assert cur.loc[10, ["status", "progress"]].tolist() == ["some_disruption", 25.0]
    tree = pd.DataFrame({"id": [10, 11, 12], "version": [3, 1, 1], "code": ["1.1", "1.2", "1.3"],
                         "title": ["a", "b", "c"], "owner": ["Ann", "Ann", None], "is_leaf": [True, True, True]})
    base = bulk_editor_frame(tree, updates, dt.date(2020, 3, 31))
    assert base[["code", "current_status", "current_progress", "status"]].values.tolist() == [
        ["1.1", "Some disruption", 25.0, "Some disruption"], ["1.2", "Completed", 100.0, "Completed"],
        ["1.3", "Not started", 0.0, "Not started"]]
    assert bulk_changes(base).empty  # nothing touched: nothing to save
    edited = base.assign(progress=[30.0, 100.0, 0.0], report=[False, False, True])
    rows = bulk_changes(edited)
    assert rows[["item_id", "expected_version", "progress"]].values.tolist() == [[10, 3, 30.0], [12, 1, 0.0]]
