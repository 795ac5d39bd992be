"""Draw the dashboard pages from their data objects (:mod:`wehoplan.dashboard`).

Each function takes the one object its page's data call returned and does all of
that page's layout between the header and the downloads. The pages call them with
fresh data; the benchmark floors (``bench/floor_pages/``) call them with the same
objects computed before timing, so page and floor draw the very same elements.
"""

from __future__ import annotations

import streamlit as st

from wehoplan.dashboard import LAYOUT_OPTIONS, SHOW_OPTIONS, ActionReport, Departments, Overview
from wehoplan.ui import widgets
from wehoplan.ui.state import url_choice


def overview(data: Overview) -> None:
    """The executive overview: six headline numbers, two charts, the summary and attention tables."""
    for col, m in zip(st.columns(len(data.metrics)), data.metrics, strict=True):
        col.metric(m.label, m.value, m.delta, help=m.help)
    left, right = st.columns([3, 2])
    with left:
        widgets.chart(data.progress_chart)
    with right:
        widgets.chart(data.status_chart)

    st.subheader("Strategies and initiatives")
    st.dataframe(
        widgets.status_style(data.summary), hide_index=True, width="stretch",
        column_config={
            "Progress": widgets.progress_column("Progress"),
            "Expected": st.column_config.NumberColumn("Expected", format="%.0f%%"),
        },
    )

    st.subheader("Needs attention")
    if data.attention.empty:
        st.success("Nothing in major disruption, overdue or stale.")
        return
    st.caption(data.attention_caption)
    st.dataframe(widgets.status_style(data.attention), hide_index=True, width="stretch",
                 column_config={"Progress": widgets.progress_column("Progress"),
                                "Due": st.column_config.DateColumn("Due"),
                                "Last update": st.column_config.DateColumn("Last update")})


def report_controls() -> tuple[str, str]:
    """The Action Report's two choices, kept in the URL; returns ``(layout, show)``."""
    c1, c2 = st.columns(2)
    layout = url_choice("Layout", LAYOUT_OPTIONS, "layout", "tree", c1)
    show = url_choice("Show", SHOW_OPTIONS, "show", "all", c2)
    return layout, show


def action_report(data: ActionReport) -> None:
    """The Action Report's row count and its table (sortable, status-coloured)."""
    st.caption(data.caption)
    st.dataframe(
        widgets.status_style(data.rows), hide_index=True, width="stretch", height=min(38 + 35 * len(data.rows), 720),
        column_config={
            "Progress": widgets.progress_column("Progress"),
            "Expected": st.column_config.NumberColumn("Expected", format="%.0f%%"),
            "Start": st.column_config.DateColumn("Start"),
            "Due": st.column_config.DateColumn("Due"),
            "Comment date": st.column_config.DateColumn("Comment date"),
            "Latest comment": st.column_config.TextColumn("Latest comment", width="large"),
            "Overdue": st.column_config.NumberColumn("Overdue", help="Overdue actions in this row"),
        },
    )


def departments(data: Departments) -> None:
    """The heatmap, then progress and status bars by department, SMART value and owner."""
    widgets.chart(data.heatmap_chart)
    left, right = st.columns(2)
    with left:
        widgets.chart(data.department_chart)
        widgets.chart(data.department_status_chart)
    with right:
        widgets.chart(data.smart_chart)
        widgets.chart(data.owner_status_chart)
    st.dataframe(widgets.status_style(data.department_table), hide_index=True, width="stretch",
                 height=38 + 35 * len(data.department_table),
                 column_config={"Progress": widgets.progress_column("Progress"),
                                "Expected": st.column_config.NumberColumn("Expected", format="%.0f%%")})
