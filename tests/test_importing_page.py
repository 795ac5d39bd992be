"""The Import page (AppTest): upload, preview with problems, import, history with undo."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "app.py")


@pytest.fixture(autouse=True)
def _db(monkeypatch, empty_url):
    import streamlit as st

    monkeypatch.setenv("WEHOPLAN_DATABASE_URL", empty_url)
    st.cache_data.clear()
    st.cache_resource.clear()


def test_upload_preview_import_and_undo():
    at = AppTest.from_file(APP, default_timeout=30).run()
    at.switch_page("app_pages/7_Import.py").run()
    assert not at.exception
    assert any("No imports yet" in c.value for c in at.caption)
    data = b"Code,Title,Status,Progress\n1,Goal,,\n1.1,Act,on track,40\n1.2,Bad,meh,10\n"
    at.get("file_uploader")[0].set_value([("plan.csv", data, "text/csv")]).run()
    assert not at.exception
    assert any("problem(s) to fix" in e.value for e in at.error)
    import_button = next(b for b in at.button if b.label == "Import")
    assert import_button.disabled
    good = data.replace(b"meh", b"done")
    at.get("file_uploader")[0].set_value([("plan.csv", good, "text/csv")]).run()
    next(b for b in at.button if b.label == "Import").click().run()
    assert not at.exception
    assert any("imported into 'plan'" in s.value for s in at.success)
    history = at.dataframe[-1].value
    assert list(history.columns) == ["Import number", "Plan", "File", "Imported by", "When", "Items added",
                                     "Items changed", "Reports added", "Undone on"]  # words, not column names
    assert history["Undone on"].tolist() == [""] and history["File"].tolist() == ["plan.csv"]
    next(b for b in at.button if b.label == "Undo this import").click().run()
    assert any("Undid import" in s.value for s in at.success)


def _open_with(data: bytes, name: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30).run()
    at.switch_page("app_pages/7_Import.py").run()
    at.get("file_uploader")[0].set_value([(name, data, "application/octet-stream")]).run()
    assert not at.exception
    return at


def _frames(at: AppTest) -> list:
    return [d.value for d in at.dataframe]


def test_report_says_which_sheet_header_and_columns_and_offers_the_fix():
    from importing_helpers import xlsx

    head = ["Code", "Title", "Lead", "Department", "Status", "Due"]
    rows = [["1", "Goal", None, None, None, None], ["1.1", "Portal", "Chen Li", "IT, Finance", "On track",
                                                     "2020-12-31"]]
    data = xlsx({"Notes": [["Read me"], ["One row per action"]], "Plan": [["Work plan FY2021"], head, *rows],
                 "Backlog": [["Action", "Owner", "Due"], ["Later idea", "Ann", "2022-01-01"]]})
    at = _open_with(data, "plan.xlsx")
    frames = _frames(at)
    sheets = next(f for f in frames if "used" in f.columns)
    assert sheets.set_index("sheet").loc["Plan", "used"] == "yes"
    assert "the largest work-plan table" in sheets.set_index("sheet").loc["Plan", "why"]
    assert "different kind" in sheets.set_index("sheet").loc["Backlog", "why"]
    assert any("header row 2" in m.value and "above it are titles" in m.value for m in at.markdown)
    cols = next(f for f in frames if "read as" in f.columns).set_index("header")
    assert cols.loc["Lead", "read as"] == "owner" and cols.loc["Department", "read as"].startswith("lead department")
    preview = next(f for f in frames if "problem" in f.columns and "level" in f.columns)
    assert {"owner", "lead department", "partner departments", "due"} <= set(preview.columns)
    assert "Finance" in preview["partner departments"].tolist()
    page_text = " ".join(str(x.value) for x in [*at.markdown, *at.info, *at.warning, *at.caption])
    assert "--mapping" not in page_text and "python -m" not in page_text

    # The fix: pick another sheet (the import would not choose it), then another header row.
    at.selectbox(key="import_sheet").set_value("Backlog").run()
    assert not at.exception
    sheets = next(f for f in _frames(at) if "used" in f.columns).set_index("sheet")
    assert sheets.loc["Backlog", "used"] == "yes" and sheets.loc["Plan", "used"] == "no"
    at.selectbox(key="import_sheet").set_value("Plan").run()
    at.number_input(key="import_header_row").set_value(2).run()
    assert any("row 2, as chosen" in m.value for m in at.markdown)

    # The fix: another meaning for a column, without a file.
    at.selectbox(key="import_fix_column").set_value("Lead").run()
    at.selectbox(key="import_fix_meaning_Lead").set_value("sponsor").run()
    next(b for b in at.button if b.label == "Use this meaning").click().run()
    assert not at.exception
    cols = next(f for f in _frames(at) if "read as" in f.columns).set_index("header")
    assert cols.loc["Lead", "read as"] == "sponsor" and cols.loc["Lead", "why"].startswith("as you chose")
    assert any("the column meanings you chose" in i.value for i in at.info)

    # Import: the report's words are for a page; the corrected meanings are remembered for next time.
    next(b for b in at.button if b.label == "Import").click().run()
    assert not at.exception
    done = next(s.value for s in at.success if "imported into 'plan'" in s.value)
    assert "undone in the import history below" in done and "python -m" not in done
    again = _open_with(data, "plan.xlsx")
    again.number_input(key="import_header_row").set_value(2).run()
    assert any("used last time for this plan" in i.value for i in again.info)
    cols = next(f for f in _frames(again) if "read as" in f.columns).set_index("header")
    assert cols.loc["Lead", "read as"] == "sponsor"


def test_status_words_in_a_progress_column_are_explained_on_the_page():
    data = b"Code,Title,Progress\n1,Goal,\n1.1,A,In Progress\n1.2,B,Not Yet Started\n"
    at = _open_with(data, "words.csv")
    assert not at.error
    assert any("holds status words" in i.value for i in at.info)
    preview = next(f for f in _frames(at) if "level" in f.columns)
    assert preview["status"].tolist()[1:] == ["On track", "Not started"]


def test_saved_meanings_load_from_a_file_on_the_page():
    import json

    data = b"Ref,Thing,Who\n1,Portal,Chen Li\n"
    at = _open_with(data, "odd.csv")
    cols = next(f for f in _frames(at) if "read as" in f.columns).set_index("header")
    assert cols.loc["Thing", "read as"] == "not imported"
    saved = json.dumps({"Ref": "code", "Thing": "title", "Who": "owner"}).encode()
    at.get("file_uploader")[1].set_value([("odd.mapping.json", saved, "application/json")]).run()
    next(b for b in at.button if b.label == "Use the loaded file").click().run()
    assert not at.exception
    assert any("odd.mapping.json" in i.value for i in at.info)
    cols = next(f for f in _frames(at) if "read as" in f.columns).set_index("header")
    assert cols.loc["Thing", "read as"] == "title" and cols.loc["Who", "read as"] == "owner"
    assert not next(b for b in at.button if b.label == "Import").disabled
