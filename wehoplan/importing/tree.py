"""The item tree: parents linked by code, missing codes generated, checks, outline order."""

from __future__ import annotations

from wehoplan.domain import code_sort_key
from wehoplan.importing.nodes import Node, Problem


def link_codes(nodes: list[Node], errors: list[Problem]) -> None:
    """Report duplicate codes, put each item under the item its code names, link children."""
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
        p = n.parent
        if p is not None:
            if isinstance(p.children, list):
                p.children.append(n)
            else:
                p.children = [n]


def assign_codes(nodes: list[Node]) -> None:
    """Give every item without a code one (its children's common prefix, else the next free number)."""
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
        own = f"{prefix}{n.local_code}" if n.local_code else None
        if own and own not in taken and own not in taken_all:
            n.code = own
            taken.add(own)
            taken_all.add(own)
            continue
        i = 1
        while f"{prefix}{i}" in taken or f"{prefix}{i}" in taken_all:
            i += 1
        n.code = f"{prefix}{i}"
        taken.add(n.code)
        taken_all.add(n.code)


def check(nodes: list[Node], errors: list[Problem], warnings: list[Problem]) -> None:
    """Report items without a title; drop (with a warning) parents' own state cells."""
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
    state_warnings(parents_with_state, inferred, warnings)


def state_warnings(parents_with_state: int, inferred: int, warnings: list[Problem]) -> None:
    """The warnings of :func:`check` about state cells, from its two counts."""
    if parents_with_state:
        warnings.append(Problem("", "", None, None, None,
                                f"{parents_with_state} parent row(s) have their own status/progress cells; they are "
                                "not used: a parent's status and progress are rolled up from its children"))
    if inferred:
        warnings.append(Problem("", "", None, None, None,
                                f"{inferred} row(s) have progress but no status: 0% is read as Not started, "
                                "100% as Completed, anything else as On track"))


def outline_code_key_fn():
    """``code_sort_key(code)`` of a code, with each part's key made once (a plan repeats "1", "2", ...)."""
    part_keys: dict[str, tuple] = {}

    def part_key(p: str) -> tuple:
        k = part_keys.get(p)
        if k is None:
            k = part_keys[p] = code_sort_key(p)[0]
        return k

    get = part_keys.__getitem__

    def key(code: str) -> tuple:
        parts = code.split(".")
        try:
            return tuple(map(get, parts))  # every part seen before (most codes): no Python call per part
        except KeyError:
            return tuple(map(part_key, parts))

    return key


def outline_key_fn():
    """``code_sort_key(code or "")`` of a node (:func:`outline_code_key_fn`)."""
    code_key = outline_code_key_fn()

    def key(n: Node) -> tuple:
        return code_key(str(n.code or ""))

    return key
