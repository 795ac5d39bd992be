"""The page paths made faster for benchmark 1 give the same frames as the code they replaced.

Each ``_reference_*`` below is the previous implementation, kept verbatim in spirit
(pandas merge, explode, groupby, melt), as ``test_rollup_fast`` keeps the previous
``prepare_tree``. They are compared exactly (``check_exact``) on both demo plans and on
a generated plan, with filter sets that select a lot, a little and nothing.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest

from wehoplan import dashboard, repository, rollup, trends
from wehoplan.db import make_engine
from wehoplan.domain import SMART_NAMES, STATUS_KEYS, STATUS_LABELS
from wehoplan.filters import Filters
from wehoplan.generate import generate_plan
from wehoplan.rollup import COUNT_COLUMNS, ROOT_ID, Thresholds, leaf_states, prepare_tree

same = functools.partial(pd.testing.assert_frame_equal, check_exact=True)
TH = Thresholds()


# ---------------------------------------------------------------- the previous code


def _reference_leaf_counts(states: pd.DataFrame, **more) -> pd.DataFrame:
    code = rollup._status_codes(states["status"])
    return states.assign(n_leaves=1, **{f"n_{k}": (code == n).astype("int64") for n, k in enumerate(STATUS_KEYS)},
                         n_overdue=states["overdue"].astype("int64"), **more)


def _reference_rollup_many(tree, updates, dates, filters, thresholds, states):
    tree = prepare_tree(tree)
    states = rollup.select_leaves(tree, states, filters)
    info = tree[["id", "depth", "parent_key", "weight", "start", "due", "is_leaf"]].set_index("id")
    if states.empty:
        return None
    at = info.index.get_indexer(states["id"])
    nodes = _reference_leaf_counts(
        states, depth=info["depth"].to_numpy()[at].astype("int64"),
        parent_key=info["parent_key"].to_numpy()[at].astype("int64"),
        weight=info["weight"].to_numpy()[at].astype("float64"), start=info["start"].to_numpy()[at],
        due=info["due"].to_numpy()[at])
    levels, current = [nodes], nodes
    max_depth = int(tree["depth"].max())
    for d in range(max_depth, 0, -1):
        parts = [c[c["depth"] == d] for c in levels if len(c)]
        children = pd.concat(parts, ignore_index=True) if len(parts) > 1 else (
            parts[0].reset_index(drop=True) if parts else current.iloc[0:0])
        if children.empty:
            continue
        gid = rollup._group_numbers(children, ["snap", "parent_key"])
        agg = rollup._aggregate(children, ["snap", "parent_key"], gid).rename(columns={"parent_key": "id"})
        agg = agg.assign(span_start=children["start"].groupby(gid).min().to_numpy(),
                         span_due=children["due"].groupby(gid).max().to_numpy())
        is_root = agg["id"] == ROOT_ID
        pos = info.index.get_indexer(agg["id"].where(~is_root))

        def parent(col, pos=pos, index=agg.index):
            return pd.Series(pd.api.extensions.take(info[col].to_numpy(), pos, allow_fill=True), index=index)

        own_start, own_due = parent("start"), parent("due")
        own_exp = pd.Series(rollup._expected_arrays(*(x.to_numpy(dtype="datetime64[ns]") for x in (
            own_start, own_due, agg["snap"]))), index=agg.index)
        agg = agg.assign(
            expected_progress=agg["expected_progress"].fillna(own_exp),
            depth=np.where(is_root, 0, parent("depth").fillna(0)).astype("int64"),
            parent_key=np.where(is_root, -1, parent("parent_key").fillna(-1)).astype("int64"),
            weight=np.where(is_root, 1.0, parent("weight").fillna(1.0)),
            start=own_start.fillna(agg["span_start"]), due=own_due.fillna(agg["span_due"]),
            overdue=False, due_soon=False, stale=False,
        ).drop(columns=["span_start", "span_due"])
        levels.append(agg)
    out = pd.concat(levels, ignore_index=True)
    return out.assign(schedule_variance=out["progress"] - out["expected_progress"],
                      is_leaf=info["is_leaf"].reindex(out["id"]).fillna(False).astype(bool).to_numpy())


def _reference_decorate(rolled, tree):
    cols = [c for c in ["id", "code", "title", "level", "depth", "parent_id", "order", "owner", "department",
                        "partners", "smart", "top_code", "weight", "description", "sponsor", "priority"]
            if c in tree.columns]
    merged = rolled.drop(columns=["depth", "weight"]).merge(tree[cols], on="id", how="left")
    root = merged["id"] == ROOT_ID
    return merged.assign(
        code=merged["code"].where(~root, ""), level=merged["level"].where(~root, "Plan"),
        depth=merged["depth"].fillna(0).astype("int64"), order=merged["order"].fillna(-1).astype("int64"),
    ).sort_values(["snap", "order"], kind="stable").reset_index(drop=True)


def _reference_heatmap_data(table):
    lv = dashboard.leaves(table)
    tags = lv["smart"].fillna("").astype(str).map(lambda s: [SMART_NAMES[c] for c in s if c in SMART_NAMES]
                                                  or ["(none)"])
    x = lv.assign(smart=tags, department=lv["department"].fillna("(none)").astype(str)).explode("smart")
    x = x.assign(p_nd=x["progress"].where(x["status"] != "deferred"))
    g = x.groupby(["department", "smart"], sort=True).agg(
        n_leaves=("id", "size"), p_nd=("p_nd", "mean"), p_all=("progress", "mean")).reset_index()
    return g.assign(progress=g["p_nd"].fillna(g["p_all"]))[["department", "smart", "n_leaves", "progress"]]


def _reference_status_counts_by(table, by):
    lv = dashboard.leaves(table)
    x = lv.assign(group=lv[by].fillna("(none)").astype(str), status=lv["status"].astype(str))
    g = x.groupby(["group", "status"]).size().rename("n").reset_index()
    size = g.groupby("group")["n"].sum().sort_values(ascending=False, kind="stable")
    order = {name: i for i, name in enumerate(size.index)}
    return g.assign(_o=g["group"].map(order)).sort_values(["_o", "status"]).drop(columns="_o").reset_index(drop=True)


def _reference_group_leaves(table, by):
    leaves = table[table["is_leaf"].astype(bool)]
    if by == "smart":
        tags = leaves["smart"].fillna("").map(lambda s: [SMART_NAMES[c] for c in s] or ["(none)"])
        leaves = leaves.assign(group=tags).explode("group")
    else:
        leaves = leaves.assign(group=leaves[by].fillna("(none)").astype("string"))
    agg = rollup.aggregate(leaves, ["group"])
    return agg.sort_values("group", key=lambda s: s.astype("string").str.casefold()).reset_index(drop=True)


def _reference_plan_rows(rolled, dates):
    plan = rolled.loc[rolled["id"] == ROOT_ID, ["snap", *COUNT_COLUMNS, "n_overdue"]]
    snaps = pd.DataFrame({"snap": pd.DatetimeIndex(pd.to_datetime(pd.Index(np.atleast_1d(dates)))).normalize()})
    snaps = snaps.drop_duplicates().sort_values("snap").astype({"snap": "datetime64[ns]"})
    out = snaps.merge(plan.astype({"snap": "datetime64[ns]"}), on="snap", how="left")
    return out.fillna({c: 0 for c in [*COUNT_COLUMNS, "n_overdue"]}).astype(
        {c: "int64" for c in [*COUNT_COLUMNS, "n_overdue"]})


def _reference_status_mix(plan):
    long = plan.melt(id_vars="snap", value_vars=COUNT_COLUMNS, var_name="status", value_name="n")
    long = long.assign(status=long["status"].str.removeprefix("n_"))
    long = long.assign(label=long["status"].map(STATUS_LABELS), n=long["n"].astype("int64"))
    order = {k: i for i, k in enumerate(STATUS_KEYS)}
    return (long.assign(_o=long["status"].map(order)).sort_values(["snap", "_o"])
            .drop(columns="_o").reset_index(drop=True)[["snap", "status", "label", "n"]])


# ---------------------------------------------------------------- the plans


def _plan(engine, name):
    p = repository.resolve_plan(engine, name)
    tree = prepare_tree(repository.load_items(engine, p.id))
    updates = repository.load_updates(engine, p.id)
    return tree, updates, repository.default_as_of(updates)


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('gen') / 'g.db'}")
    made = generate_plan(engine, actions=400, months=18, seed=3)
    return _plan(engine, made.name)


def _filter_sets(tree):
    leaves = tree[tree["is_leaf"]]
    top = leaves["department"].dropna().astype(str).value_counts().index
    owner = leaves["owner"].dropna().astype(str).iloc[0]
    return [Filters(), Filters(department=(top[0],)), Filters(department=(top[-1],), smart=("M", "T")),
            Filters(smart=("S",), status=("on_track", "some_disruption")), Filters(strategy=("2",)),
            Filters(owner=(owner,)), Filters(text="data"), Filters(department=("no such department",))]


def _check(tree, updates, as_of):
    dates = trends.period_ends(updates, as_of, "quarter")
    one, many = leaf_states(tree, updates, [as_of], TH), leaf_states(tree, updates, dates, TH)
    for f in _filter_sets(tree):
        ref = _reference_rollup_many(tree, updates, [as_of], f, TH, one)
        table = rollup.rollup_table(tree, updates, as_of, f, TH, one)
        if ref is None:  # nothing selected: the previous empty frame path is unchanged
            assert (table["id"] != ROOT_ID).sum() == 0
            continue
        same(rollup.rollup_many(tree, updates, [as_of], f, TH, one), ref)
        same(table, _reference_decorate(ref, tree).drop(columns=["snap"]))
        # ... and the frame-by-frame path it replaced (decorate a rollup_many frame by position)
        same(table, rollup._decorate(rollup.rollup_many(tree, updates, [as_of], f, TH, one), tree)
             .drop(columns=["snap"]))
        rolled = rollup.rollup_many(tree, updates, dates, f, TH, many)
        same(rolled, _reference_rollup_many(tree, updates, dates, f, TH, many))
        plan = _reference_plan_rows(rolled, dates)
        same(trends.status_mix_over_time(tree, updates, dates, f, TH, rolled), _reference_status_mix(plan))
        same(trends.overdue_over_time(tree, updates, dates, f, TH, rolled),
             plan[["snap", "n_overdue"]].reset_index(drop=True))
        same(dashboard.heatmap_data(table), _reference_heatmap_data(table))
        for by in ("department", "owner"):
            same(dashboard.status_counts_by(table, by), _reference_status_counts_by(table, by))
        for by in ("department", "smart", "owner"):
            same(rollup.group_leaves(table, by), _reference_group_leaves(table, by))


@pytest.mark.parametrize("name", ["WeHo Smart City Strategic Plan 2018", "WeHoX Innovations Annual Report 2015"])
def test_page_paths_equal_the_previous_code_on_the_demo_plans(demo_engine, name):
    _check(*_plan(demo_engine, name))


def test_page_paths_equal_the_previous_code_on_a_generated_plan(generated):
    _check(*generated)


def test_a_tree_changed_after_a_roll_up_is_not_served_stale_filter_ids(generated):
    tree, updates, as_of = generated
    f = Filters(department=(tree.loc[tree["is_leaf"], "department"].dropna().iloc[0],))
    states = leaf_states(tree, updates, [as_of], TH)
    before = rollup.rollup_table(tree, updates, as_of, f, TH, states)
    other = tree.assign(department="Elsewhere", partners=None)  # a new tree object: its own memo
    after = rollup.rollup_table(other, updates, as_of, f, TH, states)
    assert (before["id"] != ROOT_ID).sum() > 0
    assert (after["id"] != ROOT_ID).sum() == 0


def _check_shared_trend(tree, updates, as_of):
    """One roll-up over the trend's and the forecast's dates gives what two roll-ups gave."""
    dates = trends.period_ends(updates, as_of, "quarter")
    for window in (90, 180, 365):
        shared = trends.shared_dates(dates, as_of, window)
        fdates = list(trends.forecast_dates(as_of, window))
        assert set(fdates) <= set(shared) and set(dates) <= set(shared)
        many, both = leaf_states(tree, updates, dates, TH), leaf_states(tree, updates, fdates, TH)
        every = leaf_states(tree, updates, shared, TH)
        for f in _filter_sets(tree):
            alone = trends.series(tree, updates, dates, f, TH, many)
            rolled = trends.series(tree, updates, shared, f, TH, every)
            same(trends.forecast(tree, updates, as_of, f, window_days=window, thresholds=TH, rolled=rolled),
                 trends.forecast(tree, updates, as_of, f, window_days=window, thresholds=TH, states=both))
            same(trends.progress_over_time(tree, updates, dates, f, "strategy", TH, rolled),
                 trends.progress_over_time(tree, updates, dates, f, "strategy", TH, alone))
            same(trends.status_mix_over_time(tree, updates, dates, f, TH, rolled),
                 trends.status_mix_over_time(tree, updates, dates, f, TH, alone))
            same(trends.overdue_over_time(tree, updates, dates, f, TH, rolled),
                 trends.overdue_over_time(tree, updates, dates, f, TH, alone))


@pytest.mark.parametrize("name", ["WeHo Smart City Strategic Plan 2018", "WeHoX Innovations Annual Report 2015"])
def test_one_shared_trend_roll_up_equals_two_on_the_demo_plans(demo_engine, name):
    _check_shared_trend(*_plan(demo_engine, name))


def test_one_shared_trend_roll_up_equals_two_on_a_generated_plan(generated):
    _check_shared_trend(*generated)


def _reference_leaf_mask(f, leaves):
    def any_(masks):
        out = None
        for m in masks:
            m = m.fillna(False).astype(bool)
            out = m if out is None else out | m
        return out

    mask = pd.Series(True, index=leaves.index)
    if f.strategy:
        paths = leaves["path_codes"].astype("string")
        mask &= any_(paths.str.contains(f"|{c}|", regex=False) for c in f.strategy)
    if f.department:
        depts = (leaves["department"].fillna("").astype("string") + " | "
                 + leaves["partners"].fillna("").astype("string"))
        mask &= any_(depts.str.contains(d, case=False, regex=False) for d in f.department)
    if f.owner:
        owners = leaves["owner"].fillna("").astype("string")
        mask &= any_(owners.str.contains(o, case=False, regex=False) for o in f.owner)
    if f.smart:
        tags = leaves["smart"].fillna("").astype("string")
        mask &= any_(tags.str.contains(s, regex=False) for s in f.smart)
    return mask.fillna(False).astype(bool)


def _reference_text_mask(f, leaves):
    if not f.text:
        return pd.Series(True, index=leaves.index)
    hay = (leaves["path_text"].fillna("").astype("string") + " "
           + leaves["description"].fillna("").astype("string") + " "
           + leaves["owner"].fillna("").astype("string"))
    return hay.str.contains(f.text, case=False, regex=False).fillna(False).astype(bool)


def _check_masks(tree):
    leaves = tree[tree["is_leaf"]]
    dept = leaves["department"].dropna().astype(str)
    partner = leaves["partners"].dropna().astype(str)
    more = [Filters(department=(dept.iloc[0].upper(), dept.iloc[-1][:4].lower())),
            Filters(department=(partner.iloc[0],) if len(partner) else ("x",), owner=("a", "zz")),
            Filters(strategy=("1", "3"), smart=("A",)), Filters(strategy=("1.2",)),
            Filters(text="THE"), Filters(text="é"), Filters(text="|")]
    for frame in (leaves, rollup._filter_leaves(tree), tree):
        for f in [*_filter_sets(tree), *more]:
            pd.testing.assert_series_equal(f.leaf_mask(frame), _reference_leaf_mask(f, frame), check_exact=True)
            pd.testing.assert_series_equal(f.text_mask(frame), _reference_text_mask(f, frame), check_exact=True)
            pd.testing.assert_series_equal(f.leaf_mask(frame), _reference_leaf_mask(f, frame), check_exact=True)


@pytest.mark.parametrize("name", ["WeHo Smart City Strategic Plan 2018", "WeHoX Innovations Annual Report 2015"])
def test_filter_masks_equal_the_previous_code_on_the_demo_plans(demo_engine, name):
    _check_masks(_plan(demo_engine, name)[0])


def test_filter_masks_equal_the_previous_code_on_a_generated_plan(generated):
    _check_masks(generated[0])
