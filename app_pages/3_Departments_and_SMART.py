"""Departments and SMART values: the heatmap and the grouped progress and status bars."""

import streamlit as st

from wehoplan import dashboard
from wehoplan.ui import auth, draw, widgets
from wehoplan.ui.state import sidebar

st.set_page_config(page_title="wehoplan: departments and SMART values", page_icon="🏛️", layout="wide")
who = auth.gate("view")
view = sidebar(who)  # the gate's principal: not looked up twice
widgets.require_plan(view)
auth.check_plan(who, view.frames.plan.id, view.frames.plan.name)
widgets.header(view, "Departments & SMART values")
data = dashboard.departments(widgets.table(view, dashboard.DEPARTMENTS_COLUMNS), widgets.thresholds())
if data is None:
    widgets.no_match()
draw.departments(data)
st.divider()
widgets.download_extract(view)
