"""Import legacy work-plan spreadsheets (xlsx/xlsm/csv/txt) into a plan, safely and undoably.

Library API (the CLI and the Import page are thin wrappers):

- :func:`analyse` reads and validates files without touching the database (the page's preview).
- :func:`import_files` validates and loads them in one transaction -> :class:`ImportReport`.
- :func:`undo_import` removes exactly what a batch added and restores what it changed.
- :func:`list_batches` is the import history.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from wehoplan.access import Principal, as_principal, at_least, require
from wehoplan.config import Config, load_config
from wehoplan.domain import STATUS_LABELS, date_range_error, is_blank, level_name, match_names, one_line
from wehoplan.importing.cells import refine
from wehoplan.importing.explain import column_frame, column_rows, header_lines
from wehoplan.importing.load import LockedPeriods, UndoRefused, leaf_state, load, sha256_of
from wehoplan.importing.mapping import (
    FIELD_HELP,
    FIELDS,
    check_mapping,
    load_mapping_file,
    mapping_from_json,
    mapping_to_json,
    status_words,
)
from wehoplan.importing.parse import Node, Parsed, Problem, parse_tables
from wehoplan.importing.reading import FileRejected, Workbook, column_letter, read_source
from wehoplan.importing.remember import recall as recall_mapping
from wehoplan.importing.remember import remember, saved_mappings
from wehoplan.importing.sheets import SheetChoice, choose_tables, unread_table
from wehoplan.importing.table import Table
from wehoplan.importing.undo import undo_import as _undo
from wehoplan.importing.writers import CoreWriter, RowWriter, SQLiteDriverWriter
from wehoplan.models import ImportBatch, Plan
from wehoplan.repository import Query, read_frame

Source = str | Path | tuple[str, bytes]
# Fields the preview shows when mapped, and their column names there.
PREVIEW_FIELDS = {"description": "description", "owner": "owner", "sponsor": "sponsor",
                  "department": "lead department", "partners": "partner departments", "smart": "SMART",
                  "start": "start", "due": "due", "weight": "weight", "owner_email": "owner email",
                  "comment": "comment", "update_date": "update date"}

__all__ = [
    "FIELDS",
    "FIELD_HELP",
    "Analysis",
    "CoreWriter",
    "FileRejected",
    "ImportReport",
    "Problem",
    "RowWriter",
    "SQLiteDriverWriter",
    "SheetChoice",
    "UndoRefused",
    "analyse",
    "import_files",
    "list_batches",
    "load_mapping_file",
    "mapping_from_frame",
    "mapping_from_json",
    "mapping_to_json",
    "recall_mapping",
    "saved_mappings",
    "undo_import",
]


@dataclass
class Analysis:
    """What the files hold, before anything is written: tables, tree, problems."""

    file_names: list[str]
    sha256: str
    tables: list[Table]
    parsed: Parsed | None
    errors: list[Problem]
    warnings: list[Problem]
    sheets: list[SheetChoice] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # how cells were read (the report)
    sheet_names: list[tuple[str, str]] = field(default_factory=list)  # (file, sheet) of every sheet

    @property
    def ok(self) -> bool:
        """True when the files can be imported."""
        return not self.errors

    def preview(self, as_of: dt.date | None = None) -> pd.DataFrame:
        """Return the tree as a frame (outline order) with each row's problems, for the page."""
        if self.parsed is None:
            return pd.DataFrame(columns=["code", "level", "title", "status", "progress", "sheet", "row", "problem"])
        where: dict[tuple[str, int | None], list[str]] = {}
        for p in self.errors:
            where.setdefault((p.sheet, p.row), []).append(f"{p.column or ''} {p.message}".strip())
        recs = []
        names = self.parsed.level_names
        # Every mapped field, as it will be read (dates parsed, departments split, owners named).
        mapped = {f for t in self.tables for f in t.mapping.values()}
        extra = [k for k in PREVIEW_FIELDS if k in mapped or (k == "partners" and "department" in mapped)
                 or (k == "smart" and any(f.startswith("smart") for f in mapped))]
        for n in self.parsed.nodes:
            # A row whose status or progress cell was rejected shows blanks, not a made-up state.
            st = leaf_state(n, as_of or dt.date.today()) if not n.children and not n.state.get("bad") else None
            rec: dict[str, Any] = {
                "code": n.code, "level": level_name(n.depth, names),
                "title": ("    " * (n.depth - 1)) + (n.title or ""),
                "status": STATUS_LABELS[st["status"]] if st else None, "progress": st["progress"] if st else None,
            }
            for k in extra:
                v = n.state.get("as_of" if k == "update_date" else k) if k in ("comment", "update_date") \
                    else n.fields.get(k)
                rec[PREVIEW_FIELDS[k]] = "; ".join(v) if isinstance(v, list) else v
            rec.update({"sheet": n.sheet, "row": n.row, "problem": "; ".join(where.get((n.sheet, n.row), []))})
            recs.append(rec)
        return pd.DataFrame(recs)

    def explanation(self) -> list[str]:
        """What the import did, in order: sheets used and why, header rows, how cells were read, columns."""
        out = [c.line() for c in self.sheets]
        out += header_lines(self.tables)
        out += self.notes
        for r in column_rows(self.tables, self.parsed):
            out.append(f"{r['file']}, sheet {r['sheet']!r}, column {r['column']} ({r['header']}): "
                       f"{r['read as']}: {r['why']}")
        return out

    def column_frame(self) -> pd.DataFrame:
        """How each column of the chosen tables is read, or why it is ignored (for the page)."""
        return column_frame(self.tables, self.parsed)

    def sheet_frame(self) -> pd.DataFrame:
        """Every sheet: used or not, why, its header row and rows (for the page)."""
        return pd.DataFrame([{"file": c.file, "sheet": c.sheet, "used": "yes" if c.used else "no",
                              "why": c.reason, "header row": str(c.header_row or ""), "rows": c.rows}
                             for c in self.sheets], columns=["file", "sheet", "used", "why", "header row", "rows"])

    def layout(self) -> str:
        """The header layout of the chosen tables: what a remembered mapping is keyed by."""
        from wehoplan.importing.remember import layout_key

        return layout_key(self.tables)

    def mapping_frame(self) -> pd.DataFrame:
        """One row per column of the chosen tables (file, sheet, column, header, field), for editing."""
        recs = [{"file": t.file_name, "sheet": t.sheet.name, "column": column_letter(c), "header": str(h),
                 "field": t.mapping.get(c, "ignore")}
                for t in self.tables for c, h in enumerate(t.headers) if h is not None and str(h).strip()]
        return pd.DataFrame(recs, columns=["file", "sheet", "column", "header", "field"])

    def problem_frame(self) -> pd.DataFrame:
        """Errors then warnings as a frame (kind, file, sheet, row, column, value, message)."""
        recs = [{"kind": k, **p.to_dict()} for k, ps in (("error", self.errors), ("warning", self.warnings))
                for p in ps]
        return pd.DataFrame(recs, columns=["kind", "file", "sheet", "row", "column", "value", "message"])

    def mappings(self) -> list[dict]:
        """Per table: file, sheet, header row (as numbered), and {header: field} for the page."""
        return [{"file": t.file_name, "sheet": t.sheet.name, "header_row": t.header_row + 1,
                 "columns": {f"{column_letter(c)}: {h}": t.mapping.get(c, "ignore")
                             for c, h in enumerate(t.headers) if h is not None},
                 "mapping": {str(t.headers[c]): f for c, f in sorted(t.mapping.items())}}
                for t in self.tables]


@dataclass
class ImportReport:
    """The outcome of an import (the --report JSON)."""

    ok: bool
    plan: str
    items_created: int = 0
    items_updated: int = 0
    updates_added: int = 0
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    batch_id: int | None = None
    dry_run: bool = False
    missing_codes: list[str] = field(default_factory=list)
    explanation: list[str] = field(default_factory=list)  # sheets, header rows, columns: how it was read
    sheets: list[dict] = field(default_factory=list)
    columns: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        """{"ok", "plan", "items_created", "items_updated", "updates_added", "errors", "warnings", ...}."""
        return {"ok": self.ok, "plan": self.plan, "items_created": self.items_created,
                "items_updated": self.items_updated, "updates_added": self.updates_added,
                "errors": [p.to_dict() for p in self.errors], "warnings": [p.to_dict() for p in self.warnings],
                "batch_id": self.batch_id, "dry_run": self.dry_run, "missing_codes": self.missing_codes,
                "explanation": self.explanation, "sheets": self.sheets, "columns": self.columns}

    def lines(self, page: bool = False) -> list[str]:
        """Readable lines: how the file was read, every error, every warning, then the summary.

        Args:
            page: words for the Import page (undo below) instead of the command to type.

        """
        out = [f"read: {x}" for x in self.explanation]
        out += [f"error: {p.line()}" for p in self.errors]
        out += [f"warning: {p.line() if p.file else p.message}" for p in self.warnings]
        if self.ok:
            verb = "would import" if self.dry_run else "imported"
            undo = ("it can be undone in the import history below" if page
                    else f"undo with `python -m wehoplan undo-import {self.batch_id}`")
            out.append(f"{verb} into {self.plan!r}: {self.items_created} items created, {self.items_updated} "
                       f"updated, {self.updates_added} updates added"
                       + (f" (batch {self.batch_id}; {undo})" if self.batch_id else ""))
        else:
            out.append(f"rejected: {len(self.errors)} problem(s); nothing was written")
        return out


def mapping_from_frame(frame: pd.DataFrame) -> dict[str, str]:
    """{header: field} from an edited :meth:`Analysis.mapping_frame` (what --mapping files hold)."""
    return {str(h): str(f or "ignore") for h, f in zip(frame["header"], frame["field"], strict=True)}


def _as_of_day(as_of: object) -> dt.date:
    """The import's as-of date (today when None); ISO text of any year is read, to be range-checked."""
    if as_of is None:
        return dt.date.today()
    if isinstance(as_of, dt.datetime):
        return as_of.date()
    if isinstance(as_of, dt.date):
        return as_of
    try:
        return dt.date.fromisoformat(str(as_of).strip())
    except ValueError:
        return pd.Timestamp(as_of).date()


def _name(src: Source) -> str:
    # The name as every message shows it (read_source cleans it the same way).
    return one_line(src[0] if isinstance(src, tuple) else Path(src).name) or ("upload" if isinstance(src, tuple)
                                                                                else "file")


def analyse(
    sources: list[Source],
    *,
    sheet: str | None = None,
    mapping: dict[str, str] | None = None,
    config: Config | None = None,
    header_row: int | None = None,
) -> Analysis:
    """Read, find tables, map columns and validate, without touching any database.

    Args:
        sources: paths, or (file name, bytes) pairs.
        sheet: only this sheet.
        mapping: {column header: field} overriding detection.
        config: settings; default from the environment.
        header_row: the header's row as the spreadsheet numbers it (1 = first); default: found.

    Raises:
        ValueError: ``mapping`` names an unknown field.

    """
    cfg = config or load_config()
    if mapping:
        check_mapping(mapping)
    errors: list[Problem] = []
    warnings: list[Problem] = []
    workbooks: list[Workbook] = []
    for src in sources:
        try:
            workbooks.append(read_source(src))
        except FileRejected as exc:
            errors.append(Problem(_name(src), "", None, None, None, str(exc).removeprefix(f"{_name(src)}: ")))
    names = [_name(s) for s in sources]
    digest = sha256_of([wb.data for wb in workbooks]) if workbooks else ""
    if errors:
        return Analysis(names, digest, [], None, errors, warnings)
    all_sheets = [(wb.file_name, sh.name) for wb in workbooks for sh in wb.sheets]
    try:
        choice = choose_tables(workbooks, sheet, mapping, header_row)
    except ValueError as exc:
        errors.append(Problem(", ".join(names), sheet or "", None, None, None, str(exc)))
        # The columns of the most header-like row, none mapped: the page lets the user name them.
        raw = unread_table(workbooks, sheet, header_row) if not str(exc).startswith("no sheet named") else None
        return Analysis(names, digest, [raw] if raw else [], None, errors, warnings, sheet_names=all_sheets)
    tables = choice.tables
    for note in choice.notes:
        file = next((n for n in names if note.startswith(f"{n}: ")), "")
        warnings.append(Problem(file, "", None, None, None, note.removeprefix(f"{file}: ") if file else note))
    cell_notes: list[str] = []
    for t in tables:
        cell_notes += [f"sheet {t.sheet.name!r}: {n}" for n in refine(t, t.explicit)]
        unmapped = [str(h) for c, h in enumerate(t.headers) if not is_blank(h) and c not in t.mapping]
        if unmapped:
            warnings.append(Problem(t.file_name, t.sheet.name, t.header_row + 1, None, None,
                                    "columns not imported (their headings are not ones the import knows, or "
                                    "another column gives the same field): " + ", ".join(unmapped)))
    latest = None if cfg.allow_future_updates else dt.date.today()
    parsed = parse_tables(tables, cfg.fiscal_year_start_month, latest, status_words(mapping))
    errors += parsed.errors
    warnings += parsed.warnings
    if not parsed.size and not errors:
        errors.append(Problem(", ".join(names), "", None, None, None, "the table has a header but no rows"))
    return Analysis(names, digest, tables, parsed, errors, warnings, choice.sheets, cell_notes + parsed.notes,
                    all_sheets)


def import_files(
    engine: Engine,
    sources: list[Source] | Source,
    *,
    plan_name: str | None = None,
    as_of: dt.date | pd.Timestamp | None = None,
    sheet: str | None = None,
    mapping: dict[str, str] | None = None,
    dry_run: bool = False,
    author: str | Principal | None = None,
    header_row: int | None = None,
    config: Config | None = None,
    progress=None,
    writer: RowWriter | None = None,
) -> ImportReport:
    """Import one or more files as one plan in one transaction.

    Args:
        engine: the plan database (schema must exist).
        sources: paths, or (file name, bytes) pairs (uploads).
        plan_name: the plan to create or update (exact name); default the first file's stem.
        as_of: date of the leaves' updates when the file has no update-date column (default today).
        sheet: only this sheet.
        mapping: {column header: field} overriding detection; remembered for this plan and header
            layout when the import succeeds (:func:`recall_mapping`).
        dry_run: validate and count, write nothing.
        header_row: the header's row as the spreadsheet numbers it (default: found).
        author: who imports: the acting principal (an editor of the plan; a new plan needs a role
            for every plan), or a trusted local caller's name (audit trail, batch).
        config: settings (fiscal year start); default from the environment.
        progress: optional callback taking a fraction 0..1 (the page's progress bar).
        writer: how the rows are inserted (default: the fastest the engine allows; the rows
            stored are the same).

    Returns:
        The report; ``ok`` is False when anything was rejected, and then nothing was written.

    Raises:
        AccessDenied: the principal may not import into this plan (nothing is read or written).

    """
    srcs = sources if isinstance(sources, list) else [sources]
    cfg = config or load_config()
    day = _as_of_day(as_of)
    plan = one_line(plan_name or (Path(_name(srcs[0])).stem if srcs else "")) or "Imported plan"
    actor = as_principal(author)
    with Session(engine) as s:
        plan_id = s.scalar(select(Plan.id).where(Plan.name == plan))
        require(actor, "import", plan_id)
    if progress:
        progress(0.05)
    an = analyse(srcs, sheet=sheet, mapping=mapping, config=cfg, header_row=header_row)
    if progress:
        progress(0.5)
    report = ImportReport(ok=False, plan=plan, errors=list(an.errors), warnings=list(an.warnings), dry_run=dry_run,
                          explanation=an.explanation(), columns=an.column_frame().to_dict("records"),
                          sheets=an.sheet_frame().to_dict("records"))
    out_of_range = date_range_error(day)
    if out_of_range:
        report.errors.append(Problem("", "", None, None, day.isoformat(), f"the as-of date {out_of_range}"))
    elif day > dt.date.today() and not cfg.allow_future_updates:
        report.errors.append(Problem("", "", None, None, day.isoformat(),
                                     "the as-of date is in the future; set WEHOPLAN_ALLOW_FUTURE_UPDATES=true "
                                     "to allow planned updates"))
    if report.errors or an.parsed is None:
        return report
    try:
        # A flat plan's nodes are made only if the load needs them (not for a new plan).
        res = load(engine, an.parsed.built_nodes, flat=an.parsed.flat, plan_name=plan,
                   level_names=an.parsed.level_names,
                   level_names_from_file=an.parsed.level_names_from_file, as_of=day, as_of_given=as_of is not None,
                   file_name=", ".join(an.file_names)[:1000], sha256=an.sha256, author=actor.label, dry_run=dry_run,
                   progress_cb=progress, writer=writer,
                   into_locked_periods=at_least(actor.role(plan_id), "admin"))
    except LockedPeriods as exc:
        report.errors.extend(exc.problems)
        return report
    except SQLAlchemyError as exc:
        # The checks above should catch everything; if the database still refuses, nothing was written.
        report.errors.append(Problem(", ".join(an.file_names), "", None, None, None,
                                     f"the database refused the import ({type(exc).__name__}: "
                                     f"{str(exc).splitlines()[0]}); nothing was written"))
        return report
    # The tree's parent/child links are reference cycles: unlinked here, the nodes are freed
    # at once instead of waiting for the garbage collector (bench/README.md has the numbers).
    for n in an.parsed.built_nodes or ():
        n.parent = None
        n.children = ()
    report.ok = True
    if mapping and not dry_run:
        remember(engine, plan, an.tables, mapping, actor.label)
    report.items_created = res.items_created
    report.items_updated = res.items_updated
    report.updates_added = res.updates_added
    report.batch_id = res.batch_id
    report.missing_codes = list(res.missing)
    if res.missing:
        shown = ", ".join(res.missing[:20]) + (" …" if len(res.missing) > 20 else "")
        report.warnings.append(Problem("", "", None, None, None,
                                       f"{len(res.missing)} item(s) of the plan are not in the file and were "
                                       f"kept: {shown}"))
    if res.plan_created and not dry_run:
        similar = match_names(plan, [p for p in list_plans_names(engine) if p != plan])
        if similar:
            report.warnings.append(Problem("", "", None, None, None,
                                           f"created a new plan {plan!r}; --plan takes the exact name of an "
                                           f"existing plan to update it (similar: {'; '.join(similar)})"))
    if not dry_run and res.batch_id is None:
        report.warnings.append(Problem("", "", None, None, None,
                                       "nothing new: the plan already holds everything in this file"))
    if progress:
        progress(1.0)
    return report


def list_plans_names(engine: Engine) -> list[str]:
    """Names of every plan."""
    with engine.connect() as conn:
        return [r[0] for r in conn.execute(text("SELECT name FROM plans ORDER BY name"))]


def undo_import(engine: Engine, batch_id: int, author: str | Principal | None = None) -> dict[str, Any]:
    """Undo an import batch (see :func:`wehoplan.importing.load.undo_import`); admins of its plan only.

    Raises:
        AccessDenied: the principal is not an admin of the batch's plan (nothing is undone).
        UndoRefused: see :func:`wehoplan.importing.load.undo_import`.

    """
    actor = as_principal(author)
    with Session(engine) as s:
        batch = s.get(ImportBatch, batch_id)
        if batch is not None:  # an unknown batch is refused by the undo itself
            require(actor, "undo_import", batch.plan_id)
    return _undo(engine, batch_id, actor.label)


def list_batches(engine: Engine) -> pd.DataFrame:
    """Import history, newest first: id, plan, file_name, sha256, author, created_at, counts, undone_at."""
    sql = """SELECT b.id, p.name AS plan, b.file_name, b.sha256, b.author, b.created_at, b.items_created,
                    b.items_updated, b.updates_added, b.undone_at
             FROM import_batches b LEFT JOIN plans p ON p.id = b.plan_id ORDER BY b.id DESC"""
    return read_frame(engine, Query(sql, ("id", "plan", "file_name", "sha256", "author", "created_at",
                                          "items_created", "items_updated", "updates_added", "undone_at")))


__all__ += ["Node", "Source", "Table"]
