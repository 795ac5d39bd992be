"""A table's body rows written straight into an xlsxwriter ``constant_memory`` worksheet.

xlsxwriter's per-cell ``write_string`` / ``write_number`` costs tens of microseconds a cell
in Python, which for the full history of a large plan (millions of cells) is most of the
export. This module writes the same ``<row>``/``<c>`` XML that xlsxwriter's constant-memory
writer produces for typed writes, column by column with numpy object arrays and one escape
per distinct text, into the worksheet's own row file, and tells the worksheet how far the
data reaches. Everything else (formats, widths, headers, autofilter, page setup, styles.xml,
packaging) stays xlsxwriter's.

Safety is the same as ``write_string`` on a workbook with ``strings_to_formulas=False``:
text only ever becomes an inline string cell (``t="inlineStr"``), never ``<f>``, a link or
a number. The escaping is xlsxwriter's own (its control-character, whitespace and XML
rules, imported from it), so a cell reads back exactly as ``write_string`` would store it.

The hooks used (``_write_single_row``, ``_check_dimensions``, ``previous_row``, ``fh``) are
xlsxwriter internals; requirements.txt pins xlsxwriter, and ``tests/test_exporting.py``
compares every cell with a workbook written through the public API.
"""

from __future__ import annotations

import re
import threading
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
from xlsxwriter.utility import _preserve_whitespace, xl_col_to_name
from xlsxwriter.xmlwriter import XMLwriter

# Rows are turned into XML and written in blocks, so a 6-million-row history never holds
# more than one block's strings in memory.
BLOCK_ROWS = 100_000
# Anything xlsxwriter would change in a string: control characters, its own _xHHHH_
# escape, the two non-characters, XML specials, leading or trailing whitespace.
_NEEDS_WORK = re.compile(r"[\x00-\x08\x0b-\x1f&<>\ufffe\uffff]|_x[0-9a-fA-F]{4}_|^\s|\s$")


@dataclass(frozen=True)
class Column:
    """One column of the body: ``kind`` is ``text`` or ``number``; ``values`` hold None for blanks.

    ``formats`` is one xlsxwriter Format for the whole column, or one per row (status colours).
    """

    kind: str
    values: Sequence
    formats: object


def _text_tail(value: str) -> str:
    if _NEEDS_WORK.search(value):
        value = XMLwriter._escape_control_characters(value)
        preserve = ' xml:space="preserve"' if _preserve_whitespace(value) else ""
        value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    else:
        preserve = ""
    return f' t="inlineStr"><is><t{preserve}>{value}</t></is></c>'


def _number_tail(value: float) -> str:
    return f"><v>{value:.16G}</v></c>"


def _tails(column: Column) -> np.ndarray:
    """Each cell's XML after its ``s`` attribute ("" for a blank), one conversion per distinct value."""
    make = _text_tail if column.kind == "text" else _number_tail
    distinct = {v: make(v) for v in dict.fromkeys(column.values) if v is not None}
    distinct[None] = ""
    out = np.empty(len(column.values), dtype=object)
    out[:] = [distinct[v] for v in column.values]
    return out


def _styles(column: Column, n: int) -> np.ndarray | str:
    """The ``" s="N"`` part: one string for the column, or one per row."""
    fmt = column.formats
    if isinstance(fmt, (list, tuple)):
        ids = {id(f): f'" s="{f._get_xf_index()}"' for f in fmt}
        out = np.empty(n, dtype=object)
        out[:] = [ids[id(f)] for f in fmt]
        return out
    return f'" s="{fmt._get_xf_index()}"'  # type: ignore[attr-defined]


def write_body(ws, first_row: int, columns: list[Column]) -> int:
    """Write the body rows of a table whose header is on ``first_row``; return the last row written.

    ``ws`` is a ``constant_memory`` worksheet whose rows up to ``first_row`` are written
    with the public API already (nothing after them).
    """
    n = len(columns[0].values) if columns else 0
    if n == 0:
        return first_row
    last_row = first_row + n
    # Flush the header row to the row file and mark every later row as written, so
    # xlsxwriter's own writes can never interleave with these rows.
    ws._write_single_row(first_row + 1)
    ws._check_dimensions(first_row + 1, 0)
    ws._check_dimensions(last_row, len(columns) - 1)
    letters = [xl_col_to_name(c) for c in range(len(columns))]
    tails = [_tails(col) for col in columns]
    styles = [_styles(col, n) for col in columns]
    for start in range(0, n, BLOCK_ROWS):
        stop = min(start + BLOCK_ROWS, n)
        numbers = np.arange(first_row + 2 + start, first_row + 2 + stop).astype(str).astype(object)
        rows = '<row r="' + numbers + '">'
        filled = np.zeros(stop - start, dtype=bool)
        for letter, tail, style in zip(letters, tails, styles, strict=True):
            block = tail[start:stop]
            has = block != ""
            if not has.any():
                continue
            filled |= has
            cell_style = style if isinstance(style, str) else style[start:stop]
            cells = f'<c r="{letter}' + numbers + cell_style + block
            rows = rows + np.where(has, cells, "")
        rows = np.where(filled, rows + "</row>", "")
        ws.fh.write("".join(rows.tolist()))
    ws._write_single_row(last_row + 1)
    return last_row


# Deflate level of the workbook's zip: xlsxwriter zips at zlib's default (6), which was the
# largest single cost of a large export (bench/README.md); level 1 makes the file about a
# third larger and the same when unzipped.
ZIP_LEVEL = 1
_ZIP_LOCK = threading.Lock()


class _LevelZipFile(zipfile.ZipFile):
    """``ZipFile`` that deflates at :data:`ZIP_LEVEL` unless told otherwise."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("compresslevel", ZIP_LEVEL)
        super().__init__(*args, **kwargs)


@contextmanager
def fast_deflate() -> Iterator[None]:
    """Within the block, xlsxwriter's ``Workbook.close()`` zips at :data:`ZIP_LEVEL`.

    xlsxwriter offers no compression option: its ``_store_workbook`` builds the zip with the
    ``ZipFile`` name of its ``workbook`` module, which is swapped for the block and put back
    (under a lock, so overlapping exports restore it in order). When xlsxwriter no longer
    zips through that name, nothing is swapped and the file is zipped its own way.
    """
    import xlsxwriter.workbook as xw

    with _ZIP_LOCK:
        if getattr(xw, "ZipFile", None) is not zipfile.ZipFile:
            yield
            return
        xw.ZipFile = _LevelZipFile
        try:
            yield
        finally:
            xw.ZipFile = zipfile.ZipFile
