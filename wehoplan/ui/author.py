"""Who is making changes in local mode (no sign-in configured): chosen in the sidebar.

The choice lives in ``st.session_state["author"]`` so it survives page switches
(widget state is dropped on pages that do not draw the widget). With sign-in on the
picker is not drawn at all: the signed-in user is the author (:mod:`wehoplan.ui.auth`).
"""

from __future__ import annotations

import streamlit as st

from wehoplan.access import Principal
from wehoplan.repository import people_frame
from wehoplan.ui import cache

AUTHOR_KEY = "author"
_CHOICE_KEY = "_author_choice"
_TEXT_KEY = "_author_text"
OTHER = "Someone else…"


@st.cache_resource(show_spinner=False, max_entries=4)
def _people_names(url: str, version: int) -> tuple[str, ...]:
    # Read once per database and data version, not on every rerun of pages 4-6:
    # people_frame also counts each person's items (figures in bench/README.md).
    return tuple(people_frame(cache.engine())["name"].tolist())


def author_picker() -> str:
    """Draw "You are" in the sidebar and return the chosen name ("" until one is chosen)."""
    people = list(_people_names(cache.database_url(), cache.version()))
    options = ["", *people, OTHER]
    current = st.session_state.get(AUTHOR_KEY, "")
    if _CHOICE_KEY not in st.session_state:
        st.session_state[_CHOICE_KEY] = current if current in people else (OTHER if current else "")
    choice = st.sidebar.selectbox(
        "You are", options, key=_CHOICE_KEY,
        format_func=lambda o: "(choose who you are)" if o == "" else o,
        help="Recorded as the author of every change you save.",
    )
    if choice == OTHER:
        if _TEXT_KEY not in st.session_state:
            st.session_state[_TEXT_KEY] = current if current not in people else ""
        name = st.sidebar.text_input("Your name", key=_TEXT_KEY).strip()
    else:
        name = choice or ""
    st.session_state[AUTHOR_KEY] = name
    return name


def require_author(who: str | Principal) -> bool:
    """Show a warning and return False when no author is chosen (saving is then refused).

    A signed-in principal always has a name; only the local user must pick one.
    """
    if isinstance(who, Principal) and not who.local:
        return True
    if (who.name if isinstance(who, Principal) else who):
        return True
    st.warning("Choose who you are in the sidebar (\"You are\") before saving.")
    return False
