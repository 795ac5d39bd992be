"""One way to run read queries into DataFrames, whichever reader fetches the rows.

A :class:`Query` is written once (a SQLAlchemy ``text()`` with named bound parameters or
a Core ``select()``) and every :class:`Reader` accepts it:

- :class:`SQLAlchemyReader` runs it through the engine (any database);
- :class:`ArrowSQLiteReader` compiles it for SQLite and fetches Arrow tables through
  ``adbc-driver-sqlite`` (a SQLite file only; much faster on large tables);
- :class:`ArrowPostgresReader` compiles it for PostgreSQL and fetches Arrow tables through
  ``adbc-driver-postgresql`` (the server's binary COPY protocol, no Python object per value).

:func:`reader_for` picks the reader an engine allows. Callers pass ``reader=`` to the
loaders to choose one; tests run the same behaviour tests against every reader.
"""

from __future__ import annotations

import atexit
import datetime as dt
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote

import pandas as pd
from sqlalchemy import Engine, Integer, Select, TextClause, bindparam, text
from sqlalchemy.exc import CompileError

from wehoplan.db import READ_LOCK, checkpoint


@dataclass(frozen=True)
class Query:
    """One read statement and the frame it gives.

    Attributes:
        statement: SQL text with ``:name`` parameters, or a SQLAlchemy Core statement.
        columns: the result's column names, in select order.
        params: values of the bound parameters.
        dates: columns to return as ``datetime64[ns]`` (unparseable values become NaT).
        own: the Arrow readers copy every column out of the driver's result (into buffers of
            exactly their size: the driver grows its buffers as it reads), so the result is freed
            as soon as the frame is built; for a long result read in parts.

    """

    statement: str | TextClause | Select[Any]
    columns: tuple[str, ...]
    params: Mapping[str, object] = field(default_factory=dict)
    dates: tuple[str, ...] = ()
    own: bool = False

    def executable(self) -> TextClause | Select[Any]:
        """The statement as something SQLAlchemy can execute or compile."""
        return text(self.statement) if isinstance(self.statement, str) else self.statement


class Reader(Protocol):
    """Runs queries in one read snapshot and returns one DataFrame per query.

    Column dtypes are what pandas infers from the fetched values, except ``dates``
    (``datetime64[ns]``); the loaders pin the final dtypes, so every reader gives the
    same frames.
    """

    @property
    def scan_share(self) -> float | None:
        """Share of a table above which a plan's rows are read fastest by a whole-table scan.

        Above it the whole table is read and filtered in memory instead of going through
        an index (None: never scan).
        """
        ...

    def frames(self, engine: Engine, *queries: Query) -> list[pd.DataFrame]:
        """Run ``queries`` in one transaction; one frame per query."""
        ...


def _dates(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s, errors="coerce").astype("datetime64[ns]")


@dataclass(frozen=True)
class SQLAlchemyReader:
    """Rows through the engine's own driver (SQLite, PostgreSQL, ...)."""

    scan_share: float | None = None

    def frames(self, engine: Engine, *queries: Query) -> list[pd.DataFrame]:
        """Run ``queries`` in one transaction; one frame per query."""
        out = []
        with engine.connect() as conn, conn.begin():
            if len(queries) > 1 and engine.dialect.name == "sqlite":
                # pysqlite opens no transaction for a SELECT: without this BEGIN each query
                # would see the data as of its own start, not one snapshot.
                conn.exec_driver_sql("BEGIN")
            for q in queries:
                rows = conn.execute(q.executable(), dict(q.params)).all()
                df = pd.DataFrame(rows, columns=list(q.columns))
                if q.dates:
                    df = df.assign(**{c: _dates(df[c]) for c in q.dates})
                out.append(df)
        return out


class ArrowUnavailable(RuntimeError):
    """The Arrow reader cannot read this engine's database (not a SQLite file, no driver)."""


def arrow_sqlite_path(engine: Engine) -> str | None:
    """Path of the SQLite file behind ``engine`` when the Arrow reader can read it, else None."""
    if engine.dialect.name != "sqlite":
        return None
    db = engine.url.database
    if not db or db == ":memory:" or db.startswith("file:"):
        return None
    try:
        import adbc_driver_sqlite.dbapi  # noqa: F401 - optional: only the Arrow reader needs it
    except ImportError:
        return None
    return db if Path(db).exists() else None


def _adbc_errors() -> tuple[type[BaseException], ...]:
    """What a failed Arrow read raises (none of the driver's own when it is not installed)."""
    try:
        from adbc_driver_manager import Error
    except ImportError:
        return (OSError,)
    return (Error, OSError)


class _ArrowConnections:
    """The process's read-only ADBC connections, one per file (a small LRU).

    ADBC links its own copy of SQLite. Two copies in one process do not share SQLite's
    per-process bookkeeping of file locks, and closing a file in one copy drops the POSIX
    locks the other holds; a read-write ADBC connection closing as the "last" one also
    checkpoints and deletes the WAL under the other copy's feet ("disk I/O error" /
    "database disk image is malformed" within 30 alternations). So ADBC only ever opens
    the file read-only (it never checkpoints, never deletes the WAL) and its connections
    stay open for the life of the process. The pool holds connections, never results.

    The other way round, too: when the last of the *engine's* connections to a file closes
    (an engine disposed or garbage-collected: a CLI command, a restore, a test), its copy
    of SQLite believes it is alone, checkpoints, and deletes the WAL and the ``-shm``
    wal-index, while ADBC's open connection keeps the deleted wal-index mapped. Every
    later ADBC read then trusts that stale index: it never sees another commit (or mixes
    old cached pages with newer ones: "database disk image is malformed"). So beside each
    ADBC connection the pool keeps one read-only connection of the engine's copy
    (``sqlite3``), the *anchor*, which holds that copy's wal-index open: the engine's
    copy is never the last one while ADBC reads the file. Both close together.
    """

    def __init__(self, lock: threading.RLock, max_open: int = 8) -> None:
        self.lock = lock  # shared with db.checkpoint: no checkpoint during an Arrow read
        self.max_open = max_open
        self._open: OrderedDict[str, Any] = OrderedDict()

    def get(self, path: str) -> Any:
        """Return the read-only connection to ``path`` (call with :attr:`lock` held)."""
        import adbc_driver_sqlite.dbapi as adbc

        key = str(Path(path).resolve())
        pair = self._open.pop(key, None)
        if pair is None:
            uri = f"file:{quote(key)}?mode=ro"
            anchor = sqlite3.connect(uri, uri=True, check_same_thread=False)
            anchor.execute("SELECT count(*) FROM sqlite_master").fetchall()  # maps the wal-index
            pair = (adbc.connect(uri, autocommit=True), anchor)
            while len(self._open) >= self.max_open:
                _close(self._open.popitem(last=False)[1])
        self._open[key] = pair
        return pair[0]

    def close_all(self) -> None:
        """Close every connection (at exit: ADBC's own __del__ fails once its module is gone)."""
        with self.lock:
            while self._open:
                try:
                    _close(self._open.popitem()[1])
                except Exception:
                    pass


def _close(pair: tuple[Any, sqlite3.Connection]) -> None:
    """Close an ADBC connection, then its anchor (so the engine's copy may clean up the WAL)."""
    try:
        pair[0].close()
    finally:
        pair[1].close()


_CONNECTIONS = _ArrowConnections(READ_LOCK)
atexit.register(_CONNECTIONS.close_all)


@dataclass(frozen=True)
class ArrowSQLiteReader:
    """Arrow tables through ``adbc-driver-sqlite`` from a SQLite file, read-only.

    Every read holds ``db.READ_LOCK`` and checkpoints first: the engine turns SQLite's
    automatic checkpoints off (``wal_autocheckpoint=0``, see ``db.py``) so that no
    checkpoint rewrites pages under a running Arrow read, and these are the only ones.

    Attributes:
        fallback: the reader that answers when the Arrow read fails (a value the driver
            cannot put in its column, or no file to read); None raises instead.
        scan_share: see :class:`Reader`.

    """

    fallback: Reader | None = SQLAlchemyReader()
    scan_share: float | None = 0.25

    def frames(self, engine: Engine, *queries: Query) -> list[pd.DataFrame]:
        """Run ``queries`` in one read transaction; one frame per query."""
        path = arrow_sqlite_path(engine)
        failures: tuple[type[BaseException], ...] = (ArrowUnavailable, *_adbc_errors())
        try:
            if path is None:
                raise ArrowUnavailable(f"no SQLite file the Arrow reader can open behind {engine.url!r}")
            return self._fetch(engine, path, queries)
        except failures:
            if self.fallback is None:
                raise
            return self.fallback.frames(engine, *queries)

    @staticmethod
    def _fetch(engine: Engine, path: str, queries: tuple[Query, ...]) -> list[pd.DataFrame]:
        compiled = []
        for q in queries:
            c = q.executable().compile(dialect=engine.dialect)
            values = c.construct_params(dict(q.params))
            compiled.append((str(c), tuple(values[k] for k in c.positiontup or ())))
        out = []
        with _CONNECTIONS.lock:  # one ADBC connection per file, shared by Streamlit's threads
            checkpoint(engine)  # the only checkpoints: never during an Arrow read (see db.py)
            cur = _CONNECTIONS.get(path).cursor()
            # One batch per result: the driver infers each column's type from its first batch,
            # so a column that starts with NULLs and holds text later would fail with small
            # batches; one batch is also faster.
            cur.adbc_statement.set_options(**{"adbc.sqlite.query.batch_rows": "100000000"})
            try:
                cur.execute("BEGIN")  # every query of the call sees one snapshot
                try:
                    for (sql, params), q in zip(compiled, queries, strict=True):
                        cur.execute(sql, params or None)
                        # Each result becomes its frame before the next query runs: the driver's
                        # result (one allocation) is freed before the next one is made, so a
                        # history read a few columns at a time never holds two results at once.
                        out.append(_arrow_frame(cur.fetch_arrow_table(), q))
                finally:
                    cur.execute("COMMIT")
            finally:
                cur.close()
        return out


# From this many rows on, a result whose dates came as text is copied out of the driver's batch
# (below it the batch is small and the copy would only cost time).
_OWN_COPY_ROWS = 1_000_000


def _owned(table, replaced: set[str]):
    """``table`` with every column not in ``replaced`` copied into buffers of its own.

    A result imported from the driver is one allocation: its buffers are freed only when no
    column of it is referenced any more. The frame would keep it all alive through its
    zero-copy columns, the ISO text of the date columns included (parsed into new timestamp
    columns, never read again): about a third more memory than the frame itself holds, for
    the life of the cached plan frames.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    cols = []
    for name in table.column_names:
        col = table[name]
        if name not in replaced:
            if pa.types.is_string(col.type):  # as pandas' str dtype holds it: no second offsets copy later
                col = pc.cast(col, pa.large_string())
            # Concatenate always allocates: an empty tail forces the copy.
            col = pa.chunked_array([pa.concat_arrays([*col.chunks, pa.array([], col.type)])], col.type)
        cols.append(col)
    return pa.Table.from_arrays(cols, names=table.column_names)


def _arrow_frame(table, q: Query) -> pd.DataFrame:
    """An Arrow table as a frame named by ``q.columns``, its ``q.dates`` parsed in Arrow."""
    import pyarrow as pa
    import pyarrow.compute as pc

    table = table.rename_columns(list(q.columns))
    later = []
    parsed_text = set()
    for c in q.dates:
        arr = table[c]
        if pa.types.is_timestamp(arr.type):
            parsed = pc.cast(arr, pa.timestamp("ns"))
        else:
            try:  # ISO text, as SQLAlchemy stores dates in SQLite: parsed in C++
                parsed = pc.cast(pc.cast(arr, pa.string()), pa.timestamp("ns"))
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                later.append(c)  # leave to pandas' tolerant parser
                continue
            parsed_text.add(c)
        table = table.set_column(table.schema.get_field_index(c), c, parsed)
    if (parsed_text and table.num_rows >= _OWN_COPY_ROWS) or q.own:
        table = _owned(table, parsed_text)
    # split_blocks: no consolidation copy of the numeric columns.
    df = table.to_pandas(split_blocks=True)
    return df.assign(**{c: _dates(df[c]) for c in later}) if later else df


def arrow_postgres_uri(engine: Engine) -> str | None:
    """The libpq URI of the PostgreSQL database behind ``engine`` when ADBC can read it, else None."""
    if engine.dialect.name != "postgresql":
        return None
    try:
        import adbc_driver_postgresql.dbapi  # noqa: F401 - optional: only this reader needs it
    except ImportError:
        return None
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


@dataclass(frozen=True)
class ArrowPostgresReader:
    """Arrow tables through ``adbc-driver-postgresql``; the queries of one call share one snapshot.

    Attributes:
        fallback: the reader that answers when the Arrow read fails; None raises instead.
        scan_share: see :class:`Reader`.

    """

    fallback: Reader | None = SQLAlchemyReader()
    # A plan holding most of the history is sent faster as the whole table, filtered here by its
    # item ids (read in the same snapshot), than through the semi-join with items, which the
    # server also runs with parallel workers whose rows it passes on: about 15 % of the 10k plan's
    # history load (bench/README.md, eighth pass).
    scan_share: float | None = 0.25

    def frames(self, engine: Engine, *queries: Query) -> list[pd.DataFrame]:
        """Run ``queries`` in one repeatable-read transaction; one frame per query."""
        uri = arrow_postgres_uri(engine)
        failures: tuple[type[BaseException], ...] = (ArrowUnavailable, *_adbc_errors())
        try:
            if uri is None:
                raise ArrowUnavailable(f"no PostgreSQL database the Arrow reader can open behind {engine.url!r}")
            tables = self._fetch(uri, queries)
        except failures:
            if self.fallback is None:
                raise
            return self.fallback.frames(engine, *queries)
        return [_arrow_frame(t, q) for t, q in zip(tables, queries, strict=True)]

    @staticmethod
    def _fetch(uri: str, queries: tuple[Query, ...]) -> list:
        compiled = [_pg_statement(q) for q in queries]
        conn = _PG_CONNECTIONS.take(uri)
        try:
            out = _pg_run(conn, compiled)
        except _adbc_errors():
            conn.close()  # a pooled connection the server dropped (restart, idle timeout): one retry
            conn = _PG_CONNECTIONS.take(uri, fresh=True)
            try:
                out = _pg_run(conn, compiled)
            except BaseException:
                conn.close()
                raise
        except BaseException:
            conn.close()
            raise
        _PG_CONNECTIONS.give_back(uri, conn)
        return out


def _pg_statement(q: Query) -> tuple[str, tuple[object, ...] | None]:
    """SQL for ADBC and its parameters; integer parameters written into the SQL.

    ADBC's PostgreSQL driver runs a statement without parameters through binary ``COPY (...) TO
    STDOUT``; one with bound parameters goes through a prepared statement whose rows it reads
    another, slower way (the whole history took about 1.5x as long). The ids the loaders bind
    (plan ids) are integers, which SQLAlchemy writes as plain digits: nothing a user typed
    reaches the SQL text. Any other parameter stays bound.
    """
    from sqlalchemy.dialects.postgresql import psycopg

    dialect = psycopg.dialect(paramstyle="numeric_dollar")  # ADBC binds $1, $2, ...
    stmt = q.executable()
    c = stmt.compile(dialect=dialect)
    values = c.construct_params(dict(q.params))
    keys = c.positiontup or ()
    if keys and all(type(values[k]) is int for k in keys):
        typed: TextClause | Select[Any]
        if isinstance(stmt, TextClause):  # text() binds are untyped: say they are integers
            typed = stmt.bindparams(*(bindparam(k, v, type_=Integer()) for k, v in q.params.items()))
        else:
            typed = stmt.params(**dict(q.params)) if q.params else stmt
        try:
            return str(typed.compile(dialect=dialect, compile_kwargs={"literal_binds": True})), None
        except CompileError:
            pass  # a type SQLAlchemy cannot write as a literal: keep it bound
    return str(c), tuple(_pg_param(values[k]) for k in keys) or None


def _pg_run(conn: Any, compiled: list[tuple[str, tuple[object, ...] | None]]) -> list:
    """Run the statements in one repeatable-read, read-only transaction on ``conn``."""
    out = []
    with conn.cursor() as cur:
        try:
            cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            for sql, params in compiled:
                cur.execute(sql, params)
                out.append(cur.fetch_arrow_table())
        finally:
            conn.rollback()
    return out


class _PostgresConnections:
    """Idle ADBC connections per database, reused across reads.

    A new connection costs a round of authentication and session set-up, several times a
    small query. A connection serves one read at a time: :meth:`take` removes it from the
    pool, :meth:`give_back` returns it. The pool holds connections, never results.
    """

    def __init__(self, max_idle: int = 4) -> None:
        self.max_idle = max_idle
        self._lock = threading.Lock()
        self._idle: dict[str, list[Any]] = {}

    def take(self, uri: str, fresh: bool = False) -> Any:
        """An idle connection to ``uri``, or a new one (``fresh``: always new)."""
        import adbc_driver_postgresql.dbapi as adbc

        if not fresh:
            with self._lock:
                idle = self._idle.get(uri)
                if idle:
                    return idle.pop()
        return adbc.connect(uri)

    def give_back(self, uri: str, conn: Any) -> None:
        """Keep ``conn`` for the next read, or close it when enough are idle."""
        with self._lock:
            idle = self._idle.setdefault(uri, [])
            if len(idle) < self.max_idle:
                idle.append(conn)
                return
        conn.close()

    def close_all(self) -> None:
        """Close every idle connection (at exit, before the driver's module goes)."""
        with self._lock:
            conns = [c for idle in self._idle.values() for c in idle]
            self._idle.clear()
        for c in conns:
            try:
                c.close()
            except Exception:
                pass


_PG_CONNECTIONS = _PostgresConnections()
atexit.register(_PG_CONNECTIONS.close_all)


def _pg_param(value: object) -> object:
    """A bound value as ADBC should type it: ISO date text as a date.

    ADBC binds typed values (a str is ``text``), where psycopg leaves a string's type to the
    server; the loaders pass dates as ISO text (what SQLite stores), which PostgreSQL will not
    compare with a ``date`` column unless it arrives as one.
    """
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return value
    return value


def reader_for(engine: Engine, prefer_arrow: bool = True) -> Reader:
    """The reader for ``engine``: Arrow on a SQLite file or PostgreSQL when the driver is installed, else SQLAlchemy."""
    if prefer_arrow and arrow_sqlite_path(engine) is not None:
        return ArrowSQLiteReader()
    if prefer_arrow and arrow_postgres_uri(engine) is not None:
        return ArrowPostgresReader()
    return SQLAlchemyReader()


def read_frames(engine: Engine, *queries: Query, reader: Reader | None = None) -> list[pd.DataFrame]:
    """Run ``queries`` in one snapshot with ``reader`` (default :func:`reader_for` the engine)."""
    return (reader or reader_for(engine)).frames(engine, *queries)


def read_frame(engine: Engine, query: Query, reader: Reader | None = None) -> pd.DataFrame:
    """Run one query into a frame with ``reader`` (default :func:`reader_for` the engine)."""
    return read_frames(engine, query, reader=reader)[0]
