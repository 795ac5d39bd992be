"""Overview (the home page): the executive overview."""

import streamlit as st

from wehoplan import dashboard
from wehoplan.ui import auth, cache, draw, widgets
from wehoplan.ui import measures as measures_ui
from wehoplan.ui import report as report_ui
from wehoplan.ui.state import sidebar

st.set_page_config(page_title="wehoplan: overview", page_icon="📈", layout="wide")
who = auth.gate("view")
view = sidebar(who)  # the gate's principal: not looked up twice
widgets.require_plan(view)
auth.check_plan(who, view.frames.plan.id, view.frames.plan.name)
widgets.header(view, "Executive overview")
data = dashboard.overview(widgets.table(view, dashboard.OVERVIEW_COLUMNS), view.frames.updates, view.as_of,
                          cache.first_completed_at(view.frames, view.as_of), widgets.thresholds(),
                          view.frames.tree)  # the tree's labels are made once per data version
if data is None:
    widgets.no_match()
draw.overview(data)
measures_ui.overview_counts(view)
st.divider()
widgets.download_extract(view)
report_ui.download_packet(view, who)
