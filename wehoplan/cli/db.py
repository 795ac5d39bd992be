"""``wehoplan db upgrade|current|backup OUT|restore IN``: schema revisions and backups (thin)."""

from __future__ import annotations

import argparse
from pathlib import Path

from wehoplan import migrations
from wehoplan.backup import BackupError, backup, restore
from wehoplan.cli.common import InputError, SubParsers, add_db, engine_from_args
from wehoplan.db import schema_state


def register(sub: SubParsers) -> None:
    """Add the ``db`` command group."""
    p = sub.add_parser("db", help="database schema upgrades and backups")
    dbsub = p.add_subparsers(dest="db_command", required=True, parser_class=type(p))
    up = dbsub.add_parser("upgrade", help="bring the database's schema up to this wehoplan (creates it if empty)")
    add_db(up)
    up.set_defaults(func=cmd_upgrade)
    cur = dbsub.add_parser("current", help="print the database's schema revision and whether it is up to date")
    add_db(cur)
    cur.set_defaults(func=cmd_current)
    bk = dbsub.add_parser("backup", help="write a backup of the whole database to a new file")
    bk.add_argument("out", metavar="OUT", help="backup file to write (must not exist)")
    bk.add_argument("--portable", action="store_true",
                    help="write the portable dump (restores into SQLite or PostgreSQL) instead of the native one")
    add_db(bk)
    bk.set_defaults(func=cmd_backup)
    rs = dbsub.add_parser("restore", help="restore a backup into an empty database")
    rs.add_argument("src", metavar="IN", help="backup file made by `wehoplan db backup`")
    add_db(rs)
    rs.set_defaults(func=cmd_restore)


def cmd_upgrade(args: argparse.Namespace) -> int:
    """Upgrade the schema to the code's head revision."""
    engine = engine_from_args(args, must_exist=False)
    try:
        before, after = migrations.upgrade(engine)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    print(f"schema at {after}" + ("" if before == after else f" (was {before or 'empty'})"))
    return 0


def cmd_current(args: argparse.Namespace) -> int:
    """Print the revision; exit 1 when the database needs `db upgrade` (or a newer wehoplan)."""
    engine = engine_from_args(args, must_exist=False)
    state = schema_state(engine)
    with engine.connect() as conn:
        rev = migrations.current_revision(conn) if state in ("current", "old", "new") else None
    head = migrations.head_revision()
    notes = {"current": "up to date", "old": f"older than this wehoplan ({head}); run `wehoplan db upgrade`",
             "new": f"newer than this wehoplan ({head}); upgrade wehoplan",
             "blank": "empty database; run `wehoplan db upgrade` or `wehoplan init-demo`",
             "foreign": "holds other tables and no wehoplan schema"}
    print(f"{rev or 'none'}: {notes[state]}")
    return 0 if state == "current" else 1


def cmd_backup(args: argparse.Namespace) -> int:
    """Write the backup and say which format it is."""
    engine = engine_from_args(args)
    try:
        kind = backup(engine, Path(args.out), portable=args.portable)
    except BackupError as exc:
        raise InputError(str(exc)) from None
    print(f"backup written to {args.out} ({kind})")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    """Restore into an empty database."""
    engine = engine_from_args(args, must_exist=False)
    try:
        kind = restore(engine, Path(args.src))
    except BackupError as exc:
        raise InputError(str(exc)) from None
    print(f"restored {args.src} ({kind}) into {engine.url.render_as_string(hide_password=True)}")
    return 0
