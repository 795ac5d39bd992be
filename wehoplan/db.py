"""Engine factory, schema creation and the data version.

SQLite leaves foreign keys off unless each connection turns them on, so the engine
sets ``foreign_keys=ON``, WAL and a busy timeout on every new connection.
"""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url

from wehoplan.models import Base

# Append-only tables: the data layer never deletes or edits them, and SQLite enforces
# it too. The one exception is undoing an import, which may remove the updates that
# the (already marked undone) batch added.
_SQLITE_TRIGGERS = (
    """CREATE TRIGGER IF NOT EXISTS updates_no_edit BEFORE UPDATE ON updates
       BEGIN SELECT RAISE(ABORT, 'progress updates are append-only'); END""",
    """CREATE TRIGGER IF NOT EXISTS updates_no_delete BEFORE DELETE ON updates
       WHEN OLD.batch_id IS NULL
         OR (SELECT undone_at FROM import_batches WHERE id = OLD.batch_id) IS NULL
       BEGIN SELECT RAISE(ABORT, 'progress updates are append-only'); END""",
    """CREATE TRIGGER IF NOT EXISTS audit_no_edit BEFORE UPDATE ON audit
       BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END""",
    """CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
       BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END""",
)


# ---- append-only bypasses (issue 11), kept in their own block: REPLACE INTO deletes the row it
# replaces without firing DELETE triggers (recursive triggers are off), so an insert over an
# existing id is refused outright; an import batch is marked undone once, never unmarked, and
# only with its undo already on the audit trail, so no update leaves without a trace.
_SQLITE_BYPASS_GUARDS = (
    *(f"""CREATE TRIGGER IF NOT EXISTS {table}_no_replace BEFORE INSERT ON {table}
       WHEN NEW.id IS NOT NULL AND EXISTS (SELECT 1 FROM {table} WHERE id = NEW.id)
       BEGIN SELECT RAISE(ABORT, '{what} are append-only: an existing row cannot be replaced'); END"""
      for table, what in (("updates", "progress updates"), ("audit", "audit rows"),
                          ("import_batches", "import batches"))),
    """CREATE TRIGGER IF NOT EXISTS import_batches_undone_once BEFORE UPDATE OF undone_at ON import_batches
       WHEN OLD.undone_at IS NOT NULL AND (NEW.undone_at IS NULL OR NEW.undone_at <> OLD.undone_at)
       BEGIN SELECT RAISE(ABORT, 'an undone import batch stays undone'); END""",
    """CREATE TRIGGER IF NOT EXISTS import_batches_undo_audited BEFORE UPDATE OF undone_at ON import_batches
       WHEN OLD.undone_at IS NULL AND NEW.undone_at IS NOT NULL AND NOT EXISTS (
         SELECT 1 FROM audit WHERE action = 'undo' AND entity = 'batch' AND entity_id = NEW.id)
       BEGIN SELECT RAISE(ABORT, 'an import batch is marked undone only by undo-import'); END""",
    """CREATE TRIGGER IF NOT EXISTS import_batches_no_rekey BEFORE UPDATE OF id ON import_batches
       WHEN NEW.id <> OLD.id
       BEGIN SELECT RAISE(ABORT, 'import batches keep their id'); END""",
)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    # No checkpoint at commit time: the Arrow reader (repository.readers, ADBC) links its own copy
    # of SQLite, whose read locks this copy cannot see inside one process, so a commit-time
    # checkpoint could rewrite pages under a running Arrow read. Checkpoints run instead in
    # :func:`checkpoint`, under READ_LOCK, which every Arrow read holds.
    cur.execute("PRAGMA wal_autocheckpoint=0")
    cur.close()


READ_LOCK = threading.RLock()


def checkpoint(engine: Engine) -> None:
    """Copy the WAL into the database file (PASSIVE) while no Arrow read is running."""
    if engine.dialect.name != "sqlite":
        return
    with READ_LOCK, engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")


def make_engine(url: str) -> Engine:
    """Create an engine for ``url``; SQLite files get their folder created and pragmas set."""
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        if u.database and u.database != ":memory:":
            Path(u.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def create_schema(engine: Engine) -> None:
    """Create every table (idempotent) and the append-only triggers where supported."""
    Base.metadata.create_all(engine)
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            for ddl in _SQLITE_TRIGGERS + _SQLITE_BYPASS_GUARDS:
                conn.execute(text(ddl))
        conn.execute(
            text("INSERT INTO meta (key, value) SELECT 'data_version', '0' "
                 "WHERE NOT EXISTS (SELECT 1 FROM meta WHERE key = 'data_version')")
        )


def bump_data_version(conn) -> None:
    """Mark the data as changed; call inside the writing transaction."""
    conn.execute(
        text("UPDATE meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'data_version'")
    )


def data_version(engine: Engine) -> int:
    """A number that changes on every write; caches key on it. -1 if there is no schema."""
    try:
        with engine.connect() as conn:
            v = conn.execute(text("SELECT value FROM meta WHERE key = 'data_version'")).scalar()
    except Exception:
        return -1
    return int(v) if v is not None else -1


def database_exists(url: str) -> bool:
    """True when the database holds a wehoplan schema (SQLite: the file exists and has it)."""
    u = make_url(url)
    if u.get_backend_name() == "sqlite" and u.database not in (None, "", ":memory:"):
        if not Path(u.database).exists():
            return False
    return data_version(make_engine(url)) >= 0
