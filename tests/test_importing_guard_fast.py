"""The guard's shortcut for plain sheets only ever accepts what the exact scan accepts.

``guard._within_bounds`` accepts a plainly written sheet part without reading its common
references; whenever it is unsure it steps aside, and the exact scan (or the walk) decides
and words the refusal. Every sheet the exact scan refuses, it must not accept.
"""

from __future__ import annotations

import pytest
from importing_helpers import xlsx
from test_hostile_xlsx import HOSTILE, _sheet, _sheet_part_of, _with_sheet

from wehoplan.importing import guard
from wehoplan.importing.reading import FileRejected

# Plain parts just over each bound, or holding a reference that is not a plain one.
OVER = {
    "column 501": _sheet(b'<row r="2"><c r="SG2"><v>1</v></c></row>'),
    "three-letter column": _sheet(b'<row r="2"><c r="AAA2"><v>1</v></c></row>'),
    "row 200001": _sheet(b'<row r="200001"><c r="A200001"><v>1</v></c></row>'),
    "a cell below its row": _sheet(b'<row r="2"><c r="A200001"><v>1</v></c></row>'),
    "seven-digit row tag": _sheet(b'<row r="1000000"><c r="A2"><v>1</v></c></row>'),
    "too many cells in all": _sheet(b'<row r="192308"><c r="Z192308"><v>1</v></c></row>'),
    "dimension past the columns": _sheet(b"", b'<dimension ref="A1:SG2"/>'),
    "dimension past the rows": _sheet(b"", b'<dimension ref="A1:B999999"/>'),
    "single-quoted dimension": _sheet(b"", b"<dimension ref='A1:B2'/>"),
    "lower-case reference": _sheet(b'<row r="2"><c r="a2"><v>1</v></c></row>'),
    "long reference": _sheet(b'<row r="2"><c r="A12345678901234567890123"><v>1</v></c></row>'),
    "reference not first": _sheet(b'<row r="2"><c t="n" r="A2"><v>1</v></c></row>'),
}


def _outcome(data: bytes) -> str:
    try:
        return repr(guard.guard_workbook(data, "x.xlsx")[1])
    except FileRejected as exc:
        return f"refused: {exc}"


@pytest.mark.parametrize("case", sorted(OVER))
def test_a_part_over_a_bound_or_with_an_odd_reference_is_not_waved_through(monkeypatch, case):
    """The shortcut steps aside, and the guard's answer (refusal and its words) is the exact scan's."""
    xml = OVER[case]
    assert not guard._within_bounds(xml)
    with_shortcut = _outcome(_with_sheet(xml))
    monkeypatch.setattr(guard, "_within_bounds", lambda _xml: False)
    assert with_shortcut == _outcome(_with_sheet(xml))
    if case not in {"single-quoted dimension", "lower-case reference", "reference not first"}:
        assert with_shortcut.startswith("refused: ")


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_every_hostile_workbook_is_refused_in_the_same_words_with_the_shortcut(monkeypatch, case):
    with_shortcut = _outcome(HOSTILE[case])
    monkeypatch.setattr(guard, "_within_bounds", lambda _xml: False)
    assert with_shortcut.startswith("refused: ") and with_shortcut == _outcome(HOSTILE[case])


def test_plain_sheets_within_bounds_take_the_shortcut_and_agree_with_the_exact_scan():
    rows = [["Code", "Title", "Status"]] + [[f"1.{i}", f"Item {i}", "on track"] for i in range(1, 300)]
    zf, part = _sheet_part_of(xlsx({"P": rows}))
    assert guard._within_bounds(zf.read(part))
    near = _sheet(b'<row r="150000"><c r="SF150000"><v>1</v></c><c r="A150000"><v>1</v></c></row>'
                  b'<row r="9"><c r="Z9"><v>1</v></c></row>', b'<dimension ref="A1:SF150000"/>')
    near = near.replace(b"SF150000", b"T150000")  # 20 columns x 150000 rows: 3M cells, within every bound
    assert guard._within_bounds(near)
    guard._bound("x", "p", 150000, 20)  # the exact bound agrees


# Markup a regular expression could misread: expat reports it, and the part takes the walk.
MARKUP = {
    "a comment hiding a cell": _sheet(b'<row r="2"><!-- <c r="A2"><v>1</v></c> --><c r="B2"><v>1</v></c></row>'),
    "a comment hiding a far cell": _sheet(b'<row r="2"><!-- <c r="XFD2"> --><c r="B2"><v>1</v></c></row>'),
    "CDATA in a cell": _sheet(b'<row r="2"><c r="A2" t="inlineStr"><is><t><![CDATA[<c r="ZZ9">]]></t></is></c></row>'),
    "a processing instruction": _sheet(b'<row r="2"><?pi <c r="XFD9"?><c r="A2"><v>1</v></c></row>'),
    "a far cell after a comment": _sheet(b'<row r="2"><!-- x --><c r="XFD2"><v>1</v></c></row>'),
}


@pytest.mark.parametrize("case", sorted({**OVER, **MARKUP}))
def test_the_guard_accepts_and_refuses_what_the_element_walk_does(monkeypatch, case):
    """Whatever shortcut the guard takes, its verdict (refused, or the error cells found) is the walk's."""
    xml = {**OVER, **MARKUP}[case]
    if case in MARKUP:
        assert not guard._parse_bytes(xml, "xl/worksheets/sheet1.xml", "x.xlsx")

    def verdict() -> str:
        out = _outcome(_with_sheet(xml))
        return "refused" if out.startswith("refused: ") else out

    shortcut = verdict()
    monkeypatch.setattr(guard, "_scan_plain_sheet", lambda *_args, **_kw: None)
    assert shortcut == verdict()
