"""Builds the demo database from the real West Hollywood plans in ``data/``.

What is real: the two plans' trees, titles, SMART values, lead departments, item
types, dependencies and tracks (see ``data/README.md`` for which of those were
inferred), the 2015 report's 34 candidate measures, and every dated event in
``data/weho_milestones.csv``. What is illustrative: owners and sponsors (role titles),
planned start and due dates (derived from the plan's timeframes and workflow chart
years), and the month-by-month progress history, which is generated deterministically
and bent to pass through every real milestone.

Tests build their fixture database with the same :func:`build_demo`.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
import re
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, insert, select
from sqlalchemy.orm import Session

from wehoplan.config import DATA_DIR
from wehoplan.db import create_schema, drop_schema
from wehoplan.domain import parse_smart
from wehoplan.measures.demo import load_demo_measures
from wehoplan.models import Item, Plan, Update
from wehoplan.repository import department_id, person_id, write_audit

SMART_CITY = "WeHo Smart City Strategic Plan 2018"
INNOVATIONS = "WeHoX Innovations Annual Report 2015"
DEMO_AUTHOR = "wehoplan demo builder"
DEMO_SOURCE = "illustrative demo history"
DEMO_NOTE = (
    "Real: the plan's items, titles, SMART values and lead departments (some inferred where "
    "the source names none), and the dated milestones from public sources. Illustrative: owners, "
    "sponsors, planned dates and the month-by-month progress history."
)

OWNER_ROLES = {
    "Innovation Division": "Innovation Manager",
    "Department of Public Works": "Public Works Director",
    "Long Range & Mobility Planning": "Mobility Planning Manager",
    "Department of Public Safety": "Public Safety Director",
    "Public Safety Department": "Public Safety Director",
    "Information Technology Division": "IT Manager",
    "Information Technology": "IT Manager",
    "Social Services": "Social Services Manager",
    "Human Services": "Human Services Director",
    "Business Development Division": "Business Development Manager",
}
SPONSOR = "Assistant City Manager"


@dataclass(frozen=True)
class PlanSpec:
    """How to read one demo plan and generate its history."""

    name: str
    key: str  # the plan column of weho_milestones.csv
    csv: str
    level_names: tuple[str, ...]
    adopted: dt.date
    history_start: dt.date
    history_end: dt.date
    description: str
    pace: float  # > 1 means work takes longer than planned
    closes_out: bool = False  # every open leaf is folded (deferred) at history end


SPECS = (
    PlanSpec(
        SMART_CITY, "smart_city_2018", "weho_smart_city_plan_2018.csv",
        ("Strategy", "Initiative", "Action"), dt.date(2018, 2, 20),
        dt.date(2018, 3, 1), dt.date(2022, 12, 31),
        "Adopted by City Council in February 2018: 3 strategies, 14 cascading initiatives, 39 actions.",
        pace=1.9,
    ),
    PlanSpec(
        INNOVATIONS, "innovations_2015", "weho_innovations_report_2015.csv",
        ("Topic area", "Initiative", "Idea"), dt.date(2015, 6, 30),
        dt.date(2015, 7, 1), dt.date(2017, 12, 31),
        "WeHoX Innovations Annual Report 2015/16: 5 topic areas, 43 initiatives, 95 ideas.",
        pace=1.1, closes_out=True,
    ),
)


def _month_end(d: dt.date) -> dt.date:
    nxt = dt.date(d.year + (d.month == 12), d.month % 12 + 1, 1)
    return nxt - dt.timedelta(days=1)


def _add_days(d: dt.date, days: float) -> dt.date:
    return d + dt.timedelta(days=round(days))


def _planned_dates(row: dict, parent_timeframe: str, start_floor: dt.date) -> tuple[dt.date, dt.date]:
    """Planned start/due from the workflow chart year in the source note, else the timeframe."""
    m = re.search(r"~\s*(late\s+)?(\d{4})(?:-(\d{2,4}))?", row.get("source") or "")
    if m:
        year = int(m.group(2))
        start = dt.date(year, 7 if m.group(1) else 1, 1)
        end_year = year
        if m.group(3):
            end_year = int(m.group(3)) if len(m.group(3)) == 4 else 2000 + int(m.group(3))
        due = dt.date(end_year + 1, 6, 30)
    else:
        frame = row.get("timeframe") or parent_timeframe or "mid-term"
        start, due = {
            "near-term": (dt.date(2018, 3, 1), dt.date(2019, 6, 30)),
            "mid-term": (dt.date(2019, 1, 1), dt.date(2021, 6, 30)),
            "long-term": (dt.date(2020, 7, 1), dt.date(2022, 12, 31)),
        }[frame]
    return max(start, start_floor), due


@dataclass
class _Leaf:
    code: str
    start: dt.date
    due: dt.date
    author: str | None
    starts_on: dt.date | None = None  # from a "started" milestone
    completes_on: dt.date | None = None  # from a "completed" milestone
    events: dict[dt.date, str] = field(default_factory=dict)


def _read_csv(name: str, data_dir: Path) -> list[dict]:
    with open(data_dir / name, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _history(spec: PlanSpec, leaf: _Leaf) -> list[dict]:
    """Deterministic monthly updates for one leaf, passing through its milestones."""
    rng = random.Random(f"{spec.key}:{leaf.code}")
    hist_end = spec.history_end
    start_work = leaf.starts_on or max(_add_days(leaf.start, rng.uniform(0, 120)), spec.history_start)
    planned_days = max((leaf.due - leaf.start).days, 60)
    finish = leaf.completes_on or _add_days(start_work, planned_days * spec.pace * rng.uniform(0.6, 1.4))
    deferred_on = None
    if not leaf.completes_on and rng.random() < 0.06:
        deferred_on = _month_end(_add_days(start_work, planned_days * rng.uniform(0.3, 0.8)))
    # A short disruption episode for some items (staffing, procurement, the pandemic...).
    episode = None
    if rng.random() < 0.35:
        e0 = _month_end(_add_days(start_work, (finish - start_work).days * rng.uniform(0.2, 0.7)))
        episode = (e0, _month_end(_add_days(e0, rng.uniform(45, 150))), rng.random() < 0.3)

    rows: list[dict] = []
    progress = 0.0
    day = start_work
    span = max((finish - start_work).days, 1)
    while day <= hist_end:
        if deferred_on and day >= deferred_on:
            rows.append(dict(as_of=day, status="deferred", progress=progress,
                             comment="Put on hold; folded into the department's work plan (illustrative)."))
            break
        if day >= finish:
            rows.append(dict(as_of=finish, status="completed", progress=100.0,
                             comment=leaf.events.get(finish, "Completed (illustrative).")))
            break
        target = 100.0 * (day - start_work).days / span
        in_episode = episode is not None and episode[0] <= day <= episode[1]
        step = max(0.0, target - progress) * (0.3 if in_episode else rng.uniform(0.8, 1.0))
        progress = min(95.0, round((progress + step) / 5) * 5)
        if in_episode and episode is not None:
            status = "major_disruption" if episode[2] else "some_disruption"
            comment = "Delayed: waiting on procurement and staff capacity (illustrative)."
        elif day > leaf.due:
            status = "some_disruption"
            comment = "Past the planned date; re-planning the remaining work (illustrative)."
        else:
            status = "on_track"
            comment = "Work started (illustrative)." if day == start_work else "Progressing as planned (illustrative)."
        rows.append(dict(as_of=day, status=status, progress=progress, comment=leaf.events.get(day, comment)))
        nxt = _month_end(day)
        day = nxt if nxt > day else _month_end(day + dt.timedelta(days=1))
        for ev_day in leaf.events:  # milestone dates inside the month get their own update
            if rows[-1]["as_of"] < ev_day < day and ev_day < finish:
                rows.append(dict(as_of=ev_day, status=status, progress=progress, comment=leaf.events[ev_day]))
    if spec.closes_out and (not rows or rows[-1]["status"] not in ("completed", "deferred")):
        rows.append(dict(as_of=hist_end, status="deferred", progress=rows[-1]["progress"] if rows else 0.0,
                         comment="Folded into a departmental work plan at the final report (illustrative)."))
    return [dict(r, author=leaf.author) for r in sorted(rows, key=lambda r: r["as_of"])]


def _load_plan(session: Session, spec: PlanSpec, data_dir: Path, caches: dict) -> dict[str, int]:
    rows = _read_csv(spec.csv, data_dir)
    milestones = [m for m in _read_csv("weho_milestones.csv", data_dir) if m["plan"] == spec.key]
    plan = Plan(
        name=spec.name, description=spec.description, level_names=";".join(spec.level_names),
        adopted=spec.adopted, is_demo=True, source_note=DEMO_NOTE,
        public=True,  # both plans were published documents; their demo items are all public
    )
    session.add(plan)
    session.flush()
    by_code = {r["code"]: r for r in rows}
    children: dict[str, list[str]] = {}
    for r in rows:
        children.setdefault(r["parent_code"], []).append(r["code"])
    ids: dict[str, int] = {}
    leaves: dict[str, _Leaf] = {}
    depth_of = {c: c.count(".") + 1 for c in by_code}
    for n, code in enumerate(sorted(by_code, key=lambda c: [int(p) for p in c.split(".")])):
        r = by_code[code]
        depth = depth_of[code]
        depts = [d.strip() for d in (r.get("lead_department") or "").split(";") if d.strip()]
        own_owner = OWNER_ROLES.get(depts[0]) if depts else None
        is_leaf = code not in children
        parent_row = by_code.get(r["parent_code"], {})
        start = due = None
        if is_leaf and spec.key == "smart_city_2018":
            start, due = _planned_dates(r, parent_row.get("timeframe", ""), spec.history_start)
        elif is_leaf:
            rng = random.Random(f"{spec.key}:dates:{code}")
            start = _add_days(spec.history_start, rng.uniform(0, 330))
            due = min(_add_days(start, rng.uniform(300, 720)), spec.history_end)
        item = Item(
            plan_id=plan.id, parent_id=ids.get(r["parent_code"]), code=code,
            level=spec.level_names[depth - 1], title=r["title"],
            owner_id=person_id(session, own_owner, caches["people"]),
            sponsor_id=person_id(session, SPONSOR if depth == 2 else None, caches["people"]),
            lead_department_id=department_id(session, depts[0] if depts else None, caches["departments"]),
            smart=parse_smart(r.get("smart_values")), start=start, due=due, weight=1.0,
            item_type=r.get("item_type") or None, track=r.get("track") or None,
            depends_on=r.get("depends_on") or None, source_note=r.get("source"), sort_order=n,
        )
        session.add(item)
        session.flush()
        if len(depts) > 1:
            from wehoplan.models import Department

            item.partner_departments = [session.get_one(Department, department_id(session, d, caches["departments"]))
                                        for d in depts[1:]]
        ids[code] = item.id
        if is_leaf:
            author = own_owner
            anc = r["parent_code"]
            while author is None and anc:
                ds = [d.strip() for d in (by_code[anc].get("lead_department") or "").split(";") if d.strip()]
                author = OWNER_ROLES.get(ds[0]) if ds else None
                anc = by_code[anc]["parent_code"]
            # Every leaf of the demo plans has both dates (the CSVs are checked by tests/test_demo.py).
            assert start is not None and due is not None, code
            leaves[code] = _Leaf(code, start, due, author)

    def leaves_under(code: str) -> list[str]:
        return [c for c in leaves if c == code or c.startswith(code + ".")]

    for m in milestones:
        if not m["code"]:
            continue
        when = dt.date.fromisoformat(m["date"])
        under = leaves_under(m["code"])
        text = f"{m['fact']} (milestone: {m['source']})"
        if m["event"] == "started":
            first = under[0]
            leaves[first].starts_on = when
            leaves[first].events[when] = text
            for c in under[1:]:  # nothing under a started initiative began before it
                leaves[c].starts_on = max(leaves[c].starts_on or when, when, leaves[c].start)
        elif m["event"] == "completed":
            for c in under:
                leaves[c].completes_on = when
                leaves[c].events[when] = text
                began = leaves[c].starts_on
                if began and began > when:
                    leaves[c].starts_on = None
        else:  # evaluated: the first leaf completes with the evaluation
            leaves[under[0]].completes_on = when
            leaves[under[0]].events[when] = text
    for leaf in leaves.values():
        if leaf.completes_on:
            begin = leaf.starts_on or leaf.start
            if begin >= leaf.completes_on:  # e.g. completed before the history window opened
                leaf.starts_on = leaf.completes_on - dt.timedelta(days=90)
    update_rows = []
    # The real milestones are what a city would tell the public: each one's report carries it as
    # its public note (the comment, with its source, stays internal).
    facts = {(c, dt.date.fromisoformat(m["date"])): m["fact"] for m in milestones if m["code"]
             for c in leaves_under(m["code"])}
    for code, leaf in leaves.items():
        for u in _history(spec, leaf):
            update_rows.append(dict(u, item_id=ids[code], source=DEMO_SOURCE,
                                    public_note=facts.get((code, u["as_of"]))))
    if update_rows:
        session.execute(insert(Update), update_rows)
    rows = _read_csv("weho_measures_2015.csv", data_dir) if spec.key == "innovations_2015" else []
    measures = load_demo_measures(session, plan.id, spec.key, ids, rows)
    write_audit(session, author=DEMO_AUTHOR, action="create", entity="plan", entity_id=plan.id,
                new=spec.name, source="init-demo")
    return {"items": len(ids), "updates": len(update_rows), "measures": measures}


def build_demo(engine: Engine, data_dir: Path = DATA_DIR, force: bool = False) -> dict[str, dict[str, int]]:
    """Create the schema and load both demo plans in one transaction.

    Args:
        engine: target database.
        data_dir: folder holding the plan CSVs.
        force: drop every wehoplan table first (all data in the database is lost).

    Returns:
        Counts per plan name: items, updates, measures.

    Raises:
        FileExistsError: the database already holds plans and ``force`` is false.

    """
    if force:
        drop_schema(engine)
    create_schema(engine)
    with Session(engine) as session, session.begin():
        existing = session.scalars(select(Plan.name)).all()
        if existing:
            raise FileExistsError(
                "the database already holds plans (" + "; ".join(existing) + "); use --force to rebuild it"
            )
        caches: dict[str, dict[str, int]] = {"people": {}, "departments": {}}
        return {spec.name: _load_plan(session, spec, data_dir, caches) for spec in SPECS}
