"""Benchmark 6: memory of the cold load on 600k updates (budgets: 250 MB peak, 100 MB frames).

Each measurement runs in a fresh interpreter (``--child``): the baseline is its RSS
once pandas, pyarrow, SQLAlchemy and wehoplan are imported; the peak is
``resource.getrusage(RUSAGE_SELF).ru_maxrss`` after ``load_items`` + ``load_updates``
+ ``prepare_tree`` (the whole history, the heaviest load); the frames are their
``memory_usage(deep=True)``. The table shows the median of five children against
the budget: ratio = measured / budget, PASS when <= 1.

The app's cold load (``wehoplan.ui.cache``) also makes ``prepare_updates`` of the tree and
history, once per data version: ``memory_peak_app_cold_load`` is the peak after it too (same
250 MB budget), ``memory_prepared_arrays`` the bytes of its own arrays (the views of the
history's columns it reads not counted; budget 25 MB: about 40 bytes per update would be
a copy of the history's numbers, as before issue 15's fifth pass).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys

from common import ROOT, args, line


def child(path: str) -> None:
    """Measure one cold load in this process and print the numbers as JSON."""
    import resource

    import adbc_driver_sqlite.dbapi  # noqa: F401 - part of the baseline, like the other libraries
    import numpy as np
    import psutil

    from wehoplan import repository, rollup
    from wehoplan.db import make_engine

    base = psutil.Process().memory_info().rss
    engine = make_engine(f"sqlite:///{path}")
    plan_id = repository.resolve_plan(engine, None).id
    items = repository.load_items(engine, plan_id)
    updates = repository.load_updates(engine, plan_id)
    tree = rollup.prepare_tree(items)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux reports KiB
    frames = sum(int(f.memory_usage(deep=True).sum()) for f in (items, updates, tree.frame))
    prepared = rollup.prepare_updates(tree, updates)
    app_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    history = [c.array._ndarray for _, c in updates.items() if hasattr(c.array, "_ndarray")]
    own = [a for a in vars(prepared).values() if isinstance(a, np.ndarray)
           and not any(np.shares_memory(a, h) for h in history)]
    print(json.dumps({"peak_mb": (peak - base) / 2**20, "frames_mb": frames / 2**20, "rows": len(updates),
                      "app_peak_mb": (app_peak - base) / 2**20,
                      "prepared_mb": sum(a.nbytes for a in own) / 2**20}))


def main() -> None:
    if "--child" in sys.argv:
        child(sys.argv[sys.argv.index("--child") + 1])
        return
    ns = args(__doc__)
    results = []
    for _ in range(ns.runs):
        out = subprocess.run([sys.executable, __file__, "--child", str(ns.db)], cwd=ROOT,
                             capture_output=True, text=True, check=True)
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    rows = results[0]["rows"]
    line(f"memory_peak_cold_load ({rows} updates)", statistics.median(r["peak_mb"] for r in results),
         250.0, 1.0, unit="MB")
    line("memory_loaded_frames", statistics.median(r["frames_mb"] for r in results), 100.0, 1.0, unit="MB")
    line("memory_peak_app_cold_load (+ prepare_updates)", statistics.median(r["app_peak_mb"] for r in results),
         250.0, 1.0, unit="MB")
    line("memory_prepared_arrays", statistics.median(r["prepared_mb"] for r in results), 25.0, 1.0, unit="MB")


if __name__ == "__main__":
    main()
