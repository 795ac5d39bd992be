"""Rows of the chosen tables -> a validated list of plan items, with every problem located.

The hierarchy comes from outline codes, else from separate strategy / initiative / action
columns (blank cells filled down, as merged cells read), else from a level column plus row
order; a section row (only its first cell filled) starts a new top-level item.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from wehoplan.domain import DEFAULT_LEVEL_NAMES, STATUS_SYNONYMS, code_sort_key, parse_smart, parse_status
from wehoplan.importing.reading import column_letter, percent_cells
from wehoplan.importing.table import Table
from wehoplan.importing.values import (
    is_blank,
    parse_code,
    parse_date,
    parse_progress,
    parse_weight,
    parse_yes,
    split_section,
    split_title_code,
    text,
)

LEVEL_WORDS: dict[str, int] = {
    **{w: 1 for w in ("strategy", "goal", "focus area", "pillar", "theme", "priority", "topic area", "topic",
                      "priority area", "strategic goal", "section")},
    **{w: 2 for w in ("initiative", "objective", "program", "project", "sub goal", "subgoal")},
    **{w: 3 for w in ("action", "task", "activity", "action item", "step", "idea", "action step")},
}


@dataclass
class Problem:
    """One problem, located as the spreadsheet shows it (row 1 is the first row)."""

    file: str
    sheet: str
    row: int | None
    column: str | None
    value: object
    message: str

    def to_dict(self) -> dict:
        """Return the report JSON shape."""
        v = self.value
        if isinstance(v, (dt.date, dt.datetime)):
            v = v.isoformat()
        return {"file": self.file, "sheet": self.sheet, "row": self.row, "column": self.column,
                "value": v, "message": self.message}

    def line(self) -> str:
        """One readable line for stderr."""
        where = f"{self.file}"
        if self.sheet:
            where += f", sheet {self.sheet!r}"
        if self.row is not None:
            where += f", row {self.row}"
        if self.column:
            where += f", column {self.column}"
        val = "" if self.value is None else f": {self.value!r}"
        return f"{where}{val}: {self.message}"


@dataclass
class Node:
    """One plan item read from the file."""

    code: str | None
    title: str | None
    depth_hint: int | None = None
    parent: Node | None = None
    parent_code: str | None = None  # code mode: resolved after all rows are read
    level_label: str | None = None
    fields: dict[str, object] = field(default_factory=dict)
    state: dict[str, object] = field(default_factory=dict)
    file: str = ""
    sheet: str = ""
    row: int | None = None
    children: list[Node] = field(default_factory=list)
    section: bool = False
    numeric_code: bool = False  # Excel stored the code as a number (1.10 -> 1.1)

    @property
    def depth(self) -> int:
        """1 for top-level items."""
        d, p = 1, self.parent
        while p is not None:
            d, p = d + 1, p.parent
        return d


@dataclass
class Parsed:
    """The result of reading the tables: items in outline order, problems, notes."""

    nodes: list[Node]
    errors: list[Problem]
    warnings: list[Problem]
    level_names: tuple[str, ...] = DEFAULT_LEVEL_NAMES
    mode: str = ""
    level_names_from_file: bool = False


class _Ctx:
    def __init__(self, table: Table, errors: list[Problem], fy_start: int, latest: dt.date | None = None,
                 words: dict[str, str] | None = None):
        self.t = table
        self.words = words or {}
        self.latest = latest
        self.errors = errors
        self.fy_start = fy_start
        self.col = {f: c for c, f in table.mapping.items()}
        self.pct: set[tuple[int, int]] = set()
        self._status_memo: dict[object, str | ValueError] = {}
        # Which optional fields the table has, decided once instead of per row.
        self.text_fields = [n for n in ("description", "owner", "sponsor", "department") if n in self.col]
        self.smart_fields = [(letter, f"smart_{letter}") for letter in "SMART" if f"smart_{letter}" in self.col]
        self.date_fields = [n for n in ("start", "due") if n in self.col]
        pc = self.col.get("progress")
        if pc is not None and table.workbook.kind == "xlsx":
            rows = table.sheet.rows
            if any(isinstance(r[pc], (int, float)) for r in rows[table.header_row + 1:] if pc < len(r)):
                self.pct = percent_cells(table.workbook.data, table.sheet.name, [pc])

    def status(self, value: object) -> str:
        """:func:`_status` of a cell, remembered per distinct value (a sheet repeats a few words)."""
        try:
            hit = self._status_memo[value]
        except KeyError:
            try:
                hit = _status(value, self.words)
            except ValueError as exc:
                hit = exc
            self._status_memo[value] = hit
        except TypeError:  # an unhashable cell value: no memo
            return _status(value, self.words)
        if isinstance(hit, ValueError):
            raise hit
        return hit

    def get(self, r: int, f: str) -> object:
        c = self.col.get(f)
        if c is None:
            return None
        row = self.t.sheet.rows[r]
        return row[c] if c < len(row) else None

    def colname(self, f: str) -> str:
        c = self.col[f]
        return f"{column_letter(c)} ({text(self.t.headers[c]) or f})"

    def err(self, r: int, f: str | None, value: object, msg: str) -> None:
        self.errors.append(Problem(self.t.file_name, self.t.sheet.name, r + 1,
                                   self.colname(f) if f else None, value, msg))

    def parsed(self, r: int, f: str, fn, *args):
        v = self.get(r, f)
        try:
            return fn(v, *args)
        except ValueError as exc:
            self.err(r, f, text(v), str(exc))
            return None


def _split_names(value: object) -> list[str]:
    s = text(value)
    if not s:
        return []
    return [p.strip() for p in re.split(r"[;\n,/]+", s) if p.strip()]


_UNSET = object()


def _read_fields(ctx: _Ctx, r: int, node: Node) -> None:
    # The row and the column look-ups are fetched once per row (100k rows x ~15 fields).
    col = ctx.col
    row = ctx.t.sheet.rows[r]
    width = len(row)

    def cell(name: str) -> object:
        c = col.get(name)
        return row[c] if c is not None and c < width else None

    def parsed(name: str, fn, *args, value: object = _UNSET):
        v = cell(name) if value is _UNSET else value
        try:
            return fn(v, *args)
        except ValueError as exc:
            ctx.err(r, name, text(v), str(exc))
            return None

    f = node.fields
    for name in ctx.text_fields:
        v = text(cell(name))
        if v is not None:
            f[name] = v
    if "partners" in col:
        names = _split_names(cell("partners"))
        if names:
            f["partners"] = names
    if "smart" in col:
        sm = parsed("smart", lambda v: parse_smart(text(v)))
        if sm:
            f["smart"] = sm
    letters = ""
    for letter, key in ctx.smart_fields:
        if parsed(key, parse_yes):
            letters += letter
    if letters:
        f["smart"] = "".join(c for c in "SMART" if c in letters + str(f.get("smart", "")))
    for name in ctx.date_fields:
        d = parsed(name, parse_date, ctx.fy_start)
        if d is not None:
            f[name] = d
    if f.get("start") and f.get("due") and f["start"] > f["due"]:
        ctx.err(r, "due", f["due"].isoformat(), f"due date is before the start date {f['start'].isoformat()}")
    if "weight" in col:
        w = parsed("weight", parse_weight)
        if w is not None:
            f["weight"] = w
    st = node.state
    if "status" in col:
        v = cell("status")
        if not is_blank(v):
            st["status"] = parsed("status", ctx.status, value=v)
            if st["status"] is None:
                st["bad"] = True
    if "progress" in col:
        v = cell("progress")
        if not is_blank(v):
            st["progress"] = parsed("progress", parse_progress, (r, col["progress"]) in ctx.pct, value=v)
            if st["progress"] is None:
                st["bad"] = True
    if "comment" in col:
        c = text(cell("comment"))
        if c:
            st["comment"] = c
    if "update_date" in col:
        d = parsed("update_date", parse_date, ctx.fy_start)
        if d is not None and ctx.latest is not None and d > ctx.latest:
            ctx.err(r, "update_date", d.isoformat(), "update date is in the future; set "
                    "WEHOPLAN_ALLOW_FUTURE_UPDATES=true to allow planned updates")
        elif d is not None:
            st["as_of"] = d


def _status(value: object, words: dict[str, str]) -> str:
    word = text(value) or ""
    mine = words.get(re.sub(r"[\s_\-]+", " ", word.lower()))
    if mine:
        return mine
    try:
        return parse_status(word)
    except ValueError as exc:
        raise ValueError(f"{exc}; or map the word in a mapping file, e.g. "
                         f'{{"status:{word}": "on_track"}}') from None


def _is_section(ctx: _Ctx, row: list[object]) -> str | None:
    # Exactly one filled cell: stop at the second (most rows are filled).
    found: tuple[int, object] | None = None
    for i, c in enumerate(row):
        if not is_blank(c):
            if found is not None:
                return None
            found = (i, c)
    if found is None or len(ctx.t.mapping) < 2:
        return None
    i, c = found
    first_col = min(ctx.t.mapping)
    s = text(c) or ""
    if i > first_col or not re.search(r"[A-Za-z]", s):
        return None
    return s


def _level_depth(label: str) -> int | None:
    low = re.sub(r"[^a-z0-9 ]+", " ", label.lower()).strip()
    if low in LEVEL_WORDS:
        return LEVEL_WORDS[low]
    m = re.fullmatch(r"(?:level|tier|l)?\s*([1-9])", low)
    return int(m[1]) if m else None


def parse_tables(tables: list[Table], fiscal_year_start_month: int = 7,
                 latest_update: dt.date | None = None, words: dict[str, str] | None = None) -> Parsed:
    """Turn the tables into one item tree; collect every problem instead of stopping.

    Args:
        tables: the chosen tables (one plan).
        fiscal_year_start_month: first month of the fiscal year ("FY2020 Q3").
        latest_update: update dates after this are errors (None: no limit).
        words: the user's own status words (lower case) -> status key.

    """
    errors: list[Problem] = []
    warnings: list[Problem] = []
    nodes: list[Node] = []
    modes: set[str] = set()
    for t in tables:
        ctx = _Ctx(t, errors, fiscal_year_start_month, latest_update, words)
        modes.add(_parse_table(ctx, nodes, errors))
        _warn_fractions(ctx, warnings)
    _link_codes(nodes, errors)
    _assign_codes(nodes)
    _check(nodes, errors, warnings)
    # Level names: labels of a level column by depth, else the defaults.
    labels: dict[int, str] = {}
    for n in nodes:
        if n.level_label and n.depth not in labels:
            labels[n.depth] = n.level_label
    # Depth of the deepest chain: only leaves can be deepest, so parents need no walk.
    max_depth = max((n.depth for n in nodes if not n.children), default=0)
    names = tuple(labels.get(d) or (DEFAULT_LEVEL_NAMES[d - 1] if d <= len(DEFAULT_LEVEL_NAMES) else f"Level {d}")
                  for d in range(1, max(max_depth, len(DEFAULT_LEVEL_NAMES)) + 1))
    ordered = sorted(nodes, key=_outline_key_fn())
    return Parsed(ordered, errors, warnings, names, "+".join(sorted(modes)), bool(labels))


def _parse_table(ctx: _Ctx, nodes: list[Node], errors: list[Problem]) -> str:
    t = ctx.t
    fields = set(t.mapping.values())
    group_cols = [h for h in ("h1", "h2") if h in fields]
    # Only whether any row has a code matters: stop at the first.
    code_rows = "code" in fields and any(parse_code(ctx.get(r, "code")) for r in t.data_rows)
    # No code column, but most titles start with one ("Objective 1.2 Open data", "1.2.3. Speed
    # study"): the codes are in the title cells.
    codes_in_titles = False
    if "code" not in fields and not group_cols:
        titled = [text(ctx.get(r, "title")) for r in t.data_rows]
        titled = [x for x in titled if x]
        codes_in_titles = (bool(titled)
                           and sum(split_title_code(x)[0] is not None for x in titled) * 2 >= len(titled))
    if ("code" in fields and code_rows and not group_cols) or codes_in_titles:
        mode = "codes"
    elif group_cols:
        mode = "columns"
    elif "level" in fields:
        mode = "level"
    else:
        mode = "rows"
    section: Node | None = None
    last: Node | None = None
    stack: list[Node] = []
    groups: dict[tuple, Node] = {}
    fill: dict[str, object] = {}
    for r in t.data_rows:
        row = t.sheet.rows[r]
        if all(is_blank(c) for c in row):
            continue
        sec = _is_section(ctx, row)
        if sec is not None and mode != "columns":
            code, title = split_section(sec)
            section = Node(code=code, title=title, file=t.file_name, sheet=t.sheet.name, row=r + 1, section=True,
                           depth_hint=1)
            nodes.append(section)
            stack = [section]
            last = section
            continue
        if sec is not None and mode == "columns":
            fill = {"h1": sec}
            continue
        title = text(ctx.get(r, "title"))
        raw_code = ctx.get(r, "code")
        code = parse_code(raw_code)
        if codes_in_titles:
            code, title = split_title_code(title)
        node = Node(code=code, title=title, file=t.file_name, sheet=t.sheet.name, row=r + 1,
                    numeric_code=isinstance(raw_code, float))
        if mode == "columns":
            node = _place_by_columns(ctx, r, node, groups, fill, nodes)
            if node is None:
                continue
        elif mode == "codes" and code:
            if "." in code:
                node.parent_code = code.rsplit(".", 1)[0]
            elif section is not None and section.code != code:
                node.parent = section
        elif mode == "level" and not is_blank(ctx.get(r, "level")):
            label = text(ctx.get(r, "level")) or ""
            depth = _level_depth(label)
            if depth is None:
                ctx.err(r, "level", label, "unknown level; accepted: Strategy/Goal, Initiative/Objective, "
                        "Action/Task, Level 1-9 or 1-9")
                continue
            if section is not None:
                depth += 1
            node.level_label = label.strip().title() if section is None else None
            while stack and stack[-1].depth >= depth:
                stack.pop()
            if depth > 1:
                if not stack:
                    ctx.err(r, "level", label, "this level has no parent row above it")
                    continue
                node.parent = stack[-1]
            stack.append(node)
        else:
            # No code or level: a sibling of the previous row (or a child of the current section).
            if last is not None and not last.section:
                node.parent, node.parent_code = last.parent, last.parent_code
            else:
                node.parent = section
        _read_fields(ctx, r, node)
        nodes.append(node)
        last = node
    return mode


def _place_by_columns(ctx: _Ctx, r: int, node: Node, groups: dict[tuple, Node], fill: dict[str, object],
                      nodes: list[Node]) -> Node | None:
    t = ctx.t
    vals = {k: ctx.get(r, k) for k in ("h1", "h1_code", "h2", "h2_code")}
    # Blank hierarchy cells are filled down (that is how merged cells read); a new top-level
    # value starts a new group, so the second level is not filled across it.
    new_title = not is_blank(vals["h1"]) and text(vals["h1"]) != text(fill.get("h1"))
    new_code = not is_blank(vals["h1_code"]) and parse_code(vals["h1_code"]) != parse_code(fill.get("h1_code"))
    if new_title or new_code:
        fill.pop("h2", None)
        fill.pop("h2_code", None)
        if new_title and is_blank(vals["h1_code"]):
            fill.pop("h1_code", None)
    for k, v in vals.items():
        if not is_blank(v):
            fill[k] = v
        elif k in fill and (k.startswith("h1") or "h2" in fill or "h2_code" in fill):
            vals[k] = fill[k]
    parent: Node | None = None
    key: tuple = ()
    for lvl in ("h1", "h2"):
        title, code = text(vals[lvl]), parse_code(vals[f"{lvl}_code"])
        if title is None and code is None:
            continue
        if code is None and title is not None:
            split_code, split_title = split_section(title)
            if split_code:
                code, title = split_code, split_title
        key = (*key, code or title)
        g = groups.get(key)
        if g is None:
            g = Node(code=code, title=title, parent=parent, file=t.file_name, sheet=t.sheet.name, row=r + 1)
            groups[key] = g
            nodes.append(g)
        parent = g
    # A row whose own code (or title without a code) is its group's is that group's own row.
    if parent is not None and ((node.code and node.code == parent.code)
                               or (node.code is None and (node.title is None or node.title == parent.title))):
        _read_fields(ctx, r, parent)
        return None
    if node.code and "." in node.code and parent is not None:
        # Codes are the truth when given: a leaf straight under a strategy has the strategy's code prefix.
        pc = node.code.rsplit(".", 1)[0]
        p = parent
        while p is not None and p.code != pc:
            p = p.parent
        parent = p if p is not None else parent
    node.parent = parent
    return node


def _warn_fractions(ctx: _Ctx, warnings: list[Problem]) -> None:
    # A CSV cannot carry a % format: 0.45 there means 0.45 %, which is rarely what was meant.
    pc = ctx.col.get("progress")
    if pc is None:
        return
    nums = []
    for r in ctx.t.data_rows:
        v = ctx.get(r, "progress")
        if (r, pc) in ctx.pct or is_blank(v):
            continue
        try:
            # A plain number is its own value (what float(str(v)) gives, without the text).
            nums.append(float(v) if type(v) in (int, float) else float(str(v).strip()))
        except ValueError:
            continue
    if nums and max(nums) <= 1 and any(0 < x < 1 for x in nums):
        warnings.append(Problem(ctx.t.file_name, ctx.t.sheet.name, None, ctx.colname("progress"), None,
                                "every progress value is between 0 and 1: bare numbers are read as percent "
                                "(0.45 = 0.45 %); write 45 or 45% if 45 % was meant"))


def _link_codes(nodes: list[Node], errors: list[Problem]) -> None:
    by_code: dict[str, Node] = {}
    for n in nodes:
        if n.code:
            if n.code in by_code:
                other = by_code[n.code]
                hint = ("; Excel stored these codes as numbers (1.10 reads as 1.1): format the code column "
                        "as Text and type them again" if n.numeric_code or other.numeric_code else "")
                errors.append(Problem(n.file, n.sheet, n.row, None, n.code,
                                      f"duplicate code {n.code} (also on sheet {other.sheet!r} row {other.row}); "
                                      f"codes must be unique within a plan{hint}"))
            else:
                by_code[n.code] = n
    for n in nodes:
        if n.parent_code is not None and n.parent is None:
            p = by_code.get(n.parent_code)
            if p is None:
                errors.append(Problem(n.file, n.sheet, n.row, None, n.code,
                                      f"orphan code {n.code}: no item {n.parent_code} in the file to put it under"))
            else:
                n.parent = p
    for n in nodes:
        if n.parent is not None:
            n.parent.children.append(n)


def _assign_codes(nodes: list[Node]) -> None:
    # A group without a code whose children's codes share a prefix ("2.1.1", "2.1.2") takes
    # that prefix ("2.1"), deepest groups first, so action codes and group codes agree.
    if all(n.code for n in nodes):
        return  # every item has its code: nothing below would change anything
    taken_all = {n.code for n in nodes if n.code}
    for n in sorted(nodes, key=lambda n: -n.depth):
        if n.code is None and n.children:
            prefixes = {c.code.rsplit(".", 1)[0] for c in n.children if c.code and "." in c.code}
            if len(prefixes) == 1 and all(c.code for c in n.children):
                candidate = prefixes.pop()
                parent_ok = n.parent is None or n.parent.code is None or candidate.startswith(f"{n.parent.code}.")
                if candidate not in taken_all and parent_ok and (n.parent is not None or "." not in candidate):
                    n.code = candidate
                    taken_all.add(candidate)
    # Other missing codes are generated in outline order: the next free number among siblings.
    used: dict[int, set[str]] = {}
    for n in nodes:
        if n.code:
            used.setdefault(id(n.parent), set()).add(n.code)
    for n in nodes:
        if n.code:
            continue
        prefix = f"{n.parent.code}." if n.parent is not None else ""
        taken = used.setdefault(id(n.parent), set())
        i = 1
        while f"{prefix}{i}" in taken or f"{prefix}{i}" in taken_all:
            i += 1
        n.code = f"{prefix}{i}"
        taken.add(n.code)
        taken_all.add(n.code)


def _check(nodes: list[Node], errors: list[Problem], warnings: list[Problem]) -> None:
    parents_with_state = 0
    inferred = 0
    for n in nodes:
        if not n.title:
            errors.append(Problem(n.file, n.sheet, n.row, None, n.code, "missing title: every item needs a title"))
        if n.children and any(k in n.state for k in ("status", "progress")):
            parents_with_state += 1
            n.state = {}
        elif not n.children and "status" not in n.state and n.state.get("progress") is not None:
            inferred += 1
    if parents_with_state:
        warnings.append(Problem("", "", None, None, None,
                                f"{parents_with_state} parent row(s) have their own status/progress cells; they are "
                                "not used: a parent's status and progress are rolled up from its children"))
    if inferred:
        warnings.append(Problem("", "", None, None, None,
                                f"{inferred} row(s) have progress but no status: 0% is read as Not started, "
                                "100% as Completed, anything else as On track"))


def _outline_key_fn():
    """``code_sort_key(code or "")`` with each part's key made once (a plan repeats "1", "2", ...)."""
    part_keys: dict[str, tuple] = {}

    def part_key(p: str) -> tuple:
        k = part_keys.get(p)
        if k is None:
            k = part_keys[p] = code_sort_key(p)[0]
        return k

    def key(n: Node) -> tuple:
        return tuple(map(part_key, str(n.code or "").split(".")))

    return key


def accepted_statuses() -> str:
    """Return the accepted status words, for messages."""
    return ", ".join(sorted(STATUS_SYNONYMS))
