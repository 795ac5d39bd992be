"""``prepare_updates`` copies nothing of the history and gives the states it gave (issue 15, fifth pass).

The prepared lookup keeps the caller's frame and row positions into it (int32 keys and row
numbers, int8 status codes) instead of a filtered copy of six history columns. Its states are
compared bit for bit with the frozen reference engine (``tests/rollup_reference``, which still
copies) on histories the app's loader does not give: rows of archived items and of parents in
between, rows out of (as_of, id) order, a non-default index, a leaf with no update, updates at a
time of day (the frame path), unknown statuses, and on the demo plans and a generated plan.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_rollup_equal import _demo_plans, _generated, _irregular, _same

import tests.rollup_reference as ref
from wehoplan import rollup as new

TH = new.Thresholds()


@pytest.fixture(scope="module")
def plans(tmp_path_factory):
    path = tmp_path_factory.mktemp("prepared")
    return [*_demo_plans(path), _generated(path), _irregular(), _irregular(5)]


def _variants(ups: pd.DataFrame, its: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The history as given, shuffled (out of order, index kept), and with rows of non-leaves mixed in."""
    rng = np.random.default_rng(1)
    parents = its.loc[~its["id"].isin(new.prepare_tree(its).leaves["id"]), "id"].to_numpy()
    extra = ups.sample(min(len(ups), 40), random_state=2).assign(
        item_id=rng.choice(parents, min(len(ups), 40)), id=lambda d: d["id"] + 10**6)
    return {"as given": ups,
            "shuffled": ups.sample(frac=1.0, random_state=3),
            "with other items' rows": pd.concat([ups, extra]).sort_values(["as_of", "id"], kind="stable")}


def _dates(ups: pd.DataFrame) -> list[list[pd.Timestamp]]:
    first, last = ups["as_of"].min(), ups["as_of"].max()
    one = [[first - pd.Timedelta(days=1)], [first], [first + (last - first) / 2], [last + pd.Timedelta(days=9)]]
    return [*one, list(pd.date_range(end=last + pd.Timedelta(days=40), periods=13, freq="ME"))]


@pytest.mark.parametrize("n_plan", range(5))
def test_prepared_states_are_the_reference_states_on_awkward_histories(plans, n_plan):
    _, its, ups = plans[n_plan]
    t_new, t_ref = new.prepare_tree(its), ref.prepare_tree(its)
    for name, given in _variants(ups, its).items():
        p_new, p_ref = new.prepare_updates(t_new, given), ref.prepare_updates(t_ref, given)
        # The leaves' rows the lookups fall back on are the frame the reference copied.
        _same(p_new.frame, p_ref.frame)
        for dates in _dates(ups):
            got = new.leaf_states(t_new, p_new, dates, TH)
            _same(got, ref.leaf_states(t_ref, p_ref, dates, TH))
            _same(got, new.leaf_states(t_new, given, dates, TH))  # prepared or not: the same frame
        assert p_new.known == (not (p_ref.code < 0).any()), name  # codes carried exactly when all are known


def test_nothing_of_the_history_is_copied(plans):
    """The prepared lookup reads the frame's own columns: no six-column copy of a county's history."""
    _, its, ups = plans[3]
    tree = new.prepare_tree(its)
    prep = new.prepare_updates(tree, ups)
    assert prep.updates is ups
    assert np.shares_memory(prep.when, ups["as_of"].array._ndarray)
    assert np.shares_memory(prep.progress, ups["progress"].array._ndarray)
    assert prep.code.dtype == np.int8 and prep.key.dtype == np.int32
    assert prep.src.dtype == np.int32 and prep.src_commented.dtype == np.int32
    # Keys are sorted and each key's row is one of the leaves' rows.
    assert (np.diff(prep.key) >= 0).all()
    assert ups["item_id"].to_numpy()[prep.src].tolist() == sorted(
        ups["item_id"].to_numpy()[prep.src].tolist(), key=list(tree.leaves["id"]).index)


def test_updates_at_a_time_of_day_and_a_leaf_without_updates(plans):
    """Off the whole-day path (merge_asof on the leaves' rows): still the reference frame."""
    _, its, ups = plans[4]
    t_new, t_ref = new.prepare_tree(its), ref.prepare_tree(its)
    timed = ups.assign(as_of=ups["as_of"] + pd.Timedelta(hours=5))
    leaf = t_new.leaves["id"].iloc[0]
    for given in (timed, ups[ups["item_id"] != leaf]):
        p_new, p_ref = new.prepare_updates(t_new, given), ref.prepare_updates(t_ref, given)
        for dates in _dates(ups):
            _same(new.leaf_states(t_new, p_new, dates, TH), ref.leaf_states(t_ref, p_ref, dates, TH))
    assert not new.prepare_updates(t_new, timed).whole_days
