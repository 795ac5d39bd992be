"""An item's editable fields as people see them (names, not ids), for the edit form and the writers."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from wehoplan.models import Department, Item, Person

_Named = TypeVar("_Named", Department, Person)


class ItemNotFound(LookupError):
    """The item (or department, person) asked for does not exist."""


def name_of(session: Session, model: type[_Named], ident: int | None) -> str | None:
    """The name of a department or person by id; None when ``ident`` is None."""
    row = None if ident is None else session.get(model, ident)
    return None if row is None else row.name


def editable_fields(session: Session, item: Item) -> dict[str, Any]:
    """Return the item's editable fields as people see them (names, not ids)."""
    return {
        "title": item.title, "description": item.description,
        "owner": name_of(session, Person, item.owner_id), "sponsor": name_of(session, Person, item.sponsor_id),
        "department": name_of(session, Department, item.lead_department_id),
        "partners": "; ".join(sorted(d.name for d in item.partner_departments)), "smart": item.smart or "",
        "start": item.start, "due": item.due, "weight": item.weight, "priority": item.priority,
        "funding_source": item.funding_source, "item_type": item.item_type, "track": item.track,
        "depends_on": item.depends_on,
    }


def item_snapshot(engine: Engine, item_id: int) -> dict[str, object]:
    """Read the item's editable fields (names), code, version and archived flag from the database.

    Raises:
        ItemNotFound: no such item.

    """
    with Session(engine) as s:
        item = s.get(Item, item_id)
        if item is None:
            raise ItemNotFound(f"item {item_id} does not exist")
        return {**editable_fields(s, item), "id": item.id, "code": item.code, "version": item.version,
                "archived": bool(item.archived), "parent_id": item.parent_id, "plan_id": item.plan_id}
