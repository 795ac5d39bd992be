"""The workbook's zip, with each table body's XML streamed into its sheet while it is deflated.

xlsxwriter writes a constant-memory sheet's rows to a temporary file, copies that file into
the sheet's XML file and zips that, and it zips at zlib's default level with no option to
change it. For the full history of a large plan those passes over hundreds of megabytes
were most of what was left of the export (bench/README.md). Here xlsxwriter writes the
workbook with a placeholder comment where each body goes (:func:`xlsx_rows.write_body`),
zipped into memory (small: the bodies are not in it), and :class:`Packager` writes the
final zip: every part of xlsxwriter's file in the same order, with the same names and
timestamps, the placeholders replaced by the bodies' XML (:meth:`xlsx_rows.Body.blocks`)
deflated as they are made, at :data:`ZIP_LEVEL`.
"""

from __future__ import annotations

import io
import os
import re
import secrets
import zipfile
from typing import IO

from wehoplan.exporting.xlsx_rows import Body

# Deflate level of the workbook's zip: zlib's default (6, xlsxwriter's) was the largest
# single cost of a large export; level 1 makes the file about a third larger and the same
# when unzipped.
ZIP_LEVEL = 1
# Parts whose size may pass this get zip64 headers (zipfile's own threshold).
ZIP64_FROM = zipfile.ZIP64_LIMIT


def _with_level(info: zipfile.ZipInfo, level: int) -> zipfile.ZipInfo:
    # ZipInfo carries its own level (zipfile ignores the ZipFile's for a ZipInfo passed in):
    # public from Python 3.13 on, a slot before.
    if hasattr(zipfile.ZipInfo, "compress_level"):
        info.compress_level = level  # type: ignore[attr-defined]
    else:
        info._compresslevel = level  # type: ignore[attr-defined]
    return info


class Packager:
    """Collects the bodies of one workbook and writes its final zip (:meth:`write`)."""

    def __init__(self) -> None:
        self._token = secrets.token_hex(8)
        self._bodies: list[Body] = []
        self._pattern = re.compile(rb"<!--wehoplan-body-" + self._token.encode() + rb"-(\d+)-->")

    def place(self, body: Body) -> str:
        """The placeholder for ``body`` in a sheet's XML: a comment no cell text can produce."""
        self._bodies.append(body)
        return f"<!--wehoplan-body-{self._token}-{len(self._bodies) - 1}-->"

    def write(self, draft: bytes, target: str | os.PathLike | IO[bytes]) -> None:
        """Write xlsxwriter's ``draft`` zip to ``target`` with every placeholder replaced by its body."""
        with zipfile.ZipFile(io.BytesIO(draft)) as source, \
                zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as out:
            for info in source.infolist():
                data = source.read(info)
                part = zipfile.ZipInfo(info.filename, info.date_time)
                part.compress_type = zipfile.ZIP_DEFLATED
                part.external_attr = info.external_attr
                part.create_system = info.create_system
                _with_level(part, ZIP_LEVEL)
                pieces = self._pattern.split(data)
                if len(pieces) == 1:
                    out.writestr(part, data)
                    continue
                bodies = [self._bodies[int(i)] for i in pieces[1::2]]
                bound = len(data) + sum(b.size_bound() for b in bodies)
                # zip64 only when the part may pass zip's 32-bit sizes, as zipfile decides itself
                # for a file it knows the size of.
                with out.open(part, "w", force_zip64=bound > ZIP64_FROM) as stream:
                    for k, piece in enumerate(pieces):
                        if k % 2 == 0:
                            stream.write(piece)
                        else:
                            for block in self._bodies[int(piece)].blocks():
                                stream.write(block)

