"""The pages' cache (wehoplan.ui.cache): the same states as the library, and a bounded number of series kept."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

from wehoplan import repository, rollup
from wehoplan.config import load_config
from wehoplan.db import make_engine
from wehoplan.demo import SMART_CITY
from wehoplan.ui import cache


@pytest.fixture
def frames(monkeypatch, demo_url):
    monkeypatch.setenv("WEHOPLAN_DATABASE_URL", demo_url)
    warnings.filterwarnings("ignore", message=".*ScriptRunContext.*")
    return cache.plan_frames(SMART_CITY)


def _month_ends(end: str, n: int) -> list[pd.Timestamp]:
    return list(pd.date_range(end=end, periods=n, freq="ME"))


def test_cached_states_are_the_library_states_for_one_date_and_for_a_series(frames, demo_url):
    engine = make_engine(demo_url)
    plan = repository.resolve_plan(engine, SMART_CITY)
    tree = rollup.prepare_tree(repository.load_items(engine, plan.id))
    updates = repository.load_updates(engine, plan.id)
    th = rollup.Thresholds.from_config(load_config())
    for dates in ([pd.Timestamp("2020-10-15")], _month_ends("2020-10-31", 2), _month_ends("2020-12-31", 24)):
        pd.testing.assert_frame_equal(cache.leaf_states_at(frames, dates, th),
                                      rollup.leaf_states(tree, updates, dates, th))


def test_only_the_last_two_series_are_kept_while_single_dates_stay(frames):
    th = rollup.Thresholds()
    series = [_month_ends(end, 12) for end in ("2019-12-31", "2020-06-30", "2020-12-31")]
    first = cache.leaf_states_at(frames, series[0], th)
    assert cache.leaf_states_at(frames, series[0], th) is first  # a rerun with the same choice: cached
    days = [[pd.Timestamp(d)] for d in ("2020-01-15", "2020-02-15", "2020-03-15")]
    one = cache.leaf_states_at(frames, days[0], th)
    for dates in (*series[1:], *days[1:]):
        cache.leaf_states_at(frames, dates, th)
    # A county plan's series is as large as its history: a third one evicts the first ...
    again = cache.leaf_states_at(frames, series[0], th)
    assert again is not first
    pd.testing.assert_frame_equal(again, first)
    # ... while the pages' single dates keep their eight entries.
    assert cache.leaf_states_at(frames, days[0], th) is one


def test_a_county_sized_series_lets_the_previous_one_go_before_it_is_computed(frames, monkeypatch):
    """Two series above SERIES_ROWS rows are never held at once; each is still the library's states."""
    th = rollup.Thresholds()
    n_leaves = len(frames.tree.leaf_arrays[0])
    monkeypatch.setattr(cache, "SERIES_ROWS", n_leaves * 12 + n_leaves * 6 - 1)  # a 12- and a 6-date series: too many
    series = [_month_ends("2020-12-31", 12), _month_ends("2020-06-30", 6)]
    first = cache.leaf_states_at(frames, series[0], th)
    held = []
    made = rollup.leaf_states

    def watch(*args):  # what the cache still holds while the next series is computed
        held.append(list(cache._series(cache.database_url()).kept))
        return made(*args)

    monkeypatch.setattr(cache, "leaf_states", watch)
    second = cache.leaf_states_at(frames, series[1], th)
    assert held == [[]]  # the 12-date series was let go first
    pd.testing.assert_frame_equal(second, made(frames.tree, frames.updates, series[1], th))
    assert cache.leaf_states_at(frames, series[1], th) is second
    again = cache.leaf_states_at(frames, series[0], th)
    assert again is not first
    pd.testing.assert_frame_equal(again, first)


def test_freed_memory_goes_back_before_a_long_series_is_computed(frames, monkeypatch):
    th = rollup.Thresholds()
    n_leaves = len(frames.tree.leaf_arrays[0])
    monkeypatch.setattr(cache, "SERIES_ROWS", n_leaves * 16)  # a quarter of it: 4 dates
    events = []
    monkeypatch.setattr(cache, "release_free_memory", lambda: events.append("release"))
    made = rollup.leaf_states
    monkeypatch.setattr(cache, "leaf_states", lambda *a: events.append("states") or made(*a))
    long_one = cache.leaf_states_at(frames, _month_ends("2020-12-31", 12), th)
    assert events == ["release", "states"]
    events.clear()
    cache.leaf_states_at(frames, _month_ends("2020-12-31", 3), th)  # a short series: nothing to hand back
    assert events == ["states"]
    monkeypatch.undo()
    cache.release_free_memory()  # the real one: harmless, the states are untouched
    pd.testing.assert_frame_equal(long_one, made(frames.tree, frames.updates, _month_ends("2020-12-31", 12), th))


class _Big:
    """An answer that takes a weak reference (as a plan's frames do)."""


def test_a_session_remembers_the_caches_answers_but_keeps_nothing_alive(monkeypatch):
    """A rerun's repeat look-ups skip Streamlit's hashing; what the cache let go is asked for again."""
    import gc

    import streamlit as st
    from streamlit.runtime.scriptrunner_utils import script_run_context

    monkeypatch.setattr(script_run_context, "get_script_run_ctx", lambda **_: object())
    monkeypatch.setattr(st, "session_state", {})
    asked: list[tuple] = []
    held: dict[tuple, object] = {}  # what "the cache" holds

    def cached(*key):
        asked.append(key)
        if key[0] == "small":
            return None
        return held.setdefault(key, _Big())

    big = cache.remembered(cached, ("url", 1))
    assert cache.remembered(cached, ("url", 1)) is big and asked == [("url", 1)]
    assert cache.remembered(cached, ("url", 2)) is not big and len(asked) == 2  # another key: asked
    assert cache.remembered(cached, ("small",)) is None and cache.remembered(cached, ("small",)) is None
    assert asked.count(("small",)) == 1  # an answer without weak references (None) is kept itself
    held.clear()  # the cache lets its entries go (evicted, cleared) ...
    del big
    gc.collect()
    again = cache.remembered(cached, ("url", 1))  # ... and the session's memory did not keep them alive
    assert asked.count(("url", 1)) == 2 and isinstance(again, _Big)
    monkeypatch.setattr(script_run_context, "get_script_run_ctx", lambda **_: None)
    cache.remembered(cached, ("url", 1))  # outside a script run: the cache is asked every time
    assert asked.count(("url", 1)) == 3
