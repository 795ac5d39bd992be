"""The pages' code made cheaper in issue 15's sixth pass (branch pages5) equals the code it replaced.

``pages_reference6.py`` keeps the replaced functions verbatim. On both demo plans and a generated
plan, under the filters of ``test_pages_fast`` (the empty selection included), the new code's
frames must equal the old ones to the last bit: values, dtypes, index, column order.
"""

from __future__ import annotations

import functools

import pages_reference6 as ref
import pandas as pd
import pytest

from tests.test_pages_fast import _filter_sets, _plan
from wehoplan import repository
from wehoplan.db import make_engine
from wehoplan.generate import generate_plan
from wehoplan.rollup import GROUP_KINDS, Thresholds, group_leaves, leaf_states, roll_up, select_leaves
from wehoplan.trends import period_ends

same = functools.partial(pd.testing.assert_frame_equal, check_exact=True)
TH = Thresholds()


@pytest.fixture(scope="module")
def plans(demo_engine, tmp_path_factory):
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('gen6') / 'g.db'}")
    out = [_plan(demo_engine, n) for n in repository.list_plans(demo_engine)["name"]]
    return [*out, _plan(engine, generate_plan(engine, actions=600, months=18, seed=7).name)]


@pytest.fixture(scope="module")
def tables(plans):
    out = []
    for tree, ups, as_of in plans:
        states = leaf_states(tree, ups, [as_of], TH)
        out += [(tree, states, f, roll_up(tree, states, f, TH)) for f in _filter_sets(tree)]
    return out


def test_group_leaves_equals_the_previous_code(tables):
    n = 0
    for _, _, _, table in tables:
        for by in GROUP_KINDS:
            for th in (TH, Thresholds(on_schedule_ratio=0.5, behind_ratio=0.2)):
                same(group_leaves(table, by, th), ref.group_leaves(table, by, th))
        n += len(table)
    assert n > 2000  # realistic sizes, not only literal plans


def test_group_leaves_of_blank_and_missing_tags_equals_the_previous_code(tables):
    # Leaves without a department, owner or SMART value, and blank text, go to "(none)" in both.
    table = next(t for _, _, f, t in tables if f.is_empty() and len(t) > 100).copy()
    leaf = table.index[table["is_leaf"].astype(bool)]
    for by in GROUP_KINDS:
        t = table.copy()
        t.loc[leaf[::3], by] = None
        t.loc[leaf[1::7], by] = ""
        same(group_leaves(t, by, TH), ref.group_leaves(t, by, TH))


def test_select_leaves_equals_the_previous_code(plans):
    for tree, ups, as_of in plans:
        one = leaf_states(tree, ups, [as_of], TH)
        many = leaf_states(tree, ups, list(period_ends(ups, as_of, "month")), TH)
        for states in (one, many, many.iloc[::-1], many.iloc[: len(many) // 2], one.iloc[1:]):
            for f in _filter_sets(tree):
                same(select_leaves(tree, states, f, TH), ref.select_leaves(tree, states, f, TH))
