"""Writers that keep the audit trail: names to ids, and one audit row per change."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from wehoplan.db import bump_data_version
from wehoplan.models import Audit, Department, Person


def department_id(session: Session, name: str | None, cache: dict[str, int] | None = None) -> int | None:
    """Id of the named department, created when new; None for a blank name."""
    if not name or not str(name).strip():
        return None
    name = str(name).strip()
    if cache is not None and name in cache:
        return cache[name]
    dep = session.scalars(select(Department).where(Department.name == name)).one_or_none()
    if dep is None:
        dep = Department(name=name)
        session.add(dep)
        session.flush()
    if cache is not None:
        cache[name] = dep.id
    return dep.id


def person_id(session: Session, name: str | None, cache: dict[str, int] | None = None) -> int | None:
    """Id of the named person, created when new; None for a blank name."""
    if not name or not str(name).strip():
        return None
    name = str(name).strip()
    if cache is not None and name in cache:
        return cache[name]
    p = session.scalars(select(Person).where(Person.name == name)).one_or_none()
    if p is None:
        p = Person(name=name)
        session.add(p)
        session.flush()
    if cache is not None:
        cache[name] = p.id
    return p.id


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
