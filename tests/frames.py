"""Tiny hand-written plan frames for roll-up tests."""

from __future__ import annotations

import pandas as pd

from wehoplan.repository import ITEM_COLUMNS, UPDATE_COLUMNS


def items(*rows: tuple) -> pd.DataFrame:
    """Rows of (id, parent_id, code, **extra dict) -> an items frame like load_items returns."""
    records = []
    for row in rows:
        i, parent, code, *rest = row
        extra = rest[0] if rest else {}
        rec = {c: None for c in ITEM_COLUMNS}
        rec.update(id=i, parent_id=parent, code=code, level=f"L{code.count('.') + 1}", title=f"Item {code}",
                   smart="", weight=1.0, archived=False, sort_order=i, version=1)
        rec.update(extra)
        records.append(rec)
    df = pd.DataFrame.from_records(records, columns=ITEM_COLUMNS)
    return df.assign(
        id=df["id"].astype("int64"),
        parent_id=df["parent_id"].astype("Int64"),
        start=pd.to_datetime(df["start"]).astype("datetime64[ns]"),
        due=pd.to_datetime(df["due"]).astype("datetime64[ns]"),
        weight=df["weight"].astype("float64"),
        archived=df["archived"].astype(bool),
    )


def updates(*rows: tuple) -> pd.DataFrame:
    """Rows of (item_id, as_of, status, progress[, comment]) -> an updates frame."""
    records = []
    for n, row in enumerate(rows, start=1):
        item_id, as_of, status, progress, *rest = row
        records.append(dict(id=n, item_id=item_id, as_of=as_of, status=status, progress=float(progress),
                            comment=rest[0] if rest else None, author=None, source=None, batch_id=None,
                            created_at=None))
    df = pd.DataFrame.from_records(records, columns=UPDATE_COLUMNS)
    return df.assign(
        id=df["id"].astype("int64"),
        item_id=df["item_id"].astype("int64"),
        as_of=pd.to_datetime(df["as_of"]).astype("datetime64[ns]"),
        progress=df["progress"].astype("float64"),
    )
