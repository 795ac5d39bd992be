"""AppTest: the Update Progress, Edit Plan and Audit pages drive the editing library."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from wehoplan import editing, repository
from wehoplan.db import make_engine
from wehoplan.demo import SMART_CITY
from wehoplan.rollup import prepare_tree

ROOT = Path(__file__).resolve().parent.parent
UPDATE_PAGE = str(ROOT / "app_pages" / "4_Update_Progress.py")
PLAN_PAGE = str(ROOT / "app_pages" / "5_Edit_Plan.py")
AUDIT_PAGE = str(ROOT / "app_pages" / "6_Audit.py")


@pytest.fixture
def url(fresh_url, monkeypatch):
    monkeypatch.setenv("WEHOPLAN_DATABASE_URL", fresh_url)
    return fresh_url


def _items(url):
    eng = make_engine(url)
    plan = repository.resolve_plan(eng, SMART_CITY)
    return repository.load_items(eng, plan.id, include_archived=True).set_index("code"), eng, plan


def _run(page, author="Innovation Manager"):
    at = AppTest.from_file(page, default_timeout=60)
    at.session_state["author"] = author
    at.run()
    assert not at.exception, at.exception
    return at


def _by_key(widgets, key):
    return next(w for w in widgets if w.key == key)


def test_update_form_records_progress_and_refuses_a_stale_save(url):
    items, eng, plan = _items(url)
    at = _run(UPDATE_PAGE)
    at.text_input(key="upd_search").set_value("1.1.2").run()
    assert at.selectbox(key="upd_item").value == items.loc["1.1.2", "id"]
    k = f"{items.loc['1.1.2', 'id']}:{items.loc['1.1.2', 'version']}"
    # The picker finds a status by any word an import accepts: "At risk" is Some disruption.
    picker = at.selectbox(key=f"upd_status:{k}")
    assert [o for o in picker.options if "at risk" in o.casefold()] == [
        next(o for o in picker.options if "Some disruption" in o)]
    assert not any("_" in o for o in picker.options)
    at.selectbox(key=f"upd_status:{k}").set_value("some_disruption")
    at.number_input(key=f"upd_progress:{k}").set_value(35)
    at.text_area(key=f"upd_comment:{k}").set_value("vendor late")
    at.date_input(key=f"upd_as_of:{k}").set_value(dt.date.today())
    n_before = len(repository.load_updates(eng, plan.id))
    at.button[0].click()  # the form's submit button
    at.run()
    # 1.1.2 stands at 100 %: a fall to 35 % is asked about once, and nothing is saved yet.
    assert not at.exception and not at.success
    assert any("falls from 100 % to 35 %" in w.value for w in at.warning), [w.value for w in at.warning]
    assert len(repository.load_updates(eng, plan.id)) == n_before
    at.button[0].click()  # the same values again: confirmed
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("Saved 1.1.2" in s.value for s in at.success)
    ups = repository.load_updates(eng, plan.id)
    last = ups[ups["item_id"] == items.loc["1.1.2", "id"]].iloc[-1]
    assert (last["status"], last["progress"], last["comment"], last["author"]) == (
        "some_disruption", 35.0, "vendor late", "Innovation Manager")
    # Someone else saves the same item after this page was drawn: our next save is refused.
    fresh = _items(url)[0].loc["1.1.2"]
    editing.record_update(eng, int(fresh["id"]), as_of=dt.date.today(), status="on_track", progress=50,
                          author="Data Lead", expected_version=int(fresh["version"]))
    k = f"{fresh['id']}:{fresh['version']}"  # the form as this user last saw it (after their own save)
    assert at.number_input(key=f"upd_progress:{k}").value == 35  # redrawn from the stored state
    at.number_input(key=f"upd_progress:{k}").set_value(60)
    at.button[0].click()
    at.run()
    assert [e.value for e in at.error] and "changed by Data Lead" in at.error[0].value
    assert "reload" in at.error[0].value
    ups = repository.load_updates(eng, plan.id)
    assert ups[ups["item_id"] == fresh["id"]].iloc[-1]["progress"] == 50.0  # not overwritten


def test_update_form_needs_an_author(url):
    at = _run(UPDATE_PAGE, author="")
    n = len(repository.load_updates(*(lambda _i, e, p: (e, p.id))(*_items(url))))
    at.button[0].click()
    at.run()
    assert any("Choose who you are" in w.value for w in at.warning)
    assert len(repository.load_updates(*(lambda _i, e, p: (e, p.id))(*_items(url)))) == n


def _edits(rows):
    return {"edited_rows": rows, "added_rows": [], "deleted_rows": []}


def _open_tab(at, starts: str):
    """Click the tab whose label starts with ``starts`` (the tabs rerun the page on a switch)."""
    at.session_state["upd_tab"] = next(t.label for t in at.tabs if t.label.startswith(starts))
    at.run()
    assert not at.exception, at.exception
    return at


def test_bulk_editor_saves_my_items_together_or_shows_what_is_wrong(url):
    _, eng, plan = _items(url)
    at = _run(UPDATE_PAGE)
    owner = "Mobility Planning Manager"
    at.selectbox(key="upd_owner").set_value(owner).run()
    _open_tab(at, "Several items")
    editor = at.data_editor[0]
    base = editor.value
    assert len(base) >= 2 and set(base["owner"]) == {owner}
    n_updates = len(repository.load_updates(eng, plan.id))
    # One invalid row (progress 150): nothing is saved and the problem is shown by code.
    at.session_state["bulk_editor"] = _edits({0: {"progress": 80}, 1: {"progress": 150}})
    at.run()
    at.button(key="bulk_save").click().run()
    assert not at.exception
    assert any("Nothing was saved" in e.value for e in at.error)
    problems = at.dataframe[-1].value
    assert problems["Code"].tolist() == [base.loc[1, "code"]] and "outside 0 to 100" in problems.loc[0, "Problem"]
    assert len(repository.load_updates(eng, plan.id)) == n_updates
    # Fixed: both rows are saved at once, with the chosen author.
    at.session_state["bulk_editor"] = _edits({0: {"progress": 80}, 1: {"status": "Completed", "progress": 100}})
    at.run()
    at.button(key="bulk_save").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("Saved 2 update(s)" in s.value for s in at.success)
    ups = repository.load_updates(eng, plan.id).set_index("item_id")
    new = ups[ups["source"] == "app bulk"]
    assert set(new["author"]) == {"Innovation Manager"}
    assert sorted(new.index.tolist()) == sorted(base.loc[[0, 1], "item_id"].tolist())
    assert new.loc[base.loc[1, "item_id"], "status"] == "completed"
    assert new.loc[base.loc[0, "item_id"], "progress"] == 80.0


@pytest.mark.usefixtures("url")
def test_bulk_editor_is_drawn_only_in_its_tab_and_keeps_its_changes_across_tabs():
    at = _run(UPDATE_PAGE)
    # The page opens on one item: the editor (a row per action) is not drawn nor sent.
    assert [t.label for t in at.tabs][:1] == ["One item"] and not at.data_editor
    assert at.selectbox(key="upd_item").value is not None
    n_all = int(next(t.label for t in at.tabs if t.label.startswith("Several items")).split("(")[1].rstrip(")"))
    _open_tab(at, "Several items")
    assert len(at.data_editor[0].value) == n_all
    assert at.selectbox(key="upd_item").value is not None  # the other tab is still there to go back to
    # A search changes the tab's count: the editor's tab stays open, with the matching rows.
    at.text_input(key="upd_search").set_value("1.1").run()
    rows = at.data_editor[0].value
    assert at.session_state["upd_tab"].startswith("Several items") and 0 < len(rows) < n_all
    assert f"Several items ({len(rows)})" in [t.label for t in at.tabs]
    # A change, then a look at one item and back: the change is still there and still saved with the rest.
    at.session_state["bulk_editor"] = _edits({0: {"progress": 55, "comment": "half way"}})
    at.run()
    assert at.button(key="bulk_save").label == "Save 1 update(s)"
    _open_tab(at, "One item")
    assert not at.data_editor
    assert "bulk_editor" not in at.session_state  # Streamlit forgets an editor a run does not draw
    _open_tab(at, "Several items")
    back = at.data_editor[0].value  # the editor's base: the frame it returned with the change
    assert (back.loc[0, "progress"], back.loc[0, "comment"]) == (55, "half way")
    assert at.button(key="bulk_save").label == "Save 1 update(s)"
    # Another owner or search starts again from the stored state.
    at.text_input(key="upd_search").set_value("1.1.").run()
    assert at.button(key="bulk_save").label == "Save 0 update(s)"


def test_item_picker_of_a_large_selection_lists_the_first_ones_and_the_search_reaches_the_rest(url, monkeypatch):
    from wehoplan.ui import pickers

    items, _, _ = _items(url)
    monkeypatch.setattr(pickers, "LIMIT", 3)  # the demo plan's leaves stand in for a county plan's 10k
    at = _run(UPDATE_PAGE)
    n = int(next(t.label for t in at.tabs if t.label.startswith("Several items")).split("(")[1].rstrip(")"))
    assert n > 3
    picker = at.selectbox(key="upd_item")
    assert len(picker.options) == 3
    assert any(f"{n:,} items match; the first 3 are listed" in c.value for c in at.caption)
    last = at.data_editor  # not drawn: the picker is what the first run sends
    assert not last
    # An item beyond the first three is reached by the search, and stays chosen when the search is cleared.
    far = _open_tab(_run(UPDATE_PAGE), "Several items").data_editor[0].value.iloc[-1]
    at.text_input(key="upd_search").set_value(far["code"]).run()
    at.selectbox(key="upd_item").set_value(int(far["item_id"])).run()
    assert at.selectbox(key="upd_item").value == int(far["item_id"])
    at.text_input(key="upd_search").set_value("").run()
    picker = at.selectbox(key="upd_item")
    assert picker.value == int(far["item_id"]) and len(picker.options) == 4
    assert picker.options[0].startswith(f"{far['code']} ·")
    assert items.loc[far["code"], "id"] == far["item_id"]


def test_plan_page_edits_adds_moves_archives_and_restores(url):
    items, eng, _ = _items(url)
    at = _run(PLAN_PAGE)
    target = int(items.loc["1.1.1", "id"])
    at.selectbox(key="ed_item").set_value(target).run()
    v = int(items.loc["1.1.1", "version"])
    at.text_input(key=f"ed_title:{target}:{v}").set_value("Renamed action")
    at.text_input(key=f"ed_owner:{target}:{v}").set_value("Jane Doe")
    at.number_input(key=f"ed_weight:{target}:{v}").set_value(2.0)
    at.button[0].click().run()  # "Save changes" is the first button on the page
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("Saved 1.1.1" in s.value for s in at.success)
    row = _items(url)[0].loc["1.1.1"]
    assert (row["title"], row["owner"], row["weight"]) == ("Renamed action", "Jane Doe", 2.0)
    edits = repository.audit_frame(eng, item_id=target, actions=["edit"])
    assert set(edits["field"]) == {"title", "owner", "weight"} and set(edits["author"]) == {"Innovation Manager"}

    # Add under 1.1.
    parent = int(items.loc["1.1", "id"])
    at.selectbox(key="add_parent").set_value(parent)
    at.text_input(key="add_title").set_value("Pilot curb sensors")
    at.text_input(key="add_owner").set_value("Jane Doe")
    next(b for b in at.button if b.label == "Add item").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    after = _items(url)[0]
    new_code = after.index[after["title"] == "Pilot curb sensors"][0]
    assert new_code.startswith("1.1.") and after.loc[new_code, "parent_id"] == parent
    assert any(f"Added {new_code}" in s.value for s in at.success)

    # Move 1.2 to the top level: its subtree is renumbered.
    moved = int(items.loc["1.2", "id"])
    at.selectbox(key="mv_item").set_value(moved)
    at.selectbox(key="mv_parent").set_value(0)
    at.button(key="mv_go").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    after = _items(url)[0]
    code = after.index[after["id"] == moved][0]
    assert "." not in code and f"{code}.1" in after.index and "1.2.1" not in after.index

    # Archive, then restore.
    at.selectbox(key="ar_item").set_value(moved).run()
    at.button(key="ar_archive").click().run()
    assert not at.exception and _items(url)[0].loc[code, "archived"]
    at.button(key="ar_restore").click().run()
    assert not at.exception and not _items(url)[0].loc[code, "archived"]
    actions = repository.audit_frame(eng, item_id=moved)["action"].tolist()
    assert actions[:3] == ["restore", "archive", "renumber"] and "move" in actions


def test_plan_page_manages_departments_and_people(url):
    at = _run(PLAN_PAGE)
    at.text_input(key="dep_new").set_value("Office of Data")
    next(b for b in at.button if b.label == "Add department").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    at.text_input(key="person_new").set_value("Jane Doe")
    at.text_input(key="person_dept").set_value("Office of Data")
    next(b for b in at.button if b.label == "Add person").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    eng = make_engine(url)
    people = repository.people_frame(eng).set_index("name")
    assert people.loc["Jane Doe", "department"] == "Office of Data"
    audit = repository.audit_frame(eng, entities=["department", "person"])
    assert audit[["entity", "new_value", "author"]].values.tolist() == [
        ["person", "Jane Doe", "Innovation Manager"], ["department", "Office of Data", "Innovation Manager"]]


def test_audit_page_lists_filters_and_offers_a_csv(url):
    items, eng, _ = _items(url)
    item = items.loc["1.1.1"]
    editing.edit_item(eng, int(item["id"]), {"priority": "High"}, "Jane Doe", int(item["version"]))
    at = _run(AUDIT_PAGE)
    table = at.dataframe[0].value
    assert table.iloc[0][["Who", "Change", "Item", "Field", "After"]].tolist() == [
        "Jane Doe", "edit", "1.1.1", "priority", "High"]
    # Column names a person uses, and blanks rather than "None".
    raw = {"entity_id", "old_value", "new_value", "batch_id", "created_at", "undone_at", "item_code", "at"}
    assert not raw & set(table.columns)
    assert not (table.astype(str) == "None").any().any()
    # The range opens on every change and is never one day ("today only").
    since, until = at.date_input(key="au_dates").value
    assert (until - since).days >= 90
    at.multiselect(key="au_author").set_value(["Jane Doe"]).run()
    assert not at.exception
    assert at.dataframe[0].value["Who"].tolist() == ["Jane Doe"]
    assert len(at.get("download_button")) == 1


def test_the_overview_shows_a_saved_update_on_its_next_run(url):
    _, eng, plan = _items(url)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception
    recent = lambda: next(m.value for m in at.metric if m.label.startswith("Completed, last"))  # noqa: E731
    before = recent()
    leaves = prepare_tree(repository.load_items(eng, plan.id)).frame.query("is_leaf")
    ups = repository.load_updates(eng, plan.id)
    done = set(ups.sort_values(["as_of", "id"]).groupby("item_id").tail(1).query("status == 'completed'")["item_id"])
    open_leaf = leaves[~leaves["id"].isin(done)].iloc[0]
    as_of = ups["as_of"].max().date()  # the overview opens on the latest update date
    editing.record_update(eng, int(open_leaf["id"]), as_of=as_of, status="completed", progress=None,
                          author="Jane Doe", expected_version=int(open_leaf["version"]))
    at.run()  # same process, same cache: the data version makes it reload
    assert not at.exception
    assert int(recent()) == int(before) + 1
