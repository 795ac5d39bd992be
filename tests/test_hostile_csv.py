"""Every CSV the product writes is one writer's: text quoted and neutralised, line breaks inside fields.

A comment with a carriage return must not start a new row whose first cell is a live
formula, and an item code is user text like any other. LibreOffice is the judge: each CSV
is opened by it and saved as xlsx, and the saved workbook must hold no formula at all.
"""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
import uuid
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from wehoplan import editing, exporting
from wehoplan.cli import main
from wehoplan.db import make_engine
from wehoplan.importing import import_files
from wehoplan.ui.widgets import report_csv

HOSTILE_TEXT = [
    '=HYPERLINK("http://evil.example","click")',
    "ok\r=1+2",
    "ok\n+1+1",
    "ok\r\n@SUM(A1)",
    "-2+3",
    "\t=1",
    "\r=cmd|' /C calc'!A0",
    "plain",
]
SOFFICE = shutil.which("soffice")


def _frame() -> pd.DataFrame:
    n = len(HOSTILE_TEXT)
    return pd.DataFrame({"code": ["=2+3", "+1", "-1", "@x", "1.1", "\r=9", "\n=9", "1"][:n],
                         "comment": HOSTILE_TEXT, "progress": [0.5] * n})


def _rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def _assert_safe(data: bytes, n_rows: int) -> None:
    rows = _rows(data)
    assert len(rows) == n_rows + 1  # a CR or LF inside a field started no row
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r", "\n")) or _is_number(cell), cell
    # Every text field of the data is quoted in the bytes themselves (the header holds only the
    # product's own column names and stays as the CLI contract writes it).
    # QUOTE_NONNUMERIC reading turns every unquoted field into a float: unquoted text would raise.
    body = data.decode("utf-8-sig").split("\r\n", 1)[1]
    list(csv.reader(io.StringIO(body, newline=""), quoting=csv.QUOTE_NONNUMERIC))


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def test_rows_shown_csv_quotes_and_neutralises_codes_and_broken_lines():
    frame = _frame()
    data = report_csv(frame)()
    _assert_safe(data, len(frame))
    rows = _rows(data)
    assert rows[1][0] == "'=2+3" and rows[2][1] == "ok\r=1+2"


def test_audit_csv_of_hostile_comments_and_codes_is_safe(empty_url):
    eng = make_engine(empty_url)
    src = "Code,Title,Status,Progress,Comment\n1,Goal,,,\n1.1,Act,on track,10,\"ok\r=1+2\"\n"
    assert import_files(eng, [("=evil.csv", src.encode())], plan_name="=HYPERLINK(\"x\")").ok
    frame = editing.audit_frame(eng)
    for data in (editing.audit_csv(frame), exporting.csv_bytes(frame)):
        _assert_safe(data, len(frame))


def test_rollup_csv_quotes_and_neutralises_titles(empty_url, capsys):
    eng = make_engine(empty_url)
    src = "Code,Title,Owner,Status,Progress\n1,=HYPERLINK(\"x\"),@me,,\n1.1,\"a\r=1+1\",-x,on track,10\n"
    assert import_files(eng, [("p.csv", src.encode())], plan_name="P").ok
    assert main(["rollup", "--db", empty_url, "--plan", "P"]) == 0
    out = capsys.readouterr().out
    rows = list(csv.reader(io.StringIO(out, newline="")))
    assert len(rows) == 3
    assert rows[1][1] == "'=HYPERLINK(\"x\")" and rows[2][1] == "a =1+1"  # import folds the CR in titles


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_finds_no_live_formula_in_any_csv(empty_url, tmp_path):
    eng = make_engine(empty_url)
    src = "Code,Title,Status,Progress,Comment\n1,Goal,,,\n1.1,\"t\r=1+1\",on track,10,\"ok\r\n=2+2\"\n"
    assert import_files(eng, [("p.csv", src.encode())], plan_name="P").ok
    audit = editing.audit_frame(eng)
    files = {"report.csv": (report_csv(_frame())(), len(_frame())),
             "audit.csv": (exporting.csv_bytes(audit), len(audit))}
    for name, (data, _n) in files.items():
        (tmp_path / name).write_bytes(data)
    profile = Path("/tmp") / f"wehoplan-soffice-{uuid.uuid4().hex}"
    try:
        subprocess.run([SOFFICE, f"-env:UserInstallation=file://{profile}/profile", "--headless",
                        "--infilter=CSV:44,34,76,1", "--convert-to", "xlsx", "--outdir", str(tmp_path / "out"),
                        *(str(tmp_path / n) for n in files)], check=True, capture_output=True, timeout=180)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    for name, (_data, n) in files.items():
        wb = openpyxl.load_workbook(tmp_path / "out" / name.replace(".csv", ".xlsx"))
        ws = wb.active
        formulas = [c.coordinate for row in ws.iter_rows() for c in row if c.data_type == "f"]
        assert formulas == [], name
        assert ws.max_row == n + 1, name
