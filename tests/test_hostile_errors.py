"""Parser and database errors are one accurate line: which file, which row, what to do."""

from __future__ import annotations

import io
import zipfile

import pytest
from importing_helpers import counts, xlsx

from wehoplan.db import make_engine
from wehoplan.importing import import_files


def _one_error(url: str, name: str, data: bytes, **kw):
    rep = import_files(make_engine(url), [(name, data)], plan_name=kw.pop("plan_name", "X"), **kw)
    assert not rep.ok
    assert all(n == 0 for n in counts(url).values())
    (err,) = rep.errors
    assert "\n" not in err.message and "Traceback" not in err.message
    return err


def test_a_200k_character_field_names_file_and_row(empty_url):
    data = b"Code,Title,Status\n1,Goal,\n1.1," + b"x" * 200_000 + b",on track\n"
    err = _one_error(empty_url, "big.csv", data)
    assert err.file == "big.csv" and "row 3" in err.message


def test_an_unbalanced_quote_names_file_and_row(empty_url):
    data = b'Code,Title,Status\n1,Goal,\n1.1,"Unclosed,on track\n' + (b"1.2,Next,on track\n" * 20_000)
    err = _one_error(empty_url, "quote.csv", data)
    assert err.file == "quote.csv" and "row 3" in err.message and "quote" in err.message


def test_nul_bytes_after_the_first_4kb_are_refused_with_their_line(empty_url):
    data = b"Code,Title,Status\n1,Goal,\n" + b"1.1,Padding title,on track\n" * 300 + b"1.2,Bad\x00title,on track\n"
    err = _one_error(empty_url, "nul.csv", data)
    assert "NUL" in err.message and "line 303" in err.message


def test_a_workbook_whose_sheets_are_all_hidden_says_hidden(empty_url):
    # Excel itself refuses to hide the last visible sheet; a hand-edited or generated file can.
    src = zipfile.ZipFile(io.BytesIO(xlsx({"Plan": [["Code", "Title", "Status"], ["1", "Goal", None]]})))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as out:
        for n in src.namelist():
            part = src.read(n)
            out.writestr(n, part.replace(b'state="visible"', b'state="hidden"') if n == "xl/workbook.xml" else part)
    data = buf.getvalue()
    err = _one_error(empty_url, "hidden.xlsx", data)
    assert "hidden" in err.message and "'Plan'" in err.message


@pytest.mark.parametrize("bad", ["work\nplan.csv", "work\u202eplan.csv", "work\rplan\u2066.csv"])
def test_bidi_and_newline_characters_leave_file_and_plan_names(empty_url, bad):
    data = b"Code,Title,Status\n1,Goal,\n1.1,Act,sort of\n"
    rep = import_files(make_engine(empty_url), [(bad, data)])
    assert not rep.ok
    for p in rep.errors:
        assert all(ch not in p.file for ch in "\n\r\u202e\u2066")
    assert rep.plan.startswith("work") and all(ch not in rep.plan for ch in "\n\r\u202e\u2066")


def _with_error_cell(ref: str, error: str = "#DIV/0!") -> bytes:
    data = xlsx({"Plan": [["Code", "Title", "Status", "Progress"], ["1", "Goal", None, None],
                          ["1.1", "Act", "on track", 0.5]]}, pct={"Plan": ["D3"]})
    src = zipfile.ZipFile(io.BytesIO(data))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as out:
        for n in src.namelist():
            part = src.read(n)
            if n == "xl/worksheets/sheet1.xml":
                head, _, rest = part.partition(f'<c r="{ref}"'.encode())
                _, _, tail = rest.partition(b"</c>")
                part = head + f'<c r="{ref}" t="e"><v>{error}</v></c>'.encode() + tail
            out.writestr(n, part)
    return buf.getvalue()


def test_a_typed_error_cell_is_an_error_not_zero_percent(empty_url):
    err = _one_error(empty_url, "div.xlsx", _with_error_cell("D3"))
    assert (err.sheet, err.row) == ("Plan", 3) and err.column.startswith("D")
    assert "spreadsheet error" in err.message


def test_xlsx_text_over_32767_characters_is_cut_visibly_and_the_csv_keeps_it(empty_url):
    import openpyxl

    from wehoplan import exporting, repository

    long = "word " * 9_000  # 45,000 characters
    data = f"Code,Title,Status,Progress,Comment\n1,Goal,,,\n1.1,Act,on track,10,{long}\n".encode()
    eng = make_engine(empty_url)
    assert import_files(eng, [("p.csv", data)], plan_name="P", as_of="2020-06-30").ok
    plan = repository.resolve_plan(eng, "P")
    items, updates = repository.load_items(eng, plan.id), repository.load_updates(eng, plan.id)
    book = exporting.extract_bytes(items, updates, plan, "2020-06-30")
    wb = openpyxl.load_workbook(io.BytesIO(book), read_only=True)
    cells = [c for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row
             if isinstance(c, str) and c.startswith("word word")]
    assert cells and all(len(c) <= 32_767 for c in cells)
    assert all("cut: 44,999 characters in all" in c or "cut: 45,000 characters in all" in c for c in cells)
    text = exporting.extract_bytes(items, updates, plan, "2020-06-30", fmt="csv").decode("utf-8-sig")
    assert long.strip() in text


# ---------------------------------------------------------------- database files


def _cli_error(capsys, *argv) -> tuple[int, str]:
    from wehoplan.cli import main

    code = main(list(argv))
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    return code, err


@pytest.mark.parametrize(("content", "expected"), [
    (b"this is not a database at all, just text" * 100, "file is not a database"),
    ("truncated", "malformed"),
])
def test_a_corrupt_database_file_is_reported_as_damaged_not_missing(tmp_path, demo_url, capsys, content, expected):
    from pathlib import Path

    path = tmp_path / "w.db"
    if content == "truncated":
        from wehoplan.db import checkpoint

        checkpoint(make_engine(demo_url))  # the whole database in its file, then cut that file short
        content = Path(demo_url.removeprefix("sqlite:///")).read_bytes()[:20_000]
    path.write_bytes(content)
    code, err = _cli_error(capsys, "rollup", "--db", f"sqlite:///{path}")
    assert code == 1
    assert expected in err and "damaged" in err and "do not run init-demo" in err
    assert path.read_bytes() == content  # nothing touched it


def test_a_foreign_sqlite_file_is_not_called_missing(tmp_path, capsys):
    import sqlite3

    path = tmp_path / "other.db"
    with sqlite3.connect(path) as c:
        c.execute("CREATE TABLE t (x)")
    code, err = _cli_error(capsys, "rollup", "--db", f"sqlite:///{path}")
    assert code == 1 and "without a wehoplan schema" in err


def test_a_missing_database_still_says_init_demo(tmp_path, capsys):
    code, err = _cli_error(capsys, "rollup", "--db", f"sqlite:///{tmp_path / 'none.db'}")
    assert code == 1 and "init-demo" in err


def test_a_write_to_a_read_only_database_is_one_line_without_sql(fresh_url):
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import DBAPIError

    from wehoplan.cli.common import one_line_error

    path = fresh_url.removeprefix("sqlite:///")
    ro = create_engine(f"sqlite:///file:{path}?mode=ro&uri=true")
    with pytest.raises(DBAPIError) as exc, ro.begin() as c:
        c.execute(text("INSERT INTO meta (key, value) VALUES ('x', 'y')"))
    assert "INSERT" in str(exc.value)  # SQLAlchemy's own text carries the statement...
    line = one_line_error(exc.value)
    assert line.startswith("the database is read-only") and "INSERT" not in line and "\n" not in line


@pytest.mark.parametrize(("content", "expected"), [
    (b"this is not a database at all, just text" * 100, "damaged or not a database"),
    (None, "without a wehoplan schema"),
])
def test_the_app_names_a_damaged_or_foreign_database_file_without_cli_words(tmp_path, monkeypatch, content, expected):
    import sqlite3
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    path = tmp_path / "w.db"
    if content is None:
        with sqlite3.connect(path) as c:
            c.execute("CREATE TABLE t (x)")
    else:
        path.write_bytes(content)
    before = path.read_bytes()
    monkeypatch.setenv("WEHOPLAN_DATABASE_URL", f"sqlite:///{path}")
    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"), default_timeout=60).run()
    assert not at.exception
    errors = " ".join(e.value for e in at.error)
    assert expected in errors
    assert "--db" not in errors and "init-demo" not in errors
    assert path.read_bytes() == before  # no tables created in somebody else's file
