"""What every command shares: the two errors, the argument helpers and the plan they resolve (GUIDE §4).

Each option that several commands take (``--db``, ``--plan``, ``--as-of``, the filters) is declared
and interpreted here, once, so the commands agree on spelling, defaults and error messages.
"""

from __future__ import annotations

import argparse
import datetime as dt
from dataclasses import dataclass
from typing import NoReturn, TypeAlias

import pandas as pd
from sqlalchemy import Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from wehoplan import repository
from wehoplan.config import load_config
from wehoplan.db import SchemaError, check_schema, database_exists, database_problem, make_engine
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


def _whole_number(text: str, least: int, what: str = "number") -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid {what} {text!r}") from None
    if value < least:
        raise argparse.ArgumentTypeError(f"must be {'at least 1' if least == 1 else f'{least} or more'}, got {value}")
    return value


def positive_int(text: str) -> int:
    """Parse a whole number of at least 1 (counts such as ``--actions``)."""
    return _whole_number(text, 1)


def day_count(text: str) -> int:
    """Parse a number of days, 0 or more (``--window-days`` and the like)."""
    return _whole_number(text, 0, "number of days")


def database_arg(text: str) -> str:
    """Parse ``--db``: an SQLAlchemy URL, or a plain file path meaning an SQLite file there.

    People type ``--db data/wehoplan.db`` as often as ``--db sqlite:///data/wehoplan.db``; both work.
    """
    text = text.strip()
    if "://" in text:
        try:
            make_url(text).get_dialect()
        except (ArgumentError, ValueError, NoSuchModuleError):
            raise argparse.ArgumentTypeError(
                f"not a database URL: {text!r}; write a file path (data/wehoplan.db), sqlite:///data/wehoplan.db "
                "or postgresql+psycopg://user@host/dbname") from None
        return text
    if not text:
        raise argparse.ArgumentTypeError("empty database; give a file path or a URL")
    return f"sqlite:///{text}"


def add_db(p: argparse.ArgumentParser) -> None:
    """--db URL or FILE (default: WEHOPLAN_DATABASE_URL, else data/wehoplan.db)."""
    p.add_argument("--db", metavar="URL", type=database_arg,
                   help="SQLAlchemy database URL, or the path of an SQLite file (default: "
                        "$WEHOPLAN_DATABASE_URL or sqlite:///data/wehoplan.db)")


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
