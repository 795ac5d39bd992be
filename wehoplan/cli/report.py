"""``wehoplan report OUT.pdf``: the council packet, a PDF status report with the changes since a date."""

from __future__ import annotations

import argparse
import getpass
from pathlib import Path

from wehoplan import report, repository
from wehoplan.cli.common import (
    InputError,
    SubParsers,
    UsageError,
    add_db,
    add_filters,
    add_plan_asof,
    engine_from_args,
    filters_from_args,
    parse_date,
    resolve_plan,
)
from wehoplan.config import load_config
from wehoplan.rollup import Thresholds


def register(sub: SubParsers) -> None:
    """Add the ``report`` command."""
    p = sub.add_parser("report", help="write the council packet: a PDF status report and what changed since a date")
    p.add_argument("out", metavar="OUT.pdf", help="the PDF file to write")
    add_db(p)
    add_plan_asof(p)
    p.add_argument("--since", type=parse_date, metavar="DATE",
                   help="compare with the plan on this date (default: the previous reporting cycle's end, "
                        "else 90 days before the as-of date)")
    add_filters(p)
    p.set_defaults(func=cmd_report)


def cmd_report(args: argparse.Namespace) -> int:
    """Build the packet, write it, and say what it holds."""
    out = Path(args.out)
    if out.suffix.lower() != ".pdf":
        raise UsageError(f"cannot write {out.name!r}: the file name must end in .pdf")
    filters = filters_from_args(args)
    engine = engine_from_args(args)
    plan = resolve_plan(engine, args.plan)
    items = repository.load_items(engine, plan.id, include_archived=True)
    updates = repository.load_updates(engine, plan.id)
    as_of = args.as_of if args.as_of is not None else repository.default_as_of(updates, items[~items["archived"]])
    if args.since is not None and args.since >= as_of:
        raise UsageError(f"--since {args.since:%Y-%m-%d} must be before the as-of date {as_of:%Y-%m-%d}")
    if not out.parent.exists():
        raise InputError(f"folder {out.parent} does not exist")
    cfg = load_config()
    packet = report.build_packet(
        items, updates, plan, as_of, args.since, filters, audit=repository.audit_frame(engine, plan_id=plan.id),
        thresholds=Thresholds.from_config(cfg), made_by=f"{getpass.getuser()} (command line)",
        cycle_end=report.previous_cycle_end(engine, plan.id, as_of),
        measures=report.plan_measures(engine, plan.id, as_of),
    )
    pdf = report.render(packet)
    out.write_bytes(pdf)
    n = packet.change_counts
    print(f"wrote {out}: {plan.name} as of {packet.as_of:%Y-%m-%d}, changes since {packet.since:%Y-%m-%d} "
          f"({filters.describe()}); {n['status']} status changes, {n['completed']} newly completed")
    return 0
