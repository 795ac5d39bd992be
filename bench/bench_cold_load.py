"""Benchmark 5: cold load of what the home page needs, against an ADBC Arrow fetch (target <= 1.5x).

Floor: ``SELECT * FROM items`` and ``SELECT * FROM updates`` fetched as Arrow tables
through ``adbc-driver-sqlite``: the fastest way to bring both whole tables into memory.

Operations (nothing cached between runs; each opens its own engine):
- ``cold_load_home``: what the home page needs, the latest state only:
  ``load_items`` + ``plan_default_as_of`` + ``load_latest_updates`` + ``prepare_tree``;
- ``cold_load_full``: the whole history too (what a trends page needs):
  ``load_items`` + ``load_updates`` + ``prepare_tree``.
"""

from __future__ import annotations

import adbc_driver_sqlite.dbapi as adbc
from common import args, line, paired

from wehoplan import repository, rollup
from wehoplan.db import make_engine


def arrow_floor(path: str) -> None:
    """Both whole tables as Arrow tables (one batch per table: the driver's fastest setting)."""
    with adbc.connect(path) as conn:
        cur = conn.cursor()
        cur.adbc_statement.set_options(**{"adbc.sqlite.query.batch_rows": "100000000"})
        for table in ("items", "updates"):
            cur.execute(f"SELECT * FROM {table}")
            cur.fetch_arrow_table()
        cur.close()


def main() -> None:
    ns = args(__doc__)
    url = f"sqlite:///{ns.db}"
    plan_id = repository.resolve_plan(make_engine(url), None).id

    def home() -> None:
        engine = make_engine(url)
        items = repository.load_items(engine, plan_id)
        as_of = repository.plan_default_as_of(engine, plan_id)
        repository.load_latest_updates(engine, plan_id, as_of)
        rollup.prepare_tree(items)
        engine.dispose()

    def full() -> None:
        engine = make_engine(url)
        items = repository.load_items(engine, plan_id)
        repository.load_updates(engine, plan_id)
        rollup.prepare_tree(items)
        engine.dispose()

    op, floor = paired(home, lambda: arrow_floor(str(ns.db)), ns.runs)
    line("cold_load_home (latest state)", op, floor, 1.5)
    op, floor = paired(full, lambda: arrow_floor(str(ns.db)), ns.runs)
    line("cold_load_full (whole history)", op, floor, 1.5)


if __name__ == "__main__":
    main()
