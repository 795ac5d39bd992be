"""Readers that turn the database into DataFrames, and writers that keep the audit trail.

Readers fetch rows with one SQL statement each and build the frame column-wise:
building frames from ORM objects row by row is orders of magnitude slower.
"""

from __future__ import annotations

import atexit
import datetime as dt
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import numpy as np
import pandas as pd
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from wehoplan.db import READ_LOCK, bump_data_version, checkpoint
from wehoplan.domain import DEFAULT_LEVEL_NAMES
from wehoplan.models import Audit, Department, Person, Plan


class PlanNotFound(LookupError):
    """No plan, or more than one, matches what the user typed."""


ITEM_COLUMNS = [
    "id", "parent_id", "code", "level", "title", "description", "owner", "sponsor",
    "department", "partners", "smart", "start", "due", "weight", "priority",
    "funding_source", "item_type", "track", "depends_on", "archived", "sort_order", "version",
]
UPDATE_COLUMNS = ["id", "item_id", "as_of", "status", "progress", "comment", "author", "source",
                  "batch_id", "created_at"]


@dataclass(frozen=True)
class PlanInfo:
    """What the pages and the CLI need to know about a plan besides its tree."""

    id: int
    name: str
    level_names: tuple[str, ...]
    is_demo: bool
    source_note: str | None


def list_plans(engine: Engine) -> pd.DataFrame:
    """All plans with item counts and their latest update date, by name."""
    sql = """
        SELECT p.id, p.name, p.is_demo,
               (SELECT COUNT(*) FROM items i WHERE i.plan_id = p.id AND NOT i.archived) AS n_items,
               (SELECT MAX(u.as_of) FROM updates u JOIN items i ON i.id = u.item_id
                 WHERE i.plan_id = p.id) AS latest_update
        FROM plans p ORDER BY p.name
    """
    with engine.connect() as conn:
        rows = conn.execute(text(sql)).all()
    df = pd.DataFrame(rows, columns=["id", "name", "is_demo", "n_items", "latest_update"])
    return df.assign(latest_update=pd.to_datetime(df["latest_update"]).astype("datetime64[ns]"))


def resolve_plan(engine: Engine, name: str | None) -> PlanInfo:
    """Find a plan by exact name or a unique case-insensitive part of it.

    ``name`` may be None when the database holds exactly one plan.

    Raises:
        PlanNotFound: nothing, or more than one plan, matches; the message lists the plans.

    """
    plans = list_plans(engine)
    names = plans["name"].tolist()
    if not names:
        raise PlanNotFound("the database holds no plan yet: run `python -m wehoplan init-demo` or import one")
    if name is None:
        if len(names) == 1:
            match = names[0]
        else:
            raise PlanNotFound("several plans exist, choose one with --plan: " + "; ".join(names))
    elif name in names:
        match = name
    else:
        hits = [n for n in names if name.casefold() in n.casefold()]
        if len(hits) != 1:
            why = "no plan matches" if not hits else "several plans match"
            raise PlanNotFound(f"{why} {name!r}; plans: " + "; ".join(names))
        match = hits[0]
    with Session(engine) as s:
        p = s.scalars(select(Plan).where(Plan.name == match)).one()
        return PlanInfo(
            id=p.id,
            name=p.name,
            level_names=tuple(p.level_names.split(";")) if p.level_names else DEFAULT_LEVEL_NAMES,
            is_demo=bool(p.is_demo),
            source_note=p.source_note,
        )


def _dates(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s, errors="coerce").astype("datetime64[ns]")


def load_items(engine: Engine, plan_id: int, include_archived: bool = False) -> pd.DataFrame:
    """The plan's items in outline order, with names resolved (owner, department, partners)."""
    sql = """
        SELECT i.id, i.parent_id, i.code, i.level, i.title, i.description,
               o.name AS owner, sp.name AS sponsor, d.name AS department,
               (SELECT GROUP_CONCAT(pd.name, '; ') FROM item_partner_departments x
                  JOIN departments pd ON pd.id = x.department_id WHERE x.item_id = i.id) AS partners,
               i.smart, i.start, i.due, i.weight, i.priority, i.funding_source, i.item_type,
               i.track, i.depends_on, i.archived, i.sort_order, i.version
        FROM items i
        LEFT JOIN people o ON o.id = i.owner_id
        LEFT JOIN people sp ON sp.id = i.sponsor_id
        LEFT JOIN departments d ON d.id = i.lead_department_id
        WHERE i.plan_id = :plan_id
    """
    if engine.dialect.name == "postgresql":
        sql = sql.replace("GROUP_CONCAT(pd.name, '; ')", "STRING_AGG(pd.name, '; ')")
    df = None
    path = _sqlite_file(engine)
    if path is not None:
        try:
            (table,) = _fetch_arrow(engine, path, (sql.replace(":plan_id", "?"), (plan_id,)))
            # Built column by column from Python values, so pandas infers exactly the
            # dtypes it infers from SQLAlchemy rows (all-NULL text stays object/None).
            df = pd.DataFrame({c: table.column(k).to_pylist() for k, c in enumerate(ITEM_COLUMNS)},
                              columns=ITEM_COLUMNS)
        except _adbc_errors():
            df = None
    if df is None:
        with engine.connect() as conn:
            rows = conn.execute(text(sql), {"plan_id": plan_id}).all()
        df = pd.DataFrame(rows, columns=ITEM_COLUMNS)
    df = df.assign(
        id=df["id"].astype("int64"),
        parent_id=df["parent_id"].astype("Int64"),
        start=_dates(df["start"]),
        due=_dates(df["due"]),
        weight=df["weight"].astype("float64"),
        archived=df["archived"].astype(bool),
        smart=df["smart"].fillna(""),
    )
    if not include_archived:
        df = df[~df["archived"]]
    return df.sort_values(["sort_order", "id"], kind="stable").reset_index(drop=True)


UPDATE_SELECT = ("u.id, u.item_id, u.as_of, u.status, u.progress, u.comment, u.author, u.source, "
                 "u.batch_id, u.created_at")


def _adbc_errors() -> tuple[type[BaseException], ...]:
    """Return what a failed ADBC read raises (then the SQLAlchemy path answers instead)."""
    from adbc_driver_manager import Error

    return (Error, OSError)


def _sqlite_file(engine: Engine) -> str | None:
    """Path of the SQLite file behind ``engine`` when the ADBC fast path can read it, else None."""
    if engine.dialect.name != "sqlite":
        return None
    db = engine.url.database
    if not db or db == ":memory:" or db.startswith("file:"):
        return None
    try:
        import adbc_driver_sqlite.dbapi  # noqa: F401 - optional: only the fast path needs it
    except ImportError:
        return None
    return db if USE_ADBC and Path(db).exists() else None


# ADBC links its own copy of SQLite. Two copies in one process do not share SQLite's
# per-process bookkeeping of file locks, and closing a file in one copy drops the POSIX
# locks the other holds; a read-write ADBC connection closing as the "last" one also
# checkpoints and deletes the WAL under the other copy's feet (measured: "disk I/O
# error" / "database disk image is malformed" within 30 alternations). So ADBC only
# ever opens the file read-only (it never checkpoints, never deletes the WAL) and its
# connections stay open for the life of the process (few per process: LRU of 8 files).
USE_ADBC = True  # False: every reader goes through SQLAlchemy (e.g. to rule ADBC out)
_ADBC_CONNECTIONS: OrderedDict[str, object] = OrderedDict()
_ADBC_LOCK = READ_LOCK  # shared with db.checkpoint: no checkpoint during an Arrow read
_ADBC_MAX_OPEN = 8


@atexit.register
def _close_adbc_connections() -> None:
    # Close before interpreter teardown: ADBC's own __del__ fails noisily once its
    # module globals are gone.
    with _ADBC_LOCK:
        while _ADBC_CONNECTIONS:
            try:
                _ADBC_CONNECTIONS.popitem()[1].close()
            except Exception:  # noqa: BLE001, S110 - best effort at exit
                pass


def _adbc_connection(path: str):
    """Return the process's read-only ADBC connection to ``path`` (call with _ADBC_LOCK held)."""
    import adbc_driver_sqlite.dbapi as adbc

    key = str(Path(path).resolve())
    conn = _ADBC_CONNECTIONS.pop(key, None)
    if conn is None:
        conn = adbc.connect(f"file:{quote(key)}?mode=ro", autocommit=True)
        while len(_ADBC_CONNECTIONS) >= _ADBC_MAX_OPEN:
            _ADBC_CONNECTIONS.popitem(last=False)[1].close()
    _ADBC_CONNECTIONS[key] = conn
    return conn


def _fetch_arrow(engine: Engine, path: str, *queries: tuple[str, tuple]) -> list:
    """Run queries through ADBC in one read transaction; return pyarrow Tables."""
    out = []
    with _ADBC_LOCK:  # one ADBC connection per file, shared by Streamlit's threads
        checkpoint(engine)  # the only checkpoints: never during an Arrow read (see db.py)
        conn = _adbc_connection(path)
        cur = conn.cursor()
        # One batch per result: the driver infers each column's type from its first batch,
        # so a column that starts with NULLs and holds text later would fail with small
        # batches; one batch is also faster (0.33 s against 0.43 s for 600k updates).
        cur.adbc_statement.set_options(**{"adbc.sqlite.query.batch_rows": "100000000"})
        try:
            cur.execute("BEGIN")  # the plan's item ids and its updates from one snapshot
            try:
                for sql, params in queries:
                    cur.execute(sql, params)
                    out.append(cur.fetch_arrow_table())
            finally:
                cur.execute("COMMIT")
        finally:
            cur.close()
    return out


def _arrow_updates_frame(table) -> pd.DataFrame:
    """Turn updates fetched as Arrow into the frame :func:`load_updates` promises (dates parsed in Arrow)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    def ts(col: str):
        arr = table[col]
        if pa.types.is_timestamp(arr.type):
            return pc.cast(arr, pa.timestamp("ns"))
        try:  # ISO text, as SQLAlchemy stores dates in SQLite: parsed in C++ (10 ms per 600k)
            return pc.cast(pc.cast(arr, pa.string()), pa.timestamp("ns"))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return None

    cols = {}
    for c in ("as_of", "created_at"):
        parsed = ts(c)
        if parsed is not None:
            table = table.set_column(table.schema.get_field_index(c), c, parsed)
        else:
            cols[c] = True  # leave to pandas' tolerant parser below
    # split_blocks: no consolidation copy of the numeric columns (0.14 s -> 0.02 s on 600k rows).
    df = table.to_pandas(split_blocks=True)
    for c in cols:
        df = df.assign(**{c: _dates(df[c])})
    return df


def _finish_updates(df: pd.DataFrame) -> pd.DataFrame:
    """One set of dtypes and one order (as_of, id) whichever way the rows were fetched."""
    df = df.assign(
        id=df["id"].astype("int64"),
        item_id=df["item_id"].astype("int64"),
        as_of=df["as_of"] if df["as_of"].dtype == "datetime64[ns]" else _dates(df["as_of"]),
        status=df["status"].astype("str"),
        progress=df["progress"].astype("float64"),
        comment=df["comment"].astype("str"),
        author=df["author"].astype("str"),
        source=df["source"].astype("str"),
        batch_id=pd.array(df["batch_id"], dtype="Int64") if len(df) else df["batch_id"].astype("Int64"),
        created_at=df["created_at"] if df["created_at"].dtype == "datetime64[ns]" else _dates(df["created_at"]),
    )[UPDATE_COLUMNS]
    key_date = df["as_of"].to_numpy()
    key_id = df["id"].to_numpy()
    # Rows usually arrive in date order already (they are appended over time): skip the sort then.
    if len(df) > 1 and not (
        (key_date[1:] > key_date[:-1]) | ((key_date[1:] == key_date[:-1]) & (key_id[1:] > key_id[:-1]))
    ).all():
        df = df.take(np.lexsort((key_id, key_date)))
    return df.reset_index(drop=True)


def _plan_share(engine: Engine, plan_id: int) -> float:
    """Share of all items that belong to the plan (decides scan or index)."""
    with engine.connect() as conn:
        mine, everything = conn.execute(
            text("SELECT SUM(plan_id = :p), COUNT(*) FROM items"), {"p": plan_id}
        ).one()
    return (mine or 0) / everything if everything else 0.0


def load_updates(engine: Engine, plan_id: int) -> pd.DataFrame:
    """Every progress update of the plan's items, oldest first (ties: in the order recorded).

    On a SQLite file with ``adbc-driver-sqlite`` installed the rows come through an
    Arrow fetch (about 10x faster than building the frame from SQLAlchemy rows); the
    result is the same either way (tests/test_repository.py pins it).
    """
    path = _sqlite_file(engine)
    if path is not None:
        try:
            return _load_updates_arrow(engine, path, plan_id)
        except _adbc_errors():  # e.g. a value of a type the driver cannot put in its column
            pass
    sql = f"""
        SELECT {UPDATE_SELECT}
        FROM updates u JOIN items i ON i.id = u.item_id
        WHERE i.plan_id = :plan_id
        ORDER BY u.as_of, u.id
    """
    with engine.connect() as conn:
        rows = conn.execute(text(sql), {"plan_id": plan_id}).all()
    return _finish_updates(pd.DataFrame(rows, columns=UPDATE_COLUMNS))


def _load_updates_arrow(engine: Engine, path: str, plan_id: int) -> pd.DataFrame:
    """Load updates through ADBC (the fast path of :func:`load_updates`)."""
    if _plan_share(engine, plan_id) >= 0.25:
        # A plan holding most of the database is read fastest by one plain table scan,
        # then filtered in Arrow by the plan's item ids read in the same transaction.
        ids, table = _fetch_arrow(engine, path, ("SELECT id FROM items WHERE plan_id = ?", (plan_id,)),
                                  (f"SELECT {UPDATE_SELECT} FROM updates u", ()))
        import pyarrow.compute as pc

        mine = pc.is_in(table["item_id"], value_set=ids["id"].cast(table["item_id"].type))
        if not pc.all(mine).as_py() and len(table):
            table = table.filter(mine)
    else:  # a small plan in a big database: through the index
        (table,) = _fetch_arrow(engine, path, (f"SELECT {UPDATE_SELECT} FROM updates u "
                                       "WHERE u.item_id IN (SELECT id FROM items WHERE plan_id = ?)", (plan_id,)))
    return _finish_updates(_arrow_updates_frame(table))


def plan_default_as_of(engine: Engine, plan_id: int, today: dt.date | None = None) -> pd.Timestamp:
    """GUIDE §3 default as-of date computed in SQL (same answer as :func:`default_as_of`)."""
    with engine.connect() as conn:
        latest = conn.execute(
            text("SELECT MAX(u.as_of) FROM updates u JOIN items i ON i.id = u.item_id WHERE i.plan_id = :p"),
            {"p": plan_id},
        ).scalar()
    today_ts = pd.Timestamp(today or dt.date.today())
    return today_ts if latest is None else min(pd.Timestamp(latest), today_ts)


def load_latest_updates(engine: Engine, plan_id: int, as_of=None) -> pd.DataFrame:
    """Load just the updates a roll-up on ``as_of`` needs.

    For every item: its latest update(s) on or before ``as_of`` and its latest
    commented update(s).
    ``rollup.rollup_table(tree, load_latest_updates(e, p, d), d)`` equals the roll-up on
    the full history (tests pin it), at a fraction of the rows: the home page needs no
    history. ``as_of`` None means :func:`plan_default_as_of`. Same columns and dtypes
    as :func:`load_updates`.
    """
    day = pd.Timestamp(as_of if as_of is not None else plan_default_as_of(engine, plan_id)).date().isoformat()
    # Python's str.strip() (what the roll-up uses to call a comment blank) also strips tabs and newlines.
    blank = "TRIM(comment, ' ' || char(9) || char(10) || char(13)) <> ''"
    sql = f"""
        WITH pi AS (SELECT id FROM items WHERE plan_id = :p),
        l AS (SELECT item_id, MAX(as_of) AS d FROM updates
              WHERE item_id IN (SELECT id FROM pi) AND as_of <= :d GROUP BY item_id),
        c AS (SELECT item_id, MAX(as_of) AS d FROM updates
              WHERE item_id IN (SELECT id FROM pi) AND as_of <= :d AND comment IS NOT NULL AND {blank}
              GROUP BY item_id)
        SELECT {UPDATE_SELECT} FROM updates u JOIN l ON u.item_id = l.item_id AND u.as_of = l.d
        UNION
        SELECT {UPDATE_SELECT} FROM updates u JOIN c ON u.item_id = c.item_id AND u.as_of = c.d
    """
    path = _sqlite_file(engine)
    if path is not None:
        qmark = sql.replace(":p", "?1").replace(":d", "?2")
        try:
            (table,) = _fetch_arrow(engine, path, (qmark, (plan_id, day)))
            return _finish_updates(_arrow_updates_frame(table))
        except _adbc_errors():
            pass
    if engine.dialect.name == "postgresql":
        sql = sql.replace(f"AND {blank}", "AND BTRIM(comment, E' \\t\\n\\r') <> ''")
    with engine.connect() as conn:
        rows = conn.execute(text(sql), {"p": plan_id, "d": day}).all()
    return _finish_updates(pd.DataFrame(rows, columns=UPDATE_COLUMNS))


def latest_update_date(updates: pd.DataFrame) -> pd.Timestamp | None:
    """Date of the newest update, or None when there are none."""
    return None if updates.empty else updates["as_of"].max()


def default_as_of(updates: pd.DataFrame, today: dt.date | None = None) -> pd.Timestamp:
    """GUIDE §3: the date of the plan's latest update, or today if that is earlier."""
    today_ts = pd.Timestamp(today or dt.date.today())
    latest = latest_update_date(updates)
    return today_ts if latest is None or pd.isna(latest) else min(latest, today_ts)


# ---------------------------------------------------------------- writers


def department_id(session: Session, name: str | None, cache: dict[str, int] | None = None) -> int | None:
    """Id of the named department, created when new; None for a blank name."""
    if not name or not str(name).strip():
        return None
    name = str(name).strip()
    if cache is not None and name in cache:
        return cache[name]
    dep = session.scalars(select(Department).where(Department.name == name)).one_or_none()
    if dep is None:
        dep = Department(name=name)
        session.add(dep)
        session.flush()
    if cache is not None:
        cache[name] = dep.id
    return dep.id


def person_id(session: Session, name: str | None, cache: dict[str, int] | None = None) -> int | None:
    """Id of the named person, created when new; None for a blank name."""
    if not name or not str(name).strip():
        return None
    name = str(name).strip()
    if cache is not None and name in cache:
        return cache[name]
    p = session.scalars(select(Person).where(Person.name == name)).one_or_none()
    if p is None:
        p = Person(name=name)
        session.add(p)
        session.flush()
    if cache is not None:
        cache[name] = p.id
    return p.id


def write_audit(
    session: Session,
    *,
    author: str | None,
    action: str,
    entity: str,
    entity_id: int | None = None,
    field: str | None = None,
    old: object = None,
    new: object = None,
    source: str | None = None,
    batch_id: int | None = None,
) -> None:
    """Append one audit row in the caller's transaction and bump the data version."""
    session.add(
        Audit(
            author=author, action=action, entity=entity, entity_id=entity_id, field=field,
            old_value=None if old is None else str(old), new_value=None if new is None else str(new),
            source=source, batch_id=batch_id,
        )
    )
    bump_data_version(session.connection())


# Readers that live in their own modules, re-exported so ``repository.audit_frame(...)`` works.
from wehoplan.repository.audit import AUDIT_COLUMNS as AUDIT_COLUMNS  # noqa: E402
from wehoplan.repository.audit import audit_frame as audit_frame  # noqa: E402
from wehoplan.repository.editable import ItemNotFound as ItemNotFound  # noqa: E402
from wehoplan.repository.editable import editable_fields as editable_fields  # noqa: E402
from wehoplan.repository.editable import item_snapshot as item_snapshot  # noqa: E402
from wehoplan.repository.people import departments_frame as departments_frame  # noqa: E402
from wehoplan.repository.people import people_frame as people_frame  # noqa: E402
