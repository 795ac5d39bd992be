import streamlit as st

from wehoplan import trends
from wehoplan.ui import auth, cache, draw_trends, widgets
from wehoplan.ui.state import sidebar

st.set_page_config(page_title="wehoplan: trends", page_icon="📈", layout="wide")
who = auth.gate("view")
view = sidebar(who)  # the gate's principal: not looked up twice
widgets.require_plan(view)
auth.check_plan(who, view.frames.plan.id, view.frames.plan.name)
widgets.header(view, "Trends")
by, step, window, charts_area = draw_trends.controls()
dates = draw_trends.period_ends(view.frames, view.as_of, step)  # cached per data version
# One roll-up over the trend's dates and the forecast's serves the whole page; the leaf
# states under it do not depend on the filters (cached per dates and data version).
th = widgets.thresholds()
states = cache.leaf_states_at(view.frames, trends.shared_dates(dates, view.as_of, window), th)
data = trends.page_data(view.frames.tree, states, view.filters, dates, view.as_of, window, by,
                        cache.first_completed_at(view.frames, view.as_of), th)
draw_trends.page(data, charts_area)

st.divider()
widgets.download_extract(view)
