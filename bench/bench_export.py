"""Benchmark 4: a 100k-action .xlsx extract against a raw xlsxwriter loop (target <= 1.3x).

Data: a generated plan with 100 000 actions and 3 months of history (cached in
``bench/.cache/``; generating it takes ~10 s once), rolled up and turned into an
:class:`~wehoplan.exporting.Extract` once, outside the timing. The Updates sheet is
emptied so the run measures the 100k action rows the issue names (the Roll-up, Executive
and About sheets stay: a few thousand rows).

Operation: ``exporting.write_xlsx(extract, BytesIO())``: everything from the display frames
to the workbook bytes (type conversion, formats, widths, status colours, page setup).

Floor: a raw xlsxwriter ``constant_memory`` workbook written from row lists prepared
outside the timing, with the same sheets, rows and columns, text as ``write_string``,
numbers and dates as ``write_number`` with a number/date format, one header row per
sheet. It is the least any xlsxwriter-based writer of the same cells can cost.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import io
import os
import sys
import time

import numpy as np
import pandas as pd
import xlsxwriter
from common import CACHE, ROOT, RUNS, line, paired

from wehoplan import exporting, repository
from wehoplan.db import make_engine

ACTIONS = 100_000
QUICK_ACTIONS = 20_000
MONTHS = 3
EPOCH = np.datetime64("1899-12-30", "ns")


def ensure_export_db(actions: int) -> str:
    """Generate (once) the plan used here; the file name changes when the generator does."""
    gen = (ROOT / "wehoplan" / "generate.py").read_bytes() + (ROOT / "wehoplan" / "models.py").read_bytes()
    path = CACHE / f"export-{actions}x{MONTHS}-{hashlib.sha256(gen).hexdigest()[:10]}.db"
    if not path.exists():
        from wehoplan.generate import generate

        CACHE.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.db")
        tmp.unlink(missing_ok=True)
        t0 = time.perf_counter()
        engine = make_engine(f"sqlite:///{tmp}")
        generate(engine, actions, MONTHS, seed=0)
        engine.dispose()
        import sqlite3

        con = sqlite3.connect(tmp)  # fold the WAL in so the cached file stands alone
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        con.execute("PRAGMA journal_mode=DELETE")
        con.close()
        tmp.rename(path)
        print(f"# generated {path.name} in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return f"sqlite:///{path}"


def build(url: str, rows: int) -> exporting.Extract:
    """The extract the benchmark writes: the plan at its default as-of, ``rows`` actions, no history.

    The generator makes a few hundred of its "actions" parents, so it is asked for 1 % more
    and the Actions sheet is cut to exactly ``rows``.
    """
    engine = make_engine(url)
    plan = repository.resolve_plan(engine, None)
    items = repository.load_items(engine, plan.id)
    updates = repository.load_updates(engine, plan.id)
    extract = exporting.build_extract(items, updates, plan, repository.default_as_of(updates, items))
    return dataclasses.replace(extract, actions=extract.actions.iloc[:rows], updates=extract.updates.iloc[:0])


def typed_columns(frame: pd.DataFrame) -> list[tuple[str, str, list]]:
    """(header, kind, values) per visible column: kind is text, number or date (Excel serials)."""
    out = []
    for name in (c for c in frame.columns if not str(c).startswith("_")):
        s = frame[name]
        if pd.api.types.is_datetime64_any_dtype(s.dtype):
            v = (s.astype("datetime64[ns]").to_numpy() - EPOCH) / np.timedelta64(1, "D")
            out.append((name, "date", [None if np.isnan(x) else float(x) for x in v]))
        elif pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
            v = s.astype("float64").to_numpy()
            out.append((name, "number", [None if np.isnan(x) else float(x) for x in v]))
        else:
            out.append((name, "text", [x if x else None for x in s.astype("string").fillna("").tolist()]))
    return out


def floor_writer(extract: exporting.Extract):
    """A function writing the same cells with a plain xlsxwriter loop (data prepared now)."""
    sheets = [(name, typed_columns(frame)) for name, frame in extract.sheets().items()]
    rows = [(name, [c[0] for c in cols], [c[1] for c in cols], list(zip(*(c[2] for c in cols), strict=True)))
            for name, cols in sheets]

    def write() -> bytes:
        out = io.BytesIO()
        wb = xlsxwriter.Workbook(out, {"constant_memory": True, "strings_to_formulas": False,
                                       "strings_to_urls": False, "strings_to_numbers": False})
        date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
        num_fmt = wb.add_format({"num_format": "0"})
        for name, headers, kinds, body in rows:
            ws = wb.add_worksheet(name)
            for c, h in enumerate(headers):
                ws.write_string(0, c, h)
            fmts = [date_fmt if k == "date" else num_fmt if k == "number" else None for k in kinds]
            writers = [ws.write_string if k == "text" else ws.write_number for k in kinds]
            for r, values in enumerate(body, start=1):
                for c, v in enumerate(values):
                    if v is not None:
                        writers[c](r, c, v, fmts[c])
        wb.close()
        return out.getvalue()

    return write


def main() -> None:
    # common.args() would generate the 10k x 60 database; this benchmark needs its own plan,
    # so --db (passed by `python -m bench`) is accepted and ignored.
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--quick", action="store_true", help=f"{QUICK_ACTIONS} actions instead of {ACTIONS}")
    p.add_argument("--db", help="ignored (the 100k-action plan is generated into bench/.cache/)")
    p.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_RUNS", RUNS)))
    ns = p.parse_args()
    ns.runs = max(ns.runs, RUNS)
    n = QUICK_ACTIONS if ns.quick else ACTIONS
    extract = build(ensure_export_db(n + n // 100), n)

    def op() -> bytes:
        out = io.BytesIO()
        exporting.write_xlsx(extract, out)
        return out.getvalue()

    t_op, t_floor = paired(op, floor_writer(extract), ns.runs)
    line(f"export_{n // 1000}k ({len(extract.actions)} action rows)", t_op, t_floor, 1.3)


if __name__ == "__main__":
    main()
