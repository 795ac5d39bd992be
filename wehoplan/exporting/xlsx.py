"""The extract as an .xlsx workbook that opens cleanly and never runs a formula.

Every text cell is written with ``write_string`` on a workbook opened with
``strings_to_formulas=False``, ``strings_to_urls=False`` and ``strings_to_numbers=False``,
or, for the table bodies, as the very XML those typed writes make (:mod:`.xlsx_rows`, tested
byte for byte), so no text ever becomes a formula, a hyperlink or a number (a code like
"1.10" stays "1.10"). Dates are real date cells, progress is a 0-1 fraction with a percent
format. The bodies' XML goes straight into the final zip (:mod:`.xlsx_package`).
"""

from __future__ import annotations

import datetime as dt
import io
import os
import tempfile
from typing import IO, cast

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import xlsxwriter

from wehoplan import __version__
from wehoplan.domain import STATUS_COLOURS, STATUS_KEYS, STATUS_LABELS
from wehoplan.exporting.frames import SHEET_NAMES, Extract, column_kind
from wehoplan.exporting.xlsx_package import Packager
from wehoplan.exporting.xlsx_rows import ByRow, Column, write_body

DATE_FORMAT = "yyyy-mm-dd"
_EXCEL_EPOCH = np.datetime64("1899-12-30", "ns")
_DAY_NS = np.timedelta64(1, "D").astype("timedelta64[ns]")
# Excel's own limit: a worksheet holds at most this many rows (header included).
EXCEL_MAX_ROWS = 1_048_576
# Amber needs dark text to stay readable; the other status colours take white text.
_DARK_TEXT_STATUSES = frozenset({"some_disruption"})


def _excel_serials(s: pd.Series) -> np.ndarray:
    """Datetimes as Excel serial numbers (NaN when missing): real date cells, written fast."""
    values = s.astype("datetime64[ns]").to_numpy()
    return cast(np.ndarray, (values - _EXCEL_EPOCH) / _DAY_NS)


def _numbers(s: pd.Series) -> list:
    values = s.astype("float64").to_numpy()
    return cast(np.ndarray, np.where(np.isnan(values), None, values)).tolist()


# Excel holds at most 32,767 characters in a cell (xlsxwriter cuts longer strings without a
# word); a longer text is cut with a note saying so, and the CSV extract keeps it whole.
XLSX_CELL_LIMIT = 32_767


def fit_cell(text: str) -> str:
    """``text`` unchanged when a cell can hold it, else cut with a visible note of its real length."""
    if len(text) <= XLSX_CELL_LIMIT:
        return text
    note = f" [... cut: {len(text):,} characters in all; the CSV extract holds the full text]"
    return text[: XLSX_CELL_LIMIT - len(note)] + note


def _texts(s: pd.Series) -> list:
    values = s.astype("string").fillna("")
    if len(values) and int(values.str.len().max()) > XLSX_CELL_LIMIT:
        return [fit_cell(v) if v else None for v in values.tolist()]
    return [v if v else None for v in values.tolist()]


def _arrow_texts(s: pd.Series) -> pa.Array:
    """A text column as Arrow strings, each cut to what a cell holds (null or "" is a blank cell)."""
    values = pa.array(s.astype("string"))
    if len(values) and (pc.max(pc.utf8_length(values)).as_py() or 0) > XLSX_CELL_LIMIT:
        values = pa.array([None if v is None else fit_cell(v) for v in values.to_pylist()], type=values.type)
    return values


def _width(name: str, values: pd.Series, kind: str) -> float:
    if kind == "date":
        return max(11.0, len(name) * 0.9 + 2)
    if kind in ("pct", "num"):
        return max(8.0, min(len(name), 18) * 0.9 + 2)
    # A sample is enough for a width and keeps 100k-row extracts fast.
    sample = values.iloc[:2000].astype("string").fillna("").str.len()
    longest = float(sample.max()) if len(sample) else 0.0
    return float(min(max(longest, len(name) * 0.9, 6) + 2, 50))


class _Formats:
    def __init__(self, wb: xlsxwriter.Workbook) -> None:
        base = {"valign": "top", "font_size": 10}
        self.header = wb.add_format({**base, "bold": True, "bg_color": "#e0e0e0", "bottom": 1, "text_wrap": True})
        self.text = wb.add_format(base)
        self.wrap = wb.add_format({**base, "text_wrap": True})
        self.date = wb.add_format({**base, "num_format": DATE_FORMAT})
        self.datetime = wb.add_format({**base, "num_format": "yyyy-mm-dd hh:mm"})
        self.pct = wb.add_format({**base, "num_format": "0%"})
        self.num = wb.add_format({**base, "num_format": "0"})
        self.title = wb.add_format({"bold": True, "font_size": 14})
        self.subtitle = wb.add_format({"italic": True, "font_size": 10, "font_color": "#424242"})
        self.notice = wb.add_format({"bold": True, "font_size": 10, "font_color": "#8a4b00"})
        self.status = {
            k: wb.add_format({**base, "bold": True, "bg_color": STATUS_COLOURS[k], "border": 1,
                              "border_color": "#ffffff",
                              "font_color": "#000000" if k in _DARK_TEXT_STATUSES else "#ffffff"})
            for k in STATUS_KEYS
        }
        self.bold = {kind: wb.add_format({**props, "bold": True, "bg_color": "#eeeeee", "top": 1})
                     for kind, props in (("text", base), ("wrap", {**base, "text_wrap": True}),
                                         ("pct", {**base, "num_format": "0%"}), ("num", {**base, "num_format": "0"}))}
        self.indent = wb.add_format({**base, "text_wrap": True, "indent": 1})


_WRAP_COLUMNS = frozenset({"Title", "Strategy", "Initiative", "Latest comment", "Comment", "Strategy / initiative",
                           "Partner departments", "Value"})


def _page_setup(ws, header_row: int, footer: str) -> None:
    ws.set_landscape()
    ws.set_paper(1)  # US Letter: the reference city is in California
    ws.fit_to_pages(1, 0)  # one page wide, as many tall as needed
    ws.repeat_rows(header_row)
    ws.freeze_panes(header_row + 1, 0)
    ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.6)
    ws.set_footer(footer)
    # Each sheet's pages are numbered from 1: printing the workbook numbers the print job
    # otherwise, and a total (&N) would count every sheet's pages, not this sheet's.
    ws.set_start_page(1)


def _footer(extract: Extract) -> str:
    name = extract.plan_name.replace("&", "&&")[:120]
    return f"&L&8{name}&C&8&A, page &P&R&8As of {extract.as_of:%Y-%m-%d}"


def _body_columns(fmt: _Formats, frame: pd.DataFrame, cols: list[str]) -> list[Column]:
    """The cells of ``frame``'s visible columns, typed (see :mod:`.xlsx_rows`)."""
    columns: list[Column] = []
    for name in cols:
        s = frame[name]
        kind = column_kind(name, s)
        if kind == "date":
            columns.append(Column("number", _excel_serials(s), fmt.datetime if name == "Recorded at" else fmt.date))
        elif kind in ("pct", "num"):
            columns.append(Column("number", s.astype("float64").to_numpy(), fmt.pct if kind == "pct" else fmt.num))
        else:
            columns.append(Column("text", _arrow_texts(s), fmt.wrap if name in _WRAP_COLUMNS else fmt.text))
    if "_status" in frame.columns and "Status" in cols:
        # Status cells take their GUIDE colour: one format per row.
        c = cols.index("Status")
        keys = pa.array(frame["_status"].astype("string"))
        choices = [*fmt.status.values(), fmt.text]
        codes = pc.index_in(keys, value_set=pa.array(list(fmt.status), type=keys.type))
        codes = pc.fill_null(codes, len(choices) - 1).to_numpy(zero_copy_only=False)
        columns[c] = Column("text", columns[c].values, ByRow(codes, choices))
    return columns


def _write_table(ws, fmt: _Formats, frame: pd.DataFrame, first_row: int, packager: Packager, *,
                 autofilter: bool = True) -> int:
    """Write ``frame`` (visible columns only) with a header at ``first_row``; return the last row written."""
    cols = [c for c in frame.columns if not str(c).startswith("_")]
    for c, name in enumerate(cols):
        s = frame[name]
        kind = column_kind(name, s)
        ws.set_column(c, c, 17.0 if name == "Recorded at" else _width(name, s, kind))
        ws.write_string(first_row, c, name, fmt.header)
    # Typed cells only (inline strings and numbers), never guessed: nothing becomes a
    # formula, a URL or a number. The rows' XML is made block by block while the file is
    # zipped (xlsx_package), so a history of millions of rows never holds more than one
    # block's XML.
    row = write_body(ws, first_row, _body_columns(fmt, frame, cols), packager.place)
    if autofilter and cols:
        ws.autofilter(first_row, 0, max(row, first_row), len(cols) - 1)
    return row


def _write_executive(ws, fmt: _Formats, extract: Extract) -> None:
    frame = extract.executive
    cols = [c for c in frame.columns if not str(c).startswith("_")]
    ws.write_string(0, 0, f"{extract.plan_name}: executive summary", fmt.title)
    ws.write_string(1, 0, f"As of {extract.as_of:%Y-%m-%d} · {extract.filters.describe()} · "
                          f"generated {extract.generated_at:%Y-%m-%d %H:%M}", fmt.subtitle)
    header = 3
    if extract.demo_note:
        # The same notice as the About sheet's, where a reader of the printed summary sees it.
        ws.write_string(2, 0, extract.demo_note, fmt.notice)
    widths = {"Code": 7, "Strategy / initiative": 62, "Lead department": 28, "Status": 27, "Schedule health": 14,
              "Progress": 22, "Expected progress": 10, "Actions": 8, "Completed": 10, "Overdue": 8}
    for c, name in enumerate(cols):
        ws.set_column(c, c, widths.get(name, 12))
        ws.write_string(header, c, name, fmt.header)
    ws.set_row(header, 28)
    kinds = {"Progress": "pct", "Expected progress": "pct", "Actions": "num", "Completed": "num", "Overdue": "num"}
    columns = {name: (_numbers(frame[name]) if name in kinds else _texts(frame[name])) for name in cols}
    statuses = frame["_status"].tolist()
    depths = frame["_depth"].tolist()
    row = header
    for r in range(len(frame)):
        row = header + 1 + r
        strong = depths[r] <= 1
        title = columns["Strategy / initiative"][r] or ""
        if len(title) > 66:
            # Writers cannot measure text: give long titles a second line so they never overprint.
            ws.set_row(row, 26)
        for c, name in enumerate(cols):
            v = columns[name][r]
            if name == "Status":
                key = statuses[r]
                ws.write_string(row, c, v or "", fmt.status.get(key, fmt.text))
                continue
            kind = kinds.get(name, "wrap" if name == "Strategy / initiative" else "text")
            if strong:
                cell_fmt = fmt.bold[kind]
            elif name == "Strategy / initiative":
                cell_fmt = fmt.indent
            else:
                cell_fmt = {"pct": fmt.pct, "num": fmt.num}.get(kind, fmt.text)
            if v is None:
                ws.write_blank(row, c, None, cell_fmt)
            elif kind in ("pct", "num"):
                ws.write_number(row, c, v, cell_fmt)
            else:
                ws.write_string(row, c, v, cell_fmt)
    if len(frame):
        pc = cols.index("Progress")
        ws.conditional_format(header + 1, pc, row, pc, {
            "type": "data_bar", "bar_color": "#5b8def", "bar_solid": True,
            "min_type": "num", "min_value": 0, "max_type": "num", "max_value": 1,
        })
        ws.autofilter(header, 0, row, len(cols) - 1)
    # A legend under the Status column, so a black-and-white print still names the colours.
    legend = row + 2
    status_col = cols.index("Status")
    ws.write_string(legend, status_col - 1, "Status colours:", fmt.subtitle)
    for i, key in enumerate(STATUS_KEYS):
        ws.write_string(legend + i, status_col, STATUS_LABELS[key], fmt.status[key])
    _page_setup(ws, header, _footer(extract))
    if extract.demo_note:
        ws.set_header("&C&8&\"-,Bold\"Illustrative demo data")  # on every printed page, not only the first


def _about_height(text: str, chars_per_line: int = 95) -> float:
    """Row height (points) for wrapped 10-point text in the About sheet's value column.

    Spreadsheet writers cannot measure text and a printed row keeps its stored height, so
    a long value given one line's height overprints the rows below it.
    """
    lines = sum(max(1, -(-len(part) // chars_per_line)) for part in text.split("\n"))
    return 13.5 * lines + 2


def sheet_parts(name: str, rows: int, row_limit: int = EXCEL_MAX_ROWS) -> list[tuple[str, int, int]]:
    """How a table of ``rows`` rows is laid out on sheets of ``row_limit`` rows (one header each).

    Returns ``(sheet name, first row, end row)`` per sheet, rows counted from 0: the first sheet
    keeps ``name``, the next ones are "Updates (2)", "Updates (3)", ... so no row is ever left out.
    """
    per_sheet = row_limit - 1
    if per_sheet < 1:
        raise ValueError(f"a sheet needs room for a header and a row, not {row_limit} rows")
    starts = range(0, max(rows, 1), per_sheet)
    return [(name if i == 0 else f"{name} ({i + 1})", start, min(start + per_sheet, rows))
            for i, start in enumerate(starts)]


def _contents_rows(extract: Extract, row_limit: int) -> list[tuple[str, object]]:
    """About lines naming the sheets a table continues on (none when every table fits one sheet)."""
    rows: list[tuple[str, object]] = []
    for name, frame in extract.sheets().items():
        parts = sheet_parts(name, len(frame), row_limit)
        if len(parts) > 1:
            where = "; ".join(f"{sheet}: rows {a + 1:,} to {b:,}" for sheet, a, b in parts)
            rows.append((f"Sheets of {name}", f"{len(frame):,} rows in all, on {len(parts)} sheets "
                                             f"(an Excel sheet holds {row_limit - 1:,} rows under its header): "
                                             f"{where}. No row is left out."))
    return rows


def _about_rows(extract: Extract, row_limit: int) -> list[tuple[str, object]]:
    rows = list(extract.about.itertuples(index=False, name=None))
    extra = _contents_rows(extract, row_limit)
    if not extra:
        return rows
    # Right after the row counts, so the count and where the rows are stand together.
    last_count = max((i for i, (item, _) in enumerate(rows) if str(item).startswith("Rows in ")), default=len(rows) - 1)
    return rows[: last_count + 1] + extra + rows[last_count + 1:]


def _write_about(ws, fmt: _Formats, extract: Extract, row_limit: int = EXCEL_MAX_ROWS) -> None:
    ws.set_column(0, 0, 22)
    ws.set_column(1, 1, 100)
    ws.write_string(0, 0, "Item", fmt.header)
    ws.write_string(0, 1, "Value", fmt.header)
    for r, (item, value) in enumerate(_about_rows(extract, row_limit), start=1):
        if isinstance(value, str) and (len(value) > 95 or "\n" in value):
            ws.set_row(r, min(_about_height(value), 409))  # 409 points: a row's maximum
        ws.write_string(r, 0, str(item), fmt.text)
        if isinstance(value, pd.Timestamp) or isinstance(value, dt.datetime):
            ts = pd.Timestamp(value)
            serial = (ts.to_datetime64().astype("datetime64[ns]") - _EXCEL_EPOCH) / _DAY_NS
            is_date = ts == ts.normalize()
            ws.write_number(r, 1, float(serial), fmt.date if is_date else fmt.datetime)
        elif isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
            ws.write_number(r, 1, float(value), fmt.num)
        elif value is not None and str(value):
            ws.write_string(r, 1, fit_cell(str(value)), fmt.wrap)
    _page_setup(ws, 0, _footer(extract))


def _workbook(target) -> xlsxwriter.Workbook:
    return xlsxwriter.Workbook(target, {
        "constant_memory": True,
        "strings_to_formulas": False,
        "strings_to_urls": False,
        "strings_to_numbers": False,
        "default_date_format": DATE_FORMAT,
        "tmpdir": tempfile.gettempdir(),
    })


def _write_extra_sheets(wb: xlsxwriter.Workbook, fmt: _Formats, extract: Extract, footer: str,
                        packager: Packager) -> None:
    """Write the extract's further sheets (Measures...) as tables."""
    for extra_name, frame in extract.extra_sheets:
        ws = wb.add_worksheet(extra_name)
        ws.set_row(0, 30)
        _write_table(ws, fmt, frame, 0, packager)
        _page_setup(ws, 0, footer)


def write_xlsx(extract: Extract, target: str | os.PathLike | IO[bytes], *, row_limit: int = EXCEL_MAX_ROWS) -> None:
    """Write the extract as an .xlsx workbook (a path or a binary file object).

    Sheets: Actions, Roll-up, Executive, Updates, About; dates are real date cells,
    progress is 0-1 with a percent format, tables have autofilters and frozen headers,
    every sheet prints landscape, one page wide, header row repeated. A table longer than
    a sheet (``row_limit`` rows, header included: Excel's 1,048,576) continues on
    "Updates (2)", "Updates (3)", ... and the About sheet says which rows each one holds.
    """
    draft = io.BytesIO()  # xlsxwriter's file, with a placeholder where each table body goes
    wb = _workbook(draft)
    packager = Packager()
    wb.set_properties({"title": f"{extract.plan_name} as of {extract.as_of:%Y-%m-%d}",
                       "subject": extract.filters.describe(), "creator": f"wehoplan {__version__}"})
    fmt = _Formats(wb)
    footer = _footer(extract)
    frames = extract.sheets()
    executive = None
    for name in SHEET_NAMES:
        if name == "About":  # further sheets (Measures...) go before About, which stays last
            _write_extra_sheets(wb, fmt, extract, footer, packager)
        if name == "Executive":
            executive = wb.add_worksheet(name)
            _write_executive(executive, fmt, extract)
        elif name == "About":
            _write_about(wb.add_worksheet(name), fmt, extract, row_limit)
        else:
            frame = frames[name]
            for sheet, start, end in sheet_parts(name, len(frame), row_limit):
                ws = wb.add_worksheet(sheet)
                ws.set_row(0, 30)
                part = frame if (start, end) == (0, len(frame)) else frame.iloc[start:end]
                _write_table(ws, fmt, part, 0, packager)
                _page_setup(ws, 0, footer)
    if executive is not None:
        executive.activate()
    wb.close()
    packager.write(draft.getvalue(), os.fspath(target) if isinstance(target, (str, os.PathLike)) else target)
