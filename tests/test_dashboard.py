import pandas as pd
from test_trends import tree, updates

from wehoplan import dashboard
from wehoplan.rollup import rollup_table

T = pd.Timestamp


def test_kpis_count_overdue_recent_completions_and_share_on_track():
    table = rollup_table(tree(), updates(), "2021-01-31")
    k = dashboard.kpis(table, updates(), "2021-01-31", recent_days=365)
    assert k.n_actions == 2 and k.n_overdue == 1  # 1.1.1 open past its 2020-12-31 due date
    assert k.n_completed_recently == 1 and k.share_on_track == 100.0
    assert k.n_stale == 1  # 1.1.1's last update (2020-04-01) is older than 90 days
    assert k.progress == 70.0 and k.expected_progress == 100.0


def test_kpis_none_when_nothing_selected():
    from wehoplan.filters import Filters

    table = rollup_table(tree(), updates(), "2021-01-31", Filters(owner=("nobody",)))
    assert dashboard.kpis(table, updates(), "2021-01-31") is None


def test_needs_attention_lists_overdue_and_stale_with_owner():
    att = dashboard.needs_attention(rollup_table(tree(), updates(), "2021-01-31"))
    assert att[["Code", "Why", "Owner"]].to_dict("records") == [
        {"Code": "1.1.1", "Why": "overdue, stale", "Owner": "Ana"}]


def test_action_report_tree_flat_and_overdue_only():
    table = rollup_table(tree(), updates(), "2021-01-31")
    full = dashboard.action_report(table)
    assert full["Code"].tolist() == ["1", "1.1", "1.1.1", "1.1.2"]
    assert full.columns.tolist() == [*dashboard.REPORT_COLUMNS, "status_key"]
    assert dashboard.action_report(table, tree=False)["Code"].tolist() == ["1.1.1", "1.1.2"]
    assert dashboard.action_report(table, show="overdue")["Code"].tolist() == ["1", "1.1", "1.1.1"]
    assert dashboard.action_report(table, tree=False, show="overdue")["Code"].tolist() == ["1.1.1"]


def test_heatmap_and_workload_group_actions():
    table = rollup_table(tree(), updates(), "2020-06-30")
    heat = dashboard.heatmap_data(table)
    assert heat.to_dict("records") == [
        {"department": "Department of Public Works", "smart": "Mobility", "n_leaves": 1, "progress": 40.0},
        {"department": "Planning", "smart": "Sustainability", "n_leaves": 1, "progress": 100.0}]
    load = dashboard.status_counts_by(table, "owner")
    assert load.to_dict("records") == [{"group": "Ana", "status": "on_track", "n": 1},
                                       {"group": "Ben", "status": "completed", "n": 1}]


def test_report_download_is_built_on_click_and_holds_exactly_the_rows_shown():
    import io

    from wehoplan.ui.widgets import report_csv

    table = rollup_table(tree(), updates(), "2021-01-31")
    shown = dashboard.action_report(table, tree=False, show="overdue").drop(columns=["status_key"])
    build = report_csv(shown)
    assert callable(build)
    back = pd.read_csv(io.BytesIO(build()), encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert back.columns.tolist() == dashboard.REPORT_COLUMNS
    assert back["Code"].tolist() == ["1.1.1"] and back["Status"].tolist() == ["On track"]


def test_a_selection_of_nothing_gives_empty_tables_not_errors(demo_engine):
    from wehoplan import dashboard, repository
    from wehoplan.filters import Filters
    from wehoplan.rollup import prepare_tree, rollup_table

    plan = repository.resolve_plan(demo_engine, "smart city")
    table = rollup_table(prepare_tree(repository.load_items(demo_engine, plan.id)),
                         repository.load_updates(demo_engine, plan.id), "2020-10-15", Filters(department=("nobody",)))
    assert table.empty
    for build in (dashboard.summary_table, dashboard.strategy_progress, dashboard.needs_attention,
                  dashboard.action_report):
        assert build(table).empty, build.__name__
