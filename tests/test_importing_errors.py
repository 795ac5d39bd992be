"""Every bad input is rejected with a message that says what to fix, and nothing is written."""

from __future__ import annotations

import io
import zipfile

import pytest
from importing_helpers import counts, xlsx

from wehoplan.db import make_engine
from wehoplan.importing import import_files
from wehoplan.importing.reading import FileRejected, read_source

GOOD = xlsx({"P": [["Code", "Title", "Status"], ["1", "Goal", None], ["1.1", "Act", "on track"]]})


def _zip(parts: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return buf.getvalue()


def _with_sheet_xml(xml: bytes) -> bytes:
    """GOOD with its first worksheet replaced."""
    src = zipfile.ZipFile(io.BytesIO(GOOD))
    parts = {n: src.read(n) for n in src.namelist()}
    parts["xl/worksheets/sheet1.xml"] = xml
    return _zip(parts)


HOSTILE_DIM = _with_sheet_xml(
    b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    b'<dimension ref="A1:XFD1048576"/><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>Code</t></is></c></row>'
    b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData></worksheet>')
BOMB = _zip({"xl/workbook.xml": b"<workbook/>", "xl/worksheets/sheet1.xml": b"<a>" + b" " * 30_000_000 + b"</a>"})
MANY_PARTS = _zip({"xl/workbook.xml": b"<workbook/>", **{f"xl/media/x{i}.bin": b"" for i in range(2500)}})
ODS = _zip({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": b"<x/>"})
XLS = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("corrupt.xlsx", b"PK\x03\x04 this is not really a zip file at all", "corrupt or truncated"),
        ("truncated.xlsx", GOOD[: len(GOOD) // 2], "corrupt or truncated"),
        ("plan.ods", ODS, "save it as .xlsx"),
        ("plan.xls", XLS, "save it as .xlsx"),
        ("encrypted.xlsx", XLS, "password-protected"),
        ("plan.pdf", b"%PDF-1.4 ...", "unsupported file type"),
        ("huge-dimension.xlsx", HOSTILE_DIM, "reaches cell XFD1048576"),
        ("bomb.xlsx", BOMB, "zip bomb"),
        ("parts.xlsx", MANY_PARTS, "parts"),
    ],
)
def test_unreadable_or_hostile_files_are_refused(empty_url, name, data, message):
    rep = import_files(make_engine(empty_url), [(name, data)], plan_name="X")
    assert not rep.ok
    assert message in rep.errors[0].message
    assert rep.errors[0].file == name
    assert all(n == 0 for n in counts(empty_url).values())


def test_hostile_dimension_is_refused_before_any_reader_allocates():
    # The guard is what refuses it (a dense reader would allocate gigabytes for this 1 KB file).
    with pytest.raises(FileRejected, match="XFD1048576"):
        read_source(("x.xlsx", HOSTILE_DIM))


CSV_HEAD = "Code,Title,Status,Progress,Due\n"


@pytest.mark.parametrize(
    ("rows", "row", "column", "value", "message"),
    [
        ("1,Goal,,,\n1.1,A,on track,10,\n1.1,B,on track,20,\n", 4, None, "1.1", "duplicate code 1.1 (also on sheet"),
        ("1,Goal,,,\n3.1,A,on track,10,\n", 3, None, "3.1", "orphan code 3.1: no item 3"),
        ("1,Goal,,,\n1.1,,on track,10,\n", 3, None, "1.1", "missing title"),
        ("1,Goal,,,\n1.1,A,kinda ok,10,\n", 3, "C (Status)", "kinda ok", "accepted: "),
        ("1,Goal,,,\n1.1,A,on track,150,\n", 3, "D (Progress)", "150", "out of range"),
        ("1,Goal,,,\n1.1,A,on track,-5,\n", 3, "D (Progress)", "-5", "out of range"),
        ("1,Goal,,,\n1.1,A,on track,10,someday\n", 3, "E (Due)", "someday", "not a date; accepted: an Excel date"),
        ("1,Goal,,,\n1.1,A,on track,10,2/30/2020\n", 3, "E (Due)", "2/30/2020", "not a real date"),
    ],
)
def test_bad_cells_are_rejected_with_their_location(empty_url, rows, row, column, value, message):
    rep = import_files(make_engine(empty_url), [("bad.csv", (CSV_HEAD + rows).encode())], plan_name="X")
    assert not rep.ok
    p = rep.errors[0]
    assert (p.sheet, p.row, p.column, p.value) == ("bad", row, column, value)
    assert message in p.message
    assert all(n == 0 for n in counts(empty_url).values())
    assert "nothing was written" in rep.lines()[-1]


def test_unknown_status_lists_accepted_words(empty_url):
    rep = import_files(make_engine(empty_url), [("s.csv", (CSV_HEAD + "1,A,meh,,\n").encode())])
    assert "on hold" in rep.errors[0].message and "in progress" in rep.errors[0].message


def test_every_problem_is_reported_not_just_the_first(empty_url):
    rows = "1,Goal,,,\n1.1,A,meh,10,\n1.2,B,on track,200,\n1.3,C,on track,10,never\n"
    rep = import_files(make_engine(empty_url), [("bad.csv", (CSV_HEAD + rows).encode())], plan_name="X")
    assert [p.row for p in rep.errors] == [3, 4, 5]


def test_rejection_leaves_an_existing_plan_untouched(fresh_url):
    before = counts(fresh_url)
    bad = "Code,Title,Status\n1,Changed title,on track\n1.1,x,nonsense\n"
    rep = import_files(make_engine(fresh_url), [("b.csv", bad.encode())],
                       plan_name="WeHo Smart City Strategic Plan 2018")
    assert not rep.ok
    assert counts(fresh_url) == before


def test_no_table_found_says_how_to_fix(empty_url):
    rep = import_files(make_engine(empty_url), [("notes.csv", b"hello\nworld\n")])
    assert not rep.ok and "the file holds no table" in rep.errors[0].message
    rep = import_files(make_engine(empty_url), [("fr.csv", "Plan\nNom;Échéance\nA;2020-01-01\n".encode())])
    assert not rep.ok
    assert "most header-like row is sheet 'fr' row 2: Nom, Échéance" in rep.errors[0].message
    assert '{"Nom": "...", "Échéance": "..."}' in rep.errors[0].message and "--mapping" in rep.errors[0].message
    assert all(n == 0 for n in counts(empty_url).values())


def test_future_update_dates_are_refused_unless_allowed(empty_url):
    from wehoplan.config import load_config

    eng = make_engine(empty_url)
    data = b"Code,Title,Status,As of\n1,A,on track,2190-01-31\n"
    rep = import_files(eng, [("f.csv", data)], plan_name="F")
    assert not rep.ok and rep.errors[0].column == "D (As of)" and "in the future" in rep.errors[0].message
    rep = import_files(eng, [("f.csv", data.replace(b"2190-01-31", b""))], plan_name="F", as_of="2190-01-01")
    assert not rep.ok and "as-of date is in the future" in rep.errors[0].message
    assert all(n == 0 for n in counts(empty_url).values())
    allowed = load_config({"WEHOPLAN_ALLOW_FUTURE_UPDATES": "true"})
    assert import_files(eng, [("f.csv", data)], plan_name="F", config=allowed).ok


def test_fraction_progress_in_csv_warns(empty_url):
    data = b"Code,Title,Progress\n1,A,0.45\n2,B,1\n"
    rep = import_files(make_engine(empty_url), [("f.csv", data)], plan_name="F", as_of="2020-01-01")
    assert rep.ok and any("between 0 and 1" in w.message for w in rep.warnings)


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

    from wehoplan.importing.guard import FileRejected, _guard_sheet_part

    xml = (b'<worksheet><dimension ref="A1:B2"/><sheetData><row r="1"><c r="A1"><v>1</v></c></row>' + body
           + b'</sheetData></worksheet>')
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("xl/worksheets/sheet1.xml", xml)
    zf = zipfile.ZipFile(buf)
    info = zf.getinfo("xl/worksheets/sheet1.xml")
    if reaches is None:
        _guard_sheet_part(zf, info.filename, "f.xlsx")
    else:
        with pytest.raises(FileRejected, match=f"reaches cell {reaches}"):
            _guard_sheet_part(zf, info.filename, "f.xlsx")
