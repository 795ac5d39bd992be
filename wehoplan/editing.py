"""Recording progress, editing the plan, and reading the audit trail.

Every writer here takes the author as an argument (sign-in can plug in later), runs
in one transaction, and writes its audit rows in that same transaction through
:func:`wehoplan.repository.write_audit`, which also bumps the data version so cached
dashboards reload at once. Either the change and its audit rows are stored, or
neither is.

Concurrency is optimistic: every write path that touches an item checks the
``version`` the caller read and bumps it with one compare-and-swap ``UPDATE``; a
stale write raises :class:`StaleWriteError` ("changed by X at T, reload") and writes
nothing.

Nothing here deletes or edits progress updates or audit rows; importing this module
also installs an ORM guard (:func:`_refuse_append_only_changes`) so no session can,
on top of the SQLite triggers created by :func:`wehoplan.db.create_schema`.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import Engine, func, select, text, update
from sqlalchemy.orm import Session

from wehoplan import repository
from wehoplan.domain import (
    STATUS_COLOURS,
    STATUS_KEYS,
    STATUS_LABELS,
    code_sort_key,
    level_name,
    parse_smart,
    parse_status,
)
from wehoplan.models import AppendOnlyError as AppendOnlyError  # re-exported for callers
from wehoplan.models import Audit, Department, Item, Person, Plan, Update

APP_SOURCE = "app"


# ---------------------------------------------------------------- errors


class EditError(Exception):
    """Base of every error a writer here raises on purpose; the message is for people."""


class ValidationError(EditError):
    """The input was rejected; ``problems`` lists every reason, one readable line each."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


class StaleWriteError(EditError):
    """Someone else saved the item after the caller read it; nothing was written."""

    def __init__(self, code: str, by: str | None, at: object):
        self.code, self.by, self.at = code, by, at
        when = f"{pd.Timestamp(at):%Y-%m-%d %H:%M}" if at is not None else "an unknown time"
        super().__init__(f"item {code} was changed by {by or 'someone'} at {when}, reload and try again")


class NotFoundError(EditError):
    """The item, department or person does not exist."""


# ---------------------------------------------------------------- value checks


def _blank(v: object) -> bool:
    return v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and math.isnan(v)) or (
        isinstance(v, str) and not v.strip()
    )


def to_date(value: object, what: str = "date") -> dt.date | None:
    """Read a date from a date, datetime, Timestamp or ISO text; None when blank.

    Raises:
        ValidationError: the value is not a date.

    """
    if _blank(value):
        return None
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError):
        raise ValidationError([f"{what} {value!r} is not a date (use YYYY-MM-DD)"]) from None
    if pd.isna(ts):
        return None
    return ts.date()


@dataclass(frozen=True)
class CleanUpdate:
    """A validated progress report, ready to store."""

    as_of: dt.date
    status: str
    progress: float
    comment: str | None


def validate_update(
    *, as_of: object, status: object, progress: object, comment: object = None,
    allow_future: bool = False, today: dt.date | None = None,
) -> tuple[CleanUpdate | None, list[str]]:
    """Check one progress report; return the clean values, or None and every problem.

    Rules: status is a canonical key or any word of the vocabulary; progress is a number
    from 0 to 100 (blank is allowed only with ``completed``, meaning 100); the as-of date
    is required and not after ``today`` unless ``allow_future``.
    """
    problems: list[str] = []
    today = today or dt.date.today()
    day: dt.date | None = None
    try:
        day = to_date(as_of, "as-of date")
        if day is None:
            problems.append("as-of date is required")
        elif day > today and not allow_future:
            problems.append(f"as-of date {day:%Y-%m-%d} is in the future (today is {today:%Y-%m-%d})")
    except ValidationError as e:
        problems.extend(e.problems)
    key: str | None = None
    if _blank(status):
        problems.append("status is required; one of " + ", ".join(STATUS_KEYS))
    else:
        try:
            key = parse_status(str(status))
        except ValueError as e:
            problems.append(str(e))
    pct: float | None = None
    if _blank(progress):
        if key == "completed":
            pct = 100.0
        else:
            problems.append("progress is required (a number from 0 to 100)")
    else:
        try:
            pct = float(str(progress).strip().rstrip("%")) if isinstance(progress, str) else float(progress)
        except (TypeError, ValueError):
            problems.append(f"progress {progress!r} is not a number (0 to 100)")
        else:
            if math.isnan(pct) or not 0 <= pct <= 100:
                problems.append(f"progress {progress!r} is outside 0 to 100")
                pct = None
    if problems:
        return None, problems
    note = None if _blank(comment) else str(comment).strip()
    return CleanUpdate(as_of=day, status=key, progress=pct, comment=note), []


# ---------------------------------------------------------------- version check


def _last_change(session: Session, item_id: int) -> tuple[str | None, object]:
    row = session.execute(
        select(Audit.author, Audit.at)
        .where(Audit.entity == "item", Audit.entity_id == item_id)
        .order_by(Audit.id.desc())
        .limit(1)
    ).first()
    return (row.author, row.at) if row else (None, None)


def _claim(session: Session, item_id: int, expected_version: int) -> Item:
    """Compare-and-swap the item's version inside the caller's transaction.

    Raises:
        NotFoundError: no such item.
        StaleWriteError: the stored version differs from ``expected_version``.

    """
    res = session.execute(
        update(Item)
        .where(Item.id == item_id, Item.version == int(expected_version))
        .values(version=Item.version + 1)
        .execution_options(synchronize_session=False)
    )
    item = session.get(Item, item_id)
    if item is None:
        raise NotFoundError(f"item {item_id} does not exist")
    if res.rowcount != 1:
        by, at = _last_change(session, item_id)
        raise StaleWriteError(item.code, by, at)
    session.refresh(item)
    return item


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


# ---------------------------------------------------------------- progress updates


def record_update(
    engine: Engine,
    item_id: int,
    *,
    as_of: object,
    status: object,
    progress: object,
    comment: object = None,
    author: str,
    expected_version: int,
    allow_future: bool = False,
    source: str = APP_SOURCE,
    today: dt.date | None = None,
) -> int:
    """Append one progress report to a leaf item; return the item's new version.

    Raises:
        ValidationError: bad status, progress or date, or the item is archived / not a leaf.
        StaleWriteError: the item changed since ``expected_version`` was read.
        NotFoundError: no such item.

    """
    clean, problems = validate_update(
        as_of=as_of, status=status, progress=progress, comment=comment, allow_future=allow_future, today=today
    )
    if problems:
        raise ValidationError(problems)
    with Session(engine) as s, s.begin():
        item = _claim(s, item_id, expected_version)
        problems = _check_reportable(item, s)
        if problems:
            raise ValidationError(problems)
        _store_update(s, item, clean, author, source)
        return item.version


def _store_update(s: Session, item: Item, clean: CleanUpdate, author: str, source: str) -> None:
    u = Update(item_id=item.id, as_of=clean.as_of, status=clean.status, progress=clean.progress,
               comment=clean.comment, author=author, source=source)
    s.add(u)
    s.flush()
    repository.write_audit(s, author=author, action="update", entity="item", entity_id=item.id,
                           field="progress", new=_update_summary(clean), source=source)


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
    author: str,
    *,
    allow_future: bool = False,
    source: str = "app bulk",
    today: dt.date | None = None,
) -> BulkResult:
    """Record several progress reports at once: all of them, or none.

    Each row needs ``item_id``, ``expected_version``, ``as_of``, ``status``, ``progress``
    and may carry ``comment`` (and ``code``, used in messages). Every row is validated
    and version-checked first; if any has a problem nothing is written and the result
    lists every problem, by row.
    """
    records = rows.to_dict("records") if isinstance(rows, pd.DataFrame) else [dict(r) for r in rows]
    result = BulkResult()
    cleaned: list[tuple[int, dict, CleanUpdate]] = []
    for n, r in enumerate(records):
        clean, problems = validate_update(
            as_of=r.get("as_of"), status=r.get("status"), progress=r.get("progress"), comment=r.get("comment"),
            allow_future=allow_future, today=today,
        )
        if _blank(r.get("item_id")):
            problems = ["item is required", *problems]
        if _blank(r.get("expected_version")):
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
                item = _claim(s, int(r["item_id"]), int(r["expected_version"]))
            except EditError as e:
                result.problems.append(RowProblem(n, r["item_id"], r.get("code"), str(e)))
                continue
            bad = _check_reportable(item, s)
            if bad:
                result.problems += [RowProblem(n, r["item_id"], item.code, m) for m in bad]
                continue
            _store_update(s, item, clean, author, source)
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


# ---------------------------------------------------------------- plan items

EDITABLE_FIELDS = (
    "title", "description", "owner", "sponsor", "department", "partners", "smart", "start", "due",
    "weight", "priority", "funding_source", "item_type", "track", "depends_on",
)
_TEXT_FIELDS = ("title", "description", "priority", "funding_source", "item_type", "track", "depends_on")


def _names(session: Session, model, ident: int | None) -> str | None:
    return None if ident is None else session.get(model, ident).name


def _partners_text(item: Item) -> str:
    return "; ".join(sorted(d.name for d in item.partner_departments))


def _partner_list(value: object) -> list[str]:
    if _blank(value):
        return []
    parts = value if isinstance(value, list | tuple | set) else str(value).replace(",", ";").split(";")
    return sorted({str(p).strip() for p in parts if str(p).strip()})


def _current(session: Session, item: Item) -> dict[str, object]:
    """Return the item's editable fields as people see them (names, not ids)."""
    return {
        "title": item.title, "description": item.description,
        "owner": _names(session, Person, item.owner_id), "sponsor": _names(session, Person, item.sponsor_id),
        "department": _names(session, Department, item.lead_department_id),
        "partners": _partners_text(item), "smart": item.smart or "",
        "start": item.start, "due": item.due, "weight": item.weight, "priority": item.priority,
        "funding_source": item.funding_source, "item_type": item.item_type, "track": item.track,
        "depends_on": item.depends_on,
    }


def _normalise_changes(changes: Mapping[str, object]) -> tuple[dict[str, object], list[str]]:
    """Validate edited fields; return clean values (blank text -> None) and problems."""
    problems: list[str] = []
    unknown = sorted(set(changes) - set(EDITABLE_FIELDS))
    if unknown:
        problems.append("cannot edit " + ", ".join(unknown) + "; editable: " + ", ".join(EDITABLE_FIELDS))
    out: dict[str, object] = {}
    for k, v in changes.items():
        if k not in EDITABLE_FIELDS:
            continue
        if k in ("start", "due"):
            try:
                out[k] = to_date(v, k)
            except ValidationError as e:
                problems += e.problems
        elif k == "weight":
            try:
                w = 1.0 if _blank(v) else float(v)
                if math.isnan(w) or w < 0:
                    raise ValueError
                out[k] = w
            except (TypeError, ValueError):
                problems.append(f"weight {v!r} must be a number of 0 or more")
        elif k == "smart":
            try:
                out[k] = parse_smart(None if _blank(v) else str(v))
            except ValueError as e:
                problems.append(str(e))
        elif k == "partners":
            out[k] = "; ".join(_partner_list(v))
        else:
            out[k] = None if _blank(v) else str(v).strip()
    if "title" in out and not out["title"]:
        problems.append("title is required")
    return out, problems


def _apply(session: Session, item: Item, values: Mapping[str, object]) -> None:
    for k, v in values.items():
        if k in ("owner", "sponsor"):
            setattr(item, f"{k}_id", repository.person_id(session, v))
        elif k == "department":
            item.lead_department_id = repository.department_id(session, v)
        elif k == "partners":
            ids = [repository.department_id(session, n) for n in _partner_list(v)]
            item.partner_departments = [session.get(Department, i) for i in ids]
        elif k == "smart":
            item.smart = v or ""
        else:
            setattr(item, k, v)


def _check_dates(start: dt.date | None, due: dt.date | None) -> list[str]:
    if start and due and start > due:
        return [f"start {start:%Y-%m-%d} is after due {due:%Y-%m-%d}"]
    return []


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


def _level_names(session: Session, plan_id: int) -> tuple[str, ...]:
    names = session.get(Plan, plan_id).level_names
    return tuple(names.split(";")) if names else ()


def add_item(
    engine: Engine,
    plan_id: int,
    *,
    parent_id: int | None,
    title: str,
    author: str,
    parent_version: int | None = None,
    **fields: object,
) -> int:
    """Add an item under ``parent_id`` (None: a new top-level item); return its id.

    The code is the next free outline number under the parent and the level name
    follows the depth. ``fields`` takes any of :data:`EDITABLE_FIELDS` besides title.
    When ``parent_version`` is given the parent's version is checked (and bumped).

    Raises:
        ValidationError: a field is invalid. StaleWriteError / NotFoundError: see above.

    """
    values, problems = _normalise_changes({"title": title, **fields})
    problems += _check_dates(values.get("start"), values.get("due"))
    if problems:
        raise ValidationError(problems)
    with Session(engine) as s, s.begin():
        if s.get(Plan, plan_id) is None:
            raise NotFoundError(f"plan {plan_id} does not exist")
        parent = None
        if parent_id is not None:
            parent = _claim(s, parent_id, parent_version) if parent_version is not None else s.get(Item, parent_id)
            if parent is None or parent.plan_id != plan_id:
                raise NotFoundError(f"parent item {parent_id} is not in this plan")
        code = _next_code(s, plan_id, parent)
        depth = _depth(s, parent) + 1
        order = (s.scalar(select(func.max(Item.sort_order)).where(Item.plan_id == plan_id)) or 0) + 1
        item = Item(plan_id=plan_id, parent_id=parent_id, code=code,
                    level=level_name(depth, _level_names(s, plan_id) or ("Strategy", "Initiative", "Action")),
                    title=values["title"], sort_order=order, version=1, weight=1.0, smart="")
        s.add(item)
        _apply(s, item, values)
        s.flush()
        repository.write_audit(s, author=author, action="add", entity="item", entity_id=item.id,
                               field="code", new=f"{code} {item.title}", source=APP_SOURCE)
        return item.id


def edit_item(engine: Engine, item_id: int, changes: Mapping[str, object], author: str, expected_version: int) -> int:
    """Change some fields of an item; one audit row per field that really changed.

    ``changes`` maps field names of :data:`EDITABLE_FIELDS` to new values (people and
    departments by name; partners as a list or "a; b"; SMART as letters or names).
    Returns the new version (unchanged when nothing differed: nothing is written then).

    Raises:
        ValidationError, StaleWriteError, NotFoundError.

    """
    values, problems = _normalise_changes(changes)
    if problems:
        raise ValidationError(problems)
    try:
        return _edit_item(engine, item_id, values, author, expected_version)
    except _NoChange:
        return int(expected_version)


class _NoChange(Exception):
    """Raised inside the transaction to roll back the version claim when nothing differed."""


def _edit_item(engine: Engine, item_id: int, values: Mapping[str, object], author: str,
               expected_version: int) -> int:
    with Session(engine) as s, s.begin():
        item = _claim(s, item_id, expected_version)
        before = _current(s, item)
        diff = {k: v for k, v in values.items() if _shown(before[k]) != _shown(v)}
        problems = _check_dates(diff.get("start", before["start"]), diff.get("due", before["due"]))
        if problems:
            raise ValidationError(problems)
        if not diff:
            raise _NoChange
        _apply(s, item, diff)
        for k, v in diff.items():
            repository.write_audit(s, author=author, action="edit", entity="item", entity_id=item.id, field=k,
                                   old=_shown(before[k]), new=_shown(v), source=APP_SOURCE)
        s.flush()
        return item.version


def _shown(v: object) -> str | None:
    """How a field value is compared and written to the audit trail."""
    if _blank(v):
        return None
    if isinstance(v, dt.date):
        return f"{v:%Y-%m-%d}"
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def move_item(engine: Engine, item_id: int, new_parent_id: int | None, author: str, expected_version: int) -> str:
    """Re-parent an item with its whole subtree; return the item's new code.

    The item takes the next free number under its new parent and every descendant's
    code is renumbered with the same prefix (``1.2.3`` under ``1.2`` moved to ``2`` as
    ``2.5`` becomes ``2.5.3``); level names follow the new depth. Codes left behind
    keep their numbers (a gap is fine; reusing them would confuse old reports).

    Raises:
        ValidationError: moving under itself or one of its descendants, or another plan.
        StaleWriteError, NotFoundError.

    """
    with Session(engine) as s, s.begin():
        item = _claim(s, item_id, expected_version)
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
        names = _level_names(s, item.plan_id) or ("Strategy", "Initiative", "Action")
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
                depth_of[it.id] = depth_of[it.parent_id] + 1
                s.execute(update(Item).where(Item.id == it.id).values(version=Item.version + 1)
                          .execution_options(synchronize_session=False))
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
    return "(top level)" if item_id is None else s.get(Item, item_id).code


def _set_archived(engine: Engine, item_id: int, archived: bool, author: str, expected_version: int) -> int:
    with Session(engine) as s, s.begin():
        item = _claim(s, item_id, expected_version)
        if bool(item.archived) == archived:
            raise ValidationError([f"item {item.code} is already {'archived' if archived else 'active'}"])
        item.archived = archived
        s.flush()
        repository.write_audit(s, author=author, action="archive" if archived else "restore", entity="item",
                               entity_id=item.id, field="archived", old=str(not archived).lower(),
                               new=str(archived).lower(), source=APP_SOURCE)
        return item.version


def archive_item(engine: Engine, item_id: int, author: str, expected_version: int) -> int:
    """Hide an item and its subtree from every roll-up; nothing is deleted. Returns the new version."""
    return _set_archived(engine, item_id, True, author, expected_version)


def restore_item(engine: Engine, item_id: int, author: str, expected_version: int) -> int:
    """Bring an archived item (and its subtree) back into the roll-ups. Returns the new version."""
    return _set_archived(engine, item_id, False, author, expected_version)


# ---------------------------------------------------------------- departments and people


def _clean_name(name: object, what: str) -> str:
    if _blank(name):
        raise ValidationError([f"{what} name is required"])
    return str(name).strip()


def add_department(engine: Engine, name: str, author: str) -> int:
    """Create a department; return its id. Raises ValidationError if the name is blank or taken."""
    name = _clean_name(name, "department")
    with Session(engine) as s, s.begin():
        if s.scalar(select(Department.id).where(Department.name == name)) is not None:
            raise ValidationError([f"department {name!r} already exists"])
        dep = Department(name=name)
        s.add(dep)
        s.flush()
        repository.write_audit(s, author=author, action="add", entity="department", entity_id=dep.id,
                               field="name", new=name, source=APP_SOURCE)
        return dep.id


def rename_department(engine: Engine, department_id: int, new_name: str, author: str) -> None:
    """Rename a department (items keep pointing at it). Raises ValidationError / NotFoundError."""
    new_name = _clean_name(new_name, "department")
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
        repository.write_audit(s, author=author, action="edit", entity="department", entity_id=dep.id,
                               field="name", old=old, new=new_name, source=APP_SOURCE)


def add_person(engine: Engine, name: str, author: str, *, email: str | None = None,
               department: str | None = None) -> int:
    """Create a person; return the id. Raises ValidationError if the name is blank or taken."""
    name = _clean_name(name, "person")
    with Session(engine) as s, s.begin():
        if s.scalar(select(Person.id).where(Person.name == name)) is not None:
            raise ValidationError([f"person {name!r} already exists"])
        p = Person(name=name, email=None if _blank(email) else email.strip(),
                   department_id=repository.department_id(s, department))
        s.add(p)
        s.flush()
        repository.write_audit(s, author=author, action="add", entity="person", entity_id=p.id,
                               field="name", new=name, source=APP_SOURCE)
        return p.id


def edit_person(engine: Engine, person_id: int, changes: Mapping[str, object], author: str) -> None:
    """Change a person's ``name``, ``email`` or ``department`` (by name); audited per field."""
    unknown = sorted(set(changes) - {"name", "email", "department"})
    if unknown:
        raise ValidationError(["cannot edit " + ", ".join(unknown) + "; editable: name, email, department"])
    with Session(engine) as s, s.begin():
        p = s.get(Person, person_id)
        if p is None:
            raise NotFoundError(f"person {person_id} does not exist")
        before = {"name": p.name, "email": p.email, "department": _names(s, Department, p.department_id)}
        for k, v in changes.items():
            new = _clean_name(v, "person") if k == "name" else (None if _blank(v) else str(v).strip())
            if new == before[k]:
                continue
            if k == "name":
                if s.scalar(select(Person.id).where(Person.name == new)) is not None:
                    raise ValidationError([f"person {new!r} already exists"])
                p.name = new
            elif k == "email":
                p.email = new
            else:
                p.department_id = repository.department_id(s, new)
            s.flush()
            repository.write_audit(s, author=author, action="edit", entity="person", entity_id=p.id, field=k,
                                   old=before[k], new=new, source=APP_SOURCE)


def departments_frame(engine: Engine) -> pd.DataFrame:
    """Departments (id, name, n_items leading) by name."""
    sql = """SELECT d.id, d.name, (SELECT COUNT(*) FROM items i WHERE i.lead_department_id = d.id) AS n_items
             FROM departments d ORDER BY d.name"""
    with engine.connect() as conn:
        rows = conn.execute(text(sql)).all()
    return pd.DataFrame(rows, columns=["id", "name", "n_items"])


def people_frame(engine: Engine) -> pd.DataFrame:
    """People (id, name, email, department, n_owned) by name."""
    # One pass over items (a correlated COUNT per person scanned items once per person).
    sql = """SELECT p.id, p.name, p.email, d.name, COALESCE(c.n, 0) AS n_owned
             FROM people p
             LEFT JOIN departments d ON d.id = p.department_id
             LEFT JOIN (SELECT owner_id, COUNT(*) AS n FROM items GROUP BY owner_id) c ON c.owner_id = p.id
             ORDER BY p.name"""
    with engine.connect() as conn:
        rows = conn.execute(text(sql)).all()
    return pd.DataFrame(rows, columns=["id", "name", "email", "department", "n_owned"])


# ---------------------------------------------------------------- readers for pages

AUDIT_COLUMNS = ["id", "at", "author", "action", "entity", "entity_id", "item_code", "field", "old_value",
                 "new_value", "source", "batch_id"]


def audit_frame(
    engine: Engine,
    *,
    plan_id: int | None = None,
    authors: Iterable[str] = (),
    actions: Iterable[str] = (),
    entities: Iterable[str] = (),
    item_id: int | None = None,
    since: object = None,
    until: object = None,
    text_contains: str | None = None,
) -> pd.DataFrame:
    """Read the audit trail, newest first, with the item code resolved where the row is about an item.

    Filters combine (AND); values inside one filter are alternatives (OR). ``plan_id``
    keeps rows about that plan's items and the plan itself, plus rows not tied to any
    plan (departments, people). ``since``/``until`` are inclusive dates. ``text_contains``
    searches field, old and new values, case-insensitively.
    """
    sql = """SELECT a.id, a.at, a.author, a.action, a.entity, a.entity_id,
                    CASE WHEN a.entity = 'item' THEN i.code END AS item_code,
                    a.field, a.old_value, a.new_value, a.source, a.batch_id,
                    CASE WHEN a.entity = 'item' THEN i.plan_id
                         WHEN a.entity = 'plan' THEN a.entity_id END AS plan_id
             FROM audit a LEFT JOIN items i ON i.id = a.entity_id AND a.entity = 'item'
             ORDER BY a.id DESC"""
    with engine.connect() as conn:
        rows = conn.execute(text(sql)).all()
    df = pd.DataFrame(rows, columns=[*AUDIT_COLUMNS, "plan_id"])
    df = df.assign(at=pd.to_datetime(df["at"], errors="coerce").astype("datetime64[ns]"),
                   plan_id=df["plan_id"].astype("Int64"))
    keep = pd.Series(True, index=df.index)
    if plan_id is not None:
        keep &= df["plan_id"].isna() | (df["plan_id"] == plan_id)
    for col, wanted in (("author", authors), ("action", actions), ("entity", entities)):
        wanted = list(wanted)
        if wanted:
            keep &= df[col].isin(wanted)
    if item_id is not None:
        keep &= (df["entity"] == "item") & (df["entity_id"] == item_id)
    if since is not None:
        keep &= df["at"] >= pd.Timestamp(since).normalize()
    if until is not None:
        keep &= df["at"] < pd.Timestamp(until).normalize() + pd.Timedelta(days=1)
    if text_contains:
        hay = df["field"].fillna("") + " " + df["old_value"].fillna("") + " " + df["new_value"].fillna("")
        keep &= hay.str.contains(text_contains, case=False, regex=False)
    return df[keep][AUDIT_COLUMNS].reset_index(drop=True)


def audit_csv(frame: pd.DataFrame) -> bytes:
    """CSV bytes of an audit frame, formula-safe for spreadsheets (cells starting =+-@ get a quote)."""
    def safe(v: object) -> object:
        return "'" + v if isinstance(v, str) and v[:1] in ("=", "+", "-", "@") else v

    cleaned = frame.assign(**{c: frame[c].map(safe) for c in ("author", "field", "old_value", "new_value", "source")
                              if c in frame.columns})
    return cleaned.to_csv(index=False).encode("utf-8")


def find_items(tree: pd.DataFrame, *, text_contains: str = "", owner: str | None = None,
               leaves_only: bool = False) -> pd.DataFrame:
    """Items of a prepared tree matching a code/title search and an (effective) owner, in outline order."""
    keep = pd.Series(True, index=tree.index)
    if text_contains.strip():
        q = text_contains.strip()
        keep &= tree["code"].astype(str).str.startswith(q) | tree["title"].str.contains(q, case=False, regex=False)
    if owner:
        keep &= tree["owner"].fillna("") == owner
    if leaves_only and "is_leaf" in tree.columns:
        keep &= tree["is_leaf"]
    return tree[keep]


def item_snapshot(engine: Engine, item_id: int) -> dict[str, object]:
    """Read the item's editable fields (names), code, version and archived flag from the database."""
    with Session(engine) as s:
        item = s.get(Item, item_id)
        if item is None:
            raise NotFoundError(f"item {item_id} does not exist")
        return {**_current(s, item), "id": item.id, "code": item.code, "version": item.version,
                "archived": bool(item.archived), "parent_id": item.parent_id, "plan_id": item.plan_id}


# ---------------------------------------------------------------- helpers of the update page

BULK_COLUMNS = ["item_id", "version", "code", "title", "owner", "current_status", "current_progress", "last_update",
                "report", "as_of", "status", "progress", "comment"]


def current_states(updates: pd.DataFrame) -> pd.DataFrame:
    """Latest update per item regardless of date (item_id, status, progress, as_of)."""
    if updates.empty:
        return pd.DataFrame({"item_id": pd.Series(dtype="int64"), "status": pd.Series(dtype="str"),
                             "progress": pd.Series(dtype="float64"), "as_of": pd.Series(dtype="datetime64[ns]")})
    # Sorting by (as_of, id) then keeping the last row per item is the latest report; ties go to the newest id.
    latest = updates.sort_values(["as_of", "id"], kind="stable").groupby("item_id", sort=False).tail(1)
    return latest[["item_id", "status", "progress", "as_of"]].reset_index(drop=True)


def bulk_editor_frame(tree: pd.DataFrame, updates: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """Rows for the bulk editor: one per leaf of ``tree``, prefilled with its current state.

    The new ``status``/``progress`` start at the current ones so an owner only touches
    what changed; ``report`` ticks a row to re-confirm it unchanged at a new date.
    """
    leaves = tree[tree["is_leaf"]] if "is_leaf" in tree.columns else tree
    cur = current_states(updates)
    df = leaves[["id", "version", "code", "title", "owner"]].rename(columns={"id": "item_id"}).merge(
        cur.rename(columns={"status": "current_status", "progress": "current_progress", "as_of": "last_update"}),
        on="item_id", how="left",
    )
    labels = STATUS_LABELS
    status = df["current_status"].fillna("pending")
    return df.assign(
        current_status=status.map(labels),
        current_progress=df["current_progress"].fillna(0.0),
        last_update=df["last_update"].dt.date,
        report=False,
        as_of=as_of,
        status=status.map(labels),
        progress=df["current_progress"].fillna(0.0),
        comment="",
    )[BULK_COLUMNS].reset_index(drop=True)


def bulk_changes(edited: pd.DataFrame) -> pd.DataFrame:
    """Rows of an edited bulk frame to record: ticked, or status/progress changed, or a comment written.

    Returns the columns :func:`record_updates_bulk` takes (``expected_version`` is the
    version the row was read at).
    """
    if edited.empty:
        return pd.DataFrame(columns=["item_id", "code", "expected_version", "as_of", "status", "progress", "comment"])
    changed_status = edited["status"].fillna("").astype(str) != edited["current_status"].fillna("").astype(str)
    prog = pd.to_numeric(edited["progress"], errors="coerce")
    changed_progress = edited["progress"].isna() | prog.isna() | (prog != edited["current_progress"])
    has_comment = edited["comment"].fillna("").astype(str).str.strip() != ""
    touched = edited["report"].fillna(False).astype(bool) | changed_status | changed_progress | has_comment
    rows = edited[touched]
    return rows.rename(columns={"version": "expected_version"})[
        ["item_id", "code", "expected_version", "as_of", "status", "progress", "comment"]
    ].reset_index(drop=True)


def history_chart(history: pd.DataFrame):
    """Small timeline of one item's reports: progress over time, points coloured by status.

    ``history`` is the item's rows of the updates frame. Returns an ``alt.Chart``.
    """
    import altair as alt  # only the page draws it; keep the data layer's import light

    data = history[["as_of", "status", "progress", "author", "comment"]].assign(
        status_label=history["status"].map(STATUS_LABELS)
    )
    scale = alt.Scale(domain=[STATUS_LABELS[k] for k in STATUS_COLOURS], range=list(STATUS_COLOURS.values()))
    base = alt.Chart(data).encode(
        x=alt.X("as_of:T", title="As of"),
        y=alt.Y("progress:Q", title="Progress %", scale=alt.Scale(domain=[0, 100])),
    )
    line = base.mark_line(color="#9e9e9e", interpolate="step-after")
    points = base.mark_point(filled=True, size=70).encode(
        color=alt.Color("status_label:N", title="Status", scale=scale),
        tooltip=["as_of:T", "status_label:N", "progress:Q", "author:N", "comment:N"],
    )
    return (line + points).properties(height=180)
