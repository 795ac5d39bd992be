"""Benchmark 3: import of a 100k-row workbook against calamine's read plus a plain write (target <= 1.25x).

Operation: ``wehoplan.importing.import_files(engine, path, as_of=...)`` into a fresh
SQLite database (schema only; one prepared per run, outside the timing): reading,
column mapping, value parsing, validation, the tree, and the database write with
its import batch and audit rows, in one transaction.

Floor: ``pandas.read_excel(path, engine="calamine")`` of the same file, then a plain
``sqlite3`` ``executemany`` of exactly the rows the import wrote (read back from one real
import before timing, as tuples) into a fresh copy of the same schema, opened with the app's
own connection settings (``wehoplan.db.sqlite_pragmas``: foreign keys on, the WAL journal the
app's database keeps so that pages read while someone imports, ``synchronous=NORMAL``), tables in
dependency order, one transaction, then closed (the close folds the WAL into the file, as the
op's ``engine.dispose()`` does): the read and the write any importer must do for the same
database, with no parsing, validation or row building. The same write into a rollback-journal
copy (``journal_mode=DELETE``, sqlite3's defaults: the floor before 2026-12-03) is timed too and
printed as a ``#`` line: it writes a database the app does not keep.

The workbook is a legacy layout (code, title, owner, department, status words,
percent complete, due date; strategies, initiatives and actions in one sheet),
written once with xlsxwriter into ``bench/.cache/`` (``--quick``: 20k rows).

Before timing, the objects the harness has made (the floor's rows, pandas, the modules) are
frozen out of the garbage collector's walks (``gc.freeze``), for both sides alike;
``BENCH_IMPORT_GC_FREEZE=0`` times without it.
"""

from __future__ import annotations

import datetime as dt
import gc
import os
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
from common import CACHE, args, line, paired_many

from wehoplan.db import create_schema, make_engine, sqlite_pragmas
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


def rows_written(template: Path, path: Path, work: Path) -> list[tuple[str, list[tuple]]]:
    """(INSERT statement, rows) per table, for the rows one real import adds to the empty schema.

    Tables come parents first (by their foreign keys), so the plain write can run with
    foreign keys on, as the app's connections do.
    """
    import sqlite3

    db = work / "reference.db"
    shutil.copy(template, db)
    engine = make_engine(f"sqlite:///{db}")
    import_files(engine, path, plan_name="Bench plan", as_of=AS_OF)
    engine.dispose()
    before = sqlite3.connect(template)
    con = sqlite3.connect(db)
    tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                        "AND name NOT LIKE 'sqlite_%'")]
    parents = {t: {r[2] for r in con.execute(f"PRAGMA foreign_key_list('{t}')")} - {t} for t in tables}
    ordered: list[str] = []
    while len(ordered) < len(tables):
        ordered += [t for t in tables if t not in ordered and parents[t] <= set(ordered)]
    out = []
    for t in ordered:
        top = before.execute(f'SELECT COALESCE(MAX(rowid), 0) FROM "{t}"').fetchone()[0]
        cols = [r[1] for r in con.execute(f"PRAGMA table_info('{t}')")]
        rows = con.execute(f'SELECT {", ".join(chr(34) + c + chr(34) for c in cols)} FROM "{t}" '
                           f"WHERE rowid > ? ORDER BY rowid", (top,)).fetchall()
        if rows:
            marks = ", ".join("?" * len(cols))
            out.append((f'INSERT INTO "{t}" ({", ".join(chr(34) + c + chr(34) for c in cols)}) VALUES ({marks})', rows))
    con.close()
    before.close()
    db.unlink()
    print("# the floor writes " + ", ".join(f"{len(r)} rows into {s.split(chr(34))[1]}" for s, r in out),
          file=sys.stderr)
    return out


def main() -> None:
    ns = args(__doc__)
    n = ROWS[ns.quick]
    path = workbook(n)
    work = Path(tempfile.mkdtemp(prefix="wehoplan-bench-import-"))
    template = work / "template.db"
    eng = make_engine(f"sqlite:///{template}")
    create_schema(eng)
    eng.dispose()
    con = sqlite3.connect(template)  # fold the WAL in: the copies must hold the schema
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.execute("PRAGMA journal_mode=DELETE")
    con.close()
    runs = iter(range(10_000))
    written = rows_written(template, path, work)

    cpu: dict[str, list[float]] = {"floor": [], "op": [], "child": []}

    def children() -> float:
        t = os.times()
        return t.children_user + t.children_system

    def write(app_settings: bool) -> None:
        db = work / f"floor-{next(runs)}.db"
        shutil.copy(template, db)
        con = sqlite3.connect(db)
        if app_settings:
            sqlite_pragmas(con)  # WAL, synchronous=NORMAL, foreign keys: as the app's connections
        else:
            con.execute("PRAGMA foreign_keys = ON")
        with con:
            for sql, rows in written:
                con.executemany(sql, rows)
        con.close()
        db.unlink()

    def floor() -> None:
        c0 = time.process_time()
        pd.read_excel(path, engine="calamine")
        write(True)
        cpu["floor"].append(time.process_time() - c0)

    def rollback_floor() -> None:
        pd.read_excel(path, engine="calamine")
        write(False)

    def op() -> None:
        # A fresh database per run: a copy of the empty schema (a few ms, outside the import itself).
        db = work / f"run-{next(runs)}.db"
        shutil.copy(template, db)
        engine = make_engine(f"sqlite:///{db}")
        c0, k0 = time.process_time(), children()
        report = import_files(engine, path, plan_name="Bench plan", as_of=AS_OF)
        cpu["op"].append(time.process_time() - c0)
        cpu["child"].append(children() - k0)
        engine.dispose()
        if not report.ok or report.items_created != n:
            raise SystemExit(f"import failed: {report.lines()[:5]}")
        db.unlink()

    if os.environ.get("BENCH_IMPORT_GC_FREEZE", "1") != "0":
        # The harness's own objects out of the collector's walks, for floor and op alike: this
        # process holds the floor's rows and has run pandas' reader before every op, which made
        # the same import cost ~0.2 s more CPU than in a fresh process (bench/README.md, fifth
        # pass). Only what exists now is frozen; everything either side makes while timed is
        # collected as usual, and the library itself never touches the collector.
        gc.collect()
        gc.freeze()
    try:
        times = paired_many({"floor": floor, "op": op, "rollback": rollback_floor}, ns.runs)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    line(f"import_{n // 1000}k_rows_xlsx", times["op"], times["floor"], 1.25)
    print(f"# import against the same write into a rollback-journal copy (not the app's database): "
          f"{times['op']:.3f}s / {times['rollback']:.3f}s = {times['op'] / times['rollback']:.2f}", file=sys.stderr)
    # CPU seconds of the same timed runs (warm-ups left out): what a saturated machine shares out.
    med = {k: statistics.median(v[1:]) for k, v in cpu.items()}
    print(f"# cpu: op {med['op'] + med['child']:.3f} s (importing process {med['op']:.3f} + reader child "
          f"{med['child']:.3f}), floor {med['floor']:.3f} s, ratio {(med['op'] + med['child']) / med['floor']:.2f}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
