"""Item pickers for large plans: a search box narrows the list before a selectbox is built.

A selectbox sends every option's label to the browser on every run, and the Edit Plan page
has five item pickers: on a 10k-item plan that was about 60,000 labels per run. Above
:data:`LIMIT` items a picker gets a "Find" box (part of a code or title) and lists at most
:data:`LIMIT` matches; the item already chosen stays listed, so a narrower search never
changes the choice under the user's hands.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import streamlit as st

LIMIT = 300  # options listed at most; a plan this small shows every item with no search box


def narrowed(ids: Sequence[int], labels: Mapping[int, str], query: str, keep: object = None,
             limit: int = LIMIT) -> tuple[list[int], int]:
    """The ids to list for ``query`` (case-insensitive, part of the label) and how many match in all.

    At most ``limit`` ids, in the given order; ``keep`` (the current choice) is listed first
    when it matches nothing shown but is one of ``ids``.
    """
    q = query.strip().casefold()
    hits = [i for i in ids if q in labels[i].casefold()] if q else list(ids)
    shown = hits[:limit]
    if keep is not None and keep not in shown and keep in labels and keep in set(ids):
        shown = [keep, *shown]
    return shown, len(hits)


def listed(ids: Sequence[int], keep: object = None, limit: int = LIMIT) -> list[int]:
    """The first ``limit`` of ``ids`` (already narrowed by the page); ``keep`` first when it is further down.

    ``keep`` (the current choice) is listed only when it is one of ``ids``: a choice the page's
    own search or owner left out is gone, as before the list was cut.
    """
    shown = list(ids[:limit])
    if keep is not None and keep not in shown and keep in set(ids):
        shown = [keep, *shown]
    return shown


def find_box(key: str, n_items: int, what: str = "item") -> str:
    """A "Find" box for the picker ``key`` when the plan has more than :data:`LIMIT` items ("" otherwise).

    Call it outside a form: a text box inside a form would narrow only on submit.
    """
    if n_items <= LIMIT:
        return ""
    return st.text_input(f"Find the {what}", key=f"{key}:find", placeholder="part of a code or title")


def options(key: str, ids: Sequence[int], labels: Mapping[int, str], query: str) -> list[int]:
    """The ids the picker ``key`` lists for ``query``, with a caption when some are left out."""
    shown, n = narrowed(ids, labels, query, st.session_state.get(key))
    if n > LIMIT:
        st.caption(f"{n:,} items match; the first {LIMIT} are listed. Type part of a code or title to narrow.")
    elif query and n == 0:
        st.caption("No item matches; clear the search to list them all.")
    return shown
