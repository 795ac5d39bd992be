"""Schema revisions: upgrades keep every row; the app and CLI refuse a schema that is not the code's."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy import inspect as sa_inspect

from wehoplan import migrations
from wehoplan.cli import main
from wehoplan.db import SchemaError, check_schema, create_schema, make_engine, schema_state
from wehoplan.models import Base

FIXTURE = Path(__file__).parent / "fixtures" / "before_revisions.db"
TABLES = [t.name for t in Base.metadata.sorted_tables]


def _rows(engine, tables=None, columns=None) -> dict[str, list[tuple]]:
    """Every row of ``tables``; with ``columns`` ({table: [names]}), only those columns (a later
    revision may add columns to an old table: the old columns must keep their values)."""
    with engine.connect() as c:
        def select(t):
            cols = ", ".join(columns[t]) if columns else "*"
            return sorted(map(tuple, c.execute(text(f"SELECT {cols} FROM {t}")).fetchall()), key=repr)
        return {t: select(t) for t in (TABLES if tables is None else tables)}


def _triggers(engine) -> set[str]:
    with engine.connect() as c:
        if engine.dialect.name == "sqlite":
            return set(c.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")).scalars())
        return set(c.execute(text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")).scalars())


def _cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def old_url(tmp_path) -> str:
    """A copy of a database made by the schema of before revisions (demo + a report + an import)."""
    path = tmp_path / "old.db"
    shutil.copy(FIXTURE, path)
    return f"sqlite:///{path}"


def test_a_database_from_before_revisions_is_refused_until_upgraded_and_keeps_every_row(old_url, capsys):
    engine = make_engine(old_url)
    old_tables = [t for t in TABLES if t in sa_inspect(engine).get_table_names()]
    old_columns = {t: [c["name"] for c in sa_inspect(engine).get_columns(t)] for t in old_tables}
    before = _rows(engine, old_tables, old_columns)
    assert len(before["updates"]) > 2000 and len(before["audit"]) >= 7 and len(before["import_batches"]) == 1
    assert schema_state(engine) == "old"
    with pytest.raises(SchemaError, match="wehoplan db upgrade"):
        check_schema(engine)
    code, out, err = _cli(capsys, "rollup", "--db", old_url, "--plan", "smart city")
    assert code == 1 and out == "" and len(err.strip().splitlines()) == 1 and "wehoplan db upgrade" in err

    code, out, err = _cli(capsys, "db", "upgrade", "--db", old_url)
    assert code == 0, err
    assert migrations.head_revision() in out
    assert _rows(engine, old_tables, old_columns) == before
    added = set(TABLES) - set(old_tables)  # tables of later revisions: there, and empty
    assert added and all(not rows for rows in _rows(engine, sorted(added)).values())
    assert {"updates_no_edit", "updates_no_delete", "audit_no_edit", "audit_no_delete"} <= _triggers(engine)
    check_schema(engine)
    code, out, _ = _cli(capsys, "rollup", "--db", old_url, "--plan", "smart city")
    assert code == 0 and out.startswith("code,title,level,progress")
    assert _cli(capsys, "db", "current", "--db", old_url)[:2] == (0, f"{migrations.head_revision()}: up to date\n")


def test_upgrading_twice_changes_nothing(old_url, capsys):
    assert _cli(capsys, "db", "upgrade", "--db", old_url)[0] == 0
    before = _rows(make_engine(old_url))
    code, out, _ = _cli(capsys, "db", "upgrade", "--db", old_url)
    assert code == 0 and "was" not in out
    assert _rows(make_engine(old_url)) == before


def test_the_migrations_build_the_same_schema_as_the_models(blank_url, db_backend, request):
    """A new table or column in models.py without a revision fails here (see wehoplan/migrations)."""
    migrated = make_engine(blank_url)
    assert migrations.upgrade(migrated) == (None, migrations.head_revision())
    direct_url = request.getfixturevalue("pg_databases").new() if db_backend == "postgresql" else \
        blank_url.replace("blank.db", "direct.db")
    direct = make_engine(direct_url)
    create_schema(direct)
    for engine in (migrated, direct):
        with engine.connect() as c:
            diff = compare_metadata(MigrationContext.configure(c), Base.metadata)
        assert diff == [], diff
        assert schema_state(engine) == "current"
    assert _triggers(migrated) == _triggers(direct) != set()
    for engine in (migrated, direct):
        insp = inspect(engine)
        assert sorted(insp.get_table_names()) == sorted([*TABLES, "alembic_version"])


def test_a_newer_revision_is_refused_with_one_line(empty_url, capsys):
    with make_engine(empty_url).begin() as c:
        c.execute(text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
    with pytest.raises(SchemaError, match="newer wehoplan"):
        check_schema(make_engine(empty_url))
    for args in (["rollup"], ["db", "upgrade"], ["init-demo"]):
        code, _, err = _cli(capsys, *args, "--db", empty_url)
        assert code == 1 and len(err.strip().splitlines()) == 1 and "newer" in err, (args, err)
    assert _cli(capsys, "db", "current", "--db", empty_url)[:2] == (1, "9999_from_the_future: newer than "
                                                                       f"this wehoplan ({migrations.head_revision()}); "
                                                                       "upgrade wehoplan\n")


def test_no_table_is_created_in_a_database_that_holds_other_tables(blank_url, capsys, tmp_path):
    with make_engine(blank_url).begin() as c:
        c.execute(text("CREATE TABLE payroll (id INTEGER PRIMARY KEY, name TEXT)"))
    engine = make_engine(blank_url)
    with pytest.raises(SchemaError, match="other tables"):
        create_schema(engine)
    csv = tmp_path / "plan.csv"
    csv.write_text("Code,Title\n1,Safer streets\n", encoding="utf-8")
    for args in (["init-demo"], ["db", "upgrade"], ["import", str(csv)], ["rollup"]):
        code, _, err = _cli(capsys, *args, "--db", blank_url)
        assert code == 1 and len(err.strip().splitlines()) == 1, (args, err)
    assert inspect(make_engine(blank_url)).get_table_names() == ["payroll"]


def test_db_current_on_an_empty_database_says_what_to_run(blank_url, capsys):
    code, out, _ = _cli(capsys, "db", "current", "--db", blank_url)
    assert code == 1 and out == "none: empty database; run `wehoplan db upgrade` or `wehoplan init-demo`\n"


def test_the_app_refuses_an_old_schema_with_one_line_naming_the_command(old_url, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("WEHOPLAN_DATABASE_URL", old_url)
    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception
    assert len(at.error) == 1
    assert "wehoplan db upgrade" in at.error[0].value
    assert schema_state(make_engine(old_url)) == "old"  # the app changed nothing
