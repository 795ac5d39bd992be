"""The pages' code made cheaper in issue 15's seventh pass (branch pages6) equals the code it replaced.

``pages_reference7.py`` keeps the replaced functions verbatim. The sidebar and the navigation: the real
app in AppTest, once with the new code and once with the old (``wehoplan.ui.state.sidebar`` and
``wehoplan.ui.auth.navigation_pages`` swapped for the reference's), through the same clicks
(a shared link, filter changes, a search, a date, "Reset filters", page switches there and back,
a plan change, a bad link):
after every step both must show the same elements (texts, metrics, tables, chart specs),
the same widget values, options and states, the same URL and the same persistent entries.

The page functions: on both demo plans and a generated plan, at two dates, under the filters of
``test_pages_fast`` (the empty selection included), every frame must equal the old code's to the
last bit (values, dtypes, index, column order) and give Streamlit the same Arrow bytes.
"""

from __future__ import annotations

import datetime as dt
import functools
import json

import pages_reference7 as ref
import pandas as pd
import pytest
from streamlit.dataframe_util import convert_pandas_df_to_arrow_bytes
from streamlit.elements.vega_charts import _convert_altair_to_vega_lite_spec
from streamlit.testing.v1 import AppTest

from tests.test_app_dashboard import APP
from tests.test_pages_fast import _filter_sets, _plan
from wehoplan import dashboard, repository
from wehoplan.db import make_engine
from wehoplan.generate import generate_plan
from wehoplan.rollup import GROUP_KINDS, Thresholds, group_leaves, leaf_states, roll_up
from wehoplan.ui import auth, cache, state

TH = Thresholds()


def same(new: pd.DataFrame, old: pd.DataFrame) -> None:
    """Equal to the last bit, and the same bytes for Streamlit (``st.dataframe`` sends Arrow)."""
    pd.testing.assert_frame_equal(new, old, check_exact=True)
    assert convert_pandas_df_to_arrow_bytes(new) == convert_pandas_df_to_arrow_bytes(old)


@pytest.fixture(scope="module")
def plans(demo_engine, tmp_path_factory):
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('gen7') / 'g.db'}")
    out = [_plan(demo_engine, n) for n in repository.list_plans(demo_engine)["name"]]
    return [*out, _plan(engine, generate_plan(engine, actions=600, months=18, seed=11).name)]


@functools.cache
def _dates(as_of):
    return (as_of, as_of - pd.Timedelta(days=400))


def _tables(plans):
    """(tree, table) for every plan, two dates and every filter set: the pages' roll-up tables."""
    for tree, ups, as_of in plans:
        for day in _dates(as_of):
            states = leaf_states(tree, ups, [day], TH)
            for f in _filter_sets(tree):
                yield tree, roll_up(tree, states, f, TH)


def test_the_action_report_equals_the_previous_code(plans):
    n = 0
    for tree, table in _tables(plans):
        for layout in dashboard.LAYOUT_OPTIONS:
            for show in dashboard.SHOW_OPTIONS:
                new, old = dashboard.action_report(table, layout, show, tree), ref.action_report(table, layout, show)
                assert (new is None) == (old is None)
                if new is not None:
                    same(new.rows, old.rows)
                    assert new.caption == old.caption
                for key in (True, False):
                    old_rows = ref.report_rows(table, layout == "tree", show, key)
                    same(dashboard.report_rows(table, layout == "tree", show, key, dashboard.report_labels(tree)),
                         old_rows)
                    same(dashboard.report_rows(table, layout == "tree", show, key), old_rows)
        n += len(table)
    assert n > 3000  # realistic sizes, not only literal plans


def test_the_overview_frames_equal_the_previous_code(plans):
    for tree, table in _tables(plans):
        old = ref.needs_attention(table)
        same(dashboard.needs_attention(table), old)
        same(dashboard.needs_attention(table, dashboard.report_labels(tree)), old)
    from wehoplan.rollup import first_completed

    for tree, ups, as_of in plans:  # the page object, given the tree and not, the whole of it alike
        done, states = first_completed(ups, as_of), leaf_states(tree, ups, [as_of], TH)
        for f in _filter_sets(tree):
            table = roll_up(tree, states, f, TH)
            new, old = dashboard.overview(table, ups, as_of, done, TH, tree), dashboard.overview(table, ups, as_of,
                                                                                                 done, TH)
            assert (new is None) == (old is None)
            if new is not None:
                for frame in ("attention", "summary", "strategy_progress", "status_counts"):
                    same(getattr(new, frame), getattr(old, frame))
                assert new.metrics == old.metrics and new.attention_caption == old.attention_caption
                for chart in ("progress_chart", "status_chart"):
                    assert chart_element(getattr(new, chart)) == chart_element(getattr(old, chart))
        same(dashboard.strategy_progress(table), ref.strategy_progress(table))


def _departments_frames(table):
    for by in ("department", "owner"):
        same(dashboard.status_counts_by(table, by), ref.status_counts_by(table, by))
    same(dashboard.heatmap_data(table), ref.heatmap_data(table))
    for by in GROUP_KINDS:
        groups = group_leaves(table, by, TH).rename(columns={"group": "name"})
        same(dashboard.group_table(groups, "X"), ref.group_table(groups, "X"))


def test_the_departments_frames_equal_the_previous_code(plans):
    for _, table in _tables(plans):
        _departments_frames(table)


def test_the_departments_frames_of_blank_and_missing_values_equal_the_previous_code(plans):
    # Leaves without a department, owner or SMART value, blank text, and tag sets in several orders.
    for _, table in list(_tables(plans))[:: len(_filter_sets(plans[0][0]))]:  # every plan and date, unfiltered
        leaf = table.index[table["is_leaf"].astype(bool)]
        t = table.copy()
        t.loc[leaf[::3], "department"] = None
        t.loc[leaf[1::7], "department"] = ""
        t.loc[leaf[::5], "owner"] = None
        t.loc[leaf[2::9], "owner"] = ""
        t.loc[leaf[::4], "smart"] = None
        t.loc[leaf[1::6], "smart"] = ""
        t.loc[leaf[3::8], "smart"] = "TMS"
        t.loc[leaf[5::11], "smart"] = "smart"
        _departments_frames(t)


def chart_element(chart) -> str:
    """What Streamlit sends for a chart: its spec text, key order and Arrow data bytes included."""
    return json.dumps(_convert_altair_to_vega_lite_spec(chart), default=lambda b: b.hex())


def test_the_layered_charts_equal_the_previous_code(plans, monkeypatch):
    from wehoplan import charts, trends
    from wehoplan.rollup import first_completed

    builders = {
        "forecast": lambda p, day: charts.forecast_chart(p.forecast, day),
        "progress": lambda p, _day: charts.progress_trend(p.progress, "Strategy"),
        "status": lambda p, _day: charts.status_area(p.status_mix),
        "overdue": lambda p, _day: charts.overdue_line(p.overdue),
        "completions": lambda p, _day: charts.completions_bar(p.completions),
    }
    n = 0
    for tree, ups, as_of in plans:
        dates = trends.period_ends(ups, as_of, "quarter")
        states = leaf_states(tree, ups, trends.shared_dates(dates, as_of, 180), TH)
        done, day = first_completed(ups, as_of), pd.Timestamp(as_of).normalize()
        for f in _filter_sets(tree):
            page = trends.page_data(tree, states, f, dates, as_of, 180, "strategy", done, TH)
            for name, build in builders.items():
                new = chart_element(build(page, day))
                with monkeypatch.context() as m:
                    m.setattr(charts, "_layer", ref._layer)
                    assert new == chart_element(build(page, day)), name
            n += len(page.forecast)
        for table in (roll_up(tree, leaf_states(tree, ups, [as_of], TH), f, TH) for f in _filter_sets(tree)):
            for chart in ("heatmap_chart", "department_chart", "smart_chart"):
                data = dashboard.departments(table, TH)
                if data is None:
                    continue
                with monkeypatch.context() as m:
                    m.setattr(charts, "_layer", ref._layer)
                    old = dashboard.departments(table, TH)
                assert chart_element(getattr(data, chart)) == chart_element(getattr(old, chart)), chart
    assert n > 100  # forecasts with rows, not only empty charts
    from tests.test_measures_charts import HISTORY

    new = chart_element(charts.measure_chart(HISTORY, "collisions per year"))
    monkeypatch.setattr(charts, "_layer", ref._layer)
    assert new == chart_element(charts.measure_chart(HISTORY, "collisions per year"))


def test_layer_equals_the_layer_chart_constructor_for_every_placement_of_data():
    import altair as alt

    from wehoplan import charts

    top, other = pd.DataFrame({"x": [1, 2], "y": [3, 4]}), pd.DataFrame({"x": [5]})

    def unit(data=alt.Undefined, **props):
        return charts._unit(charts._mark("point"), {"x": charts._f("x:Q")}, data=data, **props)

    cases = [
        (top, [unit(), unit()]), (top, [unit(), unit(other)]), (top, [unit(top), unit()]),
        (top, [unit(top), unit(other)]), (top, [unit(other), unit(other)]), (alt.Undefined, [unit(), unit()]),
        (alt.Undefined, [unit(top), unit(top)]), (alt.Undefined, [unit(top), unit(other)]),
        (alt.Undefined, [unit(top), unit()]), (top, [unit(other, width=30), unit()]), (top, []),
    ]
    for data, layers in cases:
        for props in ({}, {"width": "container", "height": {"step": 24}}):
            try:
                old = alt.LayerChart(data=data, layer=list(layers), **props)
            except ValueError:  # a layer's width against the chart's: refused by both
                with pytest.raises(ValueError, match="inconsistent"):
                    charts._layer(data, *layers, **props)
                continue
            assert chart_element(charts._layer(data, *layers, **props)) == chart_element(old)
            assert chart_element(ref._layer(data, *layers, **props)) == chart_element(old)


def test_the_report_labels_are_made_once_per_tree_and_go_with_it(plans, demo_engine):
    import gc

    from wehoplan.rollup import prepare_tree

    tree = plans[0][0]
    assert dashboard.report_labels(tree) is dashboard.report_labels(tree)
    assert dashboard.report_labels(plans[1][0]) is not dashboard.report_labels(tree)  # one per plan
    plan = repository.list_plans(demo_engine).iloc[0]
    fresh = prepare_tree(repository.load_items(demo_engine, int(plan["id"])))  # as after a write: a new tree
    n = len(dashboard._LABELS)
    assert dashboard.report_labels(fresh) is not dashboard.report_labels(tree)
    assert len(dashboard._LABELS) == n + 1
    del fresh
    gc.collect()
    assert len(dashboard._LABELS) == n  # a tree let go takes its labels with it


WIDGETS = ("selectbox", "multiselect", "date_input", "text_input", "button", "toggle", "segmented_control",
           "download_button")
TEXTS = ("title", "caption", "markdown", "warning", "info", "success", "subheader", "text", "error")


def _widget(w) -> tuple:
    return (type(w).__name__, getattr(w, "key", None), getattr(w, "label", None),
            repr(getattr(w, "value", None)), repr(getattr(w, "options", None)),
            getattr(w, "disabled", None), getattr(w, "placeholder", None), getattr(w, "help", None))


def _seen(at: AppTest) -> dict:
    """Everything a person sees or a link carries, widget by widget (not their protos' set_value flag)."""
    out: dict = {"exception": [e.message for e in at.exception]}
    for where in ("sidebar", "main"):
        block = getattr(at, where)
        for kind in TEXTS:
            out[f"{where}.{kind}"] = [x.value for x in getattr(block, kind)]
        for kind in WIDGETS:
            out[f"{where}.{kind}"] = [_widget(w) for w in getattr(block, kind)]
    out["metric"] = [(m.label, m.value, m.delta) for m in at.metric]
    out["dataframe"] = [d.value for d in at.dataframe]
    out["chart"] = [c.proto.spec for c in at.get("vega_lite_chart")]
    out["url"] = {k: at.query_params[k] for k in sorted(at.query_params)}
    out["entries"] = {k: repr(at.session_state[k]) for k in sorted(at.session_state)
                      if k.startswith("_wp:") and k not in ("_wp:marks", "_wp:navigation")}
    return out


def _same(a: dict, b: dict, step: str) -> None:
    assert a.keys() == b.keys()
    for k in a:
        if k == "dataframe":
            assert len(a[k]) == len(b[k]), step
            for x, y in zip(a[k], b[k], strict=True):
                pd.testing.assert_frame_equal(x, y, check_exact=True, obj=f"{step}: dataframe")
        else:
            assert a[k] == b[k], f"{step}: {k}"


def _old_sidebar(_who=None):  # the pages pass the gate's principal; the old sidebar looked it up itself
    return ref.sidebar()


def _steps():
    """(name, action on an AppTest) in order: each action ends with a run."""
    def link(at):
        at.query_params["plan"] = "smart city"
        at.query_params["as_of"] = "2020-10-15"
        at.query_params["department"] = "Public Works"
        at.query_params["smart"] = "M"
        at.run()
    return [
        ("a shared link", link),
        ("a department", lambda at: at.multiselect(key="w_department").set_value(["Department of Public Works"]).run()),
        ("the same page again", lambda at: at.run()),
        ("a status too", lambda at: at.multiselect(key="w_status").set_value(["on_track"]).run()),
        ("a search", lambda at: at.text_input(key="w_text").input("data").run()),
        ("no search", lambda at: at.text_input(key="w_text").input("").run()),
        ("a date", lambda at: at.date_input(key="w_as_of").set_value(dt.date(2019, 6, 30)).run()),
        ("to the Action Report", lambda at: at.switch_page("app_pages/1_Action_Report.py").run()),
        ("its layout", lambda at: at.segmented_control(key="w_page:layout").set_value("flat").run()),
        ("an owner there", lambda at: at.multiselect(key="w_owner").set_value(
            at.multiselect(key="w_owner").options[:1]).run()),
        ("to Trends", lambda at: at.switch_page("app_pages/2_Trends.py").run()),
        ("a SMART value there", lambda at: at.multiselect(key="w_smart").set_value(["S", "T"]).run()),
        ("reset", lambda at: next(b for b in at.button if b.label == "Reset filters").click().run()),
        ("to Departments", lambda at: at.switch_page("app_pages/3_Departments_and_SMART.py").run()),
        ("a health there", lambda at: at.multiselect(key="w_health").set_value(["behind"]).run()),
        ("back to the Overview", lambda at: at.switch_page("app_pages/0_Overview.py").run()),
        ("the same page again", lambda at: at.run()),
        ("a strategy", lambda at: at.multiselect(key="w_strategy").set_value(
            at.multiselect(key="w_strategy").options[:2]).run()),
        ("another plan", lambda at: at.selectbox(key="w_plan").set_value("WeHoX Innovations Annual Report 2015").run()),
        ("a department of that plan", lambda at: at.multiselect(key="w_department").set_value(
            at.multiselect(key="w_department").options[-1:]).run()),
        ("to the Audit page", lambda at: at.switch_page("app_pages/6_Audit.py").run()),
        ("back to the Overview", lambda at: at.switch_page("app_pages/0_Overview.py").run()),
    ]


def _walk(monkeypatch, old: bool, steps) -> list[dict]:
    with monkeypatch.context() as m:
        if old:
            m.setattr(state, "sidebar", _old_sidebar)
            m.setattr(auth, "navigation_pages", ref.navigation_pages)
        cache._engine.clear()  # each walk starts from cold caches, as a new server would
        at = AppTest.from_file(APP, default_timeout=60)
        seen = []
        for _, act in steps:
            act(at)
            seen.append(_seen(at))
        return seen


@pytest.fixture
def demo(monkeypatch, demo_url):
    monkeypatch.setenv("WEHOPLAN_DATABASE_URL", demo_url)


@pytest.mark.usefixtures("demo")
def test_the_sidebar_equals_the_previous_code_through_a_session(monkeypatch):
    steps = _steps()
    new, old = _walk(monkeypatch, False, steps), _walk(monkeypatch, True, steps)
    for (name, _), a, b in zip(steps, new, old, strict=True):
        _same(a, b, name)
    assert new[0]["main.caption"] and "Public Works" in new[0]["main.caption"][0]
    assert any(s["metric"] for s in new) and any(s["chart"] for s in new)  # pages drawn, not only sidebars


@pytest.mark.usefixtures("demo")
def test_the_sidebar_equals_the_previous_code_on_a_bad_link(monkeypatch):
    def bad(at):
        for k, v in {"plan": "nonexistent", "as_of": "2020-13-45", "smart": "Q", "status": "nope"}.items():
            at.query_params[k] = v
        at.run()
    steps = [("a bad link", bad), ("the same page again", lambda at: at.run()),
             ("a status", lambda at: at.multiselect(key="w_status").set_value(["completed"]).run()),
             ("reset", lambda at: next(b for b in at.button if b.label == "Reset filters").click().run())]
    new, old = _walk(monkeypatch, False, steps), _walk(monkeypatch, True, steps)
    for (name, _), a, b in zip(steps, new, old, strict=True):
        _same(a, b, name)
    assert any("This link asked for" in w for w in new[0]["main.warning"])


def test_the_data_version_equals_the_previous_code(demo_url, empty_url, tmp_path):
    import sqlite3

    from wehoplan.db import data_version, make_engine

    no_meta, no_row, blank = (tmp_path / n for n in ("no_meta.db", "no_row.db", "blank.db"))
    sqlite3.connect(no_meta).execute("CREATE TABLE t (x)").connection.commit()
    with sqlite3.connect(no_row) as con:
        con.execute("CREATE TABLE meta (key TEXT, value TEXT)")
    with sqlite3.connect(blank) as con:
        con.execute("CREATE TABLE meta (key TEXT, value TEXT)")
        con.execute("INSERT INTO meta VALUES ('data_version', NULL)")
    seen = []
    for url in (demo_url, empty_url, *(f"sqlite:///{p}" for p in (no_meta, no_row, blank, tmp_path / "none.db"))):
        eng = make_engine(url)
        seen.append(cache.read_version(eng))
        assert seen[-1] == data_version(eng), url
    assert seen[0] > 0 and seen[2:] == [-1, -1, -1, -1]


def test_the_navigation_follows_the_menu_within_a_session(fresh_url, monkeypatch):
    """The page objects kept for a session are made again when its menu changes (sign-in, sign-out)."""
    from tests.test_app_auth import _app, _signed_in

    def visible(at):
        nav = at.session_state["_wp:navigation"]
        return [p.title for p in nav[1] if p.visibility == "visible"], nav[0]

    monkeypatch.setenv("WEHOPLAN_DATABASE_URL", fresh_url)
    from wehoplan import users

    users.add_user(make_engine(fresh_url), "admin@weho.org", role="admin", name="Ada Admin", author="Setup")
    at = _app({"is_logged_in": False})
    signed_out = visible(at)
    assert signed_out[0] == list(signed_out[1]) == auth.menu(None)
    at.user = _signed_in("admin@weho.org")
    at.run()
    admin = visible(at)
    assert admin[0] == list(admin[1]) == [t for _, t, _ in auth.PAGES] != signed_out[0]
    at.user = {"is_logged_in": False}
    at.run()
    assert visible(at) == signed_out
