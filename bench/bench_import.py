"""Benchmark 3: import of a 100k-row workbook against calamine's read of it (target <= 2x).

Operation: ``wehoplan.importing.import_files(engine, path, as_of=...)`` into a fresh
SQLite database (schema only; one prepared per run, outside the timing): reading,
column mapping, value parsing, validation, the tree, and the database write with
its import batch and audit rows, in one transaction. Floor:
``pandas.read_excel(path, engine="calamine")`` of the same file.

The workbook is a legacy layout (code, title, owner, department, status words,
percent complete, due date; strategies, initiatives and actions in one sheet),
written once with xlsxwriter into ``bench/.cache/`` (``--quick``: 20k rows).
"""

from __future__ import annotations

import datetime as dt
import random
import shutil
import sys
import tempfile
from pathlib import Path

import pandas as pd
from common import CACHE, args, line, paired

from wehoplan.db import create_schema, make_engine
from wehoplan.importing import import_files

ROWS = {False: 100_000, True: 20_000}
STATUS_WORDS = ["In Progress", "On Track", "Delayed", "At risk", "Complete", "Not started", "On Hold", "Off track"]
DEPARTMENTS = ["Innovation", "Public Works", "Planning and Development Services", "Finance and Technology Services",
               "Human Services", "Communications", "Facilities and Recreation", "Sheriff liaison",
               "Economic Development", "Urban Design"]
FIRST = ["Ana", "Ben", "Chloe", "Dev", "Elena", "Farid", "Grace", "Hugo", "Iris", "Jon", "Kim", "Luis"]
LAST = ["Nguyen", "Garcia", "Smith", "Cohen", "Park", "Okafor", "Rossi", "Khan", "Lopez", "Meyer"]
AS_OF = dt.date(2026, 6, 30)


def workbook(n_rows: int) -> Path:
    """Write (once) a legacy work-plan workbook of ``n_rows`` rows; return its path."""
    path = CACHE / f"import-{n_rows}.xlsx"
    if path.exists():
        return path
    import xlsxwriter

    CACHE.mkdir(parents=True, exist_ok=True)
    rnd = random.Random(0)
    n_strat, n_init = 8, 50
    n_actions = n_rows - n_strat - n_strat * n_init
    per_init = [n_actions // (n_strat * n_init)] * (n_strat * n_init)
    for i in range(n_actions - sum(per_init)):
        per_init[i] += 1
    tmp = path.with_suffix(".tmp.xlsx")
    wb = xlsxwriter.Workbook(str(tmp), {"constant_memory": True, "strings_to_formulas": False,
                                        "strings_to_urls": False})
    ws = wb.add_worksheet("Work plan")
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws.write_row(0, 0, ["Code", "Title", "Owner", "Department", "Status", "% Complete", "Due Date"])
    r = 1
    k = 0
    for s in range(1, n_strat + 1):
        ws.write_row(r, 0, [f"{s}", f"Strategy {s}: {rnd.choice(['Connected', 'Resilient', 'Open'])} city"])
        r += 1
        for i in range(1, n_init + 1):
            ws.write_row(r, 0, [f"{s}.{i}", f"Initiative {s}.{i}", "", rnd.choice(DEPARTMENTS)])
            r += 1
            for a in range(1, per_init[k] + 1):
                status = rnd.choice(STATUS_WORDS)
                progress = 100 if status == "Complete" else (0 if status == "Not started" else rnd.randint(1, 95))
                due = dt.date(2024, 1, 1) + dt.timedelta(days=rnd.randint(0, 1500))
                ws.write_row(r, 0, [f"{s}.{i}.{a}", f"Action {s}.{i}.{a}: deploy sensor network phase {a % 7}",
                                    f"{rnd.choice(FIRST)} {rnd.choice(LAST)}", rnd.choice(DEPARTMENTS), status,
                                    progress])
                ws.write_datetime(r, 6, dt.datetime.combine(due, dt.time()), date_fmt)
                r += 1
            k += 1
    wb.close()
    tmp.rename(path)
    print(f"# wrote {path.name} ({r - 1} rows)", file=sys.stderr)
    return path


def main() -> None:
    ns = args(__doc__)
    n = ROWS[ns.quick]
    path = workbook(n)
    work = Path(tempfile.mkdtemp(prefix="wehoplan-bench-import-"))
    template = work / "template.db"
    eng = make_engine(f"sqlite:///{template}")
    create_schema(eng)
    eng.dispose()
    import sqlite3

    con = sqlite3.connect(template)  # fold the WAL in: the copies must hold the schema
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.execute("PRAGMA journal_mode=DELETE")
    con.close()
    runs = iter(range(10_000))

    def op() -> None:
        # A fresh database per run: a copy of the empty schema (a few ms, outside the import itself).
        db = work / f"run-{next(runs)}.db"
        shutil.copy(template, db)
        engine = make_engine(f"sqlite:///{db}")
        report = import_files(engine, path, plan_name="Bench plan", as_of=AS_OF)
        engine.dispose()
        if not report.ok or report.items_created != n:
            raise SystemExit(f"import failed: {report.lines()[:5]}")
        db.unlink()

    try:
        t_op, t_floor = paired(op, lambda: pd.read_excel(path, engine="calamine"), ns.runs)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    line(f"import_{n // 1000}k_rows_xlsx", t_op, t_floor, 2.0)


if __name__ == "__main__":
    main()
