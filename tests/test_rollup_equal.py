"""The roll-up engine gives exactly the frames it gave before issue 15's third pass.

``tests/rollup_reference`` is a frozen copy of ``wehoplan.rollup`` from before the pass
(main 0a91901). Every public stage is compared with it frame for frame, bit for bit
(``check_exact``: same columns, dtypes, row order and values) on the demo plans, a
generated plan and a random irregular tree (leaves at several depths, parents with
both leaf and parent children, zero and missing weights, missing dates, unknown and
missing statuses, several updates on one day), at several dates, 1, 12 and 60 dates,
with structural, status, health and text filters, and through ``group_leaves``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from frames import items, updates

import tests.rollup_reference as ref
from wehoplan import repository
from wehoplan import rollup as new
from wehoplan.db import make_engine
from wehoplan.domain import STATUS_KEYS
from wehoplan.filters import Filters
from wehoplan.generate import generate_plan
from wehoplan.rollup import engine
from wehoplan.rollup.stages import Rows

TH = new.Thresholds()
FILTERS = [
    Filters(),
    Filters(department=("public works",)),
    Filters(smart=("M",)),
    Filters(smart=("T", "A")),
    Filters(status=("on_track", "completed")),
    Filters(health=("at_risk",)),
    Filters(health=("on_schedule", "behind")),
    Filters(text="a"),
    Filters(department=("works",), status=("some_disruption", "pending")),
    Filters(department=("nobody at all",)),
]


def _same(got: pd.DataFrame, want: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    # -0.0 and 0.0 compare equal: the bits too.
    for c in want.columns:
        if want[c].dtype == "float64":
            assert np.array_equal(np.signbit(got[c].to_numpy()), np.signbit(want[c].to_numpy())), c


def _plans():
    """(name, items, updates) of each plan compared."""
    return _PLANS


def _demo_plans(path) -> list:
    from wehoplan.demo import build_demo

    engine = make_engine(f"sqlite:///{path / 'demo.db'}")
    build_demo(engine)
    out = []
    for name in ("smart city", "innovations"):
        plan = repository.resolve_plan(engine, name)
        out.append((name, repository.load_items(engine, plan.id), repository.load_updates(engine, plan.id)))
    return out


def _generated(path) -> tuple:
    engine = make_engine(f"sqlite:///{path / 'g.db'}")
    made = generate_plan(engine, actions=700, months=30, seed=3)
    return "generated", repository.load_items(engine, made.plan_id), repository.load_updates(engine, made.plan_id)


def _irregular(seed: int = 7) -> tuple:
    """A random tree of depth 1-5 whose parents mix leaf and parent children, and a messy history."""
    rng = np.random.default_rng(seed)
    rows = []
    depts = ["Public Works", "Parks", "IT", None]
    smart = ["", "S", "MA", "T", None, "SMART"]

    def add(parent, code, depth):
        i = len(rows) + 1
        start = pd.Timestamp("2020-01-01") + pd.Timedelta(days=int(rng.integers(0, 300)))
        due = start + pd.Timedelta(days=int(rng.integers(0, 700)))
        extra = {"weight": [1.0, 0.0, 2.5, 1.0, np.nan][int(rng.integers(0, 5))],
                 "department": depts[int(rng.integers(0, 4))], "smart": smart[int(rng.integers(0, 6))],
                 "start": None if rng.random() < 0.2 else start, "due": None if rng.random() < 0.2 else due,
                 "archived": bool(rng.random() < 0.03)}
        rows.append((i, parent, code, extra))
        n = 0 if depth >= 5 else int(rng.integers(0 if depth > 1 else 2, 5))
        for c in range(1, n + 1):
            add(i, f"{code}.{c}", depth + 1)

    for top in range(1, 5):
        add(None, str(top), 1)
    frame = items(*rows)
    ids = frame["id"].to_numpy()
    days = pd.date_range("2019-12-01", "2022-06-30", freq="D")
    ups = []
    for _ in range(1500):
        status = rng.choice([*STATUS_KEYS, "pending", "on_track", "unknown word", None])
        comment = rng.choice([None, "", "  ", "note a", "another"])
        ups.append((int(rng.choice(ids)), days[int(rng.integers(0, len(days)))].strftime("%Y-%m-%d"), status,
                    float(rng.integers(0, 101)), comment))
    ups.sort(key=lambda u: u[1])
    return "irregular", frame, updates(*ups)


_PLANS: list = []


@pytest.fixture(scope="module", autouse=True)
def _load(tmp_path_factory):
    path = tmp_path_factory.mktemp("equal")
    _PLANS[:] = [*_demo_plans(path), _generated(path), _irregular(), _irregular(11)]
    yield
    _PLANS.clear()


def _dates(ups: pd.DataFrame) -> list[pd.Timestamp]:
    last = ups["as_of"].max()
    first = ups["as_of"].min()
    return [first - pd.Timedelta(days=1), first, first + (last - first) / 2, last, last + pd.Timedelta(days=400)]


@pytest.mark.parametrize("n_plan", range(5))
def test_leaf_states_are_the_same(n_plan):
    _, its, ups = _plans()[n_plan]
    t_new, t_ref = new.prepare_tree(its), ref.prepare_tree(its)
    p_new, p_ref = new.prepare_updates(t_new, ups), ref.prepare_updates(t_ref, ups)
    for dates in ([d] for d in _dates(ups)):
        _same(new.leaf_states(t_new, p_new, dates, TH), ref.leaf_states(t_ref, p_ref, dates, TH))
    ends = pd.date_range(end=ups["as_of"].max(), periods=60, freq="ME")
    _same(new.leaf_states(t_new, p_new, ends, TH), ref.leaf_states(t_ref, p_ref, ends, TH))
    _same(new.leaf_states(t_new, ups, ends[:12], TH), ref.leaf_states(t_ref, ups, ends[:12], TH))


@pytest.mark.parametrize("n_plan", range(5))
def test_one_date_tables_are_the_same(n_plan):
    _, its, ups = _plans()[n_plan]
    t_new, t_ref = new.prepare_tree(its), ref.prepare_tree(its)
    p_new, p_ref = new.prepare_updates(t_new, ups), ref.prepare_updates(t_ref, ups)
    for day in _dates(ups):
        s_new, s_ref = new.leaf_states(t_new, p_new, [day], TH), ref.leaf_states(t_ref, p_ref, [day], TH)
        for f in FILTERS:
            got, want = new.roll_up(t_new, s_new, f, TH), ref.roll_up(t_ref, s_ref, f, TH)
            _same(got, want)
            for by in new.GROUP_KINDS:
                _same(new.group_leaves(got, by, TH), ref.group_leaves(want, by, TH))
        _same(new.rollup_table(its, ups, day), ref.rollup_table(its, ups, day))
        _same(new.rollup(its, ups, day, Filters(smart=("S",))), ref.rollup(its, ups, day, Filters(smart=("S",))))


@pytest.mark.parametrize("n_plan", range(5))
@pytest.mark.parametrize("periods", [60, 12, 2])
def test_trends_are_the_same(n_plan, periods):
    _, its, ups = _plans()[n_plan]
    t_new, t_ref = new.prepare_tree(its), ref.prepare_tree(its)
    p_new, p_ref = new.prepare_updates(t_new, ups), ref.prepare_updates(t_ref, ups)
    ends = pd.date_range(end=ups["as_of"].max() + pd.Timedelta(days=40), periods=periods, freq="ME")
    s_new, s_ref = new.leaf_states(t_new, p_new, ends, TH), ref.leaf_states(t_ref, p_ref, ends, TH)
    for f in FILTERS:
        _same(new.roll_up_many(t_new, s_new, f, TH), ref.roll_up_many(t_ref, s_ref, f, TH))


def test_states_given_in_another_shape_are_rolled_up_the_same():
    """States a caller made itself (re-ordered, a subset, extra columns) give what they gave."""
    _, its, ups = _plans()[4]
    t_new, t_ref = new.prepare_tree(its), ref.prepare_tree(its)
    ends = pd.date_range(end=ups["as_of"].max(), periods=5, freq="ME")
    s_new, s_ref = new.leaf_states(t_new, ups, ends, TH), ref.leaf_states(t_ref, ups, ends, TH)
    rng = np.random.default_rng(0)
    for pick in (rng.permutation(len(s_new)), np.sort(rng.choice(len(s_new), len(s_new) // 3, replace=False)),
                 np.arange(len(s_new))[::-1]):
        a, b = s_new.iloc[pick], s_ref.iloc[pick]
        _same(new.roll_up_many(t_new, a, Filters(), TH), ref.roll_up_many(t_ref, b, Filters(), TH))
        one_new, one_ref = a[a["snap"] == ends[-1]], b[b["snap"] == ends[-1]]
        _same(new.roll_up(t_new, one_new, Filters(), TH), ref.roll_up(t_ref, one_ref, Filters(), TH))
    extra_new, extra_ref = s_new.assign(mine=1.5), s_ref.assign(mine=1.5)
    _same(new.roll_up_many(t_new, extra_new, Filters(), TH), ref.roll_up_many(t_ref, extra_ref, Filters(), TH))
    # A status changed by hand in the very states rolled up before counts.
    new.roll_up_many(t_new, s_new, Filters(), TH)
    s_new.loc[s_new.index[:40], "status"] = "completed"
    s_ref.loc[s_ref.index[:40], "status"] = "completed"
    _same(new.roll_up_many(t_new, s_new, Filters(), TH), ref.roll_up_many(t_ref, s_ref, Filters(), TH))
    one_new, one_ref = s_new[s_new["snap"] == ends[0]], s_ref[s_ref["snap"] == ends[0]]
    _same(new.roll_up(t_new, one_new, Filters(), TH), ref.roll_up(t_ref, one_ref, Filters(), TH))


@pytest.mark.parametrize("n_plan", range(5))
@pytest.mark.parametrize("dates_per_block", [1, 7])
def test_dates_in_blocks_give_the_same_states_and_trends(n_plan, dates_per_block, monkeypatch):
    """Many dates are looked up in blocks of dates (a county's grid does not fit the caches): same frames."""
    from wehoplan.rollup import states as states_module

    _, its, ups = _plans()[n_plan]
    t_new, t_ref = new.prepare_tree(its), ref.prepare_tree(its)
    p_new, p_ref = new.prepare_updates(t_new, ups), ref.prepare_updates(t_ref, ups)
    n_leaves = len(t_new.leaf_arrays[0])
    monkeypatch.setattr(engine, "BLOCK_ROWS", dates_per_block * n_leaves)
    calls = []
    latest = states_module._latest_rows
    monkeypatch.setattr(states_module, "_latest_rows", lambda *a, **k: calls.append(1) or latest(*a, **k))
    for periods in (60, 12):
        ends = pd.date_range(end=ups["as_of"].max() + pd.Timedelta(days=40), periods=periods, freq="ME")
        calls.clear()
        s_new, s_ref = new.leaf_states(t_new, p_new, ends, TH), ref.leaf_states(t_ref, p_ref, ends, TH)
        if p_new.known:  # codes known: the dates were done block by block
            assert len(calls) == -(-periods // dates_per_block)
        _same(s_new, s_ref)
        for f in FILTERS:
            _same(new.roll_up_many(t_new, s_new, f, TH), ref.roll_up_many(t_ref, s_ref, f, TH))


@pytest.mark.parametrize("n_plan", range(5))
@pytest.mark.parametrize("dates_per_block", [1, 7])
def test_roll_ups_in_blocks_of_dates_are_the_same(n_plan, dates_per_block, monkeypatch):
    """A county's trend is rolled up in blocks of dates (parents' rows written at their places): same frames."""
    from wehoplan.rollup import grid

    _, its, ups = _plans()[n_plan]
    t_new, t_ref = new.prepare_tree(its), ref.prepare_tree(its)
    p_new, p_ref = new.prepare_updates(t_new, ups), ref.prepare_updates(t_ref, ups)
    n_leaves = len(t_new.leaf_arrays[0])
    monkeypatch.setattr(engine, "BLOCK_ROWS", dates_per_block * n_leaves)
    calls = []
    by_dates = grid._roll_dates
    monkeypatch.setattr(grid, "_roll_dates", lambda *a: calls.append(len(a[2])) or by_dates(*a))
    for periods in (60, 12):
        ends = pd.date_range(end=ups["as_of"].max() + pd.Timedelta(days=40), periods=periods, freq="ME")
        s_new, s_ref = new.leaf_states(t_new, p_new, ends, TH), ref.leaf_states(t_ref, p_ref, ends, TH)
        for f in FILTERS:
            calls.clear()
            _same(new.roll_up_many(t_new, s_new, f, TH), ref.roll_up_many(t_ref, s_ref, f, TH))
            if f.is_empty():  # every leaf at every date: the grid path, block by block
                assert calls == [min(dates_per_block, periods - lo) for lo in range(0, periods, dates_per_block)]
        one_new = new.leaf_states(t_new, p_new, [ends[-1]], TH)
        one_ref = ref.leaf_states(t_ref, p_ref, [ends[-1]], TH)
        _same(new.roll_up(t_new, one_new, Filters(), TH), ref.roll_up(t_ref, one_ref, Filters(), TH))


ROWS = [
    Rows(depths=(0, 1, 2), leaves_on=("2021-06-30",)),
    Rows(depths=(0,), leaves=True),
    Rows(),
    Rows(depths=(1, 3), leaves_on=("2020-01-31", "1990-01-01")),
    Rows(depths=range(12)),
    Rows(depths=(2,), leaves=True),
]


@pytest.mark.parametrize("n_plan", range(5))
@pytest.mark.parametrize("dates_per_block", [None, 5])
def test_only_some_rows_built_are_those_rows_of_the_whole_roll_up(n_plan, dates_per_block, monkeypatch):
    """``roll_up_many(..., rows=)`` builds exactly the rows of the full result that it keeps, in order."""

    _, its, ups = _plans()[n_plan]
    t_new = new.prepare_tree(its)
    p_new = new.prepare_updates(t_new, ups)
    if dates_per_block:
        monkeypatch.setattr(engine, "BLOCK_ROWS", dates_per_block * len(t_new.leaf_arrays[0]))
    ends = pd.date_range(end=ups["as_of"].max() + pd.Timedelta(days=40), periods=24, freq="ME")
    states = new.leaf_states(t_new, p_new, ends, TH)
    mid = ends[len(ends) // 2]
    for f in FILTERS:
        full = new.roll_up_many(t_new, states, f, TH)
        for rows in (*ROWS, Rows(depths=(0, 1, 2), leaves_on=(mid,)), Rows(leaves_on=(ends[0], mid))):
            got = new.roll_up_many(t_new, states, f, TH, rows=rows)
            want = full[rows.mask(full)].reset_index(drop=True) if len(full) else full
            _same(got, want)
            if len(full) and rows.depths == (0, 1, 2):
                assert 0 < len(got) < len(full)
