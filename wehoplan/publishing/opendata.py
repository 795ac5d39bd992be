"""Open data beside the static site: plan.json, items.csv, updates.csv, measures.csv and DATA.md.

Every file is built from the frozen publication's document alone, never from live data.
CSV files are UTF-8 without a byte-order mark, CRLF, through the one CSV writer
(:func:`wehoplan.exporting.csv_bytes`): text fields quoted, and a text that a spreadsheet
would run as a formula (``= + - @`` first) starts with a ``'``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from wehoplan.exporting import csv_bytes

SCHEMA_PATH = Path(__file__).with_name("plan.schema.json")

ITEM_FIELDS: dict[str, str] = {
    "code": "outline number, unique in the plan (e.g. 2.3.1)",
    "parent_code": "code of the item it belongs to; blank for a top-level item",
    "level": "the level's name (e.g. Strategy, Initiative, Action)",
    "depth": "1 for a top-level item, 2 under it, and so on",
    "title": "the item's title",
    "description": "the item's description (may be blank)",
    "department": "lead department (its own, or inherited from the item above)",
    "partner_departments": "partner departments, separated by '; '",
    "smart_values": "SMART values (Sustainability, Mobility, Accessibility, Resiliency, Transparency), '; '",
    "start": "planned start date (YYYY-MM-DD; blank when not planned)",
    "due": "planned due date (YYYY-MM-DD)",
    "is_action": "true for an action, where progress is reported; false for a parent, whose numbers roll up",
    "status": "status key: pending, on_track, some_disruption, major_disruption, completed, deferred",
    "status_label": "the status in words (Not started, On track, Some disruption, ...)",
    "progress": "percent complete on the as-of date (0-100); a parent's is the mean of its children's",
    "expected_progress": "percent complete expected on the as-of date from the planned dates (blank: no dates)",
    "overdue": "for an action: true when its due date has passed and it is not completed or deferred",
    "n_actions": "number of actions in it (1 for an action)",
    "n_overdue": "number of its actions that are overdue",
    "last_report": "for an action: date of its latest report on or before the as-of date",
    "public_note": "the latest public note on this item",
    "public_note_date": "date of that note",
}
UPDATE_FIELDS: dict[str, str] = {
    "code": "the action's code (items.csv)",
    "as_of": "date of the report (YYYY-MM-DD)",
    "status": "status key reported", "status_label": "the status in words",
    "progress": "percent complete reported (0-100)",
    "public_note": "what the team chose to tell the public (internal comments are never published)",
}
MEASURE_FIELDS: dict[str, str] = {
    "name": "the measure", "unit": "its unit", "direction": "increase, decrease or maintain: which way is better",
    "target": "its target value in force (blank: none set)",
    "status": "its status as of the publication's date", "status_label": "the status in words",
    "item_code": "the item it measures (blank: the whole plan)",
    "goal": "the goal it serves", "as_of": "date of the value", "value": "the value on that date",
}


def _joined(values: list[str]) -> str:
    return "; ".join(values)


def _flag(value: object) -> str:
    return "" if value is None else ("true" if value else "false")


def items_frame(doc: dict[str, Any]) -> pd.DataFrame:
    """One row per published item, the columns of :data:`ITEM_FIELDS`."""
    rows = [{k: (_joined(i[k]) if k in ("partner_departments", "smart_values")
                 else _flag(i[k]) if k in ("is_action", "overdue") else i[k]) for k in ITEM_FIELDS}
            for i in doc["items"]]
    return pd.DataFrame(rows, columns=list(ITEM_FIELDS)).astype(
        {"depth": "int64", "n_actions": "int64", "n_overdue": "int64",
         "progress": "float64", "expected_progress": "float64"})


def updates_frame(doc: dict[str, Any]) -> pd.DataFrame:
    """One row per published report: date, status, progress and the public note."""
    return pd.DataFrame(doc["updates"], columns=list(UPDATE_FIELDS)).astype({"progress": "float64"})


def measures_frame(doc: dict[str, Any]) -> pd.DataFrame:
    """One row per measure value (a measure with no values yet: one row with a blank date and value)."""
    rows = []
    for m in doc["measures"]:
        base = {k: m[k] for k in ("name", "unit", "direction", "target", "status", "status_label", "item_code", "goal")}
        rows += [{**base, **v} for v in m["values"]] or [{**base, "as_of": None, "value": None}]
    return pd.DataFrame(rows, columns=list(MEASURE_FIELDS)).astype({"target": "float64", "value": "float64"})


def _fields(title: str, fields: dict[str, str]) -> str:
    return f"## {title}\n\n| field | meaning |\n|---|---|\n" + "".join(
        f"| `{k}` | {v} |\n" for k, v in fields.items()) + "\n"


def data_readme(doc: dict[str, Any]) -> str:
    """DATA.md: what each file and field means, the publication's date and version."""
    pub = doc["published"]
    text = (f"# {doc['plan']['name']}: open data\n\n"
            f"Published {pub['at']} by {pub['by']}; statuses and progress as of {pub['as_of']}. "
            f"Schema version {doc['schema_version']} (`plan.schema.json`, JSON Schema 2020-12).\n\n"
            "Only items the city marked public are here (an internal item and everything under it are left "
            "out, and left out of every total too). Reports carry only their public note, never the "
            "internal comment. Owners and contact details are not published.\n\n"
            "Files (UTF-8; CSV without byte-order mark, comma-separated, text quoted; a text that would start "
            "with = + - or @ starts with ' so spreadsheets do not run it):\n\n"
            "- `plan.json`: everything below in one document (`plan`, `published`, `summary`, `statuses`, "
            "`items`, `updates`, `measures`).\n"
            "- `items.csv`: one row per item, in outline order.\n"
            "- `updates.csv`: one row per report on an action, oldest first.\n")
    if doc["measures"]:
        text += "- `measures.csv`: one row per measure value.\n"
    if doc["plan"]["illustrative"]:
        text += f"\n**Illustrative demo data.** {doc['plan']['about'] or ''}\n"
    text += "\n" + _fields("items.csv", ITEM_FIELDS) + _fields("updates.csv", UPDATE_FIELDS)
    if doc["measures"]:
        text += _fields("measures.csv", MEASURE_FIELDS)
    return text


def plan_json(doc: dict[str, Any]) -> bytes:
    """plan.json: the whole document, UTF-8."""
    return (json.dumps(doc, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def items_csv(doc: dict[str, Any]) -> bytes:
    """items.csv (UTF-8, no byte-order mark)."""
    return csv_bytes(items_frame(doc), bom=False)


def updates_csv(doc: dict[str, Any]) -> bytes:
    """updates.csv (UTF-8, no byte-order mark)."""
    return csv_bytes(updates_frame(doc), bom=False)


def write_open_data(doc: dict[str, Any], out: Path) -> list[Path]:
    """Write the open-data files of ``doc`` into ``out``; return their paths."""
    files = {
        "plan.json": plan_json(doc),
        "plan.schema.json": SCHEMA_PATH.read_bytes(),
        "items.csv": items_csv(doc),
        "updates.csv": updates_csv(doc),
        "DATA.md": data_readme(doc).encode("utf-8"),
    }
    if doc["measures"]:
        files["measures.csv"] = csv_bytes(measures_frame(doc), bom=False)
    written = []
    for name, data in files.items():
        path = out / name
        path.write_bytes(data)
        written.append(path)
    return written
