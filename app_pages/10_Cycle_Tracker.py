"""Cycle tracker: who has reported, per department and per owner, this cycle and the ones before."""

import pandas as pd
import streamlit as st

from wehoplan import charts, cycle_store
from wehoplan.cycles import STATE_LABELS, cycles_up_to, day_text, item_states, summarise
from wehoplan.ui import auth, cache, widgets
from wehoplan.ui.cycle_view import today
from wehoplan.ui.state import sidebar
from wehoplan.ui.text import md

st.set_page_config(page_title="Cycle tracker · wehoplan", page_icon="📅", layout="wide")
who = auth.gate("edit_plan")
st.title("Cycle tracker")
view = sidebar()
widgets.require_plan(view)
plan = view.frames.plan
auth.check_plan(who, plan.id, plan.name, "edit_plan")
rule = cycle_store.get_rule(cache.engine(), plan.id)
if rule is None:
    st.info("This plan has no update cycle yet. Set one on the Edit Plan page (Update cycle).")
    st.stop()
# Today, unless the sidebar's As of was moved: then the tracker looks back to that day (time travel,
# as on every other page), e.g. the demo's 2020 cycles.
looked_back = view.as_of.date() != cache.default_as_of(view.frames).date() and view.as_of.date() < today()
day = view.as_of.date() if looked_back else today()
cycles = cycles_up_to(rule, day, 8)
if not cycles:
    st.info(f"No reporting window had opened by {day_text(day)}. Move the sidebar's As of to a later date, "
            "or wait for the first window of the update cycle.")
    st.stop()

tree, updates = view.frames.tree.frame, view.frames.updates
leaves = tree[tree["is_leaf"]]
# The sidebar's strategy, department, owner, SMART and search filters choose the actions counted.
hay = view.frames.tree.haystacks
leaves = leaves[leaves["id"].isin(hay.ids[view.filters.leaf_mask(hay) & view.filters.text_mask(hay)])]
if leaves.empty:
    widgets.no_match()
c1, c2 = st.columns(2)
pick = c1.selectbox("Cycle", range(len(cycles)), key="ct_cycle",
                    format_func=lambda i: cycles[i].label + (" (current)" if i == 0 else ""))
by = c2.radio("Per", ["owner", "department"], key="ct_by", horizontal=True, format_func=str.capitalize)
cycle = cycles[pick]
st.caption(md(f"{cycle.describe()}.") + f" Counted on **{day_text(day)}** "
           + ("(the sidebar's As of)." if looked_back else "(today; move the sidebar's As of to look back).")
           + (" The status and schedule-health filters are about progress and leave the tracker alone."
              if view.filters.status or view.filters.health else ""))
states = item_states(leaves, updates, cycle, day)
m = st.columns(3)
for col, key in zip(m, STATE_LABELS, strict=True):
    col.metric(STATE_LABELS[key], int((states["state"] == key).sum()))
summary = summarise(states, by, cycle)
widgets.chart(charts.cycle_tracker(summary, by.capitalize(), f"Reports for {cycle.label}, per {by}"))
st.dataframe(summary[["group", "n_items", "reported", "due", "late", "pct_reported"]], hide_index=True,
             column_config={"group": by.capitalize(), "n_items": "Actions", "reported": "Reported", "due": "Due",
                            "late": "Late", "pct_reported": st.column_config.NumberColumn("Reported %",
                                                                                         format="%.0f %%")})
# The download in a person's words, like the table: no raw column names in the file either.
items = pd.DataFrame({"Code": states["code"], "Action": states["title"], "Owner": states["owner"],
                      "Department": states["department"], "This cycle": states["state"].map(STATE_LABELS),
                      "Reported on": states["reported_on"].dt.date})
st.download_button("Items of this cycle (CSV)", data=widgets.report_csv(items),
                   file_name=f"cycle-{cycle.period_end.isoformat()}.csv", mime="text/csv", key="ct_download")

st.subheader("This cycle and the ones before")
history = [summarise(item_states(leaves, updates, c, day), by, c) for c in cycles]
rows = [{"Cycle": c.label, "Actions": int(h["n_items"].sum()), "Reported": int(h["reported"].sum()),
         "Due": int(h["due"].sum()), "Late": int(h["late"].sum())} for c, h in zip(cycles, history, strict=True)]
st.dataframe(rows, hide_index=True)
