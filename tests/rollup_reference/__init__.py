"""A frozen copy of ``wehoplan.rollup`` as it was at main 0a91901 (issue 15, before the third pass).

The reference the faster engine is pinned against, frame for frame (``tests/test_rollup_equal.py``).
Do not change it to follow the engine: it is what the engine must keep giving.
"""

from __future__ import annotations

import pandas as pd

from tests.rollup_reference.engine import COUNT_COLUMNS, aggregate
from tests.rollup_reference.rules import Thresholds
from tests.rollup_reference.stages import (
    GROUP_KINDS,
    ROLLUP_COLUMNS,
    group_leaves,
    plan_total,
    roll_up,
    roll_up_many,
    select_leaves,
)
from tests.rollup_reference.states import PreparedUpdates, first_completed, leaf_states, prepare_updates
from tests.rollup_reference.tree import ROOT_ID, PreparedTree, prepare_tree
from wehoplan.filters import Filters

_DEFAULT_THRESHOLDS = Thresholds()


def rollup_table(
    items: pd.DataFrame | PreparedTree,
    updates: pd.DataFrame,
    as_of,
    filters: Filters | None = None,
    thresholds: Thresholds = _DEFAULT_THRESHOLDS,
) -> pd.DataFrame:
    """All three stages at one date: :func:`roll_up` of :func:`leaf_states` of :func:`prepare_tree`."""
    tree = prepare_tree(items)
    return roll_up(tree, leaf_states(tree, updates, [as_of], thresholds), filters or Filters(), thresholds)


def rollup(
    items: pd.DataFrame | PreparedTree,
    updates: pd.DataFrame,
    as_of,
    filters: Filters | None = None,
    thresholds: Thresholds = _DEFAULT_THRESHOLDS,
) -> pd.DataFrame:
    """Items only (no plan row) of :func:`rollup_table`."""
    table = rollup_table(items, updates, as_of, filters, thresholds)
    return table[table["id"] != ROOT_ID].reset_index(drop=True)


__all__ = [
    "COUNT_COLUMNS", "GROUP_KINDS", "ROLLUP_COLUMNS", "ROOT_ID", "PreparedTree", "PreparedUpdates", "Thresholds",
    "aggregate", "first_completed", "group_leaves", "leaf_states", "plan_total", "prepare_tree", "prepare_updates",
    "roll_up", "roll_up_many", "rollup", "rollup_table", "select_leaves",
]
