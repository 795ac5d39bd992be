"""``python -m wehoplan import FILE...`` and ``undo-import BATCH`` (GUIDE §4): parse, call, print."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from wehoplan.cli.common import InputError, SubParsers, UsageError, add_as_of, add_db, add_plan, engine_from_args
from wehoplan.db import create_schema
from wehoplan.importing import UndoRefused, import_files, load_mapping_file, undo_import


def register(sub: SubParsers) -> None:
    """Add the ``import`` and ``undo-import`` commands."""
    p = sub.add_parser("import", help="import legacy work-plan spreadsheets (.xlsx, .xlsm, .csv, .txt)")
    p.add_argument("files", nargs="+", metavar="FILE", help="spreadsheet files; several are imported as one plan")
    add_db(p)
    # Import names the plan to create or update, so here --plan is an exact name, not a match.
    add_plan(p, "plan to create or update (exact name; default: the file name stem)")
    add_as_of(p, "date of the imported status/progress when the file has no update-date column (default: today)")
    p.add_argument("--sheet", metavar="NAME", help="import only this sheet")
    p.add_argument("--header-row", type=int, metavar="N",
                   help="the row holding the column headings, as the spreadsheet numbers it (default: found)")
    p.add_argument("--mapping", metavar="FILE.json",
                   help='column mapping {"Column header": "field"} overriding detection')
    p.add_argument("--dry-run", action="store_true", help="validate and report counts; write nothing")
    p.add_argument("--report", metavar="FILE.json", help="write the report as JSON")
    p.add_argument("--author", metavar="NAME", help="who imports (recorded with the batch and the audit trail)")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("undo-import", help="undo an import batch: remove what it added, restore what it changed")
    p.add_argument("batch", type=int, metavar="BATCH", help="import batch id (printed by import)")
    add_db(p)
    p.add_argument("--author", metavar="NAME", help="who undoes it (audit trail)")
    p.set_defaults(func=cmd_undo_import)


def cmd_import(args: argparse.Namespace) -> int:
    """Run an import; exit 1 when rejected (nothing written), every problem on stderr."""
    mapping = None
    if args.mapping:
        try:
            mapping = load_mapping_file(args.mapping)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    if args.header_row is not None and args.header_row < 1:
        raise UsageError("--header-row: the first row is 1")
    for f in args.files:
        if not Path(f).is_file():
            raise InputError(f"{f}: no such file")
    engine = engine_from_args(args, must_exist=False)
    create_schema(engine)
    try:
        report = import_files(engine, list(args.files), plan_name=args.plan, as_of=args.as_of, sheet=args.sheet,
                              mapping=mapping, dry_run=args.dry_run, author=args.author,
                              header_row=args.header_row)
    except ValueError as exc:  # e.g. an unknown field in the mapping file
        raise InputError(str(exc)) from None
    if args.report:
        Path(args.report).write_text(json.dumps(report.to_dict(), indent=1, default=str), encoding="utf-8")
    for line in report.lines():
        print(line, file=sys.stderr)
    return 0 if report.ok else 1


def cmd_undo_import(args: argparse.Namespace) -> int:
    """Undo a batch; exit 1 when it cannot be undone."""
    engine = engine_from_args(args)
    try:
        res = undo_import(engine, args.batch, args.author)
    except UndoRefused as exc:
        raise InputError(str(exc)) from None
    print(f"undid import batch {res['batch_id']}: removed {res['updates_removed']} updates and "
          f"{res['items_removed']} items, restored {res['fields_restored']} fields"
          + ("; the plan it created was removed" if res["plan_removed"] else ""), file=sys.stderr)
    return 0
