"""Benchmark 2: the one-date roll-up and the 60-date trend against a minimal numpy roll-up.

Operations (frames loaded, the tree and the updates' lookup arrays prepared once, outside the
timing, as the app's cache does once per data version and as the floor's inputs are; the leaf
states are inside, as on a page's first run at a date):
- ``rollup_one_date``: ``roll_up(tree, leaf_states(tree, prepared, [as_of], th), Filters())``
  (= ``rollup_table``), target <= 2x;
- ``trends_60_month_ends``: ``roll_up_many(tree, leaf_states(tree, prepared, <60 month-ends>,
  th), Filters())``, the whole trend in one grouped computation, target <= 1.5x.

``prepared = prepare_updates(tree, updates)`` does per data version what the floor's
``prepare`` does outside its timing: keep the leaves' updates, status as codes, days as
integers, sorted once by (leaf, day) (the op also keeps the commented rows' keys).

Floor: ``bench/numpy_floor.py`` for the same date(s): the updates sorted by (leaf, day) once in
its ``prepare``, one ``searchsorted`` for every leaf's latest state, ``np.add.reduceat`` level by level; inputs
are arrays prepared outside the timing. Before timing, its progress, status and counts are
checked against the operation's on every node (the script stops otherwise).
"""

from __future__ import annotations

import numpy_floor as nf
import pandas as pd
from common import args, line, paired  # common puts the repo on sys.path

from wehoplan import repository
from wehoplan.db import make_engine
from wehoplan.filters import Filters
from wehoplan.rollup import Thresholds, leaf_states, prepare_tree, prepare_updates, roll_up, roll_up_many


def main() -> None:
    ns = args(__doc__)
    engine = make_engine(f"sqlite:///{ns.db}")
    plan = repository.resolve_plan(engine, None)
    tree = prepare_tree(repository.load_items(engine, plan.id))
    updates = repository.load_updates(engine, plan.id)
    as_of = repository.default_as_of(updates, tree.frame)
    ends = pd.date_range(end=as_of, periods=60, freq="ME")
    th, f = Thresholds(), Filters()
    arrays = nf.prepare(tree, updates)
    prepared = prepare_updates(tree, updates)

    def one() -> pd.DataFrame:
        return roll_up(tree, leaf_states(tree, prepared, [as_of], th), f)

    def many() -> pd.DataFrame:
        return roll_up_many(tree, leaf_states(tree, prepared, ends, th), f)

    nf.check(arrays, nf.roll_up(arrays, [as_of]), one())
    trend, floor60 = many(), nf.roll_up(arrays, ends)
    for j, end in enumerate(ends):
        nf.check(arrays, floor60, trend[trend["snap"] == end], j)
    op, floor = paired(one, lambda: nf.roll_up(arrays, [as_of]), ns.runs)
    line(f"rollup_one_date ({len(updates)} updates)", op, floor, 2.0)
    op, floor = paired(many, lambda: nf.roll_up(arrays, ends), ns.runs)
    line(f"trends_60_month_ends ({len(updates)} updates)", op, floor, 1.5)


if __name__ == "__main__":
    main()
