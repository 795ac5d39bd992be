"""The append-only rule has no side doors: REPLACE INTO, the undone flag, ORM bulk statements."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest
from sqlalchemy import delete, text, update
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session

from wehoplan import editing
from wehoplan.db import make_engine
from wehoplan.importing import import_files, undo_import
from wehoplan.models import AppendOnlyError, Audit, ImportBatch, Update

CSV = b"Code,Title,Status,Progress\n1,Goal,,\n1.1,Act,on track,40\n1.2,Other,on track,10\n"


@pytest.fixture
def imported(empty_url):
    eng = make_engine(empty_url)
    rep = import_files(eng, [("p.csv", CSV)], plan_name="P", as_of=dt.date(2020, 6, 30))
    assert rep.ok
    return eng, empty_url.removeprefix("sqlite:///"), rep.batch_id


def _raw(path: str) -> sqlite3.Connection:
    """A plain sqlite3 connection, as any tool on the machine could open (no pragmas of ours)."""
    return sqlite3.connect(path, isolation_level=None)


def _count(path: str, table: str) -> int:
    with _raw(path) as c:
        return c.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


@pytest.mark.parametrize("sql", [
    "REPLACE INTO updates (id, item_id, as_of, status, progress) "
    "SELECT id, item_id, as_of, 'completed', 100 FROM updates LIMIT 1",
    "INSERT OR REPLACE INTO updates (id, item_id, as_of, status, progress) "
    "SELECT id, item_id, as_of, 'completed', 100 FROM updates LIMIT 1",
    "REPLACE INTO audit (id, author, action, entity) SELECT id, 'x', 'x', 'x' FROM audit LIMIT 1",
    "REPLACE INTO import_batches (id, file_name, sha256, undone_at) "
    "SELECT id, file_name, sha256, '2020-01-01' FROM import_batches LIMIT 1",
    "UPDATE import_batches SET undone_at = '2020-01-01'",
    "UPDATE import_batches SET id = id + 100",
])
def test_raw_sql_side_doors_are_refused(imported, sql):
    _eng, path, _batch = imported
    before = {t: _count(path, t) for t in ("updates", "audit", "import_batches")}
    with _raw(path) as c, pytest.raises(sqlite3.DatabaseError, match=r"append-only|undo-import|keep their id"):
        c.execute(sql)
    assert {t: _count(path, t) for t in ("updates", "audit", "import_batches")} == before


def test_setting_undone_without_undo_cannot_delete_updates(imported):
    _eng, path, batch = imported
    with _raw(path) as c:
        with pytest.raises(sqlite3.DatabaseError):
            c.execute("UPDATE import_batches SET undone_at = '2020-01-01' WHERE id = ?", (batch,))
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            c.execute("DELETE FROM updates WHERE batch_id = ?", (batch,))
    assert _count(path, "updates") == 2


def test_an_undone_batch_stays_undone(imported):
    eng, path, batch = imported
    undo_import(eng, batch)
    with _raw(path) as c:
        for sql in ("UPDATE import_batches SET undone_at = NULL", "UPDATE import_batches SET undone_at = '2001-01-01'"):
            with pytest.raises(sqlite3.DatabaseError, match="stays undone"):
                c.execute(sql)


@pytest.mark.parametrize("statement", [
    lambda: update(Update).values(progress=100),
    lambda: delete(Update),
    lambda: delete(Audit),
    lambda: update(Audit).values(author="x"),
])
def test_orm_bulk_statements_on_append_only_tables_are_refused(imported, statement):
    eng, path, _batch = imported
    before = _count(path, "updates"), _count(path, "audit")
    with Session(eng) as s, pytest.raises(AppendOnlyError):
        s.execute(statement())
    assert (_count(path, "updates"), _count(path, "audit")) == before


def test_orm_bulk_delete_claiming_an_undo_of_a_live_batch_is_refused(imported):
    from wehoplan.models import UNDO_BATCH_OPTION

    eng, path, batch = imported
    with Session(eng) as s, pytest.raises(AppendOnlyError):
        s.execute(delete(Update).where(Update.batch_id == batch).execution_options(**{UNDO_BATCH_OPTION: batch}))
    assert _count(path, "updates") == 2


def test_undo_import_itself_still_works_and_is_audited(imported):
    eng, _path, batch = imported
    res = undo_import(eng, batch)
    assert res["updates_removed"] == 2
    with eng.connect() as c:
        actions = c.execute(text("SELECT action FROM audit WHERE batch_id = :b AND entity = 'batch'"),
                            {"b": batch}).scalars().all()
    assert actions.count("undo") == 2  # before the deletes and the summary after them
    with Session(eng) as s:
        assert s.get(ImportBatch, batch).undone_at is not None


def test_the_data_layer_reports_the_refusal_as_an_append_only_error(imported):
    eng, _path, _batch = imported
    with Session(eng) as s, s.begin(), pytest.raises((AppendOnlyError, DatabaseError)):
        s.execute(text("REPLACE INTO updates (id, item_id, as_of, status, progress) "
                       "SELECT id, item_id, as_of, 'completed', 100 FROM updates LIMIT 1"))
    assert editing.AppendOnlyError is AppendOnlyError
