"""Benchmark 4: the CLI's full .xlsx extract of the 10k plan against a Rust writer (target <= 1.3x).

Data: the benchmark plan (``--db``, 10 000 actions x 60 months), turned into the extract the
CLI's ``export`` writes (``exporting.build_extract`` at the plan's default as-of, no filter:
every action, the roll-up, the executive summary and the whole update history, ~600 000 rows),
built once outside the timing.

Operation: ``exporting.write_xlsx(extract, path)``: everything from the display frames to the
file on disk (type conversion, formats, widths, status colours, page setup, zip).

Floor: ``rustpy_xlsxwriter.FastExcel`` (rust_xlsxwriter) writing the same sheets' visible
columns, frames prepared outside the timing, to a file: the fastest formula-safe writer
available (it stores text as inline strings, never formulas). It writes no per-row status
colours, page setup or column widths, so it is a lower bound for the same cells.

Two table lines from the same interleaved runs: wall clock, and CPU time of this process
(``time.process_time``, every thread: rust_xlsxwriter's included), the fairer figure on a
shared machine where waiting for a core is not the operation's cost. A ``#`` line gives one
end-to-end ``python -m wehoplan export`` of the same plan (a new process: imports, load,
roll-up, extract, write; wall clock and the child's CPU time).
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import rustpy_xlsxwriter as rx
from common import ROOT, args, line

from wehoplan import exporting, repository
from wehoplan.db import make_engine
from wehoplan.rollup import prepare_tree


def paired_cpu(op: Callable[[], object], floor: Callable[[], object], runs: int) -> dict[str, float]:
    """Medians of wall clock and CPU seconds of ``op`` and ``floor``, alternately after one warm-up each."""
    op()
    floor()
    times: dict[str, list[float]] = {"op": [], "op_cpu": [], "floor": [], "floor_cpu": []}
    for _ in range(runs):
        for fn, key in ((floor, "floor"), (op, "op")):
            w0, c0 = time.perf_counter(), time.process_time()
            fn()
            times[key + "_cpu"].append(time.process_time() - c0)
            times[key].append(time.perf_counter() - w0)
    return {k: statistics.median(v) for k, v in times.items()}


def main() -> None:
    ns = args(__doc__)
    engine = make_engine(f"sqlite:///{ns.db}")
    plan = repository.resolve_plan(engine, None)
    items = repository.load_items(engine, plan.id)
    updates = repository.load_updates(engine, plan.id)
    extract = exporting.build_extract(prepare_tree(items), updates, plan, repository.default_as_of(updates, items))
    frames = {name: frame[[c for c in frame.columns if not str(c).startswith("_")]]
              for name, frame in extract.sheets().items()}
    out = Path(tempfile.mkdtemp(prefix="wehoplan-bench-export-"))

    def op() -> None:
        exporting.write_xlsx(extract, out / "op.xlsx")

    def floor() -> None:
        book = rx.FastExcel(str(out / "floor.xlsx"))
        for name, frame in frames.items():
            book.sheet(name, frame)
        book.save()

    t = paired_cpu(op, floor, ns.runs)
    rows = sum(len(f) for f in frames.values())
    name = f"export_full_extract ({len(extract.updates)} update rows, {rows} rows in all)"
    line(name, t["op"], t["floor"], 1.3)
    line(f"{name} CPU time", t["op_cpu"], t["floor_cpu"], 1.3)
    print(f"# load average {' / '.join(f'{x:.2f}' for x in os.getloadavg())}")
    t0, c0 = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, "-m", "wehoplan", "export", str(out / "cli.xlsx"), "--db", f"sqlite:///{ns.db}"],
                   cwd=ROOT, check=True, capture_output=True)
    c1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (c1.ru_utime - c0.ru_utime) + (c1.ru_stime - c0.ru_stime)
    print(f"# python -m wehoplan export (whole CLI run, one run): {time.perf_counter() - t0:.1f} s, CPU {cpu:.1f} s")
    for f in out.iterdir():
        f.unlink()
    out.rmdir()


if __name__ == "__main__":
    main()
