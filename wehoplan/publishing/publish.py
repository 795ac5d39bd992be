"""Publishing as an act: the public switches, the Publish writer, and reading what was published.

Every writer here takes the acting principal (or a trusted local caller's name), checks the
``publish`` action (editor or admin of the plan, :func:`wehoplan.access.require`) inside its
transaction before writing, and writes its audit rows in that same transaction.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from wehoplan import repository
from wehoplan.access import Principal, as_principal, require
from wehoplan.editing.validation import APP_SOURCE, NotFoundError, ValidationError
from wehoplan.models import Item, Plan, Publication
from wehoplan.publishing.document import SCHEMA_VERSION, build_document
from wehoplan.rollup import Thresholds

NOTE_MAX = 2000


@dataclass(frozen=True)
class Published:
    """One publication as stored: its id, plan, who and when, and the document that went out."""

    id: int
    plan_id: int
    published_at: dt.datetime
    author: str
    note: str | None
    as_of: dt.date
    document: dict[str, Any]


def set_plan_public(engine: Engine, plan_id: int, public: bool, author: str | Principal,
                    source: str = APP_SOURCE) -> None:
    """Switch a plan public (its publications may be shown) or internal (none is shown); audited."""
    actor = as_principal(author)
    with Session(engine) as s, s.begin():
        require(actor, "publish", plan_id)
        plan = s.get(Plan, plan_id)
        if plan is None:
            raise NotFoundError(f"plan {plan_id} does not exist")
        if bool(plan.public) == public:
            return
        plan.public = public
        s.flush()
        repository.write_audit(s, author=actor.label, action="edit", entity="plan", entity_id=plan_id,
                               field="public", old=not public, new=public, source=source)


def set_items_public(engine: Engine, plan_id: int, changes: Mapping[str, bool], author: str | Principal,
                     source: str = APP_SOURCE) -> int:
    """Mark items public or internal by code (an internal item hides its whole subtree); return how many changed."""
    actor = as_principal(author)
    with Session(engine) as s, s.begin():
        require(actor, "publish", plan_id)
        items = {i.code: i for i in s.scalars(select(Item).where(Item.plan_id == plan_id,
                                                                  Item.code.in_(list(changes))))}
        missing = sorted(set(changes) - set(items))
        if missing:
            raise ValidationError([f"no item {', '.join(missing)} in this plan"])
        n = 0
        for code, public in changes.items():
            item = items[code]
            if bool(item.public) == bool(public):
                continue
            item.public = bool(public)
            item.version += 1  # an edit of the item, like any other: a form open elsewhere reloads
            s.flush()
            repository.write_audit(s, author=actor.label, action="edit", entity="item", entity_id=item.id,
                                   field="public", old=not public, new=bool(public), source=source)
            n += 1
        return n


def publish(
    engine: Engine,
    plan_id: int,
    author: str | Principal,
    *,
    note: str | None = None,
    as_of: pd.Timestamp | None = None,
    thresholds: Thresholds | None = None,
    now: dt.datetime | None = None,
    today: dt.date | None = None,
    source: str = APP_SOURCE,
) -> Published:
    """Publish the plan: freeze its public items as they stand into a new publication; audited.

    Raises:
        AccessDenied: the principal is not an editor or admin of the plan.
        ValidationError: the plan is not switched public, or the note is too long.

    """
    actor = as_principal(author)
    require(actor, "publish", plan_id)
    note = None if note is None or not str(note).strip() else str(note).strip()
    if note is not None and len(note) > NOTE_MAX:
        raise ValidationError([f"the note is {len(note)} characters; at most {NOTE_MAX}"])
    with Session(engine) as s:
        plan = s.get(Plan, plan_id)
        if plan is None:
            raise NotFoundError(f"plan {plan_id} does not exist")
        if not plan.public:
            raise ValidationError([f"{plan.name} is not public: switch it public first (Publish page, or "
                                   "`wehoplan publish --make-public`)"])
    when = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(microsecond=0)
    doc = build_document(engine, plan_id, published_at=when, published_by=actor.name or "Local user",
                         note=note, as_of=as_of, thresholds=thresholds, today=today)
    with Session(engine) as s, s.begin():
        require(actor, "publish", plan_id)
        row = Publication(plan_id=plan_id, published_at=when.replace(tzinfo=None), author=actor.label, note=note,
                          as_of=dt.date.fromisoformat(doc["published"]["as_of"]), schema_version=SCHEMA_VERSION,
                          document=json.dumps(doc, ensure_ascii=False, sort_keys=False))
        s.add(row)
        s.flush()
        repository.write_audit(s, author=actor.label, action="publish", entity="plan", entity_id=plan_id,
                               field="publication", new=f"publication {row.id} as of {doc['published']['as_of']}"
                               + (f": {note}" if note else ""), source=source)
        return _published(row)


def _published(row: Publication) -> Published:
    return Published(id=row.id, plan_id=row.plan_id, published_at=row.published_at, author=row.author,
                     note=row.note, as_of=row.as_of, document=json.loads(row.document))


def latest_publication(engine: Engine, plan_id: int) -> Published | None:
    """The plan's latest publication, or None when it has none or is not public now (withdrawn)."""
    with Session(engine) as s:
        plan = s.get(Plan, plan_id)
        if plan is None or not plan.public:
            return None
        row = s.scalars(select(Publication).where(Publication.plan_id == plan_id)
                        .order_by(Publication.id.desc()).limit(1)).first()
        return None if row is None else _published(row)


def plan_is_public(engine: Engine, plan_id: int) -> bool:
    """Whether the plan is switched public now."""
    with Session(engine) as s:
        return bool(s.scalar(select(Plan.public).where(Plan.id == plan_id)))


def public_plans(engine: Engine) -> list[tuple[int, str, bool]]:
    """Every plan switched public: (id, name, has a publication), by name."""
    with Session(engine) as s:
        plans = s.execute(select(Plan.id, Plan.name).where(Plan.public.is_(True)).order_by(Plan.name)).all()
        done = set(s.scalars(select(Publication.plan_id).distinct()))
    return [(pid, name, pid in done) for pid, name in plans]


def publications(engine: Engine, plan_id: int) -> pd.DataFrame:
    """The plan's publications, newest first: id, published_at, author, note, as_of (for the Publish page)."""
    with Session(engine) as s:
        rows = s.execute(select(Publication.id, Publication.published_at, Publication.author, Publication.note,
                                Publication.as_of).where(Publication.plan_id == plan_id)
                         .order_by(Publication.id.desc())).all()
    return pd.DataFrame(rows, columns=["id", "published_at", "author", "note", "as_of"])


def item_visibility(engine: Engine, plan_id: int) -> pd.DataFrame:
    """code, title, level, own public flag, and whether it is published (no internal ancestor), in outline order."""
    from wehoplan.publishing.document import public_item_ids

    ok = public_item_ids(engine, plan_id)
    with Session(engine) as s:
        rows = s.execute(select(Item.id, Item.code, Item.title, Item.level, Item.public, Item.sort_order)
                         .where(Item.plan_id == plan_id, Item.archived.is_(False))
                         .order_by(Item.sort_order, Item.id)).all()
    frame = pd.DataFrame(rows, columns=["id", "code", "title", "level", "public", "sort_order"])
    return frame.assign(public=frame["public"].astype(bool), published=frame["id"].isin(ok)).drop(
        columns="sort_order")
