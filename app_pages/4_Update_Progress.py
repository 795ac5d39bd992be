"""Record progress: one item through a form, or several at once in a table."""

import datetime as dt

import streamlit as st

from wehoplan import charts, editing
from wehoplan.access import AccessDenied, recordable
from wehoplan.config import load_config
from wehoplan.display import (
    DATE_COLUMN_FORMAT,
    DATE_INPUT_FORMAT,
    day,
    history_for_screen,
    percent,
    progress_drop_question,
    status_choice_label,
)
from wehoplan.domain import STATUS_KEYS, STATUS_LABELS
from wehoplan.editing.frames import bulk_changes, current_states, find_items
from wehoplan.ui import cache, pickers, widgets
from wehoplan.ui.author import require_author
from wehoplan.ui.edit_state import expected_version, flash, mark_seen, start_editing_page
from wehoplan.ui.tabs import open_tabs
from wehoplan.ui.text import md

view, author = start_editing_page("Update progress", "📝", "record_progress")
cfg = load_config()
tree, updates = view.frames.tree.frame, view.frames.updates
today = dt.date.today()
leaves = tree[tree["is_leaf"]]
# An updater is offered only the items they may report on (their own, or their departments' lead).
leaves = leaves[recordable(cache.engine(), author, view.frames.plan.id, leaves)]
if leaves.empty:
    st.info("No action here is yours to report on: an updater reports on the items they own or their "
            "departments lead. Ask an editor if an item should be yours.")
    st.stop()

c1, c2 = st.columns(2)
owners = sorted(leaves["owner"].dropna().unique().tolist())
owner = c1.selectbox("My items (owner)", ["", *owners], key="upd_owner",
                     format_func=lambda o: "(everyone)" if o == "" else o)
search = c2.text_input("Search code or title", key="upd_search")
found = find_items(leaves, text_contains=search, owner=owner or None)
if found.empty:
    st.info("No action matches; clear the search or choose another owner.")
    st.stop()

# Only the open tab's content is drawn: the bulk editor holds a row per item (10k on a county plan),
# which every first run of the page sent to the browser though it opens on one item.
one, bulk = open_tabs(["One item", f"Several items ({len(found)})"], key="upd_tab")

with one:
    # A selectbox sends every label to the browser: above pickers.LIMIT matches only the first ones
    # (and the current choice) are listed, and the search above reaches any item.
    shown = pickers.listed(found["id"].tolist(), st.session_state.get("upd_item"), pickers.LIMIT)
    if len(found) > pickers.LIMIT:
        st.caption(f"{len(found):,} items match; the first {pickers.LIMIT} are listed. Type part of a code or "
                   "title in the search, or choose an owner, to narrow.")
    part = found.set_index("id").loc[shown]
    labels = dict(zip(shown, part["code"] + " · " + part["title"], strict=True))
    item_id = st.selectbox("Item", list(labels), format_func=labels.get, key="upd_item")
    row = found.set_index("id").loc[item_id]
    current = int(row["version"])
    expected = expected_version(item_id, current)
    history = updates[updates["item_id"] == item_id]
    latest = current_states(history)
    now_status = latest["status"].iloc[0] if not latest.empty else "pending"
    now_progress = float(latest["progress"].iloc[0]) if not latest.empty else 0.0
    due = day(row["due"], "—")
    st.caption(f"Owner: {md(row['owner'] or '—')} · Department: {md(row['department'] or '—')} · Due: {due}")
    if history.empty:
        st.caption("No report yet: the item counts as Not started at 0 %.")
    else:
        widgets.chart(charts.history_chart(history))
        with st.expander(f"History ({len(history)} reports)"):
            st.dataframe(history_for_screen(history), hide_index=True, width="stretch", placeholder="")
    k = f"{item_id}:{current}"  # another item, or a new version, starts from the stored state
    with st.form(f"record:{item_id}"):
        as_of = st.date_input("As of", value=today, key=f"upd_as_of:{k}", format=DATE_INPUT_FORMAT,
                              max_value=None if cfg.allow_future_updates else today)
        # Each status is offered with the other words for it, so typing "at risk" finds Some disruption.
        status = st.selectbox("Status", STATUS_KEYS, index=STATUS_KEYS.index(now_status),
                              format_func=status_choice_label, key=f"upd_status:{k}",
                              help="Type any word for the status (at risk, delayed, done, on hold…) to find it.")
        # "100", not Streamlit's default "100.00"; a stored fraction keeps its one decimal.
        progress = st.number_input("Progress %", min_value=0.0, max_value=100.0, value=now_progress, step=5.0,
                                   format="%.0f" if now_progress == round(now_progress) else "%.1f",
                                   key=f"upd_progress:{k}")
        comment = st.text_area("Comment", key=f"upd_comment:{k}")
        public_note = st.text_area("Public note (optional: published with the plan; the comment never is)",
                                   key=f"upd_public_note:{k}")
        saved = st.form_submit_button("Save update", type="primary")
    if saved and require_author(author):
        if expected != current:
            # Someone saved the item since this form was drawn: the form is now drawn from their values,
            # so what this user typed is gone. Reports never conflict; this only says what happened.
            st.error(md(editing.changed_meanwhile(cache.engine(), int(item_id))))
        elif (question := progress_drop_question(now_progress, progress, cfg.progress_drop_confirm_points)) \
                and st.session_state.get("_upd_drop_ok") != (k, progress):
            # Ask once: the same drop submitted again is what the owner meant.
            st.session_state["_upd_drop_ok"] = (k, progress)
            st.warning(question, icon=":material/trending_down:")
        else:
            st.session_state.pop("_upd_drop_ok", None)
            try:
                editing.record_update(
                    cache.engine(), int(item_id), as_of=as_of, status=status, progress=progress, comment=comment,
                    author=author, expected_version=expected, allow_future=cfg.allow_future_updates,
                    public_note=public_note,
                )
            except (editing.EditError, AccessDenied) as e:
                st.error(md(e))
            else:
                flash(f"Saved {row['code']}: {STATUS_LABELS[status]}, {percent(progress)} as of {day(as_of)}.")
                st.rerun()  # fresh frames: the new numbers show at once
    mark_seen(item_id, current)


def _bulk_section() -> None:
    """The "Several items" tab: an editor of every item found, saved together or not at all."""
    st.caption("Change status, progress or comment in the rows you report on (tick *report* to confirm a row "
               "unchanged). Valid rows are saved together, or none at all.")
    # The editor's base is kept until saved or reloaded: it holds the versions the user edits against.
    base_key = f"bulk_base:{view.frames.plan.name}:{owner}:{search}"
    if st.session_state.get("_bulk_base_key") != base_key or st.button("Reload", key="bulk_reload"):
        st.session_state["_bulk_base_key"] = base_key
        st.session_state["_bulk_base"] = cache.bulk_base(view.frames, found, today)
        st.session_state.pop("bulk_editor", None)
        st.session_state.pop("_bulk_edited", None)
    elif "bulk_editor" not in st.session_state and "_bulk_edited" in st.session_state:
        # Back from the other tab: Streamlit forgot the editor's changes with the editor, but the
        # frame it last returned holds them; it is the base from now on (same versions, same rows).
        st.session_state["_bulk_base"] = st.session_state.pop("_bulk_edited")
    base = st.session_state["_bulk_base"]
    edited = st.data_editor(
        base, key="bulk_editor", hide_index=True, num_rows="fixed", width="stretch",
        # What an owner edits comes right after what they read; context columns last.
        column_order=["code", "title", "current_status", "current_progress", "status", "progress", "comment",
                      "report", "as_of", "last_update", "owner"],
        disabled=["code", "title", "owner", "current_status", "current_progress", "last_update"],
        column_config={
            "current_status": st.column_config.TextColumn("Now"),
            "current_progress": st.column_config.NumberColumn("Now", format="%.0f %%"),
            "last_update": st.column_config.DateColumn("Last report", format=DATE_COLUMN_FORMAT),
            "report": st.column_config.CheckboxColumn("Report"),
            "as_of": st.column_config.DateColumn("As of", format=DATE_COLUMN_FORMAT),
            "status": st.column_config.SelectboxColumn("New status", options=[STATUS_LABELS[k] for k in STATUS_KEYS]),
            "progress": st.column_config.NumberColumn("New %", min_value=0, max_value=100, step=1, format="%.0f %%"),
            "comment": st.column_config.TextColumn("Comment"),
            "code": st.column_config.TextColumn("Code"), "title": st.column_config.TextColumn("Title", width=300),
            "owner": st.column_config.TextColumn("Owner"),
        },
    )
    if st.session_state["bulk_editor"].get("edited_rows"):  # kept for a return from the other tab
        st.session_state["_bulk_edited"] = edited
    else:
        st.session_state.pop("_bulk_edited", None)
    changes = bulk_changes(edited)
    if st.button(f"Save {len(changes)} update(s)", type="primary", key="bulk_save", disabled=changes.empty) \
            and require_author(author):
        result = editing.record_updates_bulk(cache.engine(), changes, author, allow_future=cfg.allow_future_updates)
        if result.ok:
            st.session_state.pop("_bulk_base_key", None)
            flash(f"Saved {result.saved} update(s).")
            st.rerun()
        st.error(f"Nothing was saved: {len(result.problems)} problem(s). Fix these rows and save again.")
        st.dataframe(result.frame()[["code", "message"]].rename(columns={"code": "Code", "message": "Problem"}),
                     hide_index=True)


if bulk.open:  # drawn only when open; a run that does not draw it lets Streamlit forget its changes
    with bulk:
        _bulk_section()
