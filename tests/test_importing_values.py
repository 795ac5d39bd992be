"""Value parsers: properties over many inputs, plus the codes and section labels of legacy files."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wehoplan.importing.values import (
    fiscal_quarter_end,
    parse_code,
    parse_date,
    parse_progress,
    split_section,
)


@given(st.dates(min_value=dt.date(1950, 1, 1), max_value=dt.date(2100, 12, 31)))
def test_every_real_date_reads_back_in_iso_and_us_form(d):
    assert parse_date(d.isoformat()) == d
    assert parse_date(f"{d.month}/{d.day}/{d.year}") == d


@given(st.integers(min_value=0, max_value=10_000).map(lambda x: x / 100))  # spreadsheets hold 2 decimals
def test_progress_forms_agree(p):
    assert parse_progress(p) == pytest.approx(p)
    assert parse_progress(f"{p}%") == pytest.approx(p)
    assert parse_progress(p / 100, percent_formatted=True) == pytest.approx(p)


@given(st.floats(min_value=100.001, max_value=1e9, allow_nan=False) | st.floats(max_value=-0.001, min_value=-1e9))
def test_progress_out_of_range_is_refused(p):
    with pytest.raises(ValueError, match="out of range"):
        parse_progress(p)


@pytest.mark.parametrize(("start", "expected"), [(7, dt.date(2020, 3, 31)), (10, dt.date(2020, 6, 30)),
                                                (1, dt.date(2020, 9, 30))])
def test_fiscal_quarters_follow_the_setting(start, expected):
    assert fiscal_quarter_end(2020, 3, start) == expected
    assert parse_date("FY2020 Q3", start) == expected


@pytest.mark.parametrize(("raw", "code"), [
    ("Objective 1.2", "1.2"), ("1.2.3.", "1.2.3"), ("Goal 2", "2"), ("Action Item #1.2", "1.2"), (3.0, "3"),
    ("Strategy 1 .2", "1.2"), ("  ", None),
])
def test_codes(raw, code):
    assert parse_code(raw) == code


@pytest.mark.parametrize(("label", "expected"), [
    ("GOAL 1: SAFE STREETS", ("1", "SAFE STREETS")), ("Goal 2 - Safe Streets", ("2", "Safe Streets")),
    ("3. Open data", ("3", "Open data")), ("Mobility", (None, "Mobility")),
])
def test_section_labels(label, expected):
    assert split_section(label) == expected
