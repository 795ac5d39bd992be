"""``python -m wehoplan init-demo``: build the demo database (thin wrapper of :mod:`wehoplan.demo`)."""

from __future__ import annotations

import argparse

from wehoplan.cli.common import InputError, SubParsers, add_db, engine_from_args
from wehoplan.demo import build_demo


def register(sub: SubParsers) -> None:
    """Add the ``init-demo`` command."""
    p = sub.add_parser("init-demo", help="build the demo database from the West Hollywood plans in data/")
    add_db(p)
    p.add_argument("--force", action="store_true", help="drop and rebuild an existing database")
    p.set_defaults(func=cmd_init_demo)


def cmd_init_demo(args: argparse.Namespace) -> int:
    """Build the demo database and print what it holds."""
    engine = engine_from_args(args, must_exist=False)
    try:
        counts = build_demo(engine, force=args.force)
    except FileExistsError as exc:
        raise InputError(str(exc)) from None
    for name, c in counts.items():
        print(f"{name}: {c['items']} items, {c['updates']} updates, {c['measures']} measures")
    print(f"demo database ready at {engine.url.render_as_string(hide_password=True)}")
    return 0
