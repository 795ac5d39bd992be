"""``python -m wehoplan measures``: measure statuses as of a date; record, set targets, import values.

Thin: parse, call :mod:`wehoplan.measures`, print. The statuses are those of the Measures page
and the extract's Measures sheet (one :func:`wehoplan.measures.measure_table`).
"""

from __future__ import annotations

import argparse
import json
import sys

import pandas as pd
from sqlalchemy import Engine

from wehoplan import measures, repository
from wehoplan.access import AccessDenied
from wehoplan.cli.common import (
    InputError,
    SubParsers,
    add_as_of,
    add_db,
    add_filters,
    add_plan,
    add_plan_asof,
    engine_from_args,
    filters_from_args,
    resolve_plan,
)
from wehoplan.config import load_config
from wehoplan.exporting import csv_bytes
from wehoplan.rollup import prepare_tree

#: Columns of ``wehoplan measures`` (only ever appended to).
MEASURES_CSV_COLUMNS = ("name", "unit", "direction", "frequency", "period", "value", "target", "lower", "upper",
                        "status", "owner", "items", "provenance")


def _one_measure(actions: argparse._SubParsersAction[argparse.ArgumentParser], name: str, help_text: str, *,
                 period: str | None, author: str) -> argparse.ArgumentParser:
    """A sub-command acting on one measure: --db, NAME, --plan, --period DATE (unless None) and --author NAME."""
    a = actions.add_parser(name, help=help_text)
    add_db(a)
    a.add_argument("name", metavar="NAME", help="the measure (exact name or a unique part of it)")
    add_plan(a)
    if period is not None:
        a.add_argument("--period", required=True, metavar="DATE", help=period)
    a.add_argument("--author", required=True, metavar="NAME", help=author)
    return a


def register(sub: SubParsers) -> None:
    """Add the ``measures`` command and its subcommands."""
    p = sub.add_parser("measures", help="print measure statuses as of a date; record values, set targets, import")
    add_db(p)
    add_plan_asof(p)
    p.add_argument("--format", choices=["csv", "json"], default="csv")
    add_filters(p)
    p.set_defaults(func=cmd_measures)
    actions = p.add_subparsers(dest="measures_command", required=False, parser_class=type(p))

    a = _one_measure(actions, "record", "record one value of a measure for a period",
                     period="any date in the period (stored as its end)",
                     author="who reports (recorded in the audit trail)")
    g = a.add_mutually_exclusive_group(required=True)
    g.add_argument("--value", metavar="X", help="the value (1234, 1,234, 45%%)")
    g.add_argument("--not-applicable", action="store_true", help="mark the period not applicable")
    a.add_argument("--note", metavar="TEXT", help="what the value needs said about it")
    a.set_defaults(func=cmd_record)

    a = _one_measure(actions, "target", "set a measure's target from a period on",
                     period="the first period the target holds for",
                     author="who sets it (recorded in the audit trail)")
    a.add_argument("--value", metavar="X", help="the target (increase and decrease measures)")
    a.add_argument("--lower", metavar="X", help="the lower bound (maintain measures)")
    a.add_argument("--upper", metavar="X", help="the upper bound (maintain measures)")
    a.set_defaults(func=cmd_target)

    a = _one_measure(actions, "tolerance", "set how far a measure may miss its target and still be Caution",
                     period=None, author="who sets it (recorded in the audit trail)")
    g = a.add_mutually_exclusive_group(required=True)
    g.add_argument("--percent", metavar="P", help="percent of the target, 0 to 100 (e.g. 15)")
    g.add_argument("--default", action="store_true", help="back to the measure_tolerance setting")
    a.set_defaults(func=cmd_tolerance)

    a = actions.add_parser("import", help="import measure values from a spreadsheet (long or wide), all or none")
    add_db(a)
    a.add_argument("file", metavar="FILE", help=".xlsx, .xlsm, .csv or .txt")
    add_plan(a)
    a.add_argument("--sheet", metavar="NAME", help="only this sheet")
    a.add_argument("--dry-run", action="store_true", help="check everything, write nothing")
    a.add_argument("--author", default="command line", metavar="NAME", help="who imports (audit trail)")
    a.set_defaults(func=cmd_import)


def _as_of(engine: Engine, plan: repository.PlanInfo, args: argparse.Namespace) -> pd.Timestamp:
    if getattr(args, "as_of", None) is not None:
        return pd.Timestamp(args.as_of)
    return pd.Timestamp(repository.default_as_of(repository.load_updates(engine, plan.id),
                                                 repository.load_items(engine, plan.id)))


def status_rows(table: pd.DataFrame) -> pd.DataFrame:
    """The command's rows: :data:`MEASURES_CSV_COLUMNS`, dates as ISO text."""
    return pd.DataFrame({
        "name": table["name"], "unit": table["unit"], "direction": table["direction"],
        "frequency": table["frequency"], "period": table["period"].dt.strftime("%Y-%m-%d"),
        "value": table["value"], "target": table["target"], "lower": table["lower"], "upper": table["upper"],
        "status": table["status"], "owner": table["owner"], "items": table["item_codes"],
        "provenance": table["provenance"],
    }, columns=list(MEASURES_CSV_COLUMNS))


def cmd_measures(args: argparse.Namespace) -> int:
    """Print every measure's status as of the date (CSV or JSON)."""
    engine = engine_from_args(args)
    plan = resolve_plan(engine, args.plan)
    filters = filters_from_args(args)
    data = measures.load_measure_data(engine, plan.id)
    if not filters.is_empty():
        data = measures.filtered(data, prepare_tree(repository.load_items(engine, plan.id)), filters)
    as_of = _as_of(engine, plan, args)
    rows = status_rows(measures.measure_table(data, as_of, load_config().measure_tolerance))
    if args.format == "json":
        records = json.loads(rows.to_json(orient="records"))
        print(json.dumps({"plan": plan.name, "as_of": f"{as_of:%Y-%m-%d}", "measures": records}, indent=1))
    else:
        sys.stdout.write(csv_bytes(rows, bom=False, line_end="\n").decode("utf-8"))
    return 0


def _measure(engine: Engine, args: argparse.Namespace) -> tuple[repository.PlanInfo, pd.Series]:
    plan = resolve_plan(engine, args.plan)
    try:
        return plan, measures.resolve_measure(measures.load_measures(engine, plan.id), args.name)
    except measures.MeasureError as exc:
        raise InputError(f"{exc} in {plan.name}") from None


def cmd_record(args: argparse.Namespace) -> int:
    """Append one value of a measure."""
    engine = engine_from_args(args)
    plan, m = _measure(engine, args)
    try:
        measures.record_value(engine, m.to_dict(), period=args.period, value=args.value,
                              not_applicable=args.not_applicable, note=args.note, author=args.author, source="cli",
                              allow_future=load_config().allow_future_updates)
    except (measures.MeasureError, AccessDenied) as exc:
        raise InputError(str(exc)) from None
    print(f"{plan.name}: {m['name']} recorded for the period of {args.period}", file=sys.stderr)
    return 0


def cmd_target(args: argparse.Namespace) -> int:
    """Set a measure's target from a period on."""
    engine = engine_from_args(args)
    plan, m = _measure(engine, args)
    try:
        measures.set_target(engine, int(m["id"]), period=args.period, value=args.value, lower=args.lower,
                            upper=args.upper, author=args.author, source="cli")
    except (measures.MeasureError, AccessDenied) as exc:
        raise InputError(str(exc)) from None
    print(f"{plan.name}: {m['name']} target set from the period of {args.period}", file=sys.stderr)
    return 0


def cmd_tolerance(args: argparse.Namespace) -> int:
    """Set a measure's own caution band, or give it back the setting's."""
    engine = engine_from_args(args)
    plan, m = _measure(engine, args)
    try:
        measures.set_tolerance(engine, int(m["id"]), percent=None if args.default else args.percent,
                               author=args.author, source="cli")
    except (measures.MeasureError, AccessDenied) as exc:
        raise InputError(str(exc)) from None
    pct = None if args.default else measures.parse_value(args.percent)
    band = "the measure_tolerance setting" if pct is None else f"{pct:g} %"
    print(f"{plan.name}: {m['name']} caution band set to {band}", file=sys.stderr)
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    """Import measure values from a file: all of them, or none (exit 1 with every problem)."""
    from wehoplan.measures.importing import import_values

    engine = engine_from_args(args)
    plan = resolve_plan(engine, args.plan)
    result = import_values(engine, args.file, plan.id, args.author, sheet=args.sheet, dry_run=args.dry_run,
                           allow_future=load_config().allow_future_updates)
    for line in result.notices:
        print(f"notice: {line}", file=sys.stderr)
    if not result.ok:
        for line in result.lines():
            print(f"error: {line}", file=sys.stderr)
        return 1
    what = "would record" if args.dry_run else "recorded"
    print(f"{plan.name}: {what} {result.saved} values ({result.layout} layout, sheet {result.sheet}); "
          f"{result.skipped} unchanged", file=sys.stderr)
    return 0


__all__ = ["MEASURES_CSV_COLUMNS", "add_as_of", "register"]
