"""Several writers on one database (SQLite file and PostgreSQL): reports are appends, none refused or lost."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from wehoplan import editing, repository
from wehoplan.db import make_engine

ROOT = Path(__file__).resolve().parent.parent
TODAY = dt.date(2026, 1, 1)


def _leaf(engine):
    plan = repository.resolve_plan(engine, "smart city")
    items = repository.load_items(engine, plan.id).set_index("code")
    return plan, items.loc["1.1.1"]


def _run_together(n: int, work) -> list[BaseException]:
    """Run ``work(k)`` in n threads released at the same moment; return what they raised."""
    barrier = threading.Barrier(n)
    errors: list[BaseException] = []

    def one(k: int) -> None:
        barrier.wait()
        try:
            work(k)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(k,)) for k in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def test_owners_reporting_on_one_action_at_the_same_moment_all_succeed(fresh_url):
    engine = make_engine(fresh_url)
    plan, leaf = _leaf(engine)
    before = len(repository.load_updates(engine, plan.id))

    def report(k: int) -> None:
        for r in range(5):  # every report from the version read before anyone wrote
            editing.record_update(engine, int(leaf["id"]), as_of=dt.date(2025, 6, 1), status="on_track",
                                  progress=float(10 * k + r), comment=f"owner {k} report {r}", author=f"Owner {k}",
                                  expected_version=int(leaf["version"]), today=TODAY)

    assert _run_together(4, report) == []
    ups = repository.load_updates(engine, plan.id)
    assert len(ups) == before + 20
    mine = ups[ups["item_id"] == leaf["id"]]
    assert {f"owner {k} report {r}" for k in range(4) for r in range(5)} <= set(mine["comment"])
    audit = editing.audit_frame(engine, plan_id=plan.id)
    assert (audit["author"].str.startswith("Owner ")).sum() == 20


def test_conflicting_edits_of_one_field_let_exactly_one_win(fresh_url):
    engine = make_engine(fresh_url)
    _, leaf = _leaf(engine)
    outcomes: list[str] = []

    def edit(k: int) -> None:
        try:
            editing.edit_item(engine, int(leaf["id"]), {"title": f"title {k}"}, f"Editor {k}", int(leaf["version"]))
            outcomes.append("saved")
        except editing.StaleWriteError:
            outcomes.append("stale")

    assert _run_together(3, edit) == []
    assert sorted(outcomes) == ["saved", "stale", "stale"]


@pytest.mark.slow
def test_cli_writers_in_separate_processes_all_succeed(fresh_url):
    """Two `record-update` processes at once: every report is stored, no "database is locked"."""
    env = {**os.environ, "WEHOPLAN_DATABASE_URL": fresh_url, "PYTHONPATH": str(ROOT)}
    script = ("import sys\nfrom wehoplan.cli import main\nfor r in range(4):\n"
              "    assert main(['record-update', '--plan', 'smart city', '--status', 'on_track', '--progress',"
              " str(r), '--as-of', '2025-06-01', '--author', sys.argv[1], '1.1.1']) == 0\n")
    engine = make_engine(fresh_url)
    plan, _ = _leaf(engine)
    before = len(repository.load_updates(engine, plan.id))
    procs = [subprocess.Popen([sys.executable, "-c", script, f"Process {k}"], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for k in range(2)]
    results = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err for _, err in results]
    assert not any("locked" in err for _, err in results)
    assert len(repository.load_updates(engine, plan.id)) == before + 8
