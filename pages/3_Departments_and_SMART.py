import streamlit as st

from wehoplan import charts, dashboard
from wehoplan.rollup import group_leaves
from wehoplan.ui import widgets
from wehoplan.ui.state import sidebar

st.set_page_config(page_title="wehoplan: departments and SMART values", page_icon="🏛️", layout="wide")
view = sidebar()
widgets.require_plan(view)
widgets.header(view, "Departments & SMART values")
table = widgets.table(view)
if dashboard.leaves(table).empty:
    st.info(widgets.NO_MATCH)
    st.stop()
widgets.chart(charts.heatmap(dashboard.heatmap_data(table),
                               "Department × SMART value (number = actions, colour = progress)"))
left, right = st.columns(2)
with left:
    depts = group_leaves(table, "department")
    bars = depts.rename(columns={"group": "name"}).sort_values("progress", ascending=False)
    widgets.chart(charts.progress_bars(bars, "Progress by department (tick = expected)"))
    widgets.chart(charts.status_counts_bar(dashboard.status_counts_by(table, "department"), "Department",
                                             "Actions per status, by department"))
with right:
    smart = group_leaves(table, "smart").rename(columns={"group": "name"})
    widgets.chart(charts.progress_bars(smart, "Progress by SMART value (tick = expected)"))
    widgets.chart(charts.status_counts_bar(dashboard.status_counts_by(table, "owner"), "Owner",
                                             "Workload by owner (actions per status)"))

st.divider()
widgets.download_extract(view)
