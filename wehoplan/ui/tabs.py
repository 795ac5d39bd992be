"""Tabs whose hidden content is not run: only the open tab's content is computed and sent.

``st.tabs`` sends every tab's content on every run, open or not: the browser draws all of
it before the run is finished. A tab holding something large (Update Progress's bulk editor:
one row per action, 10k rows on a county plan) then costs every first run of the page though
the person may never open it. With :func:`open_tabs` each switch of tab reruns the page and
the page draws a tab's content only when ``tab.open`` is true.

Streamlit names the tabs by their labels (and default): a label that counts something
("Several items (12)") makes new tabs when the count changes, which would show the first tab
again under the person's hands. The open tab is therefore remembered by its position, and the
tabs are named by the labels and that position only when the labels change.
"""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st


def open_tabs(names: Sequence[str], key: str) -> list:
    """``st.tabs(names)`` that track which one is open (each tab's ``.open``); a switch reruns the page.

    ``key`` is the tabs' key (``st.session_state[key]`` is the open tab's label). The open
    tab stays open when the labels change (by position).
    """
    names = tuple(names)
    drawn, opened = f"_{key}:drawn", f"_{key}:open"
    kept = st.session_state.get(drawn)
    if kept is None or kept[0] != names:  # new labels: open the tab open before, by its position
        kept = (names, min(int(st.session_state.get(opened, 0)), len(names) - 1))
        st.session_state[drawn] = kept
    tabs = list(st.tabs(list(names), key=key, on_change="rerun", default=names[kept[1]]))
    st.session_state[opened] = next((i for i, t in enumerate(tabs) if t.open), 0)
    return tabs
