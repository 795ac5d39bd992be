"""Writers that keep the audit trail: names to ids, and one audit row per change."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from wehoplan.db import bump_data_version
from wehoplan.models import Audit, Department, Person


def _id_by_name(session: Session, model: type[Department] | type[Person], name: str | None,
                cache: dict[str, int] | None) -> int | None:
    """Id of the row of ``model`` with this name, created when new; None for a blank name."""
    if not name or not str(name).strip():
        return None
    name = str(name).strip()
    if cache is not None and name in cache:
        return cache[name]
    found: int | None = session.scalars(select(model.id).where(model.name == name)).one_or_none()
    if found is None:
        row = model(name=name)
        session.add(row)
        session.flush()
        found = row.id
    if cache is not None:
        cache[name] = found
    return found


def department_id(session: Session, name: str | None, cache: dict[str, int] | None = None) -> int | None:
    """Id of the named department, created when new; None for a blank name."""
    return _id_by_name(session, Department, name, cache)


def person_id(session: Session, name: str | None, cache: dict[str, int] | None = None) -> int | None:
    """Id of the named person, created when new; None for a blank name."""
    return _id_by_name(session, Person, name, cache)


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
