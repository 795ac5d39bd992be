"""Backups: `db backup` then `db restore` into an empty database gives back every row of every table."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from wehoplan.cli import main
from wehoplan.db import make_engine
from wehoplan.models import Base

TABLES = Base.metadata.sorted_tables


def _rows(url: str) -> dict[str, list[tuple]]:
    """Every row of every table as the data layer reads it (typed: dates are dates on both databases)."""
    with make_engine(url).connect() as c:
        return {t.name: sorted(map(tuple, c.execute(select(t)).fetchall()), key=repr) for t in TABLES}


def _cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def _report(capsys, url: str, progress: str) -> None:
    code, _, err = _cli(capsys, "record-update", "--db", url, "--plan", "smart city", "--status", "on_track",
                        "--progress", progress, "--as-of", "2023-06-01", "--author", "Backup Test", "1.1.1")
    assert code == 0, err


@pytest.mark.parametrize("portable", [False, True], ids=["native", "portable"])
def test_backup_and_restore_round_trip_every_table(fresh_url, blank_url, tmp_path, capsys, portable, db_backend):
    _report(capsys, fresh_url, "61")  # audit rows and a late update, not only the demo
    before = _rows(fresh_url)
    out = tmp_path / "plan.backup"
    code, msg, err = _cli(capsys, "db", "backup", str(out), "--db", fresh_url, *(["--portable"] if portable else []))
    assert code == 0, err
    kind = "portable" if portable else {"sqlite": "sqlite", "postgresql": "pg_dump"}[db_backend]
    assert f"({kind})" in msg
    code, msg, err = _cli(capsys, "db", "restore", str(out), "--db", blank_url)
    assert code == 0, err
    assert _rows(blank_url) == before
    _report(capsys, blank_url, "62")  # the restored database takes new writes (PostgreSQL: ids move on)
    assert len(_rows(blank_url)["updates"]) == len(before["updates"]) + 1


def test_a_portable_backup_of_a_sqlite_file_restores_into_postgresql(tmp_path, capsys, pg_databases):
    src = f"sqlite:///{tmp_path / 'laptop.db'}"
    assert _cli(capsys, "init-demo", "--db", src)[0] == 0
    _report(capsys, src, "63")
    out = tmp_path / "laptop.dump"
    assert _cli(capsys, "db", "backup", str(out), "--portable", "--db", src)[0] == 0
    server = pg_databases.new()
    assert _cli(capsys, "db", "restore", str(out), "--db", server)[0] == 0
    assert _rows(server) == _rows(src)
    code, out_csv, _ = _cli(capsys, "rollup", "--db", server, "--plan", "smart city")
    assert code == 0 and out_csv == _cli(capsys, "rollup", "--db", src, "--plan", "smart city")[1]


def test_backup_refuses_to_overwrite_and_restore_refuses_a_database_with_tables(fresh_url, tmp_path, capsys):
    out = tmp_path / "exists.backup"
    out.write_bytes(b"keep me")
    code, _, err = _cli(capsys, "db", "backup", str(out), "--db", fresh_url)
    assert code == 1 and "exists already" in err and out.read_bytes() == b"keep me"
    good = tmp_path / "good.backup"
    assert _cli(capsys, "db", "backup", str(good), "--portable", "--db", fresh_url)[0] == 0
    code, _, err = _cli(capsys, "db", "restore", str(good), "--db", fresh_url)
    assert code == 1 and "empty database" in err and len(err.strip().splitlines()) == 1


def test_restore_refuses_a_file_that_is_not_a_backup(blank_url, tmp_path, capsys):
    junk = tmp_path / "notes.txt"
    junk.write_text("not a backup", encoding="utf-8")
    code, _, err = _cli(capsys, "db", "restore", str(junk), "--db", blank_url)
    assert code == 1 and "not a wehoplan backup" in err
    assert _cli(capsys, "db", "current", "--db", blank_url)[0] == 1  # still empty


def test_without_pg_dump_postgresql_gets_the_portable_dump(fresh_url, blank_url, tmp_path, capsys, monkeypatch,
                                                            db_backend):
    if db_backend != "postgresql":
        pytest.skip("pg_dump is PostgreSQL's")
    monkeypatch.setattr("wehoplan.backup.pg_tool", lambda _name: None)
    out = tmp_path / "no-pg-dump.backup"
    code, msg, _ = _cli(capsys, "db", "backup", str(out), "--db", fresh_url)
    assert code == 0 and "(portable)" in msg
    assert _cli(capsys, "db", "restore", str(out), "--db", blank_url)[0] == 0
    assert _rows(blank_url) == _rows(fresh_url)
