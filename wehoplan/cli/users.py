"""``python -m wehoplan users list|add|set-role|remove``: who may sign in, and with which role.

The first admin of a new server is made here (whoever can run the CLI on the server can
already write its database, so the CLI acts as the local user with every right).
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable

from sqlalchemy import Engine

from wehoplan import editing, users
from wehoplan.access import ROLES, AccessDenied
from wehoplan.cli.common import InputError, SubParsers, add_db, engine_from_args, resolve_plan
from wehoplan.exporting import csv_bytes

PLAN_HELP = "the plan of the role (exact name or a unique part); without it: every plan"


def register(sub: SubParsers) -> None:
    """Add the ``users`` command and its four subcommands."""
    p = sub.add_parser("users", help="list, add, change or remove the people who sign in to the app")
    actions = p.add_subparsers(dest="users_command", required=True, parser_class=type(p))

    a = actions.add_parser("list", help="print every user with their roles as CSV")
    add_db(a)
    a.set_defaults(func=cmd_list)

    a = actions.add_parser("add", help="add a user with a role")
    add_db(a)
    a.add_argument("email", metavar="EMAIL", help="the email they sign in with (matched case-insensitively)")
    a.add_argument("--role", required=True, choices=ROLES, help="viewer, updater, editor or admin")
    a.add_argument("--plan", metavar="NAME", help=PLAN_HELP)
    a.add_argument("--name", metavar="TEXT", help="display name (default: the name the sign-in provider gives)")
    a.add_argument("--person", metavar="NAME", help="the person of the plan they are (an updater's own items)")
    a.add_argument("--department", action="append", default=[], metavar="NAME",
                   help="a department whose items an updater may report on (repeatable)")
    a.set_defaults(func=cmd_add)

    a = actions.add_parser("set-role", help="give a user a role on a plan (or every plan)")
    add_db(a)
    a.add_argument("email", metavar="EMAIL")
    a.add_argument("--role", required=True, choices=ROLES, help="viewer, updater, editor or admin")
    a.add_argument("--plan", metavar="NAME", help=PLAN_HELP)
    a.set_defaults(func=cmd_set_role)

    a = actions.add_parser("remove", help="remove a user and all their roles")
    add_db(a)
    a.add_argument("email", metavar="EMAIL")
    a.set_defaults(func=cmd_remove)


def _who() -> str:
    # Audit rows of CLI changes name the operating-system account that ran them.
    try:
        return f"{getpass.getuser()} (cli)"
    except OSError:
        return "cli"


def _plan(engine: Engine, name: str | None) -> tuple[int | None, str]:
    if not name:
        return None, "every plan"
    plan = resolve_plan(engine, name)
    return plan.id, plan.name


def _run(fn: Callable[..., object], *args: object, **kwargs: object) -> None:
    try:
        fn(*args, **kwargs)
    except (editing.EditError, AccessDenied) as exc:
        raise InputError(str(exc)) from None


def cmd_list(args: argparse.Namespace) -> int:
    """Print every user as CSV: email, name, person, departments, roles."""
    engine = engine_from_args(args)
    sys.stdout.write(csv_bytes(users.list_users(engine), bom=False).decode("utf-8"))
    return 0


def cmd_add(args: argparse.Namespace) -> int:
    """Add one user."""
    engine = engine_from_args(args)
    plan_id, plan = _plan(engine, args.plan)
    _run(users.add_user, engine, args.email, role=args.role, plan_id=plan_id, name=args.name, person=args.person,
         departments=args.department, author=_who())
    print(f"added {args.email.strip().lower()} as {args.role} of {plan}", file=sys.stderr)
    return 0


def cmd_set_role(args: argparse.Namespace) -> int:
    """Set one user's role on a plan (or every plan)."""
    engine = engine_from_args(args)
    plan_id, plan = _plan(engine, args.plan)
    _run(users.set_role, engine, args.email, role=args.role, plan_id=plan_id, author=_who())
    print(f"{args.email.strip().lower()} is {args.role} of {plan}", file=sys.stderr)
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    """Remove one user."""
    engine = engine_from_args(args)
    _run(users.remove_user, engine, args.email, author=_who())
    print(f"removed {args.email.strip().lower()}", file=sys.stderr)
    return 0
