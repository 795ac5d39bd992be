"""Which sheets hold the plan, and why the others were left out.

The plan is the largest work-plan table among the visible sheets. Other sheets of the same
kind join it (one sheet per strategy) unless they repeat its rows (a filtered or older
copy), are lookup lists (committees, departments), are scratch sheets (by name, or rows
without titles), or hold another kind of table (a roll-up summary). Every sheet gets one
:class:`SheetChoice` saying what was done with it and why: the import report shows them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from wehoplan.domain import is_blank
from wehoplan.importing.cells import unlist_sheet
from wehoplan.importing.headers import HEADER_SCAN_ROWS, find_header, sub_header
from wehoplan.importing.mapping import norm_header
from wehoplan.importing.reading import Sheet, Workbook
from wehoplan.importing.table import Table
from wehoplan.importing.values import text

_GROUP_FIELDS = frozenset({"h1", "h1_code", "h2", "h2_code", "h3", "h3_code"})
_STATE_FIELDS = frozenset({"status", "progress", "start", "due", "update_date", "comment"})
_NAME_COLUMNS = ("title", "h3", "h2", "h1")
_SCRATCH = re.compile(r"scratch|\btemp\b|\btmp\b|\btest|draft|\bcopy\b|backup|\bold\b|archive|sandbox|pivot|"
                      r"filter|working|\bcalc|lookup|\blists?\b|dropdown|validation|\bsettings\b|\bconfig",
                      re.I)


@dataclass
class SheetChoice:
    """What the import did with one sheet: used or not, and why (for the report and the page)."""

    file: str
    sheet: str
    used: bool
    reason: str
    header_row: int | None = None  # as the spreadsheet numbers it
    rows: int = 0  # data rows with a title

    def line(self) -> str:
        """One line of the report."""
        verb = "used" if self.used else "not used"
        return f"{self.file}, sheet {self.sheet!r}: {verb}: {self.reason}"


@dataclass
class Choice:
    """The tables chosen, the notes to report as warnings, and the reason for every sheet."""

    tables: list[Table]
    notes: list[str] = field(default_factory=list)
    sheets: list[SheetChoice] = field(default_factory=list)


def _titles(t: Table) -> list[str]:
    cols = [c for c, f in t.mapping.items() if f in _NAME_COLUMNS]
    if len(cols) == 1:
        # One name column (most tables): its cells' text in one pass, the common case inline.
        c = cols[0]
        return [v.casefold() for v in t.sheet.column_texts(c, t.header_row + 1) if v]
    out = []
    for r in t.data_rows:
        row = t.sheet.rows[r]
        for c in cols:
            v = text(row[c]) if c < len(row) else None
            if v:
                out.append(v.casefold())
                break
    return out


def _filled_rows(t: Table) -> int:
    cols = list(t.mapping)
    return sum(1 for r in t.data_rows
               if any(c < len(t.sheet.rows[r]) and not is_blank(t.sheet.rows[r][c]) for c in cols))


def _column_values(t: Table) -> dict[int, set[str]]:
    out: dict[int, set[str]] = {}
    for r in t.data_rows:
        for c, v in enumerate(t.sheet.rows[r]):
            s = text(v)
            if s:
                out.setdefault(c, set()).add(s.casefold())
    return out


def _build(wb: Workbook, sh, override: dict[str, str] | None, header_row: int | None) -> Table | None:
    found = find_header(sh, override, header_row)
    if found is None:
        return None
    r, mapping = found.row, dict(found.mapping)
    headers = list(sh.rows[r])
    sub = sub_header(sh, r, mapping) if header_row is None else None
    if sub:
        # Two header rows: the lower one names the columns under a merged group header.
        r += 1
        for c, f in sub.items():
            if mapping.get(c) in (None, "smart") and f not in mapping.values():
                mapping[c] = f
            while len(headers) <= c:
                headers.append(None)
            if is_blank(headers[c]) or mapping.get(c) == f:
                headers[c] = sh.rows[r][c]
    sheet, _ = unlist_sheet(sh, r + 1)
    explicit = set()
    if override:
        keys = {norm_header(k) for k in override}
        explicit = {c for c, h in enumerate(headers) if norm_header(h) in keys}
    return Table(wb.file_name, sheet, r, headers, mapping, wb, header_reason=found.reason, explicit=explicit)


def _same_kind(sig: frozenset[str], best: frozenset[str]) -> bool:
    # Same kind = the same way of writing the hierarchy (separate strategy / initiative columns
    # or not: an extract's Roll-up sheet has codes only, its Actions sheet group columns) and
    # mostly the same fields (a sheet or file without the status columns still counts).
    return sig & _GROUP_FIELDS == best & _GROUP_FIELDS and len(sig & best) * 2 > len(sig | best)


def choose_tables(
    workbooks: list[Workbook],
    sheet_name: str | None = None,
    mapping_override: dict[str, str] | None = None,
    header_row: int | None = None,
) -> Choice:
    """Pick the tables to import and say why each sheet was used or not.

    Args:
        workbooks: the files read.
        sheet_name: only this sheet (hidden ones included when named).
        mapping_override: the user's {header: field} mapping.
        header_row: the header's row number as the spreadsheet shows it (1 = first), when the
            user picked it; else it is found.

    Raises:
        ValueError: ``sheet_name`` matches no sheet, or no table is found anywhere (the message
            names the fix).

    """
    out = Choice([])
    wanted = sheet_name.casefold().strip() if sheet_name else None
    seen_wanted = False
    cands: list[tuple[Table, int, list[str]]] = []
    for wb in workbooks:
        out.notes.extend(wb.notices)
        for sh in wb.sheets:
            if wanted is not None and (wb.kind != "csv" and sh.name.casefold().strip() != wanted):
                if wb.kind != "csv":
                    out.sheets.append(SheetChoice(wb.file_name, sh.name, False, "another sheet was chosen"))
                continue
            seen_wanted = True
            if not sh.visible and wanted is None:
                out.notes.append(f"{wb.file_name}: hidden sheet {sh.name!r} skipped")
                out.sheets.append(SheetChoice(wb.file_name, sh.name, False, "hidden sheet (pick it to import it)"))
                continue
            t = _build(wb, sh, mapping_override, None if header_row is None else header_row - 1)
            if t is None:
                if any(any(not is_blank(c) for c in row) for row in sh.rows):
                    out.notes.append(f"{wb.file_name}: sheet {sh.name!r} holds no work-plan table (skipped)")
                    why = (f"row {header_row} names no known column" if header_row is not None else
                           "no row names a title (or code) column and another known column")
                else:
                    why = "empty"
                out.sheets.append(SheetChoice(wb.file_name, sh.name, False, why))
                continue
            titles = _titles(t)
            cands.append((t, len(titles), titles))
    if wanted is not None and not seen_wanted:
        names = [s.name for wb in workbooks for s in wb.sheets]
        raise ValueError(f"no sheet named {sheet_name!r}; sheets: {', '.join(names)}")
    if not cands:
        hidden = [f"{wb.file_name}: {sh.name!r}" for wb in workbooks for sh in wb.sheets if not sh.visible]
        if hidden and wanted is None and all(not sh.visible for wb in workbooks for sh in wb.sheets
                                             if wb.kind != "csv"):
            raise ValueError(f"every sheet is hidden ({', '.join(hidden[:5])}); hidden sheets are not "
                             "imported unless named: unhide the sheet, or name it with --sheet (Sheet box "
                             "on the Import page)")
        raise ValueError(no_table_message(workbooks))
    most_fields = max(len(t.signature) for t, _, _ in cands)
    # The plan is the largest table among the rich ones: a 3-row scratch sheet with more columns
    # does not win over the tracker, nor a long update log with few columns over the plan.
    main, main_rows, main_titles = max(cands, key=lambda c: (len(c[0].signature) * 5 >= most_fields * 3, c[1],
                                                             len(c[0].signature)))
    chosen: list[Table] = [main]
    seen_titles = set(main_titles)
    values_memo: list[dict[int, set[str]]] = []

    def main_values() -> dict[int, set[str]]:
        # Every cell of the plan's sheet, as text: only needed when a sheet may be a lookup list.
        if not values_memo:
            values_memo.append(_column_values(main))
        return values_memo[0]

    for t, n, titles in cands:
        if t is main:
            why = ("the largest work-plan table" if len(cands) > 1 else "the work-plan table") + f" ({n} rows)"
            out.sheets.append(SheetChoice(t.file_name, t.sheet.name, True, why, t.header_row + 1, n))
            continue
        reason = _skip_reason(t, n, titles, main, main_rows, seen_titles, main_values, wanted is not None)
        if reason is None:
            chosen.append(t)
            seen_titles.update(titles)
            out.sheets.append(SheetChoice(t.file_name, t.sheet.name, True,
                                          f"the same kind of table as sheet {main.sheet.name!r} ({n} rows)",
                                          t.header_row + 1, n))
        else:
            if reason.startswith("holds a different kind"):
                out.notes.append(f"{t.file_name}: sheet {t.sheet.name!r} holds a different kind of table (skipped)")
            out.sheets.append(SheetChoice(t.file_name, t.sheet.name, False, reason, t.header_row + 1, n))
    src = [(wb.file_name, sh.name) for wb in workbooks for sh in wb.sheets]
    out.sheets.sort(key=lambda c: src.index((c.file, c.sheet)))
    out.tables = sorted(chosen, key=lambda t: src.index((t.file_name, t.sheet.name)))
    return out


def _skip_reason(t: Table, n: int, titles: list[str], main: Table, main_rows: int, seen: set[str],
                 main_values: Callable[[], dict[int, set[str]]], named: bool) -> str | None:
    """Why a sheet of the workbook does not join the plan, or None when it does."""
    if t.workbook is main.workbook and not t.signature & _STATE_FIELDS and main.signature & _STATE_FIELDS:
        # Names only, no dates, status or progress, named in a column of the plan: a lookup list.
        for c, values in main_values().items():
            # Names found in the plan's own title column are a copy of its rows, not a lookup.
            if main.mapping.get(c) in ("title", "code"):
                continue
            if titles and sum(x in values for x in titles) * 2 >= len(titles):
                return (f"a lookup list: its names appear in column {main.headers[c]!r} of sheet "
                        f"{main.sheet.name!r}")
    if not _same_kind(t.signature, main.signature):
        return f"holds a different kind of table than sheet {main.sheet.name!r} (such as a summary)"
    if titles and sum(x in seen for x in titles) * 2 >= len(titles):
        return f"repeats the rows of sheet {main.sheet.name!r} (a filtered or older copy)"
    if t.workbook is not main.workbook:
        return None  # another file given with it: one plan in several files
    if not named and _SCRATCH.search(t.sheet.name):
        return "its name says it is a scratch, copy or lookup sheet (pick it to import it)"
    if not t.signature & _STATE_FIELDS and main.signature & _STATE_FIELDS and n < main_rows:
        # Names only, no dates, status or progress: a list other sheets refer to.
        for c, values in main_values().items():
            if titles and sum(x in values for x in titles) * 2 >= len(titles):
                return (f"a lookup list: its names appear in column {main.headers[c]!r} of sheet "
                        f"{main.sheet.name!r}")
        return "a lookup list (names only, no dates, status or progress)"
    filled = _filled_rows(t)
    if filled and n * 2 < filled:
        return "most of its rows have no title (a scratch sheet)"
    return None


def _most_header_like(workbooks: list[Workbook], sheet_name: str | None) -> tuple[Workbook, Sheet, int] | None:
    best: tuple[int, Workbook, Sheet, int] | None = None
    for wb in workbooks:
        for sh in wb.sheets:
            if sheet_name and wb.kind != "csv" and sh.name.casefold().strip() != sheet_name.casefold().strip():
                continue
            for r, row in enumerate(sh.rows[:HEADER_SCAN_ROWS]):
                n = sum(not is_blank(c) for c in row)
                if n >= 2 and (best is None or n > best[0]):
                    best = (n, wb, sh, r)
    return None if best is None else (best[1], best[2], best[3])


def unread_table(workbooks: list[Workbook], sheet_name: str | None = None,
                 header_row: int | None = None) -> Table | None:
    """When no table is found: the most header-like row (or the picked one) with no column mapped yet.

    The Import page lists its columns so the user can say what each holds, which is the fix
    the refusal names.
    """
    found = _most_header_like(workbooks, sheet_name)
    if found is None:
        return None
    wb, sh, r = found
    if header_row is not None:
        r = header_row - 1
    if r >= len(sh.rows):
        return None
    return Table(wb.file_name, sh, r, list(sh.rows[r]), {}, wb,
                 header_reason=f"row {r + 1}: no column is recognised yet")


def no_table_message(workbooks: list[Workbook]) -> str:
    """The refusal when no sheet holds a table, naming the most header-like row and the fix."""
    msg = ("no work-plan table found: no sheet has a header row with a title (or code) column and another "
           "known column")
    best: tuple[int, str, int, list[str]] | None = None
    for wb in workbooks:
        for sh in wb.sheets:
            for r, row in enumerate(sh.rows[:HEADER_SCAN_ROWS]):
                cells = [str(c).strip() for c in row if not is_blank(c)]
                if len(cells) >= 2 and (best is None or len(cells) > best[0]):
                    best = (len(cells), sh.name, r + 1, cells)
    if best is None:
        return msg + "; the file holds no table"
    _, sheet, row_no, cells = best
    example = ", ".join(f'"{c}": "..."' for c in cells[:3])
    return (f"{msg}. The most header-like row is sheet {sheet!r} row {row_no}: {', '.join(cells[:12])}. "
            f"Say what its columns hold: on the Import page pick that sheet and header row and choose each "
            f"column's meaning; on the command line pass --sheet and a --mapping file ({{{example}}}, fields: "
            "code, title, owner, department, due, status, progress, ...)")
