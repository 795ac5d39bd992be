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


# What resolve_plan reads: every plan's own row, no count or date (those read the whole history).
PLAN_ROWS = "SELECT id, name, level_names, is_demo, source_note FROM plans ORDER BY name"


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
    # Through the reader, as the list is read: on PostgreSQL the ORM would open a second
    # kind of connection for one row.
    plans = read_frame(engine, Query(PLAN_ROWS, ("id", "name", "level_names", "is_demo", "source_note")), reader)
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
    row = plans.iloc[names.index(match)]
    return PlanInfo(id=int(row["id"]), name=str(row["name"]),
                    level_names=split_level_names(_text_or_none(row["level_names"])),
                    is_demo=bool(row["is_demo"]), source_note=_text_or_none(row["source_note"]))


def _text_or_none(value: object) -> str | None:
    return None if value is None or pd.isna(value) else str(value)
