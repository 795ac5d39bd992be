"""The pre-read guard of xlsx files: container shape, then every sheet part through a real XML parser.

Regular expressions over the XML can be walked around (single-quoted attributes, row numbers
of eight digits, cells without a reference, sheet parts outside ``xl/worksheets/`` that the
workbook's relationships point to), so the parts are parsed by expat, streamed from the zip
in chunks, with document type declarations (and so every entity) refused outright: no
OOXML part has one. What calamine would size its buffers from is bounded here: the declared
dimension, every row and cell position (counted when a cell or row carries no reference),
and the shared-string counts. The child-process reader (``reader_child``) is the second line
for whatever this guard does not foresee.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from operator import itemgetter
from typing import Any, NoReturn
from xml.parsers import expat

MAX_ZIP_PARTS = 2_000
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_INFLATE_RATIO = 200
MAX_ROWS = 200_000
MAX_COLUMNS = 500
MAX_CELLS = 5_000_000
MAX_SHARED_STRINGS = 5_000_000
MAX_STYLE_ELEMENTS = 500_000  # cell formats, fonts, fills...: real workbooks hold hundreds

_CHUNK = 1 << 16
_CELL_REF = re.compile(r"\$?([A-Za-z]{1,3})\$?([0-9]{1,9})\Z")
_RANGE_PART = re.compile(r"\$?([A-Za-z]{0,3})\$?([0-9]{0,9})\Z")
# Elements inside cells (values, inline and rich text, formulas): nothing to bound in them.
_VALUE_TAGS = frozenset({"v", "t", "is", "f", "r", "rPr", "x:v", "x:t", "x:is", "x:f"})
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


class FileRejected(ValueError):
    """The file cannot be read at all (wrong format, corrupt, hostile); nothing was written."""


class _Stop(Exception):
    """Raised inside an expat handler to end a parse early (a bound was crossed)."""


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    out = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


def col_index(letters: str) -> int:
    """A -> 1, Z -> 26, AA -> 27 (case ignored)."""
    n = 0
    for ch in letters.upper():
        n = n * 26 + (ord(ch) - 64)
    return n


def _local(tag: str) -> str:
    return tag.rpartition(":")[2]


def _safe_parser(part: str, name: str) -> Any:
    """An expat parser that refuses any DTD or entity declaration (so no entity is ever expanded)."""
    px = expat.ParserCreate()
    px.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)

    def no_dtd(*_args: Any) -> NoReturn:
        raise FileRejected(f"{name}: refused: part {part} declares a document type (entities are never read)")

    px.StartDoctypeDeclHandler = no_dtd
    px.EntityDeclHandler = no_dtd
    px.ExternalEntityRefHandler = no_dtd
    return px


def _parse(zf: zipfile.ZipFile, part: str, name: str, start, raw_tags: bool = False) -> None:
    """Stream one part through expat, calling ``start(local_tag, attrs)`` for each element.

    With ``raw_tags`` the handler gets the tag as written (``x:c``) and strips prefixes itself.

    Raises:
        FileRejected: the part is not well-formed XML, carries a DTD, or cannot be inflated.

    """
    px = _safe_parser(part, name)
    px.StartElementHandler = start if raw_tags else (lambda tag, attrs: start(_local(tag), attrs))
    try:
        with zf.open(part) as f:
            while chunk := f.read(_CHUNK):
                px.Parse(chunk, False)
            px.Parse(b"", True)
    except _Stop:
        return
    except FileRejected:  # a ValueError too: raised by a handler, it already says what is wrong
        raise
    except expat.ExpatError as exc:
        raise FileRejected(f"{name}: the file is corrupt ({part} is not well-formed XML at line {exc.lineno}); "
                           "open it in Excel and save it again as .xlsx") from None
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        raise FileRejected(f"{name}: the file is corrupt or truncated ({part} cannot be read); "
                           "save it again as .xlsx") from None


def guard_zip(data: bytes, name: str) -> zipfile.ZipFile:
    """:func:`guard_workbook` without the error cells it found."""
    return guard_workbook(data, name)[0]


def guard_workbook(data: bytes, name: str) -> tuple[zipfile.ZipFile, dict[str, set[tuple[int, int]]]]:
    """Check a zip container's shape, then every part a reader sizes its buffers from.

    Returns:
        The open zip, and per sheet name the (row, column), 0-based, of every cell holding a
        spreadsheet error (``#DIV/0!``, ``#N/A``...), which readers give as blank cells.


    Raises:
        FileRejected: too many parts, too large inflated, a zip bomb ratio, malformed or
            DTD-carrying XML, or sheets declaring more rows/columns/cells than any work plan has.

    """
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
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
    by_rid: dict[str, str] = {}
    errors_by_part: dict[str, set[tuple[int, int]]] = {}
    for part in sorted(sheet_parts(zf, name, by_rid)):
        if part not in names:
            raise FileRejected(f"{name}: the file is corrupt (its sheet part {part} is missing); "
                               "open it in Excel and save it again as .xlsx")
        errors_by_part[part] = _guard_sheet_part(zf, part, name)
    for part in names - set(errors_by_part):
        base = _local(posixpath.basename(part)).lower()
        if base.startswith("sharedstrings") and part.endswith(".xml"):
            _guard_shared_strings(zf, part, name)
        elif part.endswith((".xml", ".rels")):
            # Every other XML part (styles, relationships, themes...) meets the same safe parser before any
            # reader (the percent-format scan, openpyxl's fallback, calamine) does; styles are counted too.
            _guard_other_part(zf, part, name, styles=base.startswith("styles"))
    errors: dict[str, set[tuple[int, int]]] = {}
    if any(errors_by_part.values()):
        for sheet, rid in _sheet_ids(zf, name):
            cells = errors_by_part.get(by_rid.get(rid, ""))
            if cells:
                errors[sheet] = cells
    return zf, errors


def _sheet_ids(zf: zipfile.ZipFile, name: str) -> list[tuple[str, str]]:
    """(sheet name, relationship id) of every sheet the workbook lists."""
    out: list[tuple[str, str]] = []

    def start(tag: str, attrs: dict[str, str]) -> None:
        if tag == "sheet":
            rid = next((v for k, v in attrs.items() if k == "id" or k.endswith(":id")), "")
            out.append((attrs.get("name", ""), rid))

    _parse(zf, "xl/workbook.xml", name, start)
    return out


def sheet_parts(zf: zipfile.ZipFile, name: str, by_rid: dict[str, str] | None = None) -> set[str]:
    """Every part a reader may open as a sheet: those under xl/worksheets/ and every rel target.

    The workbook's relationships can point a sheet anywhere in the zip, so the targets of
    ``xl/_rels/workbook.xml.rels`` (internal ones) are resolved and guarded too.
    """
    names = set(zf.namelist())
    parts = {n for n in names if n.startswith("xl/worksheets/") and n.endswith(".xml")}
    rels = "xl/_rels/workbook.xml.rels"
    if rels not in names:
        return parts
    targets: list[tuple[str, str, str]] = []

    def start(tag: str, attrs: dict[str, str]) -> None:
        if tag == "Relationship" and attrs.get("TargetMode", "").lower() != "external":
            targets.append((attrs.get("Type", ""), attrs.get("Target", ""), attrs.get("Id", "")))

    _parse(zf, rels, name, start)
    for typ, target, rid in targets:
        kind = typ.rpartition("/")[2].lower()
        if not target or kind not in ("worksheet", "chartsheet", "dialogsheet", "macrosheet", "xlmacrosheet"):
            continue
        path = posixpath.normpath(target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target))
        parts.add(path)
        if by_rid is not None:
            by_rid[rid] = path
    return parts


def _bound(name: str, part: str, row: int, col: int) -> None:
    if row > MAX_ROWS or col > MAX_COLUMNS or row * col > MAX_CELLS:
        raise FileRejected(
            f"{name}: refused: a sheet ({part}) reaches cell {column_letter(max(col, 1) - 1)}{row}; "
            f"at most {MAX_ROWS} rows and {MAX_COLUMNS} columns are read. Delete the stray cells and save again"
        )


def _guard_sheet_part(zf: zipfile.ZipFile, part: str, name: str) -> set[tuple[int, int]]:
    """Bound one sheet part; return the (row, col), 0-based, of its error cells (``t="e"``).

    Two ways to the same answer. Most parts are what Excel and the usual libraries write
    (every row and cell with a double-quoted reference, no comments, CDATA or entities in
    tags): after expat has checked the part is well-formed and DTD-free, C-speed regular
    expressions then read every reference exactly, and counting proves none was missed.
    Any other part takes the element-by-element walk (:func:`_walk_sheet_part`).
    """
    try:
        with zf.open(part) as f:
            xml = f.read()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        raise FileRejected(f"{name}: the file is corrupt or truncated ({part} cannot be read); "
                           "save it again as .xlsx") from None
    markup_free = _parse_bytes(xml, part, name)
    fast = _scan_plain_sheet(xml, part, name, markup_checked=True) if markup_free else None
    return fast if fast is not None else _walk_sheet_part(zf, part, name)


# The plain form: the reference is the first attribute, double-quoted, as Excel, openpyxl and
# xlsxwriter write it. Counting every way a cell or row tag can start proves none is missed.
_CELL_REFS = re.compile(rb'<c r="([A-Z]{1,3})([0-9]{1,7})"')
_ROW_REFS = re.compile(rb'<row r="([0-9]{1,7})"')
_DIMENSION_REF = re.compile(rb'<dimension ref="([^"<>]*)"')
# Anything but the plain form of a cell, row or dimension tag start: other whitespace, an
# empty tag, a namespace prefix; such parts take the walk. Two searches, each with a literal
# start the regex engine skips to (one alternation of both is several times slower).
_UNPLAIN_TAGS = (re.compile(rb"<(?:c|row|dimension)[\t\n\r>/]"), re.compile(rb":(?:c|row|dimension)[\s/>]"))
# Cell and row references other than one letter and at most five digits (up to 99999 rows,
# 26 columns: always within bounds), with the start of their value. Expat has read the part,
# so no attribute value holds a '<' and each capture is the value (or its first 20 bytes).
_ODD_CELL_REFS = re.compile(rb'<c r="(?![A-Z][0-9]{1,5}")([^"]{0,20})')
_ODD_ROW_REFS = re.compile(rb'<row r="(?![0-9]{1,5}")([^"]{0,20})')
_PLAIN_REF = re.compile(rb"([A-Z]{1,3})([0-9]{1,7})")
_SMALL_ROW, _SMALL_COL = 99_999, 26


def _scan_plain_sheet(xml: bytes, part: str, name: str, markup_checked: bool = False) -> set[tuple[int, int]] | None:
    """The references of a plainly written part read by regex; None when it is not plain.

    ``markup_checked``: expat found no comment, CDATA section or processing instruction in
    the part (:func:`_parse_bytes`), so the byte searches for them are skipped.
    """
    if not markup_checked and (b"<!--" in xml or b"<![CDATA[" in xml
                               or xml.count(b"<?") > (1 if xml.lstrip().startswith(b"<?") else 0)):
        return None  # text a regex could mistake for tags, or tags it could miss
    if b't="e"' in xml or any(rx.search(xml) for rx in _UNPLAIN_TAGS):
        return None  # error cells to locate, or tags not in the plain form: the walk handles both
    if _within_bounds(xml):
        return set()
    refs = _CELL_REFS.findall(xml)
    rows = _ROW_REFS.findall(xml)
    dims = _DIMENSION_REF.findall(xml)
    if len(refs) != xml.count(b"<c ") or len(rows) != xml.count(b"<row ") or len(dims) != xml.count(b"<dimension "):
        return None  # some cell or row has no reference, or not as the first attribute
    if len(refs) > MAX_CELLS:
        raise FileRejected(f"{name}: refused: a sheet ({part}) has more than {MAX_CELLS} cells")
    # Distinct letters and numbers only, deduplicated by set (in C): a 100k-row sheet has a
    # handful of column letters and one number per row.
    max_col = max((col_index(x.decode()) for x in set(map(itemgetter(0), refs))), default=0)
    max_row = max(map(int, set(map(itemgetter(1), refs)) | set(rows)), default=0)
    for dim in dims:
        for piece in dim.decode("ascii", "replace").split(":")[:2]:
            m = _RANGE_PART.match(piece)
            if m is None:
                return None
            max_col = max(max_col, col_index(m.group(1)) if m.group(1) else 1)
            max_row = max(max_row, int(m.group(2) or 1))
    _bound(name, part, max(max_row, 1), max(max_col, 1))
    return set()


def _within_bounds(xml: bytes) -> bool:
    """True when a plain part's references are provably within every bound, False when unsure.

    Only ever a shortcut to accepting: on False the exact scan below decides (and words any
    refusal). The common references (one letter, up to five digits) are bounded by their form
    and never materialised; only the others are read, and each must be a plain reference.
    """
    cells = xml.count(b"<c ")
    rows = xml.count(b"<row ")
    if cells > MAX_CELLS or xml.count(b'<c r="') != cells or xml.count(b'<row r="') != rows:
        return False
    odd_cells = _ODD_CELL_REFS.findall(xml)
    odd_rows = _ODD_ROW_REFS.findall(xml)
    max_col = _SMALL_COL if cells > len(odd_cells) else 0
    max_row = _SMALL_ROW if cells > len(odd_cells) or rows > len(odd_rows) else 0
    for ref in odd_cells:
        m = _PLAIN_REF.fullmatch(ref)
        if m is None:
            return False
        max_col = max(max_col, col_index(m.group(1).decode()))
        max_row = max(max_row, int(m.group(2)))
    for ref in odd_rows:
        if not (ref.isdigit() and len(ref) <= 7):
            return False
        max_row = max(max_row, int(ref))
    dims = _DIMENSION_REF.findall(xml)
    if len(dims) != xml.count(b"<dimension "):
        return False
    for dim in dims:
        for piece in dim.decode("ascii", "replace").split(":")[:2]:
            part = _RANGE_PART.match(piece)
            if part is None:
                return False
            max_col = max(max_col, col_index(part.group(1)) if part.group(1) else 1)
            max_row = max(max_row, int(part.group(2) or 1))
    return max_row <= MAX_ROWS and max_col <= MAX_COLUMNS and max_row * max_col <= MAX_CELLS


def _parse_bytes(xml: bytes, part: str, name: str) -> bool:
    """Expat over a whole part with no element handler: well-formed, DTD-free, at C speed.

    Returns:
        True when the part holds no comment, CDATA section or processing instruction (the
        XML declaration aside): text a regular expression could mistake for tags.

    """
    px = _safe_parser(part, name)
    seen: list[bool] = []

    def markup(*_args: Any) -> None:
        seen.append(True)

    px.CommentHandler = markup
    px.StartCdataSectionHandler = markup
    px.ProcessingInstructionHandler = markup
    try:
        px.Parse(xml, True)
    except expat.ExpatError as exc:
        raise FileRejected(f"{name}: the file is corrupt ({part} is not well-formed XML at line {exc.lineno}); "
                           "open it in Excel and save it again as .xlsx") from None
    return not seen


def _walk_sheet_part(zf: zipfile.ZipFile, part: str, name: str) -> set[tuple[int, int]]:
    """Bound one sheet part element by element; return its error cells as (row, col), 0-based.

    Positions follow the spreadsheet rules: a row without r is the one after the previous
    row, a cell without r the one after the previous cell of its row. Each is bounded the
    moment it is seen, so a hostile part is refused before the parse reaches its end. The
    handler runs once per element of a sheet of up to millions, so it is written flat:
    the value elements (most of them) return at the first comparison.
    """
    row = col = cells = max_col = 0
    errors: set[tuple[int, int]] = set()
    col_of: dict[str, int] = {}

    def bad_ref(ref: str) -> FileRejected:
        return FileRejected(f"{name}: the file is corrupt ({part} has the cell reference {ref[:20]!r}); "
                            "open it in Excel and save it again as .xlsx")

    def start(tag: str, attrs: dict[str, str]) -> None:
        nonlocal row, col, cells, max_col
        if tag in _VALUE_TAGS:
            return
        if ":" in tag:
            tag = tag.rpartition(":")[2]
        if tag == "c":
            ref = attrs.get("r")
            if ref is None:
                col += 1
            else:
                letters = ref.rstrip("0123456789")
                digits = ref[len(letters):]
                c = col_of.get(letters)
                if c is None or not digits or len(digits) > 9:
                    m = _CELL_REF.match(ref)
                    if m is None:
                        raise bad_ref(ref)
                    letters, digits = m.group(1), m.group(2)
                    c = col_of[letters] = col_index(letters)
                col = c
                r = int(digits)
                if r > row:
                    row = r
            cells += 1
            if col > max_col:
                max_col = col
            if max_col > MAX_COLUMNS or row > MAX_ROWS or row * max_col > MAX_CELLS:
                _bound(name, part, max(row, 1), max_col)
            if cells > MAX_CELLS:
                raise FileRejected(f"{name}: refused: a sheet ({part}) has more than {MAX_CELLS} cells")
            if attrs.get("t") == "e":
                errors.add((max(row, 1) - 1, col - 1))
        elif tag == "row":
            ref = attrs.get("r")
            if ref is None:
                row += 1
            elif ref.isdigit() and ref.isascii() and len(ref) <= 9:
                row = max(int(ref), 1)
            else:
                raise bad_ref(ref)
            col = 0
            _bound(name, part, row, max(max_col, 1))
        elif tag == "dimension":
            ref = attrs.get("ref", "")
            for piece in ref.split(":")[:2]:
                m = _RANGE_PART.match(piece)
                if m is None:
                    raise bad_ref(ref)
                max_col = max(max_col, col_index(m.group(1)) if m.group(1) else 1)
                _bound(name, part, max(int(m.group(2) or 1), row), max_col)

    _parse(zf, part, name, start, raw_tags=True)
    return errors


def _guard_shared_strings(zf: zipfile.ZipFile, part: str, name: str) -> None:
    def start(tag: str, attrs: dict[str, str]) -> None:
        if tag == "sst":
            for key in ("count", "uniqueCount"):
                value = attrs.get(key, "0")
                if not (value.isdigit() and value.isascii()) or len(value) > 9 or int(value) > MAX_SHARED_STRINGS:
                    raise FileRejected(f"{name}: refused: the shared strings declare {key}={value[:20]!r} "
                                       f"(at most {MAX_SHARED_STRINGS})")
        raise _Stop

    _parse(zf, part, name, start)


def _guard_other_part(zf: zipfile.ZipFile, part: str, name: str, styles: bool) -> None:
    """Stream a non-sheet XML part through the safe parser; a styles part holds at most MAX_STYLE_ELEMENTS."""
    seen = 0

    def start(_tag: str, _attrs: dict[str, str]) -> None:
        nonlocal seen
        seen += 1
        if styles and seen > MAX_STYLE_ELEMENTS:
            raise FileRejected(f"{name}: refused: its styles part {part} holds more than {MAX_STYLE_ELEMENTS:,} "
                               "elements (a real workbook has hundreds); save it again as .xlsx")

    _parse(zf, part, name, start)
