"""Plans: the list of plans and finding one by what the user typed."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine

from wehoplan.domain import match_names, split_level_names
from wehoplan.repository.readers import Query, Reader, read_frame


class PlanNotFound(LookupError):
    """No plan, or more than one, matches what the user typed."""


@dataclass(frozen=True)
class PlanInfo:
    """What the pages and the CLI need to know about a plan besides its tree."""

    id: int
    name: str
    level_names: tuple[str, ...]
    is_demo: bool
    source_note: str | None


PLANS = """
    SELECT p.id, p.name, p.is_demo,
           (SELECT COUNT(*) FROM items i WHERE i.plan_id = p.id AND NOT i.archived) AS n_items,
           (SELECT MAX(u.as_of) FROM updates u JOIN items i ON i.id = u.item_id
             WHERE i.plan_id = p.id) AS latest_update
    FROM plans p ORDER BY p.name
"""


PLAN_ROW = "SELECT name, level_names, is_demo, source_note FROM plans WHERE id = :plan_id"


def list_plans(engine: Engine, reader: Reader | None = None) -> pd.DataFrame:
    """All plans with item counts and their latest update date, by name."""
    df = read_frame(engine, Query(PLANS, ("id", "name", "is_demo", "n_items", "latest_update"),
                                  dates=("latest_update",)), reader)
    return df.assign(id=df["id"].astype("int64"), is_demo=df["is_demo"].astype("int64"),
                     n_items=df["n_items"].astype("int64"))


def resolve_plan(engine: Engine, name: str | None, reader: Reader | None = None) -> PlanInfo:
    """Find a plan by exact name or a unique case-insensitive part of it.

    ``name`` may be None when the database holds exactly one plan.

    Raises:
        PlanNotFound: nothing, or more than one plan, matches; the message lists the plans.

    """
    plans = list_plans(engine, reader)
    names = plans["name"].tolist()
    if not names:
        raise PlanNotFound("the database holds no plan yet: run `python -m wehoplan init-demo` or import one")
    if name is None:
        if len(names) != 1:
            raise PlanNotFound("several plans exist, choose one with --plan: " + "; ".join(names))
        match = names[0]
    else:
        hits = match_names(name, names)
        if len(hits) != 1:
            why = "no plan matches" if not hits else "several plans match"
            raise PlanNotFound(f"{why} {name!r}; plans: " + "; ".join(names))
        match = hits[0]
    plan_id = int(plans["id"].iloc[names.index(match)])
    # Through the reader, in the same way as the list: on PostgreSQL the ORM would open a
    # second kind of connection for one row.
    rows = read_frame(engine, Query(PLAN_ROW, ("name", "level_names", "is_demo", "source_note"),
                                    {"plan_id": plan_id}), reader)
    if rows.empty:  # deleted between the two reads
        raise PlanNotFound(f"the plan {match!r} was just deleted")
    row = rows.iloc[0]
    note = row["source_note"]
    return PlanInfo(id=plan_id, name=str(row["name"]), level_names=split_level_names(_text_or_none(row["level_names"])),
                    is_demo=bool(row["is_demo"]), source_note=_text_or_none(note))


def _text_or_none(value: object) -> str | None:
    return None if value is None or pd.isna(value) else str(value)
