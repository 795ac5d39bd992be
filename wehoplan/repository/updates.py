"""Progress updates as frames: the whole history, the latest state, the default as-of date."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from wehoplan.repository.items import live_item_ids
from wehoplan.repository.readers import Query, Reader, read_frame, read_frames, reader_for

UPDATE_COLUMNS = ["id", "item_id", "as_of", "status", "progress", "comment", "author", "source",
                  "batch_id", "created_at"]
_UPDATE_DATES = ("as_of", "created_at")
UPDATE_SELECT = ("u.id, u.item_id, u.as_of, u.status, u.progress, u.comment, u.author, u.source, "
                 "u.batch_id, u.created_at")
# From this many updates (the highest id: an estimate without a scan) the Arrow reader of a SQLite
# file fetches the history a few columns at a time: the driver's result is one allocation, freed
# only when no column of it is referenced, so one result of every column (its dates' ISO text
# included) plus the copy that frees it was the cold load's peak. Each group is copied out of its
# result (the driver's buffers are larger than their contents), which is then freed: the numbers,
# the batch ids, the dates (parsed), and the text columns.
SPLIT_ROWS = 1_000_000
COLUMN_GROUPS = (("id", "item_id", "progress"), ("batch_id",), ("as_of", "created_at"), ("status",),
                 ("author", "source"), ("comment",))

# The plan's share of the items, and the highest update id (how long the history is, read in the same query).
PLAN_SHARE = ("SELECT SUM(CASE WHEN plan_id = :plan_id THEN 1 ELSE 0 END), COUNT(*), (SELECT MAX(id) FROM updates) "
              "FROM items")
PLAN_ITEM_IDS = "SELECT id FROM items WHERE plan_id = :plan_id"
ALL_UPDATES = f"SELECT {UPDATE_SELECT} FROM updates u"
PLAN_UPDATES = (f"SELECT {UPDATE_SELECT} FROM updates u "
                "WHERE u.item_id IN (SELECT id FROM items WHERE plan_id = :plan_id)")
# GUIDE §3: the default as-of date counts the live items only: walk down from the top
# level through items that are not archived (an archived item hides its whole subtree).
# CROSS JOIN keeps SQLite's planner on "each live item, then its children by index"
# (some SQLite versions otherwise scan the live set once per item); other databases
# read it as a plain join.
LIVE_LATEST = """
    WITH RECURSIVE live(id) AS (
        SELECT id FROM items WHERE plan_id = :plan_id AND parent_id IS NULL AND NOT archived
        UNION ALL
        SELECT i.id FROM live CROSS JOIN items i
        WHERE i.plan_id = :plan_id AND i.parent_id = live.id AND NOT i.archived
    )
    SELECT MAX(u.as_of) FROM updates u WHERE u.item_id IN (SELECT id FROM live)
"""
# Per item, its latest update(s) on or before :day and its latest commented update(s).
# A comment is blank when only what :blank_chars lists is in it.
LATEST = f"""
    WITH pi AS (SELECT id FROM items WHERE plan_id = :plan_id),
    l AS (SELECT item_id, MAX(as_of) AS d FROM updates
          WHERE item_id IN (SELECT id FROM pi) AND as_of <= :day GROUP BY item_id),
    c AS (SELECT item_id, MAX(as_of) AS d FROM updates
          WHERE item_id IN (SELECT id FROM pi) AND as_of <= :day AND comment IS NOT NULL
            AND TRIM(comment, :blank_chars) <> ''
          GROUP BY item_id)
    SELECT {UPDATE_SELECT} FROM updates u JOIN l ON u.item_id = l.item_id AND u.as_of = l.d
    UNION
    SELECT {UPDATE_SELECT} FROM updates u JOIN c ON u.item_id = c.item_id AND u.as_of = c.d
"""
# What Python's str.strip() removes of the characters a comment cell holds in practice
# (the roll-up calls a comment blank with strip()).
BLANK_CHARS = " \t\n\r"


def _updates_query(statement: str, params: Mapping[str, object] | None = None) -> Query:
    return Query(statement, tuple(UPDATE_COLUMNS), params or {}, dates=_UPDATE_DATES)


def _finish_updates(df: pd.DataFrame) -> pd.DataFrame:
    """One set of dtypes and one order (as_of, id) whichever reader fetched the rows."""
    df = df.assign(
        id=df["id"].astype("int64"),
        item_id=df["item_id"].astype("int64"),
        status=df["status"].astype("str"),
        progress=df["progress"].astype("float64"),
        comment=df["comment"].astype("str"),
        author=df["author"].astype("str"),
        source=df["source"].astype("str"),
        batch_id=pd.array(df["batch_id"], dtype="Int64") if len(df) else df["batch_id"].astype("Int64"),
    )[UPDATE_COLUMNS]
    key_date = df["as_of"].to_numpy()
    key_id = df["id"].to_numpy()
    # Rows usually arrive in date order already (they are appended over time): skip the sort then.
    if len(df) > 1 and not (
        (key_date[1:] > key_date[:-1]) | ((key_date[1:] == key_date[:-1]) & (key_id[1:] > key_id[:-1]))
    ).all():
        df = df.take(np.lexsort((key_id, key_date)))
    return df.reset_index(drop=True)


def _plan_share(engine: Engine, plan_id: int, reader: Reader) -> tuple[float, int]:
    """Share of all items that belong to the plan (decides scan or index), and the highest update id (0: none)."""
    row = read_frame(engine, Query(PLAN_SHARE, ("mine", "everything", "highest"), {"plan_id": plan_id}), reader)
    mine, everything, highest = row.iloc[0]
    return (float(mine or 0) / everything if everything else 0.0), (0 if pd.isna(highest) else int(highest))


def load_updates(engine: Engine, plan_id: int, reader: Reader | None = None) -> pd.DataFrame:
    """Every progress update of the plan's items, oldest first (ties: in the order recorded).

    A plan holding most of the database is read fastest by one plain table scan, then
    filtered by the plan's item ids read in the same snapshot; a small plan in a big
    database through the index. The reader says where the line is
    (:attr:`~wehoplan.repository.readers.Reader.scan_share`); the rows are the same.
    """
    reader = reader or reader_for(engine)
    params = {"plan_id": plan_id}
    share, highest = _plan_share(engine, plan_id, reader) if reader.scan_share is not None else (None, None)
    scan = share is not None and reader.scan_share is not None and share >= reader.scan_share
    if _in_groups(engine, reader, highest, 1.0 if scan or share is None else share):
        where = "" if scan else " WHERE u.item_id IN (SELECT id FROM items WHERE plan_id = :plan_id)"
        # ORDER BY the rowid: every group's rows in one order (a plain scan, no sort, on SQLite).
        groups = [Query(f"SELECT {', '.join('u.' + c for c in cols)} FROM updates u{where} ORDER BY u.id", cols,
                        {} if scan else params, dates=tuple(c for c in cols if c in _UPDATE_DATES), own=True)
                  for cols in COLUMN_GROUPS]
        frames = read_frames(engine, *([Query(PLAN_ITEM_IDS, ("id",), params)] if scan else []), *groups,
                             reader=reader)
        parts = frames[1:] if scan else frames
        if len({len(f) for f in parts}) != 1:  # one snapshot: cannot happen; never join rows by position if it did
            raise RuntimeError("the history's column groups came back with different row counts")
        df = pd.concat(parts, axis=1)
        ids = frames[0] if scan else None
    elif scan:
        ids, df = read_frames(engine, Query(PLAN_ITEM_IDS, ("id",), params), _updates_query(ALL_UPDATES),
                              reader=reader)
    else:
        ids, df = None, read_frame(engine, _updates_query(PLAN_UPDATES, params), reader)
    if ids is not None:
        mine = df["item_id"].isin(ids["id"])
        if len(df) and not mine.all():
            df = df[mine]
    return _finish_updates(df)


def _in_groups(engine: Engine, reader: Reader, highest: int | None, share: float) -> bool:
    """Whether the history is read in :data:`COLUMN_GROUPS` (a long history through Arrow from a SQLite file).

    ``highest``: the highest update id (None: not read yet); ``share``: the part of the table
    read (1 for a scan; the plan's share of the items through the index).
    """
    from wehoplan.repository.readers import ArrowSQLiteReader

    if not isinstance(reader, ArrowSQLiteReader):
        return False
    if highest is None:
        highest = int(read_frame(engine, Query("SELECT MAX(id) FROM updates", ("n",)), reader)["n"].fillna(0).iloc[0])
    return highest * share >= SPLIT_ROWS


def plan_default_as_of(engine: Engine, plan_id: int, today: dt.date | None = None,
                       reader: Reader | None = None) -> pd.Timestamp:
    """GUIDE §3 default as-of date computed in SQL (same answer as :func:`default_as_of`).

    The date of the latest update of the plan's live items (neither archived nor under an
    archived item), or today if that is earlier or there is none.
    """
    latest = read_frame(engine, Query(LIVE_LATEST, ("latest",), {"plan_id": plan_id}, dates=("latest",)),
                        reader)["latest"].iloc[0]
    today_ts = pd.Timestamp(today or dt.date.today())
    return today_ts if pd.isna(latest) else min(pd.Timestamp(latest), today_ts)


def load_latest_updates(engine: Engine, plan_id: int, as_of=None, reader: Reader | None = None) -> pd.DataFrame:
    """Load just the updates a roll-up on ``as_of`` needs.

    For every item: its latest update(s) on or before ``as_of`` and its latest
    commented update(s).
    ``rollup.rollup_table(tree, load_latest_updates(e, p, d), d)`` equals the roll-up on
    the full history (tests pin it), at a fraction of the rows: the home page needs no
    history. ``as_of`` None means :func:`plan_default_as_of`. Same columns and dtypes
    as :func:`load_updates`.
    """
    reader = reader or reader_for(engine)
    if as_of is None:
        as_of = plan_default_as_of(engine, plan_id, reader=reader)
    day = pd.Timestamp(as_of).date().isoformat()
    params = {"plan_id": plan_id, "day": day, "blank_chars": BLANK_CHARS}
    return _finish_updates(read_frame(engine, _updates_query(LATEST, params), reader))


def latest_update_date(updates: pd.DataFrame) -> pd.Timestamp | None:
    """Date of the newest update, or None when there are none."""
    return None if updates.empty else updates["as_of"].max()


def default_as_of(updates: pd.DataFrame, items: pd.DataFrame, today: dt.date | None = None) -> pd.Timestamp:
    """GUIDE §3: the date of the latest update of the plan's live items, or today if that is earlier.

    Args:
        updates: the plan's updates (:func:`load_updates`).
        today: the date to cap at (default: today).
        items: the plan's items (:func:`load_items`) or a prepared tree's frame; updates of
            archived items and of items under an archived item do not count. Required, so
            no caller can forget the rule.

    """
    days = updates["as_of"]
    if not updates.empty:
        # Only the date column is filtered: a filtered copy of the whole history (every text
        # column) doubled the memory of a county-sized plan for one date.
        live = updates["item_id"].isin(live_item_ids(items)).to_numpy()
        if not live.all():
            days = days[live]
    today_ts = pd.Timestamp(today or dt.date.today())
    latest = None if days.empty else days.max()
    return today_ts if latest is None or pd.isna(latest) else min(latest, today_ts)
