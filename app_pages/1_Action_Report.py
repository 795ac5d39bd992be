"""Action report: the selection as a table, in tree or flat layout, with its downloads."""

import streamlit as st

from wehoplan import dashboard
from wehoplan.ui import auth, draw, widgets
from wehoplan.ui.state import sidebar

st.set_page_config(page_title="wehoplan: action report", page_icon="📋", layout="wide")
who = auth.gate("view")
view = sidebar(who)  # the gate's principal: not looked up twice
widgets.require_plan(view)
auth.check_plan(who, view.frames.plan.id, view.frames.plan.name)
widgets.header(view, "Action report")
layout, show = draw.report_controls()
table = widgets.table(view, dashboard.TABLE_COLUMNS)  # only the columns the report reads
data = dashboard.action_report(table, layout, show, view.frames.tree)  # labels made once per tree
if data is None:
    widgets.no_match()
shown = draw.action_report(data, show)
widgets.download_extract(view, shown)
