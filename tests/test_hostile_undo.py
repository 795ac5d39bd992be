"""Undoing an import never loses later work: it refuses, naming the changes, or keeps them."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from importing_helpers import counts

from wehoplan import editing, repository
from wehoplan.db import make_engine
from wehoplan.importing import UndoRefused, import_files, undo_import

V1 = ("Code,Title,Owner,Status,Progress\n1,Streets,,,\n1.1,Crash dashboard,Ann,on track,20\n"
      "1.2,Speed humps,Bo,on track,10\n")
V2 = V1.replace("Crash dashboard", "Crash data dashboard").replace("Speed humps,Bo", "Speed humps,Cy") + \
    "1.3,Bike lanes,Di,on track,5\n"


def _items(eng):
    return repository.load_items(eng, repository.resolve_plan(eng, "P").id).set_index("code")


@pytest.fixture
def two_batches(empty_url):
    eng = make_engine(empty_url)
    b1 = import_files(eng, [("v1.csv", V1.encode())], plan_name="P", as_of=dt.date(2020, 3, 31))
    b2 = import_files(eng, [("v2.csv", V2.encode())], plan_name="P", as_of=dt.date(2020, 6, 30))
    assert b1.ok and b2.ok and b2.items_created == 1
    return eng, b1.batch_id, b2.batch_id


def _edit(eng, code, **changes):
    it = _items(eng).loc[code]
    editing.edit_item(eng, int(it["id"]), changes, "Eve", int(it["version"]))


def test_a_manual_retitle_after_the_import_blocks_its_undo_and_is_named(two_batches, empty_url):
    eng, _b1, b2 = two_batches
    _edit(eng, "1.1", title="Crash dashboard (Eve's)")
    _edit(eng, "1.2", owner="Zoe")
    before = (counts(empty_url), _items(eng))
    with pytest.raises(UndoRefused) as exc:
        undo_import(eng, b2)
    msg = str(exc.value)
    assert "without losing 2 later change(s)" in msg
    assert "1.1 title (edit by Eve" in msg and "1.2 owner (edit by Eve" in msg
    assert "\n" not in msg
    after = (counts(empty_url), _items(eng))
    assert after[0] == before[0]
    pd.testing.assert_frame_equal(after[1], before[1])
    assert _items(eng).loc["1.1", "title"] == "Crash dashboard (Eve's)"


def test_an_edit_of_an_item_the_import_created_blocks_its_undo(two_batches):
    eng, _b1, b2 = two_batches
    _edit(eng, "1.3", title="Protected bike lanes")
    with pytest.raises(UndoRefused, match=r"1\.3 title \(edit by Eve"):
        undo_import(eng, b2)
    assert _items(eng).loc["1.3", "title"] == "Protected bike lanes"


def test_the_first_import_cannot_be_undone_under_a_later_import(two_batches):
    eng, b1, b2 = two_batches
    with pytest.raises(UndoRefused, match=f"import batch {b1} cannot be undone"):
        undo_import(eng, b1)
    undo_import(eng, b2)
    undo_import(eng, b1)  # the later batch is undone: nothing of it is lost any more


def test_unrelated_later_work_is_kept_and_undo_is_audited_item_by_item(two_batches):
    eng, _b1, b2 = two_batches
    _edit(eng, "1.1", owner="Zoe")  # a field the second import did not change
    it = _items(eng).loc["1.2"]
    editing.record_update(eng, int(it["id"]), as_of="2020-07-15", status="on_track", progress=30, author="Eve",
                          expected_version=int(it["version"]), today=dt.date(2026, 1, 1))
    undo_import(eng, b2, author="admin")
    items = _items(eng)
    assert items.loc["1.1", ["title", "owner"]].tolist() == ["Crash dashboard", "Zoe"]
    assert "1.3" not in items.index
    ups = repository.load_updates(eng, repository.resolve_plan(eng, "P").id)
    assert 30 in ups["progress"].tolist()  # the report made after the import survives its undo
    audit = repository.audit_frame(eng)
    undo_rows = audit[(audit["action"] == "undo") & (audit["entity"] == "item")]
    assert {("title", "Crash data dashboard", "Crash dashboard"), ("owner", "Cy", "Bo"),
            ("code", "1.3", None)} <= {(r.field, r.old_value, None if pd.isna(r.new_value) else r.new_value)
                                       for r in undo_rows.itertuples()}
