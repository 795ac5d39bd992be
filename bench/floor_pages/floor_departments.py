"""Floor of app_pages/3_Departments_and_SMART.py: the page's drawing code, precomputed data."""

import streamlit as st

from bench.floor_pages import _floor
from wehoplan.ui import draw

st.set_page_config(page_title="wehoplan: departments and SMART values", page_icon="🏛️", layout="wide")
meta, p = _floor.start("departments_smart")
_floor.header(meta, p, "Departments & SMART values")
draw.departments(p["data"])
_floor.downloads(meta)
