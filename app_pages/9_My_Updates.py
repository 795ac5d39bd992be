"""My updates: the signed-in person's due and late reports of the current cycle, pre-filled."""

import pandas as pd
import streamlit as st

from wehoplan import cycle_store, editing, measures
from wehoplan.access import AccessDenied
from wehoplan.config import load_config
from wehoplan.cycles import current_cycle, day_text, item_states, my_rows, report_rows
from wehoplan.display import DATE_COLUMN_FORMAT, percent
from wehoplan.domain import STATUS_KEYS, STATUS_LABELS
from wehoplan.ui import cache
from wehoplan.ui import measures as measures_ui
from wehoplan.ui.author import require_author
from wehoplan.ui.cycle_view import today
from wehoplan.ui.edit_state import flash, start_editing_page
from wehoplan.ui.text import md

view, who = start_editing_page("My updates", "✅", "record_progress")
eng = cache.engine()
cfg = load_config()
plan = view.frames.plan
tree, updates = view.frames.tree.frame, view.frames.updates
day = today()
rule = cycle_store.get_rule(eng, plan.id)
if rule is None:
    st.info("This plan has no update cycle yet, so no report is due. An editor sets one on the Edit Plan page "
            "(Update cycle).")
    st.stop()
cycle = current_cycle(rule, day)
if cycle is None:
    st.info(f"No reporting window is open on {day_text(day)}.")
    st.stop()
person = cycle_store.person_for(eng, who)
if person is None and who.local:
    # Local mode has no sign-in: "You are" in the sidebar says whose items these are.
    st.info(md(f"{who.name} is not one of the plan's people, so no action is theirs to report on. Choose "
               "yourself under \"You are\" in the sidebar.") if who.name else
            "Choose who you are under \"You are\" in the sidebar: this page then lists the actions you own "
            "that are due or late this cycle.")
    st.stop()
if person is None:
    st.info("You are not linked to a person of this plan, so no item is yours to report on. Ask an admin to link "
            "your user to your person (Users page), or give your person your email (Edit Plan, people).")
    st.stop()



def _measures_section(name: str) -> None:
    """The values this person owes for the measures they own (the latest period ended by today)."""
    data = measures_ui.plan_data(view)
    due = measures.due_values(data, name, day)
    if due.empty:
        return
    st.subheader("Your measures")
    owed = due[~due["reported"]]
    st.caption(md(f"{len(due) - len(owed)} of {len(due)} of your measures have their value for the latest "
                  "period in. Values are kept per period; a correction is a newer value."))
    if owed.empty:
        return
    start = pd.DataFrame({
        "measure_id": owed["id"].to_numpy(), "Measure": owed["name"].to_numpy(),
        "Period": owed["period_label"].to_numpy(),
        "Last value": [f"{v} ({day_text(p.date())})" if v else "none yet"
                       for v, p in zip(owed["last_value"], owed["last_period"], strict=True)],
        "Value": pd.Series([""] * len(owed), dtype="string"), "Not applicable": False,
        "Note": pd.Series([""] * len(owed), dtype="string")})
    edited = st.data_editor(start, key="mu_measures", hide_index=True, num_rows="fixed", width="stretch",
                            column_order=["Measure", "Period", "Last value", "Value", "Not applicable", "Note"],
                            disabled=["Measure", "Period", "Last value"])
    filled = edited[edited["Value"].fillna("").str.strip().ne("") | edited["Not applicable"].fillna(False)]
    if st.button(f"Save {len(filled)} measure value(s)" if len(filled) else "Save the values (fill one in first)",
                 key="mu_measures_save", disabled=filled.empty) and require_author(who):
        periods = dict(zip(owed["id"], owed["period"], strict=True))
        rows = [{"row": n + 1, "measure_id": int(r["measure_id"]), "period": periods[r["measure_id"]].date(),
                 "value": None if r["Not applicable"] else r["Value"], "not_applicable": bool(r["Not applicable"]),
                 "note": r["Note"]} for n, r in enumerate(filled.to_dict("records"))]
        measures_ui.save_values(rows, data, who, source="my updates", today=day)


leaves = tree[tree["is_leaf"] & (tree["owner"] == person)]
states = item_states(leaves, updates, cycle, day)
st.caption(md(f"{person} · {cycle.describe()}."))
n, done = len(states), int((states["state"] == "reported").sum())
if n:  # no bar for someone who owns no open action (a measure owner, say)
    st.progress(done / n, text=f"Done this cycle: {done} of {n} of your actions reported")
base = my_rows(states, leaves)
if base.empty:
    st.success("Nothing left to report this cycle. Thank you." if n else "None of your actions is open this cycle.")
    _measures_section(person)
    st.stop()


def _save(rows, message: str) -> None:
    if not require_author(who):
        return
    try:
        result = editing.record_updates_bulk(eng, rows, who, allow_future=cfg.allow_future_updates,
                                             source="my updates", today=day)
    except (editing.EditError, AccessDenied) as e:
        st.error(md(e))
        return
    if result.ok:
        flash(message.format(n=result.saved))
        st.rerun()
    st.error(f"Nothing was saved: {len(result.problems)} problem(s).")
    st.dataframe(result.frame()[["code", "message"]], hide_index=True)


late = base["state"] == "Late"
st.write(f"**{len(base)} to report** ({int(late.sum())} late), due {day_text(cycle.due)}. Each row starts from "
         "its last report: change what changed, or report *no change* in one click.")
edited = st.data_editor(
    base, key="mu_editor", hide_index=True, num_rows="fixed", width="stretch",
    # 1,030 px: every column, the last comment too, whole at a 1500 px window.
    column_order=["pick", "code", "title", "state", "last_report", "status", "progress", "comment", "last_comment"],
    disabled=["code", "title", "state", "last_report", "last_comment"],
    column_config={
        "pick": st.column_config.CheckboxColumn("Report", width=72),
        "code": st.column_config.TextColumn("Code", width=50),
        "title": st.column_config.TextColumn("Action", width=215),
        "state": st.column_config.TextColumn("This cycle", width=70),
        "last_report": st.column_config.DateColumn("Last report", format=DATE_COLUMN_FORMAT, width=95),
        "status": st.column_config.SelectboxColumn("Status", options=[STATUS_LABELS[k] for k in STATUS_KEYS],
                                                   width=130),
        "progress": st.column_config.NumberColumn("Progress %", min_value=0, max_value=100, step=1, width=85),
        "comment": st.column_config.TextColumn("Comment", width=150),
        "last_comment": st.column_config.TextColumn("Last comment", width=160),
    },
)
picked = edited[edited["pick"].fillna(False).astype(bool)]
c1, c2 = st.columns(2)
n_picked = len(picked)
reports = "report" if n_picked == 1 else "reports"
if c1.button(f"Save {n_picked} ticked {reports}" if n_picked else "Save the ticked reports (tick a row first)",
             type="primary", key="mu_save", disabled=picked.empty):
    _save(report_rows(picked, day, no_change=False), "Saved {n} report(s).")
if c2.button(f"No change on the {n_picked} ticked" if n_picked else "No change on the ticked rows",
             key="mu_no_change_ticked", disabled=picked.empty):
    _save(report_rows(base[base["item_id"].isin(picked["item_id"])], day, no_change=True),
          "Recorded no change on {n} action(s).")

st.subheader("No change, one click each")
for row in base.itertuples():
    a, b = st.columns([4, 1])
    last = f"last report {day_text(row.last_report)}" if day_text(row.last_report) else "no report yet"
    # An action never reported has no status or percent yet: words, not "nan".
    reported = ", ".join(x for x in (row.status if isinstance(row.status, str) else "", percent(row.progress)) if x)
    a.markdown(md(f"{row.code} · {row.title} · {row.state.lower()} · {reported or 'never reported'} ({last})"))
    if b.button("No change", key=f"mu_nc:{row.item_id}"):
        _save(report_rows(base[base["item_id"] == row.item_id], day, no_change=True),
              f"Recorded no change on {row.code}.")

_measures_section(person)
