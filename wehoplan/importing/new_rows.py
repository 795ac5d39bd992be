"""The rows of an import's new items, built column by column (the load's per-row build, faster).

:func:`wehoplan.importing.load.load` builds one tuple per new item from its parsed fields;
for a large plan most of that time is the per-row look-ups (names, dates, weights). Here each
column is made once over the batch, names and dates resolved once per distinct value, in the
order the per-row build meets them, so new people and departments get the same ids, and the
tuples are zipped. :func:`write_new_plan` writes a new plan read as a
:class:`~wehoplan.importing.flat.FlatPlan` straight from its columns, with no node at all.
``load(columnar=False)`` keeps the per-row build, and ``tests/test_importing_fast_equal.py``
proves every way writes the same rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from itertools import chain, repeat
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from wehoplan.db import bump_data_version
from wehoplan.domain import level_name
from wehoplan.importing.flat import FlatPlan
from wehoplan.importing.nodes import Node
from wehoplan.importing.writers import RowWriter, SQLiteDriverWriter
from wehoplan.models import Audit, Base, Item, item_partner_departments

SOURCE = "import"
ITEM_COLS = ("plan_id", "code", "level", "title", "parent_id", "description", "owner_id", "sponsor_id",
             "lead_department_id", "smart", "start", "due", "weight", "sort_order", "version", "archived")
AUDIT_COLS = ("author", "action", "entity", "entity_id", "field", "old_value", "new_value", "source", "batch_id")
UPDATE_COLS = ("item_id", "as_of", "status", "progress", "comment", "author", "source", "batch_id")


def table_of(model: type[Base]) -> Table:
    """The Core table of an ORM class (typed as a Table, which ``__table__`` is not)."""
    return Base.metadata.tables[model.__tablename__]


def ids_by_code(s: Session, writer: RowWriter, plan_id: int) -> dict[str | None, int]:
    """{code: id} of the plan's items (codes are unique in a plan)."""
    if isinstance(writer, SQLiteDriverWriter):
        # One C-level pass over the driver's cursor: SQLAlchemy makes a Row object per item.
        driver = s.connection().connection.driver_connection
        assert driver is not None  # an open session's connection always has one
        return dict(driver.execute("SELECT code, id FROM items WHERE plan_id = ?", (plan_id,)))
    items_t = table_of(Item)
    # Iterated, not .all(): one result row alive at a time, not a list of them.
    return {code: item_id for item_id, code in s.execute(
        select(items_t.c.id, items_t.c.code).where(items_t.c.plan_id == plan_id))}


def warm_names(s: Session, table: Table, cache: dict[str, int], names: Iterable[Any]) -> None:
    """Fill ``cache`` ({trimmed name: id}) as ``person_id``/``department_id`` over ``names`` would, on SQLite.

    Names are trimmed and blanks skipped as those helpers do; names not in the table are
    inserted in the order the one-by-one calls meet them, so SQLite gives each the same next
    rowid, with one SELECT and one executemany instead of a SELECT and a flush per name.
    """
    keys: dict[str, None] = {}
    for n in names:
        if n and (k := str(n).strip()) and k not in cache:
            keys[k] = None
    if not keys:
        return  # every name cached or blank: the one-by-one calls would not query either
    wanted = list(keys)
    found: dict[str, int] = {}
    # Through the session, as the helpers' SELECT: its autoflush writes whatever is pending first.
    for at in range(0, len(wanted), 500):
        found.update((name, key) for name, key in s.execute(
            select(table.c.name, table.c.id).where(table.c.name.in_(wanted[at:at + 500]))))
    new = [k for k in wanted if k not in found]
    if new:
        driver = s.connection().connection.driver_connection
        assert driver is not None  # an open session's connection always has one
        driver.executemany(f"INSERT INTO {table.name} (name) VALUES (?)", [(k,) for k in new])
        for at in range(0, len(new), 500):
            part = new[at:at + 500]
            found.update(driver.execute(f"SELECT name, id FROM {table.name} WHERE name IN "
                                        f"({', '.join('?' * len(part))})", part))
    for k in wanted:
        cache[k] = found[k]


def leaf_tuple(st: dict[str, Any]) -> tuple[dt.date | None, str, float, object] | None:
    """(own as-of date or None, status, progress, comment) of a leaf's state cells, or None."""
    return leaf_values(st.get("status"), st.get("progress"), st.get("comment"), st.get("as_of"))


def leaf_values(status: Any, progress: Any, comment: object,
                as_of: dt.date | None) -> tuple[dt.date | None, str, float, object] | None:
    """:func:`leaf_tuple` of a state given by its values (None: the state has no such key)."""
    if status is None and progress is None and comment is None:
        return None
    if status is None:
        status = "pending" if not progress else "completed" if progress >= 100 else "on_track"
    if progress is None:
        progress = 100.0 if status == "completed" else 0.0
    if status == "completed":
        progress = 100.0
    return as_of, status, float(progress), comment


# Resolves people and departments at once (people first), as ``person``/``dept`` would one by one.
Warm = Callable[[list[Any], list[Any]], None]
ITEM_FIELD_NAMES = ("owner", "sponsor", "department", "start", "due", "description", "smart", "weight")


def _item_rows(values: dict[str, list[Any]], codes: list[str | None], titles: list[str | None],
               parents: list[int | None], sort_orders: list[int], *, plan_id: int, level: str,
               person: Callable[[Any], int | None], dept: Callable[[Any], int | None],
               day: Callable[[object], object], warm: Warm | None = None) -> list[tuple]:
    """The item tuples from the fields' columns (``ITEM_FIELD_NAMES``: None where a row has none).

    ``warm(people, departments)``, when given, resolves those names at once, with the ids
    ``person`` and ``dept`` would give one by one (``load._Names.warm``).
    """
    owners, sponsors, depts = values["owner"], values["sponsor"], values["department"]
    # Per row the build asks for the owner, then the sponsor: asked in that order here too, a
    # person new to the database is created with the same id.
    asked = list(dict.fromkeys(chain.from_iterable(zip(owners, sponsors, strict=True))))
    asked_depts = list(dict.fromkeys(depts))
    if warm is not None:
        warm(asked, asked_depts)
    people = {name: person(name) for name in asked}
    dept_ids = {name: dept(name) for name in asked_depts}
    starts, dues = values["start"], values["due"]
    days = {d: day(d) for d in dict.fromkeys(chain(starts, dues))}
    return list(zip(
        repeat(plan_id), codes, repeat(level), [t or "" for t in titles], parents,
        values["description"], [people[x] for x in owners], [people[x] for x in sponsors],
        [dept_ids[x] for x in depts], [x or "" for x in values["smart"]], [days[x] for x in starts],
        [days[x] for x in dues], [1.0 if w is None else float(w) for w in values["weight"]], sort_orders,
        repeat(1), repeat(False),
    ))


def new_item_rows(nodes: list[Node], *, plan_id: int, level: str, ids: dict[str | None, int],
                  person: Callable[[Any], int | None], dept: Callable[[Any], int | None],
                  day: Callable[[object], object], order_of: dict[int, int], warm: Warm | None = None) -> list[tuple]:
    """One tuple per node in ``load``'s item columns order (``ITEM_COLS``), as its per-row build makes them."""
    parents = [ids[n.parent.code] if n.parent is not None and n.parent.code else None for n in nodes]
    fs = [n.fields for n in nodes]
    values = {name: [f.get(name) for f in fs] for name in ITEM_FIELD_NAMES}
    return _item_rows(values, [n.code for n in nodes], [n.title for n in nodes], parents,
                      [order_of[id(n)] for n in nodes], plan_id=plan_id, level=level, person=person, dept=dept,
                      day=day, warm=warm)



def end_batch(s: Session, writer: RowWriter, audit_rows: list[tuple], progress_cb: Callable[[float], object] | None,
              created: int, total: int) -> None:
    """Close one batch of new items: its audit rows, one data-version bump, the progress so far.

    The same rows ``write_audit`` would add, in one multi-row INSERT, and one bump: one ORM
    object and one UPDATE of meta per item cost most of an import's time.
    """
    writer.insert_many(s, table_of(Audit), AUDIT_COLS, audit_rows)
    bump_data_version(s.connection())
    if progress_cb is not None:
        progress_cb(0.5 + 0.3 * created / max(total, 1))

def write_new_plan(s: Session, writer: RowWriter, flat: FlatPlan, *, plan_id: int, batch_id: int,
                   level_names: tuple[str, ...], person: Callable[[Any], int | None],
                   dept: Callable[[Any], int | None], author: str | None, file_name: str, as_of: dt.date,
                   progress_cb: Callable[[float], object] | None = None,
                   warm: Warm | None = None) -> tuple[int, list[tuple]]:
    """Write a new plan's items (depth by depth), their audit rows and partners; return (count, update rows).

    The same statements, in the same order, as ``load`` makes from the flat plan's nodes: the
    items of each depth in outline order, one data-version bump per depth, people and
    departments asked for in the order the per-row build asks, the partners after every item.
    """
    day = writer.date
    codes, parents = flat.codes, flat.parents
    columns = {name: flat.column(name) for name in ITEM_FIELD_NAMES}
    partners_col = flat.column("partners")
    total = len(flat)
    position = [0] * total  # outline position of each row: its sort order
    by_depth: dict[int, list[int]] = {}
    depths = flat.depths
    for pos, i in enumerate(flat.order):
        position[i] = pos
        by_depth.setdefault(depths[i], []).append(i)
    ids: dict[str | None, int] = {}
    items_t = table_of(Item)
    partner_rows: list[tuple[int, int | None]] = []
    created = 0
    for depth in sorted(by_depth):
        idx = by_depth[depth]
        batch_codes = [codes[i] for i in idx]
        values = {name: [col[i] for i in idx] for name, col in columns.items()}
        rows = _item_rows(values, batch_codes, [flat.titles[i] for i in idx],  # type: ignore[arg-type]
                          [ids[p] if (p := parents[i]) else None for i in idx], [position[i] for i in idx],
                          plan_id=plan_id, level=level_name(depth, level_names), person=person, dept=dept, day=day,
                          warm=warm)
        writer.insert_many(s, items_t, ITEM_COLS, rows)
        id_of = ids_by_code(s, writer, plan_id)
        new_ids = [id_of[c] for c in batch_codes]
        ids.update(zip(batch_codes, new_ids, strict=True))
        for item_id, i in zip(new_ids, idx, strict=True):
            partners = partners_col[i]
            if partners:
                partner_rows += [(item_id, d) for d in {dept(p) for p in partners}]
        created += len(rows)
        end_batch(s, writer, list(zip(repeat(author), repeat("create"), repeat("item"), new_ids, repeat("code"),
                                      repeat(None), batch_codes, repeat(SOURCE), repeat(batch_id))),
                  progress_cb, created, total)
    if partner_rows:
        writer.insert_many(s, item_partner_departments, ("item_id", "department_id"), partner_rows)
    # Every leaf's update is new (the plan is); leaves in outline order, as load lists them.
    leaves = [i for i in flat.order if flat.leaf[i]]
    status, progress = flat.state_column("status"), flat.state_column("progress")
    comment, as_of_col = flat.state_column("comment"), flat.state_column("as_of")
    source = f"import: {file_name}"[:200]
    as_of_text = day(as_of)
    updates: list[tuple] = []
    add = updates.append
    for i in leaves:
        st, pr, a = status[i], progress[i], as_of_col[i]
        if st is not None and pr is not None:
            # leaf_values' common case inline (a status and a progress: nothing to infer).
            add((ids[codes[i]], day(a) if a else as_of_text, st, 100.0 if st == "completed" else float(pr),
                 comment[i], author, source, batch_id))
        elif (t := leaf_values(st, pr, comment[i], a)) is not None:
            add((ids[codes[i]], day(a) if a else as_of_text, t[1], t[2], t[3], author, source, batch_id))
    return created, updates

