"""Editing the plan's items: add, edit, move (renumbering the subtree), archive and restore.

Every writer checks the version the caller read (:mod:`wehoplan.editing.versions`),
runs in one transaction and writes one audit row per change in it. Nothing is deleted:
archiving hides an item and its subtree from every roll-up.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from wehoplan import repository
from wehoplan.access import Principal, as_principal, require
from wehoplan.domain import code_sort_key, level_name, split_level_names
from wehoplan.editing.validation import (
    APP_SOURCE,
    NotFoundError,
    ValidationError,
    check_dates,
    normalise_changes,
    partner_list,
    shown,
)
from wehoplan.editing.versions import bump, claim
from wehoplan.models import Department, Item, Plan
from wehoplan.repository.editable import editable_fields


def _apply(session: Session, item: Item, values: Mapping[str, Any]) -> None:
    for k, v in values.items():
        if k in ("owner", "sponsor"):
            setattr(item, f"{k}_id", repository.person_id(session, v))
        elif k == "department":
            item.lead_department_id = repository.department_id(session, v)
        elif k == "partners":
            ids = [repository.department_id(session, n) for n in partner_list(v)]
            item.partner_departments = [session.get_one(Department, i) for i in ids]
        elif k == "smart":
            item.smart = v or ""
        else:
            setattr(item, k, v)


def _next_code(session: Session, plan_id: int, parent: Item | None, exclude: Iterable[int] = ()) -> str:
    """Return the next free outline number under ``parent`` (archived items keep theirs)."""
    prefix = f"{parent.code}." if parent is not None else ""
    pid = parent.id if parent is not None else None
    q = select(Item.id, Item.code).where(Item.plan_id == plan_id)
    rows = session.execute(q).all()
    taken = {r.code for r in rows if r.id not in set(exclude)}
    siblings = session.scalars(
        select(Item.code).where(Item.plan_id == plan_id,
                                Item.parent_id.is_(None) if pid is None else Item.parent_id == pid)
    ).all()
    nums = [int(c[len(prefix):]) for c in siblings if c.startswith(prefix) and c[len(prefix):].isdigit()]
    n = max(nums, default=0) + 1
    while f"{prefix}{n}" in taken:
        n += 1
    return f"{prefix}{n}"


def _depth(session: Session, item: Item | None) -> int:
    d = 0
    while item is not None:
        d += 1
        item = session.get(Item, item.parent_id) if item.parent_id is not None else None
    return d


def add_item(
    engine: Engine,
    plan_id: int,
    *,
    parent_id: int | None,
    title: str,
    author: str | Principal,
    parent_version: int | None = None,
    **fields: object,
) -> int:
    """Add an item under ``parent_id`` (None: a new top-level item); return its id.

    The code is the next free outline number under the parent and the level name
    follows the depth. ``fields`` takes any of :data:`EDITABLE_FIELDS` besides title.
    When ``parent_version`` is given the parent's version is checked (and bumped).
    ``author`` is the acting principal (or a trusted local caller's name); editors only.

    Raises:
        AccessDenied: the principal may not edit this plan.
        ValidationError: a field is invalid. StaleWriteError / NotFoundError: see above.

    """
    values, problems = normalise_changes({"title": title, **fields})
    problems += check_dates(values.get("start"), values.get("due"))
    if problems:
        raise ValidationError(problems)
    actor = as_principal(author)
    author = actor.label
    with Session(engine) as s, s.begin():
        if s.get(Plan, plan_id) is None:
            raise NotFoundError(f"plan {plan_id} does not exist")
        require(actor, "edit_plan", plan_id)
        parent = None
        if parent_id is not None:
            parent = claim(s, parent_id, parent_version) if parent_version is not None else s.get(Item, parent_id)
            if parent is None or parent.plan_id != plan_id:
                raise NotFoundError(f"parent item {parent_id} is not in this plan")
        code = _next_code(s, plan_id, parent)
        depth = _depth(s, parent) + 1
        order = (s.scalar(select(func.max(Item.sort_order)).where(Item.plan_id == plan_id)) or 0) + 1
        item = Item(plan_id=plan_id, parent_id=parent_id, code=code,
                    level=level_name(depth, _level_names(s, plan_id)),
                    title=values["title"], sort_order=order, version=1, weight=1.0, smart="")
        s.add(item)
        _apply(s, item, values)
        s.flush()
        repository.write_audit(s, author=author, action="add", entity="item", entity_id=item.id,
                               field="code", new=f"{code} {item.title}", source=APP_SOURCE)
        return item.id


def edit_item(engine: Engine, item_id: int, changes: Mapping[str, object], author: str | Principal,
              expected_version: int) -> int:
    """Change some fields of an item; one audit row per field that really changed.

    ``changes`` maps field names of :data:`EDITABLE_FIELDS` to new values (people and
    departments by name; partners as a list or "a; b"; SMART as letters or names).
    Returns the new version (unchanged when nothing differed: nothing is written then).

    Raises:
        AccessDenied, ValidationError, StaleWriteError, NotFoundError.

    """
    values, problems = normalise_changes(changes)
    if problems:
        raise ValidationError(problems)
    try:
        return _edit_item(engine, item_id, values, author, expected_version)
    except _NoChange:
        return int(expected_version)


class _NoChange(Exception):
    """Raised inside the transaction to roll back the version claim when nothing differed."""


def _edit_item(engine: Engine, item_id: int, values: Mapping[str, Any], author: str | Principal,
               expected_version: int) -> int:
    actor = as_principal(author)
    author = actor.label
    with Session(engine) as s, s.begin():
        item = claim(s, item_id, expected_version)
        require(actor, "edit_plan", item.plan_id)
        before = editable_fields(s, item)
        diff = {k: v for k, v in values.items() if shown(before[k]) != shown(v)}
        problems = check_dates(diff.get("start", before["start"]), diff.get("due", before["due"]))
        if problems:
            raise ValidationError(problems)
        if not diff:
            raise _NoChange
        _apply(s, item, diff)
        for k, v in diff.items():
            repository.write_audit(s, author=author, action="edit", entity="item", entity_id=item.id, field=k,
                                   old=shown(before[k]), new=shown(v), source=APP_SOURCE)
        s.flush()
        return item.version


def move_item(engine: Engine, item_id: int, new_parent_id: int | None, author: str | Principal,
              expected_version: int) -> str:
    """Re-parent an item with its whole subtree; return the item's new code.

    The item takes the next free number under its new parent and every descendant's
    code is renumbered with the same prefix (``1.2.3`` under ``1.2`` moved to ``2`` as
    ``2.5`` becomes ``2.5.3``); level names follow the new depth. Codes left behind
    keep their numbers (a gap is fine; reusing them would confuse old reports).

    Raises:
        ValidationError: moving under itself or one of its descendants, or another plan.
        AccessDenied, StaleWriteError, NotFoundError.

    """
    actor = as_principal(author)
    author = actor.label
    with Session(engine) as s, s.begin():
        item = claim(s, item_id, expected_version)
        require(actor, "edit_plan", item.plan_id)
        parent = None
        if new_parent_id is not None:
            parent = s.get(Item, new_parent_id)
            if parent is None or parent.plan_id != item.plan_id:
                raise NotFoundError(f"new parent {new_parent_id} is not in this plan")
        if (item.parent_id or None) == new_parent_id:
            raise ValidationError([f"item {item.code} is already there"])
        # The subtree, by walking children (codes may be irregular after imports).
        subtree: list[Item] = [item]
        frontier = [item.id]
        while frontier:
            kids = s.scalars(select(Item).where(Item.parent_id.in_(frontier))).all()
            subtree += kids
            frontier = [k.id for k in kids]
        ids = {i.id for i in subtree}
        if new_parent_id in ids:
            raise ValidationError([f"cannot move {item.code} under itself or one of its own sub-items"])
        old_code = item.code
        old_codes = {it.id: it.code for it in subtree}
        new_code = _next_code(s, item.plan_id, parent, exclude=ids)
        names = _level_names(s, item.plan_id)
        base_depth = _depth(s, parent) + 1
        new_codes: dict[int, str] = {}
        for it in subtree:
            suffix = it.code[len(old_code):] if it.code.startswith(old_code + ".") else None
            if it.id == item.id:
                new_codes[it.id] = new_code
            elif suffix is not None:
                new_codes[it.id] = new_code + suffix
            else:  # an irregular code: number it under its (renumbered) parent later
                new_codes[it.id] = ""
        taken = set(s.scalars(select(Item.code).where(Item.plan_id == item.plan_id, Item.id.not_in(ids))).all())
        for it in subtree:  # parents before children: subtree is in breadth-first order
            if not new_codes[it.id] or new_codes[it.id] in taken:
                assert it.parent_id is not None  # only descendants of the moved item get here
                base = new_codes[it.parent_id]
                n = 1
                while f"{base}.{n}" in taken or f"{base}.{n}" in new_codes.values():
                    n += 1
                new_codes[it.id] = f"{base}.{n}"
        # Two steps so no intermediate state breaks the unique (plan, code) constraint.
        for it in subtree:
            it.code = f"~moving~{it.id}"
        s.flush()
        depth_of = {item.id: base_depth}
        for it in subtree:
            if it.id != item.id:
                assert it.parent_id is not None  # a descendant of the moved item
                depth_of[it.id] = depth_of[it.parent_id] + 1
                bump(s, it.id)
            it.code = new_codes[it.id]
            it.level = level_name(depth_of[it.id], names)
        old_parent = _names_code(s, item.parent_id)
        item.parent_id = new_parent_id
        s.flush()
        repository.write_audit(s, author=author, action="move", entity="item", entity_id=item.id, field="parent",
                               old=old_parent, new=parent.code if parent else "(top level)", source=APP_SOURCE)
        for it in sorted(subtree, key=lambda i: code_sort_key(new_codes[i.id])):
            repository.write_audit(s, author=author, action="renumber", entity="item", entity_id=it.id,
                                   field="code", old=old_codes[it.id], new=new_codes[it.id], source=APP_SOURCE)
        return new_code


def _names_code(s: Session, item_id: int | None) -> str:
    return "(top level)" if item_id is None else s.get_one(Item, item_id).code


def _level_names(s: Session, plan_id: int) -> tuple[str, ...]:
    return split_level_names(s.get_one(Plan, plan_id).level_names)


def _set_archived(engine: Engine, item_id: int, archived: bool, author: str | Principal,
                  expected_version: int) -> int:
    actor = as_principal(author)
    author = actor.label
    with Session(engine) as s, s.begin():
        item = claim(s, item_id, expected_version)
        require(actor, "edit_plan", item.plan_id)
        if bool(item.archived) == archived:
            raise ValidationError([f"item {item.code} is already {'archived' if archived else 'active'}"])
        item.archived = archived
        s.flush()
        repository.write_audit(s, author=author, action="archive" if archived else "restore", entity="item",
                               entity_id=item.id, field="archived", old=str(not archived).lower(),
                               new=str(archived).lower(), source=APP_SOURCE)
        return item.version


def archive_item(engine: Engine, item_id: int, author: str | Principal, expected_version: int) -> int:
    """Hide an item and its subtree from every roll-up; nothing is deleted. Returns the new version."""
    return _set_archived(engine, item_id, True, author, expected_version)


def restore_item(engine: Engine, item_id: int, author: str | Principal, expected_version: int) -> int:
    """Bring an archived item (and its subtree) back into the roll-ups. Returns the new version."""
    return _set_archived(engine, item_id, False, author, expected_version)
