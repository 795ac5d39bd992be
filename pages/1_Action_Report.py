import streamlit as st

from wehoplan import dashboard
from wehoplan.ui import widgets
from wehoplan.ui.state import sidebar, url_choice

st.set_page_config(page_title="wehoplan: action report", page_icon="📋", layout="wide")
view = sidebar()
widgets.require_plan(view)
widgets.header(view, "Action report")
table = widgets.table(view)
c1, c2 = st.columns(2)
layout = url_choice("Layout", {"tree": "Tree", "flat": "Flat (actions only)"}, "layout", "tree", c1)
show = url_choice("Show", dashboard.SHOW_OPTIONS, "show", "all", c2)
report = dashboard.action_report(table, tree=layout == "tree", show=show)
if report.empty:
    st.info(widgets.NO_MATCH)
    st.stop()
n_actions = int((table["is_leaf"] & (table["id"] != 0)).sum())
shown = int((report["Level"] == "Action").sum()) if layout == "tree" else len(report)
st.caption(f"{len(report)} rows ({shown} of {n_actions} selected actions). Click a column header to sort.")
st.dataframe(
    widgets.status_style(report.drop(columns=["status_key"])), hide_index=True, width="stretch",
    height=min(38 + 35 * len(report), 720),
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
widgets.download_extract(view, report)
