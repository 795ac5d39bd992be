"""Optimistic concurrency: every write that touches an item checks the version the caller read.

The check is one compare-and-swap ``UPDATE ... WHERE version = expected`` inside the
writer's transaction, so two people saving the same item cannot both win; the loser
gets :class:`StaleWriteError` naming who changed it and when, and nothing is written.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from wehoplan.editing.validation import EditError, NotFoundError
from wehoplan.models import Audit, Item


class StaleWriteError(EditError):
    """Someone else saved the item after the caller read it; nothing was written."""

    def __init__(self, code: str, by: str | None, at: object):
        self.code, self.by, self.at = code, by, at
        when = f"{pd.Timestamp(at):%Y-%m-%d %H:%M}" if at is not None else "an unknown time"
        super().__init__(f"item {code} was changed by {by or 'someone'} at {when}, reload and try again")


def last_change(session: Session, item_id: int) -> tuple[str | None, object]:
    """Author and time of the item's latest audit row (None, None when it has none)."""
    row = session.execute(
        select(Audit.author, Audit.at)
        .where(Audit.entity == "item", Audit.entity_id == item_id)
        .order_by(Audit.id.desc())
        .limit(1)
    ).first()
    return (row.author, row.at) if row else (None, None)


def claim(session: Session, item_id: int, expected_version: int) -> Item:
    """Compare-and-swap the item's version inside the caller's transaction; return the item.

    Raises:
        NotFoundError: no such item.
        StaleWriteError: the stored version differs from ``expected_version``.

    """
    res: CursorResult = session.execute(  # type: ignore[assignment]  # an UPDATE gives a CursorResult
        update(Item)
        .where(Item.id == item_id, Item.version == int(expected_version))
        .values(version=Item.version + 1)
        .execution_options(synchronize_session=False)
    )
    item = session.get(Item, item_id)
    if item is None:
        raise NotFoundError(f"item {item_id} does not exist")
    if res.rowcount != 1:
        by, at = last_change(session, item_id)
        raise StaleWriteError(item.code, by, at)
    session.refresh(item)
    return item


def bump(session: Session, item_id: int) -> None:
    """Bump an item's version without a check (descendants renumbered by a move)."""
    session.execute(update(Item).where(Item.id == item_id).values(version=Item.version + 1)
                    .execution_options(synchronize_session=False))
