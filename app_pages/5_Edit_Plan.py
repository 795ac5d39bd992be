"""Edit the plan: add, edit, move, archive and restore items; manage departments and people."""

import streamlit as st

from wehoplan import editing, repository
from wehoplan.display import DATE_INPUT_FORMAT
from wehoplan.domain import SMART_LETTERS, smart_names
from wehoplan.ui import cache, cycle_view, pickers
from wehoplan.ui.edit_state import expected_version, mark_seen, start_editing_page
from wehoplan.ui.edit_state import save as save_change

view, author = start_editing_page("Edit the plan", "🛠️", "edit_plan")
eng = cache.engine()
plan = view.frames.plan
# Not the cached tree: this page needs archived items and every version (read once per data version).
choices = cache.item_choices(plan.id)
label, active_ids, version = choices.label, choices.active_ids, choices.version


def save(action, message: str) -> None:
    """One write as the chosen author; a message and a rerun on success."""
    save_change(action, message, author)


edit_tab, add_tab, move_tab, archive_tab, org_tab = st.tabs(
    ["Edit item", "Add item", "Move item", "Archive / restore", "Departments & people"])

with edit_tab:
    q = pickers.find_box("ed_item", len(label))
    item_id = st.selectbox("Item", pickers.options("ed_item", list(label), label, q), format_func=label.get,
                           key="ed_item")
    snap = repository.item_snapshot(eng, int(item_id))
    current = snap["version"]
    expected = expected_version(item_id, current)
    k = f"{item_id}:{current}"  # a new version redraws the fields with the stored values
    with st.form(f"edit:{item_id}"):
        title = st.text_input("Title", snap["title"], key=f"ed_title:{k}")
        description = st.text_area("Description", snap["description"] or "", key=f"ed_desc:{k}")
        c1, c2, c3 = st.columns(3)
        owner = c1.text_input("Owner", snap["owner"] or "", key=f"ed_owner:{k}",
                              help="A new name adds the person.")
        sponsor = c2.text_input("Sponsor", snap["sponsor"] or "", key=f"ed_sponsor:{k}")
        department = c3.text_input("Lead department", snap["department"] or "", key=f"ed_dept:{k}",
                                   help="A new name adds the department.")
        partners = st.text_input("Partner departments (separate with ;)", snap["partners"], key=f"ed_partners:{k}")
        smart = st.multiselect("SMART values", list(SMART_LETTERS), default=list(snap["smart"]),
                               format_func=lambda s: f"{s} · {''.join(smart_names(s))}", key=f"ed_smart:{k}")
        c4, c5, c6, c7 = st.columns(4)
        start = c4.date_input("Start", snap["start"], key=f"ed_start:{k}", format=DATE_INPUT_FORMAT)
        due = c5.date_input("Due", snap["due"], key=f"ed_due:{k}", format=DATE_INPUT_FORMAT)
        weight = c6.number_input("Weight", min_value=0.0, value=float(snap["weight"]), step=0.5, key=f"ed_weight:{k}")
        priority = c7.text_input("Priority", snap["priority"] or "", key=f"ed_priority:{k}")
        submitted = st.form_submit_button("Save changes", type="primary")
    if submitted:
        changes = dict(title=title, description=description, owner=owner, sponsor=sponsor, department=department,
                       partners=partners, smart="".join(smart), start=start, due=due, weight=weight,
                       priority=priority)
        save(lambda: editing.edit_item(eng, int(item_id), changes, author, expected),
             f"Saved {snap['code']}.")
    mark_seen(item_id, current)

with add_tab:
    q = pickers.find_box("add_parent", len(active_ids), "parent")
    under = pickers.options("add_parent", active_ids, label, q)
    with st.form("add_item"):
        parent = st.selectbox("Under", [0, *under], key="add_parent",
                              format_func=lambda i: "(top level)" if i == 0 else label[i])
        new_title = st.text_input("Title", key="add_title")
        c1, c2, c3 = st.columns(3)
        new_owner = c1.text_input("Owner", key="add_owner")
        new_dept = c2.text_input("Lead department", key="add_dept")
        new_smart = c3.multiselect("SMART values", list(SMART_LETTERS), key="add_smart",
                                   format_func=lambda s: f"{s} · {''.join(smart_names(s))}")
        c4, c5 = st.columns(2)
        new_start = c4.date_input("Start", None, key="add_start", format=DATE_INPUT_FORMAT)
        new_due = c5.date_input("Due", None, key="add_due", format=DATE_INPUT_FORMAT)
        added = st.form_submit_button("Add item", type="primary")
    if added:
        def _add():
            new_id = editing.add_item(eng, plan.id, parent_id=int(parent) or None, title=new_title, author=author,
                                      owner=new_owner, department=new_dept, smart="".join(new_smart),
                                      start=new_start, due=new_due)
            return repository.item_snapshot(eng, new_id)["code"]
        save(_add, "Added {result}.")

with move_tab:
    q = pickers.find_box("mv_item", len(active_ids))
    mv_item = st.selectbox("Item to move", pickers.options("mv_item", active_ids, label, q), format_func=label.get,
                           key="mv_item")
    mv_current = int(version[mv_item])
    mv_expected = expected_version(mv_item, mv_current)
    q = pickers.find_box("mv_parent", len(active_ids), "new parent")
    targets = [0, *[i for i in pickers.options("mv_parent", active_ids, label, q) if i != mv_item]]
    mv_parent = st.selectbox("New parent", targets, key="mv_parent",
                             format_func=lambda i: "(top level)" if i == 0 else label[i])
    st.caption("The item and everything under it take the next free number under the new parent.")
    if st.button("Move", key="mv_go"):
        save(lambda: editing.move_item(eng, int(mv_item), int(mv_parent) or None, author, mv_expected),
             f"Moved {label[mv_item].split(' · ')[0]}; its new code is {{result}}.")
    mark_seen(mv_item, mv_current)

with archive_tab:
    q = pickers.find_box("ar_item", len(label))
    ar_item = st.selectbox("Item", pickers.options("ar_item", list(label), label, q), format_func=label.get,
                           key="ar_item")
    ar_current = int(version[ar_item])
    ar_expected = expected_version(ar_item, ar_current)
    is_archived = int(ar_item) in choices.archived
    code = label[ar_item].split(" · ")[0]
    if is_archived:
        st.caption("Archived: left out of every roll-up. Its history is kept; restoring brings it back.")
        if st.button("Restore", key="ar_restore"):
            save(lambda: editing.restore_item(eng, int(ar_item), author, ar_expected), f"Restored {code}.")
    else:
        st.caption("Archiving hides the item and everything under it from roll-ups; nothing is deleted.")
        if st.button("Archive", key="ar_archive"):
            save(lambda: editing.archive_item(eng, int(ar_item), author, ar_expected), f"Archived {code}.")
    mark_seen(ar_item, ar_current)

with org_tab:
    deps = repository.departments_frame(eng)
    people = repository.people_frame(eng)
    left, right = st.columns(2)
    with left:
        st.subheader("Departments")
        st.dataframe(deps[["name", "n_items"]].rename(columns={"name": "Department", "n_items": "Items"}),
                     hide_index=True)
        with st.form("add_department", clear_on_submit=True):
            dep_name = st.text_input("New department", key="dep_new")
            if st.form_submit_button("Add department"):
                save(lambda: editing.add_department(eng, dep_name, author), f"Added department {dep_name}.")
        if not deps.empty:
            with st.form("rename_department"):
                dep_id = st.selectbox("Department", deps["id"].tolist(), key="dep_pick",
                                      format_func=dict(zip(deps["id"], deps["name"], strict=True)).get)
                dep_to = st.text_input("New name", key="dep_rename")
                if st.form_submit_button("Rename"):
                    save(lambda: editing.rename_department(eng, int(dep_id), dep_to, author), f"Renamed to {dep_to}.")
    with right:
        st.subheader("People")
        st.dataframe(people[["name", "email", "department", "n_owned"]].rename(columns={
            "name": "Name", "email": "Email", "department": "Department", "n_owned": "Items owned"}),
            hide_index=True, placeholder="")
        with st.form("add_person", clear_on_submit=True):
            p_name = st.text_input("Name", key="person_new")
            p_email = st.text_input("Email", key="person_email")
            p_dept = st.text_input("Department", key="person_dept")
            if st.form_submit_button("Add person"):
                save(lambda: editing.add_person(eng, p_name, author, email=p_email, department=p_dept),
                     f"Added {p_name}.")
        if not people.empty:
            with st.form("edit_person"):
                pid = st.selectbox("Person", people["id"].tolist(), key="person_pick",
                                   format_func=dict(zip(people["id"], people["name"], strict=True)).get)
                row = people.set_index("id").loc[pid]
                e_name = st.text_input("Name", key="person_edit_name", placeholder=row["name"])
                e_email = st.text_input("Email", key="person_edit_email", placeholder=row["email"] or "")
                e_dept = st.text_input("Department", key="person_edit_dept", placeholder=row["department"] or "")
                if st.form_submit_button("Save person"):
                    changes = {k: v for k, v in (("name", e_name), ("email", e_email), ("department", e_dept)) if v}
                    save(lambda: editing.edit_person(eng, int(pid), changes, author), "Saved.")

st.divider()
cycle_view.cycle_section(eng, plan.id, author)  # issue 16: how often owners report; period locks
