"""Benchmark 2: trends over 60 month-ends against one as-of roll-up (target <= 3x).

Operation: ``roll_up_many(tree, leaf_states(tree, updates, <60 month-ends>, th), Filters())``,
the whole trend in one grouped computation. Floor: ``roll_up(tree, leaf_states(tree,
updates, [as_of], th), Filters())``, the single roll-up every page already pays for.
Data loaded and the tree prepared once, outside the timing.
"""

from __future__ import annotations

import pandas as pd
from common import args, line, paired  # common puts the repo on sys.path

from wehoplan import repository
from wehoplan.db import make_engine
from wehoplan.filters import Filters
from wehoplan.rollup import Thresholds, leaf_states, prepare_tree, roll_up, roll_up_many


def main() -> None:
    ns = args(__doc__)
    engine = make_engine(f"sqlite:///{ns.db}")
    plan = repository.resolve_plan(engine, None)
    tree = prepare_tree(repository.load_items(engine, plan.id))
    updates = repository.load_updates(engine, plan.id)
    as_of = repository.default_as_of(updates, tree.frame)
    ends = pd.date_range(end=as_of, periods=60, freq="ME")
    th, f = Thresholds(), Filters()
    op, floor = paired(lambda: roll_up_many(tree, leaf_states(tree, updates, ends, th), f),
                       lambda: roll_up(tree, leaf_states(tree, updates, [as_of], th), f), ns.runs)
    line(f"trends_60_month_ends ({len(updates)} updates)", op, floor, 3.0)


if __name__ == "__main__":
    main()
