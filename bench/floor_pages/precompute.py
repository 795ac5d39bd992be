"""What each real page computes, once per filter value, for the floor pages to show.

Each function mirrors its page (``app.py``, ``pages/1_…``, ``2_…``, ``3_…``) with
the page's default choices (layout, grouping, window) and returns the final frames
and Altair charts, ready to pickle.
"""

from __future__ import annotations

import pandas as pd

from wehoplan import charts, dashboard, trends
from wehoplan.filters import Filters
from wehoplan.rollup import Thresholds, group_leaves, rollup_table
from wehoplan.ui.state import filter_options


def meta(frames, as_of: pd.Timestamp, plans: list[str]) -> dict:
    """The sidebar's choices and the demo notice (the same for every filter value)."""
    levels = frames.plan.level_names
    demo = f"Illustrative demo data. {frames.plan.source_note or ''}".strip() if frames.plan.is_demo else None
    return {
        "plans": plans, "as_of": as_of.date(), "options": filter_options(frames.tree), "demo_notice": demo,
        "as_of_help": f"Show the plan as it stood on this date (default {as_of:%Y-%m-%d}, its latest update).",
        "labels": {"strategy": f"{levels[0]} / {levels[1] if len(levels) > 1 else 'item'}",
                   "department": "Department", "smart": "SMART value", "status": "Status", "owner": "Owner"},
    }


def _caption(frames, as_of: pd.Timestamp, f: Filters) -> str:
    return f"**{frames.plan.name}**, as of **{as_of:%d %B %Y}** · filters: {f.describe()}"


def home(frames, as_of: pd.Timestamp, f: Filters, th: Thresholds) -> dict:
    """app.py: KPIs, two charts, the summary and needs-attention tables."""
    table = rollup_table(frames.tree, frames.updates, as_of, f, th)
    k = dashboard.kpis(table, frames.updates, as_of)
    gap = None if k.expected_progress is None else k.progress - k.expected_progress
    metrics = [
        ("Overall progress", f"{k.progress:.0f} %",
         None if gap is None else f"{gap:+.0f} pts vs expected {k.expected_progress:.0f} %",
         "Rolled-up progress of the selection; the delta compares it with the progress "
         "expected from start and due dates."),
        ("On track", "–" if k.share_on_track is None else f"{k.share_on_track:.0f} %", None,
         "Share of started, non-deferred actions that are on track or completed."),
        ("Overdue actions", k.n_overdue, None, "Open actions past their due date."),
        (f"Completed, last {dashboard.RECENT_DAYS} days", k.n_completed_recently, None, None),
        ("Stale actions", k.n_stale, None, f"Open actions with no update for more than {th.stale_days} days."),
    ]
    attention = dashboard.needs_attention(table)
    return {
        "caption": _caption(frames, as_of, f), "metrics": metrics,
        "left": charts.progress_bars(dashboard.strategy_progress(table), "Progress by strategy (tick = expected)"),
        "right": charts.status_mix(dashboard.status_counts(table)),
        "summary": dashboard.summary_table(table).drop(columns=["status_key"]),
        "attention": attention,
        "attention_caption": f"{len(attention)} action{'s' if len(attention) != 1 else ''}: major disruption, "
                             f"overdue, or no update for {th.stale_days}+ days.",
    }


def report(frames, as_of: pd.Timestamp, f: Filters, th: Thresholds) -> dict:
    """pages/1_Action_Report.py with its defaults (tree layout, all rows)."""
    table = rollup_table(frames.tree, frames.updates, as_of, f, th)
    rep = dashboard.action_report(table, tree=True, show="all")
    n_actions = int((table["is_leaf"] & (table["id"] != 0)).sum())
    shown = int((rep["Level"] == "Action").sum())
    return {
        "caption": _caption(frames, as_of, f), "report": rep.drop(columns=["status_key"]),
        "download": rep.drop(columns=["status_key"], errors="ignore"),
        "rows_caption": f"{len(rep)} rows ({shown} of {n_actions} selected actions). Click a column header to sort.",
    }


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
    """pages/3_Departments_and_SMART.py: heatmap, progress and status bars."""
    table = rollup_table(frames.tree, frames.updates, as_of, f, th)
    depts = group_leaves(table, "department").rename(columns={"group": "name"}).sort_values("progress",
                                                                                            ascending=False)
    smart = group_leaves(table, "smart").rename(columns={"group": "name"})
    return {
        "caption": _caption(frames, as_of, f),
        "heatmap": charts.heatmap(dashboard.heatmap_data(table),
                                  "Department × SMART value (number = actions, colour = progress)"),
        "depts": charts.progress_bars(depts, "Progress by department (tick = expected)"),
        "dept_status": charts.status_counts_bar(dashboard.status_counts_by(table, "department"), "Department",
                                                "Actions per status, by department"),
        "smart": charts.progress_bars(smart, "Progress by SMART value (tick = expected)"),
        "owners": charts.status_counts_bar(dashboard.status_counts_by(table, "owner"), "Owner",
                                           "Workload by owner (actions per status)"),
    }


PAGES = {"home": home, "report": report, "trends": trends_page, "departments": departments}
