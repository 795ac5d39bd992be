"""The import's rules, for every way of writing the rows (the sqlite3 driver's executemany, SQLAlchemy Core).

What a user notices: the plan holds the rows the file asks for, re-importing adds nothing,
a later dated import adds one update per reported leaf, dates read back as dates, undo
removes everything, and importing never pauses other sessions' garbage collector.
"""

from __future__ import annotations

import datetime as dt
import gc
import sqlite3
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from wehoplan import exporting, repository
from wehoplan.db import create_schema, make_engine
from wehoplan.demo import build_demo
from wehoplan.domain import code_sort_key, is_blank
from wehoplan.generate import generate_plan
from wehoplan.importing import CoreWriter, SQLiteDriverWriter, analyse, import_files, undo_import
from wehoplan.importing.load import leaf_state
from wehoplan.importing.parse import Node
from wehoplan.importing.tree import outline_key_fn
from wehoplan.importing.values import text
from wehoplan.models import Item, Update
from wehoplan.rollup import prepare_tree, rollup_table

AS_OF = dt.date(2026, 6, 30)
WRITERS = {"sqlite-driver": SQLiteDriverWriter(), "core": CoreWriter()}


@pytest.fixture(params=list(WRITERS))
def writer(request):
    """Each write path in turn: every test below holds for both."""
    return WRITERS[request.param]


@pytest.fixture(scope="module")
def workbooks(tmp_path_factory) -> dict[str, Path]:
    """Extracts of both demo plans and of a generated plan, as the files people re-import."""
    d = tmp_path_factory.mktemp("wb")
    eng = make_engine(f"sqlite:///{d / 'src.db'}")
    create_schema(eng)
    build_demo(eng)
    generate_plan(eng, 300, 2, seed=3, name="Generated")
    out = {}
    for k, name in enumerate(repository.list_plans(eng)["name"]):
        plan = repository.resolve_plan(eng, name)
        ext = exporting.build_extract(repository.load_items(eng, plan.id), repository.load_updates(eng, plan.id),
                                      plan, AS_OF)
        out[name] = d / f"plan{k}.xlsx"
        exporting.write_xlsx(ext, out[name])
    eng.dispose()
    return out


def _iso(d):
    return None if d is None else d.isoformat()


def test_new_items_and_updates_are_the_rows_the_file_asks_for(tmp_path, workbooks, writer):
    """Row by row, what the write stores is what analyse() read (fields, tree, leaf state, audit)."""
    eng = make_engine(f"sqlite:///{tmp_path / 'rows.db'}")
    create_schema(eng)
    for k, path in enumerate(workbooks.values()):
        plan = f"Plan {k}"
        assert import_files(eng, path, plan_name=plan, as_of=AS_OF, writer=writer).ok
        an = analyse([path])
        want = {}
        for order, n in enumerate(an.parsed.nodes):
            f = n.fields
            u = None if n.children else leaf_state(n, AS_OF)
            want[n.code] = (n.parent.code if n.parent else None, n.title, f.get("owner"), f.get("department"),
                            f.get("smart") or "", _iso(f.get("start")), _iso(f.get("due")),
                            float(f.get("weight", 1.0)), order,
                            None if u is None else (u["as_of"].isoformat(), u["status"], u["progress"], u["comment"],
                                                   f"import: {path.name}", 1))
        con = sqlite3.connect(tmp_path / "rows.db")
        got = {}
        for row in con.execute(
            """SELECT i.code, p.code, i.title, o.name, d.name, i.smart, i.start, i.due, i.weight, i.sort_order,
                      u.as_of, u.status, u.progress, u.comment, u.source,
                      (SELECT COUNT(*) FROM audit a WHERE a.entity = 'item' AND a.entity_id = i.id
                        AND a.action = 'create' AND a.new_value = i.code AND a.batch_id = u.batch_id)
               FROM items i JOIN plans pl ON pl.id = i.plan_id LEFT JOIN items p ON p.id = i.parent_id
               LEFT JOIN people o ON o.id = i.owner_id LEFT JOIN departments d ON d.id = i.lead_department_id
               LEFT JOIN updates u ON u.item_id = i.id WHERE pl.name = ?""", (plan,)):
            got[row[0]] = (*row[1:10], None if row[10] is None else tuple(row[10:]))
        con.close()
        assert got == want
        assert sum(v[-1] is not None for v in got.values()) > 30


def test_reimport_adds_nothing_and_a_later_date_adds_one_update_per_reported_leaf(tmp_path, workbooks, writer):
    eng = make_engine(f"sqlite:///{tmp_path / 'again.db'}")
    create_schema(eng)
    added = 0
    for name, path in workbooks.items():
        first = import_files(eng, path, plan_name=name, as_of=AS_OF, writer=writer)
        assert first.ok and first.items_created > 20 and first.updates_added > 10
        again = import_files(eng, path, plan_name=name, writer=writer)
        assert (again.ok, again.items_created, again.items_updated, again.updates_added) == (True, 0, 0, 0)
        later = import_files(eng, path, plan_name=name, as_of=AS_OF + dt.timedelta(days=31), writer=writer)
        assert (later.items_created, later.items_updated) == (0, 0)
        # The extract's leaves carry their own update dates only where the plan had one.
        an = analyse([path])
        undated = sum(1 for n in an.parsed.nodes if not n.children and n.state and "as_of" not in n.state)
        assert later.updates_added == undated
        added += later.updates_added
    assert added > 100  # the generated plan's leaves have no update dates of their own


def test_importing_an_extract_onto_its_own_plan_keeps_the_rollup(tmp_path, workbooks, writer):
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    eng = make_engine(url)
    build_demo(eng)
    for name, path in workbooks.items():
        if name == "Generated":
            continue
        plan = repository.resolve_plan(eng, name)
        before = rollup_table(prepare_tree(repository.load_items(eng, plan.id)), repository.load_updates(eng, plan.id),
                              pd.Timestamp(AS_OF))
        rep = import_files(eng, path, plan_name=name, as_of=AS_OF, writer=writer)
        assert rep.ok and rep.items_created == 0
        after = rollup_table(prepare_tree(repository.load_items(eng, plan.id)), repository.load_updates(eng, plan.id),
                             pd.Timestamp(AS_OF))
        cols = ["code", "progress", "status", "n_leaves"]
        pd.testing.assert_frame_equal(after[cols], before[cols])


def test_dates_read_back_as_dates_and_undo_removes_the_batch(empty_url, writer):
    data = (b"Code,Title,Status,% Complete,Start,Due Date,Update date\n"
            b"1,Roads,,,2020-01-15,2022-06-30,\n"
            b"1.1,Fix potholes,on track,40,2020-02-01,2021-03-31,2020-09-30\n")
    eng = make_engine(empty_url)
    rep = import_files(eng, [("d.csv", data)], plan_name="Dates", writer=writer)
    assert rep.ok and rep.updates_added == 1
    with Session(eng) as s:
        item = s.query(Item).filter_by(code="1.1").one()
        update = s.query(Update).filter_by(item_id=item.id).one()
        assert (item.start, item.due, update.as_of) == (dt.date(2020, 2, 1), dt.date(2021, 3, 31),
                                                        dt.date(2020, 9, 30))
    undo_import(eng, rep.batch_id)
    with Session(eng) as s:
        assert s.query(Item).count() == 0 and s.query(Update).count() == 0


def test_importing_never_pauses_the_garbage_collector(empty_url, workbooks):
    """A Streamlit server runs every session in one process: an import must leave collection on throughout."""
    seen: list[bool] = []
    path = next(iter(workbooks.values()))
    assert gc.isenabled()
    rep = import_files(make_engine(empty_url), path, plan_name="One", as_of=AS_OF,
                       progress=lambda _f: seen.append(gc.isenabled()))
    assert rep.ok and len(seen) >= 3 and all(seen)
    assert gc.isenabled()


cells = st.one_of(
    st.none(), st.text(), st.text(alphabet=" \t\n\u00a0\u2003\x1cab.1"), st.integers(), st.booleans(),
    st.floats(allow_nan=True), st.datetimes(), st.dates(),
)


@given(cells)
def test_a_cell_is_text_unless_blank_and_its_whitespace_is_collapsed(value):
    got = text(value)
    assert (got is None) == is_blank(value)
    if isinstance(value, str) and got is not None:
        assert got == " ".join(value.split())
    if isinstance(value, float) and value == value and value.is_integer() and abs(value) < 1e15:
        assert got == str(int(value))


def test_cell_text_of_numbers_and_dates():
    assert [text(3.0), text(2.5), text(7), text(True)] == ["3", "2.5", "7", "True"]
    assert text(dt.datetime(2020, 6, 30)) == "2020-06-30"
    assert text(dt.datetime(2020, 6, 30, 9, 5)) == "2020-06-30 09:05:00"
    assert text(dt.date(2020, 6, 30)) == "2020-06-30"


@given(st.lists(st.one_of(st.none(), st.from_regex(r"[0-9A-Za-z ]{0,3}(\.[0-9A-Za-z ]{0,3}){0,4}", fullmatch=True)),
                max_size=30))
def test_items_come_in_outline_order(codes):
    """Outline order is the domain's rule ("1.10" after "1.9"; text parts after numbers)."""
    nodes = [Node(code=c, title="t") for c in codes]
    assert ([n.code for n in sorted(nodes, key=outline_key_fn())]
            == [n.code for n in sorted(nodes, key=lambda n: code_sort_key(n.code or ""))])
