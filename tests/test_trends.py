import pandas as pd
import pytest

from wehoplan import trends
from wehoplan.filters import Filters
from wehoplan.rollup import Thresholds, first_completed, leaf_states, prepare_tree, roll_up_many, rollup_table

T = pd.Timestamp
TH = Thresholds()


def tree():
    """Strategy 1 > initiative 1.1 > actions 1.1.1 (Public Works, M), 1.1.2 (Planning, S)."""
    items = pd.DataFrame({
        "id": [1, 2, 3, 4],
        "parent_id": pd.array([None, 1, 2, 2], dtype="Int64"),
        "code": ["1", "1.1", "1.1.1", "1.1.2"],
        "level": ["Strategy", "Initiative", "Action", "Action"],
        "title": ["Data", "Analytics", "Hire lead", "Train staff"],
        "description": [None] * 4,
        "owner": [None, None, "Ana", "Ben"],
        "department": [None, None, "Department of Public Works", "Planning"],
        "partners": [None] * 4,
        "smart": ["", "", "M", "S"],
        "start": pd.to_datetime([None, None, "2020-01-01", "2020-01-01"]).astype("datetime64[ns]"),
        "due": pd.to_datetime([None, "2020-12-31", "2020-12-31", "2020-06-30"]).astype("datetime64[ns]"),
        "weight": [1.0] * 4,
        "archived": [False] * 4,
    })
    return prepare_tree(items)


def updates() -> pd.DataFrame:
    rows = [
        (1, 3, "2020-02-01", "on_track", 10.0),
        (2, 3, "2020-04-01", "on_track", 40.0),
        (3, 4, "2020-03-01", "some_disruption", 20.0),
        (4, 4, "2020-05-15", "completed", 100.0),
    ]
    df = pd.DataFrame(rows, columns=["id", "item_id", "as_of", "status", "progress"])
    return df.assign(as_of=pd.to_datetime(df["as_of"]).astype("datetime64[ns]"), comment=None)


DATES = [T("2020-01-31"), T("2020-03-31"), T("2020-06-30")]


def rolled(dates=DATES, f=Filters(), ups=None):  # noqa: B008 - frozen, never changed
    t = tree()
    return roll_up_many(t, leaf_states(t, updates() if ups is None else ups, dates, TH), f)


def test_period_ends_are_month_ends_and_end_with_as_of():
    ends = trends.period_ends(updates(), "2020-04-15", "month")
    assert list(ends) == [T("2020-02-29"), T("2020-03-31"), T("2020-04-15")]
    assert list(trends.period_ends(updates().iloc[0:0], "2020-04-15")) == [T("2020-04-15")]


def test_progress_over_time_by_strategy_matches_the_single_rollup_at_each_date():
    t, u = tree(), updates()
    series = trends.progress_over_time(t, rolled(), DATES, "strategy")
    for d in DATES:
        single = rollup_table(t, u, d)
        want = single.loc[single["code"] == "1", "progress"].iloc[0]
        got = series.loc[series["snap"] == d, "progress"].iloc[0]
        assert got == pytest.approx(want)
    assert series["progress"].round(6).tolist() == [0.0, 15.0, 70.0]
    assert series["group"].unique().tolist() == ["1 Data"]


def test_progress_over_time_by_department_and_smart_groups_leaves():
    t, r = tree(), rolled([T("2020-06-30")])
    dept = trends.progress_over_time(t, r, [T("2020-06-30")], "department")
    assert dict(zip(dept["group"], dept["progress"], strict=True)) == {
        "Department of Public Works": 40.0, "Planning": 100.0}
    smart = trends.progress_over_time(t, r, [T("2020-06-30")], "smart")
    assert dict(zip(smart["group"], smart["status"], strict=True)) == {"Mobility": "on_track",
                                                                       "Sustainability": "completed"}


def test_a_roll_up_over_more_dates_shows_only_the_dates_asked_for():
    t, wide = tree(), rolled([*DATES, T("2020-12-31")])
    for by in trends.TREND_GROUPS:
        pd.testing.assert_frame_equal(trends.progress_over_time(t, wide, DATES, by),
                                      trends.progress_over_time(t, rolled(), DATES, by))
    pd.testing.assert_frame_equal(trends.status_mix_over_time(wide, DATES),
                                  trends.status_mix_over_time(rolled(), DATES))


def test_filters_change_the_series():
    only_pw = trends.progress_over_time(tree(), rolled(f=Filters(department=("public works",))), DATES, "strategy")
    assert only_pw["progress"].tolist() == [0.0, 10.0, 40.0]


def test_status_mix_counts_every_leaf_at_every_date():
    mix = trends.status_mix_over_time(rolled(), DATES)
    assert len(mix) == 3 * 6
    at = mix[mix["snap"] == T("2020-03-31")].set_index("status")["n"]
    assert at["on_track"] == 1 and at["some_disruption"] == 1 and at.sum() == 2
    assert mix.groupby("snap")["n"].sum().tolist() == [2, 2, 2]


def test_overdue_over_time_counts_open_leaves_past_due_and_zero_when_nothing_selected():
    dates = [T("2020-06-30"), T("2020-07-31"), T("2021-01-31")]
    od = trends.overdue_over_time(rolled(dates), dates)
    # 1.1.2 completed before its due date; 1.1.1 is open past 2020-12-31 only in 2021.
    assert od["n_overdue"].tolist() == [0, 0, 1]
    none = trends.overdue_over_time(rolled(dates, Filters(owner=("nobody",))), dates)
    assert none["n_overdue"].tolist() == [0, 0, 0]


def test_completions_per_quarter_uses_the_first_completed_update():
    def q(as_of):
        return trends.completions_per_quarter(rolled([T(as_of)]), as_of, first_completed(updates(), as_of))

    assert q("2020-12-31")["quarter"].tolist() == ["2020 Q2"] and q("2020-12-31")["n"].tolist() == [1]
    assert q("2020-05-01").empty


def test_completions_count_the_leaves_selected_at_the_as_of_date():
    as_of = T("2020-12-31")
    r = rolled([T("2020-03-31"), as_of], Filters(status=("completed",)))
    got = trends.completions_per_quarter(r, as_of, first_completed(updates(), as_of))
    assert got["n"].tolist() == [1]
    none = rolled([as_of], Filters(owner=("Ana",)))  # 1.1.1 never completed
    assert trends.completions_per_quarter(none, as_of, first_completed(updates(), as_of)).empty


def test_forecast_projects_finish_from_trailing_velocity_and_flags_late():
    # Initiative 1.1 at 2020-04-01: mean(40, 20) = 30; 90 days earlier 0 -> 1/3 point a day;
    # 70 points left -> 210 days -> 2020-10-28, before the 2020-12-31 due date.
    f = trends.forecast(tree(), rolled(trends.forecast_dates("2020-04-01", 90)), "2020-04-01", 90)
    row = f.iloc[0]
    assert row["code"] == "1.1"
    assert row["velocity"] == pytest.approx(30 / 90)
    assert row["projected_finish"] == T("2020-10-28")
    assert row["state"] == "on time" and not row["late"]
    # Same progress over a longer window: slower, finishes after the due date.
    slow = trends.forecast(tree(), rolled(trends.forecast_dates("2020-04-01", 180)), "2020-04-01", 180).iloc[0]
    assert slow["projected_finish"] > T("2020-12-31") and slow["late"] and slow["state"] == "late"


def test_forecast_without_progress_has_no_projection():
    dates = trends.forecast_dates("2020-04-01", 180)
    f = trends.forecast(tree(), rolled(dates, ups=updates().iloc[0:0]), "2020-04-01", 180)
    assert f["state"].tolist() == ["no velocity"] and f["projected_finish"].isna().all()


def test_a_crawl_is_projected_to_the_last_day_a_date_holds_instead_of_failing():
    # 1.1 moves from mean(10, 0) = 5 to mean(10.002, 0) = 5.001 in 30 days: 95 points left take
    # 2.85 million days, past 11 April 2262, the last day a date holds (the page used to fail).
    ups = pd.concat([updates().iloc[[0]], pd.DataFrame({"id": [9], "item_id": [3], "as_of": [T("2020-03-20")],
                                                         "status": ["on_track"], "progress": [10.002],
                                                         "comment": [None]})], ignore_index=True)
    f = trends.forecast(tree(), rolled(trends.forecast_dates("2020-04-01", 30), ups=ups), "2020-04-01", 30)
    row = f.iloc[0]
    assert row["velocity"] == pytest.approx(0.001 / 30)
    assert row["projected_finish"] == pd.Timestamp.max.normalize()
    assert row["late"] and row["state"] == "late" and row["days_late"] > 88_000


def test_page_data_is_every_chart_from_one_roll_up():
    t, u, as_of, window = tree(), updates(), T("2020-06-30"), 90
    shared = trends.shared_dates(DATES, as_of, window)
    assert set(DATES) | set(trends.forecast_dates(as_of, window)) == set(shared)
    f = Filters(smart=("M", "S"))
    first = first_completed(u, as_of)
    page = trends.page_data(t, leaf_states(t, u, shared, TH), f, DATES, as_of, window, "department", first)
    assert page.progress["group"].unique().tolist() == ["Department of Public Works", "Planning"]
    pd.testing.assert_frame_equal(page.progress,
                                  trends.progress_over_time(t, rolled(DATES, f), DATES, "department"))
    pd.testing.assert_frame_equal(page.status_mix, trends.status_mix_over_time(rolled(DATES, f), DATES))
    pd.testing.assert_frame_equal(page.overdue, trends.overdue_over_time(rolled(DATES, f), DATES))
    pd.testing.assert_frame_equal(page.completions,
                                  trends.completions_per_quarter(rolled([as_of], f), as_of, first))
    pd.testing.assert_frame_equal(
        page.forecast, trends.forecast(t, rolled(trends.forecast_dates(as_of, window), f), as_of, window))
    assert page.completions["n"].tolist() == [1] and page.forecast["code"].tolist() == ["1.1"]
