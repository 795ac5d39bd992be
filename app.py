"""wehoplan home page: the executive overview."""

import streamlit as st

from wehoplan import charts, dashboard
from wehoplan.ui import cache, widgets
from wehoplan.ui.state import sidebar

st.set_page_config(page_title="wehoplan: overview", page_icon="📈", layout="wide")
view = sidebar()
widgets.require_plan(view)
widgets.header(view, "Executive overview")
table = widgets.table(view)
k = dashboard.kpis(table, view.frames.updates, view.as_of,
                   first_done=cache.first_completed_at(view.frames, view.as_of))
if k is None:
    st.info(widgets.NO_MATCH)
    st.stop()

c1, c2, c3, c4, c5 = st.columns(5)
gap = None if k.expected_progress is None else k.progress - k.expected_progress
c1.metric("Overall progress", f"{k.progress:.0f} %",
          None if gap is None else f"{gap:+.0f} pts vs expected {k.expected_progress:.0f} %",
          help="Rolled-up progress of the selection; the delta compares it with the progress "
               "expected from start and due dates.")
c2.metric("On track", "–" if k.share_on_track is None else f"{k.share_on_track:.0f} %",
          help="Share of started, non-deferred actions that are on track or completed.")
c3.metric("Overdue actions", k.n_overdue, help="Open actions past their due date.")
c4.metric(f"Completed, last {dashboard.RECENT_DAYS} days", k.n_completed_recently)
c5.metric("Stale actions", k.n_stale,
          help=f"Open actions with no update for more than {widgets.thresholds().stale_days} days.")

left, right = st.columns([3, 2])
with left:
    widgets.chart(charts.progress_bars(dashboard.strategy_progress(table), "Progress by strategy "
                                         "(tick = expected)"))
with right:
    widgets.chart(charts.status_mix(dashboard.status_counts(table)))

st.subheader("Strategies and initiatives")
summary = dashboard.summary_table(table)
st.dataframe(
    widgets.status_style(summary.drop(columns=["status_key"])), hide_index=True, width="stretch",
    column_config={
        "Progress": widgets.progress_column("Progress"),
        "Expected": st.column_config.NumberColumn("Expected", format="%.0f%%"),
    },
)

st.subheader("Needs attention")
attention = dashboard.needs_attention(table)
if attention.empty:
    st.success("Nothing in major disruption, overdue or stale.")
else:
    st.caption(f"{len(attention)} action{'s' if len(attention) != 1 else ''}: major disruption, overdue, "
               "or no update for "
               f"{widgets.thresholds().stale_days}+ days.")
    st.dataframe(widgets.status_style(attention), hide_index=True, width="stretch",
                 column_config={"Progress": widgets.progress_column("Progress"),
                     "Due": st.column_config.DateColumn("Due"),
                     "Last update": st.column_config.DateColumn("Last update")})

st.divider()
widgets.download_extract(view)
