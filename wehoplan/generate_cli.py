"""``python -m wehoplan generate``: write large synthetic plans (thin wrapper of generate.py)."""

from __future__ import annotations

import argparse
import time

from wehoplan.cli import InputError, UsageError, add_db, engine_from_args


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid number {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def cmd_generate(args: argparse.Namespace) -> int:
    """Generate the plans, print one line per plan and the time taken."""
    from wehoplan.generate import generate

    if args.actions < args.plans:
        raise UsageError("--actions must be at least --plans (every plan needs an action)")
    engine = engine_from_args(args, must_exist=False)
    t0 = time.perf_counter()
    try:
        made = generate(engine, args.actions, args.months, plans=args.plans, seed=args.seed)
    except FileExistsError as exc:
        raise InputError(f"{exc}; use another --seed or another --db") from None
    for g in made:
        print(f"{g.name}: {g.strategies} strategies, {g.initiatives} initiatives, "
              f"{g.actions} actions, {g.updates} updates")
    print(f"generated in {time.perf_counter() - t0:.1f} s into "
          f"{engine.url.render_as_string(hide_password=True)}")
    return 0


def register(subparsers) -> None:
    """Add the ``generate`` command."""
    p = subparsers.add_parser(
        "generate", help="write large, realistic, deterministic synthetic plans (benchmarks, load tests)")
    add_db(p)
    p.add_argument("--actions", type=_positive, required=True, metavar="N",
                   help="number of actions in total, shared between the plans")
    p.add_argument("--months", type=_positive, required=True, metavar="M",
                   help="months of history (one update per action per month-end, ending 2025-12)")
    p.add_argument("--plans", type=_positive, default=1, metavar="P", help="number of plans (default 1)")
    p.add_argument("--seed", type=int, default=0, metavar="S",
                   help="random seed; the same arguments give the same database (default 0)")
    p.set_defaults(func=cmd_generate)
