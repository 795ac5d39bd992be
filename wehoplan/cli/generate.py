"""``python -m wehoplan generate``: write large synthetic plans (thin wrapper of :mod:`wehoplan.generate`)."""

from __future__ import annotations

import argparse
import time

from wehoplan.cli.common import InputError, SubParsers, UsageError, add_db, engine_from_args, positive_int
from wehoplan.generate import generate


def register(sub: SubParsers) -> None:
    """Add the ``generate`` command."""
    p = sub.add_parser(
        "generate", help="write large, realistic, deterministic synthetic plans (benchmarks, load tests)")
    add_db(p)
    p.add_argument("--actions", type=positive_int, required=True, metavar="N",
                   help="number of actions in total, shared between the plans")
    p.add_argument("--months", type=positive_int, required=True, metavar="M",
                   help="months of history (one update per action per month-end, ending 2025-12)")
    p.add_argument("--plans", type=positive_int, default=1, metavar="P", help="number of plans (default 1)")
    p.add_argument("--seed", type=int, default=0, metavar="S",
                   help="random seed; the same arguments give the same database (default 0)")
    p.set_defaults(func=cmd_generate)


def cmd_generate(args: argparse.Namespace) -> int:
    """Generate the plans, print one line per plan and the time taken."""
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
