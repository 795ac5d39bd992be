"""Shared pieces of the benchmark scripts: the cached database, timing, the table line.

Every benchmark prints lines ``name | median | floor | ratio | target | PASS/FAIL``:
the median of at least five runs of the operation, the median of the floor measured
in the same run (interleaved with it, so both see the same machine load), their
ratio and the target ratio. Shared, noisy machines change seconds; ratios survive.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # scripts run standalone: python bench/bench_x.py
    sys.path.insert(0, str(ROOT))

CACHE = ROOT / "bench" / ".cache"
FULL = {"actions": 10_000, "months": 60}
QUICK = {"actions": 2_000, "months": 24}
RUNS = 5


def sizes(quick: bool) -> dict[str, int]:
    """Benchmark sizes: the issue's 10k actions x 60 months, or a quick 2k x 24."""
    return QUICK if quick else FULL


def db_path(quick: bool, size: dict[str, int] | None = None) -> Path:
    """Cached database file for these sizes; its name changes when the generator or the schema does.

    The schema's revisions count too: a cached file from before a new migration is "older than
    this wehoplan", and every page and command refuses it.
    """
    gen = (ROOT / "wehoplan" / "generate.py").read_bytes() + (ROOT / "wehoplan" / "models.py").read_bytes()
    gen += " ".join(sorted(p.name for p in (ROOT / "wehoplan" / "migrations" / "versions").glob("*.py"))).encode()
    tag = hashlib.sha256(gen).hexdigest()[:10]
    s = size or sizes(quick)
    return CACHE / f"plan-{s['actions']}x{s['months']}-{tag}.db"


def ensure_db(quick: bool, size: dict[str, int] | None = None) -> Path:
    """Generate the benchmark database once (``size``: other sizes than the two standard ones)."""
    path = db_path(quick, size)
    if path.exists():
        return path
    from wehoplan.db import make_engine
    from wehoplan.generate import generate

    CACHE.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.db")
    for p in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
        p.unlink(missing_ok=True)
    s = size or sizes(quick)
    t0 = time.perf_counter()
    engine = make_engine(f"sqlite:///{tmp}")
    generate(engine, s["actions"], s["months"], seed=0)
    engine.dispose()
    import sqlite3

    con = sqlite3.connect(tmp)  # fold the WAL back in so the cached file stands alone
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.execute("PRAGMA journal_mode=DELETE")
    con.close()
    tmp.rename(path)
    print(f"# generated {path.name} in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return path


def args(description: str) -> argparse.Namespace:
    """Command line of every benchmark script: --quick, --db PATH, --runs N; the process set up as the app's."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--quick", action="store_true", help="smaller sizes (2k actions x 24 months)")
    p.add_argument("--db", type=Path, help="SQLite file to use (default: the cached generated one)")
    p.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_RUNS", RUNS)))
    ns = p.parse_args()
    ns.runs = max(ns.runs, RUNS)
    from wehoplan.memory import keep_freed_blocks

    # The process set up as app.py and the command line set up theirs (freed large blocks kept for
    # the next computation, wehoplan/memory.py): the operation runs as the app runs it, and the floor
    # beside it in the same process under the same allocator.
    keep_freed_blocks()
    if ns.db is None:
        ns.db = ensure_db(ns.quick)
    return ns


def paired(op: Callable[[], object], floor: Callable[[], object], runs: int) -> tuple[float, float]:
    """Median seconds of ``op`` and of ``floor``, run alternately after one warm-up each."""
    times = paired_many({"floor": floor, "op": op}, runs)
    return times["op"], times["floor"]


def paired_many(fns: dict[str, Callable[[], object]], runs: int) -> dict[str, float]:
    """Median seconds of each of ``fns``, run in turn (in the dict's order) after one warm-up each."""
    for fn in fns.values():
        fn()
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(runs):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    return {name: statistics.median(t) for name, t in times.items()}


def line(name: str, value: float, floor: float, target: float, unit: str = "s") -> str:
    """Format (and print) one table line; PASS when value / floor <= target."""
    ratio = value / floor if floor else float("inf")
    verdict = "PASS" if ratio <= target else "FAIL"
    fmt = "{:.3f}" if unit == "s" else "{:.1f}"
    text = (f"{name} | {fmt.format(value)}{unit} | {fmt.format(floor)}{unit} | {ratio:.2f} | "
            f"<= {target:g}x | {verdict}")
    print(text, flush=True)
    return text
