"""The council packet and the Changes page at the app's edge: cached inputs, the download, the page's table."""

from __future__ import annotations

import datetime as dt
from functools import partial

import pandas as pd
import streamlit as st

from wehoplan import report, repository
from wehoplan.access import Principal
from wehoplan.display import percent
from wehoplan.domain import is_blank
from wehoplan.filters import Filters
from wehoplan.report.changes import CHANGE_COLUMNS
from wehoplan.ui import cache
from wehoplan.ui.state import View
from wehoplan.ui.widgets import frames, thresholds


@st.cache_resource(show_spinner=False, max_entries=8)
def _history(url: str, plan_name: str, version: int, plan_id: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    # Every item (archived too) and the plan's audit rows: which items existed at each date.
    eng = cache.engine()
    return (repository.load_items(eng, plan_id, include_archived=True),
            repository.audit_frame(eng, plan_id=plan_id))


def history(view: View) -> tuple[pd.DataFrame, pd.DataFrame]:
    """All items of the view's plan (archived included) and its audit rows, cached per data version."""
    pf = frames(view)
    return _history(cache.database_url(), pf.plan.name, pf.version, pf.plan.id)


@st.cache_resource(show_spinner=False, max_entries=8)
def _cycle_end(url: str, plan_name: str, version: int, plan_id: int, as_of: pd.Timestamp) -> pd.Timestamp | None:
    # Filter-independent and read from the database (the plan's update cycle): once per data
    # version and date, not on every rerun of the Overview (a cycle change is an audited write).
    return report.previous_cycle_end(cache.engine(), plan_id, as_of)


def cycle_end(view: View) -> pd.Timestamp | None:
    """:func:`wehoplan.report.previous_cycle_end` of the view's plan at its as-of date, cached per data version."""
    pf = frames(view)
    return cache.remembered(_cycle_end, (cache.database_url(), pf.plan.name, pf.version, pf.plan.id,
                                         pd.Timestamp(view.as_of)))


def comparison_date(view: View) -> pd.Timestamp:
    """The default "since" date: the previous reporting cycle's end, else 90 days before the as-of date."""
    since, _ = report.default_since(view.as_of, cycle_end(view))
    return since


def _packet_pdf(view: View, made_by: str) -> bytes:
    pf = frames(view)
    items, audit = history(view)
    return report.packet_bytes(items, pf.updates, pf.plan, view.as_of, None, view.filters, audit=audit,
                               thresholds=thresholds(), made_by=made_by,
                               cycle_end=cycle_end(view),
                               measures=report.plan_measures(cache.engine(), pf.plan.id, view.as_of),
                               prepared=pf.prepared)


def download_packet(view: View, who: Principal) -> None:
    """The council packet (PDF) of the view as a download, built only when clicked."""
    pf = frames(view)
    st.download_button(
        "Council packet (PDF)", data=partial(_packet_pdf, view, who.label or who.name),
        file_name=report.packet_filename(pf.plan.name, view.as_of), mime="application/pdf",
        icon=":material/picture_as_pdf:", on_click="ignore", key="dl_packet",
        help=f"A printable status report with the sidebar's filters, as of {report.day_text(view.as_of)}, "
             f"and what changed since {report.day_text(comparison_date(view))}.",
    )


@st.cache_resource(show_spinner="Comparing the two dates…", max_entries=16)
def _changes(url: str, plan_name: str, version: int, since: pd.Timestamp, until: pd.Timestamp, filters: Filters,
             th: tuple, _view: View) -> pd.DataFrame:
    pf = frames(_view)
    items, audit = history(_view)
    return report.changes_between(items, pf.updates, since, until, filters, audit=audit, thresholds=thresholds(),
                                  prepared=pf.prepared)


def changes(view: View, since: dt.date, until: dt.date) -> pd.DataFrame:
    """:func:`wehoplan.report.changes_between` for the view's plan and filters, cached per data version."""
    pf = frames(view)
    th = thresholds()
    return _changes(cache.database_url(), pf.plan.name, pf.version, pd.Timestamp(since), pd.Timestamp(until),
                    view.filters, (th.due_soon_days, th.stale_days, th.on_schedule_ratio, th.behind_ratio), view)


def shown(rows: pd.DataFrame, kinds: list[str]) -> pd.DataFrame:
    """The rows of the chosen kinds (all when none is chosen), in the columns a person reads."""
    if kinds:
        rows = rows[rows["kind"].isin(kinds)]
    return rows[CHANGE_COLUMNS].reset_index(drop=True)


def _moved(before: pd.Series, after: pd.Series, fmt) -> list[str]:
    # "On track → Some disruption"; one word when nothing moved; "" when neither side has a value.
    out = []
    for b, a in zip(before, after, strict=True):
        bt, at = fmt(b), fmt(a)
        out.append(at if bt == at else f"{bt or 'none'} → {at or 'none'}")
    return out


def on_screen(table: pd.DataFrame) -> pd.DataFrame:
    """The changes as the page shows them: before → after in one column each, so the grid fits 1500 px.

    The download keeps the separate before and after columns (a spreadsheet sorts and sums them).
    """
    text = lambda v: "" if is_blank(v) else str(v)  # noqa: E731 - one-line formatter
    return pd.DataFrame({
        "Change": table["Change"], "Code": table["Code"], "Title": table["Title"],
        "Status": _moved(table["Status before"], table["Status after"], text),
        "Progress": _moved(table["Progress before"], table["Progress after"], percent),
        "Points": table["Points"],
        "Health": _moved(table["Health before"], table["Health after"], text),
        "Owner": table["Owner"].map(text),
    })
