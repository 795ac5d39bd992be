"""Column headers -> fields, by synonyms (case and punctuation ignored) or a mapping file."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping
from pathlib import Path

# Hierarchy columns (h1 = top level ... h3 = action) are separate from "title": a file with
# Goal / Objective / Action columns uses them as a hierarchy; a lone "Objective" or "Action"
# column is the title (see resolve_mapping).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "code": ("code", "id", "no", "number", "item code", "item id", "ref", "reference", "outline",
             "outline number", "item number", "item no", "wbs", "action code", "action id", "action no",
             "action number", "num", "ref number", "action item number", "codigo", "numero", "n", "nr",
             "measure id", "measure code", "measure no", "measure number", "item ref"),
    "level": ("level", "type", "item type", "level type", "tier", "kind", "row type"),
    "title": ("title", "name", "item", "action item", "item title", "action title", "item name",
              "action name", "task name", "goal objective action", "goal/objective/action", "sub action",
              "subaction", "sub task", "subtask", "sub activity", "activity name", "measure", "measure name",
              "titulo", "nome", "acao", "acoes", "medida", "atividade"),
    "description": ("description", "details", "detail", "summary", "desc", "action description",
                    "task description", "project description", "descricao", "detalhes"),
    "owner": ("owner", "assigned to", "assignee", "responsible person", "project manager", "pm",
              "contact", "staff lead", "action owner", "lead person", "lead staff", "owner name", "lead",
              "responsible", "project lead", "cabinet lead", "task lead", "action lead", "lead contact",
              "responsible officer", "point person", "point of contact", "responsavel", "ponto focal"),
    "sponsor": ("sponsor", "executive sponsor", "champion", "exec sponsor"),
    "department": ("department", "dept", "lead department", "responsible dept", "responsible department",
                   "owner department", "lead dept", "division", "lead division", "lead agency", "agency",
                   "departments", "parties responsible", "responsible parties", "responsible party",
                   "lead office", "bureau", "lead bureau", "responsible agency",
                   "orgao responsavel", "orgao", "instituicao responsavel", "instituicao", "departamento"),
    "partners": ("partner departments", "partners", "partner depts", "partner dept", "supporting departments",
                 "support departments", "partner department", "collaborators", "partnering departments",
                 "supporting depts"),
    "smart": ("smart", "smart values", "smart value", "smart tags", "smart goals", "smart city values", "values"),
    "smart_S": ("sustainability", "sustainable", "s"),
    "smart_M": ("mobility", "m"),
    "smart_A": ("accessibility", "accessible", "a"),
    "smart_R": ("resiliency", "resilience", "resilient", "r"),
    "smart_T": ("transparency", "transparent", "t"),
    "start": ("start", "start date", "begin", "begin date", "planned start", "start dt", "commence", "from",
              "launch date", "launch", "kick off", "inicio", "data de inicio"),
    "due": ("due", "due date", "end date", "target date", "target completion", "completion date", "deadline",
            "finish", "finish date", "end", "target completion date", "planned completion", "planned end", "to",
            "prazo", "data limite", "data de conclusao", "due by"),
    "status": ("status", "current status", "state", "rag", "rag status", "health", "overall status",
               "situacao", "estado", "progress status", "implementation status"),
    "progress": ("progress", "percent complete", "pct complete", "completion", "percent", "complete percent",
                 "percent done", "progress percent", "percentage complete", "pct", "percent completed",
                 "completion percent", "progress percentage"),
    "comment": ("comment", "comments", "latest comment", "notes", "note", "update", "status update",
                "remarks", "commentary", "latest update", "status comment", "progress notes", "status notes"),
    "update_date": ("update date", "as of", "as of date", "updated", "last updated", "reporting date",
                    "report date", "comment date", "date updated", "status date", "last update", "date of update"),
    "weight": ("weight", "weighting", "wt"),
    "owner_email": ("owner email", "owner e mail", "owner email address", "email", "e mail", "email address",
                    "contact email", "lead email", "responsible email", "assignee email"),
    "h1": ("strategy", "goal", "focus area", "priority area", "pillar", "theme", "topic area", "strategic goal",
           "strategic priority", "strategy title", "goal title", "topic", "committee", "pillar title",
           "pillar name", "committee name", "strategic area", "eixo", "eixo estrategico", "objetivo estrategico"),
    "h1_code": ("strategy code", "goal code", "strategy no", "goal no", "strategy number", "goal number",
                "strategy id", "goal id", "topic code", "pillar code", "pillar no", "pillar number", "pillar id",
                "committee code", "committee no", "committee number", "committee id"),
    "h2": ("initiative", "objective", "program", "project", "initiative title", "objective title",
           "work package", "workpackage", "work package title", "work package name", "project name",
           "objetivo", "programa", "projeto"),
    "h2_code": ("initiative code", "objective code", "initiative no", "objective no", "initiative number",
                "objective number", "initiative id", "objective id", "work package code", "work package no",
                "work package number", "work package id", "wp", "wp no", "project code", "project id"),
    "h3": ("action", "task", "activity", "action step", "idea", "indicative action", "indicative actions",
           "actions", "tasks", "key action"),
    "h3_code": ("task code", "task no", "task number", "task id", "activity code", "activity id"),
}
FIELDS: tuple[str, ...] = (*SYNONYMS, "ignore")
FIELD_HELP = {
    "code": "outline code", "level": "level / type", "title": "title", "description": "description",
    "owner": "owner", "sponsor": "sponsor", "department": "lead department", "partners": "partner departments",
    "smart": "SMART values (letters or names)", "start": "start date", "due": "due date", "status": "status",
    "progress": "percent complete", "comment": "comment", "update_date": "update date", "weight": "weight",
    "owner_email": "owner's email (reminders are sent there)",
    "h1": "top-level (strategy) title column", "h1_code": "top-level code column",
    "h2": "second-level (initiative) title column", "h2_code": "second-level code column",
    "h3": "third-level (action) title column", "h3_code": "third-level code column", "ignore": "not imported",
    **{f"smart_{c}": f"SMART flag column {c} (yes/x)" for c in "SMART"},
}


_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def norm_header(text: object) -> str:
    """'% Complete' -> 'percent complete'; 'ActionName' -> 'action name'; 'Descrição' -> 'descricao'."""
    raw = str(text or "").strip()
    # camelCase and PascalCase headers of database exports ("ActionName", "dueDate") are words too.
    raw = _CAMEL.sub(" ", raw)
    # Accents are dropped so "Responsável" reads as "responsavel" (Portuguese, Spanish, French plans).
    raw = "".join(c for c in unicodedata.normalize("NFKD", raw) if not unicodedata.combining(c))
    s = raw.lower().replace("%", " percent ").replace("&", " and ").replace("#", " number ")
    s = re.sub(r"[^0-9a-z]+", " ", s)
    return re.sub(r"\s+", " ", s).strip()


_LOOKUP: dict[str, str] = {norm_header(w): f for f, words in SYNONYMS.items() for w in words}
# Words naming a level of the hierarchy: a header made only of them ("Goal/Objective/Task")
# is one column holding every level, so it is the title column (the levels come from its codes).
LEVEL_HEADER_WORDS = frozenset({
    "goal", "goals", "objective", "objectives", "strategy", "strategies", "initiative", "initiatives", "task",
    "tasks", "action", "actions", "project", "projects", "pillar", "pillars", "work package", "sub action",
    "indicative action", "committee", "activity", "activities", "program", "measure", "measures", "item",
    "focus area", "theme", "priority", "step", "idea", "sub task", "outcome", "output", "target",
})


def field_for(header: object) -> str | None:
    """Return the field a header names, or None.

    Besides the synonyms: a header listing several level words ("Goal/Objective/Task") is the
    title; a header ending in "deadline" ("Implementation Deadline") is the due date, one ending
    in "start date" or "launch date" the start.
    """
    key = norm_header(header)
    hit = _LOOKUP.get(key)
    if hit:
        return hit
    parts = [norm_header(p) for p in re.split(r"\s*(?:/|\||,|\band\b|&|>)\s*", str(header or "")) if p.strip()]
    if len(parts) >= 2 and all(p in LEVEL_HEADER_WORDS for p in parts):
        return "title"
    if key.endswith(" deadline") or key.endswith(" due date"):
        return "due"
    if key.endswith(" start date") or key.endswith(" launch date"):
        return "start"
    return None


def detect_mapping(headers: list[object]) -> dict[int, str]:
    """Column index -> field for the recognised headers (first column wins a field)."""
    out: dict[int, str] = {}
    used: set[str] = set()
    for i, h in enumerate(headers):
        f = field_for(h)
        if f and f not in used:
            out[i] = f
            used.add(f)
    return resolve_mapping(out)


def resolve_mapping(mapping: dict[int, str]) -> dict[int, str]:
    """Make hierarchy columns consistent.

    Without a title column, the deepest hierarchy column (or else the description) is the title.
    """
    fields = set(mapping.values())
    out = dict(mapping)
    if "title" not in fields:
        for h in ("h3", "h2", "h1"):
            if h in fields:
                col = next(c for c, f in out.items() if f == h)
                out[col] = "title"
                # The deepest level's code column is then the rows' own code.
                if f"{h}_code" in fields and "code" not in fields:
                    ccol = next(c for c, f in out.items() if f == f"{h}_code")
                    out[ccol] = "code"
                break
        else:
            if "description" in fields:
                col = next(c for c, f in out.items() if f == "description")
                out[col] = "title"
    return out


def apply_mapping_file(headers: list[object], detected: dict[int, str], override: dict[str, str]) -> dict[int, str]:
    """Apply a user's {header: field} mapping on top of the detected one.

    Raises:
        ValueError: a field name is unknown (lists the accepted ones).

    """
    out = dict(detected)
    by_norm = {norm_header(k): v for k, v in override.items()}
    for i, h in enumerate(headers):
        key = norm_header(h)
        if key in by_norm:
            field = (by_norm[key] or "ignore").strip()
            if field not in FIELDS:
                raise ValueError(f"mapping: unknown field {field!r} for column {h!r}; accepted: {', '.join(FIELDS)}")
            # A field maps to one column: the user's choice replaces a detected one.
            for c, f in list(out.items()):
                if f == field and c != i:
                    del out[c]
            if field == "ignore":
                out.pop(i, None)
            else:
                out[i] = field
    return resolve_mapping(out)


def load_mapping_file(path: str | Path) -> dict[str, str]:
    """Read a mapping JSON file: {"column header": "field", ...}.

    Raises:
        ValueError: not a JSON object of strings.

    """
    try:
        raw = Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ValueError(f"mapping file {path}: {exc}") from None
    return mapping_from_json(raw, f"mapping file {path}")


def mapping_from_json(raw: str | bytes, name: str = "mapping file") -> dict[str, str]:
    """Read a mapping's JSON text (a saved file uploaded on the page, or read by the CLI).

    Raises:
        ValueError: not a JSON object of strings, or an unknown field; the message starts with ``name``.

    """
    try:
        data = json.loads(raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{name}: {exc}") from None
    if not isinstance(data, dict) or not all(isinstance(k, str) and (v is None or isinstance(v, str))
                                             for k, v in data.items()):
        raise ValueError(f'{name}: expected a JSON object like {{"Column header": "due"}}')
    check_mapping(data)
    return data


STATUS_PREFIX = "status:"


def status_words(mapping: Mapping[str, str | None] | None) -> dict[str, str]:
    """Return the user's own status words from a mapping ({"status:Purple": "on_track"}) -> {word: key}.

    Raises:
        ValueError: the target is not a status.

    """
    from wehoplan.domain import parse_status

    out: dict[str, str] = {}
    for k, v in (mapping or {}).items():
        if k.strip().lower().startswith(STATUS_PREFIX):
            word = k.strip()[len(STATUS_PREFIX):].strip().lower()
            try:
                out[re.sub(r"[\s_\-]+", " ", word)] = parse_status(v or "")
            except ValueError as exc:
                raise ValueError(f"mapping {k!r}: {exc}") from None
    return out


def check_mapping(mapping: Mapping[str, str | None]) -> None:
    """Raise ValueError naming the first unknown field (or status) of a {header: field} mapping."""
    status_words(mapping)
    for header, f in mapping.items():
        if header.strip().lower().startswith(STATUS_PREFIX):
            continue
        if (f or "ignore").strip() not in FIELDS:
            raise ValueError(f"mapping: unknown field {f!r} for column {header!r}; accepted: {', '.join(FIELDS)}")


def mapping_to_json(headers: list[object], mapping: dict[int, str]) -> str:
    """Return the mapping as a JSON file the user can save and pass with --mapping."""
    return json.dumps({str(headers[c]): f for c, f in sorted(mapping.items())}, indent=1)
