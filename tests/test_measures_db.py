"""Measures in the database (SQLite and PostgreSQL): append-only values, access, import, extract, CLI."""

import datetime as dt
import io
import json

import openpyxl
import pandas as pd
import pytest
from sqlalchemy import exc, select, text
from sqlalchemy.orm import Session

from tests.importing_helpers import xlsx
from wehoplan import measures, repository
from wehoplan.access import AccessDenied, Principal
from wehoplan.cli import main
from wehoplan.db import make_engine
from wehoplan.measures.importing import import_values
from wehoplan.models import AppendOnlyError, Measure, MeasureValue, Person

INNOVATIONS = "WeHoX Innovations Annual Report 2015"
TODAY = dt.date(2026, 1, 1)


def _plan(engine):
    return repository.resolve_plan(engine, INNOVATIONS)


def _measures(engine):
    return measures.load_measures(engine, _plan(engine).id)


def _count(engine) -> int:
    with engine.connect() as c:
        return c.execute(text("SELECT COUNT(*) FROM measure_values")).scalar()


def test_measure_values_are_append_only_in_the_database_and_the_orm(fresh_url):
    engine = make_engine(fresh_url)
    for sql in ("UPDATE measure_values SET value = 1", "DELETE FROM measure_values"):
        with pytest.raises(exc.DatabaseError, match="append-only"), engine.begin() as c:
            c.execute(text(sql))
    with Session(engine) as s:
        v = s.scalars(select(MeasureValue).limit(1)).one()
        v.value = 42.0
        with pytest.raises(AppendOnlyError):
            s.flush()
    with Session(engine) as s:
        s.delete(s.scalars(select(MeasureValue).limit(1)).one())
        with pytest.raises(AppendOnlyError):
            s.flush()


def test_a_correction_is_a_new_row_and_wins_and_is_audited(fresh_url):
    engine = make_engine(fresh_url)
    m = measures.resolve_measure(_measures(engine), "EV charging").to_dict()
    before = _count(engine)
    measures.record_value(engine, m, period="2016-11-02", value="1,500", author="Ana", today=TODAY)
    measures.record_value(engine, m, period="2016-12-31", value=1600, note="recount", author="Ben", today=TODAY)
    assert _count(engine) == before + 2
    data = measures.load_measure_data(engine, _plan(engine).id)
    row = measures.measure_table(data, "2016-12-31").set_index("name").loc["Public EV charging ports"]
    assert row["value"] == 1600 and row["note"] == "recount"
    with engine.connect() as c:
        trail = c.execute(text("SELECT author, new_value FROM audit WHERE entity = 'measure' ORDER BY id")).all()
    assert [tuple(r) for r in trail[-2:]] == [("Ana", "2016-12-31: 1500"), ("Ben", "2016-12-31: 1600 (recount)")]


def test_bad_values_are_refused_with_every_reason_and_nothing_is_written(fresh_url):
    engine = make_engine(fresh_url)
    m = measures.resolve_measure(_measures(engine), "EV charging").to_dict()
    before = _count(engine)
    with pytest.raises(measures.MeasureError) as e:
        measures.record_value(engine, m, period="not a date", value="lots", author="Ana", today=TODAY)
    assert len(e.value.problems) == 2
    with pytest.raises(measures.MeasureError, match="has not begun"):
        measures.record_value(engine, m, period="2030-01-01", value=1, author="Ana", today=TODAY)
    with pytest.raises(measures.MeasureError, match="takes no value"):
        measures.record_value(engine, m, period="2016-12-31", value=1, not_applicable=True, author="Ana",
                              today=TODAY)
    assert _count(engine) == before


def test_who_may_record_a_measure(fresh_url):
    engine = make_engine(fresh_url)
    plan = _plan(engine)
    ms = _measures(engine)
    m = measures.resolve_measure(ms, "EV charging").to_dict()
    with Session(engine) as s, s.begin():
        owner = Person(name="Ev Owner")
        s.add(owner)
        s.flush()
        s.get_one(Measure, m["id"]).owner_id = owner.id
        owner_id = owner.id
    viewer_owner = Principal(email="ev@city.gov", name="Ev", roles={plan.id: "viewer"}, person_id=owner_id)
    viewer = Principal(email="v@city.gov", name="V", roles={plan.id: "viewer"})
    updater = Principal(email="u@city.gov", name="U", roles={plan.id: "updater"}, person_id=None)
    stranger = Principal(email="s@city.gov", name="S", roles={})
    measures.record_value(engine, m, period="2016-12-31", value=1, author=viewer_owner, today=TODAY)
    for who in (viewer, updater, stranger):
        with pytest.raises(AccessDenied):
            measures.record_value(engine, m, period="2016-12-31", value=2, author=who, today=TODAY)
    editor = Principal(email="e@city.gov", name="E", roles={plan.id: "editor"})
    measures.record_value(engine, m, period="2016-12-31", value=3, author=editor, today=TODAY)
    with pytest.raises(AccessDenied):
        measures.set_target(engine, m["id"], period="2017-01-01", value=10, author=viewer_owner)
    measures.set_target(engine, m["id"], period="2017-01-01", value=10, author=editor)


def _import(engine, rows, name="values.xlsx", **kw):
    return import_values(engine, (name, xlsx({"Values": rows})), _plan(engine).id, "Ana", today=TODAY, **kw)


def test_import_long_layout(fresh_url):
    engine = make_engine(fresh_url)
    before = _count(engine)
    res = _import(engine, [["Measure", "Period", "Value", "Note"],
                           ["Public EV charging ports", "2017-12-31", 2000, "new chargers"],
                           ["Datasets on the open data portal", dt.date(2017, 12, 31), "1,234", None],
                           ["Public Wi-Fi sites", "2017-12-31", "n/a", None]])
    assert res.ok, res.lines()
    assert (res.layout, res.saved) == ("long", 3)
    assert _count(engine) == before + 3
    again = _import(engine, [["Measure", "Period", "Value"], ["Public EV charging ports", "2017-12-31", 2000]])
    assert again.ok and (again.saved, again.skipped) == (0, 1)  # re-importing adds nothing


def test_import_wide_layout(fresh_url):
    engine = make_engine(fresh_url)
    before = _count(engine)
    res = _import(engine, [["Measure", "2016 Q4", "Q1 2017", dt.date(2017, 6, 30)],
                           ["Public EV charging ports", 1500, 1550, None],
                           ["Office vacancy rate", "14.5%", "n/a", 13]])
    assert res.ok, res.lines()
    assert (res.layout, res.saved) == ("wide", 5)
    assert _count(engine) == before + 5


def test_a_bad_file_is_refused_whole_with_row_numbers_and_nothing_written(fresh_url):
    engine = make_engine(fresh_url)
    before = _count(engine)
    res = _import(engine, [["Title: measure values 2017"], ["Measure", "Period", "Value"],
                           ["Public EV charging ports", "2017-12-31", 2000],
                           ["No such measure", "2017-12-31", 5],
                           ["Office vacancy rate", "2017-12-31", "about ten"],
                           ["Public EV charging ports", "2017-11-30", 2001]])
    assert not res.ok
    assert [(p.row, p.column) for p in res.problems] == [(4, "measure"), (5, "value"), (6, "period")]
    assert "row 5, value" in res.lines()[1] and "'about ten' is not a number" in res.lines()[1]
    assert "the same measure and period as row 3" in res.lines()[2]
    assert _count(engine) == before
    # A file that is not a measure table at all.
    res = _import(engine, [["Code", "Title"], ["1", "x"]])
    assert not res.ok and "Measure" in res.lines()[0]
    assert _count(engine) == before


def _cli(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_record_and_list(fresh_url, capsys):
    code, _, err = _cli(capsys, "measures", "record", "EV charging", "--db", fresh_url, "--plan", "innov",
                        "--period", "2016-12-31", "--value", "99999", "--author", "Ana")
    assert code == 0, err
    code, out, _ = _cli(capsys, "measures", "--db", fresh_url, "--plan", "innov", "--as-of", "2016-12-31",
                        "--format", "json")
    rows = {r["name"]: r for r in json.loads(out)["measures"]}
    assert rows["Public EV charging ports"]["value"] == 99999 and rows["Public EV charging ports"]["status"] == \
        "on_target"
    code, _, err = _cli(capsys, "measures", "record", "zzz", "--db", fresh_url, "--plan", "innov",
                        "--period", "2016-12-31", "--value", "1", "--author", "Ana")
    assert code == 1 and len(err.strip().splitlines()) == 1 and "no measure matches" in err


def test_extract_round_trip(fresh_url, tmp_path, capsys):
    out = tmp_path / "x.xlsx"
    assert _cli(capsys, "export", str(out), "--db", fresh_url, "--plan", "innov", "--as-of", "2016-12-31")[0] == 0
    wb = openpyxl.load_workbook(io.BytesIO(out.read_bytes()), read_only=True)
    assert wb.sheetnames[-3:] == ["Measures", "Measure values", "About"]
    engine = make_engine(fresh_url)
    before = _count(engine)
    res = import_values(engine, out, _plan(engine).id, "Ana", sheet="Measure values", today=TODAY)
    assert res.ok and res.saved == 0 and res.skipped > 100  # the sheet imports back unchanged
    assert _count(engine) == before


def test_a_measure_s_own_caution_band_from_the_cli_changes_its_status_and_only_an_editor_sets_it(fresh_url, capsys):
    engine = make_engine(fresh_url)
    plan = _plan(engine)
    common = ("--db", fresh_url, "--plan", "innov")

    def status_of(name: str) -> str:
        code, out, err = _cli(capsys, "measures", *common, "--as-of", "2016-12-31", "--format", "json")
        assert code == 0, err
        return {r["name"]: r for r in json.loads(out)["measures"]}[name]["status"]

    table = measures.measure_table(measures.load_measure_data(engine, plan.id), pd.Timestamp("2016-12-31"), 0.10)
    name = table.loc[table["status"] == "off_target", "name"].iloc[0]
    code, _, err = _cli(capsys, "measures", "tolerance", name, *common, "--percent", "100", "--author", "Ana")
    assert code == 0 and "caution band set to 100 %" in err
    assert status_of(name) == "caution"
    code, _, err = _cli(capsys, "measures", "tolerance", name, *common, "--percent", "150", "--author", "Ana")
    assert code == 1 and err.strip() == "error: the caution band is a percent of the target from 0 to 100, not 150"
    assert status_of(name) == "caution"
    code, _, err = _cli(capsys, "measures", "tolerance", name, *common, "--default", "--author", "Ana")
    assert code == 0 and status_of(name) == "off_target"
    m = int(measures.resolve_measure(_measures(engine), name)["id"])
    viewer = Principal(email="v@city.gov", name="V", roles={plan.id: "viewer"})
    with pytest.raises(AccessDenied):
        measures.set_tolerance(engine, m, percent=20, author=viewer)
    fields = repository.audit_frame(engine, entities=["measure"])[["field", "old_value", "new_value"]].fillna("")
    assert fields.head(2).values.tolist() == [["tolerance", "100 %", ""], ["tolerance", "", "100 %"]]
