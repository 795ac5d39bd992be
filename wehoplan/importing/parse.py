"""Rows of the chosen tables -> a validated list of plan items, with every problem located.

The hierarchy comes from outline codes, else from separate strategy / initiative / action
columns (blank cells filled down, as merged cells read), else from a level column plus row
order; a section row (only its first cell filled) starts a new top-level item.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from functools import partial
from typing import cast

from wehoplan.domain import DEFAULT_LEVEL_NAMES, NO_END_DATE, STATUS_SYNONYMS, is_blank, level_name
from wehoplan.importing.columns import TableColumns, distinct_cells
from wehoplan.importing.flat import FlatPlan, flat_plan
from wehoplan.importing.nodes import Node, Parsed, Problem
from wehoplan.importing.rows import LEVEL_WORDS, RowContext, level_depth, read_fields, section_title
from wehoplan.importing.table import Table
from wehoplan.importing.tree import assign_codes, check, link_codes, outline_key_fn, state_warnings
from wehoplan.importing.values import lettered_code, parse_code, split_section, split_title_code, text

__all__ = ["Node", "Parsed", "Problem", "accepted_statuses", "parse_tables"]


def parse_tables(tables: list[Table], fiscal_year_start_month: int = 7,
                 latest_update: dt.date | None = None, words: dict[str, str] | None = None,
                 columnar: bool = True) -> Parsed:
    """Turn the tables into one item tree; collect every problem instead of stopping.

    Args:
        tables: the chosen tables (one plan).
        fiscal_year_start_month: first month of the fiscal year ("FY2020 Q3").
        latest_update: update dates after this are errors (None: no limit).
        words: the user's own status words (lower case) -> status key.
        columnar: read the fields column by column (:mod:`wehoplan.importing.columns`); False
            reads every row with ``read_fields`` (the same result, slower: the tests compare them).

    """
    errors: list[Problem] = []
    warnings: list[Problem] = []
    nodes: list[Node] = []
    notes: list[str] = []
    modes: set[str] = set()
    flat: FlatPlan | None = None
    for t in tables:
        ctx = RowContext(t, errors, fiscal_year_start_month, latest_update, words)
        # Codes link across tables: a flat plan is one table's whole tree.
        mode, flat = _parse_table(ctx, nodes, columnar, flat_ok=len(tables) == 1)
        modes.add(mode)
        where = f"sheet {t.sheet.name!r}: "
        notes += [where + n for n in ctx.notes]
        if ctx.multi_department_rows:
            notes.append(where + f"{ctx.multi_department_rows} row(s) of column {ctx.colname('department')} name "
                         "several departments: the first is the lead department, the others partners")
        for lvl in sorted(ctx.codes_as_titles):
            notes.append(where + f"the {level_name(int(lvl[1]))} level has codes but no titles: its codes "
                         f"stand as titles until a column is mapped to {lvl}")
        _warn_fractions(ctx, warnings)
        if ctx.no_end_rows:
            shown = ", ".join(str(r + 1) for r in ctx.no_end_rows[:10]) + (" ..." if len(ctx.no_end_rows) > 10 else "")
            warnings.append(Problem(ctx.t.file_name, ctx.t.sheet.name, ctx.no_end_rows[0] + 1, ctx.colname("due"),
                                    NO_END_DATE.isoformat(), f"due date {NO_END_DATE.isoformat()} read as no due "
                                    f"date in {len(ctx.no_end_rows)} row(s): {shown}"))
    if flat is not None:
        # Everything tree.link_codes, assign_codes and check would find is vouched for by
        # flat_plan: no duplicate, orphan or missing code, no missing title, no level labels.
        state_warnings(flat.parents_with_state, flat.inferred, warnings)
        names = tuple(level_name(d) for d in range(1, max(flat.max_leaf_depth, len(DEFAULT_LEVEL_NAMES)) + 1))
        return Parsed(None, errors, warnings, names, "+".join(sorted(modes)), False, notes, flat=flat)
    link_codes(nodes, errors)
    assign_codes(nodes)
    check(nodes, errors, warnings)
    # Level names: labels of a level column by depth, else the defaults.
    labels: dict[int, str] = {}
    for n in nodes:
        if n.level_label and n.depth not in labels:
            labels[n.depth] = n.level_label
    # Depth of the deepest chain: only leaves can be deepest, so parents need no walk.
    max_depth = max((n.depth for n in nodes if not n.children), default=0)
    names = tuple(labels.get(d) or level_name(d) for d in range(1, max(max_depth, len(DEFAULT_LEVEL_NAMES)) + 1))
    ordered = sorted(nodes, key=outline_key_fn())
    return Parsed(ordered, errors, warnings, names, "+".join(sorted(modes)), bool(labels), notes)


LEVELS = ("h1", "h2", "h3")
_LEVEL_PREFIX = re.compile(r"^\s*(" + "|".join(sorted(LEVEL_WORDS, key=len, reverse=True))
                           + r")\s*[:\-–—]\s*(\S.*)$", re.I)


def _prefixed_levels(ctx: RowContext) -> bool:
    """True when most titles start with a level word and a colon ("Goal: ...", "Task - ...")."""
    titles = [x for x in (text(ctx.get(r, "title")) for r in ctx.t.data_rows) if x]
    hits = [m[1].lower() for x in titles if (m := _LEVEL_PREFIX.match(x))]
    return bool(titles) and len(hits) * 2 >= len(titles) and len(set(hits)) > 1


def _self_numbered(ctx: RowContext, levels: list[str]) -> bool:
    """True when the rows' codes are numbers within their group (action 1 under committee 1).

    Plain codes without a dot that repeat, or that equal a group's own number, are local
    numbers: each is placed under its group instead of colliding with another row's code.
    """
    codes: list[str] = []
    for r in ctx.t.data_rows:
        c = parse_code(ctx.get(r, "code"))
        if c and "." in c:
            return False  # outline codes: stop at the first
        if c:
            codes.append(c)
    if not codes:
        return False
    if len(set(codes)) < len(codes):
        return True
    group_codes: set[str] = set()
    for r in ctx.t.data_rows:
        for lvl in levels:
            c = parse_code(ctx.get(r, f"{lvl}_code"))
            if c is None and not is_blank(ctx.get(r, lvl)):
                c = split_section(text(ctx.get(r, lvl)) or "")[0]
            if c:
                group_codes.add(c)
    titles = {text(ctx.get(r, lvl)) for r in ctx.t.data_rows for lvl in levels}
    return any(c in group_codes for c in codes) and not all(
        text(ctx.get(r, "title")) in titles for r in ctx.t.data_rows if parse_code(ctx.get(r, "code")) in group_codes)


def _parse_table(ctx: RowContext, nodes: list[Node], columnar: bool = True,
                 flat_ok: bool = False) -> tuple[str, FlatPlan | None]:
    """Read the table's rows into ``nodes``; its mode, and its :class:`FlatPlan` when it is one."""
    t = ctx.t
    cols = TableColumns.build(ctx) if columnar else None
    read: Callable[[int, Node], None] = cols.read if cols is not None else partial(read_fields, ctx)
    fields = set(t.mapping.values())
    # A level given by its code column alone (h1_code without h1) is a level too: its codes
    # stand as titles until a column names them.
    group_cols = [h for h in LEVELS if h in fields or f"{h}_code" in fields]
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
    local = bool(code_rows) and _self_numbered(ctx, group_cols)
    if local:
        ctx.notes.append(f"the codes of column {ctx.colname('code')} number the rows within their "
                         + ("group" if group_cols else "level") + ": each row is placed under its parent")
    if ("code" in fields and code_rows and not group_cols and not (local and "level" in fields)) or codes_in_titles:
        mode = "codes"
        local = False
    elif group_cols:
        mode = "columns"
    elif "level" in fields:
        mode = "level"
    elif _prefixed_levels(ctx):
        # "Goal: Safe streets", "Objective: Vision Zero", "Task: Speed humps" in one column: the
        # word before the colon is each row's level.
        mode = "prefix"
        ctx.notes.append(f"column {ctx.colname('title')} names each row's level before its title "
                         "(\"Goal: ...\", \"Task: ...\"): read as the hierarchy")
    else:
        mode = "rows"
    if flat_ok and cols is not None and mode == "codes" and not local and not codes_in_titles:
        flat = flat_plan(ctx, cols)
        if flat is not None:
            return mode, flat
    section: Node | None = None
    last: Node | None = None
    stack: list[Node] = []
    groups: dict[tuple, Node] = {}
    fill: dict[str, object] = {}
    first = t.header_row + 1
    for r in t.data_rows:
        if cols is not None and cols.filled[r - first]:
            sec = None
        else:
            row = t.sheet.rows[r]
            if all(is_blank(c) for c in row):
                continue
            sec = section_title(ctx, row)
        if sec is not None and mode == "prefix" and _LEVEL_PREFIX.match(sec):
            sec = None  # "Goal: Open data" alone on its row is a goal like the others
        if sec is not None and mode != "columns":
            sec_code, sec_title = split_section(sec)
            section = Node(code=sec_code, title=sec_title, file=t.file_name, sheet=t.sheet.name, row=r + 1,
                           section=True, depth_hint=1)
            nodes.append(section)
            stack = [section]
            last = section
            continue
        if sec is not None and mode == "columns":
            fill = {group_cols[0]: sec}
            continue
        if cols is not None:
            i = r - first
            title, code, lettered, numeric = cols.titles[i], cols.codes[i], cols.lettered[i], cols.numeric[i]
        else:
            raw_code = ctx.get(r, "code")
            title, code, lettered = text(ctx.get(r, "title")), parse_code(raw_code), lettered_code(raw_code)
            # Only a code with a fraction (1.1) can be an Excel number that lost a digit (1.10).
            numeric = isinstance(raw_code, float) and not raw_code.is_integer()
        if codes_in_titles:
            code, title = split_title_code(title)
        if lettered:
            # "P1.F2.A1" reads as 1.2.1; the file's own code stays visible in the title.
            raw_code = ctx.get(r, "code")
            title = f"{text(raw_code)} {title}" if title else text(raw_code)
        if cols is not None and not cols.slow[r - first]:
            # The row's fields as read_fields gives them, in the node from the start (no empty
            # dicts made only to be replaced: fewer allocations, fewer collector passes).
            node = Node(code=code, title=title, file=t.file_name, sheet=t.sheet.name, row=r + 1,
                        numeric_code=numeric, fields=cols.fields[r - first], state=cols.state[r - first])
            prefilled = True
        else:
            node = Node(code=code, title=title, file=t.file_name, sheet=t.sheet.name, row=r + 1,
                        numeric_code=numeric)
            prefilled = False
        if local:
            node.code, node.local_code = None, code
        if mode == "columns":
            placed = _place_by_columns(ctx, r, node, groups, fill, nodes, group_cols, code, read)
            if placed is None:
                continue
            node = placed
        elif mode == "codes" and code:
            if "." in code:
                node.parent_code = code.rsplit(".", 1)[0]
            elif section is not None and section.code != code:
                node.parent = section
        elif (mode == "level" and not is_blank(ctx.get(r, "level"))) or (mode == "prefix" and title
                                                                           and _LEVEL_PREFIX.match(title)):
            if mode == "prefix":
                m = _LEVEL_PREFIX.match(title or "")
                assert m is not None
                label, node.title = m[1], m[2].strip()
            else:
                label = text(ctx.get(r, "level")) or ""
            depth = level_depth(label)
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
        if not prefilled:
            read(r, node)
        nodes.append(node)
        last = node
    return mode, None


def _place_by_columns(ctx: RowContext, r: int, node: Node, groups: dict[tuple, Node], fill: dict[str, object],
                      nodes: list[Node], levels: list[str], own_code: str | None,
                      read: Callable[[int, Node], None]) -> Node | None:
    t = ctx.t
    vals: dict[str, object] = {}
    for lvl in levels:
        vals[lvl], vals[f"{lvl}_code"] = ctx.get(r, lvl), ctx.get(r, f"{lvl}_code")
    # Blank hierarchy cells are filled down (that is how merged cells read); a new value at
    # one level starts a new group, so the levels below it are not filled across it.
    for i, lvl in enumerate(levels):
        title_v, code_v = vals[lvl], vals[f"{lvl}_code"]
        new_title = not is_blank(title_v) and text(title_v) != text(fill.get(lvl))
        new_code = not is_blank(code_v) and parse_code(code_v) != parse_code(fill.get(f"{lvl}_code"))
        if new_title or new_code:
            for deeper in levels[i + 1:]:
                fill.pop(deeper, None)
                fill.pop(f"{deeper}_code", None)
            if new_title and is_blank(code_v):
                fill.pop(f"{lvl}_code", None)
    for k, v in vals.items():
        if not is_blank(v):
            fill[k] = v
        elif k in fill:
            vals[k] = fill[k]
    parent: Node | None = None
    key: tuple = ()
    for lvl in levels:
        title, code = text(vals[lvl]), parse_code(vals[f"{lvl}_code"])
        if title is None and code is None:
            continue
        if code is None and title is not None:
            split_code, split_title = split_section(title)
            if split_code:
                code, title = split_code, split_title
        if title is None:
            # Codes without a title column: the code stands as the title until a column names it.
            title = text(vals[f"{lvl}_code"])
            ctx.codes_as_titles.add(lvl)
        if code and "." not in code and parent is not None and parent.code:
            # A level numbering itself (work package 14 under pillar 1) is numbered within its parent.
            code = f"{parent.code}.{code}"
        key = (*key, code or title)
        g = groups.get(key)
        if g is None:
            g = Node(code=code, title=title, parent=parent, file=t.file_name, sheet=t.sheet.name, row=r + 1)
            groups[key] = g
            nodes.append(g)
        parent = g
    # A row whose own code (or title without a code) is its group's is that group's own row.
    same_title = node.title is None or node.title == parent.title if parent is not None else False
    if parent is not None and ((node.code and node.code == parent.code)
                               or (own_code and own_code == parent.code and same_title)
                               or (node.code is None and own_code is None and same_title)):
        read(r, parent)
        return None
    if node.code and "." in node.code and parent is not None:
        # Codes are the truth when given: a leaf straight under a strategy has the strategy's code prefix.
        pc = node.code.rsplit(".", 1)[0]
        p: Node | None = parent
        while p is not None and p.code != pc:
            p = p.parent
        parent = p if p is not None else parent
    node.parent = parent
    return node


def _warn_fractions(ctx: RowContext, warnings: list[Problem]) -> None:
    # A CSV cannot carry a % format: 0.45 there means 0.45 %, which is rarely what was meant.
    pc = ctx.col.get("progress")
    if pc is None:
        return
    nums = []
    # Without %-formatted cells only the distinct values matter (the test is on max and any).
    values = None if ctx.pct else distinct_cells(ctx.t.sheet.rows, pc, ctx.t.header_row + 1)
    cells = ((None, v) for v in values) if values is not None else ((r, ctx.get(r, "progress"))
                                                                      for r in ctx.t.data_rows)
    for r, v in cells:
        if (r, pc) in ctx.pct or is_blank(v):
            continue
        try:
            # A plain number is its own value (what float(str(v)) gives, without the text).
            nums.append(float(cast(float, v)) if type(v) in (int, float) else float(str(v).strip()))
        except ValueError:
            continue
    if nums and max(nums) <= 1 and any(0 < x < 1 for x in nums):
        warnings.append(Problem(ctx.t.file_name, ctx.t.sheet.name, None, ctx.colname("progress"), None,
                                "every progress value is between 0 and 1: bare numbers are read as percent "
                                "(0.45 = 0.45 %); write 45 or 45% if 45 % was meant"))


def accepted_statuses() -> str:
    """Return the accepted status words, for messages."""
    return ", ".join(sorted(STATUS_SYNONYMS))

