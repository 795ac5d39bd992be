"""Engine factory, schema creation and checks, and the data version.

SQLite leaves foreign keys off unless each connection turns them on, so the engine
sets ``foreign_keys=ON``, WAL and a busy timeout on every new connection.

The schema has a revision (Alembic, :mod:`wehoplan.migrations`). :func:`create_schema`
builds it only in a database with no tables at all and stamps it with the code's revision;
:func:`check_schema` refuses a database whose revision is older or newer than the code
with one line naming the command to run (``wehoplan db upgrade``).
"""

from __future__ import annotations

import os
import sqlite3
import threading
from contextlib import closing
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, inspect, text
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


# PostgreSQL: the same rules in PL/pgSQL (row triggers, plus TRUNCATE, which skips row triggers).
PG_TRIGGERS = (
    """CREATE OR REPLACE FUNCTION wehoplan_updates_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF TG_OP = 'DELETE' AND OLD.batch_id IS NOT NULL AND EXISTS (
              SELECT 1 FROM import_batches WHERE id = OLD.batch_id AND undone_at IS NOT NULL) THEN
           RETURN OLD;
         END IF;
         RAISE EXCEPTION 'progress updates are append-only';
       END $$""",
    """CREATE OR REPLACE FUNCTION wehoplan_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN RAISE EXCEPTION 'the audit trail is append-only'; END $$""",
    """CREATE TRIGGER updates_append_only BEFORE UPDATE OR DELETE ON updates
       FOR EACH ROW EXECUTE FUNCTION wehoplan_updates_append_only()""",
    """CREATE TRIGGER updates_no_truncate BEFORE TRUNCATE ON updates
       FOR EACH STATEMENT EXECUTE FUNCTION wehoplan_audit_append_only()""",
    """CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit
       FOR EACH ROW EXECUTE FUNCTION wehoplan_audit_append_only()""",
    """CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit
       FOR EACH STATEMENT EXECUTE FUNCTION wehoplan_audit_append_only()""",
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


# PostgreSQL has no REPLACE INTO (ON CONFLICT DO UPDATE fires the update triggers above); the
# import-batch rules are the same as SQLite's.
PG_BYPASS_GUARDS = (
    """CREATE OR REPLACE FUNCTION wehoplan_batch_guard() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF NEW.id <> OLD.id THEN RAISE EXCEPTION 'import batches keep their id'; END IF;
         IF OLD.undone_at IS NOT NULL AND (NEW.undone_at IS NULL OR NEW.undone_at <> OLD.undone_at) THEN
           RAISE EXCEPTION 'an undone import batch stays undone';
         END IF;
         IF OLD.undone_at IS NULL AND NEW.undone_at IS NOT NULL AND NOT EXISTS (
              SELECT 1 FROM audit WHERE action = 'undo' AND entity = 'batch' AND entity_id = NEW.id) THEN
           RAISE EXCEPTION 'an import batch is marked undone only by undo-import';
         END IF;
         RETURN NEW;
       END $$""",
    """CREATE TRIGGER import_batches_guard BEFORE UPDATE ON import_batches
       FOR EACH ROW EXECUTE FUNCTION wehoplan_batch_guard()""",
)


def _sqlite_guards(table: str, message: str, replaced: str) -> tuple[str, ...]:
    """SQLite triggers refusing any UPDATE or DELETE of ``table`` and an INSERT replacing a row."""
    return (
        f"""CREATE TRIGGER IF NOT EXISTS {table}_no_edit BEFORE UPDATE ON {table}
       BEGIN SELECT RAISE(ABORT, '{message}'); END""",
        f"""CREATE TRIGGER IF NOT EXISTS {table}_no_delete BEFORE DELETE ON {table}
       BEGIN SELECT RAISE(ABORT, '{message}'); END""",
        f"""CREATE TRIGGER IF NOT EXISTS {table}_no_replace BEFORE INSERT ON {table}
       WHEN NEW.id IS NOT NULL AND EXISTS (SELECT 1 FROM {table} WHERE id = NEW.id)
       BEGIN SELECT RAISE(ABORT, '{replaced}'); END""",
    )


def _pg_guards(table: str, function: str, trigger: str, message: str) -> tuple[str, ...]:
    """PostgreSQL: a function raising ``message``, run before any UPDATE, DELETE or TRUNCATE of ``table``."""
    return (
        f"""CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN RAISE EXCEPTION '{message}'; END $$""",
        f"""CREATE TRIGGER {trigger} BEFORE UPDATE OR DELETE ON {table}
       FOR EACH ROW EXECUTE FUNCTION {function}()""",
        f"""CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
       FOR EACH STATEMENT EXECUTE FUNCTION {function}()""",
    )


# ---- measure values (issue 17): append-only like progress updates, with no undo exception.
SQLITE_MEASURE_TRIGGERS = _sqlite_guards("measure_values", "measure values are append-only",
                                         "measure values are append-only: an existing row cannot be replaced")
PG_MEASURE_TRIGGERS = _pg_guards("measure_values", "wehoplan_measure_values_append_only",
                                 "measure_values_append_only", "measure values are append-only")

# ---- publications (issue 19): what went out on a day is frozen, in the database as in the ORM.
SQLITE_PUBLICATION_TRIGGERS = _sqlite_guards("publications", "publications are frozen: never edited or deleted",
                                             "publications are frozen: an existing one cannot be replaced")
PG_PUBLICATION_TRIGGERS = _pg_guards("publications", "wehoplan_publications_frozen", "publications_frozen",
                                     "publications are frozen: never edited or deleted")


class SchemaError(RuntimeError):
    """The database's schema is not the one this code runs on; the message names the command to run."""


def install_triggers(conn) -> None:
    """Create the append-only triggers of the connection's dialect (inside the caller's transaction)."""
    name = conn.dialect.name
    ddls = ((*_SQLITE_TRIGGERS, *_SQLITE_BYPASS_GUARDS, *SQLITE_MEASURE_TRIGGERS, *SQLITE_PUBLICATION_TRIGGERS)
            if name == "sqlite" else
            (*PG_TRIGGERS, *PG_BYPASS_GUARDS, *PG_MEASURE_TRIGGERS, *PG_PUBLICATION_TRIGGERS)
            if name == "postgresql" else ())
    for ddl in ddls:
        conn.execute(text(ddl))


def sqlite_pragmas(dbapi_connection, _record=None) -> None:
    """The settings of every SQLite connection the app opens (a listener of the engine's "connect")."""
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
        event.listen(engine, "connect", sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _display(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def schema_state(engine: Engine) -> str:
    """Where the database's schema stands against the code.

    Returns:
        ``"blank"`` (no tables at all), ``"current"`` (the code's revision), ``"old"`` (an older
        revision, or today's tables from before revisions were kept), ``"new"`` (a revision
        this code does not know: made by newer code), or ``"foreign"`` (tables, none of them ours).

    """
    from wehoplan import migrations

    with engine.connect() as conn:
        tables = set(inspect(conn).get_table_names())
        if not tables:
            return "blank"
        if "alembic_version" not in tables:
            return "old" if "meta" in tables and "items" in tables else "foreign"
        rev = migrations.current_revision(conn)
    if rev == migrations.head_revision():
        return "current"
    return "old" if rev is None or migrations.is_known(rev) else "new"


def check_schema(engine: Engine) -> None:
    """Raise :class:`SchemaError` unless the database holds this code's schema revision."""
    state = schema_state(engine)
    if state == "current":
        return
    where = _display(engine)
    if state == "blank":
        raise SchemaError(f"no wehoplan database at {where}; run `wehoplan init-demo` or import a plan")
    if state == "old":
        raise SchemaError(f"the database at {where} has an older schema; run `wehoplan db upgrade --db URL` "
                          "(back it up first with `wehoplan db backup`)")
    if state == "new":
        raise SchemaError(f"the database at {where} was upgraded by a newer wehoplan; upgrade wehoplan itself")
    raise SchemaError(f"the database at {where} holds other tables and no wehoplan schema; "
                      "use an empty database for wehoplan")


def create_schema(engine: Engine) -> None:
    """Make sure the database holds this code's schema, building it in a database with no tables.

    A blank database gets every table, the append-only triggers and the code's schema revision,
    in one transaction. A current one is left as it is. Anything else is refused: tables are
    never created silently beside other tables, nor over an older or newer schema.

    Raises:
        SchemaError: the database is not blank and not at the code's revision (the message says what to run).

    """
    from wehoplan import migrations

    state = schema_state(engine)
    if state == "blank":
        with engine.begin() as conn:
            Base.metadata.create_all(conn)
            install_triggers(conn)
            conn.execute(text("INSERT INTO meta (key, value) VALUES ('data_version', '0')"))
            migrations.stamp_head(conn)
        return
    check_schema(engine)


def drop_schema(engine: Engine) -> None:
    """Drop every wehoplan table and the schema revision (all data in them is lost)."""
    Base.metadata.drop_all(engine)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))


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


def database_problem(url: str, on_page: bool = False) -> str | None:
    """Why an existing SQLite file at ``url`` cannot be used, in one line (None: no such file, or not SQLite).

    "No database, run init-demo" is only right when there is no file: for a read-only,
    unreadable, corrupt or foreign file that advice would point at a destructive fix. ``on_page``
    words the advice for a web page, which has no command-line options.
    """
    dont = "do not rebuild the demo over it" if on_page else "do not run init-demo over it"
    elsewhere = "point WEHOPLAN_DATABASE_URL at the right database" if on_page else "pass the right --db"
    u = make_url(url)
    if u.get_backend_name() != "sqlite" or u.database in (None, "", ":memory:"):
        return None
    path = Path(u.database)
    if not path.exists():
        return None
    if not os.access(path, os.R_OK):
        return f"cannot read the database file {path} (permission denied); check its owner and permissions"
    if not os.access(path, os.W_OK) or not os.access(path.parent, os.W_OK):
        return (f"the database file {path} (or its folder) is read-only; wehoplan needs write access to it "
                "and its folder, even to read (its journal lives beside it)")
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            has_meta = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'meta'").fetchone()
            # Only on this failure path: a cut-off file can lose its schema rows too.
            check = conn.execute("PRAGMA quick_check(1)").fetchone() if not has_meta else ("ok",)
    except sqlite3.DatabaseError as exc:
        return (f"the database file {path} cannot be read ({exc}); it is damaged or not a database. "
                f"Restore it from a backup; {dont}")
    if check and check[0] != "ok":
        return (f"the database file {path} is damaged ({check[0]}). Restore it from a backup; "
                f"{dont}")
    if not has_meta:
        return f"{path} is an SQLite file without a wehoplan schema; {elsewhere}"
    return None
