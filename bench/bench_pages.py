"""Benchmark 1: every dashboard page's rerun after a filter change against a floor page (target <= 1.5x).

Operation: the real page (``app.py``, ``app_pages/1_…``, ``2_…``, ``3_…``) run by
Streamlit's ``AppTest`` on the generated database (``WEHOPLAN_DATABASE_URL``),
after a warm-up run that fills the plan cache; each timed run switches the
sidebar's Department filter between two departments and reruns
(``at.multiselect(key="w_department").set_value([...]).run()``): the filtered
roll-up, the page's frames and charts, and Streamlit's rendering of them.

Floor: a page of the same elements (``bench/floor_pages/floor_<page>.py``: the
same sidebar widgets, then the page's own drawing code, ``wehoplan.ui.draw``) fed
with the page's data object (``wehoplan.dashboard.overview``, ``action_report``,
``departments``: every frame and chart) computed once before timing by the page's
own library call (``floor_pages/precompute.py``) and pickled, loaded once into a
module-level cache: the cost of drawing the page with nothing left to compute.
Driven the same way. The trends page is drawn by ``wehoplan.ui.draw_trends`` from
``wehoplan.trends.page_data``'s object the same way.

Before timing, the real page and its floor must show the same captions, metrics,
table sizes and chart specs; the benchmark stops otherwise.
"""

from __future__ import annotations

import os
import pickle
import sys
import warnings
from types import SimpleNamespace

from common import CACHE, ROOT, args, line, paired  # common puts the repo on sys.path

from wehoplan import repository
from wehoplan.config import load_config
from wehoplan.db import make_engine
from wehoplan.filters import Filters
from wehoplan.rollup import Thresholds, prepare_tree

PAGES = [  # (name, real page, floor page)
    ("home", "app.py", "floor_home.py"),
    ("action_report", "app_pages/1_Action_Report.py", "floor_report.py"),
    ("trends", "app_pages/2_Trends.py", "floor_trends.py"),
    ("departments_smart", "app_pages/3_Departments_and_SMART.py", "floor_departments.py"),
]
PRECOMPUTE = {"home": "home", "action_report": "report", "trends": "trends_page",
              "departments_smart": "departments"}


def first_plan(url: str):
    """The benchmark plan as the pages load it: (plan names, frames, default as-of, thresholds, two departments)."""
    engine = make_engine(url)
    plans = repository.list_plans(engine)["name"].tolist()
    plan = repository.resolve_plan(engine, plans[0])
    updates = repository.load_updates(engine, plan.id)
    frames = SimpleNamespace(plan=plan, tree=prepare_tree(repository.load_items(engine, plan.id)), updates=updates)
    as_of = repository.default_as_of(updates, frames.tree.frame)
    return plans, frames, as_of, Thresholds.from_config(load_config()), _two_departments(frames.tree)


def _two_departments(tree) -> tuple[str, str]:
    """The two lead departments with the most actions: a realistic switch, both non-trivial."""
    leaves = tree.frame[tree.frame["is_leaf"]]
    top = leaves["department"].dropna().astype(str).value_counts().index[:2]
    return str(top[0]), str(top[1])


def _seen(at) -> dict[str, object]:
    """What a user sees, compared between a page and its floor before timing."""
    return {
        "title": [t.value for t in at.title],
        "caption": [c.value for c in at.caption],
        "metric": [(m.label, m.value) for m in at.metric],
        "dataframe": [d.value.shape for d in at.dataframe],
        "chart": [c.proto.spec for c in at.get("vega_lite_chart")],
        "subheader": [s.value for s in at.subheader],
    }


class Toggle:
    """Alternate an AppTest's Department filter between two values, one rerun per call."""

    def __init__(self, script: str, values: tuple[str, str]):
        from streamlit.testing.v1 import AppTest

        self.at = AppTest.from_file(script, default_timeout=600)
        self.values = values
        self.i = 0
        self.at.run()  # warm-up: loads and caches the plan frames
        self()

    def __call__(self) -> None:
        self.i ^= 1
        self.at.multiselect(key="w_department").set_value([self.values[self.i]]).run()
        if self.at.exception:
            raise SystemExit(f"{self.at.exception[0].message}\n{self.at.exception[0].stack_trace}")


def main() -> None:
    ns = args(__doc__)
    warnings.filterwarnings("ignore")
    os.environ["WEHOPLAN_DATABASE_URL"] = f"sqlite:///{ns.db}"
    from bench.floor_pages import precompute

    plans, frames, as_of, th, depts = first_plan(os.environ["WEHOPLAN_DATABASE_URL"])
    meta = precompute.meta(frames, as_of, plans)
    CACHE.mkdir(parents=True, exist_ok=True)
    for name, page, floor_page in PAGES:
        build = getattr(precompute, PRECOMPUTE[name])
        data = {"meta": meta, "variants": {sel: build(frames, as_of, Filters(department=sel), th)
                                     for sel in [(), *((d,) for d in depts)]}}  # () = the warm-up run
        path = CACHE / f"floor-{name}.pkl"
        path.write_bytes(pickle.dumps(data))
        os.environ["WEHOPLAN_BENCH_FLOOR"] = str(path)
        real = Toggle(str(ROOT / page), depts)
        floor = Toggle(str(ROOT / "bench" / "floor_pages" / floor_page), depts)
        for _ in range(2):  # both sides on each value: the same things on screen
            if _seen(real.at) != _seen(floor.at):
                a, b = _seen(real.at), _seen(floor.at)
                diff = [k for k in a if a[k] != b[k]]
                raise SystemExit(f"{name}: the floor page does not show what the page shows ({diff})")
            real()
            floor()
        t_op, t_floor = paired(real, floor, ns.runs)
        line(f"page_{name} (filter change, {len(frames.updates)} updates)", t_op, t_floor, 1.5)
    plain_reruns(ns.runs)
    sys.stdout.flush()


def plain_reruns(runs: int) -> None:
    """Pages 4-7 (data entry, editing, audit, import): a plain rerun, for information.

    They have no filter-driven computation to compare with a floor (they draw forms and
    the sidebar), so they print a comment line, not a PASS/FAIL line.
    """
    import statistics
    import time

    from streamlit.testing.v1 import AppTest

    for page in ("app_pages/4_Update_Progress.py", "app_pages/5_Edit_Plan.py", "app_pages/6_Audit.py",
                 "app_pages/7_Import.py"):
        at = AppTest.from_file(str(ROOT / page), default_timeout=600)
        at.run()
        at.run()
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            at.run()
            times.append(time.perf_counter() - t0)
        state = " (exception!)" if at.exception else ""
        print(f"# plain rerun {page}: {statistics.median(times):.3f}s{state}", flush=True)


if __name__ == "__main__":
    main()
