"""The one CSV writer: extracts, the audit trail and every "download as CSV" go through it.

UTF-8 with a BOM (so Excel reads accents), CRLF line ends, every text field quoted and
passed through :func:`wehoplan.domain.neutralise_csv_field`, per OWASP's CSV-injection
guidance: text a spreadsheet would run (``= + - @``, tab, CR, LF first) gets a single
quote in front. Numbers stay unquoted numbers; dates are ISO text.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Collection
from typing import IO

import numpy as np
import pandas as pd

from wehoplan.domain import neutralise_csv_field
from wehoplan.exporting.frames import PERCENT_COLUMNS, Extract


def _dates(s: pd.Series) -> list[str]:
    values = s.astype("datetime64[ns]")
    # Date-only columns (start, due) read as dates; timestamps (audit "at") keep their time.
    with_time = bool((values.dropna() != values.dropna().dt.normalize()).any())
    return values.dt.strftime("%Y-%m-%d %H:%M:%S" if with_time else "%Y-%m-%d").astype("string").fillna("").tolist()


def _column(s: pd.Series, percent: bool) -> list:
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        return _dates(s)
    if pd.api.types.is_bool_dtype(s.dtype) or not pd.api.types.is_numeric_dtype(s.dtype):
        return [neutralise_csv_field(v) for v in s.astype("string").fillna("").tolist()]
    if pd.api.types.is_integer_dtype(s.dtype):
        return [None if pd.isna(v) else int(v) for v in s.astype("Int64").tolist()]
    # Percent columns as percentages (65.0 = 65 %): a CSV has no cell formats, and a
    # bare 0.65 reads as "0.65 %" to people and to importers alike.
    values = s.astype("float64").to_numpy()
    if percent:
        values = (values * 100.0).round(6)
    return [None if np.isnan(v) else float(v) for v in values]


def csv_bytes(frame: pd.DataFrame, *, percent_columns: Collection[str] = (), bom: bool = True,
              line_end: str = "\r\n") -> bytes:
    """Write ``frame`` (every column, in order) as formula-safe CSV bytes.

    Args:
        frame: the rows to write; its index is not written.
        percent_columns: columns holding 0-1 fractions, written as 0-100 numbers.
        bom: start with a UTF-8 byte-order mark (for spreadsheets; off for text streams
            such as a terminal).
        line_end: the record separator (CRLF, as RFC 4180 says; a terminal's commands want LF).

    Returns:
        The file's bytes.

    """
    buf = io.StringIO(newline="")
    cols = list(frame.columns)
    # The header holds the product's own column names, never user text: quoted only where CSV
    # needs it, so a command's header line stays as GUIDE §4 writes it (code,title,level,...).
    csv.writer(buf, quoting=csv.QUOTE_MINIMAL, lineterminator=line_end).writerow(
        [neutralise_csv_field(str(c)) for c in cols])
    # QUOTE_NONNUMERIC: text fields are quoted (OWASP), numbers stay numbers.
    writer = csv.writer(buf, quoting=csv.QUOTE_NONNUMERIC, lineterminator=line_end)
    writer.writerows(zip(*(_column(frame[c], c in percent_columns) for c in cols), strict=True))
    return buf.getvalue().encode("utf-8-sig" if bom else "utf-8")


def write_csv(extract: Extract, target: str | os.PathLike | IO[bytes]) -> None:
    """Write the Actions sheet as CSV: UTF-8 with BOM, every text field quoted and neutralised."""
    frame = extract.actions
    visible = frame[[c for c in frame.columns if not str(c).startswith("_")]]
    data = csv_bytes(visible, percent_columns=PERCENT_COLUMNS)
    if isinstance(target, (str, os.PathLike)):
        with open(target, "wb") as fh:
            fh.write(data)
    else:
        target.write(data)
