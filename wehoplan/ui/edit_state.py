"""Session helpers of the editing pages: versions the user saw, and one-shot messages.

A form is submitted on the rerun *after* the user saw it, by which time the cached
frames may already hold someone else's newer version. So the version a user edits
against is the one recorded when the page was last drawn, not the one loaded now;
that is what makes a concurrent save fail with "changed by X at T, reload".
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from wehoplan.access import AccessDenied, Principal
from wehoplan.editing import EditError
from wehoplan.ui.author import require_author
from wehoplan.ui.text import md

_SEEN = "_seen_versions"
_FLASH = "_flash"


def expected_version(item_id: int, current: int) -> int:
    """Return the version of the item the user last saw (``current`` if never shown)."""
    return int(st.session_state.setdefault(_SEEN, {}).get(int(item_id), current))


def mark_seen(item_id: int, version: int) -> None:
    """Record that the page now shows ``version`` of the item."""
    st.session_state.setdefault(_SEEN, {})[int(item_id)] = int(version)


def flash(message: str) -> None:
    """Keep a success message for the next run (pages rerun after a save to show fresh numbers)."""
    st.session_state[_FLASH] = message


def save(action: Callable[[], object], message: str, who: Principal | None = None) -> None:
    """Run one write; on success leave ``message`` and rerun, so every number on the page is fresh.

    ``{result}`` in the message is replaced by what the write returned. With ``who`` (local mode's
    "You are"), nothing runs until an author is chosen. A refusal is shown as one error line.
    """
    if who is not None and not require_author(who):
        return
    try:
        result = action()
    except (EditError, AccessDenied) as e:
        st.error(md(e))
        return
    flash(message.replace("{result}", str(result)))
    st.rerun()


def show_flash() -> None:
    """Show and forget the message left by :func:`flash`."""
    msg = st.session_state.pop(_FLASH, None)
    if msg:
        st.success(md(msg))  # messages name codes, titles and people: user text


def start_editing_page(title: str, icon: str, action: str):
    """Common top of the editing pages: config, sign-in gate, title, sidebar, author, flash, plan required.

    Args:
        title: the page title.
        icon: its icon.
        action: what the page does (:data:`wehoplan.access.ACTIONS`); a role that may not do it
            on any plan, or on the chosen plan, gets the role it needs and the page stops.

    Returns:
        ``(view, who)``: the sidebar's view (with a plan) and the acting principal (in local
        mode, the local user named by "You are"), which the writers take as the author.

    """
    from wehoplan.access import local_principal
    from wehoplan.ui import auth
    from wehoplan.ui.author import author_picker
    from wehoplan.ui.state import sidebar
    from wehoplan.ui.widgets import require_plan

    st.set_page_config(page_title=f"{title} · wehoplan", page_icon=icon, layout="wide")
    who = auth.gate(action)
    st.title(title)
    view = sidebar()
    if who.local:  # "You are" only without sign-in; a signed-in user is who they signed in as
        who = local_principal(author_picker())
    show_flash()
    require_plan(view)
    assert view.frames is not None  # require_plan stopped the page otherwise
    auth.check_plan(who, view.frames.plan.id, view.frames.plan.name, action)
    return view, who
