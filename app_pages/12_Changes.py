"""Changes: what changed between two as-of dates, for the sidebar's selection (the packet's changes section)."""

import streamlit as st

from wehoplan import report
from wehoplan.report.changes import CHANGE_KINDS
from wehoplan.ui import auth, widgets
from wehoplan.ui import report as report_ui
from wehoplan.ui.state import sidebar
from wehoplan.ui.text import md

st.set_page_config(page_title="wehoplan: changes", page_icon="🔁", layout="wide")
who = auth.gate("view")
view = sidebar(who)  # the gate's principal: not looked up twice
widgets.require_plan(view)
auth.check_plan(who, view.frames.plan.id, view.frames.plan.name)
widgets.header(view, "Changes")
c1, c2, c3 = st.columns([1, 1, 2])
# Keyed by the sidebar's date: a new as-of date brings new defaults (the comparison date moves with it).
since = c1.date_input("From", report_ui.comparison_date(view).date(), format="YYYY-MM-DD",
                      key=f"ch_since_{view.as_of:%Y%m%d}",
                      help="The earlier date (default: the previous reporting cycle's end, else 90 days before).")
until = c2.date_input("To", view.as_of.date(), format="YYYY-MM-DD", key=f"ch_until_{view.as_of:%Y%m%d}",
                      help="The later date (default: the sidebar's as-of date).")
labels = dict(CHANGE_KINDS)
kinds = c3.multiselect("Show", list(labels), format_func=labels.get, placeholder="Every kind of change",
                       key="ch_kinds")
if not since or not until or since >= until:
    st.info("Choose a **From** date before the **To** date.")
    st.stop()
rows = report_ui.changes(view, since, until)
table = report_ui.shown(rows, kinds)
n = report.counts(rows)
st.caption(f"From **{report.day_text(since)}** to **{report.day_text(until)}**, "
           f"filters: {md(view.filters.describe())}. " + " · ".join(f"{labels[k]}: {n[k]}" for k, _ in CHANGE_KINDS))
if table.empty:
    st.info(f"Nothing changed between {report.day_text(since)} and {report.day_text(until)} for this selection"
            + (" and these kinds of change" if kinds else "") + ": no report in between moved a status or a "
            "percentage. Choose an earlier **From** date to compare a longer span.")
    st.stop()
screen = report_ui.on_screen(table)
st.dataframe(screen, hide_index=True, width="stretch", height=widgets.fit_height(len(screen)), column_config={
    **widgets.text_columns(screen, {"Change": 120, "Code": 50, "Title": 250, "Status": 175, "Progress": 110,
                                    "Health": 105, "Owner": 165}),  # 1,030 px with Points: whole at 1500 px
    "Points": st.column_config.NumberColumn("Points", format="%+.1f", width=55,
                                            help="Progress after minus before, in percentage points"),
})
st.download_button("Changes (CSV)", data=widgets.report_csv(table),
                   file_name=f"changes_{since:%Y-%m-%d}_{until:%Y-%m-%d}.csv", mime="text/csv",
                   icon=":material/download:", on_click="ignore", key="ch_download",
                   help="The same rows with status, progress and health before and after in separate columns, "
                        "and the department.")
