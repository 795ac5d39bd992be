"""Users (admins of every plan): who may sign in, with which role on which plan."""

import streamlit as st

from wehoplan import repository, users
from wehoplan.access import ROLES
from wehoplan.ui import auth, cache
from wehoplan.ui.edit_state import save, show_flash

st.set_page_config(page_title="Users · wehoplan", page_icon="👥", layout="wide")
who = auth.gate("manage_users")
st.title("Users")
show_flash()
eng = cache.engine()
plans = repository.list_plans(eng)
plan_ids = {"(every plan)": None, **dict(zip(plans["name"], plans["id"].astype(int), strict=True))}
people = repository.people_frame(eng)["name"].tolist()
departments = repository.departments_frame(eng)["name"].tolist()


table = users.list_users(eng)
if table.empty:
    st.info("No users yet: add the first below (or `wehoplan users add EMAIL --role admin`).")
else:
    st.dataframe(table.rename(columns=lambda c: c.replace("_", " ").capitalize()), hide_index=True, placeholder="")

add_tab, role_tab, remove_tab = st.tabs(["Add a user", "Change a role", "Remove a user"])
with add_tab, st.form("usr_add", clear_on_submit=True):
    email = st.text_input("Email (what they sign in with)", key="usr_email")
    name = st.text_input("Display name (optional)", key="usr_name")
    role = st.selectbox("Role", ROLES, key="usr_role")
    plan = st.selectbox("Plan", list(plan_ids), key="usr_plan")
    person = st.selectbox("Person of the plan (an updater's own items)", ["", *people], key="usr_person")
    deps = st.multiselect("Departments whose items they may report on", departments, key="usr_deps")
    if st.form_submit_button("Add user", type="primary"):
        save(lambda: users.add_user(eng, email, role=role, plan_id=plan_ids[plan], name=name or None,
                                    person=person or None, departments=deps, author=who),
             f"Added {email.strip().lower()} as {role} of {plan}.")
if not table.empty:
    with role_tab, st.form("usr_set_role"):
        r_email = st.selectbox("User", table["email"].tolist(), key="usr_r_email")
        r_role = st.selectbox("Role", ROLES, key="usr_r_role")
        r_plan = st.selectbox("Plan", list(plan_ids), key="usr_r_plan")
        if st.form_submit_button("Set role"):
            save(lambda: users.set_role(eng, r_email, role=r_role, plan_id=plan_ids[r_plan], author=who),
                 f"{r_email} is now {r_role} of {r_plan}.")
    with remove_tab, st.form("usr_remove"):
        x_email = st.selectbox("User", table["email"].tolist(), key="usr_x_email")
        if st.form_submit_button("Remove user"):
            save(lambda: users.remove_user(eng, x_email, author=who), f"Removed {x_email}.")
