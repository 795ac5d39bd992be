"""Audit trail: who changed what, when; filter and download."""

import datetime as dt
from functools import partial

import streamlit as st

from wehoplan import exporting, repository
from wehoplan.access import sees_every_plan
from wehoplan.display import DATE_INPUT_FORMAT, DATETIME_COLUMN_FORMAT, audit_for_screen, day, default_audit_range
from wehoplan.ui import auth, cache
from wehoplan.ui.author import author_picker
from wehoplan.ui.state import sidebar
from wehoplan.ui.text import md

st.set_page_config(page_title="Audit · wehoplan", page_icon="🧾", layout="wide")
who = auth.gate("view")
st.title("Audit trail")
view = sidebar()
if who.local:
    author_picker()
eng = cache.engine()
# Without a role for every plan, only the chosen plan's changes (and those tied to no plan) are shown.
every_plan = sees_every_plan(who)
scope = None if every_plan else (view.frames.plan.id if view.frames else -1)
everything = repository.audit_frame(eng, plan_id=scope)
if everything.empty:
    st.info("Nothing has been changed yet.")
    st.stop()

c1, c2, c3 = st.columns(3)
authors = c1.multiselect("Who", sorted(everything["author"].dropna().unique()), key="au_author")
actions = c2.multiselect("Action", sorted(everything["action"].dropna().unique()), key="au_action")
entities = c3.multiselect("About", sorted(everything["entity"].dropna().unique()), key="au_entity")
c4, c5, c6 = st.columns(3)
opening = default_audit_range(everything["at"].min().date(), everything["at"].max().date(), dt.date.today())
dates = c4.date_input("Between", opening, key="au_dates", format=DATE_INPUT_FORMAT,
                      help=f"Opens on every change since {day(opening[0])} (at least the last 90 days).")
search = c5.text_input("Text in field or values", key="au_text")
this_plan = c6.checkbox(f"Only {md(view.frames.plan.name)}" if view.frames else "Only this plan",
                        value=view.frames is not None, disabled=view.frames is None or not every_plan,
                        key="au_plan", help=None if every_plan else "Your role covers this plan only.")
since, until = (dates[0], dates[1]) if isinstance(dates, tuple) and len(dates) == 2 else (None, None)
frame = repository.audit_frame(
    eng, plan_id=view.frames.plan.id if this_plan and view.frames else scope, authors=authors, actions=actions,
    entities=entities, since=since, until=until, text_contains=search or None,
)
st.caption(f"{len(frame)} of {len(everything)} changes, newest first.")
shown = audit_for_screen(frame)
st.dataframe(shown, hide_index=True, width="stretch", placeholder="", column_config={
    "When (UTC)": st.column_config.DatetimeColumn("When (UTC)", format=DATETIME_COLUMN_FORMAT, width=150),
    "Change number": None, "Record number": None,  # internal numbers: the item code says what changed
    "Before": st.column_config.TextColumn("Before", width=170),
    "After": st.column_config.TextColumn("After", width=170),
})
st.download_button("Download CSV", data=partial(exporting.csv_bytes, frame), file_name="wehoplan_audit.csv",
                   mime="text/csv", key="au_download")
