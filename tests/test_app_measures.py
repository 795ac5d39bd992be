"""AppTest: the Measures page on the demo and on an empty database; the Overview's measure line."""

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from wehoplan import measures, repository
from wehoplan.db import make_engine
from wehoplan.measures.rules import MEASURE_STATUS_LABELS

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
PAGE = "app_pages/11_Measures.py"
INNOVATIONS = "WeHoX Innovations Annual Report 2015"


@pytest.fixture
def demo_app(monkeypatch, demo_url):
    monkeypatch.setenv("WEHOPLAN_DATABASE_URL", demo_url)
    return AppTest.from_file(APP, default_timeout=90)


def _open(at: AppTest, **params: str) -> AppTest:
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    at.switch_page(PAGE)
    at.run()
    assert not at.exception, at.exception
    return at


def _page_statuses(at: AppTest) -> dict[str, str]:
    """Measure name -> status words, from the page's table."""
    table = next(df.value for df in at.dataframe if "Measure" in df.value.columns and "Status" in df.value.columns
                 and "Period end" in df.value.columns)
    return dict(zip(table["Measure"], table["Status"], strict=True))


def test_the_page_shows_every_measure_with_status_words_and_the_illustrative_flag(demo_app):
    at = _open(demo_app, plan=INNOVATIONS, as_of="2016-12-31")
    assert at.title[0].value == "Measures"
    statuses = _page_statuses(at)
    assert len(statuses) == 34
    assert set(statuses.values()) <= set(MEASURE_STATUS_LABELS.values())
    text = " ".join(m.value for m in at.markdown) + " ".join(c.value for c in at.caption)
    assert "Illustrative values" in text
    assert "_" not in "".join(statuses.values())  # words, never keys like off_target
    # The detail chart of the first measure is drawn.
    assert at.get("vega_lite_chart")
    assert at.selectbox(key="measure_detail").value is not None


def test_the_sidebar_filters_keep_the_measures_of_the_chosen_items(demo_app):
    at = _open(demo_app, plan=INNOVATIONS, as_of="2016-12-31", strategy="1.4")
    assert set(_page_statuses(at)) == {"Public EV charging ports"}


def test_a_value_saved_through_the_form_is_stored_with_its_author(fresh_url, monkeypatch):
    monkeypatch.setenv("WEHOPLAN_DATABASE_URL", fresh_url)
    at = AppTest.from_file(APP, default_timeout=90)
    at = _open(at, plan=INNOVATIONS, as_of="2016-12-31")
    at.selectbox[[s.label for s in at.selectbox].index("You are")].set_value("Someone else…").run()
    at.text_input(key="_author_text").set_value("Ana Analyst").run()
    engine = make_engine(fresh_url)
    plan = repository.resolve_plan(engine, INNOVATIONS)
    before = len(measures.load_values(engine, plan.id))
    at.date_input[[d.label for d in at.date_input].index("Period (any day in it)")].set_value("2016-12-31")
    at.text_input[[t.label for t in at.text_input].index("Value")].set_value("12,345")
    at.button[[b.label for b in at.button].index("Save value")].click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    vals = measures.load_values(engine, plan.id)
    assert len(vals) == before + 1
    assert vals.iloc[-1]["value"] == 12345.0 and vals.iloc[-1]["author"] == "Ana Analyst"


def test_the_page_on_an_empty_database_says_there_is_no_plan(monkeypatch, empty_url):
    monkeypatch.setenv("WEHOPLAN_DATABASE_URL", empty_url)
    at = AppTest.from_file(APP, default_timeout=90)
    at.run()
    at.switch_page(PAGE)
    at.run()
    assert not at.exception
    assert any("No plan yet" in i.value for i in at.info)


def test_the_overview_counts_measures_by_status(demo_app):
    at = demo_app
    at.query_params["plan"] = INNOVATIONS
    at.query_params["as_of"] = "2016-12-31"
    at.run()
    assert not at.exception
    line = next(m.value for m in at.markdown if "badge[" in m.value)
    assert "On target" in line and "Off target" in line


@pytest.mark.parametrize(("plan", "as_of"), [(INNOVATIONS, "2016-12-31"),
                                             ("WeHo Smart City Strategic Plan 2018", "2016-12-31"),
                                             ("WeHo Smart City Strategic Plan 2018", "2021-06-30")])
def test_page_extract_and_cli_show_the_same_statuses(demo_app, demo_url, tmp_path, capsys, plan, as_of):
    """Done when: the Measures page, the extract's Measures sheet and the CLI agree for the demo."""
    import io
    import json

    import openpyxl

    from wehoplan.cli import main

    page = _page_statuses(_open(demo_app, plan=plan, as_of=as_of))
    out = tmp_path / "extract.xlsx"
    assert main(["export", str(out), "--db", demo_url, "--plan", plan, "--as-of", as_of]) == 0
    rows = list(openpyxl.load_workbook(io.BytesIO(out.read_bytes()), read_only=True)["Measures"].values)
    head = list(rows[0])
    sheet = {r[head.index("Measure")]: r[head.index("Status")] for r in rows[1:]}
    capsys.readouterr()
    assert main(["measures", "--db", demo_url, "--plan", plan, "--as-of", as_of, "--format", "json"]) == 0
    cli = {r["name"]: MEASURE_STATUS_LABELS[r["status"]] for r in json.loads(capsys.readouterr().out)["measures"]}
    assert page == sheet == cli
    assert len(page) == (34 if plan == INNOVATIONS else 5)
    if as_of == "2016-12-31" and plan == INNOVATIONS:
        assert {"On target", "Caution", "Off target", "No data"} <= set(page.values())
    if as_of == "2016-12-31" and plan != INNOVATIONS:
        assert set(page.values()) == {"No data"}  # before the Smart City plan's first period


SMART = "WeHo Smart City Strategic Plan 2018"


def _widget(items, label: str):
    return items[[w.label for w in items].index(label)]


def _targets_at(url: str, name: str):
    engine = make_engine(url)
    data = measures.load_measure_data(engine, repository.resolve_plan(engine, SMART).id)
    mid = int(data.measures.loc[data.measures["name"] == name, "id"].iloc[0])
    return mid, data.targets[data.targets["measure_id"] == mid]


def test_an_editor_sets_a_target_from_a_period_on_and_sees_it_in_the_measure_s_targets(fresh_url, monkeypatch):
    monkeypatch.setenv("WEHOPLAN_DATABASE_URL", fresh_url)
    at = _open(AppTest.from_file(APP, default_timeout=90), plan=SMART, as_of="2022-12-31")
    assert "Targets" in [t.label for t in at.tabs]
    name = "City staff trained in data analytics"
    at.selectbox(key="target_measure").select(_targets_at(fresh_url, name)[0]).run()
    # The measure's targets so far, as words, oldest first.
    past = next(df.value for df in at.dataframe if list(df.value.columns) == ["From", "Target"])
    assert past["From"].tolist()[:2] == ["2018 Q2", "2019 Q2"] and past["Target"].iloc[0] == "at least 1"
    assert "Lower bound" not in [t.label for t in at.text_input]
    _widget(at.selectbox, "You are").set_value("Someone else…").run()
    at.text_input(key="_author_text").set_value("Ana Analyst").run()
    _widget(at.date_input, "From the period of (any day in it)").set_value("2023-05-10")
    _widget(at.text_input, "Target").set_value("12")
    at.button[[b.label for b in at.button].index("Save target")].click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    _, targets = _targets_at(fresh_url, name)
    latest = targets.iloc[-1]
    assert latest["period"] == pd.Timestamp("2023-06-30") and latest["value"] == 12
    past = next(df.value for df in at.dataframe if list(df.value.columns) == ["From", "Target"])
    assert past.iloc[-1].tolist() == ["2023 Q2", "at least 12"]
    audit = repository.audit_frame(make_engine(fresh_url), entities=["measure"])
    assert audit.iloc[0]["author"] == "Ana Analyst" and audit.iloc[0]["field"] == "target 2023-06-30"


def test_a_range_measure_asks_for_bounds_and_a_reversed_range_is_refused_in_words(fresh_url, monkeypatch):
    monkeypatch.setenv("WEHOPLAN_DATABASE_URL", fresh_url)
    at = _open(AppTest.from_file(APP, default_timeout=90), plan=SMART, as_of="2022-12-31")
    name = "Curb occupancy in the loading-zone pilot"
    mid, before = _targets_at(fresh_url, name)
    at.selectbox(key="target_measure").select(mid).run()
    labels = [t.label for t in at.text_input]
    assert "Lower bound" in labels and "Upper bound" in labels and "Target" not in labels
    _widget(at.selectbox, "You are").set_value("Someone else…").run()
    at.text_input(key="_author_text").set_value("Ana Analyst").run()
    _widget(at.text_input, "Lower bound").set_value("90")
    _widget(at.text_input, "Upper bound").set_value("80")
    at.button[[b.label for b in at.button].index("Save target")].click().run()
    assert [e.value for e in at.error] == ["the lower bound 90 is above the upper bound 80"]
    pd.testing.assert_frame_equal(_targets_at(fresh_url, name)[1], before)


def test_an_updater_sees_no_targets_tab(fresh_url, monkeypatch):
    from tests.test_app_auth import AUTH, _signed_in
    from wehoplan import users

    monkeypatch.setenv("WEHOPLAN_DATABASE_URL", fresh_url)
    engine = make_engine(fresh_url)
    plan = repository.resolve_plan(engine, SMART)
    users.add_user(engine, "dl@weho.org", role="updater", plan_id=plan.id, name="Dee Lead", person="Data Lead",
                   author="Setup")
    at = AppTest.from_file(APP, default_timeout=90)
    at.secrets["auth"] = AUTH
    at.user = _signed_in("dl@weho.org")
    at = _open(at, plan=SMART, as_of="2022-12-31")
    labels = [t.label for t in at.tabs]
    assert "Record values" in labels and "Targets" not in labels


def test_an_editor_gives_a_measure_its_own_caution_band_and_its_status_follows(fresh_url, monkeypatch):
    monkeypatch.setenv("WEHOPLAN_DATABASE_URL", fresh_url)
    at = _open(AppTest.from_file(APP, default_timeout=90), plan=SMART, as_of="2022-12-31")
    statuses = _page_statuses(at)
    engine = make_engine(fresh_url)
    data = measures.load_measure_data(engine, repository.resolve_plan(engine, SMART).id)
    table = measures.measure_table(data, pd.Timestamp("2022-12-31"), 0.10)
    # A measure that misses its target: a band wide enough makes it Caution, a band of 0 Off target.
    missed = table[table["status"].isin(["caution", "off_target"])].iloc[0]
    at.selectbox(key="target_measure").select(int(missed["id"])).run()
    _widget(at.selectbox, "You are").set_value("Someone else…").run()
    at.text_input(key="_author_text").set_value("Ana Analyst").run()
    band = next(t for t in at.text_input if t.label.startswith("Caution band"))
    assert band.value == "" and "10 %" in band.label
    for pct, words in (("100", "Caution"), ("0", "Off target")):
        next(t for t in at.text_input if t.label.startswith("Caution band")).set_value(pct)
        at.button[[b.label for b in at.button].index("Save caution band")].click().run()
        assert not at.exception and not at.error, [e.value for e in at.error]
        assert _page_statuses(at)[missed["name"]] == words
    assert statuses[missed["name"]] in ("Caution", "Off target")
    stored = measures.load_measures(engine, repository.resolve_plan(engine, SMART).id)
    assert stored.loc[stored["id"] == missed["id"], "tolerance"].iloc[0] == 0.0
    audit = repository.audit_frame(engine, entities=["measure"])
    assert audit.iloc[0][["author", "field", "old_value", "new_value"]].tolist() == [
        "Ana Analyst", "tolerance", "100 %", "0 %"]
