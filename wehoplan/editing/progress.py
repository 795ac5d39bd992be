"""Progress reports: one at a time, or several at once (all or none).

Reports are appended, never edited or deleted; each one writes an audit row in the
same transaction (:func:`wehoplan.repository.write_audit`, which also bumps the data
version so cached dashboards reload). Reports never conflict with each other: two owners
reporting on one action at once both succeed (:func:`~wehoplan.editing.versions.claim_for_report`);
only edits of an item's fields are version-checked.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from wehoplan import repository
from wehoplan.access import AccessDenied, Principal, as_principal, at_least, require_progress
from wehoplan.display import day
from wehoplan.domain import is_blank
from wehoplan.editing.validation import APP_SOURCE, CleanUpdate, EditError, ValidationError, validate_update
from wehoplan.editing.versions import claim_for_report
from wehoplan.models import Item, PeriodLock, Update


def _is_leaf(session: Session, item_id: int) -> bool:
    n = session.scalar(
        select(func.count()).select_from(Item).where(Item.parent_id == item_id, Item.archived.is_(False))
    )
    return not n


def _update_summary(u: CleanUpdate) -> str:
    text_ = f"{u.status} {u.progress:g}% as of {u.as_of:%Y-%m-%d}"
    return f"{text_}: {u.comment}" if u.comment else text_


def _check_reportable(item: Item, session: Session) -> list[str]:
    node: Item | None = item
    while node is not None:  # an archived ancestor hides the whole subtree
        if node.archived:
            what = "is archived" if node is item else f"is under archived item {node.code}"
            return [f"item {item.code} {what}; restore it before reporting progress"]
        node = session.get(Item, node.parent_id) if node.parent_id is not None else None
    if not _is_leaf(session, item.id):
        return [f"item {item.code} has sub-items; progress is reported on its actions and rolls up"]
    return []


def _check_lock(s: Session, actor: Principal, item: Item, clean: CleanUpdate) -> PeriodLock | None:
    """Refuse a report dated inside a locked period unless ``actor`` is an admin of the plan.

    Returns the lock an admin reports into (the caller audits that), else None.
    """
    lock = s.scalar(select(PeriodLock).where(PeriodLock.plan_id == item.plan_id,
                                             PeriodLock.period_start <= clean.as_of,
                                             PeriodLock.period_end >= clean.as_of))
    if lock is None:
        return None
    if at_least(actor.role(item.plan_id), "admin"):
        return lock
    raise ValidationError([
        f"the period {day(lock.period_start)} to {day(lock.period_end)} is locked, so a report dated "
        f"{day(clean.as_of)} is refused; date it after {day(lock.period_end)}, or ask an admin"])


def record_update(
    engine: Engine,
    item_id: int,
    *,
    as_of: object,
    status: object,
    progress: object,
    comment: object = None,
    author: str | Principal,
    expected_version: int | None = None,
    allow_future: bool = False,
    source: str = APP_SOURCE,
    today: dt.date | None = None,
    public_note: object = None,
) -> int:
    """Append one progress report to a leaf item; return the item's new version.

    ``comment`` stays internal; ``public_note`` (optional) is what a publication may show.

    ``expected_version`` (the version the caller read) is accepted but not compared: a report
    is an append and a newer version means only that someone else reported or edited too.
    Whether the item may take a report (a live leaf) is checked against its stored state.

    ``author`` is the acting principal (a plain name: the trusted local caller, see
    :func:`wehoplan.access.as_principal`); its label is recorded as the author.

    Raises:
        AccessDenied: the principal may not record progress on this item.
        ValidationError: bad status, progress or date, or the item is archived / not a leaf.
        NotFoundError: no such item.

    """
    clean, problems = validate_update(
        as_of=as_of, status=status, progress=progress, comment=comment, allow_future=allow_future, today=today
    )
    note = None if public_note is None or is_blank(public_note) else str(public_note).strip()
    if note is not None and len(note) > PUBLIC_NOTE_MAX:
        problems = [*problems, f"the public note is {len(note)} characters; at most {PUBLIC_NOTE_MAX}"]
    if problems or clean is None:
        raise ValidationError(problems)
    actor = as_principal(author)
    with Session(engine) as s, s.begin():
        del expected_version  # not compared: see the docstring
        item = claim_for_report(s, item_id)
        require_progress(s, actor, item)
        problems = _check_reportable(item, s)
        if problems:
            raise ValidationError(problems)
        lock = _check_lock(s, actor, item, clean)
        _store_update(s, item, clean, actor.label, source, lock, public_note=note)
        return item.version


#: Longest public note (publishing, issue 19).
PUBLIC_NOTE_MAX = 2000


def _store_update(s: Session, item: Item, clean: CleanUpdate, author: str, source: str,
                  lock: PeriodLock | None = None, public_note: str | None = None) -> None:
    u = Update(item_id=item.id, as_of=clean.as_of, status=clean.status, progress=clean.progress,
               comment=clean.comment, author=author, source=source, public_note=public_note)
    s.add(u)
    s.flush()
    repository.write_audit(s, author=author, action="update", entity="item", entity_id=item.id,
                           field="progress", new=_update_summary(clean), source=source)
    if lock is not None:  # an admin reporting into a locked period: said so in the trail
        repository.write_audit(s, author=author, action="locked report", entity="item", entity_id=item.id,
                               field="locked period",
                               new=f"report dated {clean.as_of:%Y-%m-%d} inside the locked period "
                                   f"{lock.period_start:%Y-%m-%d} to {lock.period_end:%Y-%m-%d}", source=source)


@dataclass(frozen=True)
class RowProblem:
    """What is wrong with one row of a bulk update (``row`` is its position, from 0)."""

    row: int
    item_id: object
    code: str | None
    message: str


@dataclass
class BulkResult:
    """Outcome of :func:`record_updates_bulk`: all rows saved, or none and the problems."""

    saved: int = 0
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every row was saved."""
        return not self.problems

    def frame(self) -> pd.DataFrame:
        """Return the problems as a frame (row, item_id, code, message) for display."""
        return pd.DataFrame([p.__dict__ for p in self.problems], columns=["row", "item_id", "code", "message"])


def record_updates_bulk(
    engine: Engine,
    rows: Iterable[Mapping] | pd.DataFrame,
    author: str | Principal,
    *,
    allow_future: bool = False,
    source: str = "app bulk",
    today: dt.date | None = None,
) -> BulkResult:
    """Record several progress reports at once: all of them, or none.

    Each row needs ``item_id``, ``expected_version``, ``as_of``, ``status``, ``progress``
    and may carry ``comment`` (and ``code``, used in messages). Every row is validated
    first, and checked again against the stored item (a live leaf) as it is written; if any
    has a problem nothing is written and the result lists every problem, by row. As with
    :func:`record_update`, reports by others since ``expected_version`` are no conflict. An
    item the principal may not report on is a problem of its row.

    """
    actor = as_principal(author)
    records = rows.to_dict("records") if isinstance(rows, pd.DataFrame) else [dict(r) for r in rows]
    result = BulkResult()
    cleaned: list[tuple[int, dict, CleanUpdate]] = []
    for n, r in enumerate(records):
        clean, problems = validate_update(
            as_of=r.get("as_of"), status=r.get("status"), progress=r.get("progress"), comment=r.get("comment"),
            allow_future=allow_future, today=today,
        )
        if is_blank(r.get("item_id")):
            problems = ["item is required", *problems]
        if is_blank(r.get("expected_version")):
            problems = ["the version the row was read at is missing; reload", *problems]
        result.problems += [RowProblem(n, r.get("item_id"), r.get("code"), m) for m in problems]
        if clean is not None and not problems:
            cleaned.append((n, r, clean))
    seen: set[int] = set()
    for n, r, _ in cleaned:
        if int(r["item_id"]) in seen:
            result.problems.append(RowProblem(n, r["item_id"], r.get("code"), "the same item appears twice"))
        seen.add(int(r["item_id"]))
    if result.problems:
        return result
    s = Session(engine)
    try:
        s.begin()
        stored = 0
        for n, r, clean in cleaned:
            try:
                item = claim_for_report(s, int(r["item_id"]))
            except EditError as e:
                result.problems.append(RowProblem(n, r["item_id"], r.get("code"), str(e)))
                continue
            try:
                require_progress(s, actor, item)
            except AccessDenied as e:
                result.problems.append(RowProblem(n, r["item_id"], item.code, str(e)))
                continue
            bad = _check_reportable(item, s)
            if bad:
                result.problems += [RowProblem(n, r["item_id"], item.code, m) for m in bad]
                continue
            try:
                lock = _check_lock(s, actor, item, clean)
            except ValidationError as e:
                result.problems += [RowProblem(n, r["item_id"], item.code, m) for m in e.problems]
                continue
            _store_update(s, item, clean, actor.label, source, lock)
            stored += 1
        if result.problems:
            s.rollback()
            return result
        s.commit()
        result.saved = stored
        return result
    except BaseException:
        s.rollback()
        raise
    finally:
        s.close()
