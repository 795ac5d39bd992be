"""The Filters dataclass shared by pages, CLI and exports, and its URL form.

Repeated values of one filter are alternatives (OR); different filters combine (AND).
Filters select *leaves* by their effective (inherited) values; the roll-up then
rolls the selected subtree up.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

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
        mask = pd.Series(True, index=leaves.index)
        if self.strategy:
            paths = leaves["path_codes"].astype("string")
            mask &= _any(paths.str.contains(f"|{c}|", regex=False) for c in self.strategy)
        if self.department:
            depts = (leaves["department"].fillna("").astype("string") + " | "
                     + leaves["partners"].fillna("").astype("string"))
            mask &= _any(depts.str.contains(d, case=False, regex=False) for d in self.department)
        if self.owner:
            owners = leaves["owner"].fillna("").astype("string")
            mask &= _any(owners.str.contains(o, case=False, regex=False) for o in self.owner)
        if self.smart:
            tags = leaves["smart"].fillna("").astype("string")
            mask &= _any(tags.str.contains(s, regex=False) for s in self.smart)
        return mask.fillna(False).astype(bool)

    def text_mask(self, leaves: pd.DataFrame) -> pd.Series:
        """Text search over code, title, ancestors' titles, description and owner."""
        if not self.text:
            return pd.Series(True, index=leaves.index)
        hay = (leaves["path_text"].fillna("").astype("string") + " "
               + leaves["description"].fillna("").astype("string") + " "
               + leaves["owner"].fillna("").astype("string"))
        return hay.str.contains(self.text, case=False, regex=False).fillna(False).astype(bool)

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


def _any(masks) -> pd.Series:
    out = None
    for m in masks:
        m = m.fillna(False).astype(bool)
        out = m if out is None else out | m
    return out
