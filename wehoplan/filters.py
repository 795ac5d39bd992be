"""The Filters dataclass shared by pages, CLI and exports, and its URL form.

Repeated values of one filter are alternatives (OR); different filters combine (AND).
Filters select *leaves* by their effective (inherited) values; the roll-up then
rolls the selected subtree up.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

from wehoplan.domain import SMART_LETTERS, STATUS_KEYS


@dataclass(frozen=True)
class Filters:
    """What the user chose to look at.

    Attributes:
        strategy: item codes; keeps each item and everything under it.
        department: texts matched (contains, case-insensitive) against lead and partner departments.
        smart: SMART letters; a leaf passes if it carries any of them.
        status: status keys of the leaf at the as-of date.
        owner: texts matched (contains, case-insensitive) against the effective owner.
        text: free text searched in code, title, description, ancestors' titles and the latest comment.

    """

    strategy: tuple[str, ...] = ()
    department: tuple[str, ...] = ()
    smart: tuple[str, ...] = ()
    status: tuple[str, ...] = ()
    owner: tuple[str, ...] = ()
    text: str = ""

    def __post_init__(self) -> None:
        for f in ("strategy", "department", "smart", "status", "owner"):
            v = getattr(self, f)
            if isinstance(v, str):
                v = (v,)
            object.__setattr__(self, f, tuple(str(x).strip() for x in v if str(x).strip()))
        object.__setattr__(self, "smart", tuple(s.upper()[:1] for s in self.smart))
        object.__setattr__(self, "text", (self.text or "").strip())
        bad = [s for s in self.smart if s not in SMART_LETTERS]
        if bad:
            raise ValueError(f"unknown SMART value {bad[0]!r}; use one of S, M, A, R, T")
        bad = [s for s in self.status if s not in STATUS_KEYS]
        if bad:
            raise ValueError(f"unknown status {bad[0]!r}; use one of {', '.join(STATUS_KEYS)}")

    def is_empty(self) -> bool:
        """True when nothing is filtered."""
        return not any(getattr(self, f.name) for f in fields(self))

    # -- masks over a prepared tree's leaves (see rollup.prepare_tree)

    def leaf_mask(self, leaves: pd.DataFrame) -> pd.Series:
        """Structural filters (all but status and text) as a boolean mask over ``leaves``."""
        mask = np.ones(len(leaves), dtype=bool)
        if self.strategy:
            paths = _haystack(leaves, "paths")
            mask &= _any(paths.str.contains(f"|{c}|", regex=False) for c in self.strategy)
        if self.department:
            depts = _haystack(leaves, "departments")
            mask &= _any(depts.str.contains(d, case=False, regex=False) for d in self.department)
        if self.owner:
            owners = _haystack(leaves, "owners")
            mask &= _any(owners.str.contains(o, case=False, regex=False) for o in self.owner)
        if self.smart:
            tags = _haystack(leaves, "tags")
            mask &= _any(tags.str.contains(s, regex=False) for s in self.smart)
        return pd.Series(mask, index=leaves.index)

    def text_mask(self, leaves: pd.DataFrame) -> pd.Series:
        """Text search over code, title, ancestors' titles, description and owner."""
        if not self.text:
            return pd.Series(True, index=leaves.index)
        hay = _haystack(leaves, "text")
        return pd.Series(_matches(hay.str.contains(self.text, case=False, regex=False)), index=leaves.index)

    # -- URL query parameters

    def to_query(self) -> dict[str, list[str] | str]:
        """Query parameters (lists for repeatable filters); empty filters are left out."""
        out: dict[str, list[str] | str] = {}
        for f in fields(self):
            v = getattr(self, f.name)
            if v:
                out[f.name] = list(v) if isinstance(v, tuple) else v
        return out

    @classmethod
    def from_query(cls, params) -> Filters:
        """Build from query parameters; unknown SMART letters or statuses are dropped.

        ``params`` maps names to a string or a list of strings (``st.query_params``
        offers ``get_all``; a plain dict works too).
        """

        def get_all(name: str) -> list[str]:
            if hasattr(params, "get_all"):
                return list(params.get_all(name))
            v = params.get(name, [])
            return [v] if isinstance(v, str) else list(v)

        text = get_all("text")
        return cls(
            strategy=tuple(get_all("strategy")),
            department=tuple(get_all("department")),
            smart=tuple(s for s in get_all("smart") if s.upper()[:1] in SMART_LETTERS),
            status=tuple(s for s in get_all("status") if s in STATUS_KEYS),
            owner=tuple(get_all("owner")),
            text=text[0] if text else "",
        )

    def describe(self) -> str:
        """One human line, e.g. 'department: Public Works; SMART: M' (or 'no filters')."""
        parts = []
        for f in fields(self):
            v = getattr(self, f.name)
            if v:
                label = "SMART" if f.name == "smart" else f.name
                parts.append(f"{label}: {', '.join(v) if isinstance(v, tuple) else v}")
        return "; ".join(parts) or "no filters"


def _matches(m: pd.Series) -> np.ndarray:
    """A ``str.contains`` result as plain booleans, missing values as no match."""
    return m.to_numpy(dtype=bool, na_value=False)


def _any(masks) -> np.ndarray:
    out = None
    for m in masks:
        m = _matches(m)
        out = m if out is None else out | m
    return out


# The texts the masks search, built once per leaves frame (the roll-up passes the same
# memoised frame of a tree on every filter change; building them was most of a mask's cost).
# Keyed by the frame's identity, dropped with it (weak reference); frames are never
# modified in place (copy-on-write habits).
_HAYSTACKS: dict[int, tuple[weakref.ref, dict[str, pd.Series]]] = {}


def _build(leaves: pd.DataFrame, kind: str) -> pd.Series:
    if kind == "paths":
        return leaves["path_codes"].astype("string")
    if kind == "departments":
        return (leaves["department"].fillna("").astype("string") + " | "
                + leaves["partners"].fillna("").astype("string"))
    if kind == "owners":
        return leaves["owner"].fillna("").astype("string")
    if kind == "tags":
        return leaves["smart"].fillna("").astype("string")
    return (leaves["path_text"].fillna("").astype("string") + " "
            + leaves["description"].fillna("").astype("string") + " "
            + leaves["owner"].fillna("").astype("string"))


def _haystack(leaves: pd.DataFrame, kind: str) -> pd.Series:
    key = id(leaves)
    hit = _HAYSTACKS.get(key)
    if hit is None or hit[0]() is not leaves:
        hit = (weakref.ref(leaves, lambda _r, k=key: _HAYSTACKS.pop(k, None)), {})
        _HAYSTACKS[key] = hit
    memo = hit[1]
    if kind not in memo:
        memo[kind] = _build(leaves, kind)
    return memo[kind]
