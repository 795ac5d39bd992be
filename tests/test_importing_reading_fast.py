"""The xlsx percent-format scan reads the same cells as openpyxl (its fallback), without building cells."""

from __future__ import annotations

import io

import xlsxwriter

from tests.importing_helpers import xlsx
from wehoplan.importing.reading import _percent_cells_openpyxl, _percent_cells_xml, percent_cells


def _xlsxwriter_book() -> bytes:
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    ws = wb.add_worksheet("Other")
    ws.write(0, 0, 0.5, wb.add_format({"num_format": "0%"}))
    ws = wb.add_worksheet("Plan")
    pct, custom = wb.add_format({"num_format": "0.0%"}), wb.add_format({"num_format": '0" pct"'})
    ws.write_row(0, 0, ["Code", "Progress", "Other"])
    ws.write(1, 1, 0.25, pct)  # percent, numeric: counted
    ws.write(2, 1, 40, custom)  # a custom format without %: not counted
    ws.write(3, 1, "50%", pct)  # text in a percent cell: not a number, not counted
    ws.write(4, 1, 0.75)  # plain number
    ws.write(5, 2, 0.1, pct)  # percent but another column
    ws.write_formula(6, 1, "=B2*2", pct, 0.5)  # a formula with a cached numeric value
    wb.close()
    return buf.getvalue()


def test_percent_cells_xlsxwriter_layout_matches_openpyxl():
    data = _xlsxwriter_book()
    got = percent_cells(data, "Plan", [1])
    assert got == {(1, 1), (6, 1)}
    assert got == _percent_cells_openpyxl(data, "Plan", [1])
    assert _percent_cells_xml(data, "Plan", [1, 2]) == _percent_cells_openpyxl(data, "Plan", [1, 2])
    assert percent_cells(data, "Other", [0]) == {(0, 0)}


def test_percent_cells_openpyxl_layout_matches_openpyxl():
    data = xlsx({"S": [["Code", "Progress"], ["1", 0.5], ["1.1", 0.2], ["1.2", 30]]}, pct={"S": ["B2", "B3"]})
    assert _percent_cells_xml(data, "S", [1]) == _percent_cells_openpyxl(data, "S", [1]) == {(1, 1), (2, 1)}


def test_workbook_without_percent_formats_has_none():
    data = xlsx({"S": [["Code", "Progress"], ["1", 0.5]]})
    assert percent_cells(data, "S", [1]) == set()


def test_sheet_rows_start_at_a1_like_the_whole_sheet_read():
    """Rows read one by one hold exactly what the whole-sheet read holds (leading blank rows and columns too)."""
    import datetime as dt

    import python_calamine as pc

    from wehoplan.importing.reading import read_source

    data = xlsx({"S": [[], [], [None, None, "Code", "Title"], [None, None, "1", "Roads"],
                       [None, None, "1.1", dt.datetime(2020, 1, 1)]]})
    book = pc.CalamineWorkbook.from_filelike(io.BytesIO(data))
    whole = [tuple(r) for r in book.get_sheet_by_name("S").to_python(skip_empty_area=False)]
    (sheet,) = read_source(("s.xlsx", data)).sheets
    assert sheet.rows == whole
    assert sheet.rows[3] == ("", "", "1", "Roads")
