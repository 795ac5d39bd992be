"""Large, realistic, deterministic plans for benchmarks and load tests (issue 7).

A generated plan looks like a county's or a large city's: 3-8 strategies, 10-60
initiatives, thousands of actions with owners, lead and partner departments, SMART
tags (some inherited, some their own), weights and planned dates, and one progress
update per action per month-end: pending before the action starts, then progress that
drifts around its planned pace, with occasional disruptions, some deferrals and
completions. The same arguments always give the same database content.

Rows are computed with numpy (one vectorised step per month) and written with
``executemany`` in one transaction: building ORM objects for 600k updates would take
minutes, this takes seconds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import Engine, insert, select, text
from sqlalchemy.orm import Session

from wehoplan.db import create_schema
from wehoplan.models import Item, Plan, Update, item_partner_departments
from wehoplan.repository import department_id, person_id, write_audit

GENERATOR_AUTHOR = "wehoplan generator"
GENERATOR_SOURCE = "generated"
# Fixed, so the same arguments give the same database whatever day it is run.
HISTORY_END = dt.date(2025, 12, 31)

DEPARTMENTS = (
    "Public Works", "Transportation", "Planning & Development", "Housing", "Parks & Recreation",
    "Public Health", "Social Services", "Information Technology", "Innovation Office",
    "Finance", "Human Resources", "Economic Development", "Sustainability Office", "Library",
    "Fire Department", "Sheriff / Public Safety", "Emergency Management", "Code Compliance",
    "Water & Power", "Sanitation", "Communications", "City Clerk", "Arts & Culture",
    "Facilities", "Procurement", "Aging Services", "Youth Services", "Airport Authority",
)
FIRST = ("Ana", "Ben", "Carla", "David", "Elena", "Farid", "Grace", "Hiro", "Imani", "Jorge",
         "Kim", "Luis", "Maya", "Nadia", "Omar", "Priya", "Quinn", "Rosa", "Sam", "Tanya",
         "Uma", "Victor", "Wen", "Ximena", "Yusuf", "Zoe")
LAST = ("Alvarez", "Brooks", "Chen", "Diaz", "Evans", "Fischer", "Garcia", "Hughes", "Ibrahim",
        "Jones", "Kowalski", "Lee", "Martinez", "Nguyen", "Okafor", "Patel", "Rossi", "Smith",
        "Tanaka", "Usman", "Vargas", "Williams", "Xu", "Young", "Zhang")
VERBS = ("Deploy", "Pilot", "Expand", "Modernize", "Launch", "Evaluate", "Integrate", "Upgrade",
         "Publish", "Replace", "Design", "Procure", "Digitize", "Automate", "Map", "Retrofit")
OBJECTS = ("smart streetlights", "open data portal", "traffic signal network", "EV charging stations",
           "permit system", "public Wi-Fi", "air quality sensors", "311 service app",
           "bike share program", "emergency alert system", "parking sensors", "GIS platform",
           "water leak detection", "broadband access", "budget dashboard", "transit app",
           "stormwater monitors", "microtransit service", "cybersecurity program", "kiosks")
PLACES = ("downtown", "the east side", "all districts", "city facilities", "county clinics",
          "main corridors", "libraries", "parks", "schools", "transit hubs")
THEMES = ("Connected Infrastructure", "Mobility for All", "Open Government", "Resilient Community",
          "Sustainable Operations", "Digital Services", "Public Safety Technology", "Economic Opportunity")
COMMENTS = ("Vendor selected", "Council approved funding", "Phase 1 complete", "Waiting on procurement",
            "Staffing gap this month", "Pilot results positive", "Scope revised", "Contract signed",
            "Community outreach held", "Data migration under way", "Delayed by permitting",
            "Supply chain delay", "Budget shortfall", "Back on schedule")


@dataclass(frozen=True)
class GeneratedPlan:
    """Counts of one generated plan."""

    name: str
    plan_id: int
    strategies: int
    initiatives: int
    actions: int
    updates: int


def month_ends(months: int, end: dt.date = HISTORY_END) -> pd.DatetimeIndex:
    """Return the ``months`` month-ends that end with the month of ``end``."""
    return pd.date_range(end=pd.Timestamp(end) + pd.offsets.MonthEnd(0), periods=months, freq="ME")


def _split(total: int, parts: int, rng: np.random.Generator, minimum: int = 1) -> np.ndarray:
    """Split ``total`` into ``parts`` uneven positive counts (each >= minimum when possible)."""
    if parts <= 0:
        return np.zeros(0, dtype=int)
    base = min(minimum, total // parts)
    rest = total - base * parts
    shares = rng.dirichlet(np.full(parts, 2.0))
    counts = np.floor(shares * rest).astype(int)
    counts[np.argsort(-shares)[: rest - counts.sum()]] += 1
    return counts + base


def _tree(rng: np.random.Generator, n_actions: int) -> list[dict]:
    """Outline of one plan: a list of item dicts (code, depth, parent code), strategies first."""
    # Tiny plans (tests) keep every strategy and initiative non-empty.
    n_strat = min(int(rng.integers(3, 9)), n_actions)
    n_init = int(np.clip(rng.integers(10, 61), n_strat, max(n_strat, n_actions)))
    init_per_strat = _split(n_init, n_strat, rng)
    act_per_init = _split(n_actions, n_init, rng)
    rows: list[dict] = []
    k = 0
    for s in range(n_strat):
        scode = str(s + 1)
        rows.append({"code": scode, "depth": 1, "parent": None})
        for i in range(int(init_per_strat[s])):
            icode = f"{scode}.{i + 1}"
            rows.append({"code": icode, "depth": 2, "parent": scode})
            for a in range(int(act_per_init[k])):
                rows.append({"code": f"{icode}.{a + 1}", "depth": 3, "parent": icode})
            k += 1
    return rows


def _progress_history(rng: np.random.Generator, n: int, snaps: pd.DatetimeIndex,
                      start_m: np.ndarray, dur_m: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Status codes, progress and comment codes for n actions x len(snaps) month-ends.

    Status codes index :data:`_STATUS_ORDER`; comment code -1 means no comment.
    """
    m = len(snaps)
    status = np.zeros((n, m), dtype=np.int8)
    progress = np.zeros((n, m), dtype=np.float64)
    comment = np.full((n, m), -1, dtype=np.int16)
    pace = rng.lognormal(0.0, 0.35, n)  # some teams are slower than planned, some faster
    p = np.zeros(n)
    disrupted = np.zeros(n, dtype=np.int16)  # months of disruption left
    severity = np.zeros(n, dtype=np.int8)  # 2 = some, 3 = major
    deferred = np.zeros(n, dtype=bool)
    defer_at = np.where(rng.random(n) < 0.03, rng.integers(0, max(m, 1), n), m + 1)
    for t in range(m):
        started = t >= start_m
        # Drift: the pace wanders a little every month.
        pace = np.clip(pace * rng.lognormal(0.0, 0.08, n), 0.2, 3.0)
        new_dis = started & (disrupted == 0) & (rng.random(n) < 0.025)
        disrupted = np.where(new_dis, rng.integers(1, 7, n), disrupted).astype(np.int16)
        severity = np.where(new_dis, np.where(rng.random(n) < 0.3, 3, 2), severity).astype(np.int8)
        step = 100.0 / dur_m * pace * np.where(disrupted > 0, np.where(severity == 3, 0.0, 0.35), 1.0)
        step = step * rng.uniform(0.6, 1.4, n)
        active = started & ~deferred & (p < 100)
        p = np.where(active, np.minimum(100.0, p + step), p)
        deferred = deferred | (started & (t >= defer_at) & (p < 100))
        st = np.where(~started, 0, np.where(deferred, 5, np.where(p >= 100, 4, np.where(disrupted > 0, severity, 1))))
        status[:, t] = st
        progress[:, t] = np.round(np.where(started, p, 0.0), 1)
        talk = started & ((new_dis) | (rng.random(n) < 0.08))
        comment[:, t] = np.where(talk, rng.integers(0, len(COMMENTS), n), -1)
        disrupted = np.maximum(disrupted - 1, 0).astype(np.int16)
    return status, progress, comment


_STATUS_ORDER = ("pending", "on_track", "some_disruption", "major_disruption", "completed", "deferred")


def generate_plan(
    engine: Engine,
    actions: int,
    months: int,
    seed: int = 0,
    name: str | None = None,
    end: dt.date = HISTORY_END,
) -> GeneratedPlan:
    """Write one generated plan with ``actions`` actions and ``months`` monthly updates each.

    Args:
        engine: target database (schema is created when missing).
        actions: number of leaf actions (>= 1).
        months: month-ends of history ending in ``end``'s month; every action reports
            at each of them (pending before it starts), so updates = actions x months.
        seed: the same seed and sizes give the same plan.
        name: plan name; default "Generated plan (N actions, M months, seed S)".
        end: last month of the history.

    Raises:
        ValueError: sizes out of range.
        FileExistsError: a plan of that name exists already.

    """
    if actions < 1 or months < 1:
        raise ValueError("--actions and --months must be at least 1")
    name = name or f"Generated plan ({actions} actions, {months} months, seed {seed})"
    rng = np.random.default_rng([seed, actions, months])
    create_schema(engine)
    snaps = month_ends(months, end)
    tree = _tree(rng, actions)
    n_items = len(tree)
    depth = np.array([r["depth"] for r in tree])
    is_act = depth == 3

    with Session(engine) as session, session.begin():
        if session.scalars(select(Plan.id).where(Plan.name == name)).first() is not None:
            raise FileExistsError(f"a plan named {name!r} exists already")
        plan = Plan(name=name, level_names="Strategy;Initiative;Action", adopted=snaps[0].date(),
                    description=f"Generated: {actions} actions, {months} months of updates, seed {seed}.",
                    source_note="wehoplan generate (synthetic data)")
        session.add(plan)
        session.flush()
        caches: dict[str, dict[str, int]] = {"people": {}, "departments": {}}
        dept_ids = [department_id(session, d, caches["departments"]) for d in DEPARTMENTS]
        n_people = int(min(400, max(20, actions // 25)))
        every_name = [f"{f} {last}" for f in FIRST for last in LAST]
        people = [every_name[k] for k in rng.permutation(len(every_name))[:n_people]]
        people_ids = [person_id(session, p, caches["people"]) for p in people]
        conn = session.connection()
        base_id = int(conn.execute(text("SELECT COALESCE(MAX(id), 0) FROM items")).scalar_one()) + 1
        ids = {r["code"]: base_id + k for k, r in enumerate(tree)}

        # Per-item attributes, drawn in one go so the stream of random numbers is fixed.
        dept_pick = rng.integers(0, len(dept_ids), n_items)
        owner_pick = rng.integers(0, len(people_ids), n_items)
        own_dept = np.where(depth == 2, True, np.where(is_act, rng.random(n_items) < 0.3, False))
        own_owner = np.where(depth == 2, True, np.where(is_act, rng.random(n_items) < 0.6, False))
        smart_mask = rng.random((n_items, 5)) < np.where(depth == 1, 0.45, 0.3)[:, None]
        own_smart = (depth == 1) | (rng.random(n_items) < np.where(depth == 2, 0.3, 0.5))
        weights = rng.choice(np.array([1.0, 1.0, 1.0, 1.0, 2.0, 3.0, 0.5, 0.0]), n_items)
        weights = np.where(depth == 1, 1.0, weights)
        verb = rng.integers(0, len(VERBS), n_items)
        obj = rng.integers(0, len(OBJECTS), n_items)
        place = rng.integers(0, len(PLACES), n_items)
        start_m = rng.integers(0, max(1, int(months * 0.85)), n_items)
        dur_m = rng.integers(6, 49, n_items)
        archived = is_act & (rng.random(n_items) < 0.005)
        partners = is_act & own_dept & (rng.random(n_items) < 0.3)
        month_starts = (snaps - pd.offsets.MonthBegin(1)).date
        item_rows = []
        for k, r in enumerate(tree):
            d = int(depth[k])
            smart = "".join(c for c, on in zip("SMART", smart_mask[k], strict=True) if on) if own_smart[k] else ""
            if d == 1:
                smart = smart or "SMART"[k % 5]
                title = THEMES[k % len(THEMES)]
            elif d == 2:
                title = f"{VERBS[verb[k]]} {OBJECTS[obj[k]]}"
            else:
                title = f"{VERBS[verb[k]]} {OBJECTS[obj[k]]} in {PLACES[place[k]]}"
            start = due = None
            if d == 3:
                s_idx = int(start_m[k])
                start = month_starts[s_idx] if s_idx < months else None
                due = start + dt.timedelta(days=int(dur_m[k]) * 30) if start else None
            item_rows.append({
                "id": ids[r["code"]], "plan_id": plan.id, "parent_id": ids.get(r["parent"]) if r["parent"] else None,
                "code": r["code"], "level": ("Strategy", "Initiative", "Action")[d - 1], "title": title,
                "description": None,
                "owner_id": people_ids[owner_pick[k]] if own_owner[k] else None,
                "sponsor_id": people_ids[owner_pick[k] - 1] if d == 1 else None,
                "lead_department_id": dept_ids[dept_pick[k]] if own_dept[k] else None,
                "smart": smart, "start": start, "due": due, "weight": float(weights[k]),
                "priority": ("High", "Medium", "Low")[int(verb[k]) % 3] if d == 3 else None,
                "funding_source": None, "item_type": None, "track": None, "depends_on": None,
                "source_note": GENERATOR_SOURCE, "sort_order": k, "archived": bool(archived[k]), "version": 1,
            })
        session.execute(insert(Item), item_rows)
        partner_rows = [
            {"item_id": ids[tree[k]["code"]], "department_id": dept_ids[(dept_pick[k] + off) % len(dept_ids)]}
            for k in np.flatnonzero(partners)
            for off in range(1, 2 + int(verb[k]) % 2)
        ]
        if partner_rows:
            session.execute(insert(item_partner_departments), partner_rows)

        act_idx = np.flatnonzero(is_act)
        status, progress, comment = _progress_history(rng, len(act_idx), snaps, start_m[act_idx],
                                                      dur_m[act_idx].astype(float))
        n_updates = _write_updates(
            conn, engine, np.array([ids[tree[k]["code"]] for k in act_idx]), snaps, status, progress, comment,
            np.array([people[owner_pick[k]] for k in act_idx], dtype=object),
        )
        write_audit(session, author=GENERATOR_AUTHOR, action="create", entity="plan", entity_id=plan.id,
                    new=name, source="generate")
        return GeneratedPlan(name=name, plan_id=plan.id, strategies=int((depth == 1).sum()),
                             initiatives=int((depth == 2).sum()), actions=int(is_act.sum()), updates=n_updates)


def _write_updates(conn, engine: Engine, item_ids: np.ndarray, snaps: pd.DatetimeIndex, status: np.ndarray,
                   progress: np.ndarray, comment: np.ndarray, authors: np.ndarray) -> int:
    """Bulk-insert the update matrix (item-major), month by month so memory stays flat."""
    n, m = status.shape
    status_words = np.array(_STATUS_ORDER, dtype=object)
    comment_words = np.array((*COMMENTS, None), dtype=object)  # index -1 -> None
    day_strings = [d.date().isoformat() for d in snaps]
    sqlite = engine.dialect.name == "sqlite"
    sql = ("INSERT INTO updates (item_id, as_of, status, progress, comment, author, source, created_at) "
           "VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
    ids_list = item_ids.tolist()
    authors_list = authors.tolist()
    total = 0
    for t in range(m):
        # created_at is fixed too (the morning after the month-end) so content is deterministic.
        created = (snaps[t] + pd.Timedelta(hours=33)).strftime("%Y-%m-%d %H:%M:%S.000000")
        cols = (ids_list, [day_strings[t]] * n, status_words[status[:, t]].tolist(), progress[:, t].tolist(),
                comment_words[comment[:, t]].tolist(), authors_list, [GENERATOR_SOURCE] * n, [created] * n)
        rows = list(zip(*cols, strict=True))
        if sqlite:
            # Raw DBAPI executemany: no per-row parameter processing; dates already ISO text.
            conn.exec_driver_sql(sql, rows)
        else:
            keys = ("item_id", "as_of", "status", "progress", "comment", "author", "source", "created_at")
            stamp = snaps[t] + pd.Timedelta(hours=33)
            conn.execute(insert(Update), [
                dict(zip(keys, (r[0], snaps[t].date(), *r[2:7], stamp), strict=True)) for r in rows
            ])
        total += n
    return total


def generate(
    engine: Engine, actions: int, months: int, plans: int = 1, seed: int = 0
) -> list[GeneratedPlan]:
    """Write ``plans`` generated plans sharing ``actions`` actions between them.

    Actions are split evenly (the first plans take the remainder); each plan gets its
    own seed derived from ``seed`` so plans differ but the database is reproducible.
    """
    if plans < 1:
        raise ValueError("--plans must be at least 1")
    if actions < plans:
        raise ValueError("--actions must be at least --plans (every plan needs an action)")
    sizes = [actions // plans + (1 if k < actions % plans else 0) for k in range(plans)]
    out = []
    for k, n in enumerate(sizes):
        nm = None if plans == 1 else f"Generated plan {k + 1} of {plans} ({n} actions, {months} months, seed {seed})"
        out.append(generate_plan(engine, n, months, seed=seed * 1000 + k, name=nm))
    return out
