"""Floor of pages/1_Action_Report.py: same elements, precomputed data."""

from types import SimpleNamespace

import streamlit as st

from bench.floor_pages import _floor
from wehoplan import dashboard
from wehoplan.ui import widgets
from wehoplan.ui.state import url_choice

st.set_page_config(page_title="wehoplan: action report", page_icon="📋", layout="wide")
meta, p = _floor.start()
_floor.header(meta, p, "Action report")
c1, c2 = st.columns(2)
url_choice("Layout", {"tree": "Tree", "flat": "Flat (actions only)"}, "layout", "tree", c1)
url_choice("Show", dashboard.SHOW_OPTIONS, "show", "all", c2)
report = p["report"]
st.caption(p["rows_caption"])
st.dataframe(
    widgets.status_style(report), hide_index=True, width="stretch", height=min(38 + 35 * len(report), 720),
    column_config={
        "Progress": widgets.progress_column("Progress"),
        "Expected": st.column_config.NumberColumn("Expected", format="%.0f%%"),
        "Start": st.column_config.DateColumn("Start"),
        "Due": st.column_config.DateColumn("Due"),
        "Comment date": st.column_config.DateColumn("Comment date"),
        "Latest comment": st.column_config.TextColumn("Latest comment", width="large"),
        "Overdue": st.column_config.NumberColumn("Overdue", help="Overdue actions in this row"),
    },
)
# The page's three download buttons (export merged as download_extract); nothing is built until a click.
view = SimpleNamespace(frames=SimpleNamespace(plan=SimpleNamespace(name=meta["plans"][0]), tree=None, updates=None),
                       as_of=meta["as_of"], filters=None)
widgets.download_extract(view, p["download"])
