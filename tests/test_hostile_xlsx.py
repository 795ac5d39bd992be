"""Hostile workbooks (built here with zipfile) are refused as one file with one line, never the process.

The guard parses the workbook's relationships and every sheet part they point to with a
real XML parser, so quoting, reference-less cells, long row numbers and sheets stored
outside xl/worksheets/ cannot walk around it; calamine itself runs in a child process, so
even a crash of the reader costs one refused file.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from importing_helpers import counts, xlsx

from wehoplan.db import make_engine
from wehoplan.importing import import_files, reading
from wehoplan.importing.reading import FileRejected, read_source

NS = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
GOOD = xlsx({"P": [["Code", "Title", "Status"], ["1", "Goal", None], ["1.1", "Act", "on track"]]})


def _parts(data: bytes) -> dict[str, bytes]:
    z = zipfile.ZipFile(io.BytesIO(data))
    return {n: z.read(n) for n in z.namelist()}


def _zip(parts: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return buf.getvalue()


def _sheet(body: bytes, head: bytes = b"") -> bytes:
    return (b'<?xml version="1.0"?><worksheet ' + NS + b">" + head + b"<sheetData>"
            + b'<row r="1"><c r="A1" t="inlineStr"><is><t>Code</t></is></c></row>' + body
            + b"</sheetData></worksheet>")


def _with_sheet(xml: bytes) -> bytes:
    parts = _parts(GOOD)
    parts["xl/worksheets/sheet1.xml"] = xml
    return _zip(parts)


def _outside_worksheets(xml: bytes) -> bytes:
    """GOOD with its sheet moved to xl/elsewhere/evil.xml, the workbook's rels pointing there."""
    parts = _parts(GOOD)
    del parts["xl/worksheets/sheet1.xml"]
    parts["xl/elsewhere/evil.xml"] = xml
    rels = parts["xl/_rels/workbook.xml.rels"]
    parts["xl/_rels/workbook.xml.rels"] = rels.replace(b"worksheets/sheet1.xml", b"elsewhere/evil.xml").replace(
        b"/xl/elsewhere/evil.xml", b"/xl/elsewhere/evil.xml")
    ct = parts["[Content_Types].xml"]
    parts["[Content_Types].xml"] = ct.replace(b"/xl/worksheets/sheet1.xml", b"/xl/elsewhere/evil.xml")
    return _zip(parts)


HOSTILE = {
    "single-quoted dimension": _with_sheet(_sheet(b"", b"<dimension ref='A1:XFD1048576'/>")),
    "single-quoted cell": _with_sheet(_sheet(b"<row r='2'><c r='XFD1048576'><v>1</v></c></row>")),
    "eight-digit row": _with_sheet(_sheet(b'<row r="12345678"><c><v>1</v></c></row>')),
    "eleven-digit cell": _with_sheet(_sheet(b'<row r="2"><c r="A12345678901"><v>1</v></c></row>')),
    "cells without refs": _with_sheet(_sheet(b"<row>" + b"<c><v>1</v></c>" * 600 + b"</row>")),
    "spaces around =": _with_sheet(_sheet(b'<row r = "2"><c r = "ZZZ2" ><v>1</v></c></row>')),
    "entity-encoded ref": _with_sheet(_sheet(b'<row r="2"><c r="&#88;FD2"><v>1</v></c></row>')),
    "prefixed tags": _with_sheet(
        b'<?xml version="1.0"?><x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b'<x:sheetData><x:row r="9000000"><x:c r="A9000000"><x:v>1</x:v></x:c></x:row></x:sheetData></x:worksheet>'),
    "sheet outside xl/worksheets": _outside_worksheets(_sheet(b"", b'<dimension ref="A1:XFD1048576"/>')),
    "DTD with entities": _with_sheet(
        b'<?xml version="1.0"?><!DOCTYPE w [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
        b"<worksheet " + NS + b"><sheetData/></worksheet>"),
    "DTD in the styles part": (lambda p: _zip({**p, "xl/styles.xml":
                               b'<?xml version="1.0"?><!DOCTYPE s [<!ENTITY a "aaaaaaaaaa">]><styleSheet ' + NS
                               + b'><numFmts><numFmt numFmtId="164" formatCode="&a;%"/></numFmts></styleSheet>'}))(
        _parts(GOOD)),
    "a million cell formats": (lambda p: _zip({**p, "xl/styles.xml": b'<styleSheet ' + NS + b'><cellXfs>'
                               + b'<xf numFmtId="9"/>' * 600_000 + b"</cellXfs></styleSheet>"}))(_parts(GOOD)),
    "DTD in the relationships": (lambda p: _zip({**p, "_rels/.rels": b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a '
                                 b'"x">]>' + p["_rels/.rels"].split(b"?>", 1)[-1]}))(_parts(GOOD)),
    "huge shared string count": (lambda p: _zip({**p, "xl/sharedStrings.xml":
                                 b'<sst ' + NS + b' count="99999999999" uniqueCount="99999999999"/>'}))(_parts(GOOD)),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_workbook_is_refused_by_the_guard(case):
    with pytest.raises(FileRejected) as exc:
        read_source((f"{case}.xlsx", HOSTILE[case]))
    message = str(exc.value)
    assert message.startswith(f"{case}.xlsx: ")
    assert "\n" not in message
    assert "refused" in message or "corrupt" in message


def test_sheet_outside_worksheets_is_guarded_and_a_benign_one_still_reads():
    bad = HOSTILE["sheet outside xl/worksheets"]
    with pytest.raises(FileRejected, match=r"xl/elsewhere/evil\.xml"):
        read_source(("x.xlsx", bad))
    fine = _outside_worksheets(_parts(GOOD)["xl/worksheets/sheet1.xml"])
    (sheet,) = read_source(("x.xlsx", fine)).sheets
    assert sheet.rows[2][:2] == ("1.1", "Act")


def test_hostile_workbook_is_one_refused_file_and_nothing_is_written(empty_url):
    rep = import_files(make_engine(empty_url), [("evil.xlsx", HOSTILE["eight-digit row"]),
                                                ("plan.xlsx", GOOD)], plan_name="X")
    assert not rep.ok
    assert [e.file for e in rep.errors] == ["evil.xlsx"]
    assert all(n == 0 for n in counts(empty_url).values())


def _fake_reader(tmp_path: Path, body: str) -> Path:
    script = tmp_path / "reader.py"
    script.write_text(body)
    return script


def test_a_reader_that_aborts_costs_one_refused_file(monkeypatch, tmp_path):
    """SIGABRT in the reader (what calamine does when an allocation fails) is one line, not our death."""
    monkeypatch.setattr(reading._ReaderChild, "script", _fake_reader(tmp_path, "import os\nos.abort()\n"))
    with pytest.raises(FileRejected, match=r"^plan.xlsx: refused: the spreadsheet reader stopped .*SIGABRT"):
        read_source(("plan.xlsx", GOOD))


def test_a_reader_that_hangs_is_stopped(monkeypatch, tmp_path):
    monkeypatch.setattr(reading, "READER_WALL_SECONDS", 1)
    monkeypatch.setattr(reading._ReaderChild, "script", _fake_reader(tmp_path, "import time\ntime.sleep(30)\n"))
    with pytest.raises(FileRejected, match="longer than 1 s"):
        read_source(("plan.xlsx", GOOD))


def test_the_reader_runs_under_a_memory_limit(monkeypatch, tmp_path):
    """The child caps its own address space: a reader that wants 1 GB under a 512 MB cap is refused."""
    child_dir = Path(reading.__file__).parent
    body = (f"import sys\nsys.path.insert(0, {str(child_dir)!r})\nimport reader_child as rc\n"
            "rc.read_sheets = lambda data: bytearray(1024**3)\nsys.exit(rc.main())\n")
    monkeypatch.setattr(reading._ReaderChild, "script", _fake_reader(tmp_path, body))
    monkeypatch.setattr(reading, "READER_MEMORY_BYTES", 512 * 1024 * 1024)
    with pytest.raises(FileRejected, match=r"plan\.xlsx: the workbook cannot be read \(it needs more memory"):
        read_source(("plan.xlsx", GOOD))


@pytest.mark.parametrize("case", ["single-quoted dimension", "cells without refs"])
def test_without_the_guard_the_real_reader_still_cannot_take_the_process_down(monkeypatch, case):
    """The second line alone: calamine on the hostile file, in its capped child, is one refused file."""
    monkeypatch.setattr(reading, "guard_workbook", lambda data, _name: (zipfile.ZipFile(io.BytesIO(data)), {}))
    try:
        wb = read_source(("evil.xlsx", HOSTILE[case]))
    except FileRejected as exc:
        assert str(exc).startswith("evil.xlsx: ")
    else:  # calamine coped within its limits: the rows it gives are the ones stored
        assert wb.sheets


def _sheet_part_of(data: bytes) -> tuple[zipfile.ZipFile, str]:
    zf = zipfile.ZipFile(io.BytesIO(data))
    return zf, next(n for n in zf.namelist() if n.startswith("xl/worksheets/sheet"))


# The cases whose hostile part is not a sheet in xl/worksheets/ (the walk below reads sheets).
NOT_A_SHEET = {"sheet outside xl/worksheets", "huge shared string count", "DTD in the styles part",
               "a million cell formats", "DTD in the relationships"}


@pytest.mark.parametrize("case", sorted(set(HOSTILE) - NOT_A_SHEET))
def test_the_fast_scan_never_vouches_for_a_part_the_walk_refuses(case):
    """The regex scan is only a shortcut: it must refuse or step aside wherever the parser walk refuses."""
    from wehoplan.importing import guard

    zf, part = _sheet_part_of(HOSTILE[case])
    xml = zf.read(part)
    with pytest.raises(FileRejected):
        guard._walk_sheet_part(zf, part, "x.xlsx")
    try:  # the scan only ever runs after expat has read the whole part
        guard._parse_bytes(xml, part, "x.xlsx")
        fast = guard._scan_plain_sheet(xml, part, "x.xlsx")
    except FileRejected:
        return
    assert fast is None, case


def test_the_fast_scan_and_the_walk_agree_on_a_plain_workbook():
    from wehoplan.importing import guard

    rows = [["Code", "Title", "Status"]] + [[f"1.{i}", f"Item {i}", "on track"] for i in range(1, 300)]
    zf, part = _sheet_part_of(xlsx({"P": rows}))
    assert guard._scan_plain_sheet(zf.read(part), part, "x.xlsx") == guard._walk_sheet_part(zf, part, "x.xlsx")
    big = _with_sheet(_sheet(b'<row r="2"><c r="B250000"><v>1</v></c></row>'))
    zf, part = _sheet_part_of(big)
    for scan in (lambda: guard._scan_plain_sheet(zf.read(part), part, "x"),
                 lambda: guard._walk_sheet_part(zf, part, "x")):
        with pytest.raises(FileRejected, match="reaches cell B250000"):
            scan()


def test_the_import_page_survives_every_hostile_upload(monkeypatch, empty_url):
    """Each hostile file is one refused upload on the Import page: an error line, no exception."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("WEHOPLAN_DATABASE_URL", empty_url)
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"), default_timeout=60).run()
    at.switch_page("app_pages/7_Import.py").run()
    for case, data in sorted(HOSTILE.items()):
        at.get("file_uploader")[0].set_value([(f"{case}.xlsx", data, "application/octet-stream")]).run()
        assert not at.exception, case
        assert at.error, case
        # The problems table: blanks where a cell has nothing to say, never "None".
        (shown,) = [d.value for d in at.dataframe if "message" in d.value.columns]
        assert not shown.isna().any().any() and "None" not in shown.astype(str).to_numpy(), case
    assert all(n == 0 for n in counts(empty_url).values())
