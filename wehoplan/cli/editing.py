"""``python -m wehoplan record-update`` and ``audit``: thin wrappers of :mod:`wehoplan.editing`."""

from __future__ import annotations

import argparse
import sys

import pandas as pd

from wehoplan import editing, repository
from wehoplan.cli.common import (
    InputError,
    SubParsers,
    add_as_of,
    add_db,
    add_plan,
    engine_from_args,
    parse_date,
    resolve_plan,
)
from wehoplan.config import load_config


def register(sub: SubParsers) -> None:
    """Add the editing commands."""
    p = sub.add_parser("record-update", help="record one progress report on an action")
    add_db(p)
    p.add_argument("code", metavar="CODE", help="item code, e.g. 1.1.2")
    add_plan(p)
    p.add_argument("--status", required=True, help="status key or any word of the vocabulary (e.g. 'at risk')")
    p.add_argument("--progress", type=float, help="percent complete, 0 to 100 (optional with completed)")
    add_as_of(p, "date of the report (default: today)")
    p.add_argument("--comment", help="what happened (internal: never published)")
    p.add_argument("--public-note", metavar="TEXT", help="what the public may read about it (see Publishing)")
    p.add_argument("--author", required=True, help="who reports (recorded in the audit trail)")
    p.set_defaults(func=cmd_record_update)

    p = sub.add_parser("audit", help="print the audit trail as CSV, newest first")
    add_db(p)
    add_plan(p, "only changes to this plan (plus departments and people)")
    p.add_argument("--author", action="append", default=[], metavar="NAME", help="only changes by NAME (repeatable)")
    p.add_argument("--action", action="append", default=[], metavar="ACTION",
                   help="only this action: update, edit, add, move, renumber, archive, restore, create, "
                        "publish (repeatable)")
    p.add_argument("--since", type=parse_date, metavar="DATE", help="changes on or after DATE")
    p.add_argument("--until", type=parse_date, metavar="DATE", help="changes on or before DATE")
    p.set_defaults(func=cmd_audit)


def cmd_record_update(args: argparse.Namespace) -> int:
    """Append one progress report to the item with the given code."""
    engine = engine_from_args(args)
    plan = resolve_plan(engine, args.plan)
    items = repository.load_items(engine, plan.id, include_archived=True)
    hit = items[items["code"] == args.code]
    if hit.empty:
        raise InputError(f"no item {args.code!r} in {plan.name}")
    item = hit.iloc[0]
    as_of = args.as_of.date() if args.as_of is not None else pd.Timestamp.today().date()
    try:
        # One-shot command: the version it edits against is the one it just read.
        editing.record_update(
            engine, int(item["id"]), as_of=as_of, status=args.status, progress=args.progress,
            comment=args.comment, author=args.author, expected_version=int(item["version"]),
            allow_future=load_config().allow_future_updates, source="cli", public_note=args.public_note,
        )
    except editing.EditError as exc:
        raise InputError(str(exc)) from None
    print(f"{plan.name}: {args.code} recorded as of {as_of}", file=sys.stderr)
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    """Print the audit trail as CSV, newest first."""
    engine = engine_from_args(args)
    plan_id = resolve_plan(engine, args.plan).id if args.plan else None
    frame = editing.audit_frame(engine, plan_id=plan_id, authors=args.author, actions=args.action,
                                since=args.since, until=args.until)
    sys.stdout.write(editing.audit_csv(frame).decode("utf-8"))
    return 0
