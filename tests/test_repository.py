"""Readers: the fast (ADBC/Arrow) paths give exactly what the SQLAlchemy path gives."""

from __future__ import annotations

import sqlite3

import pandas as pd
import pytest

from wehoplan import repository, rollup
from wehoplan.db import make_engine


def _plans(engine) -> list[int]:
    return repository.list_plans(engine)["id"].tolist()


def _slow_updates(engine, plan_id, monkeypatch) -> pd.DataFrame:
    with monkeypatch.context() as m:
        m.setattr(repository, "_sqlite_file", lambda _e: None)
        return repository.load_updates(engine, plan_id)


@pytest.mark.parametrize("share", [0.0, 1.0], ids=["index", "scan"])
def test_arrow_loader_equals_the_sqlalchemy_loader(demo_engine, monkeypatch, share):
    assert repository._sqlite_file(demo_engine) is not None, "adbc-driver-sqlite must be installed"
    monkeypatch.setattr(repository, "_plan_share", lambda _e, _p: share)
    monkeypatch.setattr(repository, "_adbc_errors", lambda: ())  # no silent fallback here
    for plan_id in _plans(demo_engine):
        fast = repository.load_updates(demo_engine, plan_id)
        slow = _slow_updates(demo_engine, plan_id, monkeypatch)
        assert len(fast) > 100
        pd.testing.assert_frame_equal(fast, slow)


def test_updates_come_oldest_first_with_every_row(demo_url, demo_engine):
    con = sqlite3.connect(demo_url.removeprefix("sqlite:///"))
    expected = con.execute(
        "SELECT u.id FROM updates u JOIN items i ON i.id = u.item_id WHERE i.plan_id = ? ORDER BY u.as_of, u.id",
        (_plans(demo_engine)[0],),
    ).fetchall()
    con.close()
    got = repository.load_updates(demo_engine, _plans(demo_engine)[0])
    assert got["id"].tolist() == [r[0] for r in expected]
    assert got["as_of"].dtype == "datetime64[ns]" and got["created_at"].notna().all()


def _add_updates(url: str, rows: list[tuple]) -> None:
    con = sqlite3.connect(url.removeprefix("sqlite:///"))
    con.executemany("INSERT INTO updates (item_id, as_of, status, progress, comment, author, source) "
                    "VALUES (?, ?, ?, ?, ?, 'test', 'test')", rows)
    con.commit()
    con.close()


def test_latest_updates_give_the_same_rollup_as_the_full_history(fresh_url, monkeypatch):
    engine = make_engine(fresh_url)
    plan_id = _plans(engine)[0]
    leaves = rollup.prepare_tree(repository.load_items(engine, plan_id))
    leaf_ids = leaves.frame.loc[leaves.frame["is_leaf"], "id"].tolist()
    # Awkward history: two updates on one day (the later wins), a whitespace-only comment
    # after a real one (the real one stays the latest comment), an update after as-of;
    # all after the demo history ends so nothing of the demo hides them.
    _add_updates(fresh_url, [
        (leaf_ids[0], "2023-02-15", "on_track", 40.0, "first of the day"),
        (leaf_ids[0], "2023-02-15", "major_disruption", 35.0, None),
        (leaf_ids[1], "2023-02-01", "on_track", 10.0, "a real comment"),
        (leaf_ids[1], "2023-03-01", "some_disruption", 12.0, " \n\t"),
        (leaf_ids[2], "2031-01-01", "completed", 100.0, "in the future"),
    ])
    full = repository.load_updates(engine, plan_id)
    for day in ["2018-01-01", "2019-03-31", "2021-12-31", "2023-02-15", "2023-03-31", None]:
        as_of = pd.Timestamp(day) if day else repository.default_as_of(full)
        latest = repository.load_latest_updates(engine, plan_id, as_of if day else None)
        assert len(latest) < len(full)
        expected = rollup.rollup_table(leaves, full, as_of)
        pd.testing.assert_frame_equal(rollup.rollup_table(leaves, latest, as_of), expected)
        with monkeypatch.context() as m:
            m.setattr(repository, "_sqlite_file", lambda _e: None)
            slow = repository.load_latest_updates(engine, plan_id, as_of)
        pd.testing.assert_frame_equal(slow, repository.load_latest_updates(engine, plan_id, as_of))


def test_plan_default_as_of_matches_default_as_of(demo_engine):
    for plan_id in _plans(demo_engine):
        updates = repository.load_updates(demo_engine, plan_id)
        assert repository.plan_default_as_of(demo_engine, plan_id) == repository.default_as_of(updates)
        early = pd.Timestamp("2019-01-01").date()
        assert repository.plan_default_as_of(demo_engine, plan_id, early) == repository.default_as_of(updates, early)


def test_empty_plan_loads_empty_frames(empty_url):
    engine = make_engine(empty_url)
    for loader in (repository.load_updates, repository.load_latest_updates):
        df = loader(engine, 1)
        assert df.empty and list(df.columns) == repository.UPDATE_COLUMNS


def test_arrow_items_equal_the_sqlalchemy_items(demo_engine, monkeypatch):
    monkeypatch.setattr(repository, "_adbc_errors", lambda: ())  # no silent fallback here
    for plan_id in _plans(demo_engine):
        for archived in (False, True):
            fast = repository.load_items(demo_engine, plan_id, include_archived=archived)
            with monkeypatch.context() as m:
                m.setattr(repository, "_sqlite_file", lambda _e: None)
                slow = repository.load_items(demo_engine, plan_id, include_archived=archived)
            assert len(fast) > 20
            pd.testing.assert_frame_equal(fast, slow)


def test_fast_path_copes_with_columns_that_are_null_for_a_long_while(fresh_url, monkeypatch):
    # The ADBC driver types a column from the rows it sees first: text after many NULLs
    # must still load, and all-NULL text columns must look as they do through SQLAlchemy.
    path = fresh_url.removeprefix("sqlite:///")
    con = sqlite3.connect(path)
    con.execute("DROP TRIGGER updates_no_edit")
    con.execute("UPDATE updates SET comment = NULL, author = NULL")
    con.execute("UPDATE updates SET comment = 'late text' WHERE id = (SELECT MAX(id) FROM updates)")
    con.execute("UPDATE items SET description = NULL, priority = NULL")
    con.execute("UPDATE items SET description = 'late' WHERE id = (SELECT MAX(id) FROM items)")
    con.commit()
    con.close()
    engine = make_engine(fresh_url)
    monkeypatch.setattr(repository, "_adbc_errors", lambda: ())  # no silent fallback here
    for plan_id in _plans(engine):
        fast_u = repository.load_updates(engine, plan_id)
        fast_i = repository.load_items(engine, plan_id)
        with monkeypatch.context() as m:
            m.setattr(repository, "_sqlite_file", lambda _e: None)
            pd.testing.assert_frame_equal(fast_u, repository.load_updates(engine, plan_id))
            pd.testing.assert_frame_equal(fast_i, repository.load_items(engine, plan_id))
    assert fast_u["author"].isna().all()


def test_arrow_reads_stay_consistent_while_the_same_process_writes(fresh_url):
    """Reads through ADBC (its own SQLite copy) and writes through SQLAlchemy in one process.

    Every write transaction adds 40 updates; a read must see whole transactions only, and
    the file must pass SQLite's integrity check afterwards.
    """
    import datetime as dt
    import threading

    from sqlalchemy import insert, text

    from wehoplan.db import make_engine
    from wehoplan.models import Update

    eng = make_engine(fresh_url)
    plan = repository.resolve_plan(eng, "smart city")
    leaf = int(repository.load_items(eng, plan.id)["id"].max())
    base = len(repository.load_updates(eng, plan.id))
    with eng.connect() as c:
        assert c.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0
    errors: list[BaseException] = []
    seen: list[int] = []

    def write():
        try:
            for n in range(60):
                with eng.begin() as c:
                    # 40 rows of 3 kB: enough WAL that SQLite's default would checkpoint mid-run.
                    day = dt.date(2023, 1, 1) + dt.timedelta(days=n)
                    rows = [dict(item_id=leaf, as_of=day, status="on_track", progress=float(k), comment="x" * 3000)
                            for k in range(40)]
                    c.execute(insert(Update), rows)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    def read():
        try:
            for _ in range(60):
                seen.append(len(repository.load_updates(eng, plan.id)))
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=write), threading.Thread(target=read)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert all((n - base) % 40 == 0 for n in seen)
    assert seen == sorted(seen)
    assert len(repository.load_updates(eng, plan.id)) == base + 60 * 40
    with eng.connect() as c:
        assert c.execute(text("PRAGMA integrity_check")).scalar() == "ok"
