"""What every command shares: the two errors, the argument helpers and the plan they resolve (GUIDE §4).

Each option that several commands take (``--db``, ``--plan``, ``--as-of``, the filters) is declared
and interpreted here, once, so the commands agree on spelling, defaults and error messages.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn, TypeAlias

import pandas as pd
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from wehoplan import repository
from wehoplan.config import load_config
from wehoplan.db import SchemaError, check_schema, database_exists, make_engine
from wehoplan.domain import date_range_error
from wehoplan.filters import Filters

# What each command group's ``register`` receives from ``build_parser``.
SubParsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"

PLAN_HELP = "plan name or a unique part of it (optional with one plan)"
AS_OF_HELP = "evaluate the plan on this date (default: its latest update, or today if earlier)"


class UsageError(Exception):
    """The command line itself is wrong (exit 2)."""


class InputError(Exception):
    """The input was rejected (exit 1)."""


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors become one :class:`UsageError` line instead of a usage dump."""

    def error(self, message: str) -> NoReturn:
        """Raise instead of printing the usage and exiting, so ``main`` prints one line."""
        raise UsageError(f"{self.prog}: {message}")


def parse_date(text: str) -> pd.Timestamp:
    """Parse an ISO date (YYYY-MM-DD) given on the command line."""
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid date {text!r}; use YYYY-MM-DD") from None
    problem = date_range_error(day)
    if problem:
        raise argparse.ArgumentTypeError(f"invalid date: {problem}")
    return pd.Timestamp(day)


def positive_int(text: str) -> int:
    """Parse a whole number of at least 1 (counts such as ``--actions``)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid number {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def add_db(p: argparse.ArgumentParser) -> None:
    """--db URL (default: WEHOPLAN_DATABASE_URL, else data/wehoplan.db)."""
    p.add_argument("--db", metavar="URL", help="SQLAlchemy database URL (default: $WEHOPLAN_DATABASE_URL "
                   "or sqlite:///data/wehoplan.db)")


def add_plan(p: argparse.ArgumentParser, help_text: str = PLAN_HELP) -> None:
    """--plan NAME; :func:`resolve_plan` interprets it."""
    p.add_argument("--plan", metavar="NAME", help=help_text)


def add_as_of(p: argparse.ArgumentParser, help_text: str = AS_OF_HELP) -> None:
    """--as-of DATE, parsed by :func:`parse_date`."""
    p.add_argument("--as-of", type=parse_date, metavar="DATE", help=help_text)


def add_plan_asof(p: argparse.ArgumentParser) -> None:
    """--plan NAME and --as-of DATE, as the read-only commands take them."""
    add_plan(p)
    add_as_of(p)


def add_filters(p: argparse.ArgumentParser) -> None:
    """The repeatable filters of GUIDE §4."""
    g = p.add_argument_group("filters (repeat a filter for OR; different filters combine with AND)")
    g.add_argument("--strategy", action="append", default=[], metavar="CODE",
                   help="item code; keeps it and everything under it")
    g.add_argument("--department", action="append", default=[], metavar="NAME", help="department name contains NAME")
    g.add_argument("--smart", action="append", default=[], metavar="S|M|A|R|T", help="SMART value letter")
    g.add_argument("--status", action="append", default=[], metavar="KEY", help="status key, e.g. on_track")
    g.add_argument("--owner", action="append", default=[], metavar="NAME", help="owner name contains NAME")
    g.add_argument("--text", default="", metavar="TEXT", help="free-text search")
    g.add_argument("--health", action="append", default=[], metavar="KEY",
                   help="schedule health: on_schedule, behind, at_risk or done")


def filters_from_args(args: argparse.Namespace) -> Filters:
    """Build Filters from parsed arguments; bad SMART letters or statuses are usage errors."""
    try:
        return Filters(strategy=tuple(args.strategy), department=tuple(args.department), smart=tuple(args.smart),
                       status=tuple(args.status), owner=tuple(args.owner), text=args.text,
                       health=tuple(args.health))
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def engine_from_args(args: argparse.Namespace, must_exist: bool = True) -> Engine:
    """Engine for --db (or the configured URL); exit 1 if ``must_exist`` and there is no database yet."""
    url = args.db or load_config().database_url
    if must_exist and not database_exists(url):
        raise InputError(database_problem(url)
                         or f"no wehoplan database at {url}; run `python -m wehoplan init-demo` or import a plan")
    engine = make_engine(url)
    if must_exist:
        try:
            check_schema(engine)
        except SchemaError as exc:
            raise InputError(str(exc)) from None
    return engine


def database_problem(url: str) -> str | None:
    """Why an existing SQLite file at ``url`` cannot be used, in one line (None: no such file, or not SQLite).

    "No database, run init-demo" is only right when there is no file: for a read-only,
    unreadable, corrupt or foreign file that advice would point at a destructive fix.
    """
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
                "Restore it from a backup; do not run init-demo over it")
    if check and check[0] != "ok":
        return (f"the database file {path} is damaged ({check[0]}). Restore it from a backup; "
                "do not run init-demo over it")
    if not has_meta:
        return f"{path} is an SQLite file without a wehoplan schema; pass the right --db"
    return None


def one_line_error(exc: BaseException) -> str:
    """An exception as one readable line: a database error's own message, never its SQL.

    SQLAlchemy's text of a driver error carries the statement, its parameters and a link
    (up to 16 lines); the driver's message is the part a person can act on.
    """
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        msg = " ".join(str(exc.orig).split())
        low = msg.lower()
        if "readonly" in low or "read-only" in low:
            return f"the database is read-only ({msg}); nothing was written"
        if "disk is full" in low or "no space" in low:
            return f"the disk is full ({msg}); nothing was written. Free some space and run the command again"
        if "malformed" in low or "not a database" in low:
            return f"the database file is damaged ({msg}); restore it from a backup"
        if "locked" in low or "busy" in low:
            return f"the database is busy ({msg}); another program holds it. Try again"
        return f"database error: {msg}"
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def resolve_plan(engine: Engine, name: str | None) -> repository.PlanInfo:
    """The plan that --plan names (GUIDE §4 matching); no match or several matches is an input error."""
    try:
        return repository.resolve_plan(engine, name)
    except repository.PlanNotFound as exc:
        raise InputError(str(exc)) from None


@dataclass(frozen=True)
class PlanAsOf:
    """A plan read for a report: its items and updates and the date to evaluate it on."""

    plan: repository.PlanInfo
    items: pd.DataFrame
    updates: pd.DataFrame
    as_of: pd.Timestamp


def load_plan_as_of(engine: Engine, args: argparse.Namespace) -> PlanAsOf:
    """Resolve --plan and read it; --as-of defaults to the plan's default date (GUIDE §3 As-of state)."""
    plan = resolve_plan(engine, args.plan)
    items = repository.load_items(engine, plan.id)
    updates = repository.load_updates(engine, plan.id)
    as_of = args.as_of if args.as_of is not None else repository.default_as_of(updates, items)
    return PlanAsOf(plan, items, updates, pd.Timestamp(as_of))
