"""``python -m bench --scale``: the same plan at county scale, 2k, 10k, 50k and 100k actions x 60 months.

Each size's database is generated once into ``bench/.cache/`` (the 100k plan, 6 M updates,
takes a few minutes). Each size runs in a fresh interpreter (``python bench/scale.py --child
PATH``), which prints one line: the cold load the app does (plan, items, whole history,
tree), the one-date roll-up, the 60-date trend and its numpy floor (``bench/numpy_floor.py``),
medians of three interleaved runs, and the peak memory of each page-sized computation above
what the loaded frames already hold (``ru_maxrss`` growth). The table then shows each trend
against the 10k trend measured in the same run (target: at most 12x at 100k, linear) and
every peak against the 2 GB budget.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, ensure_db

SIZES = (2_000, 10_000, 50_000, 100_000)
MONTHS = 60
RUNS = 3
MEMORY_BUDGET_MB = 2048.0


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def child(path: str) -> dict[str, float]:
    """Measure one database in this process (fresh interpreter: ru_maxrss starts low)."""
    sys.path.insert(0, str(ROOT / "bench"))
    import numpy_floor as nf
    import pandas as pd

    from wehoplan import repository
    from wehoplan.db import make_engine
    from wehoplan.filters import Filters
    from wehoplan.rollup import Thresholds, leaf_states, prepare_tree, prepare_updates, roll_up, roll_up_many

    url = f"sqlite:///{path}"
    th, f = Thresholds(), Filters()
    out: dict[str, float] = {}
    base = _rss_mb()
    t0 = time.perf_counter()
    engine = make_engine(url)
    plan = repository.resolve_plan(engine, None)
    tree = prepare_tree(repository.load_items(engine, plan.id))
    updates = repository.load_updates(engine, plan.id)
    out["load_s"] = time.perf_counter() - t0
    out["updates"] = float(len(updates))
    out["load_peak_mb"] = _rss_mb() - base
    as_of = repository.default_as_of(updates, tree.frame)
    ends = pd.date_range(end=as_of, periods=MONTHS, freq="ME")
    loaded = _rss_mb()
    roll_up(tree, leaf_states(tree, updates, [as_of], th), f)
    out["rollup_peak_mb"] = _rss_mb() - loaded
    loaded = _rss_mb()
    roll_up_many(tree, leaf_states(tree, updates, ends, th), f)
    out["trend_peak_mb"] = _rss_mb() - loaded
    # Both sides prepare once outside the timing (the floor sorts its updates in prepare, the
    # app's cache makes prepare_updates once per data version).
    arrays = nf.prepare(tree, updates)
    prepared = prepare_updates(tree, updates)
    timed = {"rollup_s": lambda: roll_up(tree, leaf_states(tree, prepared, [as_of], th), f),
             "trend_s": lambda: roll_up_many(tree, leaf_states(tree, prepared, ends, th), f),
             "floor60_s": lambda: nf.roll_up(arrays, ends)}
    times: dict[str, list[float]] = {k: [] for k in timed}
    for _ in range(RUNS):
        for name, fn in timed.items():
            t = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t)
    out.update({k: statistics.median(v) for k, v in times.items()})
    return out


def main(sizes: tuple[int, ...] = SIZES) -> int:
    """Generate (once) and measure every size; print the Markdown table; 1 when a target is missed."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    results = {}
    for n in sizes:
        db = ensure_db(False, {"actions": n, "months": MONTHS})
        print(f"# measuring {n} actions ...", file=sys.stderr, flush=True)
        run = subprocess.run([sys.executable, str(Path(__file__)), "--child", str(db)], cwd=ROOT, env=env,
                             capture_output=True, text=True, check=True)
        results[n] = json.loads(run.stdout.strip().splitlines()[-1])
    ref = results.get(10_000)
    print("| actions x months | updates | cold load | one-date roll-up | 60-date trend | numpy floor (60) "
          "| trend / floor | trend / 10k trend | peak MB (load / roll-up / trend) |")
    print("|---|---|---|---|---|---|---|---|---|")
    missed = []
    for n, r in results.items():
        growth = r["trend_s"] / ref["trend_s"] if ref else float("nan")
        peaks = (r["load_peak_mb"], r["rollup_peak_mb"], r["trend_peak_mb"])
        print(f"| {n:,} x {MONTHS} | {int(r['updates']):,} | {r['load_s']:.2f}s | {r['rollup_s']:.3f}s | "
              f"{r['trend_s']:.2f}s | {r['floor60_s']:.2f}s | {r['trend_s'] / r['floor60_s']:.2f} | {growth:.1f}x | "
              + " / ".join(f"{p:.0f}" for p in peaks) + " |")
        if n == 100_000 and ref and growth > 12.0:
            missed.append(f"trend at 100k is {growth:.1f}x the 10k trend (target <= 12x)")
        if max(peaks[1:]) > MEMORY_BUDGET_MB:
            missed.append(f"peak memory at {n} above {MEMORY_BUDGET_MB:.0f} MB")
    for m in missed:
        print(f"missed: {m}", file=sys.stderr)
    return 1 if missed else 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        print(json.dumps(child(sys.argv[2])))
        sys.exit(0)
    sys.exit(main(tuple(int(a) for a in sys.argv[1:]) or SIZES))
