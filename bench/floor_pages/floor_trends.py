"""Floor of app_pages/2_Trends.py: the page's own drawing code, precomputed data."""

import streamlit as st

from bench.floor_pages import _floor
from wehoplan.ui import draw_trends

st.set_page_config(page_title="wehoplan: trends", page_icon="📈", layout="wide")
meta, p = _floor.start("trends")
_floor.header(meta, p, "Trends")
*_, charts_area = draw_trends.controls()
draw_trends.page(p["data"], charts_area)
_floor.downloads(meta)
