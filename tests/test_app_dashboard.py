"""AppTest: every dashboard page on the demo database and on an empty one."""

import json
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from wehoplan.dashboard import REPORT_COLUMNS
from wehoplan.display import MARKED_LABELS
from wehoplan.ui.draw import REPORT_VIEW_COLUMNS

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
PAGES = ["app_pages/1_Action_Report.py", "app_pages/2_Trends.py", "app_pages/3_Departments_and_SMART.py"]
SMART_CITY = "WeHo Smart City Strategic Plan 2018"


@pytest.fixture
def demo_app(monkeypatch, demo_url):
    monkeypatch.setenv("WEHOPLAN_DATABASE_URL", demo_url)
    return AppTest.from_file(APP, default_timeout=60)


@pytest.fixture
def empty_app(monkeypatch, empty_url):
    monkeypatch.setenv("WEHOPLAN_DATABASE_URL", empty_url)
    return AppTest.from_file(APP, default_timeout=60)


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def charts(at):
    return at.get("vega_lite_chart")


def test_overview_shows_plan_date_demo_notice_kpis_and_charts(demo_app):
    at = demo_app
    at.query_params["plan"] = SMART_CITY
    at.run()
    assert not at.exception
    assert at.title[0].value == "Executive overview"
    # Which date is shown, and that the data is illustrative.
    assert "as of **31 Dec 2022**" in at.caption[0].value
    assert "Illustrative demo data" in at.warning[0].value
    assert set(metrics(at)) == {"Overall progress", "On track", "Initiatives behind schedule", "Overdue actions",
                                "Completed, last 90 days", "Stale actions"}
    assert len(charts(at)) == 2
    assert [s.value for s in at.subheader] == ["Strategies and initiatives", "Needs attention"]


# What each page draws, by chart title (the Action Report draws a table instead).
CHART_TITLES = {
    "app_pages/1_Action_Report.py": [],
    "app_pages/2_Trends.py": ["Progress over time", "Status mix over time", "Actions completed per quarter",
                          "Overdue actions over time", "Completion forecast per initiative"],
    "app_pages/3_Departments_and_SMART.py": [
        "Department × SMART value (number = actions, colour = progress)", "Progress by department (tick = expected)",
        "Actions per status, by department", "Progress by SMART value (tick = expected)",
        "Workload by owner (actions per status)"],
}


def chart_titles(at) -> list[str]:
    titles = [json.loads(c.proto.spec).get("title") for c in charts(at)]
    return [t.get("text") if isinstance(t, dict) else t for t in titles]


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_on_the_demo(demo_app, page):
    at = demo_app
    at.run()
    at.switch_page(page).run()
    assert not at.exception
    assert "Illustrative demo data" in at.warning[0].value
    assert chart_titles(at) == CHART_TITLES[page]
    if "Action" in page:
        # The view's own columns, not all fourteen (they did not fit at 1500 px); more can be picked.
        shown = [c for c in REPORT_VIEW_COLUMNS["all"] if c in REPORT_COLUMNS]
        assert [d.value.shape for d in at.dataframe] == [(56, len(shown))]
        assert at.dataframe[0].value.columns.tolist() == shown
        assert at.multiselect(key="ar_columns:all").options == REPORT_COLUMNS
    assert len(at.sidebar.multiselect) == 6 and at.date_input[0].label == "As of"


def test_overview_numbers_and_attention_list_on_a_known_date(demo_app):
    at = demo_app
    at.query_params["plan"] = SMART_CITY
    at.query_params["as_of"] = "2020-10-15"
    at.run()
    assert not at.exception
    assert metrics(at) == {"Overall progress": "48 %", "On track": "59 %", "Initiatives behind schedule": "12",
                           "Overdue actions": "13",
                           "Completed, last 90 days": "2", "Stale actions": "0"}
    assert at.metric[0].delta == "-21 pts vs expected 69 %"
    assert chart_titles(at) == ["Progress by strategy (tick = expected)", "Status mix (actions)"]
    assert at.caption[1].value == "14 actions: major disruption, overdue, or no update for 90+ days."
    summary, attention = (d.value for d in at.dataframe)
    assert summary["Code"].tolist()[:3] == ["1", "1.1", "1.2"] and len(summary) == 17
    assert attention["Code"].tolist()[0] == "3.3.1" and attention["Why"].tolist()[0] == "major disruption"
    assert len(attention) == 14 and (attention["Why"].iloc[1:] == "overdue").all()


@pytest.mark.parametrize("page", [None, *PAGES])
def test_every_page_says_no_plan_yet_on_an_empty_database(empty_app, page):
    at = empty_app
    at.run()
    if page:
        at.switch_page(page).run()
    assert not at.exception
    assert any("No plan yet" in i.value for i in at.info)
    assert not charts(at)


def test_a_filter_change_changes_the_numbers_and_the_url(demo_app):
    at = demo_app
    at.query_params["plan"] = SMART_CITY
    at.query_params["as_of"] = "2020-10-15"
    at.run()
    before = metrics(at)
    at.multiselect(key="w_department").set_value(["Department of Public Works"]).run()
    after = metrics(at)
    assert not at.exception
    assert after["Overall progress"] != before["Overall progress"]
    assert at.query_params["department"] == ["Department of Public Works"] or \
        at.query_params["department"] == "Department of Public Works"


def test_query_params_restore_plan_date_and_filters(demo_app):
    """The '3 clicks' question as a shared link: overdue in Public Works for Mobility."""
    at = demo_app
    at.query_params["plan"] = "smart city"  # a unique part of the name works, as on the CLI
    at.query_params["as_of"] = "2020-10-15"
    at.query_params["department"] = "Public Works"
    at.query_params["smart"] = "M"
    at.run()
    assert not at.exception
    assert at.selectbox(key="w_plan").value == SMART_CITY
    assert str(at.date_input[0].value) == "2020-10-15"
    assert at.multiselect(key="w_department").value == ["Public Works"]
    assert at.multiselect(key="w_smart").value == ["M"]
    assert "department: Public Works; SMART: Mobility" in at.caption[0].value
    assert metrics(at)["Overdue actions"] == "4"
    overdue = at.dataframe[-1].value
    assert overdue["Why"].str.contains("overdue").sum() == 4
    assert overdue["Department"].str.contains("Public Works").all()


def test_filters_persist_across_pages_and_reset_clears_them(demo_app):
    at = demo_app
    at.query_params["plan"] = SMART_CITY
    at.run()
    at.multiselect(key="w_smart").set_value(["M"]).run()
    at.switch_page("app_pages/1_Action_Report.py").run()
    assert at.multiselect(key="w_smart").value == ["M"]
    rows_m = len(at.dataframe[0].value)
    next(b for b in at.button if b.label == "Reset filters").click().run()
    assert at.multiselect(key="w_smart").value == []
    assert len(at.dataframe[0].value) > rows_m
    assert "smart" not in at.query_params


def test_action_report_tree_and_flat_and_row_count(demo_app):
    at = demo_app
    at.query_params["plan"] = SMART_CITY
    at.run()
    at.switch_page("app_pages/1_Action_Report.py").run()
    tree = at.dataframe[0].value
    assert list(tree["Code"][:3]) == ["1", "1.1", "1.1.1"]
    assert len(tree) == 56 and "56 rows (39 of 39 selected actions)" in at.caption[1].value
    at.segmented_control(key="w_page:layout").set_value("flat").run()
    assert at.query_params["layout"] in ("flat", ["flat"])
    at.multiselect(key="ar_columns:all").select("Level").run()
    flat = at.dataframe[0].value
    assert len(flat) == 39 and set(flat["Level"]) == {"Action"}
    at.multiselect(key="w_status").set_value(["completed"]).run()
    # Status words carry their colour as a marker (no cell styling: it fails on large reports).
    assert set(at.dataframe[0].value.query("Level == 'Action'")["Status"]) == {"🔵 Completed"}
    assert at.get("download_button")


def test_trends_switch_grouping_and_no_match(demo_app):
    at = demo_app
    at.query_params["plan"] = SMART_CITY
    at.run()
    at.switch_page("app_pages/2_Trends.py").run()
    at.segmented_control(key="w_page:by").set_value("smart").run()
    assert not at.exception and len(charts(at)) >= 4
    assert not at.exception
    at.text_input(key="w_text").set_value("no such words anywhere").run()
    assert not at.exception
    at.switch_page("app_pages/3_Departments_and_SMART.py").run()
    assert any("No items match" in i.value for i in at.info)


def test_overdue_in_public_works_for_mobility_from_a_link(demo_app):
    at = demo_app
    for k, v in {"plan": SMART_CITY, "as_of": "2020-10-15", "department": "Public Works", "smart": "M",
                 "show": "overdue", "layout": "flat"}.items():
        at.query_params[k] = v
    at.run()
    at.switch_page("app_pages/1_Action_Report.py").run()
    assert not at.exception
    assert at.segmented_control(key="w_page:show").value == "overdue"
    # What the overdue view is for shows without picking: the due date, owner and department.
    assert at.dataframe[0].value.columns.tolist() == ["Code", "Title", "Status", "Progress", "Due", "Owner",
                                                      "Department"]
    at.multiselect(key="ar_columns:overdue").select("SMART").select("Overdue").run()
    rows = at.dataframe[0].value
    assert len(rows) == 4 and rows["Department"].str.contains("Public Works").all()
    assert rows["SMART"].str.contains("Mobility").all() and (rows["Overdue"] == 1).all()


def test_as_of_date_travels_in_time(demo_app):
    at = demo_app
    at.query_params["plan"] = SMART_CITY
    at.run()
    now = metrics(at)["Overall progress"]
    at.date_input(key="w_as_of").set_value(__import__("datetime").date(2018, 6, 30)).run()
    assert "as of **30 Jun 2018**" in at.caption[0].value
    assert metrics(at)["Overall progress"] != now
    assert at.query_params["as_of"] in ("2018-06-30", ["2018-06-30"])


def test_switching_plan_resets_filters_and_date(demo_app):
    at = demo_app
    at.query_params["plan"] = SMART_CITY
    at.query_params["smart"] = "M"
    at.run()
    at.selectbox(key="w_plan").set_value("WeHoX Innovations Annual Report 2015").run()
    assert not at.exception
    assert "**WeHoX Innovations Annual Report 2015**, as of **31 Dec 2017**" in at.caption[0].value
    assert at.multiselect(key="w_smart").value == []
    assert at.query_params["plan"] in ("WeHoX Innovations Annual Report 2015",
                                       ["WeHoX Innovations Annual Report 2015"])


def test_a_filter_change_does_not_reload_the_database(demo_app, monkeypatch):
    from wehoplan import repository

    calls = []
    real = repository.load_updates
    monkeypatch.setattr(repository, "load_updates", lambda *a, **k: calls.append(1) or real(*a, **k))
    at = demo_app
    at.query_params["plan"] = SMART_CITY
    at.run()
    at.multiselect(key="w_status").set_value(["on_track"]).run()
    at.switch_page("app_pages/2_Trends.py").run()
    assert not at.exception
    assert len(calls) == 1


@pytest.mark.parametrize("page", [None, "app_pages/1_Action_Report.py", "app_pages/2_Trends.py",
                                  "app_pages/3_Departments_and_SMART.py"])
def test_every_dashboard_page_offers_the_extract_downloads(demo_app, page):
    at = demo_app
    at.run()
    if page:
        at.switch_page(page).run()
    labels = [b.proto.label for b in at.get("download_button")]
    assert "Excel extract" in labels and "Actions (CSV)" in labels
    if page == "app_pages/1_Action_Report.py":
        assert "Rows shown (CSV)" in labels
    # Built only on click: the page hands Streamlit a callable (a deferred file), not bytes.
    assert all(b.proto.deferred_file_id for b in at.get("download_button"))


def test_a_bad_link_says_what_it_left_out(demo_app):
    at = demo_app
    for k, v in {"plan": "nonexistent", "as_of": "2020-13-45", "smart": "Q"}.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception
    notice = next(w.value for w in at.warning if "This link asked for" in w.value)
    assert all(part in notice for part in ('plan "nonexistent"', 'date "2020-13-45"', 'SMART value "Q"'))
    # A good link says nothing of the kind.
    good = AppTest.from_file(APP, default_timeout=60)
    good.query_params["plan"] = "smart city"
    good.query_params["as_of"] = "2020-10-15"
    good.run()
    assert not any("This link asked for" in w.value for w in good.warning)


def test_tables_show_words_not_developer_words(demo_app):
    at = demo_app
    at.query_params["plan"] = SMART_CITY
    at.query_params["as_of"] = "2020-10-15"
    at.run()
    pages = [None, "app_pages/1_Action_Report.py"]
    for page in pages:
        if page:
            at.switch_page(page).run()
        assert not at.exception
        for table in at.dataframe:
            frame = table.value
            text_cols = [c for c in frame.columns if frame[c].dtype == object or pd.api.types.is_string_dtype(frame[c])]
            cells = frame[text_cols].astype(str)
            assert not cells.isin(["None", "nan", "NaT"]).any().any(), page
            assert not cells.apply(lambda s: s.str.contains("_disruption|on_track|00:00:00")).any().any(), page
            assert not {"status_key", "entity_id", "expected_progress", "n_leaves"} & set(frame.columns)
        captions = " ".join(c.value for c in at.caption)
        assert "SMART: M;" not in captions and "%Y" not in captions
    # Statuses read in words, each with its coloured marker.
    statuses = set(at.dataframe[0].value["Status"])
    assert statuses <= set(MARKED_LABELS.values()) and "🟡 Some disruption" in statuses


def test_the_action_report_draws_a_county_sized_report_without_the_styler_limit():
    """Above 262,144 cells the pandas Styler raised StreamlitAPIException; 30k rows × 14 columns must draw."""

    def script():
        import pandas as pd

        from wehoplan.dashboard import REPORT_COLUMNS, ActionReport
        from wehoplan.ui import draw

        n = 30_000
        rows = pd.DataFrame({c: ["x"] * n for c in REPORT_COLUMNS}).assign(
            Status=["Some disruption", "On track"] * (n // 2), Progress=50.0, Expected=60.0, Overdue=0,
            Start=pd.NaT, Due=pd.NaT, **{"Comment date": pd.NaT})
        draw.action_report(ActionReport(rows=rows, caption=f"{n} rows"), "all")

    at = AppTest.from_function(script, default_timeout=120).run()
    assert not at.exception
    # Every column picked: 420k cells, still drawn.
    at.multiselect(key="ar_columns:all").set_value(REPORT_COLUMNS).run()
    assert not at.exception
    assert at.dataframe[0].value.shape == (30_000, len(REPORT_COLUMNS))
    assert "🟡 Some disruption" in set(at.dataframe[0].value["Status"])
