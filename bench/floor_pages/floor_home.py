"""Floor of app.py (executive overview): the page's drawing code, precomputed data."""

import streamlit as st

from bench.floor_pages import _floor
from wehoplan.ui import draw

st.set_page_config(page_title="wehoplan: overview", page_icon="📈", layout="wide")
meta, p = _floor.start("home")
_floor.header(meta, p, "Executive overview")
draw.overview(p["data"])
