"""Managing users and their roles (admins only): list, add, set a role, remove.

Every writer takes the acting principal (or a plain name: the trusted CLI caller, see
:func:`wehoplan.access.as_principal`), checks it may manage users, and writes its
audit rows (entity ``user``) in the same transaction as the change.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session

from wehoplan import repository
from wehoplan.access import ROLES, Principal, as_principal, require
from wehoplan.editing.validation import NotFoundError, ValidationError
from wehoplan.models import Department, Person, Plan, User, UserDepartment, UserPlanRole

USERS_COLUMNS = ("email", "name", "person", "departments", "roles")


def _clean_email(email: str) -> str:
    key = (email or "").strip().lower()
    if "@" not in key or " " in key:
        raise ValidationError([f"{email!r} is not an email address"])
    return key


def _check_role(role: str) -> str:
    if role not in ROLES:
        raise ValidationError([f"unknown role {role!r}; roles: {', '.join(ROLES)}"])
    return role


def _user(s: Session, email: str) -> User:
    user = s.scalar(select(User).where(func.lower(User.email) == _clean_email(email)))
    if user is None:
        raise NotFoundError(f"no user {email.strip().lower()!r}")
    return user


def _plan_label(s: Session, plan_id: int | None) -> str:
    return "every plan" if plan_id is None else s.get_one(Plan, plan_id).name


def list_users(engine: Engine) -> pd.DataFrame:
    """Every user: email, name, person, departments ("; "), roles ("admin: every plan; editor: Plan")."""
    with Session(engine) as s:
        recs = []
        for u in s.scalars(select(User).order_by(User.email)):
            person = s.get(Person, u.person_id).name if u.person_id else None  # type: ignore[union-attr]
            deps = s.scalars(select(Department.name).join(UserDepartment)
                             .where(UserDepartment.user_id == u.id).order_by(Department.name)).all()
            roles = s.execute(select(UserPlanRole.role, UserPlanRole.plan_id)
                              .where(UserPlanRole.user_id == u.id).order_by(UserPlanRole.id)).all()
            recs.append({"email": u.email, "name": u.name, "person": person, "departments": "; ".join(deps),
                         "roles": "; ".join(f"{r}: {_plan_label(s, p)}" for r, p in roles)})
    return pd.DataFrame(recs, columns=list(USERS_COLUMNS))


def _set_role(s: Session, user: User, role: str, plan_id: int | None, author: str) -> None:
    # NULL plan_id rows are not unique in SQL, so find the existing one by hand.
    where = UserPlanRole.plan_id.is_(None) if plan_id is None else UserPlanRole.plan_id == plan_id
    row = s.scalar(select(UserPlanRole).where(UserPlanRole.user_id == user.id, where))
    old = row.role if row else None
    if old == role:
        return
    if row is None:
        s.add(UserPlanRole(user_id=user.id, plan_id=plan_id, role=role))
    else:
        row.role = role
    s.flush()
    repository.write_audit(s, author=author, action="role", entity="user", entity_id=user.id,
                           field=f"role on {_plan_label(s, plan_id)}", old=old, new=role, source="users")


def add_user(
    engine: Engine,
    email: str,
    *,
    role: str,
    plan_id: int | None = None,
    name: str | None = None,
    person: str | None = None,
    departments: Iterable[str] = (),
    author: str | Principal,
) -> int:
    """Add a user with a role on one plan (``plan_id``) or every plan (None); return the id.

    Raises:
        AccessDenied: the actor may not manage users.
        ValidationError: bad email or role, or the email is taken.
        NotFoundError: no such person or department.

    """
    actor = as_principal(author)
    key = _clean_email(email)
    _check_role(role)
    with Session(engine) as s, s.begin():
        require(actor, "manage_users", None)
        if s.scalar(select(User.id).where(func.lower(User.email) == key)) is not None:
            raise ValidationError([f"user {key!r} already exists; use set-role to change their role"])
        person_id = None
        if person:
            person_id = s.scalar(select(Person.id).where(func.lower(Person.name) == person.strip().lower()))
            if person_id is None:
                raise NotFoundError(f"no person named {person!r}")
        dep_ids = []
        for d in departments:
            dep_id = s.scalar(select(Department.id).where(func.lower(Department.name) == d.strip().lower()))
            if dep_id is None:
                raise NotFoundError(f"no department named {d!r}")
            dep_ids.append(dep_id)
        user = User(email=key, name=(name or "").strip() or None, person_id=person_id)
        s.add(user)
        s.flush()
        s.add_all(UserDepartment(user_id=user.id, department_id=d) for d in dict.fromkeys(dep_ids))
        repository.write_audit(s, author=actor.label, action="add", entity="user", entity_id=user.id,
                               field="email", new=key, source="users")
        _set_role(s, user, role, plan_id, actor.label)
        return user.id


def set_role(engine: Engine, email: str, *, role: str, plan_id: int | None = None,
             author: str | Principal) -> None:
    """Give a user ``role`` on one plan, or on every plan (``plan_id`` None); audited."""
    actor = as_principal(author)
    _check_role(role)
    with Session(engine) as s, s.begin():
        require(actor, "manage_users", None)
        _set_role(s, _user(s, email), role, plan_id, actor.label)


def remove_user(engine: Engine, email: str, *, author: str | Principal) -> None:
    """Remove a user and their roles (their past changes keep their name in the audit trail)."""
    actor = as_principal(author)
    with Session(engine) as s, s.begin():
        require(actor, "manage_users", None)
        user = _user(s, email)
        # Statements, not ORM deletes: the link tables have no relationship that would order them.
        s.execute(delete(UserPlanRole).where(UserPlanRole.user_id == user.id))
        s.execute(delete(UserDepartment).where(UserDepartment.user_id == user.id))
        repository.write_audit(s, author=actor.label, action="remove", entity="user", entity_id=user.id,
                               field="email", old=user.email, source="users")
        s.delete(user)
