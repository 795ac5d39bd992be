"""The extract carries schedule health; the Executive sheet says when the data is the demo; honest print pages."""

from __future__ import annotations

import dataclasses
import io
import re
import shutil
import subprocess
import zipfile

import openpyxl
import pytest
from test_exporting import AS_OF, SMART_CITY, _about, _book, _frames, _table, _xlsx

from wehoplan import rollup
from wehoplan.domain import HEALTH_LABELS
from wehoplan.exporting import DEMO_NOTE, build_extract


@pytest.fixture(scope="module")
def smart_city(demo_engine):
    return _frames(demo_engine, SMART_CITY)


@pytest.fixture(scope="module")
def book(smart_city) -> openpyxl.Workbook:
    return _book(build_extract(smart_city.tree, smart_city.updates, smart_city.plan, AS_OF))


def _labels(keys) -> list[str | None]:
    return [HEALTH_LABELS.get(k) or None for k in keys]


def test_actions_and_rollup_sheets_carry_health_beside_status(smart_city, book):
    table = rollup.rollup_table(smart_city.tree, smart_city.updates, AS_OF)
    leaves, parents = table[table["is_leaf"].astype(bool)], table[~table["is_leaf"].astype(bool)]
    for sheet, rows in (("Actions", leaves), ("Roll-up", parents)):
        got = _table(book[sheet])
        cols = list(got.columns)
        assert cols[cols.index("Status") + 1] == "Schedule health", sheet
        assert got["Schedule health"].tolist() == _labels(rows["health"]), sheet
    actions = _table(book["Actions"])
    assert set(actions.loc[actions["Overdue"] == "Yes", "Schedule health"]) == {"At risk"}


def test_the_executive_plan_row_shows_health_beside_on_track(book):
    exe = _table(book["Executive"], header_row=4)
    plan_row = exe.iloc[0]
    assert plan_row["Strategy / initiative"] == SMART_CITY
    # Reported "On track" beside 13 overdue actions and 21 points behind: the sheet says "At risk" next to it.
    assert (plan_row["Status"], plan_row["Schedule health"], plan_row["Overdue"]) == ("On track", "At risk", 13)
    s2 = exe[exe["Code"] == "2"].iloc[0]
    assert (s2["Status"], s2["Schedule health"]) == ("On track", "At risk")


def test_the_executive_sheet_carries_the_demo_notice_only_for_the_demo(smart_city, book):
    ws = book["Executive"]
    assert ws["A3"].value == DEMO_NOTE
    assert "Illustrative demo data" in ws.oddHeader.center.text  # on every printed page
    real = dataclasses.replace(smart_city.plan, is_demo=False, source_note=None)
    ws = _book(build_extract(smart_city.tree, smart_city.updates, real, AS_OF))["Executive"]
    assert ws["A3"].value is None and not (ws.oddHeader.center.text or "")


def test_every_sheet_numbers_its_own_printed_pages(smart_city, book):
    for ws in book.worksheets:
        footer = ws.oddFooter.center.text
        assert "&P" in footer and "&N" not in footer, ws.title  # &N would count the whole print job
        assert "&A" in footer, ws.title  # the sheet's name: "Executive, page 1"
    data = _xlsx(build_extract(smart_city.tree, smart_city.updates, smart_city.plan, AS_OF))
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        sheets = [z.read(n).decode("utf-8") for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
    # Page numbers restart at the (OOXML default) first page number 1 on every sheet.
    assert len(sheets) == 5 and all(re.search(r'<pageSetup[^>]*useFirstPageNumber="1"', x) for x in sheets)
    assert not any(re.search(r'firstPageNumber="(?!1")', x) for x in sheets)


def test_the_about_sheet_explains_health_gives_long_rows_room_and_has_no_safety_row(book):
    about = _about(book["About"])
    assert "Safety" not in about and "CSV" not in " ".join(str(v) for v in about.values())
    assert "On schedule at 95%" in about["Schedule health rule"]
    ws = book["About"]
    for row in ws.iter_rows(min_row=2):
        text = row[1].value
        if isinstance(text, str) and len(text) > 100:
            lines = -(-len(text) // 95)
            assert (ws.row_dimensions[row[0].row].height or 15) >= 13.5 * lines, row[0].value


@pytest.mark.skipif(shutil.which("soffice") is None or shutil.which("pdftotext") is None,
                    reason="LibreOffice and poppler are needed to print the workbook")
def test_printed_pages_count_each_sheet_from_one(smart_city, tmp_path):
    (tmp_path / "e.xlsx").write_bytes(_xlsx(build_extract(smart_city.tree, smart_city.updates, smart_city.plan,
                                                          AS_OF)))
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), str(tmp_path / "e.xlsx")], check=True, capture_output=True,
                   timeout=240)
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "e.pdf"), "-"], check=True, capture_output=True,
                          text=True).stdout
    assert "Executive, page 1" in text and "About, page 1" in text and "Updates, page 2" in text
    assert "Executive, page 2" not in text  # the summary fits one page, whatever precedes it
    assert " of " not in " ".join(line for line in text.splitlines() if ", page " in line).replace("As of", "")
