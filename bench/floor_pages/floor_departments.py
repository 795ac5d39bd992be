"""Floor of pages/3_Departments_and_SMART.py: same elements, precomputed data."""

import streamlit as st

from bench.floor_pages import _floor
from wehoplan.ui import widgets

st.set_page_config(page_title="wehoplan: departments and SMART values", page_icon="🏛️", layout="wide")
meta, p = _floor.start()
_floor.header(meta, p, "Departments & SMART values")
widgets.chart(p["heatmap"])
left, right = st.columns(2)
with left:
    widgets.chart(p["depts"])
    widgets.chart(p["dept_status"])
with right:
    widgets.chart(p["smart"])
    widgets.chart(p["owners"])
