"""Loading a parsed plan in one transaction, as an import batch that can be undone."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import repeat
from typing import Any

from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from wehoplan.domain import code_sort_key, level_name, split_level_names
from wehoplan.importing.flat import FlatPlan
from wehoplan.importing.new_rows import (
    AUDIT_COLS,
    ITEM_COLS,
    SOURCE,
    UPDATE_COLS,
    end_batch,
    ids_by_code,
    leaf_tuple,
    new_item_rows,
    table_of,
    warm_names,
    write_new_plan,
)
from wehoplan.importing.nodes import Node, Problem
from wehoplan.importing.writers import RowWriter, SQLiteDriverWriter, writer_for
from wehoplan.models import (
    Department,
    ImportBatch,
    Item,
    PeriodLock,
    Person,
    Plan,
    Update,
    item_partner_departments,
)
from wehoplan.repository import department_id, person_id, write_audit

# Item fields an import sets, with how they are written to and read back from the audit trail.
ITEM_FIELDS = ("parent", "level", "title", "description", "owner", "sponsor", "department", "partners",
               "smart", "start", "due", "weight", "sort_order")
# The rows' columns, the source and the helpers live with the column-wise builds (new_rows).
_ITEM_COLS, _AUDIT_COLS, _UPDATE_COLS = ITEM_COLS, AUDIT_COLS, UPDATE_COLS
_table, _ids_by_code, _leaf_tuple = table_of, ids_by_code, leaf_tuple


@dataclass(frozen=True)
class LoadResult:
    """What :func:`load` did (or, on a dry run, would do)."""

    items_created: int
    items_updated: int
    updates_added: int
    batch_id: int | None  # None on a dry run or when nothing was new
    missing: list[str]  # codes of the plan's items that the file does not hold
    plan_created: bool
    plan_id: int


class UndoRefused(ValueError):
    """The batch cannot be undone (unknown, already undone, or later work depends on it)."""


def sha256_of(blobs: list[bytes]) -> str:
    """SHA-256 of the files' bytes (of their concatenated hashes when several)."""
    if len(blobs) == 1:
        return hashlib.sha256(blobs[0]).hexdigest()
    h = hashlib.sha256()
    for b in blobs:
        h.update(hashlib.sha256(b).digest())
    return h.hexdigest()


def _ser(v: object) -> str | None:
    if v is None:
        return None
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()
    if isinstance(v, list):
        return json.dumps(v)
    return str(v)


class _Names:
    def __init__(self, s: Session):
        self.s = s
        self.dep: dict[str, int] = {}
        self.ppl: dict[str, int] = {}
        # Keyed by id or None, so an item's optional foreign key looks up directly.
        self.dep_names: dict[int | None, str] = dict(s.execute(select(Department.id, Department.name)).all())
        self.ppl_names: dict[int | None, str] = dict(s.execute(select(Person.id, Person.name)).all())

    # A hit in the cache first: its keys are trimmed non-blank names, so a hit is what the
    # repository helper would return (it trims, then looks up the same cache).
    def dept(self, name: str | None) -> int | None:
        hit = self.dep.get(name) if isinstance(name, str) else None
        return hit if hit is not None else department_id(self.s, name, self.dep)

    def person(self, name: str | None) -> int | None:
        hit = self.ppl.get(name) if isinstance(name, str) else None
        return hit if hit is not None else person_id(self.s, name, self.ppl)

    def warm(self, people: Iterable[Any], departments: Iterable[Any]) -> None:
        """Fill the caches as ``person`` over ``people`` then ``dept`` over ``departments`` would (SQLite).

        The same rows with the same ids: names trimmed, blanks skipped, each new name inserted
        in the order the one-by-one calls meet it (SQLite gives each the next rowid), but one
        SELECT and one executemany per table instead of a SELECT and a flush per name.
        """
        warm_names(self.s, table_of(Person), self.ppl, people)
        warm_names(self.s, table_of(Department), self.dep, departments)


def _current(item: Item, names: _Names, partners: list[str], parent_code: str | None) -> dict[str, Any]:
    return {
        "parent": parent_code, "level": item.level, "title": item.title, "description": item.description,
        "owner": names.ppl_names.get(item.owner_id), "sponsor": names.ppl_names.get(item.sponsor_id),
        "department": names.dep_names.get(item.lead_department_id), "partners": partners,
        "smart": item.smart or "", "start": item.start, "due": item.due, "weight": item.weight,
        "sort_order": item.sort_order,
    }


def _desired(n: Node, level: str, order: int, old: dict[str, Any] | None) -> dict[str, Any]:
    f = n.fields
    want: dict[str, Any] = {
        "parent": n.parent.code if n.parent is not None else None, "level": level, "title": n.title,
        "sort_order": order,
    }
    # Cells the file leaves blank keep what the plan has (a snapshot without owners does not erase them).
    for k, default in (("description", None), ("owner", None), ("sponsor", None), ("department", None),
                       ("partners", []), ("smart", ""), ("start", None), ("due", None), ("weight", 1.0)):
        want[k] = f[k] if k in f else (old[k] if old is not None else default)
    return want


def _apply(item: Item, want: dict[str, Any], ids: dict[str | None, int], names: _Names) -> None:
    item.parent_id = ids[want["parent"]] if want["parent"] else None
    item.level = want["level"]
    item.title = want["title"]
    item.description = want["description"]
    item.owner_id = names.person(want["owner"])
    item.sponsor_id = names.person(want["sponsor"])
    item.lead_department_id = names.dept(want["department"])
    item.smart = want["smart"] or ""
    item.start = want["start"]
    item.due = want["due"]
    item.weight = float(want["weight"])
    item.sort_order = want["sort_order"]


def _set_partners(s: Session, item_id: int, partners: list[str], names: _Names) -> None:
    s.execute(delete(item_partner_departments).where(item_partner_departments.c.item_id == item_id))
    ids = {names.dept(p) for p in partners}
    if ids:
        s.execute(item_partner_departments.insert(), [{"item_id": item_id, "department_id": d} for d in ids])


def leaf_state(n: Node, default_as_of: dt.date) -> dict[str, Any] | None:
    """Return the update a leaf row asks for, or None when its state cells are blank."""
    t = _leaf_tuple(n.state)
    if t is None:
        return None
    as_of, status, progress, comment = t
    return {"as_of": as_of or default_as_of, "status": status, "progress": progress, "comment": comment}


class LockedPeriods(ValueError):
    """Reports of an import dated inside locked periods: ``problems`` names each row."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} report(s) fall in locked periods")
        self.problems = problems


def _in_locked_periods(s: Session, plan_id: int | None, updates: list[tuple], nodes: list[Node]) -> list[Problem]:
    """One problem per new update dated inside a period an admin locked (GUIDE: the numbers a council saw)."""
    if plan_id is None or not updates:
        return []
    locks = s.execute(select(PeriodLock.period_start, PeriodLock.period_end)
                      .where(PeriodLock.plan_id == plan_id)).all()
    out: list[Problem] = []
    if not locks:
        return out
    for u, n in zip(updates, nodes, strict=True):
        when = dt.date.fromisoformat(str(u[1])[:10])
        for start, end in locks:
            if start <= when <= end:
                out.append(Problem(n.file, n.sheet, n.row, None, when.isoformat(),
                                   f"the period {start:%d %b %Y} to {end:%d %b %Y} is locked, so a report dated "
                                   f"{when:%d %b %Y} is refused; date it after {end:%d %b %Y}, or ask an admin"))
                break
    return out


def _owner_emails(s: Session, pairs: list[tuple[Any, Any]], author: str | None, batch_id: int) -> int:
    """Give each owner the email the file names beside them (its last one per owner); audited per person.

    A blank email cell keeps the person's email; the people are the ones the items were just
    written with, so every owner named exists by now.
    """
    wanted: dict[str, str] = {}
    for owner, email in pairs:  # each item's owner and owner email, in outline order
        if owner and email:
            wanted[str(owner)] = str(email)
    if not wanted:
        return 0
    changed = 0
    for person in s.scalars(select(Person).where(Person.name.in_(sorted(wanted)))):
        email = wanted[person.name]
        if person.email == email:
            continue
        write_audit(s, author=author, action="update", entity="person", entity_id=person.id, field="email",
                    old=person.email, new=email, source=SOURCE, batch_id=batch_id)
        person.email = email
        changed += 1
    s.flush()
    return changed


def load(
    engine: Engine,
    nodes: list[Node] | None,
    *,
    plan_name: str,
    level_names: tuple[str, ...],
    level_names_from_file: bool = True,
    as_of: dt.date,
    as_of_given: bool = True,
    file_name: str,
    sha256: str,
    author: str | None,
    dry_run: bool,
    progress_cb=None,
    writer: RowWriter | None = None,
    into_locked_periods: bool = False,
    columnar: bool = True,
    flat: FlatPlan | None = None,
) -> LoadResult:
    """Create or update the plan's items and add the leaves' updates, all in one transaction.

    ``writer`` inserts the new rows (default :func:`writer_for` the engine).
    On a dry run (or when nothing is new) everything is computed and rolled back.
    A report dated inside a locked period raises :class:`LockedPeriods` (nothing written)
    unless ``into_locked_periods`` (an admin of the plan), when the batch's audit says how many.
    ``columnar`` builds the new items' rows column by column (:mod:`wehoplan.importing.new_rows`);
    False builds them row by row (the same rows: the tests compare them).
    ``nodes`` may be None when ``flat`` is given (the parsed plan as columns): a new plan is
    then written from the columns (:func:`~wehoplan.importing.new_rows.write_new_plan`), any
    other from the nodes the flat plan makes.
    """
    if nodes is None and flat is None:
        raise ValueError("load needs the nodes or a flat plan")
    writer = writer or writer_for(engine)
    s = Session(engine)
    tx = s.begin()
    try:
        plan = s.scalars(select(Plan).where(Plan.name == plan_name)).one_or_none()
        plan_created = plan is None
        batch = ImportBatch(file_name=file_name, sha256=sha256, author=author)
        s.add(batch)
        if plan is None:
            plan = Plan(name=plan_name, level_names=";".join(level_names), source_note=f"imported from {file_name}")
            s.add(plan)
        s.flush()
        if not plan_created and not level_names_from_file and plan.level_names:
            # The plan's own level names (e.g. Topic area / Initiative / Idea) win over the defaults.
            level_names = split_level_names(plan.level_names)
        batch.plan_id = plan.id
        if plan_created:
            write_audit(s, author=author, action="create", entity="plan", entity_id=plan.id,
                        new=plan_name, source=SOURCE, batch_id=batch.id)
        names = _Names(s)
        if nodes is None and not (columnar and plan_created):
            assert flat is not None  # checked above
            nodes = flat.nodes()
        if nodes is None:
            assert flat is not None
            new_updates: list[tuple]
            created, new_updates = write_new_plan(
                s, writer, flat, plan_id=plan.id, batch_id=batch.id, level_names=level_names, person=names.person,
                dept=names.dept, warm=names.warm if isinstance(writer, SQLiteDriverWriter) else None, author=author,
                file_name=file_name, as_of=as_of, progress_cb=progress_cb)
            # A plan made in this transaction has no locked period, no item the file leaves out.
            updated, in_locks, missing = 0, [], []
            owners, emails = flat.column("owner"), flat.column("owner_email")
            owner_emails = [(owners[i], emails[i]) for i in flat.order]
        else:
            # Keyed by str | None like Node.code (every parsed node has its code by now).
            existing: dict[str | None, Item] = {
                it.code: it for it in s.scalars(select(Item).where(Item.plan_id == plan.id))}
            code_of: dict[int | None, str] = {it.id: it.code for it in existing.values()}
            partners_of: dict[int, list[str | None]] = {}
            for item_id, dep_id in s.execute(
                select(item_partner_departments.c.item_id, item_partner_departments.c.department_id)
                .join(Item, Item.id == item_partner_departments.c.item_id).where(Item.plan_id == plan.id)
            ).all():
                partners_of.setdefault(item_id, []).append(names.dep_names.get(dep_id))
            ids: dict[str | None, int] = {code: it.id for code, it in existing.items()}
            created = updated = 0
            # The leaves as three parallel lists (item id, row, existed before this import): a tuple
            # holding a node would stay tracked by the garbage collector, one per leaf.
            leaf_ids: list[int] = []
            leaf_nodes: list[Node] = []
            leaf_existed: list[bool] = []
            total = len(nodes)
            # New items go in with one multi-row INSERT per depth (parents before children): a
            # flush per item made large imports slow.
            order_of = {id(n): i for i, n in enumerate(nodes)}
            new_by_depth: dict[int, list[Node]] = {}
            for n in nodes:
                if n.code not in existing:
                    new_by_depth.setdefault(n.depth, []).append(n)
            partner_rows: list[tuple[int, int | None]] = []
            day = writer.date
            # Plain ints for the per-row tuples: an ORM attribute read per value adds up over every row.
            plan_id, batch_id = plan.id, batch.id
            items_t = _table(Item)
            for depth in sorted(new_by_depth):
                batch_nodes = new_by_depth[depth]
                level = level_name(depth, level_names)
                # Tuples in _ITEM_COLS order, built straight from the parsed fields (what _desired
                # gives for a new item): one dict per row and per value look-up is much slower.
                rows: list[tuple] = []
                partners_new: list[list[str] | tuple[()]] = [n.fields.get("partners") or () for n in batch_nodes]
                if columnar:
                    rows = new_item_rows(batch_nodes, plan_id=plan_id, level=level, ids=ids, person=names.person,
                                         dept=names.dept, day=day, order_of=order_of,
                                         warm=names.warm if isinstance(writer, SQLiteDriverWriter) else None)
                else:
                    for n in batch_nodes:
                        f = n.fields
                        parent = n.parent.code if n.parent is not None else None
                        rows.append((
                            plan_id, n.code, level, n.title or "", ids[parent] if parent else None,
                            f.get("description"), names.person(f.get("owner")), names.person(f.get("sponsor")),
                            names.dept(f.get("department")), f.get("smart") or "", day(f.get("start")),
                            day(f.get("due")), float(f.get("weight", 1.0)), order_of[id(n)], 1, False,
                        ))
                # One plain executemany, then the new ids by code (codes are unique in a plan): an
                # INSERT ... RETURNING in parameter order is slower.
                writer.insert_many(s, items_t, _ITEM_COLS, rows)
                id_of = _ids_by_code(s, writer, plan_id)
                audit_rows: list[tuple] = []
                if columnar:
                    codes = [r[1] for r in rows]
                    new_ids = [id_of[c] for c in codes]
                    ids.update(zip(codes, new_ids, strict=True))
                    for item_id, partners in zip(new_ids, partners_new, strict=True):
                        if partners:
                            partner_rows += [(item_id, d) for d in {names.dept(p) for p in partners}]
                    audit_rows = list(zip(repeat(author), repeat("create"), repeat("item"), new_ids, repeat("code"),
                                          repeat(None), codes, repeat(SOURCE), repeat(batch_id)))
                for r, partners in zip(rows if not columnar else (), partners_new, strict=False):
                    code = r[1]
                    item_id = id_of[code]
                    ids[code] = item_id
                    if partners:
                        partner_rows += [(item_id, d) for d in {names.dept(p) for p in partners}]
                    audit_rows.append((author, "create", "item", item_id, "code", None, code, SOURCE, batch_id))
                created += len(rows)
                end_batch(s, writer, audit_rows, progress_cb, created, total)
            if partner_rows:
                writer.insert_many(s, item_partner_departments, ("item_id", "department_id"), partner_rows)
            if columnar and not existing:
                # Every item is new (a new plan): nothing below but the leaves' lists would change.
                leaf_nodes = [n for n in nodes if not n.children]
                leaf_ids = [ids[n.code] for n in leaf_nodes]
                leaf_existed = [False] * len(leaf_nodes)
            for order, n in enumerate(nodes if not (columnar and not existing) else ()):
                item = existing.get(n.code)
                if item is not None:
                    old = _current(item, names, sorted(p for p in partners_of.get(item.id, []) if p),
                                   code_of.get(item.parent_id))
                    want = _desired(n, level_name(n.depth, level_names), order, old)
                    want["partners"] = sorted(want["partners"])
                    changed = [k for k in ITEM_FIELDS if _ser(old[k]) != _ser(want[k])]
                    if item.archived:
                        # An archived item that is back in the file comes back (undo archives it again).
                        item.archived = False
                        write_audit(s, author=author, action="update", entity="item", entity_id=item.id,
                                    field="archived", old="True", new="False", source=SOURCE, batch_id=batch.id)
                        updated += 0 if changed else 1
                    if changed:
                        _apply(item, want, ids, names)
                        item.version = (item.version or 1) + 1
                        if "partners" in changed:
                            _set_partners(s, item.id, want["partners"], names)
                        for k in changed:
                            write_audit(s, author=author, action="update", entity="item", entity_id=item.id, field=k,
                                        old=_ser(old[k]), new=_ser(want[k]), source=SOURCE, batch_id=batch.id)
                        # sort_order moves alone (rows re-ordered) are not worth reporting as an update.
                        if set(changed) - {"sort_order"}:
                            updated += 1
                if not n.children:
                    leaf_ids.append(ids[n.code])
                    leaf_nodes.append(n)
                    leaf_existed.append(item is not None)
            s.flush()
            # Updates: skip any the plan already holds (same item, date, status, progress, comment),
            # so re-importing a file adds nothing.
            have = set()
            latest: dict[int, tuple] = {}  # item -> ((as_of, id), state) of its newest update
            # Only items that existed before this import can hold updates already.
            old_ids = [i for i, old in zip(leaf_ids, leaf_existed, strict=True) if old]
            for chunk in range(0, len(old_ids), 900):
                part = old_ids[chunk:chunk + 900]
                for row in s.execute(select(Update.item_id, Update.as_of, Update.status, Update.progress,
                                            Update.comment, Update.id).where(Update.item_id.in_(part))).all():
                    have.add((row[0], row[1], row[2], round(float(row[3]), 6), row[4] or None))
                    state = (row[2], round(float(row[3]), 6), row[4] or None)
                    if row[0] not in latest or (row[1], row[5]) > latest[row[0]][0]:
                        latest[row[0]] = ((row[1], row[5]), state)
            new_updates = []
            update_nodes: list[Node] = []  # the node of each new update, to name its row if it is refused
            source = f"import: {file_name}"[:200]
            as_of_text = day(as_of)
            all_new = columnar and not existing
            if all_new:
                # A new plan: every leaf's update is new; the same tuples as below, in one pass.
                states = [_leaf_tuple(n.state) for n in leaf_nodes]
                new_updates = [(item_id, day(t[0]) if t[0] else as_of_text, t[1], t[2], t[3], author, source, batch_id)
                               for item_id, t in zip(leaf_ids, states, strict=True) if t is not None]
                update_nodes = [n for n, t in zip(leaf_nodes, states, strict=True) if t is not None]
            for item_id, n, existed in zip(leaf_ids if not all_new else (), leaf_nodes, leaf_existed, strict=False):
                if not existed:
                    # An item this import created holds no update yet and appears once: nothing to skip.
                    t = _leaf_tuple(n.state)
                    if t is not None:
                        new_updates.append((item_id, day(t[0]) if t[0] else as_of_text, t[1], t[2], t[3], author,
                                            source, batch_id))
                        update_nodes.append(n)
                    continue
                u = leaf_state(n, as_of)
                if u is None:
                    continue
                key = (item_id, u["as_of"], u["status"], round(u["progress"], 6), u["comment"] or None)
                if key in have:
                    continue
                if not as_of_given and "as_of" not in n.state and item_id in latest and latest[item_id][1] == key[2:]:
                    # Undated and unchanged: re-importing the same file on another day adds nothing.
                    continue
                have.add(key)
                new_updates.append((item_id, day(u["as_of"]), u["status"], u["progress"], u["comment"], author, source,
                                    batch_id))
                update_nodes.append(n)
            in_locks = _in_locked_periods(s, plan.id, new_updates, update_nodes)
            if in_locks and not into_locked_periods:
                raise LockedPeriods(in_locks)
            owner_emails = [(n.fields.get("owner"), n.fields.get("owner_email")) for n in nodes]
            in_file = {n.code for n in nodes}
            missing = sorted((it.code for c, it in existing.items() if c not in in_file and not it.archived),
                             key=code_sort_key)
        if new_updates:
            writer.insert_many(s, _table(Update), _UPDATE_COLS, new_updates)
        emails_set = _owner_emails(s, owner_emails, author, batch.id)
        batch.items_created, batch.items_updated, batch.updates_added = created, updated, len(new_updates)
        changed_any = created or updated or new_updates or plan_created or emails_set
        kept = not dry_run and bool(changed_any)
        result = LoadResult(items_created=created, items_updated=updated, updates_added=len(new_updates),
                            batch_id=batch.id if kept else None, missing=missing, plan_created=plan_created,
                            plan_id=plan.id)
        if kept:
            write_audit(s, author=author, action="import", entity="batch", entity_id=batch.id,
                        new=f"{file_name} sha256={sha256}", source=SOURCE, batch_id=batch.id)
            if in_locks:  # an admin's import into locked periods: said once, on the batch
                write_audit(s, author=author, action="locked report", entity="batch", entity_id=batch.id,
                            new=f"{len(in_locks)} report(s) dated inside locked periods", source=SOURCE,
                            batch_id=batch.id)
            tx.commit()
        else:
            tx.rollback()
        return result
    except Exception:
        if tx.is_active:
            tx.rollback()
        raise
    finally:
        s.close()
