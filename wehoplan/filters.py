"""The Filters dataclass shared by pages, CLI and exports, and its URL form.

Repeated values of one filter are alternatives (OR); different filters combine (AND).
Filters select *leaves* by their effective (inherited) values; the roll-up then
rolls the selected subtree up.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from wehoplan.domain import HEALTH_KEYS, HEALTH_LABELS, SMART_LETTERS, SMART_NAMES, STATUS_KEYS, STATUS_LABELS


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
        health: schedule-health keys of the leaf at the as-of date (GUIDE §3).

    """

    strategy: tuple[str, ...] = ()
    department: tuple[str, ...] = ()
    smart: tuple[str, ...] = ()
    status: tuple[str, ...] = ()
    owner: tuple[str, ...] = ()
    text: str = ""
    health: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for f in ("strategy", "department", "smart", "status", "owner", "health"):
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
        bad = [h for h in self.health if h not in HEALTH_KEYS]
        if bad:
            raise ValueError(f"unknown schedule health {bad[0]!r}; use one of {', '.join(HEALTH_KEYS)}")

    def is_empty(self) -> bool:
        """True when nothing is filtered."""
        return not any(getattr(self, f.name) for f in fields(self))

    # -- masks over a prepared tree's leaves (see wehoplan.rollup.PreparedTree.haystacks)

    def leaf_mask(self, hay: Haystacks) -> np.ndarray:
        """Structural filters (all but status and text) as a boolean mask over the leaves of ``hay``."""
        mask = np.ones(len(hay.ids), dtype=bool)
        if self.strategy:
            mask &= _any(hay.paths.str.contains(f"|{c}|", regex=False) for c in self.strategy)
        if self.department:
            # The effective lead department or any effective partner department (GUIDE §3).
            mask &= _any_hit(m for d in self.department
                             for m in (hay.contains("lead", d, case=False), hay.contains("partners", d, case=False)))
        if self.owner:
            mask &= _any_hit(hay.contains("owners", o, case=False) for o in self.owner)
        if self.smart:
            mask &= _any_hit(hay.contains("tags", s, case=True) for s in self.smart)
        return mask

    def text_mask(self, hay: Haystacks) -> np.ndarray:
        """Text search over code, title, ancestors' titles, description and owner of the leaves of ``hay``."""
        if not self.text:
            return np.ones(len(hay.ids), dtype=bool)
        return _matches(hay.text.str.contains(self.text, case=False, regex=False))

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
        """Build from query parameters; unknown SMART letters, statuses or health values are dropped.

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
            health=tuple(h for h in get_all("health") if h in HEALTH_KEYS),
        )

    def describe(self) -> str:
        """One human line, e.g. 'department: Public Works; SMART: Mobility' (or 'no filters')."""
        parts = []
        for f in fields(self):
            v = getattr(self, f.name)
            if v:
                label = {"smart": "SMART", "health": "schedule health"}.get(f.name, f.name)
                # Values as a person names them: "SMART: Mobility", "status: On track".
                names: dict[str, str] = {"smart": SMART_NAMES, "status": STATUS_LABELS,
                                         "health": HEALTH_LABELS}.get(f.name, {})
                shown = [str(names.get(x, x)) for x in v] if isinstance(v, tuple) else [v]
                parts.append(f"{label}: {', '.join(shown)}")
        return "; ".join(parts) or "no filters"


def _matches(m: pd.Series) -> np.ndarray:
    """A ``str.contains`` result as plain booleans, missing values as no match."""
    return m.to_numpy(dtype=bool, na_value=False)


def _any(masks: Iterable[pd.Series]) -> np.ndarray:
    """Rows where any of the masks (at least one) holds."""
    out: np.ndarray | None = None
    for m in masks:
        hit = _matches(m)
        out = hit if out is None else out | hit
    assert out is not None, "every filter passes at least one mask"
    return out


def _any_hit(hits: Iterable[np.ndarray]) -> np.ndarray:
    """Rows where any of the boolean arrays (at least one) holds."""
    out: np.ndarray | None = None
    for hit in hits:
        out = hit if out is None else out | hit
    assert out is not None, "every filter passes at least one mask"
    return out


@dataclass(frozen=True)
class Haystacks:
    """The texts the filter masks search, one entry per leaf (built once per prepared tree).

    Attributes:
        ids: the leaves' ids, in the order of every other field.
        paths: ``|1|1.2|1.2.3|``, the codes from the top down.
        lead: effective lead department.
        partners: effective partner departments.
        owners: effective owner.
        tags: effective SMART letters.
        text: path of codes and titles, description and owner.

    """

    ids: np.ndarray
    paths: pd.Series
    lead: pd.Series
    partners: pd.Series
    owners: pd.Series
    tags: pd.Series
    text: pd.Series

    def contains(self, field: str, needle: str, case: bool) -> np.ndarray:
        """``field.str.contains(needle, case=case, regex=False)`` as booleans (missing: no match).

        Departments, owners and tags repeat over thousands of leaves: the test runs once per
        distinct text (the same ``str.contains``, so the same matches) and is spread by code.
        """
        codes, uniques = self._distinct(field)
        if isinstance(uniques.dtype, pd.StringDtype) and uniques.dtype.storage == "pyarrow":
            # What pandas' str.contains runs for Arrow-backed text (a literal match_substring), without
            # its accessor's bookkeeping, which cost more than the test of a few dozen texts.
            found = pc.match_substring(uniques.array.__arrow_array__(), needle, ignore_case=not case)
            hit = found.fill_null(False).to_numpy(zero_copy_only=False)
        else:
            hit = _matches(uniques.str.contains(needle, case=case, regex=False))
        return np.append(hit, False)[codes]  # code -1 (a missing text) matches nothing

    def _distinct(self, field: str) -> tuple[np.ndarray, pd.Series]:
        # Filter-independent: factorised once per field of this (per-tree) object.
        cache = self.__dict__.setdefault("_distinct_cache", {})
        if field not in cache:
            codes, uniques = pd.factorize(getattr(self, field))
            cache[field] = (codes, pd.Series(uniques, dtype=getattr(self, field).dtype))
        return cache[field]

    @classmethod
    def of(cls, leaves: pd.DataFrame) -> Haystacks:
        """Build from a prepared tree's leaf rows (``id, path_codes, department, partners, owner, smart, ...``)."""

        def text(col: str) -> pd.Series:
            return (leaves[col] if col in leaves.columns else pd.Series(None, index=leaves.index, dtype=object)
                    ).fillna("").astype("string").reset_index(drop=True)

        return cls(
            ids=leaves["id"].to_numpy(),
            paths=leaves["path_codes"].astype("string").reset_index(drop=True),
            lead=text("department"),
            partners=text("partners"),
            owners=text("owner"),
            tags=text("smart"),
            text=text("path_text") + " " + text("description") + " " + text("owner"),
        )
