"""wehoplan home page: the executive overview."""

import streamlit as st

from wehoplan.rollup import Thresholds, plan_total, rollup_table
from wehoplan.ui.state import sidebar

st.set_page_config(page_title="wehoplan", page_icon="📈", layout="wide")
st.title("Executive overview")
view = sidebar()
if view.frames is None:
    st.info("No plan yet: import one, or run `python -m wehoplan init-demo`.")
    st.stop()
plan = view.frames.plan
if plan.is_demo:
    st.caption(plan.source_note)
table = rollup_table(view.frames.tree, view.frames.updates, view.as_of, view.filters, Thresholds())
total = plan_total(table)
st.subheader(f"{plan.name}, as of {view.as_of.date():%d %B %Y}")
if total is None:
    st.info("No items match these filters.")
    st.stop()
c1, c2, c3 = st.columns(3)
c1.metric("Overall progress", f"{total['progress']:.0f} %",
          f"{total['progress'] - total['expected_progress']:+.0f} pts against expected")
c2.metric("Completed actions", f"{int(total['n_completed'])} of {int(total['n_leaves'])}")
c3.metric("Overdue actions", int(total["n_overdue"]))
st.dataframe(table[table["depth"].between(1, 2)][["code", "title", "level", "progress", "status"]], hide_index=True)
