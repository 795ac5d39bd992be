"""Reading spreadsheet files safely: guards first, then a fast reader.

A hostile or broken workbook must be refused in milliseconds, before any reader
allocates memory for it: a 5 KB xlsx declaring one cell at XFD1048576 makes dense
readers allocate gigabytes. So every zip-based file is checked (size, part count,
inflate ratio, the largest cell reference of each sheet) before calamine sees it.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_ZIP_PARTS = 2_000
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_INFLATE_RATIO = 200
MAX_ROWS = 200_000
MAX_COLUMNS = 500
MAX_CELLS = 5_000_000

_MOJIBAKE = re.compile("Ã[\u00a0-\u00bf]|â€[\u0090-\u203a™œ\u009d]")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Cell references (letters, number) and row numbers (b"", number) in one pass over the sheet.
_REF = re.compile(rb'<(?:\w+:)?(?:c\b[^>]*?\br="([A-Z]{1,3})|row\b[^>]*?\br=")([0-9]{1,7})"')
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\b[^>]*?\bref="([^"]+)"')


class FileRejected(ValueError):
    """The file cannot be read at all (wrong format, corrupt, hostile); nothing was written."""


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


@dataclass
class Workbook:
    """The readable content of one file."""

    file_name: str
    sheets: list[Sheet]
    notices: list[str] = field(default_factory=list)
    data: bytes = b""
    kind: str = "xlsx"


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    out = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


def _col_index(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ch - 64)
    return n


def guard_zip(data: bytes, name: str) -> zipfile.ZipFile:
    """Check a zip container's shape before anything inflates it.

    Raises:
        FileRejected: too many parts, too large inflated, a zip bomb ratio, or sheets
            declaring more rows/columns/cells than any work plan has.

    """
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise FileRejected(f"{name}: the file is corrupt or truncated (not a readable .xlsx); "
                           "open it in Excel and save it again as .xlsx") from None
    if len(infos) > MAX_ZIP_PARTS:
        raise FileRejected(f"{name}: refused: the workbook has {len(infos)} parts (at most {MAX_ZIP_PARTS})")
    total = sum(i.file_size for i in infos)
    if total > MAX_UNCOMPRESSED_BYTES:
        raise FileRejected(f"{name}: refused: it would inflate to {total / 1e6:.0f} MB "
                           f"(at most {MAX_UNCOMPRESSED_BYTES / 1e6:.0f} MB)")
    for i in infos:
        if i.file_size > 1_000_000 and i.file_size > MAX_INFLATE_RATIO * max(i.compress_size, 1):
            raise FileRejected(f"{name}: refused: part {i.filename} inflates {i.file_size // max(i.compress_size, 1)}x "
                               f"(a zip bomb; at most {MAX_INFLATE_RATIO}x)")
    names = {i.filename for i in infos}
    if "mimetype" in names and b"opendocument" in zf.read("mimetype"):
        raise FileRejected(f"{name}: OpenDocument (.ods) files are not read; save it as .xlsx")
    if "xl/workbook.xml" not in names:
        raise FileRejected(f"{name}: not an Excel workbook (no xl/workbook.xml); save it as .xlsx")
    for i in infos:
        if i.filename.startswith("xl/worksheets/") and i.filename.endswith(".xml"):
            _guard_sheet_xml(zf, i, name)
    return zf


def _guard_sheet_xml(zf: zipfile.ZipFile, info: zipfile.ZipInfo, name: str) -> None:
    # The declared dimension can lie (or be absent), so the real cell references count too;
    # scanning the XML with a regex is milliseconds for any sheet that passed the size guard.
    try:
        xml = zf.read(info)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        raise FileRejected(f"{name}: the file is corrupt or truncated ({info.filename} cannot be read); "
                           "save it again as .xlsx") from None
    max_row = max_col = 0
    m = _DIMENSION.search(xml, 0, 4096)
    if m:
        for part in m.group(1).split(b":"):
            mm = re.match(rb"\$?([A-Z]+)\$?([0-9]+)", part)
            if mm:
                max_col = max(max_col, _col_index(mm.group(1)))
                max_row = max(max_row, int(mm.group(2)))
    # Distinct letters and numbers only, split by itemgetter and deduplicated by set (all in
    # C): a 100k-row sheet has a handful of column letters and one number per row, and every
    # (letters, number) pair is distinct, so no Python loop may run per reference.
    refs = _REF.findall(xml)
    for letters in set(map(itemgetter(0), refs)):
        if letters:
            max_col = max(max_col, _col_index(letters))
    rows = set(map(itemgetter(1), refs))
    if rows:
        max_row = max(max_row, max(map(int, rows)))
    if max_row > MAX_ROWS or max_col > MAX_COLUMNS or max_row * max_col > MAX_CELLS:
        raise FileRejected(
            f"{name}: refused: a sheet ({info.filename}) reaches cell {column_letter(max_col - 1)}{max_row}; "
            f"at most {MAX_ROWS} rows and {MAX_COLUMNS} columns are read. Delete the stray cells and save again"
        )


def read_source(source: str | Path | tuple[str, bytes]) -> Workbook:
    """Read a path or a (file name, bytes) pair into sheets of values, guarded.

    Raises:
        FileRejected: unsupported format, corrupt, encrypted or hostile file.

    """
    if isinstance(source, tuple):
        name, data = source
    else:
        p = Path(source)
        name = p.name
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
    import python_calamine as pc

    zf = guard_zip(data, name)
    notices: list[str] = []
    if suffix == ".xlsm" or any(n.filename.lower().endswith("vbaproject.bin") for n in zf.infolist()):
        notices.append(f"{name}: macros were ignored (never run); only cell values are read")
    try:
        wb = pc.CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheets: list[Sheet] = []
        for meta in wb.sheets_metadata:
            if str(meta.typ).lower().endswith("chartsheet"):
                continue
            sh = wb.get_sheet_by_name(meta.name)
            rows = _fill_vertical_merges(_sheet_rows(sh), sh.merged_cell_ranges or [])
            sheets.append(Sheet(name=meta.name, rows=rows,
                                visible=str(meta.visible).lower().endswith("visible")
                                and "hidden" not in str(meta.visible).lower()))
    except Exception as exc:
        raise FileRejected(f"{name}: the workbook cannot be read ({exc}); "
                           "open it in Excel and save it as .xlsx") from None
    return Workbook(file_name=name, sheets=sheets, notices=notices, data=data, kind="xlsx")


def _sheet_rows(sh) -> list[tuple[object, ...]]:
    """The sheet's rows from A1 (what ``to_python(skip_empty_area=False)`` gives), as tuples.

    Row by row: each row list is dropped as soon as its tuple exists, so the garbage
    collector never sees a whole sheet of lists at once. ``iter_rows`` starts at row 1 but
    at the first used column: the columns before it are padded back.
    """
    pad = ("",) * (sh.start[1] if sh.start else 0)
    return [pad + tuple(r) for r in sh.iter_rows()]


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
        col = _col_index(mm.group(1)) - 1
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
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
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
    rows: list[tuple[object, ...]] = []
    for rec in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
        rows.append(tuple(c if c.strip() != "" else None for c in rec))
        if len(rows) > MAX_ROWS:
            raise FileRejected(f"{name}: refused: more than {MAX_ROWS} rows")
    width = max((len(r) for r in rows), default=0)
    if width > MAX_COLUMNS:
        raise FileRejected(f"{name}: refused: {width} columns (at most {MAX_COLUMNS})")
    notices = [notice] if notice else []
    if _MOJIBAKE.search(text[:200_000]):
        notices.append(f"{name}: some text looks mis-encoded already (like 'Ã©' for 'é' or 'â€™' for '’'); "
                       "check the titles after import, or re-save the file as CSV UTF-8 from the original")
    return Workbook(file_name=name, sheets=[Sheet(name=Path(name).stem, rows=rows)], notices=notices,
                    data=data, kind="csv")
