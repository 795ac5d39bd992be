"""Shared sidebar: plan, as-of date and filters, kept in session state and the URL.

Every page calls :func:`sidebar` first; it returns the view the page must show.

How the values travel:

* The chosen values live in plain ``st.session_state`` entries (``_wp:<name>``),
  not only in the widgets' own keys: Streamlit forgets a widget's state when a page
  that does not draw it runs, while plain entries survive page switches.
* On a session's first run those entries are filled from ``st.query_params``, and
  every run writes them back into ``st.query_params``: a copied URL reproduces the
  view (plan, as-of date, every filter).
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

import pandas as pd
import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from wehoplan.access import Principal, sees_every_plan
from wehoplan.display import DATE_INPUT_FORMAT
from wehoplan.display import day as format_day
from wehoplan.domain import (
    HEALTH_KEYS,
    HEALTH_LABELS,
    SMART_LETTERS,
    SMART_NAMES,
    STATUS_KEYS,
    STATUS_LABELS,
    date_range_error,
)
from wehoplan.filters import Filters
from wehoplan.rollup import PreparedTree
from wehoplan.ui import cache
from wehoplan.ui.text import md, plain

# Query parameter names this module owns (other pages may add their own).
QUERY_KEYS = ("plan", "as_of", "strategy", "department", "smart", "status", "owner", "text", "health")
LIST_FILTERS = ("strategy", "department", "smart", "status", "health", "owner")
_STORE = "_wp:"  # prefix of the persistent (non-widget) entries
_WIDGET = "w_"  # prefix of the widget keys
_MISSING = object()  # no such entry in session state


@dataclass(frozen=True)
class View:
    """What the user chose: plan frames (None when no plan), as-of date, filters."""

    frames: cache.PlanFrames | None
    as_of: pd.Timestamp
    filters: Filters


def _store(name: str) -> str:
    return _STORE + name


def _init_from_url(names: list[str]) -> None:
    """On a session's first run, take plan, date and filters from the URL.

    What a link asks for that cannot be shown (no such plan, an impossible date, an
    unknown SMART letter or status) is not silently replaced: each is noted in
    ``_wp:ignored`` and :func:`sidebar` says so above the page.
    """
    if st.session_state.get(_store("init")):
        return
    qp = st.query_params
    ignored: list[str] = []
    plan = qp.get("plan")
    if plan not in names:
        # A unique part of a name works too, as on the command line.
        hits = [n for n in names if plan and plan.casefold() in n.casefold()]
        if plan and len(hits) != 1:
            ignored.append(f'plan "{plain(plan)}" ({"matches several plans" if hits else "no such plan"})')
        plan = hits[0] if len(hits) == 1 else None
    st.session_state[_store("plan")] = plan or names[0]
    as_of = qp.get("as_of")
    try:
        day = dt.date.fromisoformat(as_of) if as_of else None
        # A shared link's date outside what a plan can hold is ignored like a malformed one.
        if day is not None and date_range_error(day) is not None:
            ignored.append(f'date "{plain(as_of)}" (outside the years a plan can hold)')
            day = None
        st.session_state[_store("as_of")] = day
    except ValueError:
        ignored.append(f'date "{plain(as_of)}" (not a date; write it as YYYY-MM-DD)')
        st.session_state[_store("as_of")] = None
    f = Filters.from_query(qp)
    ignored += [f'SMART value "{plain(v)}" (unknown)' for v in qp.get_all("smart")
                if v.upper()[:1] not in SMART_LETTERS]
    ignored += [f'status "{plain(v)}" (unknown)' for v in qp.get_all("status") if v not in STATUS_KEYS]
    for name in LIST_FILTERS:
        st.session_state[_store(name)] = list(getattr(f, name))
    st.session_state[_store("text")] = f.text
    st.session_state[_store("ignored")] = ignored
    st.session_state[_store("init")] = True


def link_notice() -> str | None:
    """The sentence naming what the opening link asked for and could not be shown (None: nothing)."""
    ignored = st.session_state.get(_store("ignored")) or []
    if not ignored:
        return None
    return "This link asked for something that is not here, so it was left out: " + "; ".join(ignored) + "."


def reset_filters() -> None:
    """Clear every filter and the as-of date (back to the plan's default date)."""
    for name in (*LIST_FILTERS, "text", "as_of"):
        st.session_state[_store(name)] = "" if name == "text" else ([] if name in LIST_FILTERS else None)
    st.session_state[_store("ignored")] = []  # the link's notice goes with the link's view


def _on_plan_change() -> None:
    # Codes, owners and dates of one plan mean nothing in another.
    st.session_state[_store("plan")] = st.session_state[_WIDGET + "plan"]
    reset_filters()


def _bind(name: str, same_page: bool = False) -> str:
    """Seed a widget's key from the persistent entry on every run.

    Streamlit drops or resets a widget's own state when another page runs, so the
    persistent entry is the truth; the widget's ``on_change`` (:func:`_keep`) copies
    a user's change into it before the rerun.

    ``same_page``: the previous run of this session drew these widgets on this same page.
    Then a widget whose state already equals the entry is left alone: the write would
    change nothing, and each write through ``st.session_state`` costs Streamlit's
    bookkeeping. (On another page the widget is another element, whose state starts
    anew whatever the old one held: there the key is always written.)
    """
    key = _WIDGET + name
    value = st.session_state.get(_store(name))
    if not same_page or st.session_state.get(key, _MISSING) != value:
        st.session_state[key] = value
    return key


def _page() -> str:
    """The running page's script hash (part of every widget's identity); "" outside a script run."""
    ctx = get_script_run_ctx()
    return ctx.page_script_hash if ctx is not None else ""


def _marks() -> dict[str, str]:
    """The sidebar's bookkeeping for this session (a dict made once, then changed in place)."""
    marks = st.session_state.get(_store("marks"))
    if marks is None:
        marks = st.session_state[_store("marks")] = {}
    return marks


def _put(name: str, value) -> None:
    """Set a persistent entry (written only when it changes: an equal write changes nothing)."""
    key = _store(name)
    if st.session_state.get(key, _MISSING) != value:
        st.session_state[key] = value


def _keep(name: str) -> None:
    st.session_state[_store(name)] = st.session_state.get(_WIDGET + name)


def filter_options(prepared: PreparedTree) -> dict[str, dict[str, str]]:
    """Choices of every list filter for a prepared tree: ``{filter: {value: label}}``."""
    tree = prepared.frame
    top = tree[tree["depth"] <= 2]
    strategy = {c: f"{'' if d == 1 else '  '}{c} {t}"[:70] for c, t, d in
                zip(top["code"], top["title"], top["depth"], strict=True)}
    leaves = tree[tree["is_leaf"]]
    depts = set(leaves["department"].dropna().astype(str))
    for p in leaves["partners"].dropna().astype(str):
        depts.update(x.strip() for x in p.split(";") if x.strip())
    owners = sorted(set(leaves["owner"].dropna().astype(str)), key=str.casefold)
    return {
        "strategy": strategy,
        "department": {d: d for d in sorted(depts, key=str.casefold)},
        "smart": {letter: SMART_NAMES[letter] for letter in SMART_LETTERS},
        "status": {k: STATUS_LABELS[k] for k in STATUS_KEYS},
        "health": {k: HEALTH_LABELS[k] for k in HEALTH_KEYS},
        "owner": {o: o for o in owners},
    }


@st.cache_resource(show_spinner=False, max_entries=8)
def _choices(url: str, plan_name: str, version: int, today: dt.date,
             _frames: cache.PlanFrames) -> tuple[dt.date, dict[str, dict[str, str]]]:
    # The default as-of date (GUIDE §3, live items only; cache.default_as_of's own cached
    # value, shared with the pages that read it) and the filters' choices (~16 ms for 10k
    # actions), once per plan, data version and day: one look-up per rerun instead of two.
    return cache.default_as_of(_frames).date(), filter_options(_frames.tree)


def _label(options: dict[str, str], value: str) -> str:
    """A filter value's label (a value from a URL that is no option shows as itself)."""
    return options.get(value, value)


def _write_url(plan: str, as_of: dt.date, filters: Filters) -> None:
    wanted: dict[str, str | list[str]] = {"plan": plan, "as_of": as_of.isoformat(), **filters.to_query()}
    # The keys present, listed once: ``key in st.query_params`` and ``.get`` each go through
    # Streamlit's per-command bookkeeping, and raise and catch a KeyError for an absent key.
    present = set(st.query_params)
    for key in QUERY_KEYS:
        value = wanted.get(key)
        if not value:
            if key in present:
                del st.query_params[key]
        elif key not in present or (st.query_params.get_all(key) if isinstance(value, list)
                                    else st.query_params[key]) != value:
            st.query_params[key] = value


def visible_plans(plans: pd.DataFrame, who: Principal | None = _MISSING) -> pd.DataFrame:  # type: ignore[assignment]
    """The plans the acting person holds a role on (every plan for an admin of all plans or the local user).

    The picker offers only these: a plan without a role would answer every page with a refusal.
    ``who``: the acting principal when the caller has it (the page's gate returned it).
    """
    if who is _MISSING:
        from wehoplan.ui import auth  # auth draws pages' gates and imports this module's callers

        who = auth.current()
    if who is None or sees_every_plan(who):
        return plans
    return plans[[who.role(int(i)) is not None for i in plans["id"]]]


def sidebar(who: Principal | None = _MISSING) -> View:  # type: ignore[assignment]
    """Draw the shared sidebar and return the chosen view (frames None when no plan).

    ``who``: the acting principal, when the page's :func:`wehoplan.ui.auth.gate` gave it
    (else it is looked up again).
    """
    at_version = cache.version()  # one read per rerun serves the plan list and the plan's frames
    plans = visible_plans(cache.plans(at_version), who)
    if plans.empty:
        st.sidebar.info("No plan yet: import one on the Import page.")
        return View(None, pd.Timestamp(dt.date.today()), Filters())
    names = plans["name"].tolist()
    _init_from_url(names)
    if st.session_state.get(_store("plan")) not in names:
        st.session_state[_store("plan")] = names[0]
        reset_filters()
    sb = st.sidebar
    # Which page drew the sidebar's widgets last (a plain dict kept in session state, changed in
    # place: no write through st.session_state). Cleared while drawing: a run stopped half-way
    # leaves it empty, so the next run writes every widget key again.
    marks = _marks()
    page = _page()
    same = bool(page) and marks.get("drawn_on") == page
    marks["drawn_on"] = ""
    name = sb.selectbox("Plan", names, key=_bind("plan", same), on_change=_on_plan_change)
    frames = cache.plan_frames(name, at_version)
    default, options = cache.remembered(_choices, (cache.database_url(), name, frames.version, dt.date.today()), frames)
    if st.session_state.get(_store("as_of")) is None:
        _put("as_of", default)
    as_of = sb.date_input("As of", key=_bind("as_of", same), on_change=_keep, args=("as_of",), format=DATE_INPUT_FORMAT,
                          help=f"Show the plan as it stood on this date (default {format_day(default)}, "
                               "its latest update).")
    as_of = as_of or default
    _put("as_of", as_of)

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
        values = sb.multiselect(labels[fname], all_opts, key=_bind(fname, same), on_change=_keep, args=(fname,),
                                format_func=functools.partial(_label, opts), placeholder="All")
        _put(fname, list(values))
        chosen[fname] = tuple(values)
    text = sb.text_input("Search", key=_bind("text", same), on_change=_keep, args=("text",),
                         placeholder="code, title, comment…")
    _put("text", text or "")
    filters = Filters(**chosen, text=text or "")
    sb.button("Reset filters", on_click=reset_filters, icon=":material/restart_alt:",
              disabled=filters.is_empty() and as_of == default)
    _write_url(name, as_of, filters)
    marks["drawn_on"] = page  # every sidebar widget was drawn on this page
    notice = link_notice()
    if notice:
        st.warning(md(notice), icon=":material/link_off:")
    return View(frames, pd.Timestamp(as_of), filters)


def url_choice(label: str, options: dict[str, str], name: str, default: str, container=None) -> str:
    """Draw a page's own choice (layout, grouping...) as a segmented control kept in the URL.

    Like the sidebar filters, the value survives page switches (session state) and is
    written to the query parameter ``name`` (left out when it is ``default``), so a
    copied link reproduces it too.

    Args:
        label: the control's label.
        options: value -> label shown, in display order.
        name: query parameter name (unique among pages).
        default: the value when nothing is chosen.
        container: where to draw (default: the page body).

    Returns:
        The chosen value (one of ``options``).

    """
    store, key = _store("page:" + name), _WIDGET + "page:" + name
    if store not in st.session_state:
        wanted = st.query_params.get(name)
        st.session_state[store] = wanted if wanted in options else default
    st.session_state[key] = st.session_state[store]
    where = container if container is not None else st
    value = where.segmented_control(label, list(options), format_func=lambda v: options[v], key=key,
                                    on_change=_keep_choice, args=(name,))
    value = value if value in options else default  # clicking the chosen segment again clears it
    st.session_state[store] = value
    if value == default:
        if name in st.query_params:
            del st.query_params[name]
    elif st.query_params.get(name) != value:
        st.query_params[name] = value
    return value


def _keep_choice(name: str) -> None:
    st.session_state[_store("page:" + name)] = st.session_state.get(_WIDGET + "page:" + name)
