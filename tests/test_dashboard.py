import pandas as pd
from test_trends import tree, updates

from wehoplan import dashboard
from wehoplan.rollup import Thresholds, first_completed, rollup_table

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
    full = dashboard.report_rows(table)
    assert full["Code"].tolist() == ["1", "1.1", "1.1.1", "1.1.2"]
    assert full.columns.tolist() == [*dashboard.REPORT_COLUMNS, "status_key"]
    assert dashboard.report_rows(table, tree=False)["Code"].tolist() == ["1.1.1", "1.1.2"]
    assert dashboard.report_rows(table, show="overdue")["Code"].tolist() == ["1", "1.1", "1.1.1"]
    assert dashboard.report_rows(table, tree=False, show="overdue")["Code"].tolist() == ["1.1.1"]


def test_action_report_page_counts_the_actions_shown_among_those_selected():
    table = rollup_table(tree(), updates(), "2021-01-31")
    page = dashboard.action_report(table, "tree", "overdue")
    assert page.rows.columns.tolist() == dashboard.REPORT_COLUMNS  # what is shown is what is downloaded
    assert page.rows["Title"].tolist() == ["Data", "\u2003Analytics", "\u2003\u2003Hire lead"]
    assert page.caption == "3 rows (1 of 2 selected actions). Click a column header to sort."
    assert dashboard.action_report(table, "flat").caption.startswith("2 rows (2 of 2 selected actions).")
    assert dashboard.action_report(table, "flat", "attention").rows["Code"].tolist() == ["1.1.1"]


def test_overview_page_shows_the_headline_numbers_as_text():
    table = rollup_table(tree(), updates(), "2021-01-31")
    page = dashboard.overview(table, updates(), "2021-01-31", first_completed(updates(), "2021-01-31"), Thresholds())
    assert [(m.label, m.value, m.delta) for m in page.metrics] == [
        ("Overall progress", "70 %", "-30 pts vs expected 100 %"), ("On track", "100 %", None),
        ("Initiatives behind schedule", "1", None), ("Overdue actions", "1", None),
        ("Completed, last 90 days", "0", None), ("Stale actions", "1", None)]
    assert page.metrics[-1].help == "Open actions with no update for more than 90 days."
    assert page.status_counts.set_index("status")["n"].to_dict() == {
        "pending": 0, "on_track": 1, "some_disruption": 0, "major_disruption": 0, "completed": 1, "deferred": 0}
    assert page.strategy_progress[["name", "progress"]].to_dict("records") == [{"name": "1 Data", "progress": 70.0}]
    assert page.summary["Code"].tolist() == ["1", "1.1"] and "status_key" not in page.summary
    assert page.attention["Code"].tolist() == ["1.1.1"]
    assert page.attention_caption == "1 action: major disruption, overdue, or no update for 90+ days."
    later = dashboard.overview(table, updates(), "2021-01-31", first_completed(updates(), "2021-01-31"),
                               Thresholds(stale_days=400))
    assert later.attention_caption.endswith("no update for 400+ days.")


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
    shown = dashboard.action_report(table, "flat", "overdue").rows
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
                  dashboard.report_rows):
        assert build(table).empty, build.__name__
    # ... and the pages say "no items match" (their data call gives None) instead of drawing empty charts
    assert dashboard.overview(table, pd.DataFrame(), "2020-10-15", pd.Series(dtype="datetime64[ns]"),
                              Thresholds()) is None
    assert dashboard.action_report(table) is None and dashboard.departments(table) is None


def test_overdue_in_public_works_for_mobility_on_the_demo(demo_engine):
    """The README's "3 clicks" question, answered by the page objects on a known date."""
    from wehoplan import repository
    from wehoplan.filters import Filters
    from wehoplan.rollup import prepare_tree

    plan = repository.resolve_plan(demo_engine, "smart city")
    ups = repository.load_updates(demo_engine, plan.id)
    tree_ = prepare_tree(repository.load_items(demo_engine, plan.id))
    day = "2020-10-15"
    whole = dashboard.overview(rollup_table(tree_, ups, day), ups, day, first_completed(ups, day), Thresholds())
    assert whole.kpis.n_actions == 39 and round(whole.kpis.progress, 1) == 47.5
    assert (whole.kpis.n_overdue, whole.kpis.n_completed_recently, whole.kpis.n_stale) == (13, 2, 0)
    assert whole.attention.loc[0, ["Code", "Why"]].tolist() == ["3.3.1", "major disruption"]
    table = rollup_table(tree_, ups, day, Filters(department=("Public Works",), smart=("M",)))
    page = dashboard.overview(table, ups, day, first_completed(ups, day), Thresholds())
    assert {m.label: m.value for m in page.metrics}["Overdue actions"] == "4"
    assert page.attention["Code"].tolist() == ["1.3.1", "1.3.2", "1.4.1", "1.4.2"]
    assert set(page.attention["Why"]) == {"overdue"}
    report = dashboard.action_report(table, "flat", "overdue")
    assert report.rows["Code"].tolist() == ["1.3.1", "1.3.2", "1.4.1", "1.4.2"]
    assert set(report.rows["SMART"]) == {"Mobility"} and report.caption.startswith("4 rows (4 of 6 selected")
