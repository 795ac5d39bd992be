"""Floor of app.py (executive overview): the page's drawing code, precomputed data."""

import streamlit as st

from bench.floor_pages import _floor
from wehoplan.ui import draw

st.set_page_config(page_title="wehoplan: overview", page_icon="📈", layout="wide")
meta, p = _floor.start("home")
_floor.header(meta, p, "Executive overview")
draw.overview(p["data"])
_floor.downloads(meta)  # and the council-packet button beside them, as on the page
st.download_button("Council packet (PDF)", data=b"", file_name="packet.pdf", mime="application/pdf",
                   icon=":material/picture_as_pdf:", on_click="ignore", key="dl_packet",
                   help=f"A printable status report with the sidebar's filters, as of {meta['as_of']:%d %b %Y}, "
                        "and what changed since the previous cycle.")
