"""``python -m bench [--quick]``: run every ``bench/bench_*.py`` and print one table.

Each script is standalone (``python bench/bench_trends.py --quick`` works too) and
prints ``name | median | floor | ratio | target | PASS/FAIL`` lines; this collects
them. The generated database is cached in ``bench/.cache/`` between runs. Exit code
1 when a target is missed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import subprocess
import sys
import time

from bench.common import ROOT, ensure_db, sizes

HEADER = ("benchmark", "median", "floor", "ratio", "target", "result")


def versions() -> str:
    """The library versions that decide the numbers."""
    import importlib.metadata as md

    names = ["pandas", "pyarrow", "numpy", "SQLAlchemy", "adbc-driver-sqlite", "streamlit"]
    found = []
    for n in names:
        try:
            found.append(f"{n} {md.version(n)}")
        except md.PackageNotFoundError:
            pass
    return f"Python {platform.python_version()}, " + ", ".join(found)


def render(rows: list[list[str]]) -> str:
    """A Markdown table (what bench/README.md shows)."""
    widths = [max(len(r[i]) for r in [list(HEADER), *rows]) for i in range(len(HEADER))]
    fmt = lambda r: "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |"  # noqa: E731
    return "\n".join([fmt(list(HEADER)), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(fmt, rows)])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="smaller sizes (2k actions x 24 months)")
    p.add_argument("-k", metavar="TEXT", default="", help="only scripts whose name contains TEXT")
    p.add_argument("--scale", action="store_true",
                   help="county scale instead: 2k, 10k, 50k and 100k actions x 60 months (bench/scale.py)")
    ns = p.parse_args(argv)
    if ns.scale:
        from bench import scale

        return scale.main()
    db = ensure_db(ns.quick)
    s = sizes(ns.quick)
    scripts = sorted(f for f in (ROOT / "bench").glob("bench_*.py") if ns.k in f.name)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    rows: list[list[str]] = []
    failed_scripts = []
    t0 = time.perf_counter()
    for script in scripts:
        print(f"# running {script.name} ...", file=sys.stderr, flush=True)
        cmd = [sys.executable, str(script), "--db", str(db)] + (["--quick"] if ns.quick else [])
        out = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
        for text in out.stdout.splitlines():
            cells = [c.strip() for c in text.split("|")]
            if len(cells) == len(HEADER) and cells[-1] in ("PASS", "FAIL"):
                rows.append(cells)
        if out.returncode != 0:
            failed_scripts.append(script.name)
            print(f"# {script.name} failed:\n{out.stderr}", file=sys.stderr)
    cpus = os.cpu_count()
    print(f"wehoplan benchmarks, {dt.date.today()}, {s['actions']} actions x {s['months']} months "
          f"({s['actions'] * s['months']} updates), {platform.machine()} with {cpus} cores, {versions()}")
    print(render(rows))
    print(f"({time.perf_counter() - t0:.0f} s; median of >= 5 runs; ratio = median / floor measured in the same run)")
    missed = [r[0] for r in rows if r[-1] == "FAIL"]
    if missed or failed_scripts:
        print("missed: " + ", ".join(missed + failed_scripts), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
