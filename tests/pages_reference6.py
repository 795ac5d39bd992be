"""Verbatim copies of the code issue 15's sixth pass (branch pages5) replaced, kept as the reference.

``select_leaves`` and ``group_leaves`` are ``wehoplan/rollup/stages.py``'s as they were (an
``isin`` of every state row's id; a frame of the leaves, each leaf's SMART tags named one by
one, ``engine.aggregate``); ``tests/test_pages_equal6.py`` checks the new code against them to
the last bit.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from wehoplan.domain import smart_names
from wehoplan.filters import Filters
from wehoplan.rollup import engine
from wehoplan.rollup.engine import LEAF_COUNT_COLUMNS
from wehoplan.rollup.rules import Thresholds
from wehoplan.rollup.stages import GROUP_KINDS, ROLLUP_COLUMNS, _check, health_of
from wehoplan.rollup.tree import PreparedTree

_DEFAULT_THRESHOLDS = Thresholds()


def group_leaves(table: pd.DataFrame, by: str, thresholds: Thresholds = _DEFAULT_THRESHOLDS) -> pd.DataFrame:
    """Roll the leaves of a :func:`roll_up` table up by effective department, SMART value or owner.

    A leaf tagged with several SMART values counts in each of them; leaves without a
    value go to the group "(none)". Returns ``group`` plus :data:`ROLLUP_COLUMNS`,
    sorted by group.
    """
    if by not in GROUP_KINDS:
        raise ValueError(f"cannot group by {by!r}; choose one of {', '.join(GROUP_KINDS)}")
    used = [by, "weight", "progress", "status", "expected_progress", *LEAF_COUNT_COLUMNS]
    leaves = table.loc[table["is_leaf"].astype(bool).to_numpy(), used]
    if leaves.empty:
        return pd.DataFrame(columns=["group", *ROLLUP_COLUMNS])
    if by == "smart":
        # One row per tag, laid out by position (explode joins the frame back on its index).
        tags = [smart_names(s) or ["(none)"] for s in leaves["smart"].tolist()]
        rows = np.repeat(np.arange(len(leaves)), [len(t) for t in tags])
        leaves = leaves.iloc[rows].assign(group=pd.Series([t for ts in tags for t in ts], dtype="str",
                                                          index=leaves.index[rows]))
    else:
        leaves = leaves.assign(group=leaves[by].fillna("(none)").astype("string"))
    agg = engine.aggregate(leaves, ["group"], thresholds)
    return agg.sort_values("group", key=lambda s: s.astype("string").str.casefold()).reset_index(drop=True)


def select_leaves(tree: PreparedTree, states: pd.DataFrame, filters: Filters,
                  thresholds: Thresholds = _DEFAULT_THRESHOLDS) -> pd.DataFrame:
    """The rows of ``states`` whose leaves pass ``filters`` (effective values; GUIDE §3, §4).

    Structural filters read the tree; status, health and text also read each row's state
    (its status, its schedule health under ``thresholds``, and its as-of comment:
    comments are dated).
    """
    _check(tree)
    if filters.is_empty():
        return states
    hay = tree.haystacks
    out = states[states["id"].isin(hay.ids[filters.leaf_mask(hay)])]
    if filters.status:
        out = out[out["status"].isin(list(filters.status))]
    if filters.health:
        out = out[np.isin(health_of(out, thresholds).to_numpy(dtype=object), list(filters.health))]
    if filters.text:
        text_hit = out["comment"].astype("string").str.contains(filters.text, case=False, regex=False)
        struct_hit = out["id"].isin(hay.ids[filters.text_mask(hay)])
        out = out[struct_hit | text_hit.fillna(False)]
    return out
