"""Measures: a card per measure, a detail chart, the table; entry for the measure's owner."""

import datetime as dt

import pandas as pd
import streamlit as st

from wehoplan import measures
from wehoplan.access import AccessDenied, local_principal
from wehoplan.config import load_config
from wehoplan.display import DATE_INPUT_FORMAT, day
from wehoplan.measures.importing import import_values
from wehoplan.ui import auth, cache, widgets
from wehoplan.ui import measures as mui
from wehoplan.ui.author import author_picker, require_author
from wehoplan.ui.edit_state import flash, show_flash
from wehoplan.ui.state import sidebar

st.set_page_config(page_title="wehoplan: measures", page_icon="📈", layout="wide")
who = auth.gate("view")
view = sidebar(who)  # the gate's principal: not looked up twice
widgets.require_plan(view)
plan = widgets.frames(view).plan
auth.check_plan(who, plan.id, plan.name)
widgets.header(view, "Measures")
show_flash()
all_data = mui.plan_data(view)
if all_data.measures.empty:
    st.info("This plan has no measures yet.")
    st.stop()
data = mui.view_data(view)
if data.measures.empty:
    widgets.no_match()
table = measures.measure_table(data, view.as_of, mui.tolerance())
st.markdown(mui.counts_line(table))
band = f"{mui.tolerance():.0%}"
st.caption(f"Status by each measure's latest period on or before {day(view.as_of)}: on target when the value "
           f"meets the target, caution when it misses by at most {band} of the target, off target beyond that, "
           "no data when the latest period has no value yet."
           + (" The status filter is about actions and leaves measures alone." if view.filters.status else ""))

# Targets are part of the plan: only its editors see the tab (set_target checks the same right).
can_target = who.can("edit_plan", plan.id)
tab_cards, tab_detail, tab_table, tab_entry, *tab_targets = st.tabs(
    ["Cards", "Detail", "Table", "Record values", *(["Targets"] if can_target else [])])
with tab_cards:
    mui.cards(table, measures.trend_points(data, view.as_of))
with tab_detail:
    mui.detail(data, table, view.as_of)
with tab_table:
    shown = measures.display_table(table).assign(
        Value=[measures.format_number(v, f) for v, f in zip(table["value"], table["number_format"], strict=True)],
        **{"Period end": table["period"].map(day)})
    # What a reader compares (measure, status, value against target) and who to ask: whole at 1500 px.
    # The CSV below carries every column (direction, frequency, period end, items, note, data).
    st.dataframe(shown, hide_index=True, width="stretch", height=widgets.fit_height(len(shown)),
                 column_order=["Measure", "Status", "Period", "Value", "Target", "Unit", "Owner"],
                 column_config=widgets.text_columns(shown, {"Measure": 250, "Status": 90, "Period": 70,
                                                            "Value": 70, "Target": 160, "Unit": 200,
                                                            "Owner": 150}))
    st.caption("The CSV has every column: direction, frequency, period end, linked items, note and whether "
               "the values are illustrative.")
    st.download_button("Measures (CSV)", data=widgets.report_csv(shown),
                       file_name=f"measures-{view.as_of:%Y-%m-%d}.csv", mime="text/csv",
                       icon=":material/download:", on_click="ignore", key="dl_measures")

with tab_entry:
    if who.local:  # "You are" only without sign-in
        who = local_principal(author_picker())
    mine = table
    if not who.can("record_progress", plan.id):
        mine = table[table["owner"].notna() & (table["id"].isin(
            all_data.measures.loc[all_data.measures["owner_id"] == who.person_id, "id"]))]
    if mine.empty:
        st.info("Values are recorded by the measure's owner, by an updater whose department leads its items, "
                "or by an editor of the plan.")
    else:
        cfg = load_config()
        today = dt.date.today()
        one, bulk, upload = st.tabs(["One value", "Several values", "From a spreadsheet"])
        with one:
            labels = dict(zip(mine["id"], mine["name"], strict=True))
            with st.form("measure_record"):
                mid = st.selectbox("Measure", list(labels), format_func=labels.get)
                period = st.date_input("Period (any day in it)", value=today, format=DATE_INPUT_FORMAT,
                                       max_value=None if cfg.allow_future_updates else today)
                value = st.text_input("Value", placeholder="e.g. 1,234 or 45%")
                na = st.checkbox("Not applicable for this period")
                note = st.text_input("Note")
                if st.form_submit_button("Save value", type="primary") and require_author(who):
                    m = all_data.measures[all_data.measures["id"] == mid].iloc[0].to_dict()
                    try:
                        measures.record_value(cache.engine(), m, period=period, value=None if na else value,
                                              not_applicable=na, note=note, author=who,
                                              allow_future=cfg.allow_future_updates)
                    except (measures.MeasureError, AccessDenied) as exc:
                        st.error(str(exc))
                    else:
                        flash(f"Saved {m['name']} for {measures.period_label(period, m['frequency'])}.")
                        st.rerun()
        with bulk:
            st.caption("One row per value; rows are saved together or none at all.")
            start = pd.DataFrame({"Measure": pd.Series(dtype="string"), "Period": pd.Series(dtype="object"),
                                  "Value": pd.Series(dtype="string"), "Not applicable": pd.Series(dtype="bool"),
                                  "Note": pd.Series(dtype="string")})
            edited = st.data_editor(
                start, num_rows="dynamic", hide_index=True, key="measure_bulk", width="stretch",
                column_config={"Measure": st.column_config.SelectboxColumn(options=mine["name"].tolist(),
                                                                           required=True),
                               "Period": st.column_config.DateColumn(format="YYYY-MM-DD", required=True)})
            if st.button("Save rows", key="measure_bulk_save") and require_author(who):
                rows = [{"row": n + 1, "measure": r["Measure"], "period": r["Period"], "value": r["Value"],
                         "not_applicable": bool(r["Not applicable"]) if pd.notna(r["Not applicable"]) else False,
                         "note": r["Note"]} for n, r in enumerate(edited.to_dict("records"))]
                mui.save_values(rows, all_data, who)
        with upload:
            st.caption("Long (Measure, Period, Value columns) or wide (a Measure column and one column per "
                       "period); all values are saved, or none.")
            up = st.file_uploader("Spreadsheet", type=["xlsx", "xlsm", "csv", "txt"], key="measure_upload")
            if up is not None and st.button("Import values", key="measure_import") and require_author(who):
                res = import_values(cache.engine(), (up.name, up.getvalue()), plan.id, who,
                                    allow_future=cfg.allow_future_updates)
                for line in res.notices:
                    st.info(line)
                if res.ok:
                    flash(f"Imported {res.saved} values from {up.name} ({res.skipped} unchanged).")
                    st.rerun()
                st.error("Nothing was imported: fix these cells and upload again.")
                st.dataframe(res.frame(), hide_index=True)

for tab in tab_targets:
    with tab:
        names = dict(zip(table["id"], table["name"], strict=True))
        mid = st.selectbox("Measure", list(names), format_func=names.get, key="target_measure")
        m = all_data.measures[all_data.measures["id"] == mid].iloc[0]
        past = measures.target_history(all_data, int(mid))
        if past.empty:
            st.caption(f"{m['name']} has no target yet.")
        else:
            st.caption("Each target holds from its period on, until the next one.")
            st.dataframe(past, hide_index=True, width="content", height=widgets.fit_height(len(past)),
                         column_config=widgets.text_columns(past, {"From": 80, "Target": 260}))
        maintain = m["direction"] == "maintain"
        with st.form("measure_target"):
            start = st.date_input("From the period of (any day in it)", value=dt.date.today(),
                                  format=DATE_INPUT_FORMAT)
            if maintain:
                st.caption("This measure should stay within a range: give a lower bound, an upper bound or both.")
                lower = st.text_input("Lower bound", placeholder="e.g. 5")
                upper = st.text_input("Upper bound", placeholder="e.g. 8")
                value = None
            else:
                value = st.text_input("Target", placeholder="e.g. 1,200 or 45%",
                                      help=measures.DIRECTION_WORDS[m["direction"]])
                lower = upper = None
            if st.form_submit_button("Save target", type="primary") and require_author(who):
                try:
                    measures.set_target(cache.engine(), int(mid), period=start, value=value, lower=lower,
                                        upper=upper, author=who)
                except (measures.MeasureError, AccessDenied) as exc:
                    st.error(str(exc))
                else:
                    flash(f"Target of {m['name']} set from {measures.period_label(start, m['frequency'])}.")
                    st.rerun()
        own = None if pd.isna(m["tolerance"]) else float(m["tolerance"])
        shared = f"{mui.tolerance() * 100:g} %"
        with st.form("measure_tolerance"):
            band = st.text_input(f"Caution band, in percent of the target (blank: the plan-wide {shared})",
                                 value="" if own is None else f"{own * 100:g}", placeholder=shared.removesuffix(" %"),
                                 help="How far a value may miss its target and still read Caution rather than "
                                      "Off target.")
            if st.form_submit_button("Save caution band") and require_author(who):
                try:
                    measures.set_tolerance(cache.engine(), int(mid), percent=band, author=who)
                except (measures.MeasureError, AccessDenied) as exc:
                    st.error(str(exc))
                else:
                    pct = measures.parse_value(band)
                    flash(f"Caution band of {m['name']}: {shared if pct is None else f'{pct:g} %'} of the target.")
                    st.rerun()

st.divider()
widgets.download_extract(view)
