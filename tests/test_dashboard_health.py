"""Schedule health beside the reported status: dashboards, the health filter, the URL, the Overview page."""

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest
from test_app_dashboard import APP, SMART_CITY

from wehoplan import dashboard, repository
from wehoplan.domain import HEALTH_LABELS
from wehoplan.filters import Filters
from wehoplan.rollup import Thresholds, first_completed, prepare_tree, rollup_table

DAY = "2020-10-15"


@pytest.fixture
def demo(demo_engine):
    plan = repository.resolve_plan(demo_engine, "smart city")
    return prepare_tree(repository.load_items(demo_engine, plan.id)), repository.load_updates(demo_engine, plan.id)


def test_the_overview_counts_initiatives_behind_schedule(demo):
    tree, ups = demo
    table = rollup_table(tree, ups, DAY)
    page = dashboard.overview(table, ups, DAY, first_completed(ups, DAY), Thresholds())
    initiatives = table[table["depth"] == 2]
    want = int(initiatives["health"].isin(["behind", "at_risk"]).sum())
    assert page.kpis.n_behind_schedule == want == 12  # of 14: only 3.4 is on schedule and 3.5 not yet due to start
    assert {m.label: m.value for m in page.metrics}["Initiatives behind schedule"] == "12"
    assert page.kpis.health == "at_risk"  # 48 % against 69 % expected, though most owners report "On track"
    loose = dashboard.overview(table, ups, DAY, first_completed(ups, DAY), Thresholds(behind_ratio=0.01,
                                                                                       on_schedule_ratio=0.5))
    assert "50%" in next(m.help for m in loose.metrics if m.label == "Initiatives behind schedule")


def test_health_words_sit_beside_status_in_every_table(demo):
    tree, ups = demo
    table = rollup_table(tree, ups, DAY)
    summary = dashboard.summary_table(table).set_index("Code")
    assert summary.columns[summary.columns.get_loc("Status") + 1] == "Health"
    assert summary.loc["2", ["Status", "Health"]].tolist() == ["On track", "At risk"]
    assert summary.loc["1.1", "Health"] == "Behind" and summary.loc["3.4", "Health"] == "On schedule"
    assert summary.loc["3.5", "Health"] == ""  # nothing expected yet: blank, not "None"
    report = dashboard.action_report(table, "flat").rows
    assert "Health" in dashboard.REPORT_COLUMNS and set(report["Health"]) <= {*HEALTH_LABELS.values(), ""}
    assert (report.loc[report["Status"] == "Completed", "Health"] == "Done").all()
    attention = dashboard.needs_attention(table)
    assert (attention.loc[attention["Why"].str.contains("overdue"), "Health"] == "At risk").all()
    depts = dashboard.departments(table, Thresholds()).department_table
    assert depts.columns.tolist() == ["Department", "Actions", "Status", "Health", "Progress", "Expected", "Overdue"]
    assert set(depts["Health"]) <= {*HEALTH_LABELS.values(), ""} and "At risk" in set(depts["Health"])


def test_the_health_filter_selects_actions_by_their_schedule_health(demo):
    tree, ups = demo
    whole = rollup_table(tree, ups, DAY)
    at_risk = rollup_table(tree, ups, DAY, Filters(health=("at_risk",)))
    leaves = at_risk[at_risk["is_leaf"]]
    assert len(leaves) == int((whole[whole["is_leaf"]]["health"] == "at_risk").sum()) == 26
    assert set(leaves["health"]) == {"at_risk"}
    both = rollup_table(tree, ups, DAY, Filters(health=("done", "on_schedule")))
    assert set(both.loc[both["is_leaf"], "health"]) == {"done", "on_schedule"}
    # The ratios the filter reads are the settings'.
    lenient = rollup_table(tree, ups, DAY, Filters(health=("at_risk",)), Thresholds(behind_ratio=0.1,
                                                                                     on_schedule_ratio=0.2))
    assert len(lenient[lenient["is_leaf"]]) < len(leaves)


def test_the_health_filter_travels_in_the_url_and_reads_as_words():
    f = Filters.from_query({"health": ["at_risk", "green", "behind"]})
    assert f.health == ("at_risk", "behind")  # an unknown value in a link is dropped
    assert f.to_query() == {"health": ["at_risk", "behind"]}
    assert f.describe() == "schedule health: At risk, Behind"
    with pytest.raises(ValueError, match="unknown schedule health"):
        Filters(health=("late",))


def test_the_overview_page_shows_the_count_and_health_words(monkeypatch, demo_url):
    monkeypatch.setenv("WEHOPLAN_DATABASE_URL", demo_url)
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["plan"] = SMART_CITY
    at.query_params["as_of"] = DAY
    at.run()
    assert not at.exception
    assert {m.label: m.value for m in at.metric}["Initiatives behind schedule"] == "12"
    summary, attention = (d.value for d in at.dataframe)
    summary = summary.data if hasattr(summary, "data") else summary
    assert "Health" in summary.columns and "🔴 At risk" in set(summary["Health"])  # words beside their marker
    shown = pd.concat([summary.astype(str), attention.astype(str)]).to_string()
    assert "at_risk" not in shown and "on_schedule" not in shown and "None" not in shown
    assert at.multiselect[4].label == "Schedule health"
    assert at.multiselect[4].options == list(HEALTH_LABELS.values())


def test_the_sidebar_health_filter_comes_from_the_url(monkeypatch, demo_url):
    monkeypatch.setenv("WEHOPLAN_DATABASE_URL", demo_url)
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update({"plan": SMART_CITY, "as_of": DAY, "health": "done"})
    at.run()
    assert not at.exception
    assert at.multiselect[4].value == ["done"]
    assert {m.label: m.value for m in at.metric}["Overall progress"] == "100 %"  # only completed actions
    assert at.query_params["health"] == ["done"] or at.query_params["health"] == "done"
