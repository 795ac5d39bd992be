"""Dates a plan cannot hold are refused at every entrance; 9999-12-31 as a due date means no due date."""

from __future__ import annotations

import datetime as dt

import pytest
from importing_helpers import counts, xlsx

from wehoplan import editing, repository
from wehoplan.cli import main
from wehoplan.db import make_engine
from wehoplan.demo import SMART_CITY
from wehoplan.editing.validation import ValidationError, to_date
from wehoplan.importing import import_files
from wehoplan.importing.values import DateOutOfRange, parse_date

HEAD = "Code,Title,Status,Progress,Due,Update date\n1,Goal,,,,\n"


@pytest.mark.parametrize("value", ["0202-06-30", "1899-12-31", "2200-01-01", "9999-12-31", "6/30/0202",
                                   dt.date(202, 6, 30), dt.datetime(9999, 12, 31)])
def test_import_values_outside_the_range_are_refused(value):
    with pytest.raises(DateOutOfRange, match="outside the years 1900 to 2199"):
        parse_date(value)


def test_range_edges_are_accepted():
    assert parse_date("1900-01-01") == dt.date(1900, 1, 1)
    assert parse_date("2199-12-31") == dt.date(2199, 12, 31)


def test_an_update_dated_year_0202_is_refused_with_its_row(empty_url):
    data = (HEAD + "1.1,Act,on track,40,,0202-06-30\n").encode()
    rep = import_files(make_engine(empty_url), [("plan.csv", data)], plan_name="X")
    assert not rep.ok
    (err,) = rep.errors
    assert (err.row, err.value) == (3, "0202-06-30")
    assert "outside the years 1900 to 2199" in err.message
    assert all(n == 0 for n in counts(empty_url).values())


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_due_9999_12_31_is_no_due_date_with_a_warning(empty_url, kind):
    rows = [["Code", "Title", "Status", "Progress", "Due"], ["1", "Goal", None, None, None],
            ["1.1", "Act", "on track", 40, dt.datetime(9999, 12, 31) if kind == "xlsx" else "9999-12-31"],
            ["1.2", "Other", "on track", 10, "2026-06-30"]]
    data = (xlsx({"P": rows}) if kind == "xlsx"
            else "\n".join(",".join("" if c is None else str(c) for c in r) for r in rows).encode())
    eng = make_engine(empty_url)
    rep = import_files(eng, [(f"plan.{kind}", data)], plan_name="X", as_of=dt.date(2026, 1, 1))
    assert rep.ok, rep.errors
    assert any("9999-12-31 read as no due date in 1 row(s): 3" in w.message for w in rep.warnings)
    items = repository.load_items(eng, repository.resolve_plan(eng, "X").id).set_index("code")
    assert items.loc["1.1", "due"] is None or items.loc["1.1", "due"] != items.loc["1.1", "due"]  # blank
    # The plan still reads and rolls up (nothing stored that cannot be read back).
    assert main(["rollup", "--db", empty_url, "--plan", "X"]) == 0


def test_9999_12_31_as_a_start_or_update_date_is_an_error(empty_url):
    data = (HEAD + "1.1,Act,on track,40,,9999-12-31\n").encode()
    rep = import_files(make_engine(empty_url), [("plan.csv", data)], plan_name="X")
    assert not rep.ok
    assert "outside the years" in rep.errors[0].message


@pytest.mark.parametrize("value", ["9999-12-31", "0202-01-01", "2200-01-01"])
def test_cli_as_of_outside_the_range_is_a_usage_error(demo_url, capsys, value):
    assert main(["rollup", "--db", demo_url, "--as-of", value]) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert f"invalid date: {value} is outside the years 1900 to 2199" in err


@pytest.mark.parametrize("value", ["0202-06-30", "9999-12-31", dt.date(202, 1, 1), "2200-01-01"])
def test_form_dates_outside_the_range_are_refused(value):
    with pytest.raises(ValidationError, match="outside the years 1900 to 2199"):
        to_date(value, "due")


def test_form_keeps_reading_ordinary_dates():
    assert to_date("2026-03-01") == dt.date(2026, 3, 1)
    assert to_date(dt.datetime(2026, 3, 1, 12)) == dt.date(2026, 3, 1)
    assert to_date("") is None
    with pytest.raises(ValidationError, match="is not a date"):
        to_date("soon")


def test_an_update_in_year_0202_is_refused_by_record_update_and_nothing_is_stored(fresh_url):
    eng = make_engine(fresh_url)
    plan = repository.resolve_plan(eng, SMART_CITY)
    items = repository.load_items(eng, plan.id)
    leaf = items[~items["id"].isin(items["parent_id"].dropna())].iloc[0]
    before = counts(fresh_url)
    with pytest.raises(ValidationError, match="outside the years"):
        editing.record_update(eng, int(leaf["id"]), as_of="0202-06-30", status="on_track", progress=10,
                              author="A", expected_version=int(leaf["version"]))
    assert counts(fresh_url) == before


def test_url_as_of_outside_the_range_is_ignored(monkeypatch, demo_url):
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("WEHOPLAN_DATABASE_URL", demo_url)
    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"), default_timeout=60)
    at.query_params["as_of"] = "9999-12-31"
    at.run()
    assert not at.exception
    assert at.query_params.get("as_of") != ["9999-12-31"]
