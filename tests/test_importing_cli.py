"""`python -m wehoplan import` / `undo-import`: exit codes, stderr lines and the --report JSON."""

from __future__ import annotations

import json

from wehoplan.cli import main

GOOD = "Code,Title,Status,Progress\n1,Goal,,\n1.1,Act,on track,40\n"
BAD = "Code,Title,Status,Progress\n1,Goal,,\n1.1,Act,sort of,40\n1.2,Other,done,140\n"


def test_import_report_and_exit_codes(tmp_path, empty_url, capsys):
    good, bad, report = tmp_path / "work plan.csv", tmp_path / "bad.csv", tmp_path / "r.json"
    good.write_text(GOOD, encoding="utf-8")
    bad.write_text(BAD, encoding="utf-8")

    assert main(["import", str(bad), "--db", empty_url, "--report", str(report)]) == 1
    err = capsys.readouterr().err
    assert "bad.csv, sheet 'bad', row 3, column C (Status): 'sort of': unknown status" in err
    assert "row 4, column D (Progress): '140': progress 140% is out of range" in err
    rep = json.loads(report.read_text())
    assert rep["ok"] is False and rep["items_created"] == 0
    assert [(e["sheet"], e["row"], e["column"], e["value"]) for e in rep["errors"]] == [
        ("bad", 3, "C (Status)", "sort of"), ("bad", 4, "D (Progress)", "140")]
    assert set(rep) >= {"ok", "plan", "items_created", "items_updated", "updates_added", "errors", "warnings"}

    assert main(["import", str(good), "--db", empty_url, "--as-of", "2020-06-30", "--dry-run",
                 "--report", str(report)]) == 0
    assert json.loads(report.read_text())["items_created"] == 2
    assert "would import" in capsys.readouterr().err

    assert main(["import", str(good), "--db", empty_url, "--as-of", "2020-06-30", "--report", str(report)]) == 0
    rep = json.loads(report.read_text())
    assert (rep["ok"], rep["plan"], rep["items_created"], rep["updates_added"]) == (True, "work plan", 2, 1)
    assert main(["rollup", "--db", empty_url, "--plan", "work plan", "--as-of", "2020-06-30"]) == 0
    assert '"1","Goal","Strategy",40.0,"on_track"' in capsys.readouterr().out

    assert main(["undo-import", str(rep["batch_id"]), "--db", empty_url]) == 0
    assert "undid import batch" in capsys.readouterr().err
    assert main(["undo-import", str(rep["batch_id"]), "--db", empty_url]) == 1
    assert "already undone" in capsys.readouterr().err

    assert main(["import", str(tmp_path / "missing.xlsx"), "--db", empty_url]) == 1
    assert main(["import", str(good), "--db", empty_url, "--as-of", "yesterday"]) == 2
    assert main(["import", "--db", empty_url]) == 2
    mapping = tmp_path / "m.json"
    mapping.write_text('{"Title": "headline"}')
    assert main(["import", str(good), "--db", empty_url, "--mapping", str(mapping)]) == 2
    assert "unknown field 'headline'" in capsys.readouterr().err
