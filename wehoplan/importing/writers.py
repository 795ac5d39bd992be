"""How the import's big INSERTs reach the database: chosen by the engine or by the caller.

Both writers store the same rows (tests/test_importing_write.py runs the import's rules
against each); the sqlite3 driver's own executemany skips SQLAlchemy's per-row bind
processing, which dominates large imports.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import Engine, Table
from sqlalchemy.orm import Session


class RowWriter(Protocol):
    """How the import's big INSERTs reach the database (the rows stored are the same)."""

    def insert_many(self, s: Session, table: Table, cols: tuple[str, ...], rows: list[tuple]) -> None:
        """INSERT ``rows`` (tuples in ``cols`` order) into ``table`` in the session's transaction."""
        ...

    def date(self, v: object) -> object:
        """A date as this writer passes it to the database."""
        ...


@dataclass(frozen=True)
class CoreWriter:
    """SQLAlchemy's Core insert: any database, dates as ``datetime.date``."""

    def insert_many(self, s: Session, table: Table, cols: tuple[str, ...], rows: list[tuple]) -> None:
        """INSERT ``rows`` (tuples in ``cols`` order) into ``table`` in the session's transaction."""
        if rows:
            s.execute(table.insert(), [dict(zip(cols, r, strict=True)) for r in rows])

    def date(self, v: object) -> object:
        """Dates go as they are: SQLAlchemy's Date type converts them."""
        return v


@dataclass(frozen=True)
class SQLiteDriverWriter:
    """The sqlite3 driver's own executemany, skipping SQLAlchemy's per-row bind processing.

    The tuples go straight to the driver, so their dates are the ISO text SQLAlchemy's
    Date type stores in SQLite (:meth:`date`).
    """

    def insert_many(self, s: Session, table: Table, cols: tuple[str, ...], rows: list[tuple]) -> None:
        """INSERT ``rows`` (tuples in ``cols`` order) into ``table`` in the session's transaction."""
        if not rows:
            return
        sql = f"INSERT INTO {table.name} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
        driver = s.connection().connection.driver_connection
        assert driver is not None  # an open session's connection always has one
        cur = driver.cursor()
        try:
            cur.executemany(sql, rows)
        finally:
            cur.close()

    def date(self, v: object) -> object:
        """A date as SQLAlchemy's SQLite Date stores it (the date part of a datetime too)."""
        if v is None:
            return None
        if type(v) is dt.date:
            return v.isoformat()
        if isinstance(v, dt.datetime):
            return v.date().isoformat()
        if isinstance(v, dt.date):
            return v.isoformat()
        return v


def writer_for(engine: Engine) -> RowWriter:
    """The fastest writer the engine's database allows."""
    return SQLiteDriverWriter() if engine.dialect.name == "sqlite" else CoreWriter()
