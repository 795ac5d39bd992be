"""Readers that turn the database into DataFrames, and writers that keep the audit trail.

Readers fetch rows with one SQL statement each and build the frame column-wise:
building frames from ORM objects row by row is orders of magnitude slower.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from wehoplan.db import bump_data_version
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


def load_updates(engine: Engine, plan_id: int) -> pd.DataFrame:
    """Every progress update of the plan's items, oldest first."""
    sql = """
        SELECT u.id, u.item_id, u.as_of, u.status, u.progress, u.comment, u.author, u.source,
               u.batch_id, u.created_at
        FROM updates u JOIN items i ON i.id = u.item_id
        WHERE i.plan_id = :plan_id
        ORDER BY u.as_of, u.id
    """
    with engine.connect() as conn:
        rows = conn.execute(text(sql), {"plan_id": plan_id}).all()
    df = pd.DataFrame(rows, columns=UPDATE_COLUMNS)
    return df.assign(
        id=df["id"].astype("int64"),
        item_id=df["item_id"].astype("int64"),
        as_of=_dates(df["as_of"]),
        progress=df["progress"].astype("float64"),
        created_at=_dates(df["created_at"]),
    )


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
