"""Readers: every reader (Arrow, SQLAlchemy; index or scan) gives the same frames and the same rules."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from wehoplan import repository, rollup
from wehoplan.db import make_engine
from wehoplan.models import Item, Plan, Update
from wehoplan.repository import ArrowPostgresReader, ArrowSQLiteReader, SQLAlchemyReader

# No fallback on the Arrow readers: a failed Arrow read must fail the test, not hide.
READERS = {
    "arrow": ArrowSQLiteReader(fallback=None),
    "arrow-scan": ArrowSQLiteReader(fallback=None, scan_share=0.0),
    "arrow-index": ArrowSQLiteReader(fallback=None, scan_share=None),
    "arrow-pg": ArrowPostgresReader(fallback=None),
    "arrow-pg-scan": ArrowPostgresReader(fallback=None, scan_share=0.0),
    "arrow-pg-index": ArrowPostgresReader(fallback=None, scan_share=None),
    "sqlalchemy": SQLAlchemyReader(),
    "sqlalchemy-scan": SQLAlchemyReader(scan_share=0.0),
}


@pytest.fixture(params=list(READERS))
def reader(request, db_backend):
    """Each reader in turn: the behaviour tests below run against every one that can read the backend."""
    if request.param.startswith("arrow") and request.param.startswith("arrow-pg") != (db_backend == "postgresql"):
        pytest.skip(f"reader {request.param} does not read {db_backend}")
    return READERS[request.param]


def _sql(url: str, *statements: tuple[str, dict | list[dict]] | str) -> list:
    """Run raw SQL (below the data layer) in one transaction; the last statement's rows."""
    rows: list = []
    with make_engine(url).begin() as con:
        for st in statements:
            sql, params = (st, {}) if isinstance(st, str) else st
            res = con.execute(text(sql), params)
            rows = res.fetchall() if res.returns_rows else []
    return rows


def _plans(engine) -> list[int]:
    return repository.list_plans(engine)["id"].tolist()


def test_the_engine_chooses_arrow_for_a_sqlite_file_and_sqlalchemy_otherwise(demo_engine, db_backend):
    if db_backend != "sqlite":
        assert isinstance(repository.reader_for(demo_engine), ArrowPostgresReader), "adbc-driver-postgresql missing"
        assert isinstance(repository.reader_for(demo_engine, prefer_arrow=False), SQLAlchemyReader)
        return
    assert isinstance(repository.reader_for(demo_engine), ArrowSQLiteReader), "adbc-driver-sqlite must be installed"
    assert isinstance(repository.reader_for(demo_engine, prefer_arrow=False), SQLAlchemyReader)
    assert isinstance(repository.reader_for(make_engine("sqlite://")), SQLAlchemyReader)


@pytest.mark.parametrize("loader", ["load_items", "load_items_archived", "load_updates", "load_latest_updates"])
def test_every_reader_gives_the_same_frames(demo_engine, reader, loader):
    def load(plan_id, rd):
        if loader == "load_items_archived":
            return repository.load_items(demo_engine, plan_id, include_archived=True, reader=rd)
        return getattr(repository, loader)(demo_engine, plan_id, reader=rd)

    for plan_id in _plans(demo_engine):
        got = load(plan_id, reader)
        assert len(got) > 20
        pd.testing.assert_frame_equal(got, load(plan_id, SQLAlchemyReader()))


def test_an_arrow_reader_falls_back_where_it_cannot_read():
    memory = make_engine("sqlite://")  # no file for ADBC to open
    one = repository.Query("SELECT 1", ("one",))
    with pytest.raises(Exception, match="no SQLite file"):
        repository.read_frame(memory, one, ArrowSQLiteReader(fallback=None))
    assert repository.read_frame(memory, one, ArrowSQLiteReader())["one"].tolist() == [1]


def test_updates_come_oldest_first_with_every_row(demo_url, demo_engine, reader):
    expected = _sql(demo_url, (
        "SELECT u.id FROM updates u JOIN items i ON i.id = u.item_id WHERE i.plan_id = :p ORDER BY u.as_of, u.id",
        {"p": _plans(demo_engine)[0]},
    ))
    got = repository.load_updates(demo_engine, _plans(demo_engine)[0], reader=reader)
    assert got["id"].tolist() == [r[0] for r in expected]
    assert got["as_of"].dtype == "datetime64[ns]" and got["created_at"].notna().all()


def _add_updates(url: str, rows: list[tuple]) -> None:
    keys = ("item_id", "as_of", "status", "progress", "comment")
    _sql(url, ("INSERT INTO updates (item_id, as_of, status, progress, comment, author, source) "
               "VALUES (:item_id, :as_of, :status, :progress, :comment, 'test', 'test')",
               [dict(zip(keys, r, strict=True)) | {"as_of": dt.date.fromisoformat(r[1])} for r in rows]))


def test_latest_updates_give_the_same_rollup_as_the_full_history(fresh_url, reader):
    engine = make_engine(fresh_url)
    plan_id = _plans(engine)[0]
    leaves = rollup.prepare_tree(repository.load_items(engine, plan_id, reader=reader))
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
    full = repository.load_updates(engine, plan_id, reader=reader)
    items = repository.load_items(engine, plan_id, reader=reader)
    for day in ["2018-01-01", "2019-03-31", "2021-12-31", "2023-02-15", "2023-03-31", None]:
        as_of = pd.Timestamp(day) if day else repository.default_as_of(full, items)
        latest = repository.load_latest_updates(engine, plan_id, as_of if day else None, reader=reader)
        assert len(latest) < len(full)
        expected = rollup.rollup_table(leaves, full, as_of)
        pd.testing.assert_frame_equal(rollup.rollup_table(leaves, latest, as_of), expected)


def test_plan_default_as_of_matches_default_as_of(demo_engine, reader):
    for plan_id in _plans(demo_engine):
        updates = repository.load_updates(demo_engine, plan_id, reader=reader)
        items = repository.load_items(demo_engine, plan_id, include_archived=True, reader=reader)
        assert (repository.plan_default_as_of(demo_engine, plan_id, reader=reader)
                == repository.default_as_of(updates, items))
        early = pd.Timestamp("2019-01-01").date()
        assert (repository.plan_default_as_of(demo_engine, plan_id, early, reader=reader)
                == repository.default_as_of(updates, items, early))


def _plan_with_archived_latest(url: str) -> int:
    """A plan whose newest updates belong to an archived action and to an action under an archived strategy."""
    engine = make_engine(url)
    with Session(engine) as s, s.begin():
        plan = Plan(name="Archived last")
        s.add(plan)
        s.flush()
        s1 = Item(plan_id=plan.id, code="1", level="Strategy", title="Kept")
        s2 = Item(plan_id=plan.id, code="2", level="Strategy", title="Archived strategy", archived=True)
        s.add_all([s1, s2])
        s.flush()
        a11 = Item(plan_id=plan.id, parent_id=s1.id, code="1.1", level="Action", title="Live action")
        a12 = Item(plan_id=plan.id, parent_id=s1.id, code="1.2", level="Action", title="Archived", archived=True)
        a21 = Item(plan_id=plan.id, parent_id=s2.id, code="2.1", level="Action", title="Under archived")
        s.add_all([a11, a12, a21])
        s.flush()
        s.add_all([
            Update(item_id=a11.id, as_of=dt.date(2024, 1, 10), status="on_track", progress=10.0),
            Update(item_id=a12.id, as_of=dt.date(2024, 3, 1), status="on_track", progress=50.0),
            Update(item_id=a21.id, as_of=dt.date(2024, 5, 1), status="completed", progress=100.0),
        ])
        return plan.id


def test_a_plan_whose_last_updated_item_was_archived_opens_on_the_earlier_date(empty_url, reader):
    plan_id = _plan_with_archived_latest(empty_url)
    engine = make_engine(empty_url)
    today = dt.date(2026, 1, 1)
    assert repository.plan_default_as_of(engine, plan_id, today, reader=reader) == pd.Timestamp("2024-01-10")
    updates = repository.load_updates(engine, plan_id, reader=reader)
    assert updates["as_of"].max() == pd.Timestamp("2024-05-01")  # the history keeps every update
    for items in (repository.load_items(engine, plan_id, reader=reader),
                  repository.load_items(engine, plan_id, include_archived=True, reader=reader),
                  rollup.prepare_tree(repository.load_items(engine, plan_id, reader=reader)).frame):
        assert repository.default_as_of(updates, items, today) == pd.Timestamp("2024-01-10")
    # Today still caps it.
    assert repository.plan_default_as_of(engine, plan_id, dt.date(2023, 6, 1), reader=reader) == pd.Timestamp(
        "2023-06-01")


def test_default_as_of_ignores_archived_items_in_a_literal_frame():
    items = pd.DataFrame({"id": [1, 2, 3, 4, 5], "parent_id": pd.array([None, None, 1, 1, 2], dtype="Int64"),
                          "archived": [False, True, False, True, False]})
    updates = pd.DataFrame({"item_id": [3, 4, 5],
                            "as_of": pd.to_datetime(["2024-01-10", "2024-03-01", "2024-05-01"])})
    today = dt.date(2026, 1, 1)
    assert repository.default_as_of(updates, items, today) == pd.Timestamp("2024-01-10")
    every_item_live = items.assign(archived=False)
    assert repository.default_as_of(updates, every_item_live, today) == pd.Timestamp("2024-05-01")
    assert repository.default_as_of(updates.iloc[1:], items, today) == pd.Timestamp("2026-01-01")


def test_empty_plan_loads_empty_frames(empty_url, reader):
    engine = make_engine(empty_url)
    for loader in (repository.load_updates, repository.load_latest_updates):
        df = loader(engine, 1, reader=reader)
        assert df.empty and list(df.columns) == repository.UPDATE_COLUMNS
    assert repository.load_items(engine, 1, reader=reader).empty
    assert repository.list_plans(engine, reader).empty


def test_partner_departments_are_joined_in_key_order(fresh_url, reader):
    engine = make_engine(fresh_url)
    plan_id = _plans(engine)[0]
    items = repository.load_items(engine, plan_id, reader=reader)
    item = int(items["id"].iloc[-1])
    _sql(fresh_url,
         ("DELETE FROM item_partner_departments WHERE item_id = :i", {"i": item}),
         ("INSERT INTO departments (name) VALUES (:n)", [{"n": "Zoo"}, {"n": "Aquarium"}]),
         ("INSERT INTO item_partner_departments SELECT :i, id FROM departments WHERE name IN ('Zoo', 'Aquarium')",
          {"i": item}))
    got = repository.load_items(engine, plan_id, reader=reader).set_index("id")["partners"]
    assert got[item] == "Zoo; Aquarium"


def test_every_reader_copes_with_columns_that_are_null_for_a_long_while(fresh_url, reader, db_backend):
    # The ADBC driver types a column from the rows it sees first: text after many NULLs
    # must still load, and all-NULL text columns must look as they do through SQLAlchemy.
    unguard = "DROP TRIGGER updates_no_edit" if db_backend == "sqlite" else "ALTER TABLE updates DISABLE TRIGGER USER"
    _sql(fresh_url, unguard,
         "UPDATE updates SET comment = NULL, author = NULL",
         "UPDATE updates SET comment = 'late text' WHERE id = (SELECT MAX(id) FROM updates)",
         "UPDATE items SET description = NULL, priority = NULL",
         "UPDATE items SET description = 'late' WHERE id = (SELECT MAX(id) FROM items)")
    engine = make_engine(fresh_url)
    for plan_id in _plans(engine):
        got_u = repository.load_updates(engine, plan_id, reader=reader)
        got_i = repository.load_items(engine, plan_id, reader=reader)
        pd.testing.assert_frame_equal(got_u, repository.load_updates(engine, plan_id, reader=SQLAlchemyReader()))
        pd.testing.assert_frame_equal(got_i, repository.load_items(engine, plan_id, reader=SQLAlchemyReader()))
    assert got_u["author"].isna().all()
    assert got_i["priority"].isna().all() and got_i["priority"].dtype == object


def test_reads_stay_consistent_while_the_same_process_writes(fresh_url, reader):
    """Reads (through ADBC, its own SQLite copy, or SQLAlchemy) while SQLAlchemy writes in one process.

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
    sqlite = eng.dialect.name == "sqlite"
    if sqlite:
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
        except BaseException as exc:
            errors.append(exc)

    def read():
        try:
            for _ in range(60):
                seen.append(len(repository.load_updates(eng, plan.id, reader=reader)))
        except BaseException as exc:
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
    if sqlite:
        with eng.connect() as c:
            assert c.execute(text("PRAGMA integrity_check")).scalar() == "ok"



def test_an_arrow_read_sees_commits_made_after_the_last_engine_on_the_file_closed(fresh_url, db_backend):
    # A CLI command, a restore or a test disposes its engine. When that closes the last connection
    # of the engine's SQLite copy, the copy deletes the WAL and its wal-index; ADBC's own copy
    # (kept open) once went on reading the deleted index: it never saw a later commit again, so a
    # plan just imported was "not found" and mixed pages read as "database disk image is malformed".
    import gc

    from sqlalchemy import insert

    if db_backend != "sqlite":
        pytest.skip("two copies of SQLite in one process are a SQLite file's hazard")
    gc.collect()  # the fixture's own engine: closed now, not at some later collection
    reader = ArrowSQLiteReader(fallback=None)
    first = make_engine(fresh_url)
    plan_id = _plans(first)[0]
    leaf = int(repository.load_items(first, plan_id)["id"].max())
    seen = [len(repository.load_updates(first, plan_id, reader=reader))]
    first.dispose()
    for n in range(3):
        engine = make_engine(fresh_url)
        with engine.begin() as c:
            c.execute(insert(Update), [dict(item_id=leaf, as_of=dt.date(2024, 1, 1 + n), status="on_track",
                                            progress=float(k)) for k in range(5)])
        seen.append(len(repository.load_updates(engine, plan_id, reader=reader)))
        engine.dispose()
    assert seen == [seen[0], seen[0] + 5, seen[0] + 10, seen[0] + 15]
    with make_engine(fresh_url).connect() as c:
        assert c.execute(text("PRAGMA integrity_check")).scalar() == "ok"

def test_a_postgres_read_still_answers_after_the_server_dropped_its_idle_connection(fresh_url, db_backend):
    # The Arrow reader keeps its connections between reads; a server restart or an idle timeout
    # closes them under it, and the next read must still answer (no fallback reader here).
    if db_backend != "postgresql":
        pytest.skip("the pooled connections are PostgreSQL's")
    engine = make_engine(fresh_url)
    reader = ArrowPostgresReader(fallback=None)
    plan_id = _plans(engine)[0]
    before = repository.load_updates(engine, plan_id, reader=reader)
    _sql(fresh_url, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()")
    after = repository.load_updates(engine, plan_id, reader=reader)
    pd.testing.assert_frame_equal(after, before)
    assert len(after) > 20


def test_a_large_arrow_result_is_copied_out_of_the_driver_batch_and_loads_the_same_frames(fresh_url, monkeypatch,
                                                                                           db_backend):
    if db_backend != "sqlite":
        pytest.skip("the copy is the SQLite Arrow reader's")
    # From _OWN_COPY_ROWS rows on, the Arrow reader copies the columns it keeps out of the driver's
    # one-allocation batch (so the dates' ISO text is freed); the frames must not change.
    from wehoplan.repository import readers

    _sql(fresh_url, "DROP TRIGGER updates_no_edit",
         "UPDATE updates SET author = NULL",  # an all-NULL text column, copied too
         "UPDATE updates SET comment = NULL WHERE id < (SELECT MAX(id) FROM updates)")
    engine = make_engine(fresh_url)
    arrow = ArrowSQLiteReader(fallback=None)
    for plan_id in _plans(engine):
        plain = repository.load_updates(engine, plan_id, reader=arrow)
        monkeypatch.setattr(readers, "_OWN_COPY_ROWS", 1)
        copied = repository.load_updates(engine, plan_id, reader=arrow)
        monkeypatch.setattr(readers, "_OWN_COPY_ROWS", 10**12)
        pd.testing.assert_frame_equal(copied, plain)
        pd.testing.assert_frame_equal(copied, repository.load_updates(engine, plan_id, reader=SQLAlchemyReader()))
    assert copied["author"].isna().all() and copied["comment"].notna().sum() <= 1


def test_a_long_history_read_a_few_columns_at_a_time_loads_the_same_frames(fresh_url, monkeypatch, db_backend):
    """From SPLIT_ROWS updates on, the Arrow reader fetches the history in column groups: the same frames."""
    if db_backend != "sqlite":
        pytest.skip("the column groups are the SQLite Arrow reader's")
    from wehoplan.repository import readers
    from wehoplan.repository import updates as updates_module

    _sql(fresh_url, "DROP TRIGGER updates_no_edit",
         "UPDATE updates SET author = NULL",  # an all-NULL text column
         "UPDATE updates SET comment = NULL WHERE id < (SELECT MAX(id) FROM updates)",  # text only at the end
         "UPDATE updates SET batch_id = NULL")
    engine = make_engine(fresh_url)
    fetched: list[tuple[str, ...]] = []
    frame_of = readers._arrow_frame
    monkeypatch.setattr(readers, "_arrow_frame", lambda table, q: fetched.append(q.columns) or frame_of(table, q))
    for reader in (ArrowSQLiteReader(fallback=None), ArrowSQLiteReader(fallback=None, scan_share=None),
                   ArrowSQLiteReader(fallback=None, scan_share=0.0)):  # scan or index, whichever the plan
        for plan_id in _plans(engine):
            monkeypatch.setattr(updates_module, "SPLIT_ROWS", 10**12)
            whole = repository.load_updates(engine, plan_id, reader=reader)
            monkeypatch.setattr(updates_module, "SPLIT_ROWS", 1)
            fetched.clear()
            grouped = repository.load_updates(engine, plan_id, reader=reader)
            assert set(updates_module.COLUMN_GROUPS) <= set(fetched)  # really read in groups
            for got in (grouped, repository.load_updates(engine, plan_id, reader=SQLAlchemyReader())):
                pd.testing.assert_frame_equal(got, whole, check_exact=True)
    assert grouped["author"].isna().all() and grouped["comment"].notna().sum() <= 1


def test_owned_columns_live_in_new_buffers_with_the_same_values():
    import pyarrow as pa

    from wehoplan.repository.readers import _owned

    table = pa.table({"n": [1, 2, None], "t": ["a", None, "c"], "d": ["2020-01-01"] * 3, "z": pa.nulls(3)})
    got = _owned(table, {"d"})
    assert got.to_pylist() == table.to_pylist() and got.column_names == table.column_names
    assert got["t"].type == pa.large_string()  # as pandas' str dtype holds text
    for name in ("n", "t"):
        old, new = table[name].chunk(0).buffers(), got[name].chunk(0).buffers()
        assert all(a.address != b.address for a, b in zip(old, new, strict=True) if a is not None and b is not None)
    assert got["d"].chunk(0).buffers()[1].address == table["d"].chunk(0).buffers()[1].address  # left as it was
