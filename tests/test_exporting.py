"""Extracts (issue 5): what each sheet holds per filter, how it looks, and that it is safe.

The Actions sheet is checked against :func:`wehoplan.rollup.rollup` on the same filters and
as-of date (the view a page shows); formats are read back with openpyxl; safety is checked
in the raw sheet XML; LibreOffice headless opens every kind of file once.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import re
import shutil
import subprocess
import uuid
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import sqlalchemy as sa
from openpyxl.utils.escape import unescape

from wehoplan import __version__, repository, rollup
from wehoplan.db import make_engine
from wehoplan.domain import STATUS_COLOURS, STATUS_KEYS, STATUS_LABELS
from wehoplan.exporting import (
    ACTIONS_COLUMNS,
    DEMO_NOTE,
    build_extract,
    csv_bytes,
    extract_bytes,
    neutralise_csv_field,
    write_csv,
    write_xlsx,
)
from wehoplan.filters import Filters

SMART_CITY = "WeHo Smart City Strategic Plan 2018"
WEHOX = "WeHoX Innovations Annual Report 2015"
AS_OF = pd.Timestamp("2020-10-15")
NOTHING = Filters(department=("No such department",))

FILTER_CASES = {
    "none": Filters(),
    "department": Filters(department=("Public Works",)),
    "smart": Filters(smart=("M",)),
    "department+smart": Filters(department=("Public Works",), smart=("M",)),
    "strategy": Filters(strategy=("2",)),
    "status": Filters(status=("completed",)),
    "two departments (OR)": Filters(department=("Public Works", "Innovation")),
    "owner": Filters(owner=("public works director",)),
    "text": Filters(text="dashboard"),
    "nothing": NOTHING,
}

HOSTILE = (
    '=HYPERLINK("http://x","y")',
    "+1+1",
    "-2+3",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
    "=cmd|' /C calc'!A0",
    "http://example.com",
)


# ---------------------------------------------------------------- helpers


@dataclasses.dataclass(frozen=True)
class Frames:
    tree: pd.DataFrame
    updates: pd.DataFrame
    plan: repository.PlanInfo


def _frames(engine, name: str) -> Frames:
    plan = repository.resolve_plan(engine, name)
    return Frames(repository.load_items(engine, plan.id), repository.load_updates(engine, plan.id), plan)


@pytest.fixture(scope="module")
def smart_city(demo_engine) -> Frames:
    return _frames(demo_engine, SMART_CITY)


@pytest.fixture(scope="module")
def wehox(demo_engine) -> Frames:
    return _frames(demo_engine, WEHOX)


def _xlsx(extract) -> bytes:
    out = io.BytesIO()
    write_xlsx(extract, out)
    return out.getvalue()


def _book(extract) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(_xlsx(extract)))


def _table(ws, header_row: int = 1) -> pd.DataFrame:
    """A sheet's table (header at ``header_row``) as a frame of the raw cell values."""
    rows = list(ws.iter_rows(min_row=header_row, values_only=True))
    header = [h for h in rows[0] if h is not None]
    body = [r[: len(header)] for r in rows[1:]]
    return pd.DataFrame(body, columns=header, dtype=object)


def _about(ws) -> dict[str, object]:
    return {r[0]: r[1] for r in ws.iter_rows(min_row=2, values_only=True) if r[0] is not None}


def _csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def _view(frames: Frames, filters: Filters, as_of=AS_OF) -> pd.DataFrame:
    return rollup.rollup(frames.tree, frames.updates, as_of, filters)


# ---------------------------------------------------------------- contents per filter


@pytest.mark.parametrize("case", list(FILTER_CASES))
def test_actions_sheet_is_the_views_leaves(smart_city, case):
    filters = FILTER_CASES[case]
    extract = build_extract(smart_city.tree, smart_city.updates, smart_city.plan, AS_OF, filters)
    sheet = _table(_book(extract)["Actions"])
    view = _view(smart_city, filters)
    leaves = view[view["is_leaf"].astype(bool)]

    assert list(sheet.columns) == list(ACTIONS_COLUMNS)
    assert sheet["Code"].tolist() == leaves["code"].tolist()
    assert sheet["Status"].tolist() == [STATUS_LABELS[s] for s in leaves["status"]]
    assert [round(p * 100, 6) for p in sheet["Progress"]] == [round(p, 6) for p in leaves["progress"]]
    if case != "none":
        assert len(sheet) < len(_view(smart_city, Filters()).query("is_leaf"))
    if case != "nothing":
        assert len(sheet) > 0, "every filter case but 'nothing' should select something in the demo plan"


def test_actions_sheet_other_plan_default_as_of(wehox):
    as_of = repository.default_as_of(wehox.updates, wehox.tree)
    extract = build_extract(wehox.tree, wehox.updates, wehox.plan, as_of)
    sheet = _table(_book(extract)["Actions"])
    view = _view(wehox, Filters(), as_of)
    assert sheet["Code"].tolist() == view.loc[view["is_leaf"].astype(bool), "code"].tolist()
    # Strategy and initiative columns name each action's ancestors.
    first = sheet.iloc[0]
    assert first["Code"].startswith(f"{first['Initiative code']}.")
    assert first["Initiative code"].startswith(f"{first['Strategy code']}.")


def test_filter_matching_nothing_still_makes_a_workbook_that_says_so(smart_city):
    extract = build_extract(smart_city.tree, smart_city.updates, smart_city.plan, AS_OF, NOTHING)
    book = _book(extract)
    assert book.sheetnames == ["Actions", "Roll-up", "Executive", "Updates", "About"]
    actions = book["Actions"]
    assert [c.value for c in actions[1]] == list(ACTIONS_COLUMNS)
    assert actions.max_row == 1
    assert book["Updates"].max_row == 1
    about = _about(book["About"])
    assert "No such department" in about["Filters"]
    assert about["Rows in Actions"] == 0
    note = " ".join(str(v) for v in about.values())
    assert "No actions match" in note

    rows = _csv_rows(extract_bytes(smart_city.tree, smart_city.updates, smart_city.plan, AS_OF, NOTHING, fmt="csv"))
    assert rows == [list(ACTIONS_COLUMNS)]


@pytest.mark.parametrize("case", ["none", "department+smart", "strategy", "status"])
def test_rollup_and_executive_sheets_hold_every_parent_with_counts(smart_city, case):
    filters = FILTER_CASES[case]
    extract = build_extract(smart_city.tree, smart_city.updates, smart_city.plan, AS_OF, filters)
    book = _book(extract)
    table = rollup.rollup_table(smart_city.tree, smart_city.updates, AS_OF, filters)
    parents = table[~table["is_leaf"].astype(bool)]

    sheet = _table(book["Roll-up"])
    assert sheet["Code"].fillna("").tolist() == parents["code"].tolist()
    assert sheet["Title"].iloc[0] == SMART_CITY  # the plan row first
    assert sheet["Status"].tolist() == [STATUS_LABELS[s] for s in parents["status"]]
    for key in STATUS_KEYS:
        assert sheet[STATUS_LABELS[key]].tolist() == parents[f"n_{key}"].astype(int).tolist(), key
    assert sheet["Actions"].tolist() == parents["n_leaves"].astype(int).tolist()
    # Counts per status add up to the actions under each parent.
    assert (sheet[[STATUS_LABELS[k] for k in STATUS_KEYS]].sum(axis=1) == sheet["Actions"]).all()

    exe = _table(book["Executive"], header_row=4)
    shallow = table[table["depth"] <= 2]
    # The table ends at a blank row; the status legend follows it.
    assert exe.iloc[len(shallow)].isna().all()
    exe = exe.iloc[: len(shallow)]
    assert exe["Code"].fillna("").tolist() == shallow["code"].tolist()
    assert exe["Completed"].tolist() == shallow["n_completed"].astype(int).tolist()
    assert exe["Overdue"].tolist() == shallow["n_overdue"].astype(int).tolist()


def test_updates_sheet_is_the_history_of_the_filtered_items_only(smart_city):
    filters = FILTER_CASES["department+smart"]
    extract = build_extract(smart_city.tree, smart_city.updates, smart_city.plan, AS_OF, filters)
    sheet = _table(_book(extract)["Updates"])
    kept = _view(smart_city, filters)
    code_of = dict(zip(smart_city.tree["id"], smart_city.tree["code"], strict=True))
    ups = smart_city.updates
    expected = ups[ups["item_id"].isin(kept["id"]) & (ups["as_of"] <= AS_OF)]

    assert len(sheet) == len(expected) > 0
    assert set(sheet["Code"]) == {code_of[i] for i in expected["item_id"]}
    assert set(sheet["Code"]) <= set(kept["code"])
    assert max(sheet["Date"]) <= AS_OF.to_pydatetime()


def test_updates_sheet_date_range(smart_city):
    start, end = pd.Timestamp("2019-01-01"), pd.Timestamp("2019-06-30")
    extract = build_extract(smart_city.tree, smart_city.updates, smart_city.plan, AS_OF,
                            updates_from=start, updates_to=end)
    sheet = _table(_book(extract)["Updates"])
    ups = smart_city.updates
    assert len(sheet) == int(ups["as_of"].between(start, end).sum()) > 0
    assert min(sheet["Date"]) >= start.to_pydatetime()
    assert max(sheet["Date"]) <= end.to_pydatetime()
    assert "2019-01-01 to 2019-06-30" in _about(_book(extract)["About"])["Updates shown"]


def test_about_sheet(smart_city):
    filters = FILTER_CASES["department+smart"]
    before = dt.datetime.now().replace(microsecond=0)
    extract = build_extract(smart_city.tree, smart_city.updates, smart_city.plan, AS_OF, filters)
    about = _about(_book(extract)["About"])
    assert about["Plan"] == SMART_CITY
    assert about["Filters"] == filters.describe()
    assert about["Departments"] == "Public Works"
    assert about["SMART values"] == "Mobility"
    assert about["As of"] == AS_OF.to_pydatetime()
    assert isinstance(about["Generated at"], dt.datetime)
    assert before <= about["Generated at"] <= dt.datetime.now() + dt.timedelta(seconds=1)
    assert about["App version"] == f"wehoplan {__version__}"
    assert about["Demo data"] == DEMO_NOTE


def test_about_sheet_has_no_demo_note_for_a_real_plan(smart_city):
    real = dataclasses.replace(smart_city.plan, is_demo=False, source_note=None)
    about = _about(_book(build_extract(smart_city.tree, smart_city.updates, real, AS_OF))["About"])
    assert "Demo data" not in about
    assert DEMO_NOTE not in [str(v) for v in about.values()]


# ---------------------------------------------------------------- formats


@pytest.fixture(scope="module")
def full_book(smart_city) -> openpyxl.Workbook:
    return _book(build_extract(smart_city.tree, smart_city.updates, smart_city.plan, AS_OF))


def test_dates_are_date_cells_and_progress_is_a_percentage(full_book):
    ws = full_book["Actions"]
    header = [c.value for c in ws[1]]
    row = ws[2]
    for name in ("Start", "Due", "Comment date"):
        cell = row[header.index(name)]
        assert cell.is_date and isinstance(cell.value, dt.datetime), name
        assert cell.number_format == "yyyy-mm-dd", name
    for name in ("Progress", "Expected progress"):
        cell = row[header.index(name)]
        assert isinstance(cell.value, (int, float)) and 0 <= cell.value <= 1, name
        assert cell.number_format == "0%", name
    upd = full_book["Updates"]
    date = upd.cell(2, [c.value for c in upd[1]].index("Date") + 1)
    assert date.is_date and date.number_format == "yyyy-mm-dd"


@pytest.mark.parametrize(("sheet", "header_row"), [("Actions", 1), ("Roll-up", 1), ("Updates", 1), ("Executive", 4)])
def test_tables_have_autofilter_and_frozen_header(full_book, sheet, header_row):
    ws = full_book[sheet]
    assert ws.auto_filter.ref, sheet
    assert ws.auto_filter.ref.startswith(f"A{header_row}:")
    assert ws.freeze_panes == f"A{header_row + 1}"
    assert ws.column_dimensions["A"].width > 0


def test_executive_prints_landscape_one_page_wide_with_header_repeated(full_book):
    ws = full_book["Executive"]
    assert ws.page_setup.orientation == "landscape"
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert int(ws.page_setup.fitToWidth or 1) == 1  # OOXML's default when omitted is 1
    assert int(ws.page_setup.fitToHeight) == 0  # as many pages tall as needed
    assert ws.print_title_rows == "$4:$4"
    assert ws.freeze_panes == "A5"
    assert full_book.active.title == "Executive"


def test_executive_status_colours_are_the_guide_colours(full_book):
    ws = full_book["Executive"]
    status_col = [c.value for c in ws[4]].index("Status")
    by_label = {label: key for key, label in STATUS_LABELS.items()}
    in_table = set()
    seen = set()
    for row in ws.iter_rows(min_row=5):
        for cell in row:
            if cell.value in by_label:
                key = by_label[cell.value]
                assert cell.fill.fill_type == "solid", cell.coordinate
                assert cell.fill.fgColor.rgb == "FF" + STATUS_COLOURS[key].lstrip("#").upper(), cell.coordinate
                seen.add(key)
                if cell.column == status_col + 1:
                    in_table.add(key)
    assert len(in_table) >= 3  # the demo plan's strategies and initiatives differ in status
    # The legend below the table shows every status, so every colour is checked.
    assert seen == set(STATUS_KEYS)
    assert ws.conditional_formatting, "progress data bars"


# ---------------------------------------------------------------- safety


@pytest.fixture
def hostile(fresh_url) -> tuple[Frames, dict[str, str]]:
    """A fresh demo plan whose first leaves carry hostile titles and latest comments.

    Returns the frames and {code: hostile text}; one leaf's code becomes "1.10".
    """
    engine = make_engine(fresh_url)
    plan = repository.resolve_plan(engine, SMART_CITY)
    items = rollup.prepare_tree(repository.load_items(engine, plan.id)).frame
    leaves = items[items["is_leaf"].astype(bool)]["id"].tolist()
    chosen = dict(zip(leaves, HOSTILE, strict=False))
    with engine.begin() as conn:
        for item_id, text in chosen.items():
            conn.execute(sa.text("UPDATE items SET title = :t WHERE id = :i"), {"t": text, "i": item_id})
            conn.execute(
                sa.text("INSERT INTO updates (item_id, as_of, status, progress, comment, author, source, created_at) "
                        "VALUES (:i, :d, 'on_track', 50, :t, :t, 'test', :c)"),
                {"i": item_id, "d": "2020-10-14", "t": text, "c": "2020-10-14 12:00:00"},
            )
        conn.execute(sa.text("UPDATE items SET code = '1.10' WHERE id = :i"), {"i": leaves[len(HOSTILE)]})
    frames = _frames(engine, SMART_CITY)
    code_of = dict(zip(frames.tree["id"], frames.tree["code"], strict=True))
    return frames, {code_of[i]: t for i, t in chosen.items()}


def test_hostile_text_is_never_a_formula_or_link_in_xlsx(hostile):
    frames, texts = hostile
    data = _xlsx(build_extract(frames.tree, frames.updates, frames.plan, AS_OF))
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        sheets = [n for n in z.namelist() if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", n)]
        assert len(sheets) == 5
        for name in sheets:
            xml = z.read(name).decode("utf-8")
            assert not re.search(r"<f[ >/]", xml), name
            assert "<hyperlink" not in xml, name
        for rels in (n for n in z.namelist() if n.endswith(".rels")):
            assert "hyperlink" not in z.read(rels).decode("utf-8").lower(), rels

    book = openpyxl.load_workbook(io.BytesIO(data))
    actions = _table(book["Actions"])
    by_code = actions.set_index("Code")
    for code, text in texts.items():
        # The sheet stores a CR as OOXML's escape _x000D_ (Excel and LibreOffice read it back
        # as CR); openpyxl leaves the escape in place, so undo it here.
        assert unescape(by_code.loc[code, "Title"]) == text, repr(text)
        assert unescape(by_code.loc[code, "Latest comment"]) == text, repr(text)
    assert "1.10" in by_code.index  # the code stayed text, not the number 1.1
    ws = book["Actions"]
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            assert cell.data_type != "f", cell.coordinate
    updates = _table(book["Updates"])
    comments = {unescape(v) for v in updates["Comment"]} & {unescape(v) for v in updates["Author"]}
    assert set(texts.values()) <= comments


def test_hostile_text_is_neutralised_in_csv(hostile):
    frames, texts = hostile
    data = extract_bytes(frames.tree, frames.updates, frames.plan, AS_OF, fmt="csv")
    assert data.startswith(b"\xef\xbb\xbf")
    rows = _csv_rows(data)
    header = rows[0]
    by_code = {r[header.index("Code")]: r for r in rows[1:]}
    for code, text in texts.items():
        row = by_code[code]
        for col in ("Title", "Latest comment"):
            field = row[header.index(col)]
            if text.startswith(("=", "+", "-", "@", "\t", "\r")):
                assert field == "'" + text, repr(text)
            else:
                assert field == text, repr(text)
    # Every text field, hostile or not, is inert.
    for r in rows[1:]:
        for field in r:
            assert not field.startswith(("=", "+", "-", "@", "\t", "\r", "\n")), repr(field)
    # "1.10" is quoted, so a spreadsheet keeps it as the text "1.10".
    assert '"1.10"' in data.decode("utf-8-sig")


def test_hostile_plan_name_stays_text_in_titles_and_footers(smart_city):
    name = '=HYPERLINK("http://x","y") & Co'
    plan = dataclasses.replace(smart_city.plan, name=name)
    data = _xlsx(build_extract(smart_city.tree, smart_city.updates, plan, AS_OF))
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        xml = "".join(z.read(n).decode("utf-8") for n in z.namelist() if n.startswith("xl/worksheets/sheet"))
    assert not re.search(r"<f[ >/]", xml)
    assert "&amp;&amp; Co" in xml  # '&' doubled in the footer, where a single '&' starts a code
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book["Executive"]["A1"].value == f"{name}: executive summary"
    assert _about(book["About"])["Plan"] == name
    assert _table(book["Roll-up"])["Title"].iloc[0] == name


def test_extract_bytes_rejects_unknown_format(smart_city):
    with pytest.raises(ValueError, match="xlsx or csv"):
        extract_bytes(smart_city.tree, smart_city.updates, smart_city.plan, AS_OF, fmt="pdf")
    data = extract_bytes(smart_city.tree, smart_city.updates, smart_city.plan, AS_OF, fmt="xlsx")
    assert data[:2] == b"PK"


def test_neutralise_csv_field():
    assert neutralise_csv_field("=1+1") == "'=1+1"
    assert neutralise_csv_field("\n=1") == "'\n=1"
    assert neutralise_csv_field("Plain text") == "Plain text"
    assert neutralise_csv_field("") == ""


def test_csv_bytes_is_the_one_formula_safe_writer_for_any_frame():
    frame = pd.DataFrame({
        "note": ["=1+1", "\tx", "\rx", "+x", "-x", "@x", "plain", None],
        "at": pd.to_datetime(["2026-01-02 13:45:07", *["2026-01-03 00:00:00"] * 6, None]),
        "due": pd.to_datetime(["2026-01-02", *["2026-01-03"] * 6, None]),
        "n": pd.array([1, 2, 3, 4, 5, 6, 7, None], dtype="Int64"),
        "Progress": [0.655, 1.0, 0, 0, 0, 0, 0, None],
        "score": [62.5, 1, 1, 1, 1, 1, 1, 1],
    })
    data = csv_bytes(frame, percent_columns={"Progress"})
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data
    assert csv_bytes(frame, percent_columns={"Progress"}, bom=False) == data[3:]
    rows = _csv_rows(data)
    assert rows[0] == ["note", "at", "due", "n", "Progress", "score"]
    assert [r[0] for r in rows[1:]] == ["'=1+1", "'\tx", "'\rx", "'+x", "'-x", "'@x", "plain", ""]
    # Timestamps keep their time (audit "at"); date-only columns read as dates; numbers stay numbers.
    assert rows[1][1:] == ["2026-01-02 13:45:07", "2026-01-02", "1", "65.5", "62.5"]
    assert rows[2][1:3] == ["2026-01-03 00:00:00", "2026-01-03"]
    assert rows[8][1:5] == ["", "", "", ""]
    # Text is quoted, numbers are not (QUOTE_NONNUMERIC), so a reader knows "1.10" is text.
    assert data.decode("utf-8-sig").splitlines()[1].startswith('"\'=1+1","2026-01-02 13:45:07",')


# ---------------------------------------------------------------- LibreOffice opens every extract


SOFFICE = shutil.which("soffice")
needs_soffice = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
ALL_SHEETS_CSV = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1"


def _soffice(files: list[Path], out: Path, convert_to: str, infilter: str | None = None) -> None:
    profile = Path("/tmp") / f"wehoplan-soffice-{uuid.uuid4().hex}"
    cmd = [SOFFICE, f"-env:UserInstallation=file://{profile}/profile", "--headless",
           "--convert-to", convert_to, "--outdir", str(out)]
    if infilter:
        cmd.append(f"--infilter={infilter}")
    try:
        subprocess.run([*cmd, *map(str, files)], check=True, capture_output=True, timeout=180)
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def _read_csv_file(path: Path) -> list[list[str]]:
    return _csv_rows(path.read_bytes())


@needs_soffice
def test_libreoffice_opens_every_xlsx_extract(smart_city, hostile, tmp_path):
    frames, _ = hostile
    extracts = {
        "full": build_extract(smart_city.tree, smart_city.updates, smart_city.plan, AS_OF),
        "filtered": build_extract(smart_city.tree, smart_city.updates, smart_city.plan, AS_OF,
                                  FILTER_CASES["department+smart"]),
        "nothing": build_extract(smart_city.tree, smart_city.updates, smart_city.plan, AS_OF, NOTHING),
        "hostile": build_extract(frames.tree, frames.updates, frames.plan, AS_OF),
    }
    files = []
    for name, extract in extracts.items():
        files.append(tmp_path / f"{name}.xlsx")
        write_xlsx(extract, files[-1])
    out = tmp_path / "out"
    _soffice(files, out, ALL_SHEETS_CSV)
    for name, extract in extracts.items():
        for sheet, frame in (("Actions", extract.actions), ("Roll-up", extract.rollup), ("Updates", extract.updates)):
            rows = _read_csv_file(out / f"{name}-{sheet}.csv")
            visible = [c for c in frame.columns if not c.startswith("_")]
            assert rows[0] == visible, (name, sheet)
            assert len(rows) == len(frame) + 1, (name, sheet)
        about = _read_csv_file(out / f"{name}-About.csv")
        assert about[1][:2] == ["Plan", SMART_CITY]
        assert (out / f"{name}-Executive.csv").exists()
    # LibreOffice shows dates as dates and progress as percentages (it exports what it displays).
    full = _read_csv_file(out / "full-Actions.csv")
    head = full[0]
    first = dict(zip(head, full[1], strict=True))
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", first["Start"]) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", first["Due"])
    assert all(r[head.index("Progress")].endswith("%") for r in full[1:])
    # LibreOffice read the hostile titles as text, not as formulas it evaluated.
    hostile_rows = _read_csv_file(out / "hostile-Actions.csv")
    titles = {r[5] for r in hostile_rows[1:]}
    assert '=HYPERLINK("http://x","y")' in titles and "+1+1" in titles and "@SUM(A1)" in titles


@needs_soffice
def test_libreoffice_opens_every_csv_extract(smart_city, hostile, tmp_path):
    frames, _ = hostile
    cases = {
        "full": (smart_city, Filters()),
        "filtered": (smart_city, FILTER_CASES["department+smart"]),
        "nothing": (smart_city, NOTHING),
        "hostile": (frames, Filters()),
    }
    src = tmp_path / "src"
    src.mkdir()
    expected = {}
    for name, (f, filters) in cases.items():
        extract = build_extract(f.tree, f.updates, f.plan, AS_OF, filters)
        write_csv(extract, src / f"{name}.csv")
        expected[name] = len(extract.actions)
    out = tmp_path / "out"
    _soffice(sorted(src.iterdir()), out, "csv:Text - txt - csv (StarCalc):44,34,76,1", "CSV:44,34,76,1")
    for name, n in expected.items():
        rows = _read_csv_file(out / f"{name}.csv")
        assert rows[0] == list(ACTIONS_COLUMNS), name
        assert len(rows) == n + 1, name
    titles = {r[5] for r in _read_csv_file(out / "hostile.csv")[1:]}
    assert "'+1+1" in titles  # the neutralising quote is visible text, nothing was evaluated


# ---------------------------------------------------------------- no row left out (issue 15)


def test_history_longer_than_a_sheet_continues_on_further_sheets_and_about_says_so(smart_city):
    from wehoplan.exporting.xlsx import sheet_parts

    extract = build_extract(smart_city.tree, smart_city.updates, smart_city.plan, AS_OF)
    n = len(extract.updates)
    limit = 41  # a header and 40 rows per sheet, so the demo history needs several sheets
    out = io.BytesIO()
    write_xlsx(extract, out, row_limit=limit)
    book = openpyxl.load_workbook(io.BytesIO(out.getvalue()))
    names = [ws.title for ws in book.worksheets if ws.title.startswith("Updates")]
    expected_sheets = -(-n // (limit - 1))
    assert n > 2 * (limit - 1)
    assert names == ["Updates"] + [f"Updates ({i})" for i in range(2, expected_sheets + 1)]
    parts = [_table(book[name]) for name in names]
    assert all(len(p) <= limit - 1 for p in parts)
    written = pd.concat(parts, ignore_index=True)
    # Every update row is there, once, in the extract's order.
    assert len(written) == n
    assert written["Code"].tolist() == extract.updates["Code"].tolist()
    assert written["Date"].tolist() == [d.to_pydatetime() for d in extract.updates["Date"]]
    assert written["Comment"].fillna("").tolist() == extract.updates["Comment"].fillna("").tolist()
    about = _about(book["About"])
    assert about["Rows in Updates"] == n
    said = about["Sheets of Updates"]
    assert f"{n:,} rows in all, on {expected_sheets} sheets" in said
    for sheet, first, end in sheet_parts("Updates", n, limit):
        assert f"{sheet}: rows {first + 1:,} to {end:,}" in said
    # The small tables still fit one sheet each and get no such line.
    assert "Actions (2)" not in book.sheetnames and "Sheets of Actions" not in about


def test_the_sheet_row_limit_is_excels():
    import xlsxwriter

    from wehoplan.exporting.xlsx import EXCEL_MAX_ROWS, sheet_parts

    ws = xlsxwriter.Workbook(io.BytesIO()).add_worksheet()
    assert EXCEL_MAX_ROWS == ws.xls_rowmax == 2**20
    # The 100k-action plan's 6 M updates: five full sheets and a sixth for the rest.
    parts = sheet_parts("Updates", 6_000_000)
    assert [p[0] for p in parts][-1] == "Updates (6)"
    assert sum(end - start for _, start, end in parts) == 6_000_000
    assert all(end - start <= EXCEL_MAX_ROWS - 1 for _, start, end in parts)


TRICKY_TEXT = (
    " leading space", "trailing space ", "a & b < c > d", "_x0041_ stays literal", "bell\x07 and nul\x00",
    "line\nbreak", 'quote "x"', "<r>not rich</r>", "\ufffe", "é ✓ 漢字", "=1+1",
    "=cmd|' /C calc'!A0", "@SUM(A1)", "emoji 😀👍🏽", "unit\x1f sep", "z" * 20_000,
)


def _public_api_table(path, frame: pd.DataFrame) -> None:
    """The Updates table written cell by cell through xlsxwriter's public typed writes."""
    import xlsxwriter

    from wehoplan.exporting.frames import column_kind

    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_formulas": False,
                                          "strings_to_urls": False, "strings_to_numbers": False})
    ws = wb.add_worksheet("Updates")
    day, minute = wb.add_format({"num_format": "yyyy-mm-dd"}), wb.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    cols = [c for c in frame.columns if not c.startswith("_")]
    for c, name in enumerate(cols):
        ws.write_string(0, c, name)
    epoch = pd.Timestamp("1899-12-30")
    for r, row in enumerate(frame[cols].itertuples(index=False), start=1):
        for c, (name, v) in enumerate(zip(cols, row, strict=True)):
            if v is None or v is pd.NA or (not isinstance(v, str) and pd.isna(v)):
                continue
            kind = column_kind(name, frame[name])
            if kind == "date":
                ws.write_number(r, c, (pd.Timestamp(v) - epoch) / pd.Timedelta(days=1),
                                minute if name == "Recorded at" else day)
            elif kind == "text":
                if str(v):
                    ws.write_string(r, c, str(v))
            else:
                ws.write_number(r, c, float(v))
    wb.close()


@pytest.mark.parametrize("block_rows", [None, 7])
def test_table_rows_read_back_exactly_as_xlsxwriters_own_typed_writes(smart_city, tmp_path, monkeypatch, block_rows):
    if block_rows:  # rows made in many small blocks, as a history of millions is
        from wehoplan.exporting import xlsx_rows

        monkeypatch.setattr(xlsx_rows, "BLOCK_ROWS", block_rows)
    extract = build_extract(smart_city.tree, smart_city.updates, smart_city.plan, AS_OF)
    frame = extract.updates.copy()
    n = len(TRICKY_TEXT)
    frame["Comment"] = frame["Comment"].astype("object")
    frame.loc[: n - 1, "Comment"] = list(TRICKY_TEXT)
    frame.loc[n, "Progress"] = float("nan")  # a blank number cell
    frame = frame.assign(Comment=frame["Comment"].astype("string"))
    extract = dataclasses.replace(extract, updates=frame)
    ours = openpyxl.load_workbook(io.BytesIO(_xlsx(extract)))["Updates"]
    _public_api_table(tmp_path / "ref.xlsx", frame)
    ref = openpyxl.load_workbook(tmp_path / "ref.xlsx")["Updates"]
    got = [[(c.value, c.data_type) for c in row] for row in ours.iter_rows()]
    want = [[(c.value, c.data_type) for c in row] for row in ref.iter_rows()]
    assert len(got) == len(frame) + 1
    rich = 1 + TRICKY_TEXT.index("<r>not rich</r>")
    # xlsxwriter's write_string passes a text shaped like "<r>...</r>" through as raw rich-text
    # XML (the cell reads back empty); the extract keeps it as the text it is.
    assert want[rich][5] == ("", "s") and got[rich][5] == ("<r>not rich</r>", "s")
    want[rich][5] = got[rich][5]
    assert got == want
    assert got[1 + n][4] == (None, "n")  # the blank stays blank
    # Status colours stay per row.
    fills = {ours.cell(row=r + 2, column=4).fill.fgColor.rgb[-6:].lower() for r in range(len(frame))}
    assert fills == {STATUS_COLOURS[k].lstrip("#").lower() for k in set(frame["_status"])}


def test_the_extract_is_zipped_faster_and_other_xlsxwriter_files_keep_their_own_zip(smart_city, tmp_path):
    # The extract deflates at a faster level than xlsxwriter's default (its own zip, written by
    # xlsx_package); other workbooks written in the same process (pandas' Excel writer...) keep
    # xlsxwriter's.
    import xlsxwriter
    import xlsxwriter.workbook

    extract = build_extract(smart_city.tree, smart_city.updates, smart_city.plan, AS_OF)
    path = tmp_path / "extract.xlsx"
    write_xlsx(extract, path)
    assert xlsxwriter.workbook.ZipFile is zipfile.ZipFile
    with zipfile.ZipFile(path) as z:
        infos = {i.filename: i for i in z.infolist()}
        sheet = infos["xl/worksheets/sheet1.xml"]
        assert sheet.compress_type == zipfile.ZIP_DEFLATED
        level1 = len(zlib_deflate(z.read(sheet.filename), 1))
        assert sheet.compress_size == level1  # deflated at level 1, every byte still there
    assert len(openpyxl.load_workbook(path)["Updates"]["A"]) == len(extract.updates) + 1
    plain = tmp_path / "plain.xlsx"
    wb = xlsxwriter.Workbook(str(plain))
    wb.add_worksheet().write_string(0, 0, "x" * 5000)
    wb.close()
    with zipfile.ZipFile(plain) as z:
        info = z.getinfo("xl/worksheets/sheet1.xml")
        assert info.compress_size == len(zlib_deflate(z.read(info.filename), -1))


def zlib_deflate(data: bytes, level: int) -> bytes:
    """Raw deflate as zipfile writes it at ``level``."""
    import zlib

    c = zlib.compressobj(level, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()
