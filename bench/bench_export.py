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

A ``#`` line gives one end-to-end ``python -m wehoplan export`` of the same plan (a new
process: imports, load, roll-up, extract, write).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import rustpy_xlsxwriter as rx
from common import ROOT, args, line, paired

from wehoplan import exporting, repository
from wehoplan.db import make_engine
from wehoplan.rollup import prepare_tree


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

    t_op, t_floor = paired(op, floor, ns.runs)
    rows = sum(len(f) for f in frames.values())
    line(f"export_full_extract ({len(extract.updates)} update rows, {rows} rows in all)", t_op, t_floor, 1.3)
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "wehoplan", "export", str(out / "cli.xlsx"), "--db", f"sqlite:///{ns.db}"],
                   cwd=ROOT, check=True, capture_output=True)
    print(f"# python -m wehoplan export (whole CLI run, one run): {time.perf_counter() - t0:.1f} s")
    for f in out.iterdir():
        f.unlink()
    out.rmdir()


if __name__ == "__main__":
    main()
