"""Draw the dashboard pages from their data objects (:mod:`wehoplan.dashboard`).

Each function takes the one object its page's data call returned and does all of
that page's layout between the header and the downloads. The pages call them with
fresh data; the benchmark floors (``bench/floor_pages/``) call them with the same
objects computed before timing, so page and floor draw the very same elements.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from wehoplan.dashboard import LAYOUT_OPTIONS, SHOW_OPTIONS, ActionReport, Departments, Overview
from wehoplan.display import MARKED_LABELS, mark_statuses, status_counts_text
from wehoplan.domain import STATUS_KEYS, STATUS_LABELS
from wehoplan.ui import widgets
from wehoplan.ui.state import url_choice


def overview(data: Overview) -> None:
    """The executive overview: six headline numbers, two charts, the summary and attention tables."""
    # Three to a row: six in one row cut "Initiatives behind sch…" and the delta "vs expected 6…" at 1500 px.
    for start in range(0, len(data.metrics), 3):
        row = data.metrics[start:start + 3]
        for col, m in zip(st.columns(3), row, strict=False):
            col.metric(m.label, m.value, m.delta, help=m.help)
    left, right = st.columns([3, 2])
    with left:
        widgets.chart(data.progress_chart)
    with right:
        widgets.chart(data.status_chart)

    st.subheader("Strategies and initiatives")
    summary = data.summary
    counts = [c for c in summary.columns if c in _COUNT_COLUMNS]
    # One compact "actions by status" column instead of six count columns: the grid fits 1500 px.
    shown = mark_statuses(summary).assign(Actions=status_counts_text(summary)).drop(columns=[*counts, "Level"],
                                                                                   errors="ignore")
    st.dataframe(
        shown, hide_index=True, width="stretch", height=widgets.fit_height(len(shown)), placeholder="",
        column_order=[c for c in ("Code", "Title", "Status", "Health", "Progress", "Expected", "Actions", "Overdue")
                      if c in shown.columns],
        column_config={
            # 1,005 px with the Health column wide enough for "🟢 On schedule": whole at a 1500 px window.
            **widgets.text_columns(shown, {"Code": 55, "Title": 250, "Status": 140, "Health": 120}),
            "Progress": widgets.progress_column("Progress", width=100),
            "Expected": st.column_config.NumberColumn("Expected", format="%.0f %%", width=80),
            "Actions": st.column_config.TextColumn(
                "Actions by status", width=185,
                help="Actions under this row per status: " + " · ".join(MARKED_LABELS.values())),
            "Overdue": st.column_config.NumberColumn("Overdue", width=75, help="Overdue actions under this row"),
        },
    )

    st.subheader("Needs attention")
    if data.attention.empty:
        st.success("Nothing in major disruption, overdue or stale.")
        return
    st.caption(data.attention_caption)
    attention = mark_statuses(data.attention)
    st.dataframe(attention, hide_index=True, width="stretch", height=widgets.fit_height(len(attention)), placeholder="",
                 # Who to ask and since when fit 1500 px; the toolbar's Show/hide columns adds the department.
                 column_order=[c for c in ("Code", "Title", "Why", "Status", "Progress", "Due", "Owner",
                                           "Last update") if c in attention.columns],
                 column_config={**widgets.text_columns(attention, {"Code": 55, "Title": 230, "Why": 115,
                                                                   "Status": 150, "Owner": 175}),
                                "Progress": widgets.progress_column("Progress", width=100),
                                "Due": widgets.date_column("Due"),
                                "Last update": widgets.date_column("Last update")})


_COUNT_COLUMNS = {STATUS_LABELS[k].split(" /")[0] for k in STATUS_KEYS}


def report_controls() -> tuple[str, str]:
    """The Action Report's two choices, kept in the URL; returns ``(layout, show)``."""
    c1, c2 = st.columns(2)
    layout = url_choice("Layout", LAYOUT_OPTIONS, "layout", "tree", c1)
    show = url_choice("Show", SHOW_OPTIONS, "show", "all", c2)
    return layout, show


# The columns each view opens with: what that view is for fits 1500 px; more can be picked.
# "Health" (schedule health) shows when the report carries it.
REPORT_VIEW_COLUMNS: dict[str, tuple[str, ...]] = {
    "all": ("Code", "Title", "Status", "Health", "Progress", "Due", "Department"),
    "overdue": ("Code", "Title", "Status", "Progress", "Due", "Owner", "Department"),
    "attention": ("Code", "Title", "Status", "Progress", "Due", "Owner", "Latest comment"),
}
# Room for each text column, in pixels: a department or owner name reads whole.
# Each view's default columns add up to at most the 1,038 px a table gets at a 1500 px window.
REPORT_WIDTHS = {"Code": 55, "Title": 260, "Status": 150, "Health": 120, "Owner": 160, "Department": 200,
                 "SMART": 220, "Latest comment": 200, "Level": 90}
# More rows than this are sent to the browser as it scrolls (Streamlit's lazy loading), not all at once.
LAZY_ROWS = 2_000


def report_columns(rows_columns: list[str], show: str) -> list[str]:
    """Draw the column picker of the Action Report; returns the columns to show, in report order."""
    default = [c for c in REPORT_VIEW_COLUMNS.get(show, REPORT_VIEW_COLUMNS["all"]) if c in rows_columns]
    picked = st.multiselect(
        "Columns", rows_columns, default=default, key=f"ar_columns:{show}",
        help="Choose the columns to show; the Rows shown (CSV) download holds the same columns.")
    picked = picked or default
    # The view's own columns in its order, then the picked ones in report order.
    return [c for c in default if c in picked] + [c for c in rows_columns if c in picked and c not in default]


def action_report(data: ActionReport, show: str = "all") -> pd.DataFrame:
    """The Action Report's column picker, row count and table; returns the frame shown.

    Status words carry a coloured marker instead of cell styles (a pandas Styler refuses
    tables above 262,144 cells and styles every cell on every rerun); a large report is
    sent to the browser in the pieces it scrolls to.
    """
    c1, c2 = st.columns([4, 1])
    with c1:
        columns = report_columns(list(data.rows.columns), show)
    wrap = c2.toggle("Wrap long text", key="ar_wrap", help="Show long titles and comments on several lines.")
    st.caption(data.caption)
    shown = data.rows[columns]
    n = len(shown)
    row_height = 70 if wrap else None  # Streamlit wraps text only in rows taller than 64 px
    st.dataframe(
        mark_statuses(shown), hide_index=True, width="stretch", row_height=row_height,
        height=widgets.fit_height(n, row_height or 35, 720), placeholder="", lazy=n > LAZY_ROWS,
        column_config={
            **widgets.text_columns(shown, REPORT_WIDTHS),
            "Progress": widgets.progress_column("Progress", width=100),
            "Expected": st.column_config.NumberColumn("Expected", format="%.0f %%", width=80),
            "Start": widgets.date_column("Start"),
            "Due": widgets.date_column("Due"),
            "Comment date": widgets.date_column("Comment date"),
            "Overdue": st.column_config.NumberColumn("Overdue", width=75, help="Overdue actions in this row"),
        },
    )
    return shown


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
