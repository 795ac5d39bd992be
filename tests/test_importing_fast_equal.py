"""The import's fast paths give exactly what the plain paths give.

The SQLite driver-level write is compared with SQLAlchemy's Core insert on the demo plans
and a generated plan (new plan, re-import, update of an existing plan); the cell helpers
and the outline sort key are compared with the code they replaced.
"""

from __future__ import annotations

import datetime as dt
import gc
import importlib
import re
import sqlite3
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wehoplan import exporting, repository
from wehoplan.db import create_schema, make_engine
from wehoplan.demo import build_demo
from wehoplan.domain import code_sort_key
from wehoplan.generate import generate_plan
from wehoplan.importing import analyse, import_files
from wehoplan.importing.load import leaf_state
from wehoplan.importing.parse import Node, _outline_key_fn
from wehoplan.importing.values import is_blank, text

# The package exports a function named load, which hides the module of the same name.
load_module = importlib.import_module("wehoplan.importing.load")
AS_OF = dt.date(2026, 6, 30)


def _dump(db: Path) -> dict[str, list]:
    """Every table's rows, sorted, without the clock columns."""
    con = sqlite3.connect(db)
    out = {}
    for (t,) in con.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name"):
        cur = con.execute(f"SELECT * FROM {t}")  # noqa: S608 - names from the schema
        cols = [c[0] for c in cur.description]
        keep = [i for i, c in enumerate(cols) if c not in ("created_at", "at", "undone_at")]
        out[t] = sorted(([(cols[i], r[i], type(r[i]).__name__) for i in keep] for r in cur), key=repr)
    con.close()
    return out


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


def _run(tmp_path: Path, name: str, fast: bool, files: dict[str, Path], monkeypatch, demo: bool) -> dict:
    monkeypatch.setattr(load_module, "FAST_SQLITE_WRITE", fast)
    db = tmp_path / f"{name}-{fast}.db"
    eng = make_engine(f"sqlite:///{db}")
    create_schema(eng)
    if demo:
        build_demo(eng)
    reports = []
    for plan, path in files.items():
        reports.append(import_files(eng, path, plan_name=plan if demo else f"Imported {plan}", as_of=AS_OF).to_dict())
        # Again, undated: nothing new; then with a later date: new updates for existing items.
        reports.append(import_files(eng, path, plan_name=plan if demo else f"Imported {plan}").to_dict())
        reports.append(import_files(eng, path, plan_name=plan if demo else f"Imported {plan}",
                                    as_of=AS_OF + dt.timedelta(days=31)).to_dict())
    eng.dispose()
    return {"reports": reports, "db": _dump(db)}


@pytest.mark.parametrize("demo", [False, True], ids=["new-plans", "update-existing"])
def test_fast_write_stores_what_the_core_insert_stores(tmp_path, monkeypatch, workbooks, demo):
    fast = _run(tmp_path, "x", True, workbooks, monkeypatch, demo)
    plain = _run(tmp_path, "x", False, workbooks, monkeypatch, demo)
    assert fast["reports"] == plain["reports"]
    assert all(r["ok"] for r in fast["reports"])
    assert sum(r["items_created"] + r["items_updated"] for r in fast["reports"]) > 300
    assert sum(r["updates_added"] for r in fast["reports"]) > 300
    assert fast["db"].keys() == plain["db"].keys()
    for table in fast["db"]:
        assert fast["db"][table] == plain["db"][table], table


def test_import_leaves_the_garbage_collector_as_it_was(tmp_path, workbooks):
    eng = make_engine(f"sqlite:///{tmp_path / 'gc.db'}")
    create_schema(eng)
    path = next(iter(workbooks.values()))
    assert gc.isenabled()
    assert import_files(eng, path, plan_name="One", as_of=AS_OF).ok
    assert gc.isenabled()
    gc.disable()
    try:
        assert import_files(eng, path, plan_name="Two", as_of=AS_OF).ok
        assert not gc.isenabled()
    finally:
        gc.enable()


# The cell helpers as they were before their fast paths.
_WS = re.compile(r"\s+")


def _old_is_blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and value != value:
        return True
    return isinstance(value, str) and not value.strip()


def _old_text(value: object) -> str | None:
    if _old_is_blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    s = str(value)
    if s.isprintable() and "  " not in s:
        return s.strip()
    return _WS.sub(" ", s).strip()


cells = st.one_of(
    st.none(), st.text(), st.text(alphabet=" \t\n\u00a0\u2003\x1cab.1"), st.integers(), st.booleans(),
    st.floats(allow_nan=True), st.datetimes(), st.dates(),
)


@given(cells)
def test_cell_helpers_match_the_previous_code(value):
    assert is_blank(value) == _old_is_blank(value)
    assert text(value) == _old_text(value)


@given(st.lists(st.one_of(st.none(), st.from_regex(r"[0-9A-Za-z ]{0,3}(\.[0-9A-Za-z ]{0,3}){0,4}", fullmatch=True)),
                max_size=30))
def test_outline_order_matches_code_sort_key(codes):
    nodes = [Node(code=c, title="t") for c in codes]
    assert ([n.code for n in sorted(nodes, key=_outline_key_fn())]
            == [n.code for n in sorted(nodes, key=lambda n: code_sort_key(n.code or ""))])


def test_new_items_and_updates_are_the_rows_the_file_asks_for(tmp_path, workbooks):
    """Row by row, what the write stores is what analyse() read (fields, tree, leaf state)."""
    eng = make_engine(f"sqlite:///{tmp_path / 'rows.db'}")
    create_schema(eng)
    for k, path in enumerate(workbooks.values()):
        plan = f"Plan {k}"
        assert import_files(eng, path, plan_name=plan, as_of=AS_OF).ok
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


def _iso(d):
    return None if d is None else d.isoformat()


@pytest.mark.parametrize(("body", "reaches"), [
    (b'<row r="2"><c r="B2"><v>1</v></c></row>', None),
    (b'<row r="2"><c r="B2"><v>1</v></c></row><row r="900000"/>', "B900000"),
    (b'<row r="2"><x:c s="1" r="ZZ2"><v>1</v></x:c></row>', "ZZ2"),
    (b'<row r="2" spans="1:2"><c r="C250000"><v>1</v></c></row>', "C250000"),
])
def test_guard_reads_the_largest_cell_and_row_reference(body, reaches):
    """A declared dimension can lie: the largest real reference decides (cells and empty rows alike)."""
    import io
    import zipfile

    from wehoplan.importing.reading import FileRejected, _guard_sheet_xml

    xml = (b'<worksheet><dimension ref="A1:B2"/><sheetData><row r="1"><c r="A1"><v>1</v></c></row>' + body
           + b'</sheetData></worksheet>')
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("xl/worksheets/sheet1.xml", xml)
    zf = zipfile.ZipFile(buf)
    info = zf.getinfo("xl/worksheets/sheet1.xml")
    if reaches is None:
        _guard_sheet_xml(zf, info, "f.xlsx")
    else:
        with pytest.raises(FileRejected, match=f"reaches cell {reaches}"):
            _guard_sheet_xml(zf, info, "f.xlsx")
