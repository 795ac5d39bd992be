"""Reader of the audit trail: who changed what, when, filtered the way the Audit page and CLI ask."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
from sqlalchemy import Engine, text

AUDIT_COLUMNS = ["id", "at", "author", "action", "entity", "entity_id", "item_code", "field", "old_value",
                 "new_value", "source", "batch_id"]


def audit_frame(
    engine: Engine,
    *,
    plan_id: int | None = None,
    authors: Iterable[str] = (),
    actions: Iterable[str] = (),
    entities: Iterable[str] = (),
    item_id: int | None = None,
    since: object = None,
    until: object = None,
    text_contains: str | None = None,
) -> pd.DataFrame:
    """Read the audit trail, newest first, with the item code resolved where the row is about an item.

    Filters combine (AND); values inside one filter are alternatives (OR). ``plan_id``
    keeps rows about that plan's items and the plan itself, plus rows not tied to any
    plan (departments, people). ``since``/``until`` are inclusive dates. ``text_contains``
    searches field, old and new values, case-insensitively.
    """
    sql = """SELECT a.id, a.at, a.author, a.action, a.entity, a.entity_id,
                    CASE WHEN a.entity = 'item' THEN i.code END AS item_code,
                    a.field, a.old_value, a.new_value, a.source, a.batch_id,
                    CASE WHEN a.entity = 'item' THEN i.plan_id
                         WHEN a.entity = 'plan' THEN a.entity_id END AS plan_id
             FROM audit a LEFT JOIN items i ON i.id = a.entity_id AND a.entity = 'item'
             ORDER BY a.id DESC"""
    with engine.connect() as conn:
        rows = conn.execute(text(sql)).all()
    df = pd.DataFrame(rows, columns=[*AUDIT_COLUMNS, "plan_id"])
    df = df.assign(at=pd.to_datetime(df["at"], errors="coerce").astype("datetime64[ns]"),
                   plan_id=df["plan_id"].astype("Int64"))
    keep = pd.Series(True, index=df.index)
    if plan_id is not None:
        keep &= df["plan_id"].isna() | (df["plan_id"] == plan_id)
    for col, wanted in (("author", authors), ("action", actions), ("entity", entities)):
        wanted = list(wanted)
        if wanted:
            keep &= df[col].isin(wanted)
    if item_id is not None:
        keep &= (df["entity"] == "item") & (df["entity_id"] == item_id)
    if since is not None:
        keep &= df["at"] >= pd.Timestamp(since).normalize()
    if until is not None:
        keep &= df["at"] < pd.Timestamp(until).normalize() + pd.Timedelta(days=1)
    if text_contains:
        hay = df["field"].fillna("") + " " + df["old_value"].fillna("") + " " + df["new_value"].fillna("")
        keep &= hay.str.contains(text_contains, case=False, regex=False)
    return df[keep][AUDIT_COLUMNS].reset_index(drop=True)
