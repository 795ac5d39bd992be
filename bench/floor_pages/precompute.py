"""What each real page computes, once per filter value, for the floor pages to show.

The overview, action report and departments pages get their data from one library
call each (``wehoplan.dashboard.overview``, ``action_report``, ``departments``, the
page's default choices); this module makes the same calls and returns the objects,
ready to pickle, which the floors draw with the pages' own drawing code. The trends
page's object is ``wehoplan.trends.page_data``'s.
"""

from __future__ import annotations

import pandas as pd

from wehoplan import dashboard, trends
from wehoplan.filters import Filters
from wehoplan.rollup import Thresholds, first_completed, leaf_states, rollup_table
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
                   "department": "Department", "smart": "SMART value", "status": "Status",
                   "health": "Schedule health", "owner": "Owner"},  # the sidebar's six, in its order
    }


def _caption(frames, as_of: pd.Timestamp, f: Filters) -> str:
    return widgets.header_caption(frames.plan, as_of, f)


def home(frames, as_of: pd.Timestamp, f: Filters, th: Thresholds) -> dict:
    """app.py: its :class:`wehoplan.dashboard.Overview`."""
    table = rollup_table(frames.tree, frames.updates, as_of, f, th)
    data = dashboard.overview(table, frames.updates, as_of, first_completed(frames.updates, as_of), th)
    return {"caption": _caption(frames, as_of, f), "data": data}


def report(frames, as_of: pd.Timestamp, f: Filters, th: Thresholds) -> dict:
    """app_pages/1_Action_Report.py with its defaults (tree layout, all rows): its ActionReport."""
    table = rollup_table(frames.tree, frames.updates, as_of, f, th)
    return {"caption": _caption(frames, as_of, f), "data": dashboard.action_report(table, "tree", "all")}


def trends_page(frames, as_of: pd.Timestamp, f: Filters, th: Thresholds) -> dict:
    """app_pages/2_Trends.py with its defaults (by strategy, every quarter, 180-day window): its TrendsPage."""
    dates = trends.period_ends(frames.updates, as_of, trends.DEFAULT_STEP)
    window = int(trends.DEFAULT_WINDOW)
    states = leaf_states(frames.tree, frames.updates, trends.shared_dates(dates, as_of, window), th)
    data = trends.page_data(frames.tree, states, f, dates, as_of, window, trends.DEFAULT_GROUP,
                            first_completed(frames.updates, as_of))
    return {"caption": _caption(frames, as_of, f), "data": data}


def departments(frames, as_of: pd.Timestamp, f: Filters, th: Thresholds) -> dict:
    """app_pages/3_Departments_and_SMART.py: its :class:`wehoplan.dashboard.Departments`."""
    table = rollup_table(frames.tree, frames.updates, as_of, f, th)
    return {"caption": _caption(frames, as_of, f), "data": dashboard.departments(table, th)}


PAGES = {"home": home, "report": report, "trends": trends_page, "departments": departments}
