"""Filtered Excel and CSV extracts that open cleanly and never run a formula (issue 5).

An extract holds exactly what a page shows: it is built from the same
:func:`wehoplan.rollup.rollup_table` call with the same :class:`Filters` and as-of date.

Two steps, so a Streamlit download button can build the file only when clicked:

1. :func:`build_extract` turns (tree, updates, plan, as-of, filters) into an :class:`Extract`:
   one display-ready DataFrame per sheet.
2. :func:`write_xlsx` / :func:`write_csv` write it; :func:`extract_bytes` does both steps
   and returns the file's bytes.

Safety: every text cell is written with ``write_string`` on a workbook opened with
``strings_to_formulas=False``, ``strings_to_urls=False`` and ``strings_to_numbers=False``,
so no text ever becomes a formula, a hyperlink or a number (a code like "1.10" stays
"1.10"). The CSV neutralises fields that start with ``= + - @``, tab, CR or LF by
prefixing a single quote, per OWASP's CSV-injection guidance, and quotes every text field.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import tempfile
from dataclasses import dataclass, field
from typing import IO, Literal

import numpy as np
import pandas as pd
import xlsxwriter

from wehoplan import __version__
from wehoplan.domain import SMART_NAMES, STATUS_COLOURS, STATUS_KEYS, STATUS_LABELS
from wehoplan.filters import Filters
from wehoplan.rollup import ROOT_ID, Thresholds, prepare_tree, rollup_table

# The importer reads these headers back: keep them exactly.
ACTIONS_COLUMNS: tuple[str, ...] = (
    "Strategy code", "Strategy", "Initiative code", "Initiative", "Code", "Title", "Level", "Owner",
    "Department", "Partner departments", "SMART values", "Start", "Due", "Status", "Progress",
    "Expected progress", "Overdue", "Latest comment", "Comment date",
)
COUNT_HEADERS: tuple[str, ...] = tuple(STATUS_LABELS[k] for k in STATUS_KEYS)
ROLLUP_COLUMNS: tuple[str, ...] = (
    "Code", "Title", "Level", "Owner", "Department", "SMART values", "Start", "Due", "Status", "Progress",
    "Expected progress", "Schedule variance", "Actions", *COUNT_HEADERS, "Overdue",
)
EXECUTIVE_COLUMNS: tuple[str, ...] = (
    "Code", "Strategy / initiative", "Lead department", "Status", "Progress", "Expected progress",
    "Actions", "Completed", "Overdue",
)
UPDATES_COLUMNS: tuple[str, ...] = (
    "Code", "Title", "Date", "Status", "Progress", "Comment", "Author", "Source", "Recorded at",
)
SHEET_NAMES: tuple[str, ...] = ("Actions", "Roll-up", "Executive", "Updates", "About")

# Columns holding 0-1 fractions shown as percentages; every other float is a plain number.
PERCENT_COLUMNS = frozenset({"Progress", "Expected progress", "Schedule variance"})
# Characters that make a spreadsheet treat a CSV field as a formula (OWASP CSV injection).
CSV_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")
DEMO_NOTE = (
    "Illustrative demo data: the plan's items are real, but owners, planned dates and the "
    "month-by-month progress history were generated for demonstration."
)
SAFETY_NOTE = (
    "No cell in this workbook is a formula or a link: text that begins with = + - @ is stored as text. "
    "In the CSV extract such fields are prefixed with a single quote (')."
)
NO_MATCH_NOTE = "No actions match these filters at this as-of date: the other sheets are empty too."
DATE_FORMAT = "yyyy-mm-dd"
_EXCEL_EPOCH = np.datetime64("1899-12-30", "ns")
_DAY_NS = np.timedelta64(1, "D").astype("timedelta64[ns]")
# Amber needs dark text to stay readable; the other status colours take white text.
_DARK_TEXT_STATUSES = frozenset({"some_disruption"})


@dataclass(frozen=True)
class Extract:
    """One extract: a display-ready frame per sheet plus what it was built from.

    Columns whose names start with ``_`` carry formatting hints (status keys, depth)
    and are not written.
    """

    plan_name: str
    as_of: pd.Timestamp
    filters: Filters
    actions: pd.DataFrame
    rollup: pd.DataFrame
    executive: pd.DataFrame
    updates: pd.DataFrame
    about: pd.DataFrame
    generated_at: dt.datetime = field(default_factory=lambda: dt.datetime.now().replace(microsecond=0))

    def sheets(self) -> dict[str, pd.DataFrame]:
        """Sheet name -> frame, in workbook order."""
        frames = (self.actions, self.rollup, self.executive, self.updates, self.about)
        return dict(zip(SHEET_NAMES, frames, strict=True))


# ---------------------------------------------------------------- building the frames


def _smart_names(letters: pd.Series) -> pd.Series:
    return letters.fillna("").astype(str).map(lambda s: "; ".join(SMART_NAMES[c] for c in s if c in SMART_NAMES))


def _fraction(s: pd.Series) -> pd.Series:
    # The roll-up works in 0-100; spreadsheets format 0-1 fractions as percentages.
    return s.astype("float64") / 100.0


def _status_labels(s: pd.Series) -> pd.Series:
    return s.astype("string").map(STATUS_LABELS).astype("string")


def _ancestors(tree: pd.DataFrame, ids: pd.Series, depth: int) -> tuple[pd.Series, pd.Series]:
    """Code and title of each item's ancestor at ``depth`` (blank for the item itself or shallower)."""
    path = ids.map(tree.set_index("id")["path_codes"]).astype("string").str.strip("|").str.split("|")
    own_depth = path.str.len()
    code = path.str[depth - 1].where(own_depth > depth)
    titles = dict(zip(tree["code"], tree["title"], strict=True))
    return code.astype("string"), code.map(titles).astype("string")


def _actions_frame(table: pd.DataFrame, tree: pd.DataFrame) -> pd.DataFrame:
    leaves = table[table["is_leaf"].astype(bool) & (table["id"] != ROOT_ID)]
    s_code, s_title = _ancestors(tree, leaves["id"], 1)
    i_code, i_title = _ancestors(tree, leaves["id"], 2)
    out = pd.DataFrame({
        "Strategy code": s_code, "Strategy": s_title, "Initiative code": i_code, "Initiative": i_title,
        "Code": leaves["code"], "Title": leaves["title"], "Level": leaves["level"], "Owner": leaves["owner"],
        "Department": leaves["department"], "Partner departments": leaves["partners"],
        "SMART values": _smart_names(leaves["smart"]), "Start": leaves["start"], "Due": leaves["due"],
        "Status": _status_labels(leaves["status"]), "Progress": _fraction(leaves["progress"]),
        "Expected progress": _fraction(leaves["expected_progress"]),
        "Overdue": np.where(leaves["overdue"].astype(bool), "Yes", "No"),
        "Latest comment": leaves["comment"], "Comment date": leaves["comment_date"],
        "_status": leaves["status"].astype("string"),
    })
    return out.reset_index(drop=True)


def _counts(rows: pd.DataFrame) -> dict[str, pd.Series]:
    return {STATUS_LABELS[k]: rows[f"n_{k}"].astype("int64") for k in STATUS_KEYS}


def _rollup_frame(table: pd.DataFrame, plan_name: str) -> pd.DataFrame:
    # astype(bool): when nothing matches, the roll-up's empty columns are object dtype and
    # indexing with an empty object Series would select columns, not rows.
    parents = table[~table["is_leaf"].astype(bool)]
    root = parents["id"] == ROOT_ID
    out = pd.DataFrame({
        "Code": parents["code"], "Title": parents["title"].where(~root, plan_name), "Level": parents["level"],
        "Owner": parents["owner"], "Department": parents["department"], "SMART values": _smart_names(parents["smart"]),
        "Start": parents["start"], "Due": parents["due"], "Status": _status_labels(parents["status"]),
        "Progress": _fraction(parents["progress"]), "Expected progress": _fraction(parents["expected_progress"]),
        "Schedule variance": _fraction(parents["schedule_variance"]), "Actions": parents["n_leaves"].astype("int64"),
        **_counts(parents), "Overdue": parents["n_overdue"].astype("int64"),
        "_status": parents["status"].astype("string"),
    })
    return out.reset_index(drop=True)


def _executive_frame(table: pd.DataFrame, plan_name: str) -> pd.DataFrame:
    rows = table[table["depth"] <= 2]
    root = rows["id"] == ROOT_ID
    out = pd.DataFrame({
        "Code": rows["code"], "Strategy / initiative": rows["title"].where(~root, plan_name),
        "Lead department": rows["department"], "Status": _status_labels(rows["status"]),
        "Progress": _fraction(rows["progress"]), "Expected progress": _fraction(rows["expected_progress"]),
        "Actions": rows["n_leaves"].astype("int64"), "Completed": rows["n_completed"].astype("int64"),
        "Overdue": rows["n_overdue"].astype("int64"),
        "_status": rows["status"].astype("string"), "_depth": rows["depth"].astype("int64"),
    })
    return out.reset_index(drop=True)


def _updates_frame(
    updates: pd.DataFrame, table: pd.DataFrame, start: pd.Timestamp | None, end: pd.Timestamp | None
) -> pd.DataFrame:
    items = table[table["id"] != ROOT_ID][["id", "code", "title", "order"]]
    ups = updates[updates["item_id"].isin(items["id"])]
    if start is not None:
        ups = ups[ups["as_of"] >= start]
    if end is not None:
        ups = ups[ups["as_of"] <= end]
    ups = ups.merge(items.rename(columns={"id": "item_id"}), on="item_id", how="left")
    ups = ups.sort_values(["order", "as_of", "id"], kind="stable")
    out = pd.DataFrame({
        "Code": ups["code"], "Title": ups["title"], "Date": ups["as_of"], "Status": _status_labels(ups["status"]),
        "Progress": _fraction(ups["progress"]), "Comment": ups["comment"], "Author": ups["author"],
        "Source": ups["source"], "Recorded at": ups["created_at"].dt.floor("s"),
        "_status": ups["status"].astype("string"),
    })
    return out.reset_index(drop=True)


def _about_frame(
    plan, as_of: pd.Timestamp, filters: Filters, start, end, counts: dict[str, int], generated_at: dt.datetime
) -> pd.DataFrame:
    def when(d) -> str:
        return "" if d is None else pd.Timestamp(d).strftime("%Y-%m-%d")

    rows: list[tuple[str, object]] = [
        ("Plan", plan.name),
        ("As of", as_of),
        ("Filters", filters.describe()),
    ]
    labels = {"strategy": "Strategy codes", "department": "Departments", "smart": "SMART values",
              "status": "Statuses", "owner": "Owners", "text": "Text search"}
    for name, label in labels.items():
        v = getattr(filters, name)
        if name == "smart":
            v = tuple(SMART_NAMES[s] for s in v)
        elif name == "status":
            v = tuple(STATUS_LABELS[s] for s in v)
        rows.append((label, "; ".join(v) if isinstance(v, tuple) else v))
    if counts.get("Actions", 0) == 0:
        rows.append(("Note", NO_MATCH_NOTE))
    rows += [
        ("Updates shown", f"{when(start) or 'first'} to {when(end) or 'last'}"),
        *[(f"Rows in {k}", n) for k, n in counts.items()],
        ("Generated at", generated_at),
        ("App version", f"wehoplan {__version__}"),
    ]
    if plan.is_demo:
        rows.append(("Demo data", DEMO_NOTE))
    if plan.source_note:
        rows.append(("Plan source", plan.source_note))
    rows += [
        ("Values", "Owner, department and SMART values are effective values: an item without its own takes its "
                   "nearest ancestor's. Progress is rolled up from the filtered actions at the as-of date."),
        ("Safety", SAFETY_NOTE),
    ]
    return pd.DataFrame(rows, columns=["Item", "Value"])


def build_extract(
    tree: pd.DataFrame,
    updates: pd.DataFrame,
    plan,
    as_of,
    filters: Filters | None = None,
    *,
    updates_from=None,
    updates_to=None,
    thresholds: Thresholds | None = None,
) -> Extract:
    """Build every sheet of an extract from the same roll-up the pages show.

    Args:
        tree: the plan's items (raw from ``load_items`` or already prepared).
        updates: the plan's updates (``load_updates``).
        plan: a :class:`wehoplan.repository.PlanInfo` (name, is_demo, source_note).
        as_of: the as-of date of the view.
        filters: the view's filters (None = everything).
        updates_from: first date of the Updates sheet (default: the first update).
        updates_to: last date of the Updates sheet (default: ``as_of``, so the history ends
            where the view stands).
        thresholds: due-soon / stale thresholds (settings; default 30 and 90 days).

    Returns:
        The extract; write it with :func:`write_xlsx` or :func:`write_csv`.

    """
    filters = filters or Filters()
    as_of = pd.Timestamp(as_of).normalize()
    start = None if updates_from is None else pd.Timestamp(updates_from).normalize()
    end = as_of if updates_to is None else pd.Timestamp(updates_to).normalize()
    tree = prepare_tree(tree)
    table = rollup_table(tree, updates, as_of, filters, thresholds or Thresholds())
    actions = _actions_frame(table, tree)
    rolled = _rollup_frame(table, plan.name)
    executive = _executive_frame(table, plan.name)
    history = _updates_frame(updates, table, start, end)
    generated_at = dt.datetime.now().replace(microsecond=0)
    counts = {"Actions": len(actions), "Roll-up": len(rolled), "Executive": len(executive), "Updates": len(history)}
    about = _about_frame(plan, as_of, filters, start, end, counts, generated_at)
    return Extract(plan_name=plan.name, as_of=as_of, filters=filters, actions=actions, rollup=rolled,
                   executive=executive, updates=history, about=about, generated_at=generated_at)


# ---------------------------------------------------------------- xlsx


def _excel_serials(s: pd.Series) -> list:
    """Datetimes as Excel serial numbers (None when missing): real date cells, written fast."""
    values = s.astype("datetime64[ns]").to_numpy()
    serial = (values - _EXCEL_EPOCH) / _DAY_NS
    return np.where(np.isnat(values), None, serial).tolist()


def _numbers(s: pd.Series) -> list:
    values = s.astype("float64").to_numpy()
    return np.where(np.isnan(values), None, values).tolist()


def _texts(s: pd.Series) -> list:
    return [v if v else None for v in s.astype("string").fillna("").tolist()]


def _width(name: str, values: pd.Series, kind: str) -> float:
    if kind == "date":
        return max(11.0, len(name) * 0.9 + 2)
    if kind in ("pct", "num"):
        return max(8.0, min(len(name), 18) * 0.9 + 2)
    # A sample is enough for a width and keeps 100k-row extracts fast.
    sample = values.iloc[:2000].astype("string").fillna("").str.len()
    longest = float(sample.max()) if len(sample) else 0.0
    return float(min(max(longest, len(name) * 0.9, 6) + 2, 50))


def _kind(name: str, s: pd.Series) -> str:
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        return "date"
    if pd.api.types.is_bool_dtype(s.dtype) or not pd.api.types.is_numeric_dtype(s.dtype):
        return "text"
    return "pct" if name in PERCENT_COLUMNS else "num"


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


def _page_setup(ws, header_row: int, ncols: int, footer: str) -> None:
    ws.set_landscape()
    ws.set_paper(1)  # US Letter: the reference city is in California
    ws.fit_to_pages(1, 0)  # one page wide, as many tall as needed
    ws.repeat_rows(header_row)
    ws.freeze_panes(header_row + 1, 0)
    ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.6)
    ws.set_footer(footer)


def _footer(extract: Extract) -> str:
    name = extract.plan_name.replace("&", "&&")[:120]
    return f"&L&8{name}&C&8Page &P of &N&R&8As of {extract.as_of:%Y-%m-%d}"


def _write_table(wb, ws, fmt: _Formats, frame: pd.DataFrame, first_row: int, *, autofilter: bool = True) -> int:
    """Write ``frame`` (visible columns only) with a header at ``first_row``; return the last row written."""
    cols = [c for c in frame.columns if not str(c).startswith("_")]
    status_keys = frame["_status"].tolist() if "_status" in frame.columns else None
    specs = []
    for c, name in enumerate(cols):
        s = frame[name]
        kind = _kind(name, s)
        width = _width(name, s, kind)
        if kind == "date":
            has_time = name == "Recorded at"
            specs.append((_excel_serials(s), ws.write_number, fmt.datetime if has_time else fmt.date))
            width = 17.0 if has_time else width
        elif kind == "pct":
            specs.append((_numbers(s), ws.write_number, fmt.pct))
        elif kind == "num":
            specs.append((_numbers(s), ws.write_number, fmt.num))
        else:
            specs.append((_texts(s), ws.write_string, fmt.wrap if name in _WRAP_COLUMNS else fmt.text))
        ws.set_column(c, c, width)
    for c, name in enumerate(cols):
        ws.write_string(first_row, c, name, fmt.header)
    if status_keys is not None and "Status" in cols:
        # Status cells take their GUIDE colour; rows are written in order (constant_memory),
        # so the per-row format is picked while writing rather than patched in afterwards.
        status_formats = [fmt.status.get(k, fmt.text) for k in status_keys]
        row0 = first_row + 1

        def write_status(row: int, col: int, value: str, _fmt=None) -> None:
            ws.write_string(row, col, value, status_formats[row - row0])

        c = cols.index("Status")
        specs[c] = (specs[c][0], write_status, None)
    values = [s[0] for s in specs]
    writers = [(c, s[1], s[2]) for c, s in enumerate(specs)]
    row = first_row
    # The hot loop: typed writes only (write_string / write_number), never ws.write(),
    # so nothing is ever guessed to be a formula, a URL or a number.
    for row, cells in enumerate(zip(*values, strict=True), start=first_row + 1):
        for (c, write, cell_fmt), v in zip(writers, cells, strict=True):
            if v is not None:
                write(row, c, v, cell_fmt)
    if autofilter and cols:
        ws.autofilter(first_row, 0, max(row, first_row), len(cols) - 1)
    return row


def _write_executive(wb, ws, fmt: _Formats, extract: Extract) -> None:
    frame = extract.executive
    cols = [c for c in frame.columns if not str(c).startswith("_")]
    ws.write_string(0, 0, f"{extract.plan_name}: executive summary", fmt.title)
    ws.write_string(1, 0, f"As of {extract.as_of:%Y-%m-%d} · {extract.filters.describe()} · "
                          f"generated {extract.generated_at:%Y-%m-%d %H:%M}", fmt.subtitle)
    header = 3
    widths = {"Code": 7, "Strategy / initiative": 62, "Lead department": 28, "Status": 27, "Progress": 22,
              "Expected progress": 10, "Actions": 8, "Completed": 10, "Overdue": 8}
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
    _page_setup(ws, header, len(cols), _footer(extract))


def _write_about(wb, ws, fmt: _Formats, extract: Extract) -> None:
    ws.set_column(0, 0, 22)
    ws.set_column(1, 1, 100)
    ws.write_string(0, 0, "Item", fmt.header)
    ws.write_string(0, 1, "Value", fmt.header)
    for r, (item, value) in enumerate(extract.about.itertuples(index=False, name=None), start=1):
        ws.write_string(r, 0, str(item), fmt.text)
        if isinstance(value, pd.Timestamp) or isinstance(value, dt.datetime):
            ts = pd.Timestamp(value)
            serial = (ts.to_datetime64().astype("datetime64[ns]") - _EXCEL_EPOCH) / _DAY_NS
            is_date = ts == ts.normalize()
            ws.write_number(r, 1, float(serial), fmt.date if is_date else fmt.datetime)
        elif isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
            ws.write_number(r, 1, float(value), fmt.num)
        elif value is not None and str(value):
            ws.write_string(r, 1, str(value), fmt.wrap)
    _page_setup(ws, 0, 2, _footer(extract))


def _workbook(target) -> xlsxwriter.Workbook:
    return xlsxwriter.Workbook(target, {
        "constant_memory": True,
        "strings_to_formulas": False,
        "strings_to_urls": False,
        "strings_to_numbers": False,
        "default_date_format": DATE_FORMAT,
        "tmpdir": tempfile.gettempdir(),
    })


def write_xlsx(extract: Extract, target: str | os.PathLike | IO[bytes]) -> None:
    """Write the extract as an .xlsx workbook (a path or a binary file object).

    Sheets: Actions, Roll-up, Executive, Updates, About; dates are real date cells,
    progress is 0-1 with a percent format, tables have autofilters and frozen headers,
    every sheet prints landscape, one page wide, header row repeated.
    """
    wb = _workbook(os.fspath(target) if isinstance(target, (str, os.PathLike)) else target)
    wb.set_properties({"title": f"{extract.plan_name} as of {extract.as_of:%Y-%m-%d}",
                       "subject": extract.filters.describe(), "creator": f"wehoplan {__version__}"})
    fmt = _Formats(wb)
    footer = _footer(extract)
    for name in SHEET_NAMES:
        ws = wb.add_worksheet(name)
        if name == "Executive":
            _write_executive(wb, ws, fmt, extract)
        elif name == "About":
            _write_about(wb, ws, fmt, extract)
        else:
            frame = extract.sheets()[name]
            ws.set_row(0, 30)
            _write_table(wb, ws, fmt, frame, 0)
            _page_setup(ws, 0, sum(1 for c in frame.columns if not str(c).startswith("_")), footer)
    wb.worksheets()[SHEET_NAMES.index("Executive")].activate()
    wb.close()


# ---------------------------------------------------------------- csv


def neutralise_csv_field(value: str) -> str:
    """OWASP CSV injection: prefix a single quote to text that a spreadsheet would run."""
    return "'" + value if value.startswith(CSV_FORMULA_TRIGGERS) else value


def _csv_column(s: pd.Series, name: str) -> list:
    kind = _kind(name, s)
    if kind == "date":
        return s.dt.strftime("%Y-%m-%d").astype("string").fillna("").tolist()
    if kind in ("pct", "num"):
        # Percent columns as percentages (65.0 = 65 %): a CSV has no cell formats, and a
        # bare 0.65 reads as "0.65 %" to people and to importers alike.
        values = (s.astype("float64") * (100.0 if kind == "pct" else 1.0)).round(6).to_numpy()
        return [None if np.isnan(v) else (int(v) if kind == "num" else float(v)) for v in values]
    return [neutralise_csv_field(v) for v in s.astype("string").fillna("").tolist()]


def write_csv(extract: Extract, target: str | os.PathLike | IO[bytes]) -> None:
    """Write the Actions sheet as CSV: UTF-8 with BOM, every text field quoted and neutralised."""
    frame = extract.actions
    cols = [c for c in frame.columns if not str(c).startswith("_")]
    buf = io.StringIO(newline="")
    # QUOTE_NONNUMERIC: text fields are quoted (OWASP), numbers stay numbers.
    writer = csv.writer(buf, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\r\n")
    writer.writerow(cols)
    writer.writerows(zip(*(_csv_column(frame[c], c) for c in cols), strict=True))
    data = buf.getvalue().encode("utf-8-sig")
    if isinstance(target, (str, os.PathLike)):
        with open(target, "wb") as fh:
            fh.write(data)
    else:
        target.write(data)


# ---------------------------------------------------------------- one call for pages and the CLI


def extract_bytes(
    tree: pd.DataFrame,
    updates: pd.DataFrame,
    plan,
    as_of,
    filters: Filters | None = None,
    *,
    fmt: Literal["xlsx", "csv"] = "xlsx",
    updates_from=None,
    updates_to=None,
    thresholds: Thresholds | None = None,
) -> bytes:
    """Build and write an extract, returning the file's bytes (for ``st.download_button``).

    Pass it as a callable (e.g. ``functools.partial``) so the file is built only on click.
    """
    if fmt not in ("xlsx", "csv"):
        raise ValueError(f"unknown extract format {fmt!r}; use xlsx or csv")
    extract = build_extract(tree, updates, plan, as_of, filters, updates_from=updates_from,
                            updates_to=updates_to, thresholds=thresholds)
    out = io.BytesIO()
    (write_xlsx if fmt == "xlsx" else write_csv)(extract, out)
    return out.getvalue()


def extract_filename(plan_name: str, as_of, fmt: str = "xlsx") -> str:
    """Return a tidy download name, e.g. ``weho-smart-city-strategic-plan-2018_2020-10-15.xlsx``."""
    slug = "".join(ch if ch.isalnum() else "-" for ch in plan_name.lower())
    slug = "-".join(part for part in slug.split("-") if part)[:60] or "plan"
    return f"{slug}_{pd.Timestamp(as_of):%Y-%m-%d}.{fmt}"
