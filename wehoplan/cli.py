"""``python -m wehoplan``: parse, call the library, print (GUIDE §4).

Exit codes: 0 success, 1 input rejected (nothing written), 2 usage error. Errors are
one readable line each on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Callable, Sequence

import pandas as pd

from wehoplan.config import load_config
from wehoplan.filters import Filters


class UsageError(Exception):
    """The command line itself is wrong (exit 2)."""


class InputError(Exception):
    """The input was rejected (exit 1)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2, no usage dump
        raise UsageError(f"{self.prog}: {message}")


def parse_date(text: str) -> pd.Timestamp:
    """Parse an ISO date (YYYY-MM-DD) given on the command line."""
    try:
        return pd.Timestamp(dt.date.fromisoformat(text))
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid date {text!r}; use YYYY-MM-DD") from None


def add_db(p: argparse.ArgumentParser) -> None:
    """--db URL (default: WEHOPLAN_DATABASE_URL, else data/wehoplan.db)."""
    p.add_argument("--db", metavar="URL", help="SQLAlchemy database URL (default: $WEHOPLAN_DATABASE_URL "
                   "or sqlite:///data/wehoplan.db)")


def add_plan_asof(p: argparse.ArgumentParser) -> None:
    """--plan NAME and --as-of DATE."""
    p.add_argument("--plan", metavar="NAME", help="plan name or a unique part of it (optional with one plan)")
    p.add_argument("--as-of", type=parse_date, metavar="DATE",
                   help="evaluate the plan on this date (default: its latest update, or today if earlier)")


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


def filters_from_args(args: argparse.Namespace) -> Filters:
    """Build Filters from parsed arguments; bad SMART letters or statuses are usage errors."""
    try:
        return Filters(strategy=tuple(args.strategy), department=tuple(args.department), smart=tuple(args.smart),
                       status=tuple(args.status), owner=tuple(args.owner), text=args.text)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def engine_from_args(args: argparse.Namespace, must_exist: bool = True):
    """Engine for --db (or the configured URL); exit 1 if the database has no plans yet."""
    from wehoplan.db import database_exists, make_engine

    url = args.db or load_config().database_url
    if must_exist and not database_exists(url):
        raise InputError(f"no wehoplan database at {url}; run `python -m wehoplan init-demo` or import a plan")
    return make_engine(url)


# ---------------------------------------------------------------- commands


def cmd_init_demo(args: argparse.Namespace) -> int:
    """Build the demo database."""
    from wehoplan.demo import build_demo

    engine = engine_from_args(args, must_exist=False)
    try:
        counts = build_demo(engine, force=args.force)
    except FileExistsError as exc:
        raise InputError(str(exc)) from None
    for name, c in counts.items():
        print(f"{name}: {c['items']} items, {c['updates']} updates, {c['measures']} measures")
    print(f"demo database ready at {engine.url.render_as_string(hide_password=True)}")
    return 0


ROLLUP_CSV_COLUMNS = [
    "code", "title", "level", "progress", "status", "expected_progress", "n_leaves", "n_pending",
    "n_on_track", "n_some_disruption", "n_major_disruption", "n_completed", "n_deferred", "n_overdue",
]


def cmd_rollup(args: argparse.Namespace) -> int:
    """Print the rolled-up plan as CSV or JSON."""
    from wehoplan import repository, rollup

    engine = engine_from_args(args)
    filters = filters_from_args(args)
    cfg = load_config()
    try:
        plan = repository.resolve_plan(engine, args.plan)
    except repository.PlanNotFound as exc:
        raise InputError(str(exc)) from None
    items = repository.load_items(engine, plan.id)
    updates = repository.load_updates(engine, plan.id)
    as_of = args.as_of if args.as_of is not None else repository.default_as_of(updates)
    table = rollup.rollup(items, updates, as_of, filters, rollup.Thresholds.from_config(cfg))
    by = (args.by or "").strip()
    if by.casefold() in rollup.GROUP_KINDS:
        out = rollup.group_leaves(table, by.casefold())
        cols = ["group", *ROLLUP_CSV_COLUMNS[3:]]
    else:
        if by:
            levels = {lv.casefold() for lv in table["level"].dropna()} | {lv.casefold() for lv in plan.level_names}
            if by.casefold() not in levels:
                raise UsageError(
                    f"--by {by!r}: choose a level ({', '.join(plan.level_names)}) or department, smart, owner"
                )
            table = table[table["level"].str.casefold() == by.casefold()]
        out = table
        cols = ROLLUP_CSV_COLUMNS
    out = out[cols].assign(
        progress=out["progress"].astype("float64").round(1),
        expected_progress=out["expected_progress"].astype("float64").round(1),
    )
    if args.format == "json":
        records = json.loads(out.to_json(orient="records"))
        json.dump(records, sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        out.to_csv(sys.stdout, index=False, float_format="%.1f", lineterminator="\n")
    print(f"{plan.name} as of {pd.Timestamp(as_of).date()} ({filters.describe()})", file=sys.stderr)
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "init-demo": cmd_init_demo,
    "rollup": cmd_rollup,
}


# Other areas (import, export, editing, benchmarks) register their commands from their
# own modules: each has ``register(subparsers)`` adding parsers with ``set_defaults(func=...)``.
COMMAND_MODULES: tuple[str, ...] = (
    "wehoplan.editing_cli",
    "wehoplan.importing.cli",
    "wehoplan.generate_cli",
    "wehoplan.exporting_cli",
)


def build_parser() -> argparse.ArgumentParser:
    """The full command-line parser (also used by tests/test_docs.py)."""
    parser = _Parser(prog="python -m wehoplan", description="Run a city's strategic plan.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("init-demo", help="build the demo database from the West Hollywood plans in data/")
    add_db(p)
    p.add_argument("--force", action="store_true", help="drop and rebuild an existing database")

    p = sub.add_parser("rollup", help="print the rolled-up plan as CSV or JSON")
    add_db(p)
    add_plan_asof(p)
    p.add_argument("--by", metavar="LEVEL|department|smart|owner",
                   help="only one level (strategy, initiative, action) or one row per group")
    p.add_argument("--format", choices=["csv", "json"], default="csv")
    add_filters(p)

    import importlib

    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; return its exit code."""
    try:
        args = build_parser().parse_args(argv)
        func = getattr(args, "func", None) or COMMANDS[args.command]
        return func(args)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # e.g. piped into `head`
        return 0
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 1
    except Exception as exc:  # noqa: BLE001 - the contract is one line, never a traceback
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
