"""The plan's items as a frame, with names resolved, and which of them are live."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine

from wehoplan.repository.readers import Query, Reader, read_frames

ITEM_COLUMNS = [
    "id", "parent_id", "code", "level", "title", "description", "owner", "sponsor",
    "department", "partners", "smart", "start", "due", "weight", "priority",
    "funding_source", "item_type", "track", "depends_on", "archived", "sort_order", "version",
]
_TEXT_COLUMNS = ("code", "level", "title", "description", "owner", "sponsor", "department", "partners",
                 "priority", "funding_source", "item_type", "track", "depends_on")

ITEMS = """
    SELECT i.id, i.parent_id, i.code, i.level, i.title, i.description,
           o.name AS owner, sp.name AS sponsor, d.name AS department,
           i.smart, i.start, i.due, i.weight, i.priority, i.funding_source, i.item_type,
           i.track, i.depends_on, i.archived, i.sort_order, i.version
    FROM items i
    LEFT JOIN people o ON o.id = i.owner_id
    LEFT JOIN people sp ON sp.id = i.sponsor_id
    LEFT JOIN departments d ON d.id = i.lead_department_id
    WHERE i.plan_id = :plan_id
"""
# Partner names in key order; joined in pandas so the SQL is the same on every database
# (SQLite's GROUP_CONCAT is PostgreSQL's STRING_AGG).
PARTNERS = """
    SELECT x.item_id, d.name
    FROM item_partner_departments x JOIN departments d ON d.id = x.department_id
    WHERE x.item_id IN (SELECT id FROM items WHERE plan_id = :plan_id)
    ORDER BY x.item_id, x.department_id
"""


def _text(s: pd.Series) -> pd.Series:
    """Text as pandas infers it from values: ``str`` dtype, or object None when all blank."""
    if s.isna().all():
        return pd.Series([None] * len(s), index=s.index, dtype=object)
    return s.astype("str")


def load_items(engine: Engine, plan_id: int, include_archived: bool = False,
               reader: Reader | None = None) -> pd.DataFrame:
    """The plan's items in outline order, with names resolved (owner, department, partners).

    Args:
        engine: the plan database.
        plan_id: the plan.
        include_archived: keep archived items too (their children are always kept).
        reader: how to fetch the rows (default: the fastest the engine allows).

    """
    cols = [c for c in ITEM_COLUMNS if c != "partners"]
    df, partners = read_frames(engine, Query(ITEMS, tuple(cols), {"plan_id": plan_id}, dates=("start", "due")),
                               Query(PARTNERS, ("item_id", "name"), {"plan_id": plan_id}), reader=reader)
    joined = partners.groupby("item_id", sort=False)["name"].agg("; ".join) if len(partners) else pd.Series()
    df = df.assign(
        id=df["id"].astype("int64"),
        parent_id=df["parent_id"].astype("Int64"),
        partners=df["id"].map(joined) if len(joined) else None,
        weight=df["weight"].astype("float64"),
        archived=df["archived"].astype(bool),
        smart=df["smart"].fillna("").astype("str"),
        sort_order=df["sort_order"].astype("int64"),
        version=df["version"].astype("int64"),
    )
    df = df.assign(**{c: _text(df[c]) for c in _TEXT_COLUMNS})[ITEM_COLUMNS]
    if not include_archived:
        df = df[~df["archived"]]
    return df.sort_values(["sort_order", "id"], kind="stable").reset_index(drop=True)


def live_item_ids(items: pd.DataFrame) -> pd.Index:
    """Ids of the items that count (GUIDE §3): not archived, and no archived item above them.

    ``items`` holds ``id`` and ``parent_id`` (and ``archived`` when archived rows are in it):
    the frame :func:`load_items` gives, or a prepared tree. An item whose parent is not
    among the live items is not live either (the roll-up drops whole subtrees).
    """
    df = items[~items["archived"].astype(bool)] if "archived" in items.columns else items
    while True:
        ids = pd.Index(df["id"])
        orphan = df["parent_id"].notna() & ~df["parent_id"].isin(ids)
        if not orphan.any():
            return ids
        df = df[~orphan]
