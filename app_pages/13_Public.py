"""Public (no sign-in): the latest publication of each public plan, never live data."""

import streamlit as st

from wehoplan import publishing
from wehoplan.domain import match_names
from wehoplan.publishing import opendata
from wehoplan.ui import auth, cache
from wehoplan.ui.text import md

st.set_page_config(page_title="Public progress · wehoplan", page_icon="📣", layout="wide")
auth.gate_public()
eng = cache.engine()
plans = publishing.public_plans(eng)
if not plans:
    st.title("Public progress")
    st.info("No plan has been published yet.")
    st.stop()
names = [name for _, name, _ in plans]
wanted = match_names(st.query_params.get("plan", ""), names) if st.query_params.get("plan") else []
first = next((n for n, (_, _, done) in enumerate(plans) if done), 0)
index = names.index(wanted[0]) if len(wanted) == 1 else first
if len(plans) > 1:
    name = st.selectbox("Plan", names, index=index, key="public_plan")
else:
    name = names[0]
plan_id = plans[names.index(name)][0]
latest = publishing.latest_publication(eng, plan_id)
if latest is None:
    st.title(name)
    st.info(md(f"{name} has not been published yet."))
    st.stop()
doc = latest.document
st.html(f"<style>{publishing.STYLE}</style>\n{publishing.body_html(doc, data_links=False, inline_svg=False)}")
st.subheader("Open data")
st.caption("The same publication as files anyone may reuse (UTF-8); the field list is in the static site's DATA.md.")
cols = st.columns(3)
cols[0].download_button("plan.json", lambda: opendata.plan_json(doc), file_name="plan.json",
                        mime="application/json", on_click="ignore")
cols[1].download_button("items.csv", lambda: opendata.items_csv(doc), file_name="items.csv",
                        mime="text/csv", on_click="ignore")
cols[2].download_button("updates.csv", lambda: opendata.updates_csv(doc), file_name="updates.csv",
                        mime="text/csv", on_click="ignore")
