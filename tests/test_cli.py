import csv
import io
import json

import pytest

from wehoplan.cli import ROLLUP_CSV_COLUMNS, main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_rollup_by_strategy_prints_the_three_strategies(capsys, demo_url):
    code, out, err = run(capsys, "rollup", "--db", demo_url, "--plan", "smart city", "--by", "strategy",
                         "--as-of", "2020-10-15")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert out.splitlines()[0] == ",".join(ROLLUP_CSV_COLUMNS)  # the contract's header line, byte for byte
    assert [r["code"] for r in rows] == ["1", "2", "3"]
    assert all(r["level"] == "Strategy" for r in rows)
    assert "as of 2020-10-15" in err


def test_rollup_json_matches_csv(capsys, demo_url):
    _, out_csv, _ = run(capsys, "rollup", "--db", demo_url, "--plan", "smart", "--as-of", "2019-06-30")
    _, out_json, _ = run(capsys, "rollup", "--db", demo_url, "--plan", "smart", "--as-of", "2019-06-30",
                         "--format", "json")
    rows = list(csv.DictReader(io.StringIO(out_csv)))
    recs = json.loads(out_json)
    assert [r["code"] for r in rows] == [r["code"] for r in recs]
    assert [float(r["progress"]) for r in rows] == [r["progress"] for r in recs]


@pytest.mark.parametrize(
    "argv, code, message",
    [
        (["rollup", "--plan", "nothing like it"], 1, "no plan matches"),
        (["rollup"], 1, "several plans exist"),
        (["rollup", "--plan", "smart", "--smart", "Q"], 2, "unknown SMART value"),
        (["rollup", "--plan", "smart", "--as-of", "15/10/2020"], 2, "invalid date"),
        (["rollup", "--plan", "smart", "--by", "galaxy"], 2, "--by"),
        (["frobnicate"], 2, "invalid choice"),
    ],
)
def test_errors_are_one_line_with_exit_code(capsys, demo_url, argv, code, message):
    got, _, err = run(capsys, *argv[:1], "--db", demo_url, *argv[1:]) if argv[0] == "rollup" else run(capsys, *argv)
    assert got == code
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_db_takes_a_plain_file_path_or_says_what_a_url_looks_like(capsys, demo_url):
    path = demo_url.removeprefix("sqlite:///")
    code, by_path, _ = run(capsys, "rollup", "--db", path, "--plan", "smart city", "--by", "strategy")
    assert code == 0
    assert by_path == run(capsys, "rollup", "--db", demo_url, "--plan", "smart city", "--by", "strategy")[1]
    for bad in ("postgresql://a b@:x/", "nosuch://x"):
        code, _, err = run(capsys, "rollup", "--db", bad)
        assert code == 2 and "not a database URL" in err and "sqlite:///" in err
        assert len(err.strip().splitlines()) == 1


def test_missing_database_is_rejected(capsys, tmp_path):
    code, _, err = run(capsys, "rollup", "--db", f"sqlite:///{tmp_path / 'none.db'}")
    assert code == 1
    assert "init-demo" in err


@pytest.mark.parametrize(
    "argv",
    [
        ["rollup"],
        ["export", "out.xlsx"],
        ["record-update", "1.1.2", "--status", "on track", "--author", "x"],
        ["audit"],
    ],
    ids=lambda argv: argv[0],
)
def test_every_command_resolves_plan_the_same_way(capsys, demo_url, tmp_path, argv):
    argv = [str(tmp_path / a) if a == "out.xlsx" else a for a in argv]
    code, _, err = run(capsys, *argv, "--db", demo_url, "--plan", "nothing like it")
    assert code == 1
    assert err.startswith("error: ") and "no plan matches" in err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out.xlsx").exists()


def test_the_wehoplan_command_is_the_same_main_as_python_m_wehoplan():
    import importlib
    import subprocess
    import sys
    import tomllib

    from wehoplan.config import ROOT

    target = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]["wehoplan"]
    module, _, func = target.partition(":")
    assert getattr(importlib.import_module(module), func) is main
    done = subprocess.run([sys.executable, "-m", "wehoplan", "--help"], cwd=ROOT, capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0
    assert all(cmd in done.stdout for cmd in ("init-demo", "rollup", "import", "export", "record-update", "audit"))


def test_rollup_health_is_the_last_column_and_reads_behind_schedule(capsys, demo_url):
    code, out, _ = run(capsys, "rollup", "--db", demo_url, "--plan", "smart city", "--by", "strategy",
                       "--as-of", "2020-10-15")
    assert code == 0
    header = out.splitlines()[0]
    # GUIDE §4: health appended after the fourteen columns, nothing reordered.
    assert header == ("code,title,level,progress,status,expected_progress,n_leaves,n_pending,n_on_track,"
                      "n_some_disruption,n_major_disruption,n_completed,n_deferred,n_overdue,health")
    s2 = next(r for r in csv.DictReader(io.StringIO(out)) if r["code"] == "2")
    # Reported "on track" at 52 % against 80 % expected: at risk on schedule.
    assert (s2["status"], round(float(s2["progress"])), round(float(s2["expected_progress"]))) == ("on_track", 52, 80)
    assert s2["health"] == "at_risk"
    _, by_dept, _ = run(capsys, "rollup", "--db", demo_url, "--plan", "smart city", "--by", "department",
                        "--as-of", "2020-10-15", "--format", "json")
    recs = json.loads(by_dept)
    assert list(recs[0])[-1] == "health" and {r["health"] for r in recs} <= {"on_schedule", "behind", "at_risk",
                                                                            "done", ""}


def test_rollup_health_filter_keeps_the_actions_of_that_health(capsys, demo_url):
    code, out, err = run(capsys, "rollup", "--db", demo_url, "--plan", "smart city", "--by", "action",
                         "--as-of", "2020-10-15", "--health", "done", "--health", "on_schedule")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and len(rows) == 8 and {r["health"] for r in rows} == {"done", "on_schedule"}
    assert "schedule health: Done, On schedule" in err
    code, _, err = run(capsys, "rollup", "--db", demo_url, "--plan", "smart city", "--health", "late")
    assert code == 2 and "unknown schedule health 'late'" in err
