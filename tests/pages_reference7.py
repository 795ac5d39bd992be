"""Verbatim copies of the code issue 15's seventh pass (branch pages6) replaced, kept as the reference.

The sidebar (``wehoplan/ui/state.py``: ``sidebar``, ``_bind``, ``_write_url``, ``_filter_options``,
``visible_plans``) and ``wehoplan/ui/cache.py``'s ``version`` as they were: every widget key and
persistent entry written on every rerun, the URL read key by key, the data version through
SQLAlchemy, five cache look-ups. The functions that did not change are imported from
``wehoplan.ui.state``. ``tests/test_pages_equal7.py`` checks the new code against these.
"""

from __future__ import annotations

import datetime as dt
import functools

import pandas as pd
import streamlit as st

from wehoplan.access import sees_every_plan
from wehoplan.db import data_version
from wehoplan.display import DATE_INPUT_FORMAT
from wehoplan.display import day as format_day
from wehoplan.filters import Filters
from wehoplan.rollup import PreparedTree
from wehoplan.ui import cache
from wehoplan.ui.state import (
    _WIDGET,
    LIST_FILTERS,
    QUERY_KEYS,
    View,
    _init_from_url,
    _keep,
    _label,
    _on_plan_change,
    _store,
    filter_options,
    link_notice,
    reset_filters,
)
from wehoplan.ui.text import md


def version() -> int:
    """Return the database's current data version (cheap: one indexed read)."""
    return data_version(cache.engine())


def _bind(name: str) -> str:
    """Seed a widget's key from the persistent entry on every run.

    Streamlit drops or resets a widget's own state when another page runs, so the
    persistent entry is the truth; the widget's ``on_change`` (:func:`_keep`) copies
    a user's change into it before the rerun.
    """
    key = _WIDGET + name
    st.session_state[key] = st.session_state.get(_store(name))
    return key


@st.cache_resource(show_spinner=False, max_entries=8)
def _filter_options(url: str, plan_name: str, version: int, _tree: PreparedTree) -> dict[str, dict[str, str]]:  # noqa: ARG001
    # Once per plan and data version, not on every rerun (~16 ms for 10k actions).
    return filter_options(_tree)


def _write_url(plan: str, as_of: dt.date, filters: Filters) -> None:
    wanted: dict[str, str | list[str]] = {"plan": plan, "as_of": as_of.isoformat(), **filters.to_query()}
    for key in QUERY_KEYS:
        value = wanted.get(key)
        if not value:
            if key in st.query_params:
                del st.query_params[key]
        elif (st.query_params.get_all(key) if isinstance(value, list) else st.query_params.get(key)) != value:
            st.query_params[key] = value


def visible_plans(plans: pd.DataFrame) -> pd.DataFrame:
    """The plans the acting person holds a role on (every plan for an admin of all plans or the local user).

    The picker offers only these: a plan without a role would answer every page with a refusal.
    """
    from wehoplan.ui import auth  # auth draws pages' gates and imports this module's callers

    who = auth.current()
    if who is None or sees_every_plan(who):
        return plans
    return plans[[who.role(int(i)) is not None for i in plans["id"]]]


def sidebar() -> View:
    """Draw the shared sidebar and return the chosen view (frames None when no plan)."""
    at_version = version()  # one read per rerun serves the plan list and the plan's frames
    plans = visible_plans(cache.plans(at_version))
    if plans.empty:
        st.sidebar.info("No plan yet: import one on the Import page.")
        return View(None, pd.Timestamp(dt.date.today()), Filters())
    names = plans["name"].tolist()
    _init_from_url(names)
    if st.session_state.get(_store("plan")) not in names:
        st.session_state[_store("plan")] = names[0]
        reset_filters()
    sb = st.sidebar
    name = sb.selectbox("Plan", names, key=_bind("plan"), on_change=_on_plan_change)
    frames = cache.plan_frames(name, at_version)
    default = cache.default_as_of(frames).date()  # live items only (GUIDE §3)
    if st.session_state.get(_store("as_of")) is None:
        st.session_state[_store("as_of")] = default
    as_of = sb.date_input("As of", key=_bind("as_of"), on_change=_keep, args=("as_of",), format=DATE_INPUT_FORMAT,
                          help=f"Show the plan as it stood on this date (default {format_day(default)}, "
                               "its latest update).")
    as_of = as_of or default
    st.session_state[_store("as_of")] = as_of

    options = _filter_options(cache.database_url(), name, frames.version, frames.tree)
    levels = frames.plan.level_names
    labels = {
        "strategy": f"{levels[0]} / {levels[1] if len(levels) > 1 else 'item'}",
        "department": "Department",
        "smart": "SMART value",
        "status": "Status",
        "health": "Schedule health",
        "owner": "Owner",
    }
    chosen: dict[str, tuple[str, ...]] = {}
    for fname in LIST_FILTERS:
        opts = options[fname]
        current = st.session_state.get(_store(fname)) or []
        # Values from a URL may be parts of names (as on the CLI): keep them selectable.
        all_opts = list(opts) + [v for v in current if v not in opts]
        values = sb.multiselect(labels[fname], all_opts, key=_bind(fname), on_change=_keep, args=(fname,),
                                format_func=functools.partial(_label, opts), placeholder="All")
        st.session_state[_store(fname)] = list(values)
        chosen[fname] = tuple(values)
    text = sb.text_input("Search", key=_bind("text"), on_change=_keep, args=("text",),
                         placeholder="code, title, comment…")
    st.session_state[_store("text")] = text or ""
    filters = Filters(**chosen, text=text or "")
    sb.button("Reset filters", on_click=reset_filters, icon=":material/restart_alt:",
              disabled=filters.is_empty() and as_of == default)
    _write_url(name, as_of, filters)
    notice = link_notice()
    if notice:
        st.warning(md(notice), icon=":material/link_off:")
    return View(frames, pd.Timestamp(as_of), filters)


