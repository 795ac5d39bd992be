"""``python -m bench --scale``: the same plan at county scale, 2k, 10k, 50k and 100k actions x 60 months.

Each size's database is generated once into ``bench/.cache/`` (the 100k plan, 6 M updates,
takes a few minutes). Each size runs in a fresh interpreter (``python bench/scale.py --child
PATH``), which prints one line: the cold load the app does (plan, items, whole history,
tree), the one-date roll-up, the 60-date trend and its numpy floor (``bench/numpy_floor.py``),
medians of three interleaved runs, and the peak memory of each page-sized computation above
what the loaded frames already hold (``ru_maxrss`` growth). The table then shows each trend
against the 10k trend measured in the same run (target: at most 12x at 100k, linear) and
every peak against the 2 GB budget.

Then each size's pages (``--pages PATH``, another fresh interpreter, so the computations above
do not raise its peak): every page of ``wehoplan.ui.auth.PAGES`` opened in Streamlit's
``AppTest`` on that database in local mode (no sign-in: every page usable), one after the
other in ONE process, as one server holds them (the plan frames and the other
``st.cache_resource`` entries are shared by the pages, as they are by a server's sessions).
Each page runs once, then one sidebar filter changes (the Department filter set to its first
department; pages without the shared sidebar, Import, Users and Public, rerun as they are) and
it reruns; the Trends page then also takes its heaviest own choice (Every: Month, 61 dates
instead of the default 21 quarter-ends) as a line of its own; any exception stops the table.
After each page the process's peak RSS (``ru_maxrss``, absolute) is recorded: it only grows,
so the last page's peak is the peak of the whole server after every page, an upper bound for
any one page opened alone (which loads the same frames). ``--per-page`` runs each page in its
own fresh interpreter instead: item 3's measure of "peak memory <= 2 GB for any page", one
fresh server process per page that cold-loads the plan, opens the page, changes the filter and
reruns (Trends: then Every: Month), each line PASS or FAIL against 2048 MB (one cold load per
page: slow at 100k). ``--page TEXT`` (repeatable) runs only the pages whose file name contains
TEXT. The 1-minute load average at each page's start is printed beside it.
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
from typing import Any

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
    from wehoplan.memory import keep_freed_blocks
    from wehoplan.rollup import Thresholds, leaf_states, prepare_tree, prepare_updates, roll_up, roll_up_many

    keep_freed_blocks()  # as the app and the command line do when they start (the floor shares the process)
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


# A page's own control whose heaviest value is worth a line of its own: (widget key, value, label).
# The Trends page's "Every: Month" rolls up every month-end of the history (61 dates at 60 months)
# where its default, quarters, rolls up 21.
HEAVIEST_CHOICE = {"app_pages/2_Trends.py": ("w_page:every", "month", "Every: Month")}


def page_files() -> list[str]:
    """Every page of the app, in menu order (``wehoplan.ui.auth.PAGES``)."""
    from wehoplan.ui.auth import PAGES

    return [path for path, _, _ in PAGES]


def pages_child(path: str, pages: list[str]) -> list[dict[str, Any]]:
    """Open, filter and rerun each page in ``pages`` on database ``path``, one after the other here.

    Returns one record per page: open and rerun seconds, the filter changed (or None), the
    RSS now and the process's peak RSS (MB, absolute) after the page.
    """
    import warnings

    warnings.filterwarnings("ignore")
    os.environ["WEHOPLAN_DATABASE_URL"] = f"sqlite:///{path}"
    from streamlit.testing.v1 import AppTest

    out = []
    for page in pages:
        load = os.getloadavg()[0]
        at = AppTest.from_file(str(ROOT / page), default_timeout=3600)
        t0 = time.perf_counter()
        at.run()
        opened = time.perf_counter() - t0
        _raise(at, page, "opening")
        dept = at.multiselect(key="w_department") if _has(at, "w_department") else None
        t0 = time.perf_counter()
        if dept is not None and dept.options:
            dept.set_value([dept.options[0]]).run()
        else:
            at.run()
        rerun = time.perf_counter() - t0
        _raise(at, page, "rerunning")
        out.append({"page": page, "open_s": opened, "rerun_s": rerun, "load": load,
                    "filter": "department" if dept is not None and dept.options else None,
                    "rss_mb": (rss := _current_rss_mb()), "peak_mb": max(rss, _rss_mb())})
        print(f"# {page}: open {opened:.2f}s, rerun {rerun:.2f}s, peak {_rss_mb():.0f} MB",
              file=sys.stderr, flush=True)
        if page in HEAVIEST_CHOICE:  # then the page's own heaviest choice, on top of the filter
            key, value, label = HEAVIEST_CHOICE[page]
            t0 = time.perf_counter()
            at.button_group(key=key).set_value(value).run()
            chosen = time.perf_counter() - t0
            _raise(at, page, f"choosing {label}")
            out.append({"page": page, "choice": label, "open_s": 0.0, "rerun_s": chosen, "filter": label, "load": load,
                        "rss_mb": (rss := _current_rss_mb()), "peak_mb": max(rss, _rss_mb())})
    return out


def _has(at, key: str) -> bool:
    try:
        at.multiselect(key=key)
    except KeyError:
        return False
    return True


def _raise(at, page: str, when: str) -> None:
    if at.exception:
        e = at.exception[0]
        raise SystemExit(f"{page} raised while {when}: {e.message}\n{e.stack_trace}")


def _current_rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def run_pages(db: Path, env: dict[str, str], per_page: bool, only: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """Every page on ``db`` (or those whose file name contains one of ``only``): in one fresh
    interpreter, or (``per_page``) one interpreter per page."""
    chosen = [p for p in page_files() if not only or any(o.lower() in p.lower() for o in only)]
    if not chosen:
        raise SystemExit(f"no page matches {' '.join(only)}")
    groups = [[p] for p in chosen] if per_page else [chosen]
    out: list[dict[str, Any]] = []
    for group in groups:
        run = subprocess.run([sys.executable, str(Path(__file__)), "--pages", str(db), *group], cwd=ROOT, env=env,
                             capture_output=True, text=True)
        if run.returncode:
            raise SystemExit(f"pages on {db.name}: {run.stderr.strip().splitlines()[-1:]}\n{run.stderr[-4000:]}")
        out += json.loads(run.stdout.strip().splitlines()[-1])
    return out


def main(sizes: tuple[int, ...] = SIZES, per_page: bool = False, compute: bool = True,
         only: tuple[str, ...] = ()) -> int:
    """Generate (once) and measure every size; print the Markdown tables; 1 when a target is missed.

    Args:
        sizes: numbers of actions (60 months each).
        per_page: each page in its own fresh interpreter (exact per-page peaks; one cold load each).
        compute: also measure the load, roll-up and trend (False: the pages only).
        only: run only the pages whose file name contains one of these (all pages when empty).

    """
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    results, pages = {}, {}
    for n in sizes:
        db = ensure_db(False, {"actions": n, "months": MONTHS})
        if compute:
            print(f"# measuring {n} actions ...", file=sys.stderr, flush=True)
            run = subprocess.run([sys.executable, str(Path(__file__)), "--child", str(db)], cwd=ROOT, env=env,
                                 capture_output=True, text=True, check=True)
            results[n] = json.loads(run.stdout.strip().splitlines()[-1])
        print(f"# opening every page at {n} actions ...", file=sys.stderr, flush=True)
        t0 = time.perf_counter()
        pages[n] = run_pages(db, env, per_page, only)
        print(f"# pages at {n} actions: {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
    missed = computation_table(results) if results else []
    missed += pages_table(pages, per_page)
    for m in missed:
        print(f"missed: {m}", file=sys.stderr)
    return 1 if missed else 0


def computation_table(results: dict[int, dict[str, float]]) -> list[str]:
    """Print the load / roll-up / trend table; return the targets missed."""
    ref = results.get(10_000)
    print("| actions x months | updates | cold load | one-date roll-up | 60-date trend | numpy floor (60) "
          "| trend / floor | trend / 10k trend | floor / 10k floor | peak MB (load / roll-up / trend) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    missed = []
    for n, r in results.items():
        growth = r["trend_s"] / ref["trend_s"] if ref else float("nan")
        floor_growth = r["floor60_s"] / ref["floor60_s"] if ref else float("nan")
        peaks = (r["load_peak_mb"], r["rollup_peak_mb"], r["trend_peak_mb"])
        print(f"| {n:,} x {MONTHS} | {int(r['updates']):,} | {r['load_s']:.2f}s | {r['rollup_s']:.3f}s | "
              f"{r['trend_s']:.2f}s | {r['floor60_s']:.2f}s | {r['trend_s'] / r['floor60_s']:.2f} | {growth:.1f}x | "
              f"{floor_growth:.1f}x | "
              + " / ".join(f"{p:.0f}" for p in peaks) + " |")
        if n == 100_000 and ref and growth > 12.0:
            missed.append(f"trend at 100k is {growth:.1f}x the 10k trend (target <= 12x)")
        if max(peaks[1:]) > MEMORY_BUDGET_MB:
            missed.append(f"peak memory at {n} above {MEMORY_BUDGET_MB:.0f} MB")
    print()
    return missed


def _short(page: object, choice: object = None) -> str:
    name = Path(str(page)).stem.split("_", 1)[1].replace("_", " ")
    return f"{name}, then {choice}" if choice else name


def pages_table(pages: dict[int, list[dict[str, Any]]], per_page: bool) -> list[str]:
    """Print the pages table (worst page per size) and the largest size's page by page; return the misses.

    Each page alone (``per_page``): every line is that page's own server process, PASS or FAIL
    against the budget. All pages in one process: the peak only grows, so a line's peak is the
    server's after every page so far, and only the whole server's peak is judged.
    """
    how = "each page alone: its own server process" if per_page else "all pages in one process: the server's peak"
    print(f"| actions x months | pages opened | slowest page | its open | its filter rerun "
          f"| peak RSS ({how}) | budget | result |")
    print("|---|---|---|---|---|---|---|---|")
    missed = []
    for n, recs in pages.items():
        worst = max(recs, key=lambda r: float(r["open_s"]) + float(r["rerun_s"]))
        peak = max(float(r["peak_mb"]) for r in recs)
        ok = peak <= MEMORY_BUDGET_MB
        name = _short(worst["page"], worst.get("choice"))
        print(f"| {n:,} x {MONTHS} | {len({r['page'] for r in recs})} | {name} | {float(worst['open_s']):.2f}s "
              f"| {float(worst['rerun_s']):.2f}s | {peak:.0f} MB | {MEMORY_BUDGET_MB:.0f} MB "
              f"| {'PASS' if ok else 'FAIL'} |")
        if not ok:
            over = sorted({_short(r["page"], r.get("choice")) for r in recs if float(r["peak_mb"]) > MEMORY_BUDGET_MB})
            missed.append(f"pages at {n} actions peak at {peak:.0f} MB (budget {MEMORY_BUDGET_MB:.0f} MB)"
                          + (f": {', '.join(over)}" if per_page else ""))
    if pages:
        n = max(pages)
        if per_page:
            print(f"\nEach page alone at {n:,} actions x {MONTHS} (one fresh server process per page: cold load, "
                  f"open, filter, rerun; Trends then Every: Month in the same process):\n")
            print("| page | open (with cold load) | filter rerun (filter) | RSS after | peak RSS | budget | result "
                  "| load |")
            print("|---|---|---|---|---|---|---|---|")
        else:
            print(f"\nPage by page at {n:,} actions x {MONTHS} (all pages in one process, in menu order; the "
                  f"first page's open includes the cold load; the peak is the server's so far):\n")
            print("| page | open | filter rerun (filter) | RSS after | server's peak so far | load |")
            print("|---|---|---|---|---|---|")
        for r in pages[n]:
            opened = "—" if r.get("choice") else f"{float(r['open_s']):.2f}s"
            line = (f"| {_short(r['page'], r.get('choice'))} | {opened} | {float(r['rerun_s']):.2f}s "
                    f"({r['filter'] or 'plain rerun'}) | {float(r['rss_mb']):.0f} MB | {float(r['peak_mb']):.0f} MB |")
            if per_page:
                ok = float(r["peak_mb"]) <= MEMORY_BUDGET_MB
                line += f" {MEMORY_BUDGET_MB:.0f} MB | {'PASS' if ok else 'FAIL'} |"
            print(line + f" {float(r.get('load', float('nan'))):.1f} |")
    return missed


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        print(json.dumps(child(sys.argv[2])))
        sys.exit(0)
    if len(sys.argv) >= 4 and sys.argv[1] == "--pages":
        print(json.dumps(pages_child(sys.argv[2], sys.argv[3:])))
        sys.exit(0)
    args = sys.argv[1:]
    only = tuple(args[i + 1] for i, a in enumerate(args) if a == "--page" and i + 1 < len(args))
    args = [a for i, a in enumerate(args) if a != "--page" and (i == 0 or args[i - 1] != "--page")]
    flags = {a for a in args if a.startswith("--")}
    unknown = flags - {"--per-page", "--pages-only"}
    if unknown or not all(a.isdigit() for a in args if not a.startswith("--")):
        sys.exit("usage: scale.py [--per-page] [--pages-only] [--page TEXT ...] [ACTIONS ...]"
                 f" (unknown: {' '.join(sorted(unknown))})")
    sys.exit(main(tuple(int(a) for a in args if not a.startswith("--")) or SIZES,
                  per_page="--per-page" in flags, compute="--pages-only" not in flags, only=only))
