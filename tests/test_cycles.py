"""Cycle arithmetic on literal frames: period ends, windows and their edges, due, late, locks."""

import datetime as dt

import pandas as pd
import pytest

from wehoplan.cycles import (
    CycleRule,
    current_cycle,
    cycle_for,
    cycles_up_to,
    item_states,
    locked_period,
    my_rows,
    report_rows,
    summarise,
    tracker,
)
from wehoplan.reminders import digests

D = dt.date
T = pd.Timestamp
Q = CycleRule("quarter", window_days=14, due_days=10, grace_days=5)

LEAVES = pd.DataFrame({
    "id": [1, 2, 3, 4, 5], "version": [1, 1, 2, 1, 1], "code": ["1.1", "1.2", "1.3", "2.1", "2.2"],
    "title": ["Open data", "Dashboards", "Sensors", "Bike lanes", "Kiosks"],
    "owner": ["Ana", "Ana", "Ana", "Ben", None],
    "department": ["IT", "IT", "IT", "Public Works", "Public Works"],
})
UPDATES = pd.DataFrame({
    "id": [10, 11, 12, 13, 14, 15],
    "item_id": [1, 1, 2, 3, 4, 4],
    "as_of": [T("2020-06-30"), T("2020-09-16"), T("2020-06-30"), T("2020-05-31"), T("2020-09-15"), T("2020-10-20")],
    "status": ["on_track", "on_track", "some_disruption", "completed", "on_track", "on_track"],
    "progress": [40.0, 50.0, 20.0, 100.0, 10.0, 15.0],
    "comment": ["ok", "fine", "vendor late", "done", None, "late but here"],
})


def test_quarter_cycle_dates():
    c = cycle_for(Q, D(2020, 9, 30))
    assert (c.period_start, c.opens, c.due, c.late_after, c.closes, c.label) == (
        D(2020, 7, 1), D(2020, 9, 16), D(2020, 10, 10), D(2020, 10, 15), D(2020, 12, 16), "2020 Q3")


def test_month_cycle_crosses_the_year():
    rule = CycleRule("month", window_days=5, due_days=7, grace_days=3)
    c = cycle_for(rule, D(2020, 12, 31))
    assert (c.period_start, c.opens, c.due, c.closes, c.label) == (
        D(2020, 12, 1), D(2020, 12, 26), D(2021, 1, 7), D(2021, 1, 25), "Dec 2020")
    assert cycle_for(rule, D(2021, 2, 28)).period_start == D(2021, 2, 1)


@pytest.mark.parametrize(("today", "period_end", "phase"), [
    (D(2020, 9, 15), D(2020, 6, 30), "late"),        # the day before Q3's window opens: still Q2
    (D(2020, 9, 16), D(2020, 9, 30), "window_open"),  # the window opens
    (D(2020, 9, 30), D(2020, 9, 30), "window_open"),  # period end
    (D(2020, 10, 1), D(2020, 9, 30), "due_soon"),
    (D(2020, 10, 15), D(2020, 9, 30), "due_soon"),    # last day of grace
    (D(2020, 10, 16), D(2020, 9, 30), "late"),
    (D(2020, 12, 16), D(2020, 9, 30), "late"),        # the last day before Q4's window
    (D(2020, 12, 17), D(2020, 12, 31), "window_open"),
])
def test_window_edges(today, period_end, phase):
    c = current_cycle(Q, today)
    assert c is not None and c.period_end == period_end and c.phase(today) == phase


def test_custom_cycle_and_outside_its_windows():
    rule = CycleRule("custom", 10, 5, 0, (D(2021, 3, 31), D(2021, 9, 30)))
    assert current_cycle(rule, D(2021, 3, 20)) is None
    c = current_cycle(rule, D(2021, 3, 21))
    # The first period is as long as the next one (183 days), as there is no earlier end.
    assert c is not None and (c.period_start, c.closes) == (D(2020, 9, 30), D(2021, 9, 19))
    last = current_cycle(rule, D(2021, 10, 5))
    assert last is not None and last.period_end == D(2021, 9, 30) and last.closes == D(2021, 10, 5)
    assert current_cycle(rule, D(2021, 10, 6)) is None
    assert [c.period_end for c in cycles_up_to(rule, D(2022, 1, 1), 5)] == [D(2021, 9, 30), D(2021, 3, 31)]


@pytest.mark.parametrize(("rule", "words"), [
    (CycleRule("weekly"), "unknown cycle"),
    (CycleRule("quarter", window_days=-1), "at least 0"),
    (CycleRule("month", 14, 10, 5), "fewer than the shortest period (28 days)"),
    (CycleRule("custom"), "at least one period end"),
    (CycleRule("custom", 1, 1, 1, (D(2021, 1, 2), D(2021, 1, 4))), "shortest period (2 days)"),
])
def test_inconsistent_rules_are_refused(rule, words):
    assert any(words in p for p in rule.problems())


def test_states_due_reported_and_closed_items():
    c = cycle_for(Q, D(2020, 9, 30))
    s = item_states(LEAVES, UPDATES, c, D(2020, 10, 5))
    # 1.1 reported on the day the window opened; 1.2 due; 1.3 completed before the window: not due;
    # 2.1 reported the day before the window (does not count) and after today (not seen yet): due; 2.2 never reported.
    assert s[["code", "state"]].values.tolist() == [["1.1", "reported"], ["1.2", "due"], ["2.1", "due"],
                                                    ["2.2", "due"]]
    assert s.set_index("code").loc["1.1", "reported_on"] == T("2020-09-16")
    assert s.set_index("code").loc["2.1", ["last_as_of", "last_progress"]].tolist() == [T("2020-09-15"), 10.0]
    assert s.set_index("code").loc["2.2", ["last_status", "last_progress"]].tolist() == ["pending", 0.0]


def test_late_after_grace_and_a_late_report_still_counts():
    c = cycle_for(Q, D(2020, 9, 30))
    on_15 = item_states(LEAVES, UPDATES, c, D(2020, 10, 15)).set_index("code")["state"]
    on_16 = item_states(LEAVES, UPDATES, c, D(2020, 10, 16)).set_index("code")["state"]
    on_21 = item_states(LEAVES, UPDATES, c, D(2020, 10, 21)).set_index("code")["state"]
    assert on_15["1.2"] == "due" and on_16["1.2"] == "late"
    assert on_16["2.1"] == "late" and on_21["2.1"] == "reported"


def test_summary_per_owner_counts_every_item_and_tracker_covers_past_cycles():
    c = cycle_for(Q, D(2020, 9, 30))
    summary = summarise(item_states(LEAVES, UPDATES, c, D(2020, 10, 16)), "owner", c)
    assert summary[["group", "n_items", "reported", "due", "late"]].values.tolist() == [
        ["(none)", 1, 0, 0, 1], ["Ana", 2, 1, 0, 1], ["Ben", 1, 0, 0, 1]]
    t = tracker(LEAVES, UPDATES, Q, D(2020, 10, 16), by="department", n_cycles=2)
    assert t["cycle"].unique().tolist() == ["2020 Q3", "2020 Q2"]
    q2 = t[t["cycle"] == "2020 Q2"].set_index("group")
    # Q2 (window 16 Jun - 15 Sep): 1.1, 1.2 reported 30 Jun; 1.3 completed 31 May, before it; 2.1 on 15 Sep.
    assert q2.loc["IT", ["reported", "late"]].tolist() == [2, 0]
    assert q2.loc["Public Works", ["reported", "late"]].tolist() == [1, 1]


def test_locked_period_holds_its_days_only():
    locks = pd.DataFrame({"period_start": [T("2020-07-01")], "period_end": [T("2020-09-30")]})
    assert locked_period(locks, D(2020, 7, 1)) is not None and locked_period(locks, D(2020, 9, 30)) is not None
    assert locked_period(locks, D(2020, 6, 30)) is None and locked_period(locks, D(2020, 10, 1)) is None
    assert locked_period(locks.iloc[0:0], D(2020, 8, 1)) is None


def test_my_rows_prefill_and_no_change_repeats_the_last_report():
    c = cycle_for(Q, D(2020, 9, 30))
    rows = my_rows(item_states(LEAVES, UPDATES, c, D(2020, 10, 5)), LEAVES)
    r12 = rows.set_index("code").loc["1.2"]
    assert (r12["status"], r12["progress"], r12["last_comment"], r12["state"]) == (
        "Some disruption", 20.0, "vendor late", "Due")
    edited = rows.assign(progress=[99.0] * len(rows), comment="typed")
    same = report_rows(rows, D(2020, 10, 5), no_change=True)
    assert same.set_index("code").loc["1.2", ["status", "progress", "comment"]].tolist() == [
        "Some disruption", 20.0, "No change since 30 Jun 2020"]
    assert same.set_index("code").loc["2.2", "comment"] == "No change (first report)"
    typed = report_rows(edited, D(2020, 10, 5), no_change=False)
    assert typed["progress"].tolist() == [99.0] * len(rows) and set(typed["comment"]) == {"typed"}
    assert typed.set_index("code").loc["1.2", "expected_version"] == 1


def test_one_digest_per_owner_with_their_items_and_none_outside_the_window():
    c = cycle_for(Q, D(2020, 9, 30))
    states = item_states(LEAVES, UPDATES, c, D(2020, 10, 16))
    found = digests(7, "Plan", states, c, D(2020, 10, 16), {"Ana": "ana@city.gov"})
    assert [(d.owner, d.email, d.kind, d.items["code"].tolist()) for d in found] == [
        ("Ana", "ana@city.gov", "late", ["1.2"]), ("Ben", None, "late", ["2.1"])]
    assert found[0].key == "7|2020-09-30|ana|late"
    early = cycle_for(Q, D(2020, 12, 31))
    assert digests(7, "Plan", states, early, D(2020, 12, 1), {}) == []


def test_a_hostile_owner_or_title_cannot_add_a_mail_header():
    from wehoplan.config import Config
    from wehoplan.reminders import Digest, compose

    c = cycle_for(Q, D(2020, 9, 30))
    items = pd.DataFrame({"code": ["1.1"], "title": ["Data\r\nBcc: evil@example.com"], "state": ["late"]})
    d = Digest(1, "Plan\nBcc: evil@example.com", "Ana\r\nBcc: evil@example.com", "ana@city.gov", "late", c, items)
    msg = compose(d, Config(mail_from="plan@city.gov", public_url="https://plan.city.gov"))
    assert msg["Bcc"] is None and "\n" not in msg["Subject"]
    body = msg.get_content()
    assert "  1.1  Data Bcc: evil@example.com  (late)" in body and "https://plan.city.gov/My_Updates" in body
