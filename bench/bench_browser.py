"""Benchmark 1b: the dashboard pages' filter change in a real browser, and the editing pages' first run.

Two ``streamlit run`` servers on the benchmark database: the real app (``app.py``)
and the floor app (``bench/floor_pages/floor_app.py``: the floor pages of
``bench_pages.py`` under the same URLs, drawing each page's data object computed once
before timing with the page's own drawing code). Headless Chromium (Debian's
/usr/bin/chromium, the browser tests' flags) through Playwright, one tab per server.

Filter change (``page_<name> browser``): on each dashboard page, from "no filters",
pick one department in the sidebar's Department multiselect; timed from the click
on the option to the finished run: Streamlit's status widget gone, no stale element
left, and the caption naming the department. Between runs the choice is removed again
(Backspace) and that run is waited for (its median is a ``#`` line: the issue measured
2.1 s for clearing a filter on the Action Report). The two lead departments
alternate; real and floor alternate run by run; median of each, ratio.

First run (``first_run <page> browser``, issue 15 item 5): a new tab (a new session)
opens Update Progress, Edit Plan or My Updates of the real app; timed from the
navigation to the finished run (heading there, status widget gone). Measured
alternately with the Overview's first run the same way, which is the floor (target:
<= 1.5x the Overview's).
"""

from __future__ import annotations

import contextlib
import os
import pickle
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import warnings
from collections.abc import Iterator
from pathlib import Path

from bench_pages import PRECOMPUTE, first_plan
from common import CACHE, ROOT, args, line

from wehoplan.filters import Filters

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
DASHBOARD = [  # (name in bench_pages / the floor payload, URL path, heading)
    ("home", "", "Executive overview"),
    ("action_report", "Action_Report", "Action report"),
    ("trends", "Trends", "Trends"),
    ("departments_smart", "Departments_and_SMART", "Departments & SMART values"),
]
EDITING = [("Update_Progress", "Update progress"), ("Edit_Plan", "Edit the plan"), ("My_Updates", "My updates")]
FINISHED = """(want) => !document.querySelector('[data-testid="stStatusWidget"]')
    && !document.querySelector('[data-stale="true"]')
    && [...document.querySelectorAll('[data-testid="stCaptionContainer"]')].some(c => c.innerText.includes(want))"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serve(script: Path, env: dict[str, str], log: Path) -> Iterator[str]:
    """``streamlit run script`` on 127.0.0.1 until the block ends; yield its base URL."""
    port = _free_port()
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(script), "--server.address", "127.0.0.1",
             "--server.port", str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false",
             "--server.fileWatcherType", "none", "--server.runOnSave", "false"],
            cwd=ROOT, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    urllib.request.urlopen(f"{base}/_stcore/health", timeout=2)
                    break
                except OSError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        raise SystemExit(f"streamlit did not start: {log.read_text()[-2000:]}") from None
                    time.sleep(0.5)
            yield base
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def _no_exception(pg, where: str) -> None:
    if pg.locator('[data-testid="stException"]').count():
        raise SystemExit(f"{where}: {pg.locator('[data-testid=stException]').first.inner_text()[:2000]}")


def open_page(pg, url: str, heading: str) -> float:
    """Navigate to ``url``; seconds until its first run finished (heading there, nothing running)."""
    t0 = time.perf_counter()
    pg.goto(url)
    pg.get_by_role("heading", name=heading).first.wait_for()
    pg.wait_for_function("""() => !document.querySelector('[data-testid="stStatusWidget"]')
        && !document.querySelector('[data-stale="true"]')""")
    dt = time.perf_counter() - t0
    _no_exception(pg, url)
    return dt


def _department_input(pg):
    box = pg.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]').filter(has_text="Department")
    return box.locator("input")


def pick(pg, dept: str) -> float:
    """Pick ``dept`` in the Department filter; seconds from the click to the finished run."""
    box = _department_input(pg)
    box.click()
    box.fill(dept)
    option = pg.get_by_role("option", name=dept, exact=True)
    option.wait_for()
    t0 = time.perf_counter()
    option.click()
    pg.wait_for_function(FINISHED, arg=f"department: {dept}")
    dt = time.perf_counter() - t0
    pg.keyboard.press("Escape")  # close the dropdown (no rerun)
    _no_exception(pg, f"after picking {dept}")
    return dt


def clear(pg) -> float:
    """Remove the department again (Backspace in the multiselect); seconds from the key to the finished run."""
    box = _department_input(pg)
    box.click()
    t0 = time.perf_counter()
    box.press("Backspace")
    pg.wait_for_function(FINISHED, arg="no filters")
    dt = time.perf_counter() - t0
    pg.keyboard.press("Escape")
    return dt


def floor_payloads(db: Path, depts_out: list[str]) -> Path:
    """Pickle every dashboard page's data for no filter and each of the two departments; return the folder."""
    from bench.floor_pages import precompute

    plans, frames, as_of, th, depts = first_plan(f"sqlite:///{db}")
    depts_out.extend(depts)
    meta = precompute.meta(frames, as_of, plans)
    folder = CACHE / "browser-floor"
    folder.mkdir(parents=True, exist_ok=True)
    for name, _, _ in DASHBOARD:
        build = getattr(precompute, PRECOMPUTE[name])
        data = {"meta": meta, "variants": {sel: build(frames, as_of, Filters(department=sel), th)
                                           for sel in [(), *((d,) for d in depts)]}}
        (folder / f"floor-{name}.pkl").write_bytes(pickle.dumps(data))
    return folder


def main() -> None:
    ns = args(__doc__)
    warnings.filterwarnings("ignore")
    if not Path(CHROMIUM).exists():
        print(f"# bench_browser: {CHROMIUM} is not installed; skipped", flush=True)
        return
    from playwright.sync_api import sync_playwright

    depts: list[str] = []
    folder = floor_payloads(ns.db, depts)
    env = {"WEHOPLAN_DATABASE_URL": f"sqlite:///{ns.db}", "WEHOPLAN_BENCH_FLOOR": str(folder),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    logs = Path(tempfile.mkdtemp(prefix="wehoplan-bench-browser-"))
    with serve(ROOT / "app.py", env, logs / "real.log") as real_url, \
            serve(ROOT / "bench" / "floor_pages" / "floor_app.py", env, logs / "floor.log") as floor_url, \
            sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        tabs = {}
        for side in ("real", "floor"):
            tabs[side] = browser.new_page(viewport={"width": 1500, "height": 1600})
            tabs[side].set_default_timeout(180_000)
        bases = {"real": real_url, "floor": floor_url}
        only = os.environ.get("BENCH_BROWSER_PAGES", "")  # e.g. "home,trends": a subset while profiling
        for name, path, heading in DASHBOARD:
            if only and name not in only.split(","):
                continue
            times: dict[str, list[float]] = {"real": [], "floor": []}
            cleared: dict[str, list[float]] = {"real": [], "floor": []}
            for side in ("real", "floor"):
                open_page(tabs[side], f"{bases[side]}/{path}", heading)
                pick(tabs[side], depts[0])  # warm-up (not timed)
                clear(tabs[side])
            for i in range(ns.runs):
                for side in ("floor", "real"):
                    times[side].append(pick(tabs[side], depts[i % 2]))
                    cleared[side].append(clear(tabs[side]))
            line(f"page_{name} browser (pick a department, 10k plan)", statistics.median(times["real"]),
                 statistics.median(times["floor"]), 1.5)
            print(f"# page_{name} browser, clearing the department again: {statistics.median(cleared['real']):.3f}s"
                  f" (floor {statistics.median(cleared['floor']):.3f}s)", flush=True)
        if not only or "first_run" in only:
            first_runs(browser, real_url, ns.runs)
        browser.close()


def first_runs(browser, base: str, runs: int) -> None:
    """Each editing page's first run in a new tab, alternating with the Overview's (issue 15 item 5)."""
    def fresh(path: str, heading: str) -> float:
        pg = browser.new_page(viewport={"width": 1500, "height": 1600})
        pg.set_default_timeout(180_000)
        try:
            return open_page(pg, f"{base}/{path}", heading)
        finally:
            pg.close()

    fresh("", "Executive overview")  # warm-up: the server's plan cache and the browser's static files
    times: dict[str, list[float]] = {"": []} | {path: [] for path, _ in EDITING}
    for path, heading in EDITING:
        fresh(path, heading)
    for _ in range(runs):
        times[""].append(fresh("", "Executive overview"))
        for path, heading in EDITING:
            times[path].append(fresh(path, heading))
    floor = statistics.median(times[""])
    for path, _ in EDITING:
        line(f"first_run {path} browser (vs the Overview's first run)", statistics.median(times[path]), floor, 1.5)


if __name__ == "__main__":
    main()
