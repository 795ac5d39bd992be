"""On-screen words and numbers (wehoplan.display): one date format, status words, percentages."""

import datetime as dt

import pandas as pd

from wehoplan import display
from wehoplan.domain import STATUS_KEYS, STATUS_SYNONYMS


def test_one_date_format_and_blanks_for_missing_values():
    assert display.day(dt.date(2020, 10, 15)) == "15 Oct 2020"
    assert display.day(pd.Timestamp("2020-10-05 00:00:00")) == "5 Oct 2020"  # no time, no leading zero
    assert display.day(None) == "" and display.day(pd.NaT, "—") == "—"


def test_percentages_read_as_a_person_writes_them():
    assert display.percent(100.0) == "100 %" and display.percent(52.5) == "52.5 %" and display.percent(None) == ""


def test_history_shows_words_days_and_percentages():
    history = pd.DataFrame({"as_of": pd.to_datetime(["2020-03-31", "2020-06-30"]),
                            "status": ["on_track", "some_disruption"], "progress": [77.0, 40.0],
                            "comment": ["kick-off", None], "author": ["Ana", None], "source": ["app", "app"]})
    shown = display.history_for_screen(history)
    assert shown.to_dict("list") == {
        "As of": ["30 Jun 2020", "31 Mar 2020"], "Status": ["🟡 Some disruption", "🟢 On track"],
        "Progress": ["40 %", "77 %"], "Comment": ["", "kick-off"], "Author": ["", "Ana"], "Source": ["app", "app"]}
    text = shown.to_string()
    assert "some_disruption" not in text and "00:00:00" not in text and "None" not in text


def test_every_status_word_finds_its_status_in_the_picker():
    for word, key in STATUS_SYNONYMS.items():
        hits = [k for k in STATUS_KEYS if word in display.status_choice_label(k).casefold()]
        assert key in hits, (word, hits)
    assert "at risk" in display.status_choice_label("some_disruption")


def test_a_fall_in_progress_is_asked_about_only_past_the_setting():
    assert "77 % to 40 %" in display.progress_drop_question(77, 40, 20)
    assert display.progress_drop_question(77, 60, 20) is None and display.progress_drop_question(40, 77, 20) is None


def test_audit_columns_in_words_and_a_range_that_is_never_one_day():
    frame = pd.DataFrame({"at": [pd.Timestamp("2026-01-02")], "entity_id": [3], "old_value": [None],
                          "new_value": ["High"], "batch_id": [None]})
    shown = display.audit_for_screen(frame)
    assert shown.columns.tolist() == ["When (UTC)", "Record number", "Before", "After", "Import number"]
    assert shown["Before"].tolist() == [""]
    today = dt.date(2026, 12, 2)
    assert display.default_audit_range(today, today, today) == (dt.date(2026, 9, 3), today)
    assert display.default_audit_range(dt.date(2020, 1, 1), today, today) == (dt.date(2020, 1, 1), today)


def test_status_counts_in_one_compact_column():
    frame = pd.DataFrame({"Not started": [0], "On track": [3], "Some disruption": [1], "Major disruption": [0],
                          "Completed": [2], "Deferred": [0]})
    assert display.status_counts_text(frame).tolist() == ["🟢 3 · 🟡 1 · 🔵 2"]


def test_audit_values_name_statuses_in_words():
    frame = pd.DataFrame({"old_value": ["on_track 40% as of 2025-11-30"],
                          "new_value": ["some_disruption 55% as of 2025-12-31: waiting"]})
    shown = display.audit_for_screen(frame)
    assert shown["Before"].tolist() == ["On track 40% as of 2025-11-30"]
    assert shown["After"].tolist() == ["Some disruption 55% as of 2025-12-31: waiting"]


def test_status_and_health_words_carry_markers_without_a_styler():
    frame = pd.DataFrame({"Status": ["On track", None], "Health": ["At risk", ""]})
    shown = display.mark_statuses(frame)
    assert isinstance(shown, pd.DataFrame)
    assert shown.to_dict("list") == {"Status": ["🟢 On track", ""], "Health": ["🔴 At risk", ""]}
