"""wehoplan home page: the executive overview."""

import streamlit as st

from wehoplan import dashboard
from wehoplan.ui import cache, draw, widgets
from wehoplan.ui.state import sidebar

st.set_page_config(page_title="wehoplan: overview", page_icon="📈", layout="wide")
view = sidebar()
widgets.require_plan(view)
widgets.header(view, "Executive overview")
data = dashboard.overview(widgets.table(view), view.frames.updates, view.as_of,
                          cache.first_completed_at(view.frames, view.as_of), widgets.thresholds())
if data is None:
    widgets.no_match()
draw.overview(data)
st.divider()
widgets.download_extract(view)
