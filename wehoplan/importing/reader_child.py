"""Run calamine on one workbook in a child process with memory and CPU limits.

A reader bug (calamine is Rust: a failed allocation aborts the process with SIGABRT, which
Python cannot catch) must cost one refused file, never the Streamlit server every user
shares. So the parent sends the bytes on stdin to ``python reader_child.py``, which caps its
own address space and CPU time first, reads the sheets and writes them back pickled on
stdout. This file imports nothing from wehoplan, so the child starts in a few tens of
milliseconds whatever the parent has loaded.
"""

from __future__ import annotations

import io
import pickle
import sys
from typing import Any


def _limit(memory_bytes: int, cpu_seconds: int) -> None:
    try:
        import resource
    except ImportError:  # not POSIX: the parent's wall-clock timeout still applies
        return
    for what, value in ((resource.RLIMIT_AS, memory_bytes), (resource.RLIMIT_CPU, cpu_seconds)):
        _soft, hard = resource.getrlimit(what)
        cap = value if hard == resource.RLIM_INFINITY else min(value, hard)
        resource.setrlimit(what, (cap, hard))


def read_sheets(data: bytes) -> list[dict]:
    """Every sheet's name, kind, visibility, rows (padded back to column A) and merged ranges."""
    import python_calamine as pc

    wb = pc.CalamineWorkbook.from_filelike(io.BytesIO(data))
    out = []
    for meta in wb.sheets_metadata:
        typ = str(meta.typ).lower()
        entry: dict[str, Any] = {"name": meta.name, "typ": typ, "visible": str(meta.visible).lower(),
                                 "rows": [], "merged": []}
        if not typ.endswith("chartsheet"):
            sh = wb.get_sheet_by_name(meta.name)
            pad = ("",) * (sh.start[1] if sh.start else 0)
            entry["rows"] = [pad + tuple(r) for r in sh.iter_rows()]
            entry["merged"] = list(sh.merged_cell_ranges or [])
        out.append(entry)
    return out


def main() -> int:
    """Read stdin, answer on stdout: ``(True, sheets)`` or ``(False, one-line reason)``."""
    memory, cpu = int(sys.argv[1]), int(sys.argv[2])
    data = sys.stdin.buffer.read()
    _limit(memory, cpu)
    try:
        result: tuple[bool, object] = (True, read_sheets(data))
    except MemoryError:
        result = (False, "it needs more memory than any work plan does")
    except BaseException as exc:  # pyo3 panics are BaseException; all become one line
        result = (False, " ".join(str(exc).split())[:300] or type(exc).__name__)
    out = io.BytesIO()
    pickler = pickle.Pickler(out, protocol=pickle.HIGHEST_PROTOCOL)
    # No memo: the answer is plain nested lists, tuples and cells with no object met twice on
    # purpose and no cycle, and remembering each of a big sheet's cells costs more than it saves.
    pickler.fast = True
    pickler.dump(result)
    sys.stdout.buffer.write(out.getbuffer())
    return 0


if __name__ == "__main__":
    sys.exit(main())
