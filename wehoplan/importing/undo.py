"""Undoing an import batch without losing anything done since.

An import batch is undone by removing the updates and items it added and restoring the
fields it changed. Work done after it on the same items (a manual retitle, an owner
change, an edit of an item the batch created, a later import) would be reverted or
deleted by that, so undo refuses and lists those changes instead; what it does undo is
audited item by item.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import CursorResult, Engine, delete, or_, select, update
from sqlalchemy.orm import Session

from wehoplan.importing.load import SOURCE, UndoRefused, _Names, _set_partners
from wehoplan.models import (
    UNDO_BATCH_OPTION,
    Audit,
    ImportBatch,
    Item,
    Person,
    Plan,
    Update,
    item_partner_departments,
)
from wehoplan.repository import write_audit

# Later audit fields that collide with a restored "parent" (a move renumbers the code too).
_PARENT_FIELDS = {"parent", "code"}
_SHOWN_CONFLICTS = 10


def changes_since(s: Session, batch_id: int, audits: list[Audit]) -> list[str]:
    """Later changes that undoing the batch would revert or delete, one short phrase each.

    An item the batch created counts with any later change; an item it updated counts
    with a later change of a field the batch changed (progress reports on it are kept
    by the undo, which removes only the batch's own updates).
    """
    if not audits:
        return []
    last = max(a.id for a in audits)
    created = {a.entity_id for a in audits if a.entity == "item" and a.action == "create"}
    fields: dict[int | None, set[str]] = {}
    for a in audits:
        if a.entity == "item" and a.action == "update" and a.field:
            fields.setdefault(a.entity_id, set()).add(a.field)
    # A later batch that was itself undone left its rows on the trail but its changes reverted.
    undone = select(ImportBatch.id).where(ImportBatch.undone_at.is_not(None))
    later = s.scalars(select(Audit).where(Audit.entity == "item", Audit.id > last,
                                          or_(Audit.batch_id.is_(None),
                                              (Audit.batch_id != batch_id) & Audit.batch_id.not_in(undone)))
                      .order_by(Audit.id)).all()
    hits: list[Audit] = []
    for a in later:
        mine = fields.get(a.entity_id)
        if a.entity_id in created:
            hits.append(a)
        elif mine and (a.field in mine or ("parent" in mine and a.field in _PARENT_FIELDS)):
            hits.append(a)
    if not hits:
        return []
    codes = dict(s.execute(select(Item.id, Item.code).where(Item.id.in_({a.entity_id for a in hits}))).all())
    out = []
    for a in hits:
        who = f" by {a.author}" if a.author else ""
        when = f" on {a.at:%Y-%m-%d %H:%M}" if a.at else ""
        how = f"import batch {a.batch_id}" if a.batch_id else a.action
        code = codes.get(a.entity_id) if a.entity_id is not None else None
        out.append(f"{code or a.entity_id} {a.field or a.action} ({how}{who}{when})")
    return out


def _restore_value(s: Session, item: Item, k: str, raw: str | None, names: _Names, ids: dict[str, int]) -> None:
    if k == "parent":
        item.parent_id = ids.get(raw) if raw else None
    elif k in ("start", "due"):
        setattr(item, k, dt.date.fromisoformat(raw) if raw else None)
    elif k == "weight":
        item.weight = float(raw) if raw is not None else 1.0
    elif k == "sort_order":
        item.sort_order = int(raw) if raw is not None else 0
    elif k == "owner":
        item.owner_id = names.person(raw)
    elif k == "sponsor":
        item.sponsor_id = names.person(raw)
    elif k == "department":
        item.lead_department_id = names.dept(raw)
    elif k == "partners":
        _set_partners(s, item.id, json.loads(raw) if raw else [], names)
    elif k == "archived":
        item.archived = raw == "True"
    elif k == "smart":
        item.smart = raw or ""
    else:
        setattr(item, k, raw)


def undo_import(engine: Engine, batch_id: int, author: str | None = None) -> dict[str, Any]:
    """Undo one import batch: remove the updates and items it added, restore what it changed.

    Raises:
        UndoRefused: unknown or already undone batch, or work done since on its items would
            be lost (items it created have updates or children from elsewhere, or any item
            it touched was changed since); the message lists those changes.

    """
    with Session(engine) as s, s.begin():
        batch = s.get(ImportBatch, batch_id)
        if batch is None:
            raise UndoRefused(f"no import batch {batch_id}")
        if batch.undone_at is not None:
            raise UndoRefused(f"import batch {batch_id} was already undone on {batch.undone_at:%Y-%m-%d %H:%M}")
        audits = s.scalars(select(Audit).where(Audit.batch_id == batch_id).order_by(Audit.id.desc())).all()
        created_ids = [a.entity_id for a in audits if a.entity == "item" and a.action == "create"]
        if created_ids:
            foreign = s.scalar(select(Update.id).where(Update.item_id.in_(created_ids),
                                                      (Update.batch_id.is_(None)) | (Update.batch_id != batch_id))
                               .limit(1))
            stray = s.scalar(select(Item.id).where(Item.parent_id.in_(created_ids), Item.id.not_in(created_ids))
                             .limit(1))
            if foreign is not None or stray is not None:
                raise UndoRefused(f"import batch {batch_id} cannot be undone: items it created have since received "
                                  "updates or children from elsewhere")
        since = changes_since(s, batch_id, list(audits))
        if since:
            shown = "; ".join(since[:_SHOWN_CONFLICTS])
            more = f"; and {len(since) - _SHOWN_CONFLICTS} more" if len(since) > _SHOWN_CONFLICTS else ""
            raise UndoRefused(f"import batch {batch_id} cannot be undone without losing {len(since)} later "
                              f"change(s) to its items: {shown}{more}")
        # The summary row comes first: the append-only triggers let an undone batch's updates
        # go only when its undo is on the audit trail, so no update leaves without a trace.
        summary = {"removed": 0, "items": len(created_ids), "restored": 0}
        write_audit(s, author=author, action="undo", entity="batch", entity_id=batch_id,
                    new=f"undoing: {len(created_ids)} items to remove", source=SOURCE, batch_id=batch_id)
        s.flush()
        batch.undone_at = dt.datetime.now()
        s.flush()
        removed: CursorResult = s.execute(  # type: ignore[assignment]
            delete(Update).where(Update.batch_id == batch_id).execution_options(**{UNDO_BATCH_OPTION: batch_id}))
        summary["removed"] = removed.rowcount
        names = _Names(s)
        ids = {it.code: it.id for it in s.scalars(select(Item).where(Item.plan_id == batch.plan_id))}
        for a in audits:
            if a.entity == "item" and a.action == "update":
                item = s.get(Item, a.entity_id)
                if item is not None and a.field is not None:
                    _restore_value(s, item, a.field, a.old_value, names, ids)
                    item.version = (item.version or 1) + 1
                    summary["restored"] += 1
                    write_audit(s, author=author, action="undo", entity="item", entity_id=item.id, field=a.field,
                                old=a.new_value, new=a.old_value, source=SOURCE, batch_id=batch_id)
            elif a.entity == "person" and a.action == "update" and a.field == "email":
                person = s.get(Person, a.entity_id)
                # An email changed by hand since the import stays: only the import's own value goes.
                if person is not None and person.email == a.new_value:
                    person.email = a.old_value
                    summary["restored"] += 1
                    write_audit(s, author=author, action="undo", entity="person", entity_id=person.id,
                                field="email", old=a.new_value, new=a.old_value, source=SOURCE, batch_id=batch_id)
        s.flush()
        if created_ids:
            codes = dict(s.execute(select(Item.id, Item.code).where(Item.id.in_(created_ids))).all())
            # Children first: detach, then delete, so the self-referencing key never dangles.
            s.execute(update(Item).where(Item.id.in_(created_ids)).values(parent_id=None))
            s.execute(delete(item_partner_departments).where(item_partner_departments.c.item_id.in_(created_ids)))
            s.execute(delete(Item).where(Item.id.in_(created_ids)))
            for item_id in created_ids:
                write_audit(s, author=author, action="undo", entity="item", entity_id=item_id, field="code",
                            old=codes.get(item_id) if item_id is not None else None, new=None, source=SOURCE,
                            batch_id=batch_id)
        plan_removed = False
        plan_id = batch.plan_id
        if plan_id is not None and any(a.entity == "plan" and a.action == "create" for a in audits):
            left = s.scalar(select(Item.id).where(Item.plan_id == plan_id).limit(1))
            if left is None:
                # Keep the batches (history) but let go of the plan they created.
                s.execute(update(ImportBatch).where(ImportBatch.plan_id == plan_id).values(plan_id=None))
                s.execute(delete(Plan).where(Plan.id == plan_id))
                plan_removed = True
        write_audit(s, author=author, action="undo", entity="batch", entity_id=batch_id,
                    new=f"removed {summary['removed']} updates, {len(created_ids)} items; "
                        f"restored {summary['restored']} fields",
                    source=SOURCE, batch_id=batch_id)
        return {"batch_id": batch_id, "updates_removed": summary["removed"], "items_removed": len(created_ids),
                "fields_restored": summary["restored"], "plan_removed": plan_removed}
