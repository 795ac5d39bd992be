"""Reading spreadsheet files safely: guards first, then a fast reader.

A hostile or broken workbook must be refused in milliseconds, before any reader
allocates memory for it: a 5 KB xlsx declaring one cell at XFD1048576 makes dense
readers allocate gigabytes. So every zip-based file is checked (size, part count,
inflate ratio, the largest cell reference of each sheet) before calamine sees it.
"""

from __future__ import annotations

import csv
import io
import pickle
import re
import signal
import subprocess
import sys
import threading
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from wehoplan.domain import one_line
from wehoplan.importing.guard import (
    MAX_COLUMNS,
    MAX_ROWS,
    FileRejected,
    column_letter,  # noqa: F401 - re-exported: rows.py and the package import it from here
    guard_workbook,
)
from wehoplan.importing.guard import col_index as _col_index_str
from wehoplan.importing.values import texts

MAX_FILE_BYTES = 50 * 1024 * 1024
# The child reader's limits: far above what any real plan needs (a 100k-row workbook reads
# in a few hundred MB), far below what a hostile file would make calamine try to allocate.
READER_MEMORY_BYTES = 3 * 1024**3
READER_CPU_SECONDS = 60
READER_WALL_SECONDS = 120

_MOJIBAKE = re.compile("Ã[\u00a0-\u00bf]|â€[\u0090-\u203a™œ\u009d]")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass
class Sheet:
    """One sheet's cells as rows of Python values (row 0 is spreadsheet row 1, column 0 is A).

    ``percent_cells`` holds (row, col) of numeric cells formatted as a percentage, so
    0.45 shown as 45 % is read as 45 % and a bare 45 as 45 % too.
    """

    name: str
    # Tuples, not lists: a tuple of plain values leaves the garbage collector's watch at
    # its first pass, so a 100k-row sheet does not make every later collection walk it.
    rows: list[tuple[object, ...]]
    visible: bool = True
    percent_cells: set[tuple[int, int]] = field(default_factory=set)
    percent_columns_checked: bool = False
    # (row, col) of cells holding a spreadsheet error (#DIV/0!, #N/A...); their value reads as blank.
    error_cells: set[tuple[int, int]] = field(default_factory=set)
    # column_texts' results, each beside the rows it was read from (a sheet's rows are replaced, never edited).
    _texts: dict[tuple[int, int], tuple[list, list]] = field(default_factory=dict, init=False, repr=False,
                                                              compare=False)

    def column_texts(self, c: int, first: int) -> list[str | None]:
        """``values.texts`` of column ``c`` from row ``first`` on (None past a short row), read once.

        The sheet choice reads the title column, then the column pass reads it again.
        """
        hit = self._texts.get((c, first))
        if hit is None or hit[0] is not self.rows:
            hit = self._texts[(c, first)] = (self.rows, texts([row[c] if c < len(row) else None
                                                               for row in self.rows[first:]]))
        return hit[1]


@dataclass
class Workbook:
    """The readable content of one file."""

    file_name: str
    sheets: list[Sheet]
    notices: list[str] = field(default_factory=list)
    data: bytes = b""
    kind: str = "xlsx"


def read_source(source: str | Path | tuple[str, bytes]) -> Workbook:
    """Read a path or a (file name, bytes) pair into sheets of values, guarded.

    Raises:
        FileRejected: unsupported format, corrupt, encrypted or hostile file.

    """
    if isinstance(source, tuple):
        name, data = source
        name = one_line(name) or "upload"
    else:
        p = Path(source)
        name = one_line(p.name) or "file"
        try:
            size = p.stat().st_size
        except OSError as exc:
            raise FileRejected(f"{name}: cannot read the file ({exc.strerror})") from None
        if size > MAX_FILE_BYTES:
            raise FileRejected(f"{name}: refused: {size / 1e6:.0f} MB is larger than {MAX_FILE_BYTES / 1e6:.0f} MB")
        data = p.read_bytes()
    if len(data) > MAX_FILE_BYTES:
        raise FileRejected(f"{name}: refused: {len(data) / 1e6:.0f} MB is larger than {MAX_FILE_BYTES / 1e6:.0f} MB")
    suffix = Path(name).suffix.lower()
    if data.startswith(_OLE_MAGIC):
        raise FileRejected(f"{name}: this is a legacy .xls or a password-protected workbook; "
                           "remove the password and save it as .xlsx")
    if suffix in (".xls", ".ods", ".numbers", ".xlsb"):
        raise FileRejected(f"{name}: {suffix} files are not read; save it as .xlsx")
    if suffix in (".xlsx", ".xlsm") or data[:2] == b"PK":
        return _read_xlsx(name, data, suffix)
    if suffix in (".csv", ".txt", ".tsv") or not suffix:
        return _read_csv(name, data)
    raise FileRejected(f"{name}: unsupported file type {suffix!r}; use .xlsx, .xlsm, .csv or .txt")


def _read_xlsx(name: str, data: bytes, suffix: str) -> Workbook:
    # The child starts reading while this process runs the guard: the guard decides, and
    # a refused file's child is killed unread, so the child's fixed cost mostly overlaps.
    child = _ReaderChild(data)
    try:
        zf, error_cells = guard_workbook(data, name)
    except BaseException:
        child.kill()
        raise
    notices: list[str] = []
    if suffix == ".xlsm" or any(n.filename.lower().endswith("vbaproject.bin") for n in zf.infolist()):
        notices.append(f"{name}: macros were ignored (never run); only cell values are read")
    entries = child.result(name)
    sheets = [
        Sheet(name=e["name"], rows=_fill_vertical_merges(e["rows"], e["merged"]),
              visible=e["visible"].endswith("visible") and "hidden" not in e["visible"],
              error_cells=error_cells.get(e["name"], set()))
        for e in entries if not e["typ"].endswith("chartsheet")
    ]
    return Workbook(file_name=name, sheets=sheets, notices=notices, data=data, kind="xlsx")


class _ReaderChild:
    """calamine in a child process with memory, CPU and wall-clock limits (see ``reader_child``)."""

    script = Path(__file__).with_name("reader_child.py")

    def __init__(self, data: bytes) -> None:
        self._proc = subprocess.Popen(
            [sys.executable, "-I", str(self.script), str(READER_MEMORY_BYTES), str(READER_CPU_SECONDS)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        )
        self._out: bytes = b""
        self._timed_out = False
        self._thread = threading.Thread(target=self._talk, args=(data,), daemon=True)
        self._thread.start()

    def _talk(self, data: bytes) -> None:
        try:
            self._out, _ = self._proc.communicate(data, timeout=READER_WALL_SECONDS)
        except subprocess.TimeoutExpired:
            self._timed_out = True
            self._proc.kill()
            self._proc.communicate()
        except OSError:  # the child died before reading all of stdin: its return code says why
            self._proc.wait()

    def kill(self) -> None:
        """Stop the child (the guard refused the file) and reap it."""
        self._proc.kill()
        self._thread.join()

    def result(self, name: str) -> list[dict]:
        """The sheets the child read.

        Raises:
            FileRejected: the child crashed, ran out of its limits or could not read the file.

        """
        self._thread.join()
        code = self._proc.returncode
        fix = "open it in Excel and save it again as .xlsx"
        if self._timed_out:
            raise FileRejected(f"{name}: refused: reading it took longer than {READER_WALL_SECONDS} s; {fix}")
        if code:
            how = (f"signal {signal.Signals(-code).name}" if code < 0 and -code in signal.valid_signals()
                   else f"exit code {code}")
            raise FileRejected(f"{name}: refused: the spreadsheet reader stopped on this file ({how}: it needed "
                               f"more memory or time than a work plan does, or the file is damaged); {fix}")
        try:
            ok, value = pickle.loads(self._out)
        except Exception:
            raise FileRejected(f"{name}: refused: the spreadsheet reader gave no answer; {fix}") from None
        if not ok:
            raise FileRejected(f"{name}: the workbook cannot be read ({value}); {fix}")
        return value


def _fill_vertical_merges(rows: list[tuple[object, ...]], ranges: list) -> list[tuple[object, ...]]:
    """Return the rows as tuples, every row of a vertically merged cell holding the merged value.

    A department or strategy merged over its rows belongs to each of them. Horizontal merges
    (a section title across the row) stay in their first cell, so such a row still reads as
    a section row.
    """
    fills: dict[int, dict[int, object]] = {}
    for (r1, c1), (r2, _c2) in ranges:
        if r2 <= r1 or r1 >= len(rows) or c1 >= len(rows[r1]):
            continue
        value = rows[r1][c1]
        for r in range(r1 + 1, min(r2, len(rows) - 1) + 1):
            if c1 < len(rows[r]) and rows[r][c1] in (None, ""):
                fills.setdefault(r, {})[c1] = value
    out = list(rows)
    for r, cells in fills.items():
        row = list(out[r])
        for c, value in cells.items():
            row[c] = value
        out[r] = tuple(row)
    return out


def percent_cells(data: bytes, sheet_name: str, columns: list[int]) -> set[tuple[int, int]]:
    """(row, col) of the cells in ``columns`` whose number format is a percentage.

    Read straight from the xlsx parts: the styles give the cell formats (``xf``) whose
    number format holds a ``%``; a workbook without any (the common case) needs no cell
    scan at all, otherwise one regex pass over the sheet's XML finds the numeric cells
    of ``columns`` carrying such a format. openpyxl does the same far more slowly (it
    builds every cell); it stays the fallback for parts this scan does not understand.
    """
    out: set[tuple[int, int]] = set()
    if not columns:
        return out
    import xml.etree.ElementTree as ET

    try:
        return _percent_cells_xml(data, sheet_name, columns)
    except (_Unsupported, ET.ParseError, ValueError, KeyError, zipfile.BadZipFile):
        return _percent_cells_openpyxl(data, sheet_name, columns)


class _Unsupported(Exception):
    """The fast percent-format scan met a part it does not handle."""


_BUILTIN_PERCENT = {9, 10}  # "0%" and "0.00%", the only built-in number formats with a %
_NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_CELL = re.compile(rb'<(?:\w+:)?c\b([^>]*?)(/>|>(.*?)</(?:\w+:)?c>)', re.S)
_ATTR = re.compile(rb'\b([rst])="([^"]*)"')
_HAS_VALUE = re.compile(rb'<(?:\w+:)?v\b[^>]*>[^<]')


def _percent_cells_xml(data: bytes, sheet_name: str, columns: list[int]) -> set[tuple[int, int]]:
    import xml.etree.ElementTree as ET

    out: set[tuple[int, int]] = set()
    zf = zipfile.ZipFile(io.BytesIO(data))
    names = set(zf.namelist())
    if "xl/styles.xml" not in names:
        return out  # no styles: no cell can carry a percent format
    styles = ET.fromstring(zf.read("xl/styles.xml"))
    custom = {int(n.get("numFmtId", -1)): n.get("formatCode", "") for n in styles.iter(_NS_MAIN + "numFmt")}
    xfs = styles.find(_NS_MAIN + "cellXfs")
    pct_styles = set()
    for i, xf in enumerate(xfs.findall(_NS_MAIN + "xf") if xfs is not None else []):
        fid = int(xf.get("numFmtId", 0))
        if fid in _BUILTIN_PERCENT or "%" in custom.get(fid, ""):
            pct_styles.add(str(i).encode())
    if not pct_styles:
        return out
    wb = ET.fromstring(zf.read("xl/workbook.xml"))
    rid = next((sh.get(_NS_REL + "id") for sh in wb.iter(_NS_MAIN + "sheet") if sh.get("name") == sheet_name), None)
    if rid is None or "xl/_rels/workbook.xml.rels" not in names:
        raise _Unsupported
    rels = ET.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    target = next((r.get("Target") for r in rels if r.get("Id") == rid), None)
    if not target:
        raise _Unsupported
    part = target.lstrip("/") if target.startswith("/") else "xl/" + target
    if part not in names:
        raise _Unsupported
    wanted = set(columns)
    for m in _CELL.finditer(zf.read(part)):
        attrs = dict(_ATTR.findall(m.group(1)))
        ref = attrs.get(b"r")
        if ref is None:
            raise _Unsupported  # cells without a reference: position by counting, left to openpyxl
        if attrs.get(b"s") not in pct_styles or attrs.get(b"t", b"n") not in (b"n", b"b"):
            continue
        mm = re.match(rb"\$?([A-Z]+)\$?([0-9]+)", ref)
        if mm is None:
            raise _Unsupported
        col = _col_index_str(mm.group(1).decode()) - 1
        if col in wanted and m.group(3) is not None and _HAS_VALUE.search(m.group(3)):
            out.add((int(mm.group(2)) - 1, col))
    return out


def _percent_cells_openpyxl(data: bytes, sheet_name: str, columns: list[int]) -> set[tuple[int, int]]:
    import openpyxl

    out: set[tuple[int, int]] = set()
    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        ws = wb[sheet_name]
        lo, hi = min(columns) + 1, max(columns) + 1
        for row in ws.iter_rows(min_col=lo, max_col=hi):
            for cell in row:
                if getattr(cell, "column", None) is None or cell.column - 1 not in columns:
                    continue
                if isinstance(cell.value, (int, float)) and "%" in str(cell.number_format or ""):
                    out.add((cell.row - 1, cell.column - 1))
    finally:
        wb.close()
    return out


def _decode(name: str, data: bytes) -> tuple[str, str | None]:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), None
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise FileRejected(f"{name}: the text is neither UTF-8 nor Windows-1252 (byte {exc.start}); "
                           "save it as CSV UTF-8") from None
    return text, f"{name}: read as Windows-1252 (cp1252) text because it is not valid UTF-8"


def _read_csv(name: str, data: bytes) -> Workbook:
    utf16 = data.startswith((b"\xff\xfe", b"\xfe\xff"))
    if b"\x00" in data[:4096] and not utf16:
        raise FileRejected(f"{name}: this is a binary file, not CSV text")
    try:
        text, notice = _decode(name, data)
    except UnicodeDecodeError:
        raise FileRejected(f"{name}: the text is not valid UTF-8; save it as CSV UTF-8") from None
    sample = text[:20_000]
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        # A one-column file or an odd sample: count candidates in the first lines.
        first = "\n".join(sample.splitlines()[:20])
        delimiter = max(",;\t|", key=first.count)
    nul = text.find("\x00")
    if nul >= 0:
        line = text.count("\n", 0, nul) + 1
        raise FileRejected(f"{name}: line {line} holds a NUL byte (binary data, not text); "
                           "save the file again as CSV UTF-8")
    rows: list[tuple[object, ...]] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for rec in reader:
            rows.append(tuple(c if c.strip() != "" else None for c in rec))
            if len(rows) > MAX_ROWS:
                raise FileRejected(f"{name}: refused: more than {MAX_ROWS} rows")
    except csv.Error as exc:
        # The usual cause is a quote opened and never closed: the rest of the file became one field.
        start = len(rows) + 1
        raise FileRejected(f"{name}: row {start} (line {reader.line_num}) cannot be read ({exc}); "
                           "look for a double quote that is opened and never closed") from None
    width = max((len(r) for r in rows), default=0)
    if width > MAX_COLUMNS:
        raise FileRejected(f"{name}: refused: {width} columns (at most {MAX_COLUMNS})")
    notices = [notice] if notice else []
    if _MOJIBAKE.search(text[:200_000]):
        notices.append(f"{name}: some text looks mis-encoded already (like 'Ã©' for 'é' or 'â€™' for '’'); "
                       "check the titles after import, or re-save the file as CSV UTF-8 from the original")
    return Workbook(file_name=name, sheets=[Sheet(name=Path(name).stem, rows=rows)], notices=notices,
                    data=data, kind="csv")
