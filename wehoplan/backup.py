"""Backups of a whole database and restores into an empty one.

Three formats, told apart by their first bytes when restoring:

- a SQLite file, written with SQLite's online backup API (consistent while the app writes);
- a ``pg_dump`` custom-format archive, for PostgreSQL when ``pg_dump`` is installed;
- a portable dump (gzipped JSON lines: the schema revision, then every table's rows), for
  PostgreSQL without ``pg_dump`` or on request; it restores into either database, so it
  also moves a plan from a SQLite file to a PostgreSQL server.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

from sqlalchemy import Boolean, Date, DateTime, Engine, insert, select, text
from sqlalchemy.engine import make_url

from wehoplan import migrations
from wehoplan.db import check_schema, create_schema, schema_state
from wehoplan.models import Base

PORTABLE_MAGIC = b"\x1f\x8b"  # gzip
PG_MAGIC = b"PGDMP"
SQLITE_MAGIC = b"SQLite format 3\x00"
_CHUNK = 5000


class BackupError(RuntimeError):
    """A backup or restore that cannot be done; the message says why."""


def _sqlite_path(engine: Engine) -> str | None:
    db = engine.url.database
    return db if engine.dialect.name == "sqlite" and db not in (None, "", ":memory:") else None


def _libpq_args(engine: Engine) -> tuple[list[str], dict[str, str]]:
    u = engine.url
    args = ["--dbname", str(u.database)]
    if u.host:
        args += ["--host", u.host]
    if u.port:
        args += ["--port", str(u.port)]
    if u.username:
        args += ["--username", u.username]
    env = dict(os.environ)
    if u.password:
        env["PGPASSWORD"] = str(u.password)
    return args, env


def _last_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    return lines[-1] if lines else "no message"


def pg_tool(name: str) -> str | None:
    """Path of a PostgreSQL client tool (pg_dump, pg_restore), newest server version first."""
    for d in sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name or 0), reverse=True):
        if (d / name).exists():
            return str(d / name)
    return shutil.which(name)


def backup(engine: Engine, out: Path, portable: bool = False) -> str:
    """Write a backup of the whole database to ``out`` (which must not exist); return its format.

    Raises:
        BackupError: ``out`` exists, or the database is not at the code's schema revision.

    """
    out = Path(out)
    if out.exists():
        raise BackupError(f"{out} exists already; choose a new file name")
    check_schema(engine)
    path = _sqlite_path(engine)
    if path and not portable:
        with sqlite3.connect(path) as src, sqlite3.connect(out) as dst:
            src.backup(dst)
        return "sqlite"
    pg_dump = pg_tool("pg_dump") if engine.dialect.name == "postgresql" and not portable else None
    if pg_dump:
        args, env = _libpq_args(engine)
        res = subprocess.run([pg_dump, "--format=custom", "--no-owner", "--no-privileges", "--file", str(out), *args],
                             env=env, capture_output=True, text=True)
        if res.returncode != 0:
            out.unlink(missing_ok=True)
            raise BackupError(f"pg_dump failed: {_last_line(res.stderr)}")
        return "pg_dump"
    _portable_dump(engine, out)
    return "portable"


def _json_value(v: Any) -> Any:
    return v.isoformat() if isinstance(v, dt.date | dt.datetime) else v


def _portable_dump(engine: Engine, out: Path) -> None:
    # One repeatable-read transaction: every table as of one instant while others write.
    with engine.connect() as conn, gzip.open(out, "wt", encoding="utf-8") as f:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"))
        f.write(json.dumps({"wehoplan_dump": 1, "revision": migrations.current_revision(conn)}) + "\n")
        for table in Base.metadata.sorted_tables:
            cols = [c.name for c in table.columns]
            result = conn.execute(select(table).order_by(*table.primary_key.columns))
            while rows := result.fetchmany(_CHUNK):
                f.write(json.dumps({"table": table.name, "columns": cols,
                                    "rows": [[_json_value(v) for v in r] for r in rows]}) + "\n")


def _parsers(table) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for c in table.columns:
        if isinstance(c.type, DateTime):
            out[c.name] = dt.datetime.fromisoformat
        elif isinstance(c.type, Date):
            out[c.name] = dt.date.fromisoformat
        elif isinstance(c.type, Boolean):
            out[c.name] = bool
    return out


def restore(engine: Engine, src: Path) -> str:
    """Restore backup ``src`` into ``engine``'s database, which must hold no tables; return the format read.

    Raises:
        BackupError: the target is not empty, the file is not a wehoplan backup, or it was made by
            another schema revision.

    """
    src = Path(src)
    if not src.is_file():
        raise BackupError(f"{src}: no such file")
    if schema_state(engine) != "blank":
        raise BackupError("restore goes into an empty database only; this one holds tables")
    head = src.open("rb").read(16)
    if head.startswith(SQLITE_MAGIC):
        path = _sqlite_path(engine)
        if path is None:
            raise BackupError("a SQLite backup restores into a SQLite file; make a portable backup for PostgreSQL")
        with sqlite3.connect(src) as s, sqlite3.connect(path) as d:
            s.backup(d)
        check_schema(engine)
        return "sqlite"
    if head.startswith(PG_MAGIC):
        pg_restore = pg_tool("pg_restore")
        if engine.dialect.name != "postgresql" or pg_restore is None:
            raise BackupError("a pg_dump archive restores into PostgreSQL with pg_restore installed")
        args, env = _libpq_args(engine)
        res = subprocess.run([pg_restore, "--no-owner", "--no-privileges", "--single-transaction",
                              "--exit-on-error", *args, str(src)], env=env, capture_output=True, text=True)
        if res.returncode != 0:
            raise BackupError(f"pg_restore failed: {_last_line(res.stderr)}")
        check_schema(engine)
        return "pg_dump"
    if head.startswith(PORTABLE_MAGIC):
        _portable_restore(engine, src)
        return "portable"
    raise BackupError(f"{src} is not a wehoplan backup (SQLite file, pg_dump archive or portable dump)")


def _portable_restore(engine: Engine, src: Path) -> None:
    tables = {t.name: t for t in Base.metadata.sorted_tables}
    with gzip.open(src, "rt", encoding="utf-8") as f:
        try:
            header = json.loads(f.readline())
        except ValueError:
            raise BackupError(f"{src} is not a wehoplan backup") from None
        if not isinstance(header, dict) or header.get("wehoplan_dump") != 1:
            raise BackupError(f"{src} is not a wehoplan backup")
        if header.get("revision") != migrations.head_revision():
            raise BackupError(f"{src} has schema revision {header.get('revision')}, this wehoplan "
                              f"{migrations.head_revision()}: restore it with the wehoplan that made it, then upgrade")
        create_schema(engine)
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM meta"))
            for line in f:
                block = json.loads(line)
                table = tables[block["table"]]
                parse = _parsers(table)
                rows = [{c: (parse[c](v) if v is not None and c in parse else v)
                         for c, v in zip(block["columns"], r, strict=True)} for r in block["rows"]]
                conn.execute(insert(table), rows)
            if engine.dialect.name == "postgresql":
                # Rows came with their ids: move each id sequence past them.
                for table in tables.values():
                    if "id" in table.columns:
                        conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                                          f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"))


def describe(url: str) -> str:
    """The URL with any password hidden, for messages."""
    return make_url(url).render_as_string(hide_password=True)
