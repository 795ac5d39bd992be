"""AppTest: what a walk-through of the new pages tripped on, one test per fix.

Each test opens a page as a person would (local mode, the demo, or signed in) and checks
the words on screen: no raw key, no "nan", no doubled unit, no CLI hint, dates in the
app's one format ("1 Jul 2020"), an empty state that says what to do.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from streamlit.testing.v1 import AppTest

from tests.test_app_auth import _texts
from tests.test_app_report import APP
from wehoplan import cycle_store, repository
from wehoplan.cycles import CycleRule
from wehoplan.db import make_engine
from wehoplan.demo import SMART_CITY
from wehoplan.ui.cycle_view import TODAY_KEY

RAW_KEYS = ("on_target", "off_target", "no_target", "no_data", "some_disruption", "on_track", "at_risk",
            "None", "nan", "NaT")


def _open(url: str, page: str, monkeypatch, **query: str) -> AppTest:
    monkeypatch.setenv("WEHOPLAN_DATABASE_URL", url)
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params["plan"] = SMART_CITY
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def _no_raw_keys(text: str) -> None:
    found = [k for k in RAW_KEYS if re.search(rf"\b{k}\b", text)]
    assert not found, (found, text[:2000])


def _quarterly(url: str) -> None:
    eng = make_engine(url)
    cycle_store.set_rule(eng, repository.resolve_plan(eng, SMART_CITY).id, CycleRule("quarter"), "Setup")


def test_measure_cards_name_the_unit_once_and_show_no_raw_status_key(demo_url, monkeypatch):
    at = _open(demo_url, "app_pages/11_Measures.py", monkeypatch)
    text = _texts(at)
    card = next(m.value for m in at.markdown if "of priorities" in m.value)
    assert re.fullmatch(r"2022 Q4: \*\*[\d\\.]+ %\*\* of priorities", card), card  # not "4.1 % % of"
    _no_raw_keys(text)
    assert not at.dataframe[0].value.astype(str).isin(list(RAW_KEYS)).any().any()


def test_the_cycle_tracker_looks_back_with_the_sidebar_date_and_its_filters(fresh_url, monkeypatch):
    _quarterly(fresh_url)
    at = _open(fresh_url, "app_pages/10_Cycle_Tracker.py", monkeypatch, as_of="2020-10-15")
    caption = " ".join(c.value for c in at.caption)
    # The sidebar's As of moved: the tracker counts 2020 Q3 on that day, in the app's date format.
    assert "period 1 Jul 2020 to 30 Sep 2020" in caption and "Counted on **15 Oct 2020**" in caption
    assert at.selectbox(key="ct_cycle").options[0] == "2020 Q3 (current)"
    everyone = int(at.dataframe[0].value["n_items"].sum())
    at.multiselect(key="w_department").set_value(["Department of Public Works"]).run()
    assert not at.exception
    assert 0 < int(at.dataframe[0].value["n_items"].sum()) < everyone
    _no_raw_keys(_texts(at))


def test_the_cycle_tracker_uses_today_at_the_default_date(fresh_url, monkeypatch):
    _quarterly(fresh_url)
    monkeypatch.setenv("WEHOPLAN_DATABASE_URL", fresh_url)
    at = AppTest.from_file(APP, default_timeout=90)
    at.session_state[TODAY_KEY] = dt.date(2026, 12, 2)
    at.query_params["plan"] = SMART_CITY
    at.run()
    at.switch_page("app_pages/10_Cycle_Tracker.py").run()
    assert not at.exception
    assert "Counted on **2 Dec 2026** (today" in " ".join(c.value for c in at.caption)


@pytest.mark.parametrize(("author", "says"), [
    (None, 'Choose who you are under "You are" in the sidebar'),
    ("Ana Analyst", "Ana Analyst is not one of the plan's people"),
])
def test_my_updates_tells_a_local_user_to_choose_who_they_are(fresh_url, monkeypatch, author, says):
    _quarterly(fresh_url)
    monkeypatch.setenv("WEHOPLAN_DATABASE_URL", fresh_url)
    at = AppTest.from_file(APP, default_timeout=90)
    at.session_state[TODAY_KEY] = dt.date(2020, 10, 5)
    if author:
        at.session_state["author"] = author
    at.query_params["plan"] = SMART_CITY
    at.run()
    at.switch_page("app_pages/9_My_Updates.py").run()
    assert not at.exception
    info = " ".join(i.value for i in at.info)
    assert says in info and "Users page" not in info


def test_my_updates_for_a_local_owner_lists_their_items_in_words(fresh_url, monkeypatch):
    _quarterly(fresh_url)
    monkeypatch.setenv("WEHOPLAN_DATABASE_URL", fresh_url)
    at = AppTest.from_file(APP, default_timeout=90)
    at.session_state[TODAY_KEY] = dt.date(2020, 10, 5)
    at.session_state["author"] = "Innovation Manager"
    at.query_params["plan"] = SMART_CITY
    at.run()
    at.switch_page("app_pages/9_My_Updates.py").run()
    assert not at.exception
    assert at.data_editor and len(at.data_editor[0].value)
    _no_raw_keys(_texts(at))


def test_publish_renders_the_plans_state_in_bold_not_asterisks(demo_url, monkeypatch):
    at = _open(demo_url, "app_pages/14_Publish.py", monkeypatch)
    line = next(m.value for m in at.markdown if "is **" in m.value or "is \\*\\*" in m.value)
    assert "\\*" not in line and ("**public**" in line or "**internal**" in line)


def test_no_plan_page_speaks_to_a_browser_user(empty_url, monkeypatch):
    monkeypatch.setenv("WEHOPLAN_DATABASE_URL", empty_url)
    at = AppTest.from_file(APP, default_timeout=90)
    at.run()
    text = _texts(at)
    assert "No plan yet" in text and "Import" in text
    assert "python -m" not in text and "wehoplan init-demo" not in text


def test_overview_metrics_sit_three_to_a_row(demo_url, monkeypatch):
    monkeypatch.setenv("WEHOPLAN_DATABASE_URL", demo_url)
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params["plan"] = SMART_CITY
    at.query_params["as_of"] = "2020-10-15"
    at.run()
    assert not at.exception
    labels = [m.label for m in at.metric]
    assert labels[:6] == ["Overall progress", "On track", "Initiatives behind schedule", "Overdue actions",
                          "Completed, last 90 days", "Stale actions"]
    # Two rows of three columns hold them (six in one row cut the labels at 1500 px).
    rows = [b for b in at.main.children.values() if getattr(b, "type", None) == "flex_container"
            and len(b.children) == 3 and len(b.get("metric")) == 3]
    assert len(rows) >= 2


def test_the_static_site_speaks_plain_plurals_and_the_apps_date_format(fresh_url, tmp_path):
    from wehoplan import publishing

    eng = make_engine(fresh_url)
    plan = repository.resolve_plan(eng, SMART_CITY)
    done = publishing.publish(eng, plan.id, "Pat Publisher", now=dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC))
    publishing.write_site(done, tmp_path / "site")
    html = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert "Strategies and initiatives" in html and "Strategys" not in html
    assert "Published 2 Dec 2026 by Pat Publisher" in html and "December" not in html
    # The chart's labels wrap onto two lines instead of being cut after 33 characters.
    assert "<tspan" in html and "future-ready Smart City Hall</tspan>" in html


def test_publish_lists_publications_in_the_apps_date_format(fresh_url, monkeypatch):
    from wehoplan import publishing

    eng = make_engine(fresh_url)
    plan = repository.resolve_plan(eng, SMART_CITY)
    publishing.publish(eng, plan.id, "Pat Publisher", now=dt.datetime(2026, 12, 2, 9, 5, tzinfo=dt.UTC))
    at = _open(fresh_url, "app_pages/14_Publish.py", monkeypatch)
    done = at.dataframe[-1].value
    assert done["Published"].tolist() == ["2 Dec 2026, 09:05 UTC"] and done["As of"].tolist() == ["31 Dec 2022"]
    assert "Goes out on Publish" in at.data_editor[0].value.columns
