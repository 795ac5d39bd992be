"""Floor of app_pages/1_Action_Report.py: the page's drawing code, precomputed data."""

from types import SimpleNamespace

import streamlit as st

from bench.floor_pages import _floor
from wehoplan.ui import draw, widgets

st.set_page_config(page_title="wehoplan: action report", page_icon="📋", layout="wide")
meta, p = _floor.start("action_report")
_floor.header(meta, p, "Action report")
draw.report_controls()  # drawn like the page's; the payload holds the default choices' data
draw.action_report(p["data"])
# The page's three download buttons; nothing is built until a click, so a stand-in view is enough.
view = SimpleNamespace(frames=SimpleNamespace(plan=SimpleNamespace(name=meta["plans"][0]), tree=None, updates=None),
                       as_of=meta["as_of"], filters=None)
widgets.download_extract(view, p["data"].rows)
