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
    next(b for b in at.button if b.label == "Undo this import").click().run()
    assert any("Undid batch" in s.value for s in at.success)
