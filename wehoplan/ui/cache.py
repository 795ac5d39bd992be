"""Cached database access for the pages.

Plan frames live in ``st.cache_resource`` (one shared, read-only object; pandas
copy-on-write makes that safe) keyed by database URL, plan and the data version,
which every write bumps: a filter change never reloads the database, a write
is seen on the next rerun.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass

import pandas as pd
import streamlit as st
from sqlalchemy import Engine

from wehoplan import repository
from wehoplan.config import load_config
from wehoplan.db import SchemaError, create_schema, database_problem, make_engine
from wehoplan.rollup import (
    PreparedTree,
    PreparedUpdates,
    Thresholds,
    first_completed,
    leaf_states,
    prepare_tree,
    prepare_updates,
)


@dataclass(frozen=True)
class PlanFrames:
    """Read-only frames of one plan: the prepared tree and all its updates (also as leaf arrays)."""

    plan: repository.PlanInfo
    tree: PreparedTree
    updates: pd.DataFrame
    version: int
    prepared: PreparedUpdates  # the updates' as-of lookup arrays, made once per data version


_LOOKUPS = "_wehoplan_lookups"  # session state: this session's recent answers of the cached functions below
_LOOKUPS_KEPT = 64  # entries; the dict starts again beyond


def remembered(cached, key: tuple, *unhashed):
    """``cached(*key, *unhashed)`` of an ``st.cache_resource`` function, answered from this session when it can.

    A cached call hashes every argument with Streamlit's hasher: 0.1-0.25 ms a look-up,
    seven or eight of them per rerun of a dashboard page. A session asks the same questions
    rerun after rerun, so it remembers the answers by their key (``unhashed``: the arguments
    the cache does not hash either). It keeps only a weak reference to an answer that takes
    one, so the cache alone decides how long a plan's frames live: an idle session keeps
    nothing alive, and an answer the cache let go is asked for again. A small answer that
    takes no weak reference (a tuple, None) is kept itself. Outside a script run (the
    command line, tests in bare mode), the cache is asked every time.
    """
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    if get_script_run_ctx(suppress_warning=True) is None:
        return cached(*key, *unhashed)
    memo = st.session_state.get(_LOOKUPS)
    if memo is None:
        memo = st.session_state[_LOOKUPS] = {}  # one dict, changed in place (no session-state write per rerun)
    k = (cached, *key)
    hit = memo.get(k)
    if hit is not None:
        value = hit() if isinstance(hit, weakref.ref) else hit[0]
        if value is not None or not isinstance(hit, weakref.ref):
            return value
    value = cached(*key, *unhashed)
    if len(memo) >= _LOOKUPS_KEPT:
        memo.clear()
    try:
        memo[k] = weakref.ref(value)
    except TypeError:
        memo[k] = (value,)
    return value


def database_url() -> str:
    """Return the configured database URL (WEHOPLAN_DATABASE_URL or data/wehoplan.db)."""
    return load_config().database_url


@st.cache_resource(show_spinner=False)
def _engine(url: str) -> Engine:
    # A damaged, read-only or foreign file is named as such, before SQLite's own error (or an
    # attempt to create tables in it) can reach the page as a traceback.
    problem = database_problem(url, on_page=True)
    if problem:
        st.error(problem[0].upper() + problem[1:])
        st.stop()
    engine = make_engine(url)
    try:
        create_schema(engine)
    except SchemaError as exc:  # an older/newer/foreign schema: one line naming the command, no traceback
        st.error(str(exc))
        st.stop()
    return engine


def engine() -> Engine:
    """Return the shared engine of the configured database (schema created if missing)."""
    return remembered(_engine, (database_url(),))


_VERSION_SQL = "SELECT value FROM meta WHERE key = 'data_version'"  # wehoplan.db.data_version's query


def version() -> int:
    """Return the database's current data version (cheap: one indexed read; -1 if there is no schema)."""
    return read_version(engine())


def read_version(eng: Engine) -> int:
    """:func:`wehoplan.db.data_version`'s query and answer, on the pool's DBAPI connection directly.

    Every rerun of every page reads it, and SQLAlchemy's statement and result layers cost
    four times the read itself.
    """
    try:
        conn = eng.raw_connection()
        try:
            cur = conn.cursor()
            cur.execute(_VERSION_SQL)
            row = cur.fetchone()
            cur.close()
        finally:
            conn.close()  # back to the pool (rolled back, as a closed Connection is)
    except Exception:
        return -1
    return int(row[0]) if row is not None and row[0] is not None else -1


@st.cache_resource(show_spinner=False, max_entries=8)
def _plans(url: str, version: int) -> pd.DataFrame:
    return repository.list_plans(_engine(url))


def plans(at_version: int | None = None) -> pd.DataFrame:
    """All plans (id, name, is_demo, n_items, latest_update); ``at_version``: the data version already read."""
    return remembered(_plans, (database_url(), version() if at_version is None else at_version))


def release_free_memory() -> None:
    """Hand the memory freed so far back to the system (Arrow's pool, and glibc's heaps where it runs).

    A server's reruns run in threads, and glibc keeps what a thread's arena freed for that arena:
    after a county plan's load or trend, hundreds of MB freed by one run stayed in the process
    while the next run allocated anew. Nothing else changes: no object is touched.
    """
    try:
        import pyarrow as pa

        pa.default_memory_pool().release_unused()
    except ImportError:  # pragma: no cover - pyarrow is a dependency
        pass
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


def _libc():
    import ctypes
    import ctypes.util
    import sys

    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc if hasattr(libc, "malloc_trim") else None  # glibc only (not musl)
    except OSError:
        return None


_LIBC = _libc()


@st.cache_resource(show_spinner="Loading the plan…", max_entries=8)
def _frames(url: str, plan_name: str, version: int) -> PlanFrames:
    eng = _engine(url)
    plan = repository.resolve_plan(eng, plan_name)
    items = repository.load_items(eng, plan.id)
    updates = repository.load_updates(eng, plan.id)
    tree = prepare_tree(items)
    frames = PlanFrames(plan=plan, tree=tree, updates=updates, version=version,
                        prepared=prepare_updates(tree, updates))
    release_free_memory()  # the load's and preparation's temporaries
    return frames


def plan_frames(plan_name: str, at_version: int | None = None) -> PlanFrames:
    """Return the named plan's frames, loaded once per data version (``at_version``: already read)."""
    return remembered(_frames, (database_url(), plan_name, version() if at_version is None else at_version))


# ---------------------------------------------------------------- filter-independent work
# A filter change reruns the page with the same plan, date and data version: the as-of
# state of every leaf (a lookup over all updates) and the first
# completion dates do not change, so they are computed once per (plan, version, dates)
# and the rerun only selects and aggregates the filtered leaves. Same objects for every
# session (read-only; pandas copy-on-write protects them).


@st.cache_resource(show_spinner=False, max_entries=8)
def _leaf_states(url: str, plan_name: str, version: int, dates: tuple[pd.Timestamp, ...],
                 th: tuple[int, int], _frames: PlanFrames) -> pd.DataFrame:
    return leaf_states(_frames.tree, _frames.prepared, list(dates), Thresholds(*th))


# A series' states hold one row per leaf and date: a county plan's trend over 60 month-ends is
# about as large as its whole history. The last two series are kept (the trend's last two
# choices) while both fit SERIES_ROWS rows of (leaf x date); beyond that only the newest, and the
# older one is let go before the new one is computed, so the two are never held at once.
SERIES_DATES = 3
SERIES_ROWS = 4_000_000


class _Series:
    """The series states of a database (any plan, version, thresholds), in order of use: at most two."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.kept: OrderedDict[tuple, pd.DataFrame] = OrderedDict()

    def get(self, key: tuple, rows: int, make) -> pd.DataFrame:
        with self.lock:  # sessions are threads: one computation of a series at a time
            if key in self.kept:
                self.kept.move_to_end(key)
                return self.kept[key]
            while self.kept and (len(self.kept) >= 2 or rows + sum(map(len, self.kept.values())) > SERIES_ROWS):
                self.kept.popitem(last=False)
            if rows >= SERIES_ROWS // 4:  # a long series: what earlier runs freed goes back first
                release_free_memory()
            self.kept[key] = states = make()
            return states


@st.cache_resource(show_spinner=False, max_entries=4)
def _series(url: str) -> _Series:
    return _Series()


def _series_states(url: str, plan_name: str, version: int, dates: tuple[pd.Timestamp, ...],
                   th: tuple[int, int], _frames: PlanFrames) -> pd.DataFrame:
    return _series(url).get(
        (plan_name, version, dates, th), len(_frames.tree.leaf_arrays[0]) * len(dates),
        lambda: leaf_states(_frames.tree, _frames.prepared, list(dates), Thresholds(*th)))


def leaf_states_at(frames: PlanFrames, dates, thresholds: Thresholds) -> pd.DataFrame:
    """Unfiltered :func:`wehoplan.rollup.leaf_states` of the plan at ``dates``, cached per data version.

    The ``states`` stage of ``roll_up`` / ``roll_up_many`` / ``trends.page_data`` for
    these dates and thresholds. A few dates (a page's as-of date, a comparison) are kept
    for eight choices; a series of :data:`SERIES_DATES` or more dates for two while both
    fit :data:`SERIES_ROWS` rows, else for one.
    """
    days = tuple(pd.Timestamp(d) for d in dates)
    key = (database_url(), frames.plan.name, frames.version, days, (thresholds.due_soon_days, thresholds.stale_days))
    if len(days) >= SERIES_DATES:  # (a series' own store keeps count of its uses: asked every time)
        return _series_states(*key, frames)
    return remembered(_leaf_states, key, frames)


@st.cache_resource(show_spinner=False, max_entries=8)
def _first_completed(url: str, plan_name: str, version: int, as_of: pd.Timestamp,
                     _frames: PlanFrames) -> pd.Series:
    return first_completed(_frames.updates, as_of)


def first_completed_at(frames: PlanFrames, as_of) -> pd.Series:
    """:func:`wehoplan.rollup.first_completed` of the plan at ``as_of``, cached per data version."""
    return remembered(_first_completed, (database_url(), frames.plan.name, frames.version, pd.Timestamp(as_of)), frames)


@st.cache_resource(show_spinner=False, max_entries=8)
def _default_as_of(url: str, plan_name: str, version: int, today: dt.date, _frames: PlanFrames) -> pd.Timestamp:
    return repository.default_as_of(_frames.updates, _frames.tree.frame, today)


def default_as_of(frames: PlanFrames) -> pd.Timestamp:
    """GUIDE §3's default as-of date of the plan, cached per data version and day.

    It scans every update for those of live items, too much for every rerun of a page.
    """
    return _default_as_of(database_url(), frames.plan.name, frames.version, dt.date.today(), frames)


@dataclass(frozen=True)
class ItemChoices:
    """The Edit Plan page's item pickers: every item of the plan, archived ones included (read-only)."""

    label: dict[int, str]  # id -> "code · title" (" (archived)" appended)
    active_ids: list[int]  # live items, in outline order
    version: dict[int, int]  # id -> the item's version (the page's optimistic-concurrency check)
    archived: frozenset[int]


@st.cache_resource(show_spinner=False, max_entries=4)
def _item_choices(url: str, plan_id: int, version: int) -> ItemChoices:
    items = repository.load_items(_engine(url), plan_id, include_archived=True)
    suffix = items["archived"].map({True: " (archived)", False: ""})
    ids = [int(i) for i in items["id"]]
    return ItemChoices(
        label=dict(zip(ids, items["code"] + " · " + items["title"] + suffix, strict=True)),
        active_ids=[int(i) for i in items.loc[~items["archived"], "id"]],
        version={i: int(v) for i, v in zip(ids, items["version"], strict=True)},
        archived=frozenset(int(i) for i in items.loc[items["archived"], "id"]),
    )


def item_choices(plan_id: int) -> ItemChoices:
    """Every item of the plan (archived too) for the editing pickers, read once per data version.

    Any write changes the data version, so the versions here are as fresh as a new read;
    a 10k-item plan's read and labels cost every rerun of Edit Plan otherwise.
    """
    return _item_choices(database_url(), plan_id, version())


@st.cache_resource(show_spinner=False, max_entries=16)
def _bulk_base(url: str, plan_name: str, version: int, ids: str, today: dt.date,
               _found: pd.DataFrame, _updates: pd.DataFrame) -> pd.DataFrame:
    from wehoplan.editing.frames import bulk_editor_frame

    return bulk_editor_frame(_found, _updates, today)


def bulk_base(frames: PlanFrames, found: pd.DataFrame, today: dt.date) -> pd.DataFrame:
    """Update Progress's bulk-editor rows of ``found``, built once per data version, day and selection.

    The selection (who may report on what, the owner, the search) is keyed by its item ids;
    every new session otherwise scanned the whole history again on its first run.
    Read-only: the editor returns a new frame.
    """
    ids = hashlib.sha256(found["id"].to_numpy(dtype="int64").tobytes()).hexdigest()
    return _bulk_base(database_url(), frames.plan.name, frames.version, ids, today, found, frames.updates)
