"""``cycle set|show|lock|unlock``, ``remind`` and ``people set-email``: update cycles and reminders.

Thin: parse, call :mod:`wehoplan.cycle_store` / :mod:`wehoplan.reminders`, print. Like every
command the CLI acts as the local user (whoever can run it can already write the database);
audit rows name the operating-system account.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Engine

from wehoplan import cycle_store, editing, repository
from wehoplan.access import AccessDenied
from wehoplan.cli.common import (
    InputError,
    SubParsers,
    UsageError,
    add_db,
    add_plan,
    day_count,
    engine_from_args,
    parse_date,
    resolve_plan,
)
from wehoplan.cli.users import _who
from wehoplan.config import load_config
from wehoplan.cycles import EVERY, STATE_LABELS, CycleRule, current_cycle, day_text, item_states, summarise
from wehoplan.reminders import SendError, run_reminders
from wehoplan.rollup import prepare_tree

T = TypeVar("T")
TODAY_HELP = "the date to act as today (default: today)"




def register(sub: SubParsers) -> None:
    """Add ``cycle`` (set, show, lock, unlock), ``remind`` and ``people`` (set-email)."""
    p = sub.add_parser("cycle", help="set or show a plan's update cycle; lock a past period")
    actions = p.add_subparsers(dest="cycle_command", required=True, parser_class=type(p))

    a = actions.add_parser("set", help="set how often owners report, and the window, due and grace days")
    add_db(a)
    add_plan(a)
    a.add_argument("--every", required=True, choices=EVERY, help="month, quarter, or custom period ends")
    a.add_argument("--period-end", action="append", default=[], type=parse_date, metavar="DATE",
                   help="a period end of a custom cycle (repeatable)")
    a.add_argument("--window-days", type=day_count, metavar="N", help="window opens N days before the period end "
                   "(default 14, or the plan's current value)")
    a.add_argument("--due-days", type=day_count, metavar="N",
                   help="reports due N days after the period end (default 10)")
    a.add_argument("--grace-days", type=day_count, metavar="N", help="late N days after the due date (default 5)")
    a.set_defaults(func=cmd_set)

    a = actions.add_parser("show", help="print the cycle, the current period and who has reported")
    add_db(a)
    add_plan(a)
    a.add_argument("--today", type=parse_date, metavar="DATE", help=TODAY_HELP)
    a.set_defaults(func=cmd_show)

    for name, fn, what in (("lock", cmd_lock, "lock a past period: reports dated in it are refused"),
                           ("unlock", cmd_unlock, "unlock a locked period")):
        a = actions.add_parser(name, help=what)
        add_db(a)
        add_plan(a)
        a.add_argument("--period-end", required=True, type=parse_date, metavar="DATE",
                       help="the last day of the period, e.g. 2020-09-30")
        if name == "lock":
            a.add_argument("--today", type=parse_date, metavar="DATE", help=TODAY_HELP)
        a.set_defaults(func=fn)

    p = sub.add_parser("remind", help="email each owner a digest of their due and late reports")
    add_db(p)
    add_plan(p, "only this plan (exact name or a unique part; default: every plan with a cycle)")
    p.add_argument("--today", type=parse_date, metavar="DATE", help=TODAY_HELP)
    p.add_argument("--dry-run", action="store_true", help="list the messages; send and record nothing")
    p.set_defaults(func=cmd_remind)

    p = sub.add_parser("people", help="people of the plans: set an email address")
    actions = p.add_subparsers(dest="people_command", required=True, parser_class=type(p))
    a = actions.add_parser("set-email", help="set (or, with an empty EMAIL, clear) a person's email")
    add_db(a)
    a.add_argument("name", metavar="NAME", help="the person's name (case-insensitive)")
    a.add_argument("email", metavar="EMAIL")
    a.set_defaults(func=cmd_set_email)


def _today(args: argparse.Namespace) -> dt.date:
    return args.today.date() if getattr(args, "today", None) is not None else dt.date.today()


def _rule(engine: Engine, plan_id: int) -> CycleRule:
    rule = cycle_store.get_rule(engine, plan_id)
    if rule is None:
        raise InputError("the plan has no update cycle; set one with `python -m wehoplan cycle set --every quarter`")
    return rule


def _write(fn: Callable[..., T], *args: object, **kwargs: object) -> T:
    try:
        return fn(*args, **kwargs)
    except (editing.EditError, AccessDenied) as exc:
        raise InputError(str(exc)) from None


def cmd_set(args: argparse.Namespace) -> int:
    """Set the plan's update cycle (options left out keep the current value, else the default)."""
    engine = engine_from_args(args)
    plan = resolve_plan(engine, args.plan)
    if args.period_end and args.every != "custom":
        raise UsageError("--period-end is only for --every custom")
    old = cycle_store.get_rule(engine, plan.id) or CycleRule()

    def pick(value: int | None, current: int) -> int:
        return current if value is None else value

    rule = CycleRule(args.every, pick(args.window_days, old.window_days), pick(args.due_days, old.due_days),
                     pick(args.grace_days, old.grace_days), tuple(d.date() for d in args.period_end))
    rule = _write(cycle_store.set_rule, engine, plan.id, rule, _who())
    print(f"{plan.name}: {cycle_store.describe_rule(rule)}", file=sys.stderr)
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    """Print the rule, the current cycle and its reported / due / late counts per owner (CSV)."""
    engine = engine_from_args(args)
    plan = resolve_plan(engine, args.plan)
    rule, today = _rule(engine, plan.id), _today(args)
    print(f"# {plan.name}: {cycle_store.describe_rule(rule)}")
    locks = cycle_store.locks_frame(engine, plan.id)
    for lock in locks.itertuples():
        print(f"# locked: {day_text(lock.period_start)} to {day_text(lock.period_end)} (by {lock.locked_by})")
    cycle = current_cycle(rule, today)
    if cycle is None:
        print(f"# no reporting window holds {day_text(today)}")
        return 0
    print(f"# {cycle.describe()}")
    tree = prepare_tree(repository.load_items(engine, plan.id)).frame
    states = item_states(tree[tree["is_leaf"]], repository.load_updates(engine, plan.id), cycle, today)
    print(f"# on {day_text(today)}: " + ", ".join(
        f"{(states['state'] == k).sum()} {label.lower()}" for k, label in STATE_LABELS.items()))
    summary = summarise(states, "owner", cycle)
    sys.stdout.write(summary[["group", "n_items", "reported", "due", "late"]]
                     .rename(columns={"group": "owner"}).to_csv(index=False))
    return 0


def cmd_lock(args: argparse.Namespace) -> int:
    """Lock one past period of the plan's cycle."""
    engine = engine_from_args(args)
    plan = resolve_plan(engine, args.plan)
    start, end = _write(cycle_store.lock_period, engine, plan.id, args.period_end.date(), _who(),
                        today=_today(args))
    print(f"{plan.name}: locked {day_text(start)} to {day_text(end)}", file=sys.stderr)
    return 0


def cmd_unlock(args: argparse.Namespace) -> int:
    """Unlock one locked period."""
    engine = engine_from_args(args)
    plan = resolve_plan(engine, args.plan)
    _write(cycle_store.unlock_period, engine, plan.id, args.period_end.date(), _who())
    print(f"{plan.name}: unlocked the period ending {day_text(args.period_end)}", file=sys.stderr)
    return 0


def cmd_remind(args: argparse.Namespace) -> int:
    """Send today's reminder digests (one printed line per message)."""
    engine = engine_from_args(args)
    if args.plan:
        plan_ids = [resolve_plan(engine, args.plan).id]
    else:
        plan_ids = [int(p.id) for p in repository.list_plans(engine).itertuples()]
    try:
        cfg = load_config()
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    try:
        lines = run_reminders(engine, cfg, plan_ids, _today(args), dry_run=args.dry_run)
    except SendError as exc:
        raise InputError(str(exc)) from None
    if not lines:
        print(f"no reminders due on {day_text(_today(args))}", file=sys.stderr)
    return 0


def cmd_set_email(args: argparse.Namespace) -> int:
    """Set one person's email."""
    engine = engine_from_args(args)
    _write(cycle_store.set_email, engine, args.name, args.email, _who())
    print(f"{args.name}: email {'set' if args.email.strip() else 'cleared'}", file=sys.stderr)
    return 0
