"""The Tabular Action Report's rows, computed from one roll-up table (no Streamlit).

:func:`action_report` gathers what the Action Report page shows into one frozen object,
which ``wehoplan.ui.draw`` draws; :func:`report_rows` is the same rows for the extracts and
the command line. The columns no date or filter changes (code, titles, owner, department,
SMART words, level) are made once per prepared tree (:func:`report_labels`).
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass

import numpy as np
import pandas as pd

from wehoplan.domain import smart_names
from wehoplan.rollup import ROOT_ID, PreparedTree
from wehoplan.table_columns import _days, _take, _words, health_words, status_words

REPORT_COLUMNS = ["Code", "Title", "Status", "Health", "Progress", "Expected", "Owner", "Department", "SMART",
                  "Start", "Due", "Overdue", "Latest comment", "Comment date", "Level"]


SHOW_OPTIONS = {"all": "All", "overdue": "Overdue", "attention": "Needs attention"}
#: The roll-up table's columns :func:`action_report` reads when it is given the prepared tree (the
#: page rolls up only these: ``roll_up(..., columns=TABLE_COLUMNS)``).
TABLE_COLUMNS = frozenset({"id", "is_leaf", "order", "code", "status", "health", "progress", "expected_progress",
                           "start", "due", "overdue", "stale", "n_overdue", "comment", "comment_date"})


@dataclass(frozen=True, eq=False)
class ReportLabels:
    """The Action Report's columns that are the same at every date and for every filter, for every item of a tree.

    Arrays over the tree's decorated rows (every item in outline order, then the plan
    row), made as :func:`report_rows` makes them from a roll-up table; a roll-up table's
    rows are found in them by their ``order``. One per prepared tree, i.e. per plan and
    data version (:func:`report_labels`).
    """

    slot: np.ndarray  # order + 1 -> position in the arrays below (-1: no such item)
    code: pd.api.extensions.ExtensionArray
    title: pd.api.extensions.ExtensionArray  # as in the flat layout
    tree_title: pd.api.extensions.ExtensionArray  # indented by depth, as in the tree layout
    owner: pd.api.extensions.ExtensionArray
    department: pd.api.extensions.ExtensionArray
    smart: pd.api.extensions.ExtensionArray
    level: pd.api.extensions.ExtensionArray
    is_action: np.ndarray  # level == "Action"

    def at(self, table: pd.DataFrame, rows: np.ndarray) -> np.ndarray:
        """Positions in the arrays of ``table``'s rows at positions ``rows`` (a roll-up table of this tree)."""
        return self.slot[table["order"].to_numpy(dtype="int64")[rows] + 1]


_LABELS: weakref.WeakKeyDictionary[PreparedTree, ReportLabels] = weakref.WeakKeyDictionary()
_LABELS_LOCK = threading.Lock()


def report_labels(tree: PreparedTree) -> ReportLabels:
    """The :class:`ReportLabels` of a prepared tree, made once per tree (kept while the tree lives).

    A tree is one plan at one data version (the pages' plan cache makes a new one after
    any write), so these never outlive the data they were made from.
    """
    with _LABELS_LOCK:
        labels = _LABELS.get(tree)
    if labels is None:
        labels = _make_labels(tree)
        with _LABELS_LOCK:
            _LABELS[tree] = labels
    return labels


def _make_labels(tree: PreparedTree) -> ReportLabels:
    cols = tree.decorate_with_plan_row  # what a roll-up table's tree columns are taken from
    rows = pd.DataFrame({c: cols[c] for c in ("code", "title", "level", "depth", "order", "owner", "department",
                                              "smart")})
    every = np.arange(len(rows))
    order = rows["order"].to_numpy(dtype="int64")
    slot = np.full(int(order.max(initial=-1)) + 2, -1, dtype="int64")
    slot[order + 1] = every
    return _labels_of(rows, every, slot)


def _labels_of(frame: pd.DataFrame, at: np.ndarray, slot: np.ndarray | None = None) -> ReportLabels:
    """The :class:`ReportLabels` of ``frame``'s rows at positions ``at`` (a roll-up table, or a tree's rows)."""
    titles = _take(frame, "title", at)
    depth = frame["depth"].to_numpy()[at].astype("int64")
    indents = pd.array(["\u2003" * d for d in range(int(depth.max(initial=1)))], dtype="str")
    level = _take(frame, "level", at)
    return ReportLabels(
        slot=np.empty(0, dtype="int64") if slot is None else slot, code=_take(frame, "code", at), title=titles,
        tree_title=indents.take(np.maximum(depth - 1, 0)) + titles,
        owner=_take(frame, "owner", at).fillna(""), department=_take(frame, "department", at).fillna(""),
        smart=_words(_take(frame, "smart", at), lambda s: ", ".join(smart_names(s)), ", ".join(smart_names(None))),
        level=level, is_action=np.asarray(level == "Action", dtype=bool),
    )


def report_rows(table: pd.DataFrame, tree: bool = True, show: str = "all", status_key: bool = True,
                labels: ReportLabels | None = None) -> pd.DataFrame:
    """Build the rows of the tabular action report of the selection.

    Args:
        table: the roll-up table.
        tree: True: strategies, initiatives and actions in outline order (titles
            indented); False: the actions only, flat.
        show: ``all``; ``overdue`` (overdue actions only) or ``attention`` (major
            disruption, overdue or stale), each with their strategies and
            initiatives in tree layout.
        status_key: False leaves out the ``status_key`` column (the Action Report shows none).
        labels: :func:`report_labels` of the tree ``table`` was rolled up from: the columns
            that no date or filter changes are taken from it instead of made again.

    Returns:
        Columns :data:`REPORT_COLUMNS` (plus ``status_key``), progress in percent.

    """
    return _rows(table, tree, show, status_key, labels)[0]


def _rows(table: pd.DataFrame, tree: bool, show: str, status_key: bool,
          labels: ReportLabels | None) -> tuple[pd.DataFrame, np.ndarray]:
    """:func:`report_rows`'s frame, and which of its rows are actions."""
    at = _report_at(table, tree, show)
    if labels is None:  # the tree's columns made from the table's own rows
        labels, where = _labels_of(table, at), np.arange(len(at))
    else:
        where = labels.at(table, at)
    return _report_frame(table, at, where, labels, tree, status_key), labels.is_action[where]


def _report_at(table: pd.DataFrame, tree: bool, show: str) -> np.ndarray:
    """Positions of :func:`report_rows`'s rows in ``table`` (the layout's and the view's rows, outline order)."""
    keep = table["id"].to_numpy() != ROOT_ID
    leaf = table["is_leaf"].to_numpy(dtype=bool)
    if show != "all":
        hit = table["overdue"].to_numpy(dtype=bool)
        if show != "overdue":
            hit = hit | table["stale"].to_numpy(dtype=bool) | \
                (table["status"].to_numpy(dtype=object) == "major_disruption")
        codes = table["code"].astype(str).to_numpy(dtype=object)
        flagged = codes[keep & leaf & hit]
        # Keep the flagged actions and their ancestors (their path), in outline order.
        ancestors = {c.rsplit(".", i)[0] for c in flagged for i in range(c.count(".") + 1)}
        keep = keep & np.isin(codes, list(ancestors | set(flagged)))
    if not tree:
        keep = keep & leaf
    return np.flatnonzero(keep)


def _report_frame(table: pd.DataFrame, at: np.ndarray, where: np.ndarray, labels: ReportLabels, tree: bool,
                  status_key: bool) -> pd.DataFrame:
    """:func:`report_rows`'s frame of ``table``'s rows at ``at``, the tree's columns from ``labels`` at ``where``."""
    status = _take(table, "status", at) if status_key else None
    return pd.DataFrame({
        "Code": labels.code.take(where),
        "Title": (labels.tree_title if tree else labels.title).take(where),
        "Status": status_words(table, at),
        "Health": health_words(table, at),
        "Progress": table["progress"].to_numpy(dtype="float64")[at].round(1),
        "Expected": table["expected_progress"].to_numpy(dtype="float64")[at].round(1),
        "Owner": labels.owner.take(where),
        "Department": labels.department.take(where),
        "SMART": labels.smart.take(where),
        "Start": _days(table, "start", at),
        "Due": _days(table, "due", at),
        "Overdue": table["n_overdue"].to_numpy(dtype="int64")[at],
        "Latest comment": _take(table, "comment", at).fillna(""),
        "Comment date": _days(table, "comment_date", at),
        "Level": labels.level.take(where),
        **({"status_key": status} if status_key else {}),
    })


LAYOUT_OPTIONS = {"tree": "Tree", "flat": "Flat (actions only)"}


@dataclass(frozen=True, eq=False)
class ActionReport:
    """What the Action Report page shows: the rows (also the "Rows shown" CSV) and their count."""

    rows: pd.DataFrame  # :data:`REPORT_COLUMNS`, in the chosen layout
    caption: str  # "56 rows (39 of 39 selected actions)..."


def action_report(table: pd.DataFrame, layout: str = "tree", show: str = "all",
                  prepared: PreparedTree | None = None) -> ActionReport | None:
    """The Action Report of the selection; None when no row is left to show.

    Args:
        table: the roll-up table.
        layout: a key of :data:`LAYOUT_OPTIONS` (``tree`` or ``flat``).
        show: a key of :data:`SHOW_OPTIONS` (see :func:`report_rows`).
        prepared: the prepared tree ``table`` was rolled up from, when the caller has it: the
            columns no date or filter changes are then made once per tree (:func:`report_labels`).

    """
    tree = layout == "tree"
    # No status_key column: the Status column carries the colour.
    rows, action = _rows(table, tree, show, False, None if prepared is None else report_labels(prepared))
    if rows.empty:
        return None
    n_actions = int((table["is_leaf"].to_numpy(dtype=bool) & (table["id"].to_numpy() != ROOT_ID)).sum())
    shown = int(action.sum()) if tree else len(rows)
    return ActionReport(
        rows=rows,
        caption=f"{len(rows)} rows ({shown} of {n_actions} selected actions). Click a column header to sort.",
    )
