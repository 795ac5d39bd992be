"""Floor of app.py (executive overview): same elements, precomputed data."""

import streamlit as st

from bench.floor_pages import _floor
from wehoplan.ui import widgets

st.set_page_config(page_title="wehoplan: overview", page_icon="📈", layout="wide")
meta, p = _floor.start()
_floor.header(meta, p, "Executive overview")
for col, (label, value, delta, help_) in zip(st.columns(5), p["metrics"], strict=True):
    col.metric(label, value, delta, help=help_)
left, right = st.columns([3, 2])
with left:
    widgets.chart(p["left"])
with right:
    widgets.chart(p["right"])
st.subheader("Strategies and initiatives")
st.dataframe(widgets.status_style(p["summary"]), hide_index=True, width="stretch", column_config={
    "Progress": widgets.progress_column("Progress"),
    "Expected": st.column_config.NumberColumn("Expected", format="%.0f%%"),
})
st.subheader("Needs attention")
if p["attention"].empty:
    st.success("Nothing in major disruption, overdue or stale.")
else:
    st.caption(p["attention_caption"])
    st.dataframe(widgets.status_style(p["attention"]), hide_index=True, width="stretch",
                 column_config={"Progress": widgets.progress_column("Progress"),
                                "Due": st.column_config.DateColumn("Due"),
                                "Last update": st.column_config.DateColumn("Last update")})
