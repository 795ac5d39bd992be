"""What each real page computes, once per filter value, for the floor pages to show.

The overview, action report and departments pages get their data from one library
call each (``wehoplan.dashboard.overview``, ``action_report``, ``departments``, the
page's default choices); this module makes the same calls and returns the objects,
ready to pickle, which the floors draw with the pages' own drawing code. The trends
page still has its frames and charts listed here by hand.
"""

from __future__ import annotations

import pandas as pd

from wehoplan import charts, dashboard, trends
from wehoplan.filters import Filters
from wehoplan.rollup import Thresholds, first_completed, rollup_table
from wehoplan.ui import widgets
from wehoplan.ui.state import filter_options


def meta(frames, as_of: pd.Timestamp, plans: list[str]) -> dict:
    """The sidebar's choices and the demo notice (the same for every filter value)."""
    levels = frames.plan.level_names
    return {
        "plans": plans, "as_of": as_of.date(), "options": filter_options(frames.tree),
        "demo_notice": widgets.demo_notice(frames.plan),
        "as_of_help": f"Show the plan as it stood on this date (default {as_of:%Y-%m-%d}, its latest update).",
        "labels": {"strategy": f"{levels[0]} / {levels[1] if len(levels) > 1 else 'item'}",
                   "department": "Department", "smart": "SMART value", "status": "Status", "owner": "Owner"},
    }


def _caption(frames, as_of: pd.Timestamp, f: Filters) -> str:
    return widgets.header_caption(frames.plan, as_of, f)


def home(frames, as_of: pd.Timestamp, f: Filters, th: Thresholds) -> dict:
    """app.py: its :class:`wehoplan.dashboard.Overview`."""
    table = rollup_table(frames.tree, frames.updates, as_of, f, th)
    data = dashboard.overview(table, frames.updates, as_of, first_completed(frames.updates, as_of), th)
    return {"caption": _caption(frames, as_of, f), "data": data}


def report(frames, as_of: pd.Timestamp, f: Filters, th: Thresholds) -> dict:
    """pages/1_Action_Report.py with its defaults (tree layout, all rows): its ActionReport."""
    table = rollup_table(frames.tree, frames.updates, as_of, f, th)
    return {"caption": _caption(frames, as_of, f), "data": dashboard.action_report(table, "tree", "all")}


def trends_page(frames, as_of: pd.Timestamp, f: Filters, th: Thresholds) -> dict:
    """pages/2_Trends.py with its defaults (by strategy, every quarter, 180-day window)."""
    tree, updates = frames.tree, frames.updates
    dates = trends.period_ends(updates, as_of, "quarter")
    rolled = trends.series(tree, updates, dates, f, th)
    fc = trends.forecast(tree, updates, as_of, f, window_days=180, thresholds=th)
    return {
        "caption": _caption(frames, as_of, f),
        "progress": charts.progress_trend(trends.progress_over_time(tree, updates, dates, f, "strategy", th, rolled),
                                          "Strategy"),
        "status": charts.status_area(trends.status_mix_over_time(tree, updates, dates, f, th, rolled)),
        "completions": charts.completions_bar(trends.completions_per_quarter(tree, updates, as_of, f, th)),
        "overdue": charts.overdue_line(trends.overdue_over_time(tree, updates, dates, f, th, rolled)),
        "forecast_chart": charts.forecast_chart(fc, as_of),
        "n_late": int(fc["late"].sum()) if len(fc) else 0, "n_fc": len(fc),
        "forecast": fc.drop(columns=["id"]).assign(velocity=lambda d: (d["velocity"] * 30).round(2)),
    }


def departments(frames, as_of: pd.Timestamp, f: Filters, th: Thresholds) -> dict:
    """pages/3_Departments_and_SMART.py: its :class:`wehoplan.dashboard.Departments`."""
    table = rollup_table(frames.tree, frames.updates, as_of, f, th)
    return {"caption": _caption(frames, as_of, f), "data": dashboard.departments(table)}


PAGES = {"home": home, "report": report, "trends": trends_page, "departments": departments}
