"""Who may do what: principals, roles and the permission checks every writer calls.

A :class:`Principal` is the person acting: a signed-in user (matched to a ``users`` row
by email, case-insensitively, never by the provider's ``sub``), the configured local
user of a laptop install, or a trusted command-line caller. Roles are per plan:

- ``viewer`` reads;
- ``updater`` records progress on leaf items whose *effective* owner is their linked
  person or whose *effective* lead department is one of their departments, and nothing
  else;
- ``editor`` changes the plan (items, people, departments), imports, and records
  progress anywhere in that plan;
- ``admin`` does all of that, manages users and roles and undoes imports.

A role granted with no plan holds for every plan. Each writer calls :func:`require`
(or :func:`require_item`) inside its transaction before it writes anything; a refusal
raises :class:`AccessDenied` with one readable line, so nothing is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import pandas as pd
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from wehoplan.models import Department, Item, Person, Plan, User, UserDepartment, UserPlanRole

ROLES: tuple[str, ...] = ("viewer", "updater", "editor", "admin")
_RANK = {r: n for n, r in enumerate(ROLES, start=1)}

#: Each action and the lowest role that allows it (updaters are further limited by scope).
ACTIONS: Mapping[str, str] = MappingProxyType({
    "view": "viewer",
    "record_progress": "updater",
    "edit_plan": "editor",
    "import": "editor",
    "undo_import": "admin",
    "manage_users": "admin",
    "publish": "editor",
    "lock_period": "admin",
})

#: The words of a refusal, by action (shown as "you need the editor role to edit the plan").
_DOING = {
    "view": "to see this plan", "record_progress": "to record progress", "edit_plan": "to edit the plan",
    "import": "to import", "undo_import": "to undo imports", "manage_users": "to manage users and roles",
    "publish": "to publish the plan",
    "lock_period": "to lock or unlock reporting periods",
}

LOCAL_SOURCE = "local"


class AccessDenied(Exception):
    """The acting principal's role does not allow this write; nothing was written."""


@dataclass(frozen=True)
class Principal:
    """Who is acting, with their roles.

    Attributes:
        email: the sign-in email, lower case ("" for the local user or a CLI caller).
        name: the display name (what audit rows and the sidebar show).
        roles: role by plan id; the key ``None`` is a role for every plan.
        person_id: the plan person this user is (an updater's own items).
        department_ids: the departments whose items an updater may report on.
        local: True for the local user of a laptop install and for CLI callers.

    """

    email: str
    name: str
    roles: Mapping[int | None, str] = field(default_factory=dict)
    person_id: int | None = None
    department_ids: frozenset[int] = frozenset()
    local: bool = False

    @property
    def label(self) -> str:
        """The author recorded in audit rows and updates: "Name <email>", or the name alone."""
        if self.email and self.name and self.name.lower() != self.email:
            return f"{self.name} <{self.email}>"
        return self.email or self.name

    def role(self, plan_id: int | None) -> str | None:
        """The strongest role this principal holds on ``plan_id`` (None: roles for every plan only)."""
        found = [r for k, r in self.roles.items() if k is None or (plan_id is not None and k == plan_id)]
        return max(found, key=_RANK.__getitem__, default=None)

    def best_role(self) -> str | None:
        """The strongest role on any plan (what navigation shows when no plan is chosen)."""
        return max(self.roles.values(), key=_RANK.__getitem__, default=None)

    def can(self, action: str, plan_id: int | None) -> bool:
        """Whether the role on ``plan_id`` allows ``action`` at all (updaters: on some items)."""
        return at_least(self.role(plan_id), ACTIONS[action])

    def can_somewhere(self, action: str) -> bool:
        """Whether ``action`` is allowed on at least one plan (what navigation shows).

        Users and roles span plans, so managing them needs the admin role for every plan.
        """
        if action == "manage_users":
            return self.can(action, None)
        return at_least(self.best_role(), ACTIONS[action])


def at_least(role: str | None, needed: str) -> bool:
    """True when ``role`` is ``needed`` or stronger."""
    return role is not None and _RANK[role] >= _RANK[needed]


def local_principal(name: str = "Local user") -> Principal:
    """The one person of a laptop install (no sign-in configured), or a CLI caller: every right."""
    return Principal(email="", name=name, roles={None: "admin"}, local=True)


def as_principal(actor: str | Principal | None) -> Principal:
    """A principal from a writer's ``author`` argument.

    A plain name is the trusted old call style (the CLI on its own database, tests, the
    demo builder): whoever can run it can already write the database file, so it acts as
    the local user under that name.
    """
    if isinstance(actor, Principal):
        return actor
    return local_principal(actor or "Local user")


def refusal(action: str, needed: str) -> str:
    """The one-line reason a page or writer gives ("you need the editor role to edit the plan")."""
    return f"you need the {needed} role {_DOING[action]}"


def require(actor: Principal, action: str, plan_id: int | None) -> None:
    """Raise :class:`AccessDenied` unless ``actor`` may do ``action`` on ``plan_id``.

    ``plan_id`` None means "every plan" (creating a plan, managing users): only a role
    granted for every plan counts then. The principal carries its roles, so this reads
    nothing; writers call it inside their transaction, before the first write.
    """
    needed = ACTIONS[action]
    if not at_least(actor.role(plan_id), needed):
        raise AccessDenied(refusal(action, needed) + (" for every plan" if plan_id is None else " on this plan"))


def require_any_plan(actor: Principal, action: str) -> None:
    """Raise unless ``actor`` may do ``action`` on at least one plan (people and departments are shared)."""
    needed = ACTIONS[action]
    if not at_least(actor.best_role(), needed):
        raise AccessDenied(refusal(action, needed))


def effective_owner_and_department(session: Session, item: Item) -> tuple[int | None, int | None]:
    """The item's effective owner and lead department (its own, else the nearest ancestor's)."""
    owner, dep = item.owner_id, item.lead_department_id
    node = item
    while (owner is None or dep is None) and node.parent_id is not None:
        node = session.get_one(Item, node.parent_id)
        owner = owner if owner is not None else node.owner_id
        dep = dep if dep is not None else node.lead_department_id
    return owner, dep


def require_progress(session: Session, actor: Principal, item: Item) -> None:
    """Raise unless ``actor`` may record progress on ``item``.

    Editors and admins of the item's plan may report on any item; an updater only on
    items whose effective owner is their person or whose effective lead department is
    one of theirs.
    """
    role = actor.role(item.plan_id)
    if at_least(role, "editor"):
        return
    if role == "updater":
        owner, dep = effective_owner_and_department(session, item)
        if (actor.person_id is not None and owner == actor.person_id) or (
                dep is not None and dep in actor.department_ids):
            return
        raise AccessDenied(f"item {item.code} is not yours: an updater records progress only on items they "
                           "own or their departments lead")
    raise AccessDenied(refusal("record_progress", "updater") + " on this plan")


def recordable(engine: Engine, actor: Principal, plan_id: int, items: pd.DataFrame) -> pd.Series:
    """Which rows of a prepared tree's frame ``actor`` may record progress on (the rule of :func:`require_progress`).

    The frame's ``owner`` and ``department`` are the effective (inherited) names, so the
    updater's person and departments are matched by name (both unique).
    """
    role = actor.role(plan_id)
    if at_least(role, "editor"):
        return pd.Series(True, index=items.index)
    if role != "updater":
        return pd.Series(False, index=items.index)
    with Session(engine) as s:
        found = s.get(Person, actor.person_id) if actor.person_id is not None else None
        person = found.name if found is not None else None
        departments = set(s.scalars(select(Department.name).where(Department.id.in_(actor.department_ids))))
    return items["owner"].eq(person).fillna(False) | items["department"].isin(departments)


# ---------------------------------------------------------------- loading principals


def principal_for_email(
    engine: Engine, email: str, *, name: str | None = None, unknown_role: str | None = None,
) -> Principal | None:
    """The principal of a signed-in person, matched by email case-insensitively.

    Args:
        engine: the plan database.
        email: the email claim of the ID token.
        name: the name claim (used when the user row has no display name).
        unknown_role: the role, for every plan, of an email with no user row; None: no access.

    Returns:
        The principal, or None when the email has no user row and ``unknown_role`` is None.

    """
    key = email.strip().lower()
    with Session(engine) as s:
        user = s.scalar(select(User).where(func.lower(User.email) == key))
        if user is None:
            if unknown_role is None:
                return None
            return Principal(email=key, name=name or key, roles={None: unknown_role})
        roles = {r.plan_id: r.role for r in s.scalars(select(UserPlanRole).where(UserPlanRole.user_id == user.id))}
        deps = frozenset(s.scalars(select(UserDepartment.department_id)
                                   .where(UserDepartment.user_id == user.id)).all())
        return Principal(email=key, name=user.name or name or key, roles=roles, person_id=user.person_id,
                         department_ids=deps)


def admin_contacts(engine: Engine) -> list[str]:
    """Name and email of every admin of every plan: whom a person without access should ask."""
    with Session(engine) as s:
        rows = s.execute(select(User.name, User.email).join(UserPlanRole)
                         .where(UserPlanRole.plan_id.is_(None), UserPlanRole.role == "admin")
                         .order_by(User.email)).all()
    return [f"{name} <{email}>" if name else email for name, email in rows]


def sees_every_plan(actor: Principal) -> bool:
    """Whether the principal holds a role for every plan (an admin without a plan, the local user).

    Everyone else reads only the plans they have a role on: the audit trail, too, is shown
    for the chosen plan only.
    """
    return actor.role(None) is not None


def visible_plan_ids(engine: Engine, actor: Principal) -> list[int]:
    """The plans this principal may see (every plan with a role for every plan)."""
    with Session(engine) as s:
        ids = list(s.scalars(select(Plan.id).order_by(Plan.id)).all())
    if actor.role(None) is not None:
        return ids
    return [i for i in ids if actor.role(i) is not None]


# ---------------------------------------------------------------- measures (issue 17)


def require_measure(actor: Principal, plan_id: int, owner_id: int | None, department_ids: set[int]) -> None:
    """Raise :class:`AccessDenied` unless ``actor`` may record values of a measure.

    An editor or admin of the plan records any of its measures; an updater records the
    measures they own and those tied to an item their departments lead (effective lead);
    and a measure's owner may record it with any role on the plan, even a viewer's.

    Args:
        actor: who is acting.
        plan_id: the measure's plan.
        owner_id: the measure's owner (a person), if any.
        department_ids: effective lead departments of the items the measure is tied to.

    """
    role = actor.role(plan_id)
    if at_least(role, "editor"):
        return
    if role is not None and actor.person_id is not None and owner_id == actor.person_id:
        return
    if role == "updater" and department_ids & actor.department_ids:
        return
    if role is None:
        raise AccessDenied(refusal("view", "viewer") + " on this plan")
    raise AccessDenied("this measure is not yours: record values of the measures you own or of items "
                       "your departments lead, or ask an editor of the plan")
