"""Finding the table: which sheets, which header row, which data rows."""

from __future__ import annotations

from dataclasses import dataclass, field

from wehoplan.domain import is_blank
from wehoplan.importing.mapping import apply_mapping_file, detect_mapping
from wehoplan.importing.reading import Sheet, Workbook

HEADER_SCAN_ROWS = 40
_NAME_FIELDS = {"title", "code", "h1", "h2", "h3"}


@dataclass
class Table:
    """One sheet's table: its header row (0-based) and column mapping."""

    file_name: str
    sheet: Sheet
    header_row: int
    headers: list[object]
    mapping: dict[int, str]
    workbook: Workbook
    notes: list[str] = field(default_factory=list)

    @property
    def signature(self) -> frozenset[str]:
        """The kind of table: which fields it holds."""
        return frozenset(self.mapping.values())

    @property
    def data_rows(self) -> range:
        """Row indexes (0-based) below the header."""
        return range(self.header_row + 1, len(self.sheet.rows))


_GROUP_FIELDS = frozenset({"h1", "h1_code", "h2", "h2_code", "h3"})

def find_header(sheet: Sheet, override: dict[str, str] | None = None) -> tuple[int, dict[int, str]] | None:
    """Find the header: the top row naming the most known fields, including a title or code.

    None when the sheet holds no table (an About or instructions sheet).
    """
    best: tuple[int, int, dict[int, str]] | None = None
    for r, row in enumerate(sheet.rows[:HEADER_SCAN_ROWS]):
        filled = [c for c in row if not is_blank(c)]
        if len(filled) < 2:
            continue
        mapping = detect_mapping(list(row))
        if override:
            mapping = apply_mapping_file(list(row), mapping, override)
        fields = set(mapping.values())
        if len(mapping) < 2 or not fields & _NAME_FIELDS:
            continue
        # Headers are mostly recognised; a data row that happens to contain "Status" is not.
        if len(mapping) * 2 < len(filled) and len(mapping) < 3:
            continue
        if best is None or len(mapping) > best[1]:
            best = (r, len(mapping), mapping)
    return None if best is None else (best[0], best[2])


def sub_header(sheet: Sheet, r: int, mapping: dict[int, str]) -> dict[int, str] | None:
    """Fields named by a second header row under a merged group header ("SMART" over S M A R T).

    The row below the header is a sub-header when it has no title or code and every filled
    cell names a field; returns those fields by column, or None.
    """
    if r + 1 >= len(sheet.rows):
        return None
    row = sheet.rows[r + 1]
    filled = {c: v for c, v in enumerate(row) if not is_blank(v)}
    if len(filled) < 2 or any(mapping.get(c) in ("title", "code") for c in filled):
        return None
    sub = detect_mapping([row[c] if c in filled else None for c in range(len(row))])
    return sub if len(sub) == len(filled) else None


def _no_table_message(workbooks: list[Workbook]) -> str:
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
            f"Name its columns in a mapping file ({{{example}}}, fields: code, title, owner, department, due, "
            "status, progress, ...) and pass it with --mapping")


def find_tables(
    workbooks: list[Workbook],
    sheet_name: str | None = None,
    mapping_override: dict[str, str] | None = None,
) -> tuple[list[Table], list[str]]:
    """Pick the tables to import and say why the others were skipped.

    Visible sheets only (unless ``sheet_name`` names a hidden one); when several sheets hold
    tables, the kind (set of fields) with the most fields wins and all sheets of that kind
    are imported as one plan (one sheet per strategy); other kinds (a roll-up summary) are skipped.

    Raises:
        ValueError: ``sheet_name`` matches no sheet, or no table is found anywhere.

    """
    notes: list[str] = []
    candidates: list[Table] = []
    wanted = sheet_name.casefold().strip() if sheet_name else None
    seen_wanted = False
    for wb in workbooks:
        notes.extend(wb.notices)
        for sh in wb.sheets:
            if wanted is not None and (wb.kind != "csv" and sh.name.casefold().strip() != wanted):
                continue
            seen_wanted = True
            if not sh.visible and wanted is None:
                notes.append(f"{wb.file_name}: hidden sheet {sh.name!r} skipped")
                continue
            found = find_header(sh, mapping_override)
            if found is None:
                if any(any(not is_blank(c) for c in row) for row in sh.rows):
                    notes.append(f"{wb.file_name}: sheet {sh.name!r} holds no work-plan table (skipped)")
                continue
            r, mapping = found
            headers = list(sh.rows[r])
            sub = sub_header(sh, r, mapping)
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
            candidates.append(Table(wb.file_name, sh, r, headers, mapping, wb))
    if wanted is not None and not seen_wanted:
        names = [s.name for wb in workbooks for s in wb.sheets]
        raise ValueError(f"no sheet named {sheet_name!r}; sheets: {', '.join(names)}")
    if not candidates:
        hidden = [f"{wb.file_name}: {sh.name!r}" for wb in workbooks for sh in wb.sheets if not sh.visible]
        if hidden and wanted is None and all(not sh.visible for wb in workbooks for sh in wb.sheets
                                             if wb.kind != "csv"):
            raise ValueError(f"every sheet is hidden ({', '.join(hidden[:5])}); hidden sheets are not "
                             "imported unless named: unhide the sheet, or name it with --sheet (Sheet box "
                             "on the Import page)")
        raise ValueError(_no_table_message(workbooks))
    kinds: dict[frozenset[str], int] = {}
    for t in candidates:
        kinds[t.signature] = kinds.get(t.signature, 0) + len(t.data_rows)
    # The richest kind wins (an Actions sheet over a Roll-up summary of the same plan), then rows.
    best = max(kinds, key=lambda k: (len(k), kinds[k]))
    # Same kind = the same way of writing the hierarchy (separate strategy / initiative columns
    # or not: an extract's Roll-up sheet has codes only, its Actions sheet group columns) and
    # mostly the same fields (a sheet or file without the status columns still counts).
    def same_kind(sig: frozenset[str]) -> bool:
        return sig & _GROUP_FIELDS == best & _GROUP_FIELDS and len(sig & best) * 2 > len(sig | best)

    chosen = [t for t in candidates if same_kind(t.signature)]
    for t in candidates:
        if not same_kind(t.signature):
            notes.append(f"{t.file_name}: sheet {t.sheet.name!r} holds a different kind of table (skipped)")
    return chosen, notes
