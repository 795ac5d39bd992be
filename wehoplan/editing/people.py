"""Departments and people: add, rename, edit; each change audited in its own transaction.

They are shared by every plan, so an editor of any plan may change them (``author`` is
the acting principal, or a trusted local caller's name).
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from wehoplan import repository
from wehoplan.access import Principal, as_principal, require_any_plan
from wehoplan.domain import is_blank
from wehoplan.editing.validation import APP_SOURCE, NotFoundError, ValidationError, clean_name
from wehoplan.models import Department, Person
from wehoplan.repository.editable import name_of


def _plan_editor(author: str | Principal) -> str:
    """The acting principal's audit label, once it is known to hold the editor role on some plan.

    People and departments are shared by every plan, so an editor of any plan may change them.
    """
    actor = as_principal(author)
    require_any_plan(actor, "edit_plan")
    return actor.label


def add_department(engine: Engine, name: str, author: str | Principal) -> int:
    """Create a department; return its id. Raises ValidationError if the name is blank or taken."""
    name = clean_name(name, "department")
    who = _plan_editor(author)
    with Session(engine) as s, s.begin():
        if s.scalar(select(Department.id).where(Department.name == name)) is not None:
            raise ValidationError([f"department {name!r} already exists"])
        dep = Department(name=name)
        s.add(dep)
        s.flush()
        repository.write_audit(s, author=who, action="add", entity="department", entity_id=dep.id,
                               field="name", new=name, source=APP_SOURCE)
        return dep.id


def rename_department(engine: Engine, department_id: int, new_name: str, author: str | Principal) -> None:
    """Rename a department (items keep pointing at it). Raises ValidationError / NotFoundError."""
    new_name = clean_name(new_name, "department")
    who = _plan_editor(author)
    with Session(engine) as s, s.begin():
        dep = s.get(Department, department_id)
        if dep is None:
            raise NotFoundError(f"department {department_id} does not exist")
        if dep.name == new_name:
            return
        if s.scalar(select(Department.id).where(Department.name == new_name)) is not None:
            raise ValidationError([f"department {new_name!r} already exists"])
        old, dep.name = dep.name, new_name
        s.flush()
        repository.write_audit(s, author=who, action="edit", entity="department", entity_id=dep.id,
                               field="name", old=old, new=new_name, source=APP_SOURCE)


def add_person(engine: Engine, name: str, author: str | Principal, *, email: str | None = None,
               department: str | None = None) -> int:
    """Create a person; return the id. Raises ValidationError if the name is blank or taken."""
    name = clean_name(name, "person")
    who = _plan_editor(author)
    with Session(engine) as s, s.begin():
        if s.scalar(select(Person.id).where(Person.name == name)) is not None:
            raise ValidationError([f"person {name!r} already exists"])
        p = Person(name=name, email=None if email is None or is_blank(email) else email.strip(),
                   department_id=repository.department_id(s, department))
        s.add(p)
        s.flush()
        repository.write_audit(s, author=who, action="add", entity="person", entity_id=p.id,
                               field="name", new=name, source=APP_SOURCE)
        return p.id


def edit_person(engine: Engine, person_id: int, changes: Mapping[str, object], author: str | Principal) -> None:
    """Change a person's ``name``, ``email`` or ``department`` (by name); audited per field."""
    unknown = sorted(set(changes) - {"name", "email", "department"})
    if unknown:
        raise ValidationError(["cannot edit " + ", ".join(unknown) + "; editable: name, email, department"])
    who = _plan_editor(author)
    with Session(engine) as s, s.begin():
        p = s.get(Person, person_id)
        if p is None:
            raise NotFoundError(f"person {person_id} does not exist")
        before = {"name": p.name, "email": p.email, "department": name_of(s, Department, p.department_id)}
        for k, v in changes.items():
            new = clean_name(v, "person") if k == "name" else (None if is_blank(v) else str(v).strip())
            if new == before[k]:
                continue
            if k == "name":
                assert new is not None  # clean_name refuses a blank name
                if s.scalar(select(Person.id).where(Person.name == new)) is not None:
                    raise ValidationError([f"person {new!r} already exists"])
                p.name = new
            elif k == "email":
                p.email = new
            else:
                p.department_id = repository.department_id(s, new)
            s.flush()
            repository.write_audit(s, author=who, action="edit", entity="person", entity_id=p.id, field=k,
                                   old=before[k], new=new, source=APP_SOURCE)
