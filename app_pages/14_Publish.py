"""Publish (editors and admins): switch the plan public, mark items internal, press Publish."""

import pandas as pd
import streamlit as st

from wehoplan import publishing
from wehoplan.config import load_config
from wehoplan.display import day
from wehoplan.rollup import Thresholds
from wehoplan.ui import cache
from wehoplan.ui.edit_state import save as save_change
from wehoplan.ui.edit_state import start_editing_page
from wehoplan.ui.text import md

view, author = start_editing_page("Publish", "📣", "publish")
eng = cache.engine()
plan = view.frames.plan


def save(action, message: str) -> None:
    """One write as the chosen author; a message and a rerun on success."""
    save_change(action, message, author)


st.write("Publishing is an act: the Public page and the static site show what you publish here, as it stood "
         "when you pressed **Publish**, never the live plan. Internal items, everything under them, internal "
         "comments, owners and emails never leave.")

public = publishing.plan_is_public(eng, plan.id)
st.subheader("1. The plan")
if public:
    st.write(f"{md(plan.name)} is **public**: its latest publication is on the Public page.")
    if st.button("Make the plan internal (withdraw it from the Public page)", key="pub_withdraw"):
        save(lambda: publishing.set_plan_public(eng, plan.id, False, author), f"{plan.name} is internal now.")
else:
    st.write(f"{md(plan.name)} is **internal**: nothing of it is shown to the public.")
    if st.button("Make the plan public", key="pub_make_public", type="primary"):
        save(lambda: publishing.set_plan_public(eng, plan.id, True, author), f"{plan.name} is public now.")

st.subheader("2. Public and internal items")
st.caption("Untick an item to keep it internal: it and everything under it stay out of every publication "
           "(and out of every published total).")
vis = publishing.item_visibility(eng, plan.id)
table = pd.DataFrame({
    "Code": vis["code"], "Title": vis["title"], "Level": vis["level"], "Public": vis["public"],
    # Whether the next publication carries the item: an item ticked public under an internal one does not.
    "Goes out on Publish": vis["published"].map({True: "yes", False: "no"}).where(
        vis["published"] | ~vis["public"], "no (under an internal item)"),
})
edited = st.data_editor(table, hide_index=True, width="stretch",
                        disabled=["Code", "Title", "Level", "Goes out on Publish"],
                        key="pub_items", column_config={"Public": st.column_config.CheckboxColumn("Public")})
changes = {c: bool(p) for c, p, before in zip(edited["Code"], edited["Public"], table["Public"], strict=True)
           if bool(p) != bool(before)}
if st.button(f"Save public / internal ({len(changes)} changed)", key="pub_save_items", disabled=not changes):
    save(lambda: publishing.set_items_public(eng, plan.id, changes, author),
         f"{len(changes)} items changed between public and internal.")

st.subheader("3. Publish")
with st.form("pub_form"):
    note = st.text_area("Note to readers (published with it; optional)", max_chars=publishing.NOTE_MAX)
    go = st.form_submit_button("Publish", type="primary", disabled=not public)
if not public:
    st.caption("Make the plan public first.")
if go:
    save(lambda: publishing.publish(eng, plan.id, author, note=note,
                                    thresholds=Thresholds.from_config(load_config())),
         f"{plan.name} published. The Public page shows it now.")

st.subheader("Publications")
done = publishing.publications(eng, plan.id)
if done.empty:
    st.info("Not published yet: the Public page and the static site show nothing of this plan until you press "
            "**Publish** above.")
else:
    st.dataframe(pd.DataFrame({
        "Published": [f"{day(t)}, {t:%H:%M} UTC" for t in pd.to_datetime(done["published_at"])],
        "By": done["author"], "As of": pd.to_datetime(done["as_of"]).map(day),
        "Note": done["note"].fillna(""),
    }), hide_index=True, width="stretch")
