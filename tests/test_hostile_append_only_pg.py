"""PostgreSQL has the same side-door guards as SQLite: raw SQL from any client cannot rewrite history.

On SQLite the side door is REPLACE INTO (tests/test_hostile_append_only.py); PostgreSQL's are
``INSERT … ON CONFLICT DO UPDATE``, a plain UPDATE of the undone flag or the batch id, and a DELETE
of a live batch's updates. Each statement runs on a plain psycopg connection (no engine events of
ours), as any tool holding the database password could send it.
"""

from __future__ import annotations

import datetime as dt

import psycopg
import pytest
from sqlalchemy.engine import make_url

from wehoplan.db import make_engine
from wehoplan.importing import import_files, undo_import

pytestmark = pytest.mark.parametrize("db_backend", ["postgresql"], indirect=True, scope="session")

CSV = b"Code,Title,Status,Progress\n1,Goal,,\n1.1,Act,on track,40\n1.2,Other,on track,10\n"
TABLES = ("updates", "audit", "import_batches")


@pytest.fixture
def imported(empty_url):
    eng = make_engine(empty_url)
    rep = import_files(eng, [("p.csv", CSV)], plan_name="P", as_of=dt.date(2020, 6, 30))
    assert rep.ok
    url = make_url(empty_url)
    conninfo = (f"host={url.host} port={url.port} dbname={url.database} user={url.username}"
                + (f" password={url.password}" if url.password else ""))
    return eng, conninfo, rep.batch_id


def _snapshot(conninfo: str) -> dict[str, list[tuple]]:
    with psycopg.connect(conninfo) as c:
        return {t: c.execute(f"SELECT * FROM {t} ORDER BY id").fetchall() for t in TABLES}


def _refused(conninfo: str, sql: str, match: str) -> None:
    with psycopg.connect(conninfo, autocommit=True) as c, pytest.raises(psycopg.errors.RaiseException, match=match):
        c.execute(sql)


@pytest.mark.parametrize(("sql", "match"), [
    ("INSERT INTO updates (id, item_id, as_of, status, progress) "
     "SELECT id, item_id, as_of, 'completed', 100 FROM updates LIMIT 1 "
     "ON CONFLICT (id) DO UPDATE SET progress = 100, status = 'completed'", "append-only"),
    ("UPDATE updates SET progress = 100", "append-only"),
    ("DELETE FROM audit", "append-only"),
    ("UPDATE import_batches SET undone_at = now()", "undo-import"),
    ("UPDATE import_batches SET id = id + 100", "keep their id"),
])
def test_raw_sql_cannot_rewrite_history(imported, sql, match):
    _eng, conninfo, _batch = imported
    before = _snapshot(conninfo)
    _refused(conninfo, sql, match)
    assert _snapshot(conninfo) == before


def test_a_live_batch_keeps_its_updates(imported):
    _eng, conninfo, batch = imported
    _refused(conninfo, f"DELETE FROM updates WHERE batch_id = {batch}", "append-only")
    with psycopg.connect(conninfo) as c:
        assert c.execute("SELECT count(*) FROM updates").fetchone()[0] == 2


def test_an_undone_batch_stays_undone_and_undo_still_works(imported):
    eng, conninfo, batch = imported
    assert undo_import(eng, batch)["updates_removed"] == 2
    for sql in ("UPDATE import_batches SET undone_at = NULL",
                "UPDATE import_batches SET undone_at = '2001-01-01'"):
        _refused(conninfo, sql, "stays undone")
    with psycopg.connect(conninfo) as c:
        assert c.execute("SELECT count(*) FROM updates").fetchone()[0] == 0
        assert c.execute("SELECT undone_at IS NOT NULL FROM import_batches").fetchone()[0]
