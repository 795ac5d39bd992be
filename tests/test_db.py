"""The database enforces the plan's integrity itself, whoever writes."""

import datetime as dt

import pytest
from sqlalchemy import exc, text
from sqlalchemy.orm import Session

from wehoplan.db import data_version, make_engine
from wehoplan.models import Item, Update


def test_every_connection_has_foreign_keys_wal_and_busy_timeout(demo_url, db_backend):
    if db_backend != "sqlite":
        pytest.skip("SQLite connection pragmas; PostgreSQL enforces foreign keys always")
    engine = make_engine(demo_url)
    with engine.connect() as c:
        assert c.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert c.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert c.execute(text("PRAGMA busy_timeout")).scalar() == 10000


@pytest.mark.parametrize(
    "row, message",
    [
        # Case-insensitive: SQLite says "CHECK constraint", PostgreSQL "check constraint".
        (dict(progress=101.0, status="on_track"), "(?i)CHECK constraint"),
        (dict(progress=-1.0, status="on_track"), "(?i)CHECK constraint"),
        (dict(progress=10.0, status="green"), "(?i)CHECK constraint"),
        (dict(progress=10.0, status="on_track", item_id=999999), "(?i)FOREIGN KEY"),
    ],
)
def test_bad_updates_are_refused_by_the_database(fresh_url, row, message):
    engine = make_engine(fresh_url)
    with pytest.raises(exc.IntegrityError, match=message), Session(engine) as s, s.begin():
        s.add(Update(**{"item_id": 1, "as_of": dt.date(2020, 1, 1), **row}))


def test_code_is_unique_per_plan_and_weight_not_negative(fresh_url):
    engine = make_engine(fresh_url)
    with pytest.raises(exc.IntegrityError, match=r"(?i)UNIQUE"), Session(engine) as s, s.begin():
        s.add(Item(plan_id=1, code="1", level="Strategy", title="dup"))
    with pytest.raises(exc.IntegrityError, match=r"(?i)CHECK"), Session(engine) as s, s.begin():
        s.add(Item(plan_id=1, code="9", level="Strategy", title="neg", weight=-1))


def test_updates_and_audit_are_append_only(fresh_url):
    engine = make_engine(fresh_url)
    for sql in ("DELETE FROM updates WHERE id = 1", "UPDATE updates SET progress = 1 WHERE id = 1",
                "DELETE FROM audit", "UPDATE audit SET author = 'x'"):
        with pytest.raises(exc.DatabaseError, match="append-only"), engine.begin() as c:
            c.execute(text(sql))


def test_data_version_is_minus_one_without_schema_and_counts_writes(tmp_path, demo_engine):
    assert data_version(make_engine(f"sqlite:///{tmp_path / 'none.db'}")) == -1
    assert data_version(demo_engine) >= 1
