"""Every page opens, takes a filter change and reruns on a generated plan larger than the pages were first built for.

Issue 15: the Action Report raised Styler's cell limit above ~18.7k rows; ``bench/scale.py`` opens
every page at 100k actions, this test at 20k (what a test can afford), with the Arrow reader's
copy out of the driver's batch switched on for every result, and the history read in column groups
(as from 1 M updates on), so the pages read those frames.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from wehoplan.db import make_engine
from wehoplan.generate import generate
from wehoplan.repository import readers
from wehoplan.repository import updates as updates_module
from wehoplan.ui.auth import PAGES

ROOT = Path(__file__).resolve().parent.parent
ACTIONS = 20_000  # above the ~18.7k rows where the Action Report used to raise


@pytest.fixture(scope="module")
def big_url(tmp_path_factory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('scale') / 'big.db'}"
    generate(make_engine(url), ACTIONS, 2, seed=0)
    return url


@pytest.mark.parametrize("page", [p for p, _, _ in PAGES])
def test_every_page_opens_and_reruns_after_a_filter_change_on_a_20k_plan(page, big_url, monkeypatch):
    monkeypatch.setenv("WEHOPLAN_DATABASE_URL", big_url)
    monkeypatch.setattr(readers, "_OWN_COPY_ROWS", 1)
    monkeypatch.setattr(updates_module, "SPLIT_ROWS", 1)
    at = AppTest.from_file(str(ROOT / page), default_timeout=300)
    at.run()
    assert not at.exception, at.exception[0].message
    departments = [m for m in at.multiselect if m.key == "w_department"]
    if departments:  # the shared sidebar (Import, Users and Public have none: a plain rerun)
        departments[0].set_value([departments[0].options[0]]).run()
    else:
        at.run()
    assert not at.exception, at.exception[0].message
    if page.endswith("1_Action_Report.py"):
        assert at.dataframe  # the report's table is drawn, not an error in its place
