import pandas as pd
import pytest

from wehoplan import trends
from wehoplan.filters import Filters
from wehoplan.rollup import prepare_tree, rollup_table

T = pd.Timestamp


def tree() -> pd.DataFrame:
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


def test_period_ends_are_month_ends_and_end_with_as_of():
    ends = trends.period_ends(updates(), "2020-04-15", "month")
    assert list(ends) == [T("2020-02-29"), T("2020-03-31"), T("2020-04-15")]
    assert list(trends.period_ends(updates().iloc[0:0], "2020-04-15")) == [T("2020-04-15")]


def test_progress_over_time_by_strategy_matches_the_single_rollup_at_each_date():
    t, u = tree(), updates()
    series = trends.progress_over_time(t, u, DATES, by="strategy")
    for d in DATES:
        single = rollup_table(t, u, d)
        want = single.loc[single["code"] == "1", "progress"].iloc[0]
        got = series.loc[series["snap"] == d, "progress"].iloc[0]
        assert got == pytest.approx(want)
    assert series["progress"].round(6).tolist() == [0.0, 15.0, 70.0]
    assert series["group"].unique().tolist() == ["1 Data"]


def test_progress_over_time_by_department_and_smart_groups_leaves():
    t, u = tree(), updates()
    dept = trends.progress_over_time(t, u, [T("2020-06-30")], by="department")
    assert dict(zip(dept["group"], dept["progress"], strict=True)) == {
        "Department of Public Works": 40.0, "Planning": 100.0}
    smart = trends.progress_over_time(t, u, [T("2020-06-30")], by="smart")
    assert dict(zip(smart["group"], smart["status"], strict=True)) == {"Mobility": "on_track",
                                                                       "Sustainability": "completed"}


def test_filters_change_the_series():
    t, u = tree(), updates()
    only_pw = trends.progress_over_time(t, u, DATES, Filters(department=("public works",)), by="strategy")
    assert only_pw["progress"].tolist() == [0.0, 10.0, 40.0]


def test_status_mix_counts_every_leaf_at_every_date():
    mix = trends.status_mix_over_time(tree(), updates(), DATES)
    assert len(mix) == 3 * 6
    at = mix[mix["snap"] == T("2020-03-31")].set_index("status")["n"]
    assert at["on_track"] == 1 and at["some_disruption"] == 1 and at.sum() == 2
    assert mix.groupby("snap")["n"].sum().tolist() == [2, 2, 2]


def test_overdue_over_time_counts_open_leaves_past_due_and_zero_when_nothing_selected():
    dates = [T("2020-06-30"), T("2020-07-31"), T("2021-01-31")]
    od = trends.overdue_over_time(tree(), updates(), dates)
    # 1.1.2 completed before its due date; 1.1.1 is open past 2020-12-31 only in 2021.
    assert od["n_overdue"].tolist() == [0, 0, 1]
    none = trends.overdue_over_time(tree(), updates(), dates, Filters(owner=("nobody",)))
    assert none["n_overdue"].tolist() == [0, 0, 0]


def test_completions_per_quarter_uses_the_first_completed_update():
    q = trends.completions_per_quarter(tree(), updates(), "2020-12-31")
    assert q["quarter"].tolist() == ["2020 Q2"] and q["n"].tolist() == [1]
    assert trends.completions_per_quarter(tree(), updates(), "2020-05-01").empty


def test_forecast_projects_finish_from_trailing_velocity_and_flags_late():
    # Initiative 1.1 at 2020-04-01: mean(40, 20) = 30; 90 days earlier 0 -> 1/3 point a day;
    # 70 points left -> 210 days -> 2020-10-28, before the 2020-12-31 due date.
    f = trends.forecast(tree(), updates(), "2020-04-01", window_days=90)
    row = f.iloc[0]
    assert row["code"] == "1.1"
    assert row["velocity"] == pytest.approx(30 / 90)
    assert row["projected_finish"] == T("2020-10-28")
    assert row["state"] == "on time" and not row["late"]
    # Same progress over a longer window: slower, finishes after the due date.
    slow = trends.forecast(tree(), updates(), "2020-04-01", window_days=180).iloc[0]
    assert slow["projected_finish"] > T("2020-12-31") and slow["late"] and slow["state"] == "late"


def test_forecast_without_progress_has_no_projection():
    f = trends.forecast(tree(), updates().iloc[0:0], "2020-04-01")
    assert f["state"].tolist() == ["no velocity"] and f["projected_finish"].isna().all()


def test_one_shared_rollup_gives_the_same_series():
    t, u = tree(), updates()
    rolled = trends.series(t, u, DATES)
    pd.testing.assert_frame_equal(trends.status_mix_over_time(t, u, DATES, rolled=rolled),
                                  trends.status_mix_over_time(t, u, DATES))
    pd.testing.assert_frame_equal(trends.overdue_over_time(t, u, DATES, rolled=rolled),
                                  trends.overdue_over_time(t, u, DATES))
    pd.testing.assert_frame_equal(trends.progress_over_time(t, u, DATES, rolled=rolled),
                                  trends.progress_over_time(t, u, DATES))
