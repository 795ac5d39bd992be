"""Remembered mappings: the last column mapping used for a plan and a header layout.

A corrected mapping is saved with each import that used one, so the next upload of the same
layout into the same plan starts from it instead of the guess (issue 14).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pandas as pd
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from wehoplan.importing.mapping import check_mapping, norm_header
from wehoplan.importing.table import Table
from wehoplan.models import ImportMapping


def layout_key(tables: list[Table]) -> str:
    """A hash of the chosen tables' normalised headers, in column order ("" without tables)."""
    if not tables:
        return ""
    parts = ["|".join(norm_header(h) for h in t.headers) for t in tables]
    return hashlib.sha256("\n".join(sorted(set(parts))).encode()).hexdigest()


def _headers_text(tables: list[Table]) -> str:
    seen = dict.fromkeys(str(h).strip() for t in tables for h in t.headers if h is not None and str(h).strip())
    return ", ".join(seen)[:2000]


def remember(engine: Engine, plan_name: str, tables: list[Table], mapping: dict[str, str],
             author: str | None = None) -> None:
    """Save ``mapping`` as the last one used for ``plan_name`` and the tables' layout."""
    key = layout_key(tables)
    if not key or not mapping:
        return
    with Session(engine) as s, s.begin():
        row = s.scalar(select(ImportMapping).where(ImportMapping.plan_name == plan_name,
                                                   ImportMapping.layout == key))
        if row is None:
            row = ImportMapping(plan_name=plan_name, layout=key)
            s.add(row)
        row.headers = _headers_text(tables)
        row.mapping = json.dumps(mapping, sort_keys=True)
        row.author = author
        row.updated_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)


def recall(engine: Engine, plan_name: str, layout: str) -> dict[str, str] | None:
    """The last mapping used for this plan and layout, or None."""
    if not layout:
        return None
    with Session(engine) as s:
        raw = s.scalar(select(ImportMapping.mapping).where(ImportMapping.plan_name == plan_name,
                                                           ImportMapping.layout == layout))
    return _loads(raw)


def _loads(raw: str | None) -> dict[str, str] | None:
    if raw is None:
        return None
    try:
        data = json.loads(raw)
        check_mapping(data)
    except (ValueError, TypeError, AttributeError):
        return None  # a mapping saved by an older version that no longer checks: not offered
    return data if isinstance(data, dict) else None


def saved_mappings(engine: Engine) -> pd.DataFrame:
    """Every remembered mapping, newest first: id, plan_name, headers, updated_at, author, mapping (dict)."""
    with Session(engine) as s:
        rows = s.execute(select(ImportMapping).order_by(ImportMapping.updated_at.desc(),
                                                        ImportMapping.id.desc())).scalars().all()
        recs = [{"id": r.id, "plan_name": r.plan_name, "headers": r.headers, "updated_at": r.updated_at,
                 "author": r.author, "mapping": _loads(r.mapping)} for r in rows]
    frame = pd.DataFrame(recs, columns=["id", "plan_name", "headers", "updated_at", "author", "mapping"])
    return frame[frame["mapping"].notna()].reset_index(drop=True)
