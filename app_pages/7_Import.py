"""Import legacy spreadsheets: upload, see how the file was read, fix it, preview, import, undo."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import streamlit as st

from wehoplan.access import AccessDenied
from wehoplan.display import batches_for_screen
from wehoplan.importing import (
    FIELD_HELP,
    FIELDS,
    UndoRefused,
    analyse,
    import_files,
    list_batches,
    mapping_from_frame,
    mapping_from_json,
    recall_mapping,
    saved_mappings,
    undo_import,
)
from wehoplan.ui import auth, cache
from wehoplan.ui.text import md

st.set_page_config(page_title="Import · wehoplan", page_icon="📥", layout="wide")
who = auth.gate("import")
st.title("Import a work plan")
st.caption("Excel (.xlsx, .xlsm) or CSV/text files. Nothing is written until you press Import, and every "
           "import can be undone below.")

AUTO_SHEET = "Let the import choose"
# Column meanings in words (the editor and the picker show these; the library takes the field keys).
LABELS = {f: FIELD_HELP.get(f, f) for f in FIELDS}
FIELD_OF = {v: k for k, v in LABELS.items()}

files = st.file_uploader("Spreadsheets (several files or sheets become one plan)",
                         type=["xlsx", "xlsm", "csv", "txt"], accept_multiple_files=True)
sources = [(f.name, f.getvalue()) for f in files or []]


def analysed(sheet: str | None, header_row: int | None, mapping: dict | None):
    """The analysis of the upload with these choices, kept per choice so reruns stay quick."""
    key = (tuple((n, len(b), hash(b)) for n, b in sources), sheet, header_row, json.dumps(mapping, sort_keys=True))
    kept = st.session_state.setdefault("import_analyses", {})
    if key not in kept:
        if len(kept) > 6:
            kept.clear()
        with st.spinner("Reading and checking the file…"):
            kept[key] = analyse(sources, sheet=sheet, mapping=mapping, header_row=header_row)
    return kept[key]


if sources:
    c1, c2 = st.columns(2)
    plan_name = c1.text_input("Plan to create or update (exact name)", value=Path(sources[0][0]).stem)
    use_date = c2.checkbox("Status as of a date (else each row's update date, or today)", value=False)
    as_of = c2.date_input("As of", value=dt.date.today(), disabled=not use_date)
    upload_sig = tuple((n, len(b)) for n, b in sources)
    if st.session_state.get("import_mapping_for") != upload_sig:
        # Choices made for another upload do not carry over.
        st.session_state["import_mapping"] = None
        st.session_state["import_mapping_why"] = ""
        st.session_state["import_mapping_for"] = upload_sig
        st.session_state.pop("import_sheet", None)
        st.session_state.pop("import_header_row", None)

    auto = analysed(None, None, None)
    sheet_options = [AUTO_SHEET, *dict.fromkeys(s for _, s in auto.sheet_names)]

    st.subheader("1. How the file was read")
    f1, f2 = st.columns(2)
    sheet_pick = f1.selectbox("Sheet", sheet_options, key="import_sheet",
                              help="The import takes the largest work-plan table; pick another sheet here.")
    header_pick = f2.number_input("Header row (0: let the import find it)", min_value=0, max_value=10_000,
                                  step=1, key="import_header_row",
                                  help="The row holding the column headings, as the spreadsheet numbers it.")
    sheet = None if sheet_pick == AUTO_SHEET else sheet_pick
    header_row = int(header_pick) or None

    override = st.session_state.get("import_mapping")
    if override is None and st.session_state.get("import_mapping_why") != "dismissed":
        # The mapping last used for this plan and this header layout, if there is one.
        base = analysed(sheet, header_row, None)
        remembered = recall_mapping(cache.engine(), plan_name.strip(), base.layout())
        if remembered:
            override = remembered
            st.session_state["import_mapping"] = remembered
            st.session_state["import_mapping_why"] = ("the column meanings you used last time for this plan "
                                                      "and these headings")
    an = analysed(sheet, header_row, override)
    why = st.session_state.get("import_mapping_why")
    if override and why and why != "dismissed":
        st.info(f"Using {md(why)}.")
        if st.button("Go back to the meanings the import recognises"):
            st.session_state["import_mapping"] = None
            st.session_state["import_mapping_why"] = "dismissed"
            st.rerun()

    sheets = an.sheet_frame()
    if not sheets.empty:
        st.markdown("**Sheets**")
        st.dataframe(sheets, hide_index=True)
    for t in an.tables:
        st.write(f"**{md(t.file_name)}**, sheet **{md(t.sheet.name)}**: header "
                 f"{md(t.header_reason or f'row {t.header_row + 1}')}")
    for note in an.notes:
        st.info(md(note))
    columns = an.column_frame()
    if not columns.empty:
        st.markdown("**Columns**")
        st.dataframe(columns, hide_index=True)

    mapping_now = mapping_from_frame(an.mapping_frame()) if not an.mapping_frame().empty else {}
    if mapping_now:
        st.markdown("**Change what a column holds**")
        m1, m2, m3 = st.columns([2, 2, 1])
        col_pick = m1.selectbox("Column", list(mapping_now), key="import_fix_column")
        current = LABELS.get(mapping_now.get(col_pick, "ignore"), "not imported")
        labels = list(LABELS.values())
        meaning = m2.selectbox("Holds", labels, index=labels.index(current) if current in labels else 0,
                               key=f"import_fix_meaning_{col_pick}")
        if m3.button("Use this meaning"):
            st.session_state["import_mapping"] = {**mapping_now, col_pick: FIELD_OF[meaning]}
            st.session_state["import_mapping_why"] = "the column meanings you chose"
            st.rerun()
        with st.expander("All columns at once, and saved column meanings"):
            frame = an.mapping_frame().assign(field=lambda d: d["field"].map(LABELS))
            edited = st.data_editor(
                frame, hide_index=True, disabled=["file", "sheet", "column", "header"], key="mapping_editor",
                column_config={"field": st.column_config.SelectboxColumn("holds", options=labels, required=True)},
            )
            new_map = mapping_from_frame(edited.assign(field=edited["field"].map(FIELD_OF))) \
                if not edited.empty else None
            b1, b2 = st.columns(2)
            if b1.button("Use these meanings", disabled=new_map is None):
                st.session_state["import_mapping"] = new_map
                st.session_state["import_mapping_why"] = "the column meanings you chose"
                st.rerun()
            if new_map:
                b2.download_button("Save these meanings (a file to load next time)",
                                   data=json.dumps(new_map, indent=1),
                                   file_name=f"{Path(sources[0][0]).stem}.mapping.json", mime="application/json")
            saved_file = st.file_uploader("Load saved column meanings (a .json file saved here)", type=["json"],
                                          key="import_mapping_file")
            if saved_file is not None and st.button("Use the loaded file"):
                try:
                    st.session_state["import_mapping"] = mapping_from_json(saved_file.getvalue(), saved_file.name)
                    st.session_state["import_mapping_why"] = f"the column meanings of {saved_file.name}"
                    st.rerun()
                except ValueError as exc:
                    st.error(md(exc))
            saved = saved_mappings(cache.engine())
            if not saved.empty:
                pick = st.selectbox(
                    "Or pick column meanings used before", saved.index.tolist(),
                    format_func=lambda i: f"{saved.loc[i, 'plan_name']}: {saved.loc[i, 'headers'][:80]}",
                    key="import_saved_pick")
                if st.button("Use the picked meanings"):
                    st.session_state["import_mapping"] = saved.loc[pick, "mapping"]
                    st.session_state["import_mapping_why"] = (f"the column meanings used before for "
                                                              f"{saved.loc[pick, 'plan_name']}")
                    st.rerun()

    st.subheader("2. Preview")
    problems = an.problem_frame()
    if an.errors:
        st.error(f"{len(an.errors)} problem(s) to fix in the file before it can be imported (nothing was written):")
    if not problems.empty:
        # A problem about the whole file has no row, column or value: show blanks, not "None".
        st.dataframe(problems.astype(object).where(problems.notna(), ""), hide_index=True)
    preview = an.preview(as_of if use_date else None)
    if not preview.empty:
        # Blank text cells show blank, not "None"; numbers and dates keep their types.
        shown = preview.assign(**{c: preview[c].astype(object).where(preview[c].notna(), "")
                                  for c in preview.columns if preview[c].dtype == object
                                  and c not in ("start", "due", "update date")})
        dates = {c: st.column_config.DateColumn(c, format="D MMM YYYY")
                 for c in ("start", "due", "update date") if c in preview.columns}
        st.dataframe(shown.style.apply(
            lambda r: ["background-color: #ffcdd2" if r["problem"] else "" for _ in r], axis=1),
            hide_index=True, column_config={
                "progress": st.column_config.NumberColumn("progress", format="%.0f %%"), **dates})

    st.subheader("3. Import")
    if st.button("Import", type="primary", disabled=not an.ok or not plan_name.strip()):
        bar = st.progress(0.0, text="Importing…")
        try:
            report = import_files(cache.engine(), sources, plan_name=plan_name.strip(),
                                  as_of=as_of if use_date else None, sheet=sheet, mapping=override, author=who,
                                  header_row=header_row,
                                  progress=lambda f: bar.progress(min(f, 1.0), text="Importing…"))
        except AccessDenied as exc:
            bar.empty()
            st.error(f"{exc}; nothing was written.")
            st.stop()
        bar.empty()
        # How the file was read is shown above; the rest of the report follows.
        for line in report.lines(page=True):
            if line.startswith("read: "):
                continue
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
    st.dataframe(batches_for_screen(history), hide_index=True)
    undoable = history[history["undone_at"].isna()]
    if not undoable.empty and auth.may(who, "undo_import"):
        choice = st.selectbox("Undo an import", undoable["id"].tolist(),
                              format_func=lambda i: f"Import {i}: {history.set_index('id').loc[i, 'file_name']}")
        if st.button("Undo this import"):
            try:
                res = undo_import(cache.engine(), int(choice), who)
                st.success(f"Undid import {choice}: removed {res['updates_removed']} updates and "
                           f"{res['items_removed']} items, restored {res['fields_restored']} fields.")
            except (UndoRefused, AccessDenied) as exc:
                st.error(md(exc))
