"""Optimistic concurrency: every write that touches an item checks the version the caller read.

The check is one compare-and-swap ``UPDATE ... WHERE version = expected`` inside the
writer's transaction, so two people saving the same item cannot both win; the loser
gets :class:`StaleWriteError` naming who changed it and when, and nothing is written.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import CursorResult, Engine, select, update
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


def changed_meanwhile(engine: Engine, item_id: int) -> StaleWriteError:
    """The "changed by X at T, reload" error for a form drawn from an older version of the item.

    Reports never conflict in the database, but a page whose form was redrawn from newer stored
    values has lost what its user typed; it says so with this error instead of saving.
    """
    with Session(engine) as s:
        item = s.get(Item, item_id)
        by, at = last_change(s, item_id)
        return StaleWriteError(item.code if item is not None else str(item_id), by, at)


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


def claim_for_report(session: Session, item_id: int) -> Item:
    """Bump the item's version without a check, inside the caller's transaction; return the item.

    A progress report is an append: two owners reporting on one action at the same moment
    both keep their report (the history shows both; the later date wins the as-of state), so
    there is nothing to compare. The UPDATE still takes the item's row lock (PostgreSQL) or the
    write lock (SQLite) first, which serialises concurrent reports on one item instead of
    refusing one, and the new version tells open edit forms that the item moved on.

    Raises:
        NotFoundError: no such item.

    """
    bump(session, item_id)
    item = session.get(Item, item_id)
    if item is None:
        raise NotFoundError(f"item {item_id} does not exist")
    session.refresh(item)
    return item


def bump(session: Session, item_id: int) -> None:
    """Bump an item's version without a check (descendants renumbered by a move)."""
    session.execute(update(Item).where(Item.id == item_id).values(version=Item.version + 1)
                    .execution_options(synchronize_session=False))
