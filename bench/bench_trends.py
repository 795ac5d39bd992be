"""Benchmark 2: trends over 60 month-ends against one as-of roll-up (target <= 3x).

Operation: ``rollup.rollup_many(tree, updates, <60 month-ends>)``, the whole trend
in one grouped computation. Floor: ``rollup.rollup_table(tree, updates, as_of)``,
the single roll-up every page already pays for. Data loaded once, outside the timing.
"""

from __future__ import annotations

import pandas as pd
from common import args, line, paired  # noqa: I001 - common puts the repo on sys.path

from wehoplan import repository, rollup
from wehoplan.db import make_engine


def main() -> None:
    ns = args(__doc__)
    engine = make_engine(f"sqlite:///{ns.db}")
    plan = repository.resolve_plan(engine, None)
    tree = rollup.prepare_tree(repository.load_items(engine, plan.id))
    updates = repository.load_updates(engine, plan.id)
    as_of = repository.default_as_of(updates)
    ends = pd.date_range(end=as_of, periods=60, freq="ME")
    op, floor = paired(lambda: rollup.rollup_many(tree, updates, ends),
                       lambda: rollup.rollup_table(tree, updates, as_of), ns.runs)
    line(f"trends_60_month_ends ({len(updates)} updates)", op, floor, 3.0)


if __name__ == "__main__":
    main()
