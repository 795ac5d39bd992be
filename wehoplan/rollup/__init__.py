"""The roll-up core (GUIDE §3) in three explicit stages, DataFrame in, new DataFrame out.

1. ``tree = prepare_tree(items)``: a frozen :class:`PreparedTree` (structure, effective
   values, and the indices the later stages read, computed once per tree).
2. ``states = leaf_states(tree, updates, dates, thresholds)``: every leaf's as-of state
   at every date; independent of the filters, so the pages cache it per data version.
   ``updates`` may be ``prepare_updates(tree, updates)``, the updates as lookup arrays,
   made once per data version (the pages' cache does).
3. ``roll_up(tree, states, filters)`` (one date: the table) or
   ``roll_up_many(tree, states, filters)`` (a trend: one row per date and item).

The rules themselves are in :mod:`wehoplan.rollup.rules`; :mod:`wehoplan.rollup.engine`
makes them fast. ``rollup_table`` / ``rollup`` run all three stages for one date.
"""

from __future__ import annotations

import pandas as pd

from wehoplan.filters import Filters
from wehoplan.rollup.engine import COUNT_COLUMNS, aggregate
from wehoplan.rollup.rules import Thresholds
from wehoplan.rollup.stages import (
    GROUP_KINDS,
    ROLLUP_COLUMNS,
    group_leaves,
    plan_total,
    roll_up,
    roll_up_many,
    select_leaves,
)
from wehoplan.rollup.states import PreparedUpdates, first_completed, leaf_states, prepare_updates
from wehoplan.rollup.tree import ROOT_ID, PreparedTree, prepare_tree

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
