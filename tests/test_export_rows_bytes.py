"""The extract's table bodies are byte for byte what xlsxwriter's own typed writes produce (issue 15).

The fast writer (``exporting.xlsx_rows``: one conversion per distinct value, rows joined by
Arrow kernels, streamed into the zip by ``xlsx_package``) is compared with the same workbook
whose bodies are written cell by cell through xlsxwriter's public ``write_string`` /
``write_number``, on the demo plan and a generated plan, with hostile text, blanks (None,
NaN, NaT, ""), awkward numbers, unknown statuses, a row with no filled cell, small blocks and
tables continued on further sheets: every part of the two files must be the same bytes.
"""

from __future__ import annotations

import dataclasses
import io
import zipfile

import numpy as np
import openpyxl
import pandas as pd
import pyarrow as pa
import pytest
from openpyxl.utils.escape import unescape

from wehoplan import repository
from wehoplan.db import make_engine
from wehoplan.exporting import build_extract, write_xlsx, xlsx, xlsx_package, xlsx_rows
from wehoplan.exporting.xlsx import XLSX_CELL_LIMIT
from wehoplan.exporting.xlsx_rows import ByRow
from wehoplan.generate import generate

SMART_CITY = "WeHo Smart City Strategic Plan 2018"
AS_OF = pd.Timestamp("2020-10-15")

# Text a cell must keep as text, exactly (xlsxwriter's rich-text quirk, "<r>...</r>", is pinned
# in test_exporting.py: write_string would pass it through as XML, the extract does not).
HOSTILE_TEXT = (
    "=cmd|' /C calc'!A0", '=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1",
    " leading space", "trailing space ", "a & b < c > d", "_x0041_ stays literal", "_x000D_",
    "bell\x07 nul\x00 unit\x1f vt\x0b", "line\nbreak", "tab\tinside", 'quote "x" \'y\'', "\ufffe\uffff",
    "é ✓ 漢字", "emoji 😀👍🏽 🏳️‍🌈", "<!--wehoplan-body-0-->", "]]> <![CDATA[x]]>", "&amp; already",
    "\u2028line separator", "x" * 5000, "y" * (XLSX_CELL_LIMIT + 10), "", None,
)
AWKWARD_NUMBERS = (0.1 + 0.2, 1 / 3, -0.0, 1e20, 1e-300, 123456789.123456789, 2.0**53 + 2, 0.999999999999999,
                   float("nan"), 45000.5, -1.5, None)


def _hostile(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with hostile values spread over its visible columns, a blank row and odd statuses."""
    frame = frame.copy()
    n = len(frame)
    for c, name in enumerate(frame.columns):
        s = frame[name]
        if name.startswith("_"):
            continue
        if pd.api.types.is_datetime64_any_dtype(s.dtype):
            values = s.astype("datetime64[ns]").to_numpy().copy()
            values[c % n] = np.datetime64("NaT")
            values[(c + 3) % n] = np.datetime64("2021-02-03T04:05:06.789")
            frame[name] = values
        elif pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
            values = s.astype("float64").to_numpy().copy()
            for i, v in enumerate(AWKWARD_NUMBERS):
                values[(c + i) % n] = np.nan if v is None else v
            frame[name] = values
        else:
            values = s.astype("object").to_numpy().copy()
            for i, v in enumerate(HOSTILE_TEXT):
                values[(c * 5 + i) % n] = v
            frame[name] = pd.array(values, dtype="string")
    blank = n // 2  # a row with no filled cell: xlsxwriter writes no <row> for it
    for name in frame.columns:
        if not name.startswith("_"):
            frame.loc[blank, name] = None if frame[name].dtype == "string" else np.nan
    if "_status" in frame.columns:
        status = frame["_status"].astype("object").to_numpy().copy()
        status[1 % n], status[2 % n] = "no_such_status", None
        frame["_status"] = pd.array(status, dtype="string")
    return frame


def _public_write_body(ws, first_row: int, columns: list, _place) -> int:
    """The reference: the same body cells through xlsxwriter's public typed writes, one by one."""
    n = len(columns[0].values) if columns else 0
    if n == 0:
        return first_row
    # Style ids are numbered in the order formats are first used. The header row's are taken when
    # the row is flushed, which writing the first body row does; then the fast writer takes the
    # body's column by column (per-row formats in row order), so number them in that order here
    # too (the ids are names only; the same formats either way).
    ws._write_single_row(first_row + 1)
    rows_formats = []
    for col in columns:
        fmt = col.formats
        per_row = [fmt.choices[int(c)] for c in fmt.codes] if isinstance(fmt, ByRow) else [fmt] * n
        for f in dict.fromkeys(per_row):
            f._get_xf_index()
        rows_formats.append(per_row)
    values = [col.values.to_pylist() if col.kind == "text" else np.asarray(col.values).tolist() for col in columns]
    for r in range(n):
        for c, col in enumerate(columns):
            v = values[c][r]
            if col.kind == "text":
                if v:
                    ws.write_string(first_row + 1 + r, c, v, rows_formats[c][r])
            elif not np.isnan(v):
                ws.write_number(first_row + 1 + r, c, v, rows_formats[c][r])
    return first_row + n


def _parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert z.testzip() is None
        # docProps/core.xml holds the time the file was written.
        return {i.filename: z.read(i) for i in z.infolist() if i.filename != "docProps/core.xml"}


def _write(extract, **kwargs) -> bytes:
    out = io.BytesIO()
    write_xlsx(extract, out, **kwargs)
    return out.getvalue()


@pytest.fixture(scope="module")
def demo_extract(demo_engine):
    plan = repository.resolve_plan(demo_engine, SMART_CITY)
    extract = build_extract(repository.load_items(demo_engine, plan.id), repository.load_updates(demo_engine, plan.id),
                            plan, AS_OF)
    return dataclasses.replace(extract, actions=_hostile(extract.actions), updates=_hostile(extract.updates),
                               rollup=_hostile(extract.rollup))


@pytest.fixture(scope="module")
def generated_extract(tmp_path_factory):
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('gen') / 'plan.db'}")
    generate(engine, actions=300, months=8, plans=1, seed=5)
    plan = repository.resolve_plan(engine, None)
    items, updates = repository.load_items(engine, plan.id), repository.load_updates(engine, plan.id)
    extract = build_extract(items, updates, plan, repository.default_as_of(updates, items))
    engine.dispose()
    return dataclasses.replace(extract, updates=_hostile(extract.updates))


@pytest.mark.parametrize(("block_rows", "row_limit"), [(None, None), (1, None), (7, 60), (1000, 25)])
@pytest.mark.parametrize("which", ["demo_extract", "generated_extract"])
def test_every_part_is_the_bytes_xlsxwriters_public_writes_make(request, monkeypatch, which, block_rows, row_limit):
    extract = request.getfixturevalue(which)
    if block_rows:  # blocks that cut tables anywhere, as a history of millions is cut
        monkeypatch.setattr(xlsx_rows, "BLOCK_ROWS", block_rows)
    kwargs = {"row_limit": row_limit} if row_limit else {}
    ours = _parts(_write(extract, **kwargs))
    with monkeypatch.context() as m:
        m.setattr(xlsx, "write_body", _public_write_body)
        reference = _parts(_write(extract, **kwargs))
    assert list(ours) == list(reference)
    for name in reference:
        assert ours[name] == reference[name], name
    if row_limit:
        assert "xl/worksheets/sheet7.xml" in ours  # the history went on to further sheets


def test_hostile_cells_read_back_as_the_text_and_numbers_they_are(demo_extract):
    book = openpyxl.load_workbook(io.BytesIO(_write(demo_extract)))
    ws = book["Updates"]
    frame = demo_extract.updates
    cols = [c for c in frame.columns if not c.startswith("_")]
    cells = list(ws.iter_rows(min_row=2, max_col=len(cols)))
    assert len(cells) == len(frame)
    blank = len(frame) // 2
    assert all(c.value is None for c in cells[blank])
    comment, progress, date = cols.index("Comment"), cols.index("Progress"), cols.index("Date")
    for r, want in enumerate(frame["Comment"].tolist()):
        cell = cells[r][comment]
        if want is pd.NA or want == "":
            assert cell.value is None
            continue
        assert cell.data_type == "s"  # text, never a formula: "=cmd|..." included
        if len(want) > XLSX_CELL_LIMIT:
            assert cell.value.startswith(want[:1000]) and f"{len(want):,} characters in all" in cell.value
        else:
            # openpyxl leaves xlsxwriter's _xHHHH_ escapes of control characters as stored.
            assert unescape(cell.value) == want, (r, want, cell.value)
    for r, want in enumerate(frame["Progress"].tolist()):
        got = cells[r][progress].value
        assert (got is None) if np.isnan(want) else (got == float(f"{want:.16G}")), (r, want, got)
    for r, want in enumerate(frame["Date"].tolist()):
        got = cells[r][date].value
        assert (got is None) if pd.isna(want) else (abs(pd.Timestamp(got) - want) < pd.Timedelta(milliseconds=1))


def test_the_size_bound_covers_every_byte_and_large_parts_get_zip64(demo_extract, monkeypatch):
    import xlsxwriter

    from wehoplan.exporting.xlsx import _body_columns, _Formats

    wb = xlsxwriter.Workbook(io.BytesIO(), {"constant_memory": True})
    frame = demo_extract.updates
    cols = [c for c in frame.columns if not c.startswith("_")]
    monkeypatch.setattr(xlsx_rows, "BLOCK_ROWS", 13)
    body = xlsx_rows.body(0, _body_columns(_Formats(wb), frame, cols))
    made = sum(len(b) for b in body.blocks())
    assert 0 < made <= body.size_bound()
    monkeypatch.setattr(xlsx_package, "ZIP64_FROM", 0)
    data = _write(demo_extract)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert z.testzip() is None
    assert openpyxl.load_workbook(io.BytesIO(data))["Updates"].max_row == len(frame) + 1


def test_an_arrow_text_column_of_only_blanks_writes_no_cells():
    import xlsxwriter

    wb = xlsxwriter.Workbook(io.BytesIO(), {"constant_memory": True})
    fmt = wb.add_format()
    body = xlsx_rows.body(0, [xlsx_rows.Column("text", pa.array(["", None, ""], type=pa.large_string()), fmt),
                              xlsx_rows.Column("number", np.array([np.nan, 1.0, np.nan]), fmt)])
    xml = b"".join(bytes(b) for b in body.blocks()).decode()
    assert xml == f'<row r="3"><c r="B3" s="{fmt._get_xf_index()}"><v>1</v></c></row>'
