"""The Trends page builds only the roll-up rows it reads, and shows exactly what the whole roll-up gave.

``trends.page_data`` asks ``roll_up_many`` for the rows of :func:`trends.page_rows`
(plan row, top level, initiatives, leaves at the as-of date or at every date when the
progress chart groups leaves). Every frame of the page and every chart's spec must be
the same as when the page reads the full roll-up, on the demo plans and a generated
plan, with several filters, groupings, steps, windows and as-of dates.
"""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from wehoplan import repository, trends
from wehoplan.db import make_engine
from wehoplan.filters import Filters
from wehoplan.generate import generate_plan
from wehoplan.rollup import Thresholds, first_completed, leaf_states, prepare_tree, prepare_updates, roll_up_many

TH = Thresholds()
FILTERS = [Filters(), Filters(department=("public works",)), Filters(smart=("M",)),
           Filters(status=("on_track", "completed")), Filters(health=("at_risk",)), Filters(text="a"),
           Filters(department=("nobody at all",))]
_PLANS: list = []


@pytest.fixture(scope="module", autouse=True)
def _load(tmp_path_factory):
    from wehoplan.demo import build_demo

    path = tmp_path_factory.mktemp("page_rows")
    engine = make_engine(f"sqlite:///{path / 'demo.db'}")
    build_demo(engine)
    for name in ("smart city", "innovations"):
        plan = repository.resolve_plan(engine, name)
        _PLANS.append((repository.load_items(engine, plan.id), repository.load_updates(engine, plan.id)))
    gen = make_engine(f"sqlite:///{path / 'g.db'}")
    made = generate_plan(gen, actions=600, months=30, seed=5)
    _PLANS.append((repository.load_items(gen, made.plan_id), repository.load_updates(gen, made.plan_id)))
    yield
    _PLANS.clear()


def _whole(monkeypatch) -> None:
    """Make the page read the full roll-up (the ``rows`` and ``columns`` arguments ignored)."""
    def whole(tree, states, f, th, rows=None, columns=None):  # noqa: ARG001 - the page's rows and columns are ignored on purpose
        return roll_up_many(tree, states, f, th)

    monkeypatch.setattr(trends, "roll_up_many", whole)


def _pages(tree, prepared, ups, as_of, step, window, by, f):
    dates = trends.period_ends(ups, as_of, step)
    states = leaf_states(tree, prepared, trends.shared_dates(dates, as_of, window), TH)
    return trends.page_data(tree, states, f, dates, as_of, window, by, first_completed(ups, as_of), TH)


def _same_page(got: trends.TrendsPage, want: trends.TrendsPage) -> None:
    for fld in dataclasses.fields(trends.TrendsPage):
        a, b = getattr(got, fld.name), getattr(want, fld.name)
        if isinstance(b, pd.DataFrame):
            pd.testing.assert_frame_equal(a, b, check_exact=True, obj=fld.name)
        elif fld.name.endswith("_chart"):
            assert a.to_dict() == b.to_dict(), fld.name
        else:
            assert a == b, fld.name
    pd.testing.assert_frame_equal(got.forecast_table, want.forecast_table, check_exact=True)
    assert got.n_late == want.n_late


@pytest.mark.parametrize("n_plan", range(3))
def test_the_page_from_only_the_rows_it_reads_is_the_page_from_the_whole_roll_up(n_plan, monkeypatch):
    items, ups = _PLANS[n_plan]
    tree = prepare_tree(items)
    prepared = prepare_updates(tree, ups)
    last = ups["as_of"].max()
    cases = [(last, "quarter", 180), (last - pd.Timedelta(days=200), "month", 90), (last + pd.Timedelta(days=30),
                                                                                   "month", 365)]
    built = 0
    for as_of, step, window in cases:
        for by in trends.TREND_GROUPS:
            for f in FILTERS:
                got = _pages(tree, prepared, ups, as_of, step, window, by, f)
                with monkeypatch.context() as m:
                    _whole(m)
                    want = _pages(tree, prepared, ups, as_of, step, window, by, f)
                _same_page(got, want)
                built += len(got.progress)
    assert built > 0  # the pages compared were not all empty


def test_the_page_asks_for_fewer_rows_than_the_whole_trend():
    items, ups = _PLANS[2]
    tree = prepare_tree(items)
    as_of = ups["as_of"].max()
    dates = trends.period_ends(ups, as_of, "quarter")
    states = leaf_states(tree, ups, trends.shared_dates(dates, as_of, 180), TH)
    full = roll_up_many(tree, states, Filters(), TH)
    n_leaves = int(full["is_leaf"].sum()) // full["snap"].nunique()
    for by, leaf_dates in (("strategy", 1), ("department", len(dates))):
        part = roll_up_many(tree, states, Filters(), TH, rows=trends.page_rows(dates, as_of, by))
        assert int(part["is_leaf"].sum()) == n_leaves * leaf_dates  # the leaves only at the dates read
        assert ((part["depth"] <= 2) | part["is_leaf"]).all()
        assert len(part) < len(full)
