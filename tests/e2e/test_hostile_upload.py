"""Hostile workbooks uploaded on the Import page of a real ``streamlit run``: the server still answers.

Issue "Hostile input and faults", process-death class: a file that once made the reader abort
the whole server must cost one refused upload. Each upload here goes through the browser's file
input to the running server; after each, the page shows an error and no exception, and the
server's health endpoint and another page still answer.
"""

from __future__ import annotations

import re
import urllib.request
from pathlib import Path

import pytest
from test_hostile_xlsx import HOSTILE

from .serve import copy_demo, streamlit
from .test_browser import ARGS, CHROMIUM, no_exception, wait_ready

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium (/usr/bin/chromium) is not installed"),
]
CASES = ["single-quoted dimension", "eight-digit row", "cells without refs", "sheet outside xl/worksheets",
         "DTD with entities"]


@pytest.fixture(scope="module")
def app(tmp_path_factory, demo_url):
    tmp = tmp_path_factory.mktemp("hostile_upload")
    with streamlit(copy_demo(demo_url, tmp / "demo.db"), tmp) as base:
        yield base


def _healthy(base: str) -> bool:
    with urllib.request.urlopen(f"{base}/_stcore/health", timeout=10) as r:
        return r.status == 200


def test_hostile_uploads_leave_the_server_answering(app, tmp_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        pg = browser.new_page(viewport={"width": 1500, "height": 1400})
        pg.set_default_timeout(60_000)
        for case in CASES:
            path = tmp_path / (re.sub(r"\W+", "-", case) + ".xlsx")
            path.write_bytes(HOSTILE[case])
            pg.goto(f"{app}/Import")  # a fresh page per file: one upload, one verdict
            wait_ready(pg, "Import a work plan")
            pg.locator('input[type="file"]').first.set_input_files(str(path))
            # The verdict: an error alert above the problems table (nothing written).
            pg.locator('[data-testid="stAlert"]', has_text="problem(s) to fix").first.wait_for(timeout=60_000)
            no_exception(pg)
            assert _healthy(app), case
        pg.goto(f"{app}/")
        wait_ready(pg, "Executive overview")
        no_exception(pg)
        browser.close()
    assert _healthy(app)
