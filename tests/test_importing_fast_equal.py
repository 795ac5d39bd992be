"""The column-by-column reader gives exactly what the row-by-row reader gives.

``parse_tables(columnar=True)`` (the default: each distinct cell value parsed once, rows with
refused cells read by ``read_fields``) against ``columnar=False`` (``read_fields`` on every
row), on messy workbooks: every row of every table the import writes (timestamps aside),
the import report (errors, warnings, explanation, columns), and the page's preview and
problem table must be the same.
"""

from __future__ import annotations

import datetime as dt
import random
import sqlite3
from functools import partial
from pathlib import Path

import pandas as pd
import pytest
from importing_helpers import xlsx
from test_hostile_errors import _with_error_cell
from test_importing_layouts import messy_codes

import wehoplan.importing as importing
from wehoplan import exporting, repository
from wehoplan.db import create_schema, make_engine
from wehoplan.demo import build_demo
from wehoplan.generate import generate_plan
from wehoplan.importing import FIELDS, analyse, explain, import_files
from wehoplan.importing.load import load
from wehoplan.importing.parse import parse_tables

AS_OF = dt.date(2026, 6, 30)
ROOT = Path(__file__).resolve().parent.parent
TIMESTAMPS = {"created_at", "at", "updated_at", "undone_at"}
TABLES = ("plans", "departments", "people", "import_batches", "items", "item_partner_departments", "updates",
          "audit", "import_mappings", "meta")


def _dump(db: Path) -> dict[str, list[tuple]]:
    con = sqlite3.connect(db)
    out = {}
    for t in TABLES:
        cols = [r[1] for r in con.execute(f"PRAGMA table_info('{t}')") if r[1] not in TIMESTAMPS]
        out[t] = con.execute(f'SELECT {", ".join(cols)} FROM "{t}" ORDER BY rowid').fetchall()
    con.close()
    return out


def _both(monkeypatch, tmp_path: Path, steps: list[tuple[list, dict]], base: Path | None = None) -> list[dict]:
    """Run the imports of ``steps`` in order with each reader into its own copy of ``base``; compare.

    Returns the reports (as the report JSON).
    """
    got = {}
    for columnar in (False, True):
        db = tmp_path / f"{'cols' if columnar else 'rows'}.db"
        if base is not None:
            db.write_bytes(base.read_bytes())
        eng = make_engine(f"sqlite:///{db}")
        if base is None:
            create_schema(eng)
        reports, previews = [], []
        with monkeypatch.context() as m:
            m.setattr(importing, "parse_tables", partial(parse_tables, columnar=columnar))
            m.setattr(importing, "load", partial(load, columnar=columnar))
            for sources, kw in steps:
                reports.append(import_files(eng, sources, **kw).to_dict())
                an = analyse(sources, mapping=kw.get("mapping"))
                for t in an.tables:
                    for name in FIELDS:
                        assert explain._example(an.parsed, t, name) == _first_value(an.parsed, t, name), name
                previews.append((an.preview(AS_OF), an.problem_frame(), an.explanation()))
        eng.dispose()
        got[columnar] = (reports, previews, _dump(db))
    rows_reports, rows_previews, rows_db = got[False]
    cols_reports, cols_previews, cols_db = got[True]
    assert cols_reports == rows_reports
    for (cols_preview, cols_problems, cols_lines), (rows_preview, rows_problems, rows_lines) in zip(
            cols_previews, rows_previews, strict=True):
        pd.testing.assert_frame_equal(cols_preview, rows_preview)
        pd.testing.assert_frame_equal(cols_problems, rows_problems)
        assert cols_lines == rows_lines
    for t in TABLES:
        assert cols_db[t] == rows_db[t], t
    return cols_reports


def _first_value(parsed, table, name: str) -> str:
    """The report's "first value read" of a column, found by looking at every item (no shortcut)."""
    for n in parsed.nodes if parsed is not None else []:
        v = n.fields.get(name) if name not in ("status", "progress") else n.state.get(name)
        if n.sheet == table.sheet.name and n.file == table.file_name and v is not None and v != "" and v != []:
            return (explain.day(v) if isinstance(v, dt.date) else ", ".join(map(str, v)) if isinstance(v, list)
                    else f"{v:g} %" if name == "progress" else str(v))
    return ""


def _messy_rows(n: int, seed: int, bad: bool) -> list[list[object]]:
    """A legacy sheet of ``n`` actions: sections, blank rows, repeated and odd values, bad cells if ``bad``."""
    rnd = random.Random(seed)
    statuses = ["In Progress", "On Track", "Delayed", "at risk", "Complete", "Not started", "", None, "done",
                "On Hold"]
    progress: list[object] = [0, 10, 45, "45%", "100%", 0.5, None, "", "Complete", -0.0, 0.0, 99.5, "not started"]
    dates: list[object] = [dt.datetime(2024, 3, 31), "June 2025", "Q3 2025", "FY2026 Q1", "TBD", "6/30/2025", None,
                           "2025-12-31", dt.datetime(9999, 12, 31), 45500, "n/a"]
    starts: list[object] = [dt.datetime(2023, 1, 15), "Jan 2023", "Q1 2023", "TBD", "1/31/2023", None, 44900]
    if bad:
        starts += [dt.datetime(2030, 1, 1), dt.datetime(9999, 12, 31)]  # after the due date; out of range
    depts = ["Public Works", "IT", "Public Works, IT", "Planning; Finance", None, "Human Services", "IT"]
    people = ["Ana Nguyen", "Ben Smith", None, "", "  Chloe   Park ", "Dev Khan"]
    # Sponsors met before they own anything: new people must get the same ids either way.
    sponsors = [None, "Zoe Sponsor", "Yuri Sponsor", "Ben Smith", f"Sponsor {seed}"]
    smart = ["M", "S;T", "Mobility; Transparency", None, "", "A,R"]
    if bad:
        statuses += ["maybe", "whatever"]
        progress += ["abc", 150, -5]
        dates += ["someday", dt.datetime(1850, 1, 1), "13/45/2020"]
        smart += ["Q"]
    rows: list[list[object]] = [["Code", "Title", "Owner", "Department", "Partners", "Status", "% Complete",
                                 "Start", "Due Date", "Weight", "SMART", "Comments", "Last Updated", "Sponsor",
                                 "Description"]]
    k = 0
    for s in range(1, 4):
        rows.append([f"GOAL {s}: Goal number {s}"])
        for i in range(1, 6):
            rows.append([f"{s}.{i}", f"Objective {s}.{i}", rnd.choice(people), rnd.choice(depts)])
            for a in range(1, n // 15 + 1):
                k += 1
                start = rnd.choice(starts) if rnd.random() < 0.3 else None
                weight: object = rnd.choice([None, 1, 2.5, "3", 0]) if not bad or rnd.random() > 0.02 else "heavy"
                updated: object = rnd.choice([None, None, "3/31/2026", dt.datetime(2026, 5, 1)])
                if bad and rnd.random() < 0.01:
                    updated = "2099-01-01"
                owner = rnd.choice(people) if k % 3 else f"Owner {k % 50}"
                rows.append([f"{s}.{i}.{a}", f"Action {s}.{i}.{a}  with  spaces" if a % 7 == 0 else f"Action {a}",
                             owner, rnd.choice(depts), rnd.choice([None, None, "Finance", "IT/Legal"]),
                             rnd.choice(statuses), rnd.choice(progress), start, rnd.choice(dates), weight,
                             rnd.choice(smart), rnd.choice([None, "", "on it", "NA", "waiting on budget"]), updated,
                             rnd.choice(sponsors) if k % 3 else f"Sponsor {k % 70}",
                             None if k < 5 else rnd.choice([None, "Why it matters", f"Step {k}"])])
                if a % 40 == 0:
                    rows.append([])
    return rows


def _csv_cell(value: object) -> str:
    """A cell as a CSV export writes it (an Excel serial day as the date it is)."""
    if type(value) is int and 20000 <= value <= 80000:
        return (dt.date(1899, 12, 30) + dt.timedelta(days=value)).isoformat()
    return "" if value is None else str(value)


@pytest.mark.parametrize("bad", [False, True], ids=["messy", "bad-rows"])
def test_a_generated_2k_row_sheet(monkeypatch, tmp_path, bad):
    rows = _messy_rows(2000, 1, bad)
    data = xlsx({"Work plan": rows})
    steps: list[tuple[list, dict]] = [([("plan.xlsx", data)], {"plan_name": "Big", "as_of": AS_OF})]
    if not bad:
        # The same plan again a month later, as CSV text (every cell a string), onto the first import.
        text = "\n".join(",".join('"' + _csv_cell(c).replace('"', '""') + '"' for c in r) for r in rows)
        steps.append(([("plan.csv", text.encode())], {"plan_name": "Big", "as_of": AS_OF + dt.timedelta(days=31)}))
    reports = _both(monkeypatch, tmp_path, steps)
    if bad:
        assert not reports[0]["ok"] and len(reports[0]["errors"]) > 50
    else:
        assert [r["ok"] for r in reports] == [True, True] and reports[0]["items_created"] > 2000
        assert reports[1]["updates_added"] > 500


def test_percent_formats_bools_and_error_free_small_shapes(monkeypatch, tmp_path):
    """Small layouts, spreadsheet error cells, %-formats, and True cells (read row by row throughout)."""
    steps: list[tuple[list, dict]] = [
        ([("plan.xlsx", messy_codes())], {"plan_name": "Messy", "as_of": dt.date(2020, 3, 31)}),
        ([("div.xlsx", _with_error_cell("D3"))], {"plan_name": "Div"}),
        ([("div.xlsx", _with_error_cell("B2", "#N/A"))], {"plan_name": "Div"}),
        ([("b.xlsx", xlsx({"P": [["Code", "Title", "Status", "Weight"], ["1", "A", True, 1], ["2", "B", 1, True],
                                 ["3", "C", "on track", 2]]}))], {"plan_name": "Bools"}),
        ([("levels.csv", b"Level,Title,Status\nGoal,Roads,\nObjective,Potholes,\nTask,Fill them,on track\n"
                         b"Task,Paint lines,done\nGoal,Parks,\nWidget,Oops,\n")], {"plan_name": "Levels"}),
        ([("cols.xlsx", xlsx({"P": [["Strategy", "Initiative", "Action", "Status", "Due"],
                                    ["Safe streets", "Vision Zero", "Speed humps", "on track", "Q3 2020"],
                                    [None, None, "Crosswalks", "done", "2020-01-31"],
                                    [None, "Bike lanes", "Protected lanes", "delayed", "TBD"],
                                    ["Open data", "Portal", "Launch", "", ""]]},
                             merge={"P": ["A2:A4"]}))], {"plan_name": "Cols", "as_of": dt.date(2021, 1, 1)}),
        ([("prefix.csv", b"Title,Status\nGoal: Safe streets,\nObjective: Vision Zero,\nTask: Speed humps,on track\n"
                         b"Task: Crosswalks,done\n")], {"plan_name": "Prefix"}),
        ([("rows.csv", b"Title,Status,Due\nSAFE STREETS\nSpeed humps,on track,2020-06-30\n,,\nCrosswalks,done,\n")],
         {"plan_name": "Rows"}),
        ([("flags.xlsx", xlsx({"P": [["Code", "Title", "S", "M", "A", "R", "T", "SMART"],
                                     ["1", "A", "x", None, "yes", None, None, "M"], ["2", "B", None, None, None,
                                                                                    None, "1", None],
                                     ["3", "C", "maybe", None, None, None, None, None]]}))], {"plan_name": "Flags"}),
        ([("dated.csv", b"Code,Title,Status,Progress,Last Updated,Start,Due\n1,A,on track,40,3/31/2020,,\n"
                        b"2,B,done,,,2021-01-01,2020-01-01\n3,C,,,,,9999-12-31\n")], {"plan_name": "Dated"}),
        ([("words.csv", b"Code,Title,Status\n1,A,Green\n2,B,Red\n")],
         {"plan_name": "Words", "mapping": {"Code": "code", "Title": "title", "Status": "status",
                                            "status:green": "on_track", "status:red": "off_track"}}),
        ([("sp.csv", b"Code,Title,Department,Partner departments\n1,A,\"['BPD', 'MONSE']\",Finance\n"
                     b"2,B,\"['IT']\",\n")], {"plan_name": "SharePoint"}),
        ([("mail.csv", b"Code,Title,Owner,Owner Email\n1,A,Ana,ana@weho.org\n2,B,Ben,ben at weho\n3,C,Ana,\n")],
         {"plan_name": "Mail"}),
        ([("mail.csv", b"Code,Title,Owner,Owner Email\n1,A,Ana,ana@weho.org\n2,B,Ben,mailto:ben@weho.org\n")],
         {"plan_name": "Mail"}),
    ]
    reports = _both(monkeypatch, tmp_path, steps)
    assert sum(r["ok"] for r in reports) >= 6


def test_the_demo_spreadsheets_and_extracts(monkeypatch, tmp_path):
    """The shipped legacy CSVs, then each demo plan's extract re-imported onto the demo database."""
    base = tmp_path / "demo.db"
    eng = make_engine(f"sqlite:///{base}")
    build_demo(eng)
    generate_plan(eng, 300, 2, seed=3, name="Generated")
    steps: list[tuple[list, dict]] = [([p], {"plan_name": f"Legacy {p.stem}", "as_of": AS_OF})
                                      for p in sorted((ROOT / "data").glob("weho_*plan*.csv"))
                                      + sorted((ROOT / "data").glob("weho_innovations*.csv"))]
    for k, name in enumerate(repository.list_plans(eng)["name"]):
        plan = repository.resolve_plan(eng, name)
        ext = exporting.build_extract(repository.load_items(eng, plan.id), repository.load_updates(eng, plan.id),
                                      plan, AS_OF)
        path = tmp_path / f"plan{k}.xlsx"
        exporting.write_xlsx(ext, path)
        steps.append(([path], {"plan_name": name, "as_of": AS_OF}))  # onto the plan it came from
        steps.append(([path], {"plan_name": f"Copy of {name}"}))  # a new plan, dated today
    eng.dispose()
    assert len(steps) >= 6
    reports = _both(monkeypatch, tmp_path, steps, base=base)
    assert all(r["ok"] for r in reports)


def _code_rows(n: int, seed: int) -> list[list[object]]:
    """A plain code-mode sheet (every row a code and a title): what a new plan is written from as columns."""
    rnd = random.Random(seed)
    rows: list[list[object]] = [["Code", "Title", "Owner", "Sponsor", "Department", "Partners", "Status",
                                 "% Complete", "Start", "Due Date", "Weight", "SMART", "Comments", "Last Updated",
                                 "Owner Email", "Description"]]
    people = ["Ana Nguyen", "Ben Smith", None, "Dev Khan", "New Person"]
    k = 0
    for s in range(1, 4):
        # Parents with their own state cells (dropped, one warning) and a comment (kept).
        rows.append([f"{s}", f"Strategy {s}", None, None, None, None, "on track" if s == 1 else None,
                     50 if s == 2 else None, None, None, None, None, "parent note" if s == 3 else None])
        for i in range(1, 5):
            rows.append([f"{s}.{i}", f"Initiative {s}.{i}", rnd.choice(people), None, "Public Works"])
            for a in range(1, n // 12 + 1):
                k += 1
                owner = rnd.choice(people) if k % 4 else f"Owner {k % 30}"
                status = rnd.choice(["In Progress", "Done", "Delayed", None, "Not started"])
                rows.append([f"{s}.{i}.{a}", f"Action {s}.{i}.{a}", owner, rnd.choice([None, f"Sponsor {k % 9}"]),
                             rnd.choice(["IT", "Finance", None, "Human Services"]),
                             rnd.choice([None, "Legal", "IT; Legal", "Finance/IT"]), status,
                             rnd.choice([None, 0, 40, 100, 99.5, -0.0]),
                             rnd.choice([None, dt.datetime(2023, 1, 15), "Q1 2023"]),
                             rnd.choice([None, dt.datetime(2025, 6, 30), "June 2025", "TBD"]),
                             rnd.choice([None, 1, 2.5, 0]), rnd.choice([None, "M", "S;T"]),
                             rnd.choice([None, "", "on it"]), rnd.choice([None, dt.datetime(2026, 5, 1)]),
                             f"owner{k % 7}@weho.org" if owner and k % 5 == 0 else None,
                             rnd.choice([None, f"Step {k}"])])
                if a % 50 == 0:
                    rows.append([])  # a blank row: skipped either way
    return rows


def _is_flat(sources: list, kw: dict) -> bool:
    an = analyse(sources, mapping=kw.get("mapping"))
    return an.parsed is not None and an.parsed.flat is not None


def test_a_new_plan_in_code_mode_written_from_columns(monkeypatch, tmp_path):
    """A clean code-mode sheet as a new plan (no node made), then again onto it, then as CSV onto it."""
    rows = _code_rows(1200, 4)
    data = xlsx({"Work plan": rows})
    text = "\n".join(",".join('"' + _csv_cell(c).replace('"', '""') + '"' for c in r) for r in rows)
    steps: list[tuple[list, dict]] = [
        ([("plan.xlsx", data)], {"plan_name": "Flat", "as_of": AS_OF}),
        ([("plan.xlsx", data)], {"plan_name": "Flat", "as_of": AS_OF + dt.timedelta(days=31)}),
        ([("plan.csv", text.encode())], {"plan_name": "Flat", "as_of": AS_OF + dt.timedelta(days=62)}),
        ([("plan.csv", text.encode())], {"plan_name": "Flat as CSV", "as_of": AS_OF}),
    ]
    assert all(_is_flat(*step) for step in steps)  # the column path is the one compared here
    reports = _both(monkeypatch, tmp_path, steps)
    assert all(r["ok"] for r in reports) and reports[0]["items_created"] > 1200
    assert any("parent row(s) have their own status" in w["message"] for w in reports[0]["warnings"])
    assert any("progress but no status" in w["message"] for w in reports[0]["warnings"])


def _edit(rows: list[list[object]], r: int, c: int, value: object) -> list[list[object]]:
    out = [list(x) for x in rows]
    while len(out[r]) <= c:
        out[r].append(None)
    out[r][c] = value
    return out


def test_code_mode_sheets_the_column_path_leaves_to_the_rows(monkeypatch, tmp_path):
    """Each odd row sends the table back to the per-row loop; a few odd values stay on the column path."""
    rows = _code_rows(120, 5)
    last = len(rows) - 1
    odd = {
        "section row": ([*rows[:5], ["GOAL 9: A section"], *rows[5:]], False),
        "lettered code": (_edit(rows, 7, 0, "P1.F1.A5"), False),
        "duplicate code": (_edit(rows, last, 0, rows[last - 1][0]), False),
        "orphan code": (_edit(rows, last, 0, "7.7.7"), False),
        "missing title": (_edit(rows, last, 1, None), False),
        "code read as none": (_edit(rows, last, 0, "#"), False),
        "odd code text": (_edit(rows, last, 0, "n/a"), True),
        "two departments": (_edit(rows, last, 4, "IT, Finance"), False),
        "refused status": (_edit(rows, last, 6, "maybe"), False),
        "due before start": (_edit(_edit(rows, last, 8, dt.datetime(2030, 1, 1)), last, 9,
                                   dt.datetime(2029, 1, 1)), False),
        "no end date": (_edit(rows, last, 9, dt.datetime(9999, 12, 31)), False),
        "title alone": ([*rows[:6], [None, "A title without a code"], *rows[6:]], False),
        "numeric codes": ([*rows[:1], [4.1, "Numeric", None], [4.0, "Four"], *rows[1:]], True),
        "deep codes": ([*rows, ["3.4.9.1", "Deeper"], ["3.4.9.1.1", "Deepest", None, None, None, None, "done"]],
                       True),
        "codes sorting 1.10 after 1.9": ([*rows, *[[f"3.4.{k}", f"T {k}"] for k in range(11, 13)]], True),
        # File order is not outline order: the owner's email is the last one in outline order.
        "an owner's two emails": ([rows[0], ["3.4.90", "X", "Zed Owner", *[None] * 11, "zed.x@weho.org"],
                                   *rows[1:], ["1.1.0", "Y", "Zed Owner", *[None] * 11, "zed.y@weho.org"]], True),
    }
    steps: list[tuple[list, dict]] = []
    for name, (sheet, flat) in odd.items():
        step = ([(f"{name}.xlsx", xlsx({"P": sheet}))], {"plan_name": name, "as_of": AS_OF})
        assert _is_flat(*step) is flat, name
        steps.append(step)
    # Two sheets of one plan: codes link across tables, so the rows are read per row.
    two = ([("two.xlsx", xlsx({"A": rows[:40], "B": [rows[0], *rows[40:]]}))], {"plan_name": "Two", "as_of": AS_OF})
    assert not _is_flat(*two)
    steps.append(two)
    reports = _both(monkeypatch, tmp_path, steps)
    assert sum(r["ok"] for r in reports) >= 5 and not all(r["ok"] for r in reports)
