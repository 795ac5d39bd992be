"""A table's body rows as the XML bytes of xlsxwriter's ``constant_memory`` typed writes.

xlsxwriter's per-cell ``write_string`` / ``write_number`` costs tens of microseconds a cell
in Python, which for the full history of a large plan (millions of cells) is most of the
export. This module produces the same ``<row>``/``<c>`` XML that xlsxwriter's constant-memory
writer produces for typed writes: every distinct cell value (with its style) is turned into
its XML once in Python, and the rows are put together from those pieces by Arrow compute
kernels (``take`` and ``binary_join_element_wise``), block by block, as bytes. The worksheet
only gets a placeholder where the rows go and is told how far the data reaches;
:mod:`.xlsx_package` puts the bytes in their place while it zips the workbook. Everything else
(formats, widths, headers, autofilter, page setup, styles.xml) stays xlsxwriter's.

Safety is the same as ``write_string`` on a workbook with ``strings_to_formulas=False``:
text only ever becomes an inline string cell (``t="inlineStr"``), never ``<f>``, a link or
a number. The escaping is xlsxwriter's own (its control-character, whitespace and XML
rules, imported from it), so a cell reads back exactly as ``write_string`` would store it.
Numbers are written as xlsxwriter writes them (``%.16G``).

The hooks used (``_write_single_row``, ``_check_dimensions``, ``fh``, ``_get_xf_index``) are
xlsxwriter internals; requirements.txt pins xlsxwriter, and ``tests/test_exporting*.py``
compare every cell with a workbook written through the public API.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from xlsxwriter.utility import _preserve_whitespace, xl_col_to_name
from xlsxwriter.xmlwriter import XMLwriter

# Rows are turned into XML in blocks, so a 6-million-row history never holds more than one
# block's XML in memory. Small blocks (a few MB of XML) keep the kernels' buffers in cache and
# reused; ten times larger ones made a first export in a process much slower (bench/README.md).
BLOCK_ROWS = 10_000
# Anything xlsxwriter would change in a string: control characters, its own _xHHHH_
# escape, the two non-characters, XML specials, leading or trailing whitespace.
_NEEDS_WORK = re.compile(r"[\x00-\x08\x0b-\x1f&<>\ufffe\uffff]|_x[0-9a-fA-F]{4}_|^\s|\s$")
_STR = pa.large_string()


@dataclass(frozen=True)
class ByRow:
    """One format per row: ``choices[codes[i]]`` is row ``i``'s format (status colours)."""

    codes: np.ndarray
    choices: Sequence[Any]


@dataclass(frozen=True)
class Column:
    """One column of the body.

    ``kind`` is ``text`` (``values``: an Arrow string array, null or "" for a blank) or
    ``number`` (``values``: a float64 array, NaN for a blank). ``formats`` is one xlsxwriter
    Format for the whole column, or :class:`ByRow`.
    """

    kind: str
    values: Any
    formats: Any


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


def _distinct(column: Column) -> tuple[np.ndarray, list[str]]:
    """Each row's code into a list of distinct cell tails (-1 for a blank), one conversion per value."""
    if column.kind == "text":
        values = column.values
        if isinstance(values, pa.ChunkedArray):
            values = values.combine_chunks()
        encoded = pc.dictionary_encode(values)
        codes = encoded.indices.to_numpy(zero_copy_only=False)
        codes = np.where(encoded.indices.is_null().to_numpy(zero_copy_only=False), -1, codes).astype(np.int64)
        words = encoded.dictionary.to_pylist()
        tails = [_text_tail(w) if w else "" for w in words]
        blank = np.array([not w for w in words] + [True])
        codes[blank[codes]] = -1  # "" is a blank cell, as it is for write_string's caller
        return codes, tails
    numbers = np.asarray(column.values, dtype=np.float64)
    valid = ~np.isnan(numbers)
    # Distinct by bit pattern, so -0.0 stays "-0" as write_number writes it (0.0 == -0.0).
    uniq, inverse = np.unique(numbers[valid].view(np.int64), return_inverse=True)
    codes = np.full(len(numbers), -1, dtype=np.int64)
    codes[valid] = inverse
    return codes, [_number_tail(v) for v in uniq.view(np.float64).tolist()]


def _style(fmt: Any) -> str:
    return f'" s="{fmt._get_xf_index()}"'


@dataclass(frozen=True)
class _Cells:
    """A column ready for joining: row codes into ``pieces`` (style + value XML), null for blanks."""

    prefix: pa.Scalar
    codes: pa.Array
    pieces: pa.Array
    nbytes: int  # the pieces' bytes over all rows (for the zip's size bound)


def _cells(letter: str, column: Column) -> _Cells:
    codes, tails = _distinct(column)
    fmt = column.formats
    if isinstance(fmt, ByRow):
        # xlsxwriter numbers formats in the order cells first use them: rows in order.
        choice_codes = np.asarray(fmt.codes, dtype=np.int64)
        _, first = np.unique(choice_codes, return_index=True)
        styles = {int(c): _style(fmt.choices[int(c)]) for c in choice_codes[np.sort(first)]}
        pair = np.where(codes >= 0, codes * len(fmt.choices) + choice_codes, -1)
        used, inverse = np.unique(pair[pair >= 0], return_inverse=True)
        pieces = [styles[int(p % len(fmt.choices))] + tails[int(p // len(fmt.choices))] for p in used.tolist()]
        codes = pair.copy()
        codes[pair >= 0] = inverse
    else:
        style = _style(fmt)
        pieces = [style + t for t in tails]
    mask = codes < 0
    arrow_pieces = pa.array(pieces, type=_STR)
    lengths = pc.binary_length(arrow_pieces).to_numpy(zero_copy_only=False)
    nbytes = int(np.bincount(codes[~mask], minlength=len(pieces)) @ lengths) if len(pieces) else 0
    return _Cells(pa.scalar(f'<c r="{letter}', _STR),
                  pa.array(np.where(mask, 0, codes).astype(np.int32), mask=mask),
                  arrow_pieces, nbytes)


@dataclass(frozen=True)
class Body:
    """The rows under one table's header, turned into XML bytes on demand (:meth:`blocks`)."""

    first_number: int  # the sheet's row number (1-based) of the first body row
    cells: tuple[_Cells, ...]
    rows: int

    def size_bound(self) -> int:
        """At least as many bytes as :meth:`blocks` yields in all."""
        per_row = len('<row r="">></row>') + 8 + sum(len(c.prefix.as_py()) + 8 for c in self.cells)
        return self.rows * per_row + sum(c.nbytes for c in self.cells)

    def blocks(self) -> Iterator[memoryview]:
        """The body's XML, block by block, as UTF-8 bytes (views into Arrow buffers)."""
        open_row, close_row, sep = pa.scalar('<row r="', _STR), pa.scalar("</row>", _STR), pa.scalar("", _STR)
        mid = pa.scalar('">', _STR)
        for start in range(0, self.rows, BLOCK_ROWS):
            stop = min(start + BLOCK_ROWS, self.rows)
            numbers = pa.array(np.arange(self.first_number + start, self.first_number + stop)).cast(_STR)
            parts: list[Any] = []
            every_row_filled = False
            valid: list[Any] = []
            for cells in self.cells:
                codes = cells.codes.slice(start, stop - start)
                if codes.null_count == len(codes):
                    continue
                taken = cells.pieces.take(codes)
                if codes.null_count:
                    # Joined on its own so a blank cell (null) drops its "<c r=..." too.
                    valid.append(codes.is_valid())
                    parts.append(pc.binary_join_element_wise(cells.prefix, numbers, taken, sep))
                else:
                    every_row_filled = True
                    parts += (cells.prefix, numbers, taken)
            if not parts:
                continue
            rows = pc.binary_join_element_wise(open_row, numbers, mid, *parts, close_row, sep,
                                               null_handling="replace", null_replacement="")
            if not every_row_filled:
                filled = functools.reduce(pc.or_, valid)
                if filled.false_count:
                    # A row with no filled cell is not written at all, as xlsxwriter does.
                    rows = pc.if_else(filled, rows, sep)
            yield _data(rows)


def _data(strings: pa.Array) -> memoryview:
    """The concatenated bytes of a large_string array without copying."""
    _, offsets, data = strings.buffers()
    if data is None:
        return memoryview(b"")
    ends = np.frombuffer(offsets, dtype=np.int64, count=len(strings) + 1, offset=strings.offset * 8)
    return memoryview(data)[int(ends[0]):int(ends[-1])]


def body(first_row: int, columns: list[Column]) -> Body:
    """The XML of the rows under a header at ``first_row`` (0-based); formats get their ids now."""
    n = len(columns[0].values) if columns else 0
    cells = tuple(_cells(xl_col_to_name(c), col) for c, col in enumerate(columns))
    return Body(first_row + 2, cells, n)


def write_body(ws, first_row: int, columns: list[Column], place: Any) -> int:
    """Mark where the body rows of a table whose header is on ``first_row`` go; return the last row.

    ``ws`` is a ``constant_memory`` worksheet whose rows up to ``first_row`` are written
    with the public API already (nothing after them). ``place(body)`` returns the
    placeholder text the packager replaces with the body's XML (:mod:`.xlsx_package`).
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
    ws.fh.write(place(body(first_row, columns)))
    ws._write_single_row(last_row + 1)
    return last_row
