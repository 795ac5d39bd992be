"""AppTest of My Updates (pre-fill, no change, several at once) and the Cycle Tracker, signed in.

"Today" is fixed through ``st.session_state[TODAY_KEY]``. With a monthly cycle on 20 Oct 2020 the
October window is open and nobody has reported yet (the demo's October reports are dated the 31st),
so each owner's due items are all their open actions, each pre-filled from its 30 Sep report.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from tests.test_app_auth import APP, AUTH, _signed_in, _texts
from wehoplan import cycle_store, measures, repository, users
from wehoplan.config import load_config
from wehoplan.cycles import CycleRule, current_cycle, item_states
from wehoplan.db import make_engine
from wehoplan.demo import SMART_CITY
from wehoplan.domain import STATUS_LABELS
from wehoplan.reminders import run_reminders
from wehoplan.rollup import prepare_tree
from wehoplan.ui.cycle_view import TODAY_KEY

MY = "app_pages/9_My_Updates.py"
TRACKER = "app_pages/10_Cycle_Tracker.py"
OWNER = "Mobility Planning Manager"


@pytest.fixture
def url(fresh_url, monkeypatch):
    monkeypatch.setenv("WEHOPLAN_DATABASE_URL", fresh_url)
    eng = make_engine(fresh_url)
    plan = repository.resolve_plan(eng, SMART_CITY)
    users.add_user(eng, "admin@weho.org", role="admin", name="Ada Admin", author="Setup")
    users.add_user(eng, "mpm@weho.org", role="updater", plan_id=plan.id, name="Mo Planner", person=OWNER,
                   author="Setup")
    return fresh_url


def _engine_plan(url):
    eng = make_engine(url)
    return eng, repository.resolve_plan(eng, SMART_CITY)


def _open(email: str, page: str, today: dt.date) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.secrets["auth"] = AUTH
    at.user = _signed_in(email)
    at.session_state[TODAY_KEY] = today
    at.query_params["plan"] = SMART_CITY
    at.run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def _states(url, today, owner=None):
    eng, plan = _engine_plan(url)
    tree = prepare_tree(repository.load_items(eng, plan.id)).frame
    leaves = tree[tree["is_leaf"]]
    if owner:
        leaves = leaves[leaves["owner"] == owner]
    cycle = current_cycle(cycle_store.get_rule(eng, plan.id), today)
    return item_states(leaves, repository.load_updates(eng, plan.id), cycle, today)


def _new_reports(url, n_before):
    eng, plan = _engine_plan(url)
    ups = repository.load_updates(eng, plan.id).sort_values("id")
    return ups.iloc[n_before:]


def _n_updates(url):
    eng, plan = _engine_plan(url)
    return len(repository.load_updates(eng, plan.id))


def _edits(rows):
    return {"edited_rows": rows, "added_rows": [], "deleted_rows": []}


def test_my_updates_shows_exactly_my_due_items_prefilled_and_no_change_is_one_click(url):
    eng, plan = _engine_plan(url)
    cycle_store.set_rule(eng, plan.id, CycleRule("month", 14, 5, 2), "Setup")
    today = dt.date(2020, 10, 20)
    at = _open("mpm@weho.org", MY, today)
    rows = at.data_editor[0].value
    expected = _states(url, today, OWNER)
    assert len(expected) >= 2 and (expected["state"] == "due").all()
    assert rows["code"].tolist() == expected["code"].tolist()
    assert rows["status"].tolist() == expected["last_status"].map(STATUS_LABELS).tolist()
    assert rows["progress"].tolist() == expected["last_progress"].tolist()
    assert set(rows["last_report"]) == {dt.date(2020, 9, 30)}
    assert "Done this cycle: 0 of" in at.get("progress")[0].proto.text

    n = _n_updates(url)
    first = rows.iloc[0]
    at.button(key=f"mu_nc:{int(first['item_id'])}").click().run()
    assert not at.exception, at.exception
    new = _new_reports(url, n)
    assert new[["item_id", "as_of", "status", "progress", "comment", "author"]].values.tolist() == [[
        first["item_id"], pd.Timestamp(today), expected["last_status"].iloc[0], first["progress"],
        "No change since 30 Sep 2020", "Mo Planner <mpm@weho.org>"]]
    assert "Done this cycle: 1 of" in at.get("progress")[0].proto.text
    assert first["code"] not in at.data_editor[0].value["code"].tolist()


def test_my_updates_saves_several_at_once_and_no_change_ignores_typed_values(url):
    eng, plan = _engine_plan(url)
    cycle_store.set_rule(eng, plan.id, CycleRule("month", 14, 5, 2), "Setup")
    today = dt.date(2020, 10, 20)
    at = _open("mpm@weho.org", MY, today)
    base = at.data_editor[0].value
    n = _n_updates(url)
    at.session_state["mu_editor"] = _edits({0: {"pick": True, "progress": 77, "comment": "moving"},
                                            1: {"pick": True, "status": "Some disruption"}})
    at.run()
    at.button(key="mu_save").click().run()
    assert not at.exception, at.exception
    new = _new_reports(url, n).set_index("item_id")
    assert len(new) == 2
    assert new.loc[base["item_id"][0], ["progress", "comment"]].tolist() == [77.0, "moving"]
    assert new.loc[base["item_id"][1], "status"] == "some_disruption"
    assert (new["source"] == "my updates").all()

    at = _open("mpm@weho.org", MY, today)
    rest = at.data_editor[0].value
    assert len(rest) >= 1
    n = _n_updates(url)
    at.session_state["mu_editor"] = _edits({0: {"pick": True, "progress": 5}})
    at.run()
    at.button(key="mu_no_change_ticked").click().run()
    new = _new_reports(url, n)
    assert new["progress"].tolist() == [rest["progress"][0]]  # the last value, not the typed 5
    assert new["comment"].str.startswith("No change since").all()


def test_the_tracker_needs_the_editor_role(url):
    eng, plan = _engine_plan(url)
    cycle_store.set_rule(eng, plan.id, CycleRule("quarter"), "Setup")
    at = _open("mpm@weho.org", TRACKER, dt.date(2020, 10, 5))
    assert "You need the editor role for this page." in _texts(at)


def test_demo_quarterly_remind_dry_run_and_the_tracker_show_the_same_counts(url):
    """Done when: `remind --today 2020-10-05 --dry-run` lists one line per owner with due items, as the tracker."""
    eng, plan = _engine_plan(url)
    cycle_store.set_rule(eng, plan.id, CycleRule("quarter"), "Setup")
    today = dt.date(2020, 10, 5)
    lines = run_reminders(eng, load_config(), [plan.id], today, dry_run=True, echo=lambda _: None)
    reminded = {line.digest.owner: line.digest.n_items for line in lines}
    assert reminded and all(n > 0 for n in reminded.values())

    at = _open("admin@weho.org", TRACKER, today)
    table = at.dataframe[0].value.set_index("group")
    owed = (table["due"] + table["late"])
    assert {o: int(n) for o, n in owed.items() if n > 0} == reminded
    assert [m.value for m in at.metric][1] == str(sum(reminded.values()))  # the "Due" metric
    at.radio(key="ct_by").set_value("department").run()
    assert not at.exception, at.exception
    assert int(at.dataframe[0].value["due"].sum()) == sum(reminded.values())
    assert at.get("vega_lite_chart")


def test_edit_plan_sets_the_cycle_and_an_admin_locks_a_past_period(url):
    eng, plan = _engine_plan(url)
    at = _open("admin@weho.org", "app_pages/5_Edit_Plan.py", dt.date(2020, 11, 1))
    at.selectbox(key="cy_every").set_value("month")
    at.number_input(key="cy_window").set_value(7)
    next(b for b in at.button if b.label == "Save update cycle").click().run()
    assert not at.exception, at.exception
    assert cycle_store.get_rule(eng, plan.id) == CycleRule("month", 7, 10, 5)
    at.button(key="cy_lock").click().run()  # the newest past period: October 2020
    assert not at.exception, at.exception
    locks = cycle_store.locks_frame(eng, plan.id)
    assert locks["period_end"].dt.date.tolist() == [dt.date(2020, 10, 31)]
    assert "Locked periods" in _texts(at)


def test_my_updates_asks_a_measure_owner_for_the_values_they_owe_and_saves_them(url):
    eng, plan = _engine_plan(url)
    cycle_store.set_rule(eng, plan.id, CycleRule("month", 14, 5, 2), "Setup")
    users.add_user(eng, "dl@weho.org", role="updater", plan_id=plan.id, name="Dee Lead", person="Data Lead",
                   author="Setup")
    today = dt.date(2023, 4, 20)  # the demo's measure values end with 2022: 2023 Q1 is owed
    data = measures.load_measure_data(eng, plan.id)
    owed = measures.due_values(data, "Data Lead", today)
    owed = owed[~owed["reported"]]
    assert len(owed) >= 1 and set(owed["period_label"]) == {"2023 Q1"}
    at = _open("dl@weho.org", MY, today)
    assert "Your measures" in [h.value for h in at.subheader]
    table = at.data_editor[-1].value
    assert table["Measure"].tolist() == owed["name"].tolist() and set(table["Period"]) == {"2023 Q1"}
    n_before = len(data.values)
    at.session_state["mu_measures"] = _edits({0: {"Value": "12"}, 1: {"Not applicable": True}})
    at.run()
    at.button(key="mu_measures_save").click().run()
    assert not at.exception, at.exception
    values = measures.load_measure_data(eng, plan.id).values.iloc[n_before:]
    assert values["measure_id"].tolist() == owed["id"].iloc[:2].tolist()
    assert values["period"].dt.date.tolist() == [dt.date(2023, 3, 31)] * 2
    assert values["value"].iloc[0] == 12 and values["not_applicable"].tolist() == [False, True]
    assert set(values["author"]) == {"Dee Lead <dl@weho.org>"}
    # Those two are in now: the page asks only for the rest.
    rest = at.data_editor[-1].value
    assert rest["Measure"].tolist() == owed["name"].iloc[2:].tolist()
    # The saved rows' edits do not carry over onto the rows that took their places.
    assert rest["Value"].fillna("").eq("").all() and not rest["Not applicable"].any()
