"""Import legacy spreadsheets: upload, check the detected mapping, preview, import, undo."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import streamlit as st

from wehoplan.access import AccessDenied
from wehoplan.importing import (
    FIELDS,
    UndoRefused,
    analyse,
    import_files,
    list_batches,
    mapping_from_frame,
    undo_import,
)
from wehoplan.ui import auth, cache
from wehoplan.ui.text import md

st.set_page_config(page_title="Import · wehoplan", page_icon="📥", layout="wide")
who = auth.gate("import")
st.title("Import a work plan")
st.caption("Excel (.xlsx, .xlsm) or CSV/text files. Nothing is written until you press Import, and every "
           "import can be undone below.")

files = st.file_uploader("Spreadsheets (several files or sheets become one plan)",
                         type=["xlsx", "xlsm", "csv", "txt"], accept_multiple_files=True)
sources = [(f.name, f.getvalue()) for f in files or []]

if sources:
    c1, c2, c3 = st.columns(3)
    plan_name = c1.text_input("Plan to create or update (exact name)", value=Path(sources[0][0]).stem)
    use_date = c2.checkbox("Status as of a date (else each row's update date, or today)", value=False)
    as_of = c2.date_input("As of", value=dt.date.today(), disabled=not use_date)
    sheet = c3.text_input("Only this sheet (blank: every sheet that holds the plan)", value="") or None
    upload_sig = tuple((n, len(b)) for n, b in sources)
    if st.session_state.get("import_mapping_for") != upload_sig:
        # A mapping applied to another upload does not carry over.
        st.session_state["import_mapping"] = None
        st.session_state["import_mapping_for"] = upload_sig
    override = st.session_state.get("import_mapping")
    # Reading and validating is cached per upload + choices, so reruns of a large file stay quick.
    key = (tuple((n, len(b), hash(b)) for n, b in sources), sheet, json.dumps(override, sort_keys=True))
    if st.session_state.get("import_key") != key:
        with st.spinner("Reading and checking the file…"):
            st.session_state["import_analysis"] = analyse(sources, sheet=sheet, mapping=override)
        st.session_state["import_key"] = key
    an = st.session_state["import_analysis"]

    st.subheader("1. Detected table and columns")
    for m in an.mappings():
        st.write(f"**{md(m['file'])}**, sheet **{md(m['sheet'])}**, header on row {m['header_row']}")
    edited = st.data_editor(
        an.mapping_frame(), hide_index=True, disabled=["file", "sheet", "column", "header"], key="mapping_editor",
        column_config={"field": st.column_config.SelectboxColumn("field", options=list(FIELDS), required=True)},
    )
    new_map = mapping_from_frame(edited) if not edited.empty else None
    b1, b2 = st.columns(2)
    if b1.button("Apply this mapping", disabled=new_map is None):
        st.session_state["import_mapping"] = new_map
        st.rerun()
    if new_map:
        b2.download_button("Save the mapping (JSON, for --mapping)", data=json.dumps(new_map, indent=1),
                           file_name=f"{Path(sources[0][0]).stem}.mapping.json", mime="application/json")

    st.subheader("2. Preview")
    problems = an.problem_frame()
    if an.errors:
        st.error(f"{len(an.errors)} problem(s) to fix in the file before it can be imported (nothing was written):")
    if not problems.empty:
        # A problem about the whole file has no row, column or value: show blanks, not "None".
        st.dataframe(problems.astype(object).where(problems.notna(), ""), hide_index=True)
    preview = an.preview(as_of if use_date else None)
    if not preview.empty:
        st.dataframe(preview.style.apply(
            lambda r: ["background-color: #ffcdd2" if r["problem"] else "" for _ in r], axis=1),
            hide_index=True, column_config={"progress": st.column_config.NumberColumn("progress", format="%.0f %%")})

    st.subheader("3. Import")
    if st.button("Import", type="primary", disabled=not an.ok or not plan_name.strip()):
        bar = st.progress(0.0, text="Importing…")
        try:
            report = import_files(cache.engine(), sources, plan_name=plan_name.strip(),
                                  as_of=as_of if use_date else None, sheet=sheet, mapping=override, author=who,
                                  progress=lambda f: bar.progress(min(f, 1.0), text="Importing…"))
        except AccessDenied as exc:
            bar.empty()
            st.error(f"{exc}; nothing was written.")
            st.stop()
        bar.empty()
        for line in report.lines():
            (st.success if line.startswith("imported") else st.warning if line.startswith("warning")
             else st.error if line.startswith(("error", "rejected")) else st.info)(md(line))
        if report.ok:
            st.query_params["plan"] = report.plan
            st.page_link("app_pages/0_Overview.py", label=f"Open {md(report.plan)} in the dashboard", icon="📈")

st.subheader("Import history")
history = list_batches(cache.engine())
if history.empty:
    st.caption("No imports yet.")
else:
    st.dataframe(history.drop(columns=["sha256"]), hide_index=True)
    undoable = history[history["undone_at"].isna()]
    if not undoable.empty and auth.may(who, "undo_import"):
        choice = st.selectbox("Undo an import", undoable["id"].tolist(),
                              format_func=lambda i: f"batch {i}: {history.set_index('id').loc[i, 'file_name']}")
        if st.button("Undo this import"):
            try:
                res = undo_import(cache.engine(), int(choice), who)
                st.success(f"Undid batch {choice}: removed {res['updates_removed']} updates and "
                           f"{res['items_removed']} items, restored {res['fields_restored']} fields.")
            except (UndoRefused, AccessDenied) as exc:
                st.error(md(exc))
