"""Shared parts of the floor pages: the precomputed payload, the sidebar, the header.

A floor page draws exactly the elements of its real page, with the page's own drawing
code (``wehoplan.ui.draw``, ``widgets.draw_header``), but the page's data object
(``wehoplan.dashboard.overview`` etc.: every frame and chart) was computed once before
timing (``bench/floor_pages/precompute.py``) and pickled; it is loaded once per process
into :data:`_LOADED`, so a floor rerun costs only the rendering. The pickle's path comes
from ``WEHOPLAN_BENCH_FLOOR``: a file (AppTest, one page at a time), or a folder holding
``floor-<page>.pkl`` for every page (``floor_app.py`` under ``streamlit run``, the browser benchmark).
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path
from types import SimpleNamespace

import streamlit as st

from wehoplan.access import local_principal
from wehoplan.ui import auth, widgets

_LOADED: dict[str, dict] = {}  # module-level: survives AppTest reruns (the module stays imported)


def payload(name: str | None = None) -> dict:
    """The pickled payload named by WEHOPLAN_BENCH_FLOOR, or page ``name``'s in that folder (loaded once)."""
    path = os.environ["WEHOPLAN_BENCH_FLOOR"]
    if name and Path(path).is_dir():
        path = str(Path(path) / f"floor-{name}.pkl")
    if path not in _LOADED:
        _LOADED[path] = pickle.loads(Path(path).read_bytes())
    return _LOADED[path]


def sidebar(meta: dict) -> tuple[str, ...]:
    """Draw the real sidebar's widgets with precomputed choices; return the chosen departments."""
    sb = st.sidebar
    # The identity line gate() draws (local mode here: the benchmark configures no sign-in).
    auth._identity(local_principal())
    sb.selectbox("Plan", meta["plans"], key="w_plan")
    sb.date_input("As of", value=meta["as_of"], key="w_as_of", format="YYYY-MM-DD", help=meta["as_of_help"])
    chosen = {}
    for fname, label in meta["labels"].items():
        opts = meta["options"][fname]
        chosen[fname] = sb.multiselect(label, list(opts), key="w_" + fname, format_func=lambda v, o=opts: o.get(v, v),
                                       placeholder="All")
    sb.text_input("Search", key="w_text", placeholder="code, title, comment…")
    sb.button("Reset filters", icon=":material/restart_alt:", disabled=not any(chosen.values()))
    return tuple(chosen["department"])


def start(name: str | None = None) -> tuple[dict, dict]:
    """Draw the sidebar; return (meta, the payload of the chosen filter) of page ``name``."""
    data = payload(name)
    return data["meta"], data["variants"][sidebar(data["meta"])]


def header(meta: dict, page: dict, title: str) -> None:
    """The real header (the page's own drawing code) with the precomputed caption and demo notice."""
    widgets.draw_header(title, page["caption"], meta["demo_notice"])


def downloads(meta: dict) -> None:
    """The divider and the extract's two download buttons under a dashboard page (nothing is built until a click)."""
    st.divider()
    view = SimpleNamespace(frames=SimpleNamespace(plan=SimpleNamespace(name=meta["plans"][0]), tree=None,
                                                  updates=None), as_of=meta["as_of"], filters=None)
    widgets.download_extract(view)
