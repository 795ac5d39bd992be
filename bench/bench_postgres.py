"""Benchmark: cold load and roll-up on PostgreSQL beside SQLite, for the same generated plan (issue 12).

Starts a throwaway PostgreSQL cluster (``tests/pg.py``: initdb + pg_ctl in a temporary folder on
127.0.0.1, stopped at the end), generates the same plan into it (same sizes, same seed) and times,
alternately, each operation on PostgreSQL and its floor, the same operation on the SQLite file:

- ``pg_cold_load_app``: what the app loads (``resolve_plan`` + ``load_items`` + ``load_updates`` +
  ``prepare_tree``), target <= 1.5x SQLite's;
- ``rollup``: ``rollup.rollup`` as of the default date on frames already loaded (the same on both:
  the database is out of it, so its ratio shows the noise);

each on PostgreSQL through the default reader (Arrow through ``adbc-driver-postgresql``); the load
through SQLAlchemy (psycopg) is a ``#`` line. Skipped when the PostgreSQL binaries are missing.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from common import args, line, paired, sizes

from wehoplan import repository, rollup
from wehoplan.db import make_engine
from wehoplan.generate import generate
from wehoplan.repository import SQLAlchemyReader

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
import pg  # the tests' throwaway cluster helper (tests/pg.py)


def _cold(url: str, reader=None):
    """What the app loads (``wehoplan.ui.cache``): the plan, its items, its whole history, the tree."""
    def run() -> None:
        engine = make_engine(url)
        plan = repository.resolve_plan(engine, None, reader=reader)
        items = repository.load_items(engine, plan.id, reader=reader)
        repository.load_updates(engine, plan.id, reader=reader)
        rollup.prepare_tree(items)
        engine.dispose()

    return run


def main() -> None:
    ns = args(__doc__)
    if pg.find_bindir() is None:
        print("# bench_postgres: skipped, no PostgreSQL server binaries (apt-get install postgresql)", file=sys.stderr)
        return
    lite = f"sqlite:///{ns.db}"
    lite_engine = make_engine(lite)
    plan = repository.resolve_plan(lite_engine, None)
    size = sizes(ns.quick)  # the generated plan's sizes (a --db file must be that plan)
    n_actions, n_months = size["actions"], size["months"]
    cluster = pg.start_cluster()
    try:
        admin = make_engine(cluster.admin_url).execution_options(isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.exec_driver_sql("CREATE DATABASE bench")
        url = cluster.url("bench")
        t0 = time.perf_counter()
        generate(make_engine(url), n_actions, n_months, seed=0)
        # Planner statistics, as autovacuum gathers them on a server soon after a bulk load: without
        # them the latest-state query picks a plan about 3x slower.
        with make_engine(url).connect() as c:
            c.exec_driver_sql("ANALYZE")
        print(f"# generated {n_actions} actions x {n_months} months into PostgreSQL in "
              f"{time.perf_counter() - t0:.1f} s", file=sys.stderr)
        pg_plan = repository.resolve_plan(make_engine(url), None).id
        n = len(repository.load_updates(make_engine(url), pg_plan))
        op, floor = paired(_cold(url), _cold(lite), ns.runs)
        line(f"pg_cold_load_app arrow vs sqlite ({n} updates)", op, floor, 1.5)
        op, floor = paired(_cold(url, SQLAlchemyReader()), _cold(lite), ns.runs)
        print(f"# pg_cold_load_app through SQLAlchemy (psycopg rows): {op:.3f}s against SQLite's {floor:.3f}s")

        def roll(u: str, pid: int):
            engine = make_engine(u)
            items, updates = repository.load_items(engine, pid), repository.load_updates(engine, pid)
            as_of = repository.default_as_of(updates, items)
            return lambda: rollup.rollup(items, updates, as_of)

        op, floor = paired(roll(url, pg_plan), roll(lite, plan.id), ns.runs)
        line(f"pg_rollup vs sqlite ({n} updates)", op, floor, 1.3)
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
