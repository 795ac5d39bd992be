"""``python -m wehoplan export``: write a filtered Excel or CSV extract (GUIDE §4)."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from wehoplan import exporting, measures
from wehoplan.cli.common import (
    InputError,
    SubParsers,
    UsageError,
    add_db,
    add_filters,
    add_plan_asof,
    engine_from_args,
    filters_from_args,
    load_plan_as_of,
    parse_date,
)
from wehoplan.config import load_config
from wehoplan.measures import extract as measures_extract
from wehoplan.rollup import Thresholds, prepare_tree


def register(sub: SubParsers) -> None:
    """Add the ``export`` command."""
    p = sub.add_parser("export", help="write a filtered Excel (.xlsx) or CSV extract")
    p.add_argument("out", metavar="OUT.xlsx|OUT.csv", help="file to write; the extension picks the format")
    add_db(p)
    add_plan_asof(p)
    p.add_argument("--updates-from", type=parse_date, metavar="DATE",
                   help="Updates sheet: only updates dated on or after DATE")
    p.add_argument("--updates-to", type=parse_date, metavar="DATE",
                   help="Updates sheet: only updates dated on or before DATE")
    add_filters(p)
    p.set_defaults(func=cmd_export)


def cmd_export(args: argparse.Namespace) -> int:
    """Write the extract and say what it holds."""
    out = Path(args.out)
    fmt = out.suffix.lower().lstrip(".")
    if fmt not in ("xlsx", "csv"):
        raise UsageError(f"cannot write {out.name!r}: the file name must end in .xlsx or .csv")
    filters = filters_from_args(args)
    engine = engine_from_args(args)
    view = load_plan_as_of(engine, args)
    tree = prepare_tree(view.items)
    extract = exporting.build_extract(
        tree, view.updates, view.plan, view.as_of, filters,
        updates_from=args.updates_from, updates_to=args.updates_to,
        thresholds=Thresholds.from_config(load_config()),
    )
    extract = dataclasses.replace(extract, extra_sheets=measures_extract.extract_sheets(
        measures.load_measure_data(engine, view.plan.id), tree, filters, view.as_of, load_config().measure_tolerance))
    if not out.parent.exists():
        raise InputError(f"folder {out.parent} does not exist")
    (exporting.write_xlsx if fmt == "xlsx" else exporting.write_csv)(extract, out)
    print(f"wrote {out}: {view.plan.name} as of {view.as_of:%Y-%m-%d} ({filters.describe()}), "
          f"{len(extract.actions)} actions")
    return 0
