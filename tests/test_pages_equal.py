"""The dashboard pages' data and charts, made cheaper in issue 15's fifth pass, equal the code they replaced.

``dashboard_reference.py`` and ``chart_reference.py`` are the previous ``wehoplan.dashboard`` and
``wehoplan.charts`` (frames through pandas per column, charts through Altair's fluent API),
kept verbatim as the reference. On both demo plans and a generated plan, under several
filters, every frame a page shows must be equal to the last bit (values, dtypes, index,
column order), and every chart must give Streamlit the very same chart element: the same
spec text (key order included) and the same Arrow bytes of its data.
"""

from __future__ import annotations

import dataclasses
import functools
import json

import chart_reference
import dashboard_reference as ref
import numpy as np
import pandas as pd
import pytest
import trends_reference
from streamlit.elements.vega_charts import _convert_altair_to_vega_lite_spec

from tests.test_pages_fast import _filter_sets, _plan  # one loader and one set of filters for both files
from wehoplan import dashboard, repository, trends
from wehoplan.db import make_engine
from wehoplan.filters import Filters
from wehoplan.generate import generate_plan
from wehoplan.rollup import Thresholds, first_completed, leaf_states, roll_up, roll_up_many

same = functools.partial(pd.testing.assert_frame_equal, check_exact=True)
TH = Thresholds()


@pytest.fixture(scope="module")
def plans(demo_engine, tmp_path_factory):
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('gen') / 'g.db'}")
    out = [_plan(demo_engine, n) for n in repository.list_plans(demo_engine)["name"]]
    return [*out, _plan(engine, generate_plan(engine, actions=600, months=18, seed=5).name)]


def chart_element(chart) -> str:
    """What Streamlit sends for a chart: its spec text, key order and Arrow data bytes included."""
    return json.dumps(_convert_altair_to_vega_lite_spec(chart), default=lambda b: b.hex())


def same_object(new, old) -> None:
    """Two page objects (frozen dataclasses): equal frames, equal charts, equal values."""
    assert (new is None) == (old is None)
    if new is None:
        return
    assert type(new).__name__ == type(old).__name__
    for field in dataclasses.fields(new):
        a, b = getattr(new, field.name), getattr(old, field.name)
        if isinstance(a, pd.DataFrame):
            same(a, b)
        elif hasattr(a, "to_dict"):
            assert chart_element(a) == chart_element(b), field.name
        elif dataclasses.is_dataclass(a):
            assert dataclasses.asdict(a) == dataclasses.asdict(b), field.name
        elif isinstance(a, tuple) and a and dataclasses.is_dataclass(a[0]):
            assert [dataclasses.asdict(x) for x in a] == [dataclasses.asdict(x) for x in b], field.name
        else:
            assert a == b, field.name


def _cases(plans):
    for tree, ups, as_of in plans:
        states = leaf_states(tree, ups, [as_of], TH)
        done = first_completed(ups, as_of)
        for f in _filter_sets(tree):
            yield roll_up(tree, states, f, TH), ups, as_of, done


def test_the_page_frames_equal_the_previous_code(plans):
    n = 0
    for table, ups, as_of, done in _cases(plans):
        for tree_layout in (True, False):
            for show in dashboard.SHOW_OPTIONS:
                same(dashboard.report_rows(table, tree_layout, show), ref.report_rows(table, tree_layout, show))
        same(dashboard.needs_attention(table), ref.needs_attention(table))
        same(dashboard.summary_table(table), ref.summary_table(table))
        same(dashboard.strategy_progress(table), ref.strategy_progress(table))
        same(dashboard.status_counts(table), ref.status_counts(table))
        new, old = dashboard.kpis(table, ups, as_of, first_done=done), ref.kpis(table, ups, as_of, first_done=done)
        assert (new is None) == (old is None)
        if new is not None:
            assert [(type(v), v) for v in dataclasses.astuple(new)] == [(type(v), v) for v in dataclasses.astuple(old)]
        assert dashboard.behind_schedule(table) == ref.behind_schedule(table)
        n += len(table)
    assert n > 2000  # realistic sizes, not only literal plans


def test_the_page_objects_and_their_charts_equal_the_previous_code(plans):
    for table, ups, as_of, done in _cases(plans):
        same_object(dashboard.overview(table, ups, as_of, done, TH), ref.overview(table, ups, as_of, done, TH))
        same_object(dashboard.departments(table, TH), ref.departments(table, TH))
        for layout in dashboard.LAYOUT_OPTIONS:
            for show in dashboard.SHOW_OPTIONS:
                same_object(dashboard.action_report(table, layout, show), ref.action_report(table, layout, show))


def test_the_trend_charts_equal_the_previous_code(plans):
    for tree, ups, as_of in plans:
        done = first_completed(ups, as_of)
        for step, window, by in (("quarter", 180, "strategy"), ("month", 90, "department"), ("quarter", 365, "smart")):
            dates = trends.period_ends(ups, as_of, step)
            states = leaf_states(tree, ups, trends.shared_dates(dates, as_of, window), TH)
            for f in _filter_sets(tree):
                page = trends.page_data(tree, states, f, dates, as_of, window, by, done, TH)
                rolled = roll_up_many(tree, states, f, TH)
                same(page.forecast, trends_reference.forecast(tree, rolled, as_of, window))
                same(page.progress, trends_reference.progress_over_time(tree, rolled, dates, by))
                same(page.status_mix, trends_reference.status_mix_over_time(rolled, dates))
                same(page.overdue, trends_reference.overdue_over_time(rolled, dates))
                same(page.completions, trends_reference.completions_per_quarter(rolled, as_of, done))
                old = {"progress_chart": chart_reference.progress_trend(page.progress, trends.GROUP_OPTIONS[by]),
                       "status_chart": chart_reference.status_area(page.status_mix),
                       "overdue_chart": chart_reference.overdue_line(page.overdue),
                       "completions_chart": chart_reference.completions_bar(page.completions),
                       "forecast_chart": chart_reference.forecast_chart(page.forecast,
                                                                        pd.Timestamp(as_of).normalize())}
                for name, chart in old.items():
                    assert chart_element(getattr(page, name)) == chart_element(chart), name


def _old_leaf_mask(f: Filters, hay) -> np.ndarray:
    """The structural filter mask as it was: ``str.contains`` over every leaf's text."""
    def any_of(masks):
        out = None
        for m in masks:
            hit = m.to_numpy(dtype=bool, na_value=False)
            out = hit if out is None else out | hit
        return out

    mask = np.ones(len(hay.ids), dtype=bool)
    if f.strategy:
        mask &= any_of(hay.paths.str.contains(f"|{c}|", regex=False) for c in f.strategy)
    if f.department:
        mask &= any_of(m for d in f.department for m in (hay.lead.str.contains(d, case=False, regex=False),
                                                         hay.partners.str.contains(d, case=False, regex=False)))
    if f.owner:
        mask &= any_of(hay.owners.str.contains(o, case=False, regex=False) for o in f.owner)
    if f.smart:
        mask &= any_of(hay.tags.str.contains(s, regex=False) for s in f.smart)
    return mask


def test_the_filter_masks_equal_the_previous_code(plans):
    for tree, _, _ in plans:
        hay = tree.haystacks
        leaves = tree.frame[tree.frame["is_leaf"]]
        names = sorted(set(leaves["department"].dropna().astype(str)) | set(leaves["owner"].dropna().astype(str)))
        needles = [*names, *(n.upper() for n in names), *(n[2:7].lower() for n in names), "works", "É", "", "zz"]
        for n in needles:
            for f in (Filters(department=(n,)), Filters(owner=(n,)), Filters(department=(n, "planning"), smart=("M",)),
                      Filters(owner=(n,), strategy=("1",))):
                np.testing.assert_array_equal(f.leaf_mask(hay), _old_leaf_mask(f, hay))
        for letters in ("S", "MT", "A", "R"):
            f = Filters(smart=tuple(letters))
            np.testing.assert_array_equal(f.leaf_mask(hay), _old_leaf_mask(f, hay))


@pytest.mark.parametrize("names", [["1 Data", "2 Services"], ["x" * 80, "y" * 81, "z " * 45, "é" * 90, "short"], []])
def test_short_names_equal_the_previous_code(names):
    from wehoplan import charts

    s = pd.Series(names, dtype="str", index=range(3, 3 + len(names)))
    pd.testing.assert_series_equal(charts.short_names(s), chart_reference.short_names(s), check_exact=True)
