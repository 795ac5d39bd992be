"""The Changes page and the packet reuse the pages' prepared history: the same rows, nothing prepared again."""

from __future__ import annotations

import pandas as pd
import pytest

from wehoplan import report, repository, rollup
from wehoplan.db import make_engine
from wehoplan.filters import Filters
from wehoplan.generate import generate_plan
from wehoplan.report import build

FILTERS = [Filters(), Filters(department=("public works",)), Filters(status=("on_track", "completed")),
           Filters(health=("at_risk",)), Filters(text="a")]


def _plans(engine):
    out = []
    for name in ("smart city", "innovations"):
        plan = repository.resolve_plan(engine, name)
        out.append(plan)
    return out


def _inputs(engine, plan):
    items = repository.load_items(engine, plan.id, include_archived=True)
    updates = repository.load_updates(engine, plan.id)
    tree = rollup.prepare_tree(repository.load_items(engine, plan.id))  # what the pages' cache prepares
    return items, updates, rollup.prepare_updates(tree, updates), repository.audit_frame(engine, plan_id=plan.id)


def _counting(monkeypatch) -> list[int]:
    calls: list[int] = []
    real = build.prepare_updates
    monkeypatch.setattr(build, "prepare_updates", lambda *a: calls.append(1) or real(*a))
    return calls


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('gen') / 'g.db'}")
    generate_plan(engine, actions=400, months=24, seed=5)
    return engine, repository.resolve_plan(engine, None)


def test_changes_with_the_pages_prepared_history_are_the_same_rows(demo_engine, generated, monkeypatch):
    cases = [(demo_engine, p) for p in _plans(demo_engine)] + [generated]
    for engine, plan in cases:
        items, updates, prepared, audit = _inputs(engine, plan)
        last = updates["as_of"].max().normalize()
        for since, until in ((last - pd.Timedelta(days=90), last), (last - pd.Timedelta(days=400), last),
                             (updates["as_of"].min() - pd.Timedelta(days=1), last)):
            for f in FILTERS:
                want = report.changes_between(items, updates, since, until, f, audit=audit)
                calls = _counting(monkeypatch)
                got = report.changes_between(items, updates, since, until, f, audit=audit, prepared=prepared)
                monkeypatch.undo()
                pd.testing.assert_frame_equal(got, want, check_exact=True)
                assert calls == []  # the plan's tree at both dates: the pages' preparation serves both


def test_the_packet_with_the_pages_prepared_history_is_the_same(demo_engine, monkeypatch):
    plan = repository.resolve_plan(demo_engine, "smart city")
    items, updates, prepared, audit = _inputs(demo_engine, plan)
    day = pd.Timestamp("2020-10-15")
    want = report.build_packet(items, updates, plan, day, audit=audit)
    calls = _counting(monkeypatch)
    got = report.build_packet(items, updates, plan, day, audit=audit, prepared=prepared)
    assert calls == []
    pd.testing.assert_frame_equal(got.table, want.table, check_exact=True)
    pd.testing.assert_frame_equal(got.changes, want.changes, check_exact=True)
    pd.testing.assert_frame_equal(got.strategies, want.strategies, check_exact=True)


def test_items_added_or_archived_between_the_dates_prepare_their_own_tree(fresh_url, monkeypatch):
    """A date whose items differ from the plan's tree gets its own preparation: the same rows as without reuse."""
    from wehoplan import editing

    eng = make_engine(fresh_url)
    plan = repository.resolve_plan(eng, "smart city")
    live = repository.load_items(eng, plan.id)
    gone = live[live["code"] == "3.5.1"].iloc[0]
    editing.add_item(eng, plan.id, parent_id=int(live[live["code"] == "3.5"].iloc[0]["id"]),
                     title="Pilot curb sensors", author="Ann")
    editing.archive_item(eng, int(gone["id"]), "Ann", int(gone["version"]))
    items, updates, prepared, audit = _inputs(eng, plan)
    day = audit["at"].max().normalize()
    for since, until in ((day - pd.Timedelta(days=1), day), (day - pd.Timedelta(days=30), day - pd.Timedelta(days=1))):
        want = report.changes_between(items, updates, since, until, audit=audit)
        calls = _counting(monkeypatch)
        got = report.changes_between(items, updates, since, until, audit=audit, prepared=prepared)
        monkeypatch.undo()
        pd.testing.assert_frame_equal(got, want, check_exact=True)
        # The edit day's tree is the pages' one (the new item, without the archived one): reused; the tree
        # before the edits is not the pages': prepared once (once for both dates when both are before).
        assert len(calls) == 1
    # Another frame of the same rows is not "these updates": prepared afresh, the same rows.
    copy = updates.copy()
    calls = _counting(monkeypatch)
    got = report.changes_between(items, copy, day - pd.Timedelta(days=1), day, audit=audit, prepared=prepared)
    assert len(calls) == 2
    pd.testing.assert_frame_equal(got, report.changes_between(items, updates, day - pd.Timedelta(days=1), day,
                                                              audit=audit), check_exact=True)
