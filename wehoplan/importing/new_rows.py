"""The rows of an import's new items, built column by column (the load's per-row build, faster).

:func:`wehoplan.importing.load.load` builds one tuple per new item from its parsed fields;
for a large plan most of that time is the per-row look-ups (names, dates, weights). Here each
column is made once over the batch, names and dates resolved once per distinct value, in the
order the per-row build meets them, so new people and departments get the same ids, and the
tuples are zipped. ``load(columnar=False)`` keeps the per-row build, and
``tests/test_importing_fast_equal.py`` proves both write the same rows.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import chain, repeat
from typing import Any

from wehoplan.importing.nodes import Node


def new_item_rows(nodes: list[Node], *, plan_id: int, level: str, ids: dict[str | None, int],
                  person: Callable[[Any], int | None], dept: Callable[[Any], int | None],
                  day: Callable[[object], object], order_of: dict[int, int]) -> list[tuple]:
    """One tuple per node in ``load``'s item columns order (``_ITEM_COLS``), as its per-row build makes them."""
    fs = [n.fields for n in nodes]
    owners = [f.get("owner") for f in fs]
    sponsors = [f.get("sponsor") for f in fs]
    depts = [f.get("department") for f in fs]
    # Per row the build asks for the owner, then the sponsor: asked in that order here too, a
    # person new to the database is created with the same id.
    people = {name: person(name) for name in dict.fromkeys(chain.from_iterable(zip(owners, sponsors, strict=True)))}
    dept_ids = {name: dept(name) for name in dict.fromkeys(depts)}
    starts = [f.get("start") for f in fs]
    dues = [f.get("due") for f in fs]
    days = {d: day(d) for d in dict.fromkeys(chain(starts, dues))}
    parents = [ids[n.parent.code] if n.parent is not None and n.parent.code else None for n in nodes]
    return list(zip(
        repeat(plan_id), [n.code for n in nodes], repeat(level), [n.title or "" for n in nodes], parents,
        [f.get("description") for f in fs], [people[x] for x in owners], [people[x] for x in sponsors],
        [dept_ids[x] for x in depts], [f.get("smart") or "" for f in fs], [days[x] for x in starts],
        [days[x] for x in dues], [float(f.get("weight", 1.0)) for f in fs], [order_of[id(n)] for n in nodes],
        repeat(1), repeat(False),
    ))
