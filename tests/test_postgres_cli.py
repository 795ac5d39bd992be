"""The CLI contract gives identical output on PostgreSQL and on SQLite for the demo (issue 12)."""

from __future__ import annotations

import io

import pandas as pd

from wehoplan.cli import main

PLAN_CSV = "Code,Title,Status,Percent Complete,Department\n1,Safer streets,On track,40,Public Works\n" \
           "1.1,Crash dashboard,Delayed,20,Public Works\n1.2,Bike lanes,Done,100,Transit\n"


def _session(capsys, url: str, tmp) -> list[object]:
    """Every contract command in turn on one database; what each printed (times of day left out)."""
    got: list[object] = []

    def run(*args: str) -> str:
        code = main([*args, "--db", url])
        out, err = capsys.readouterr()
        def same(t: str) -> str:  # the database URL and the session's folder differ, nothing else may
            return t.replace(url, "URL").replace(str(tmp), "TMP")

        got.append((tuple(map(same, args)), code, same(out), same(err)))
        return out

    run("init-demo")
    for plan in ("smart city", "innovations"):
        run("rollup", "--plan", plan)
        run("rollup", "--plan", plan, "--format", "json", "--as-of", "2019-06-30")
        for by in ("initiative", "department", "smart", "owner"):
            run("rollup", "--plan", plan, "--by", by)
        run("rollup", "--plan", plan, "--department", "public works", "--status", "on_track")
    out = tmp / f"extract-{len(got)}.csv"
    run("export", str(out), "--plan", "smart city", "--smart", "M")
    got.append(out.read_bytes())
    run("record-update", "1.1.1", "--plan", "smart city", "--status", "at risk", "--progress", "45",
        "--as-of", "2023-03-01", "--comment", "both databases", "--author", "Contract Test")
    src = tmp / "legacy.csv"
    src.write_text(PLAN_CSV, encoding="utf-8")
    run("import", str(src), "--plan", "Legacy", "--as-of", "2023-04-01")
    run("rollup", "--plan", "Legacy")
    run("undo-import", "1")
    run("rollup", "--plan", "smart city", "--as-of", "2023-03-31")
    audit = pd.read_csv(io.StringIO(run("audit")), keep_default_na=False)
    got.pop()  # compared without its times of day
    got.append(audit.drop(columns=[c for c in ("at",) if c in audit.columns]).to_dict("records"))
    return got


def test_every_contract_command_prints_the_same_on_both_databases(tmp_path, capsys, pg_databases):
    (tmp_path / "lite").mkdir()
    (tmp_path / "pg").mkdir()
    lite = _session(capsys, f"sqlite:///{tmp_path / 'lite' / 'demo.db'}", tmp_path / "lite")
    pg = _session(capsys, pg_databases.new(), tmp_path / "pg")
    assert all(step[1] == 0 for step in lite if isinstance(step, tuple)), [s for s in lite if isinstance(s, tuple)
                                                                           and s[1]]
    assert len(lite) == len(pg)
    for a, b in zip(lite, pg, strict=True):
        assert a == b
