"""The record-update and audit commands."""

from __future__ import annotations

import io

import pandas as pd

from wehoplan import repository
from wehoplan.cli import main
from wehoplan.db import make_engine
from wehoplan.demo import SMART_CITY


def test_record_update_then_audit(fresh_url, capsys):
    rc = main(["record-update", "1.1.2", "--db", fresh_url, "--plan", "smart city", "--status", "at risk",
               "--progress", "45", "--as-of", "2025-12-31", "--comment", "vendor late", "--author", "Jane Doe"])
    assert rc == 0
    eng = make_engine(fresh_url)
    plan = repository.resolve_plan(eng, SMART_CITY)
    last = repository.load_updates(eng, plan.id).iloc[-1]
    assert (last["status"], last["progress"], last["author"], last["source"]) == (
        "some_disruption", 45.0, "Jane Doe", "cli")
    capsys.readouterr()
    assert main(["audit", "--db", fresh_url, "--author", "Jane Doe"]) == 0
    out = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert out[["author", "action", "item_code"]].values.tolist() == [["Jane Doe", "update", "1.1.2"]]


def test_record_update_rejects_bad_input_with_one_line_and_exit_1(fresh_url, capsys):
    rc = main(["record-update", "1.1.2", "--db", fresh_url, "--plan", "smart city", "--status", "purple",
               "--progress", "150", "--author", "Jane Doe"])
    err = capsys.readouterr().err
    assert rc == 1 and err.startswith("error: ") and "unknown status 'purple'" in err and "outside 0 to 100" in err
    assert len(err.strip().splitlines()) == 1
    assert main(["record-update", "9.9.9", "--db", fresh_url, "--plan", "smart city", "--status", "done",
                 "--author", "x"]) == 1
