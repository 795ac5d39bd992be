"""The pages' work made cheaper in issue 15's eighth pass (branch pages8) gives what it gave before.

- The roll-up's ``columns=`` option (``roll_up``, ``roll_up_many``): the full result's columns named,
  in the same order, the same values, dtypes and index, for the pages' column sets and others
  (the full results are the frozen reference's, ``tests/test_rollup_equal.py``).
- The pages' objects from the narrowed tables (``dashboard.overview``, ``action_report``,
  ``departments``, ``trends.page_data``): equal to the same objects from the full tables.
- ``pages_reference8.py`` keeps the replaced functions verbatim; the new ones must equal them.

On both demo plans and a generated plan, at two dates, under the filters of ``test_pages_fast``
(the empty selection included).
"""

from __future__ import annotations

import functools
import json

import pages_reference8 as ref
import pandas as pd
import pytest
from streamlit.dataframe_util import convert_pandas_df_to_arrow_bytes
from streamlit.elements.vega_charts import _convert_altair_to_vega_lite_spec

from tests.test_pages_fast import _filter_sets, _plan
from wehoplan import charts, dashboard, repository, trends
from wehoplan.db import make_engine
from wehoplan.filters import Filters
from wehoplan.generate import generate_plan
from wehoplan.rollup import GROUP_KINDS, Thresholds, first_completed, group_leaves, leaf_states, roll_up, roll_up_many
from wehoplan.rollup.stages import Rows

TH = Thresholds()


def same(new: pd.DataFrame, old: pd.DataFrame) -> None:
    """Equal to the last bit, and the same bytes for Streamlit (``st.dataframe`` sends Arrow)."""
    pd.testing.assert_frame_equal(new, old, check_exact=True)
    assert convert_pandas_df_to_arrow_bytes(new) == convert_pandas_df_to_arrow_bytes(old)


def chart_element(chart) -> str:
    """What Streamlit sends for a chart: its spec text, key order and Arrow data bytes included."""
    return json.dumps(_convert_altair_to_vega_lite_spec(chart), default=lambda b: b.hex())


@pytest.fixture(scope="module")
def plans(demo_engine, tmp_path_factory):
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('gen8') / 'g.db'}")
    out = [_plan(demo_engine, n) for n in repository.list_plans(demo_engine)["name"]]
    return [*out, _plan(engine, generate_plan(engine, actions=600, months=18, seed=11).name)]


@functools.cache
def _dates(as_of):
    return (as_of, as_of - pd.Timedelta(days=400))


def _filters(tree):
    return [*_filter_sets(tree), Filters(strategy=("1",), department=("a",)), Filters(status=("completed",))]


PAGE_SETS = {"report": dashboard.TABLE_COLUMNS, "overview": dashboard.OVERVIEW_COLUMNS,
             "departments": dashboard.DEPARTMENTS_COLUMNS}
OTHER_SETS = [frozenset({"id"}), frozenset({"status", "code", "snap", "depth", "weight"}),
              frozenset({"health", "schedule_variance", "comment", "n_completed", "title"}),
              frozenset({"no such column", "progress"})]


def _kept(full: pd.DataFrame, columns) -> pd.DataFrame:
    return full[[c for c in full.columns if c in columns]]


def test_a_roll_up_of_some_columns_is_those_columns_of_the_whole(plans):
    n = 0
    for tree, ups, as_of in plans:
        for day in _dates(as_of):
            states = leaf_states(tree, ups, [day], TH)
            for f in _filters(tree):
                full = roll_up(tree, states, f, TH)
                for columns in [*PAGE_SETS.values(), *OTHER_SETS, set(full.columns)]:
                    same(roll_up(tree, states, f, TH, columns), _kept(full, columns))
                    n += 1
    assert n > 100


def test_a_trend_of_some_columns_is_those_columns_of_the_whole(plans):
    for tree, ups, as_of in plans:
        dates = trends.period_ends(ups, as_of, "quarter")
        states = leaf_states(tree, ups, list(trends.shared_dates(dates, as_of, 180)), TH)
        for f in _filters(tree):
            for rows in (None, trends.page_rows(dates, as_of, "strategy"), trends.page_rows(dates, as_of, "smart"),
                         Rows(depths=(0,), leaves=True)):
                full = roll_up_many(tree, states, f, TH, rows=rows)
                for columns in (trends.PAGE_COLUMNS, *OTHER_SETS):
                    same(roll_up_many(tree, states, f, TH, rows=rows, columns=columns), _kept(full, columns))


def test_the_pages_objects_from_their_columns_equal_those_from_the_whole_table(plans):
    for tree, ups, as_of in plans:
        done = first_completed(ups, as_of)
        for day in _dates(as_of):
            states = leaf_states(tree, ups, [day], TH)
            for f in _filters(tree):
                full = roll_up(tree, states, f, TH)
                for layout in dashboard.LAYOUT_OPTIONS:
                    for show in dashboard.SHOW_OPTIONS:
                        new = dashboard.action_report(roll_up(tree, states, f, TH, dashboard.TABLE_COLUMNS),
                                                      layout, show, tree)
                        old = dashboard.action_report(full, layout, show, tree)
                        assert (new is None) == (old is None)
                        if new is not None:
                            same(new.rows, old.rows)
                            assert new.caption == old.caption
                new_o = dashboard.overview(roll_up(tree, states, f, TH, dashboard.OVERVIEW_COLUMNS), ups, day, done,
                                           TH, tree)
                old_o = dashboard.overview(full, ups, day, done, TH, tree)
                assert (new_o is None) == (old_o is None)
                if new_o is not None:
                    for frame in ("attention", "summary", "strategy_progress", "status_counts"):
                        same(getattr(new_o, frame), getattr(old_o, frame))
                    assert new_o.kpis == old_o.kpis and new_o.metrics == old_o.metrics
                    assert new_o.attention_caption == old_o.attention_caption
                    for chart in ("progress_chart", "status_chart"):
                        assert chart_element(getattr(new_o, chart)) == chart_element(getattr(old_o, chart))
                new_d = dashboard.departments(roll_up(tree, states, f, TH, dashboard.DEPARTMENTS_COLUMNS), TH)
                old_d = dashboard.departments(full, TH)
                assert (new_d is None) == (old_d is None)
                if new_d is not None:
                    for frame in ("heatmap", "by_department", "by_smart", "department_status", "owner_status",
                                  "department_table"):
                        same(getattr(new_d, frame), getattr(old_d, frame))
                    for chart in ("heatmap_chart", "department_chart", "department_status_chart", "smart_chart",
                                  "owner_status_chart"):
                        assert chart_element(getattr(new_d, chart)) == chart_element(getattr(old_d, chart))


TREND_FRAMES = ("progress", "status_mix", "overdue", "completions", "forecast")
TREND_CHARTS = ("progress_chart", "status_chart", "overdue_chart", "completions_chart", "forecast_chart")


def same_page(new, old, frames, chart_names) -> None:
    """Two page objects show the same: each named frame equal (and the same Arrow bytes), each chart's bytes."""
    for frame in frames:
        same(getattr(new, frame), getattr(old, frame))
    for chart in chart_names:
        assert chart_element(getattr(new, chart)) == chart_element(getattr(old, chart))


def trends_pages_equal(plans, reference_page_data) -> None:
    """``trends.page_data`` equals ``reference_page_data`` for every plan, step, window, filter and grouping."""
    for tree, ups, as_of in plans:
        done = first_completed(ups, as_of)
        for step in ("quarter", "month"):
            dates = trends.period_ends(ups, as_of, step)
            for window in (90, 365):
                states = leaf_states(tree, ups, list(trends.shared_dates(dates, as_of, window)), TH)
                for f in _filters(tree):
                    for by in trends.GROUP_OPTIONS:
                        same_page(trends.page_data(tree, states, f, dates, as_of, window, by, done, TH),
                                  reference_page_data(tree, states, f, dates, as_of, window, by, done, TH),
                                  TREND_FRAMES, TREND_CHARTS)


def test_the_trends_page_equals_the_previous_code(plans):
    trends_pages_equal(plans, ref.page_data)


def test_the_groups_equal_the_previous_code(plans):
    for tree, ups, as_of in plans:
        for day in _dates(as_of):
            states = leaf_states(tree, ups, [day], TH)
            for f in _filters(tree):
                table = roll_up(tree, states, f, TH)
                if not table["is_leaf"].any():
                    continue
                for by in GROUP_KINDS:
                    same(group_leaves(table, by, TH), ref.group_leaves(table, by, TH))
                # Names that fold alike ("Parks", "parks", "PARKS"), blanks and missing values: pandas' own sort.
                t = table.copy()
                leaf = t.index[t["is_leaf"].astype(bool)]
                for i, name in enumerate(("Parks", "parks", "PARKS", "Ärzte", "ärzte", "", None, "Zoo", "zoo")):
                    t.loc[leaf[i::9], "department"] = name
                    t.loc[leaf[(i + 4)::9], "owner"] = name
                for by in GROUP_KINDS:
                    same(group_leaves(t, by, TH), ref.group_leaves(t, by, TH))


def test_the_filter_texts_match_as_before(plans):
    needles = ["", "a", "A", "works", "WORKS", "Public Works", "ä", "Ä", ".*", "(", "|", "\\", "%", " ", "no such",
               "ß", "SS", "İ", "i̇"]
    for tree, _, _ in plans:
        hay = tree.haystacks
        for field in ("lead", "partners", "owners", "tags"):
            values = getattr(hay, field).dropna().unique().tolist()[:6]
            for needle in [*needles, *values, *(v[1:4] for v in values), *(v.upper() for v in values)]:
                for case in (True, False):
                    new, old = hay.contains(field, needle, case), ref.contains(hay, field, needle, case)
                    assert new.dtype == old.dtype and (new == old).all(), (field, needle, case)
    # Texts with missing values, other scripts and an empty text.
    from wehoplan.filters import Haystacks

    leaves = pd.DataFrame({"id": range(8), "path_codes": ["|1|"] * 8,
                           "department": ["Straße", None, "STRASSE", "", "Ärzte", "ärzte", "İstanbul", "x"],
                           "partners": [None] * 8, "owner": ["a"] * 8,
                           "smart": ["SM", None, "", "T", "A", "R", "S", "M"],
                           "path_text": ["t"] * 8, "description": [None] * 8})
    hay = Haystacks.of(leaves)
    for field in ("lead", "tags", "partners"):
        for needle in needles:
            for case in (True, False):
                new, old = hay.contains(field, needle, case), ref.contains(hay, field, needle, case)
                assert new.dtype == old.dtype and (new == old).all(), (field, needle, case)


def test_the_forecast_chart_equals_the_previous_code(plans):
    for tree, ups, as_of in plans:
        dates = trends.period_ends(ups, as_of, "quarter")
        states = leaf_states(tree, ups, list(trends.shared_dates(dates, as_of, 180)), TH)
        rolled = roll_up_many(tree, states, Filters(), TH)
        fc = trends.forecast(tree, rolled, as_of, 180)
        odd = fc.copy()  # missing dates, progress and velocity, long names
        odd.loc[odd.index[::2], "projected_finish"] = pd.NaT
        odd.loc[odd.index[1::3], "due"] = pd.NaT
        odd.loc[odd.index[::4], "progress_now"] = float("nan")
        odd.loc[odd.index[::5], "velocity"] = float("nan")
        odd.loc[odd.index[::6], "title"] = "x" * 120
        for frame in (fc, odd, fc.iloc[:1], fc.iloc[:0]):
            for day in (as_of, as_of - pd.Timedelta(days=30)):
                assert chart_element(charts.forecast_chart(frame, day)) == chart_element(ref.forecast_chart(frame, day))
