"""``python -m wehoplan publish``: freeze a publication of the plan, optionally write the static site and data.

The command line acts as the local user (whoever can run it on the server can already write its
database) under the operating-system account's name, like ``users``; the writer still checks the
publish right and audits the act.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from wehoplan import publishing
from wehoplan.access import AccessDenied
from wehoplan.cli.common import InputError, SubParsers, add_as_of, add_db, add_plan, engine_from_args, resolve_plan
from wehoplan.config import load_config
from wehoplan.editing import EditError
from wehoplan.rollup import Thresholds


def register(sub: SubParsers) -> None:
    """Add the ``publish`` command."""
    p = sub.add_parser("publish", help="publish the plan's public items (frozen), optionally as a static site")
    add_db(p)
    add_plan(p)
    p.add_argument("--note", metavar="TEXT", help="a note to readers, published with it")
    p.add_argument("--out", metavar="DIR", help="also write the static site and open data into DIR")
    add_as_of(p, "evaluate the plan on this date (default: its latest update of the public items, or today)")
    p.add_argument("--make-public", action="store_true", help="switch the plan public first (audited)")
    p.add_argument("--internal", action="append", default=[], metavar="CODE",
                   help="mark this item internal first: it and everything under it stay in (repeatable)")
    p.add_argument("--public", action="append", default=[], metavar="CODE",
                   help="mark this item public again first (repeatable)")
    p.add_argument("--site-only", action="store_true",
                   help="publish nothing new: write the latest publication's site into --out")
    p.add_argument("--author", metavar="NAME", help="publisher's name as readers see it (default: your account)")
    p.set_defaults(func=cmd_publish)


def _who(args: argparse.Namespace) -> str:
    if args.author and args.author.strip():
        return args.author.strip()
    try:
        # Printed on the public site ("Published ... by pat (command line)"), as the packet says it.
        return f"{getpass.getuser()} (command line)"
    except Exception:  # no account name in a container: still a readable author
        return "command line"


def cmd_publish(args: argparse.Namespace) -> int:
    """Publish (or, with --site-only, re-write the latest publication's site)."""
    engine = engine_from_args(args)
    plan = resolve_plan(engine, args.plan)
    if args.site_only:
        if not args.out:
            raise InputError("--site-only needs --out DIR")
        latest = publishing.latest_publication(engine, plan.id)
        if latest is None:
            raise InputError(f"{plan.name} has no publication (or is not public); publish it first")
        files = publishing.write_site(latest, args.out)
        print(f"{plan.name}: publication {latest.id} written to {args.out} ({len(files)} files)", file=sys.stderr)
        return 0
    who = _who(args)
    try:
        if args.make_public:
            publishing.set_plan_public(engine, plan.id, True, who, source="cli")
        changes = {**{c: False for c in args.internal}, **{c: True for c in args.public}}
        if changes:
            publishing.set_items_public(engine, plan.id, changes, who, source="cli")
        done = publishing.publish(engine, plan.id, who, note=args.note, as_of=args.as_of,
                                  thresholds=Thresholds.from_config(load_config()), source="cli")
    except (EditError, AccessDenied) as exc:
        raise InputError(str(exc)) from None
    n_items = len(done.document["items"])
    print(f"{plan.name}: publication {done.id} as of {done.as_of} ({n_items} public items)", file=sys.stderr)
    if args.out:
        files = publishing.write_site(done, args.out)
        print(f"site and open data written to {args.out} ({len(files)} files)", file=sys.stderr)
    return 0
