"""Benchmark 5: cold load of what the app loads, against an ADBC Arrow fetch of the same (target <= 1.5x).

Operation (``cold_load_app``, nothing cached between runs; each opens its own engine): what
``wehoplan.ui.cache`` loads for a page, the whole history included: ``resolve_plan`` +
``load_items`` + ``load_updates`` + ``prepare_tree``. (The app never calls
``load_latest_updates``: every page reads the full frames from one cached load.)

Floor: ``SELECT * FROM items`` and ``SELECT * FROM updates`` fetched as Arrow tables through
``adbc-driver-sqlite`` with one batch per table (the driver's fastest setting): the same rows
(the benchmark plan is the whole database) brought into memory the fastest way available.
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

    def full() -> None:
        engine = make_engine(url)
        plan = repository.resolve_plan(engine, None)
        items = repository.load_items(engine, plan.id)
        repository.load_updates(engine, plan.id)
        rollup.prepare_tree(items)
        engine.dispose()

    op, floor = paired(full, lambda: arrow_floor(str(ns.db)), ns.runs)
    line("cold_load_app (plan, items, whole history, tree)", op, floor, 1.5)


if __name__ == "__main__":
    main()
