"""The published document: what of a plan leaves the building, built from live data once, then frozen.

Only what is listed here is ever published (an allow-list, never "everything but"): the plan's
name and description; for each *public* item (public itself and under public ancestors only)
its code, level, title, description, lead and partner departments, SMART values, dates,
status, progress and expected progress; each report's date, status, progress and *public
note*. Never: internal items or anything under them, internal comments, owners, sponsors,
authors of reports, or anyone's email. The roll-up is computed over the public items alone,
so an internal item does not even move a published number.

The document follows ``plan.schema.json`` beside this module (:data:`SCHEMA_VERSION`).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pandas as pd
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from wehoplan import repository
from wehoplan.domain import STATUS_COLOURS, STATUS_KEYS, STATUS_LABELS, smart_names, split_level_names
from wehoplan.editing.validation import ValidationError
from wehoplan.models import Item, Plan, Update
from wehoplan.rollup import ROOT_ID, Thresholds, rollup_table

SCHEMA_VERSION = "1.0"


def public_item_ids(engine: Engine, plan_id: int) -> set[int]:
    """Ids of the plan's items that may be published: public themselves and every ancestor public."""
    with Session(engine) as s:
        rows = s.execute(select(Item.id, Item.parent_id, Item.public).where(Item.plan_id == plan_id)).all()
    parent = {i: p for i, p, _ in rows}
    own = {i: bool(pub) for i, _, pub in rows}
    memo: dict[int, bool] = {}

    def ok(i: int) -> bool:
        chain = []
        node: int | None = i
        while node is not None and node not in memo:
            chain.append(node)
            node = parent.get(node)
        answer = True if node is None else memo[node]
        for n in reversed(chain):  # from the top down: one internal ancestor hides the whole subtree
            answer = answer and own[n]
            memo[n] = answer
        return memo[i]

    return {i for i in own if ok(i)}


def _num(value: object, digits: int = 1) -> float | None:
    if value is None or pd.isna(value):
        return None
    f = float(value)  # type: ignore[arg-type]
    return None if math.isnan(f) else round(f, digits)


def _day(value: object) -> str | None:
    if value is None or pd.isna(value):
        return None
    return pd.Timestamp(value).date().isoformat()


def _text(value: object) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    text = str(value).strip()
    return text or None


def _counts(row: pd.Series) -> dict[str, int]:
    return {k: int(row[f"n_{k}"]) for k in STATUS_KEYS}


def _public_updates(engine: Engine, ids: set[int], as_of: pd.Timestamp) -> pd.DataFrame:
    """Reports on public items up to ``as_of``: date, status, progress and public note (never the comment)."""
    with Session(engine) as s:
        rows = s.execute(select(Update.id, Update.item_id, Update.as_of, Update.status, Update.progress,
                                Update.public_note)
                         .where(Update.item_id.in_(ids) if ids else Update.id.is_(None),
                                Update.as_of <= as_of.date())
                         .order_by(Update.as_of, Update.id)).all()
    return pd.DataFrame(rows, columns=["id", "item_id", "as_of", "status", "progress", "public_note"])


def measures_for(engine: Engine, plan_id: int, codes: dict[int, str], day: pd.Timestamp) -> list[dict[str, Any]]:
    """The plan's measures for publication: those tied to no item or to public items only.

    A measure's name, unit, direction, target, status and its values by period (up to ``day``,
    periods marked not applicable left out) are published, with the same statuses as the Measures
    page; notes, owners and who entered the values are not.
    """
    from wehoplan import measures
    from wehoplan.config import load_config
    from wehoplan.measures.frames import current_values
    from wehoplan.measures.rules import MEASURE_STATUS_LABELS

    data = measures.load_measure_data(engine, plan_id)
    if data.measures.empty:
        return []
    table = measures.measure_table(data, day, load_config().measure_tolerance).set_index("id")
    values = current_values(data.values, day)
    values = values[~values["not_applicable"] & values["value"].notna()]
    by_measure = {mid: [{"as_of": p.date().isoformat(), "value": float(v)}
                        for p, v in zip(g["period"], g["value"], strict=True)]
                  for mid, g in values.groupby("measure_id")}
    out = []
    for m in data.measures.to_dict("records"):
        if any(i not in codes for i in m["item_ids"]):
            continue  # tied to an internal item: it stays in
        row = table.loc[m["id"]]
        status = str(row["status"])
        out.append({"name": m["name"], "unit": m["unit"], "direction": m["direction"],
                    "target": None if pd.isna(row["target"]) else float(row["target"]),
                    "status": status, "status_label": MEASURE_STATUS_LABELS[status],
                    "item_code": codes.get(m["item_ids"][0]) if m["item_ids"] else None,
                    "goal": m["goal"], "values": by_measure.get(m["id"], [])})
    return out


def build_document(
    engine: Engine,
    plan_id: int,
    *,
    published_at: dt.datetime,
    published_by: str,
    note: str | None,
    as_of: pd.Timestamp | None = None,
    thresholds: Thresholds | None = None,
    today: dt.date | None = None,
) -> dict[str, Any]:
    """The plan as it will be published (a JSON-ready dict following ``plan.schema.json``).

    Args:
        engine: the plan database.
        plan_id: the plan.
        published_at: when (UTC).
        published_by: the publisher's display name (never an email).
        note: the publisher's note to readers.
        as_of: the date the numbers are evaluated on (default: GUIDE §3's default over the public items).
        thresholds: due-soon and stale thresholds.
        today: caps the default as-of date.

    """
    with Session(engine) as s:
        plan = s.get_one(Plan, plan_id)
        plan_info = {"name": plan.name, "description": plan.description,
                     "level_names": list(split_level_names(plan.level_names)),
                     "illustrative": bool(plan.is_demo),
                     "about": plan.source_note if plan.is_demo else None}
    ids = public_item_ids(engine, plan_id)
    items = repository.load_items(engine, plan_id)
    items = items[items["id"].isin(ids)].reset_index(drop=True)
    if items.empty:
        raise ValidationError([f"nothing to publish: every item of {plan_info['name']} is internal (or archived)"])
    updates = repository.load_updates(engine, plan_id)
    updates = updates[updates["item_id"].isin(set(items["id"]))].reset_index(drop=True)
    day = pd.Timestamp(as_of if as_of is not None else repository.default_as_of(updates, items, today)).normalize()
    table = rollup_table(items, updates, day, thresholds=thresholds or Thresholds())
    codes = dict(zip(table["id"].astype(int), table["code"].astype(str), strict=True))
    codes.pop(ROOT_ID, None)
    reports = _public_updates(engine, set(codes), day)
    notes = reports.dropna(subset=["public_note"])
    notes = notes[notes["public_note"].astype(str).str.strip() != ""]
    latest_note = notes.groupby("item_id").tail(1).set_index("item_id")

    root = table[table["id"] == ROOT_ID].iloc[0]
    rows = []
    for r in table[table["id"] != ROOT_ID].itertuples(index=False):
        rec = r._asdict()
        iid = int(rec["id"])
        parent = rec["parent_id"]
        note_row = latest_note.loc[iid] if iid in latest_note.index else None
        rows.append({
            "code": str(rec["code"]),
            "parent_code": None if parent is None or pd.isna(parent) else codes.get(int(parent)),
            "level": str(rec["level"]),
            "depth": int(rec["depth"]),
            "title": str(rec["title"]),
            "description": _text(rec["description"]),
            "department": _text(rec["department"]),
            "partner_departments": [p.strip() for p in (_text(rec["partners"]) or "").split(";") if p.strip()],
            "smart_values": smart_names(rec["smart"]),
            "start": _day(rec["start"]),
            "due": _day(rec["due"]),
            "is_action": bool(rec["is_leaf"]),
            "status": str(rec["status"]),
            "status_label": STATUS_LABELS[str(rec["status"])],
            "progress": _num(rec["progress"]),
            "expected_progress": _num(rec["expected_progress"]),
            "overdue": bool(rec["overdue"]) if rec["is_leaf"] else None,
            "n_actions": int(rec["n_leaves"]),
            "actions_by_status": _counts(pd.Series(rec)),
            "n_overdue": int(rec["n_overdue"]),
            "last_report": _day(rec["last_update"]) if rec["is_leaf"] else None,
            "public_note": None if note_row is None else str(note_row["public_note"]).strip(),
            "public_note_date": None if note_row is None else _day(note_row["as_of"]),
        })
    return {
        "schema_version": SCHEMA_VERSION,
        "plan": plan_info,
        "published": {"at": published_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                      "by": published_by, "note": _text(note), "as_of": day.date().isoformat()},
        "summary": {
            "status": str(root["status"]), "status_label": STATUS_LABELS[str(root["status"])],
            "progress": _num(root["progress"]), "expected_progress": _num(root["expected_progress"]),
            "n_actions": int(root["n_leaves"]), "n_overdue": int(root["n_overdue"]),
            "actions_by_status": _counts(root),
        },
        "statuses": [{"key": k, "label": STATUS_LABELS[k], "colour": STATUS_COLOURS[k]} for k in STATUS_KEYS],
        "items": rows,
        "updates": [{"code": codes[int(u.item_id)], "as_of": _day(u.as_of), "status": str(u.status),
                     "status_label": STATUS_LABELS[str(u.status)], "progress": _num(u.progress),
                     "public_note": _text(u.public_note)}
                    for u in reports.itertuples(index=False)],
        "measures": measures_for(engine, plan_id, codes, day),
    }
