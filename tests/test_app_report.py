"""AppTest: the Changes page and the Overview's council-packet download agree with the library."""

import re
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

from wehoplan import exporting, report, repository
from wehoplan.filters import Filters
from wehoplan.report.changes import CHANGE_COLUMNS
from wehoplan.ui.report import on_screen

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
CHANGES = "app_pages/12_Changes.py"


@pytest.fixture
def demo_app(monkeypatch, demo_url):
    monkeypatch.setenv("WEHOPLAN_DATABASE_URL", demo_url)
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["plan"] = "smart city"
    at.query_params["as_of"] = "2020-10-15"
    return at


@pytest.fixture
def deferred(monkeypatch):
    """The callables the page hands its download buttons, by file name (they run only on a click)."""
    made: dict[str, object] = {}
    real = MediaFileManager.add_deferred

    def spy(self, data_callable, mimetype, coordinates, file_name=None, **kw):
        made[file_name] = data_callable
        return real(self, data_callable, mimetype, coordinates, file_name, **kw)

    monkeypatch.setattr(MediaFileManager, "add_deferred", spy)
    return made


def expected_changes(engine, since, until, filters=None) -> pd.DataFrame:
    plan = repository.resolve_plan(engine, "smart city")
    rows = report.changes_between(repository.load_items(engine, plan.id, include_archived=True),
                                  repository.load_updates(engine, plan.id), since, until, filters)
    return rows[CHANGE_COLUMNS].reset_index(drop=True)


def test_changes_page_defaults_to_the_comparison_date_and_shows_the_packets_rows(demo_app, demo_engine, deferred):
    at = demo_app
    at.run()
    at.switch_page(CHANGES).run()
    assert not at.exception
    assert at.title[0].value == "Changes"
    since, until = (d.value for d in at.date_input if d.label in ("From", "To"))
    assert (str(since), str(until)) == ("2020-07-17", "2020-10-15")  # 90 days before: no cycles yet
    shown = at.dataframe[0].value
    pd.testing.assert_frame_equal(shown.reset_index(drop=True),
                                  on_screen(expected_changes(demo_engine, since, until)), check_dtype=False)
    # Before and after in one column each, in words: the grid fits 1500 px.
    assert list(shown.columns) == ["Change", "Code", "Title", "Status", "Progress", "Points", "Health", "Owner"]
    assert shown["Status"].str.contains(" → ").any() and not shown["Progress"].str.contains("nan").any()
    assert "Status changed: 11" in at.caption[1].value
    csv = deferred[f"changes_{since:%Y-%m-%d}_{until:%Y-%m-%d}.csv"]()
    assert csv == exporting.csv_bytes(expected_changes(demo_engine, since, until))


def test_changes_page_follows_the_sidebar_filters_dates_and_kinds(demo_app, demo_engine):
    at = demo_app
    at.run()
    at.switch_page(CHANGES).run()
    at.multiselect(key="w_strategy").set_value(["2"]).run()
    at.date_input(key="ch_since_20201015").set_value(pd.Timestamp("2020-01-15").date()).run()
    assert not at.exception
    want = expected_changes(demo_engine, "2020-01-15", "2020-10-15", Filters(strategy=("2",)))
    assert len(want) and set(want["Code"].str.split(".").str[0]) == {"2"}
    pd.testing.assert_frame_equal(at.dataframe[0].value.reset_index(drop=True), on_screen(want), check_dtype=False)
    at.multiselect(key="ch_kinds").set_value(["completed"]).run()
    assert set(at.dataframe[0].value["Change"]) <= {"Newly completed"}
    assert len(at.dataframe[0].value) == int((want["Change"] == "Newly completed").sum())


def test_changes_page_refuses_a_from_date_after_the_to_date(demo_app):
    at = demo_app
    at.run()
    at.switch_page(CHANGES).run()
    at.date_input(key="ch_since_20201015").set_value(pd.Timestamp("2021-01-01").date()).run()
    assert not at.exception and "before the **To** date" in at.info[0].value


def test_changes_page_says_what_to_do_when_nothing_changed(demo_app):
    at = demo_app
    at.run()
    at.switch_page(CHANGES).run()
    # The demo's reports are dated at month ends: nothing moved between 1 and 15 Oct 2020.
    at.date_input(key="ch_since_20201015").set_value(pd.Timestamp("2020-10-01").date()).run()
    assert not at.exception and not at.dataframe
    assert "Nothing changed between 1 Oct 2020 and 15 Oct 2020" in at.info[0].value
    assert "earlier **From** date" in at.info[0].value
    assert not [b for b in at.get("download_button") if b.proto.label == "Changes (CSV)"]  # no empty file


def test_overview_offers_the_packet_built_on_click_with_the_sidebars_filters(demo_app, demo_engine, deferred,
                                                                            tmp_path):
    at = demo_app
    at.run()
    at.multiselect(key="w_strategy").set_value(["3"]).run()
    assert not at.exception
    (button,) = [b for b in at.get("download_button") if b.proto.label == "Council packet (PDF)"]
    assert button.proto.deferred_file_id  # a callable: nothing built until the click
    name = "weho-smart-city-strategic-plan-2018_2020-10-15_packet.pdf"
    pdf = deferred[name]()
    assert pdf.startswith(b"%PDF")
    (tmp_path / name).write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-raw", str(tmp_path / name), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "strategy: 3" in text and "Local user" in text and "Changes since 17 Jul 2020" in text
    plan = repository.resolve_plan(demo_engine, "smart city")
    same = report.build_packet(repository.load_items(demo_engine, plan.id), repository.load_updates(
        demo_engine, plan.id), plan, "2020-10-15", filters=Filters(strategy=("3",)))
    assert re.search(r"Overall progress.*?(\d+\.\d)\s%", text, re.DOTALL).group(1) == f"{same.progress:.1f}"
