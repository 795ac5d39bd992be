"""Dashboard numbers and tables, computed from one roll-up table (no Streamlit).

Every function takes the frame of :func:`wehoplan.rollup.rollup_table` (already
filtered and evaluated at the as-of date) and returns a small new frame or value
that a page shows as is. :func:`overview`, :func:`action_report` and
:func:`departments` gather everything one page shows into one frozen object, which
``wehoplan.ui.draw`` draws (and the benchmark floors draw the same object, pickled).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from wehoplan import charts

# The Action Report's rows have their own module; its page object and options are the dashboard's too.
from wehoplan.action_report import (  # noqa: F401
    _LABELS,
    LAYOUT_OPTIONS,
    REPORT_COLUMNS,
    SHOW_OPTIONS,
    TABLE_COLUMNS,
    ActionReport,
    ReportLabels,
    action_report,
    report_labels,
    report_rows,
)
from wehoplan.domain import HEALTH_LABELS, STATUS_KEYS, STATUS_LABELS, smart_names
from wehoplan.rollup import ROOT_ID, PreparedTree, Thresholds, first_completed, group_leaves
from wehoplan.rollup.engine import LEAF_COUNT_COLUMNS
from wehoplan.table_columns import (
    _col,
    _days,
    _health_text,
    _labels,
    _objects,
    _status_text,
    _take,
    _text,
    health_words,
    status_words,
)

RECENT_DAYS = 90
#: The roll-up table's columns :func:`overview` reads when it is given the prepared tree (the page rolls up
#: only these: ``roll_up(..., columns=OVERVIEW_COLUMNS)``).
OVERVIEW_COLUMNS = frozenset({"id", "is_leaf", "depth", "order", "code", "title", "level", "status", "health",
                              "progress", "expected_progress", "due", "last_update", "overdue", "stale",
                              *LEAF_COUNT_COLUMNS})
#: The roll-up table's columns :func:`departments` reads.
DEPARTMENTS_COLUMNS = frozenset({"id", "is_leaf", "department", "smart", "owner", "status", "weight", "progress",
                                 "expected_progress", *LEAF_COUNT_COLUMNS})


@dataclass(frozen=True)
class Kpis:
    """The executive overview's headline numbers."""

    progress: float
    expected_progress: float | None
    share_on_track: float | None  # on track or completed, among actions not deferred or pending
    n_actions: int
    n_overdue: int
    n_completed_recently: int
    n_stale: int
    health: str = ""  # the plan's (the selection's) schedule health key, GUIDE §3
    n_behind_schedule: int = 0  # second-level items (initiatives) behind or at risk
    behind_label: str = "Initiatives behind schedule"  # with the plan's own name for its second level


def leaves(table: pd.DataFrame, columns: list[str] | None = None) -> pd.DataFrame:
    """Return the selected leaves of a roll-up table (the actions), optionally only ``columns``.

    Asking for the columns a caller reads avoids copying the whole ~40-column table on
    every rerun (measured in bench/README.md).
    """
    if columns is None:
        return table[table["is_leaf"] & (table["id"] != ROOT_ID)]
    return table.loc[(table["is_leaf"] & (table["id"] != ROOT_ID)).to_numpy(dtype=bool), columns]


def kpis(table: pd.DataFrame, updates: pd.DataFrame, as_of: pd.Timestamp | str, recent_days: int = RECENT_DAYS,
         first_done: pd.Series | None = None) -> Kpis | None:
    """Headline numbers of the selection at ``as_of``; None when nothing is selected.

    ``n_completed_recently`` counts selected actions completed at ``as_of`` whose first
    completed update falls within the last ``recent_days`` days. ``first_done``:
    :func:`wehoplan.rollup.first_completed` at ``as_of`` when the caller has it (it does
    not depend on the filters; computing it scans every update).
    """
    ids = table["id"].to_numpy()
    root = np.flatnonzero(ids == ROOT_ID)
    if not len(root):
        return None
    r = root[0]
    at = np.flatnonzero(table["is_leaf"].to_numpy(dtype=bool) & (ids != ROOT_ID))
    # The plan row counts the selected actions per status (a leaf row counts itself: 1 in its
    # status's column), so no status word is read: an action without a known status counts
    # as active and not on track, as before.
    n = {c: int(table[c].to_numpy()[r]) for c in ("n_leaves", "n_on_track", "n_completed", "n_deferred",
                                                    "n_pending")}
    good = n["n_on_track"] + n["n_completed"]
    n_active = n["n_leaves"] - n["n_deferred"] - n["n_pending"]
    as_of = pd.Timestamp(as_of).normalize()
    done_ids = ids[at][table["n_completed"].to_numpy()[at] == 1]
    if first_done is None:
        first_done = first_completed(updates, as_of)
    first = first_done.to_numpy()[np.isin(first_done.index.to_numpy(), done_ids)]
    recent = int((first > (as_of - pd.Timedelta(days=recent_days)).to_datetime64()).sum())
    expected = table["expected_progress"].to_numpy()[r]
    level, behind = behind_schedule(table)
    return Kpis(
        progress=float(table["progress"].to_numpy()[r]),
        expected_progress=None if pd.isna(expected) else float(expected),
        share_on_track=float(good / n_active * 100) if n_active else None,
        n_actions=n["n_leaves"],
        n_overdue=int(table["n_overdue"].to_numpy()[r]),
        n_completed_recently=recent,
        n_stale=int(table["stale"].to_numpy(dtype=bool)[at].sum()),
        health=str(_col(table, "health", root)[0]),
        n_behind_schedule=behind,
        behind_label=f"{plural(level)} behind schedule",
    )


def plural(name: str) -> str:
    """A level name in the plural ("Initiative" -> "Initiatives", "Strategy" -> "Strategies")."""
    if name.endswith("y") and not name.endswith(("ay", "ey", "oy", "uy")):
        return name[:-1] + "ies"
    return name if name.endswith("s") else name + "s"


def behind_schedule(table: pd.DataFrame, depth: int = 2) -> tuple[str, int]:
    """The level name at ``depth`` and how many of its items are behind or at risk on schedule.

    The second level (initiatives, by default names) is where a plan's work is managed:
    the count a City Manager reads beside the owners' own statuses.
    """
    at = np.flatnonzero(table["depth"].to_numpy() == depth)
    level = str(_col(table, "level", at[:1])[0]) if len(at) else ("Initiative" if depth == 2 else f"Level {depth}")
    return level, int(np.isin(_col(table, "health", at), ["behind", "at_risk"]).sum())


def summary_table(table: pd.DataFrame, max_depth: int = 2, status_key: bool = True) -> pd.DataFrame:
    """Strategies and initiatives (depth ≤ ``max_depth``) with progress and leaf counts per status.

    ``status_key``: False leaves out the ``status_key`` column (the Overview shows none).
    """
    depth = table["depth"].to_numpy()
    at = np.flatnonzero((depth >= 1) & (depth <= max_depth))  # only the columns shown: no 40-column copy
    status = _col(table, "status", at)
    titles = _col(table, "title", at)
    return pd.DataFrame({
        "Code": _text(_col(table, "code", at)),
        "Title": _objects(["\u2003" * (int(d) - 1) + t if isinstance(t, str) else t
                        for d, t in zip(depth[at], titles, strict=True)]),
        "Level": _objects(_col(table, "level", at)),
        "Status": _objects(_labels(status, STATUS_LABELS)),
        "Health": _objects(_labels(_col(table, "health", at), HEALTH_LABELS, "")),
        "Progress": table["progress"].to_numpy(dtype="float64")[at].round(1),
        "Expected": table["expected_progress"].to_numpy(dtype="float64")[at].round(1),
        **{STATUS_LABELS[k].split(" /")[0]: table[f"n_{k}"].to_numpy(dtype="int64")[at] for k in STATUS_KEYS},
        "Overdue": table["n_overdue"].to_numpy(dtype="int64")[at],
        **({"status_key": _objects(status)} if status_key else {}),
    }, index=table.index[at])


def strategy_progress(table: pd.DataFrame) -> pd.DataFrame:
    """``name, progress, expected_progress, status`` per top-level item (for a bar chart)."""
    at = np.flatnonzero(table["depth"].to_numpy() == 1)
    names = charts.joined_names(_take(table, "code", at), _take(table, "title", at))
    return pd.DataFrame({
        "name": charts.short_names(names).to_numpy(),
        "progress": table["progress"].to_numpy()[at],
        "expected_progress": table["expected_progress"].to_numpy()[at],
        "status": _objects(_take(table, "status", at)),
    })


def status_counts(table: pd.DataFrame) -> pd.DataFrame:
    """``status, n``: selected actions per status (all statuses, in GUIDE order)."""
    root = np.flatnonzero(table["id"].to_numpy() == ROOT_ID)
    n = [int(table[f"n_{k}"].to_numpy()[root[0]]) if len(root) else 0 for k in STATUS_KEYS]
    return pd.DataFrame({"status": list(STATUS_KEYS), "n": n})


# The reasons an action needs attention, by its flags (major disruption 4, overdue 2, stale 1), joined once.
_REASONS = np.array([", ".join(w for bit, w in ((4, "major disruption"), (2, "overdue"), (1, "stale")) if r & bit)
                     for r in range(8)], dtype=object)


def needs_attention(table: pd.DataFrame, labels: ReportLabels | None = None) -> pd.DataFrame:
    """Actions in major disruption, overdue or stale, worst first, with owner and department.

    ``labels``: :func:`report_labels` of the tree ``table`` was rolled up from (code, title,
    owner and department are then taken from it).
    """
    leaf = table["is_leaf"].to_numpy(dtype=bool) & (table["id"].to_numpy() != ROOT_ID)
    # A leaf row counts itself in its status's column: 1 in n_major_disruption, no status word read.
    major = (table["n_major_disruption"].to_numpy() == 1) & leaf
    overdue = table["overdue"].to_numpy(dtype=bool) & leaf
    stale = table["stale"].to_numpy(dtype=bool) & leaf
    at = np.flatnonzero(major | overdue | stale)
    # Worst first (major disruption, then overdue, then stale), outline order among equals.
    rank = major[at].astype(int) * 4 + overdue[at].astype(int) * 2 + stale[at].astype(int)
    by = np.lexsort((table["order"].to_numpy()[at], -rank))
    at, rank = at[by], rank[by]
    reasons = _REASONS[rank]  # each row's reasons, by its three flags
    if labels is None:
        code, title = _take(table, "code", at), _take(table, "title", at)
        owner, department = _take(table, "owner", at).fillna(""), _take(table, "department", at).fillna("")
    else:
        where = labels.at(table, at)
        code, title, owner, department = (a.take(where) for a in (labels.code, labels.title, labels.owner,
                                                                    labels.department))
    return pd.DataFrame({
        "Code": code, "Title": title,
        "Why": _text(reasons),
        "Owner": owner, "Department": department,
        "Due": _days(table, "due", at), "Status": status_words(table, at), "Health": health_words(table, at),
        "Progress": table["progress"].to_numpy(dtype="float64")[at].round(1),
        "Last update": _days(table, "last_update", at),
    })


def heatmap_data(table: pd.DataFrame) -> pd.DataFrame:
    """``department, smart, n_leaves, progress`` per (department, SMART value) with actions.

    An action tagged with several SMART values counts in each; progress is the plain
    mean of the cell's non-deferred actions (all of them when every one is deferred).
    """
    at = np.flatnonzero(table["is_leaf"].to_numpy(dtype=bool) & (table["id"].to_numpy() != ROOT_ID))
    if not len(at):
        return pd.DataFrame(columns=["department", "smart", "n_leaves", "progress"])
    # Only what the cells read, at the leaves' rows (no frame of them: its copy cost more than the cells).
    lv = {c: pd.Series(table[c].array.take(at)) for c in ("department", "smart", "progress", "status")}
    # One (department, SMART value) row per tag of each leaf, in leaf order, then the
    # cells in sorted order, numbered in plain Python: a few thousand rows at most, where
    # explode + a named groupby.agg cost several times more (bench/README.md). The means stay pandas' own
    # (same summation, so the same numbers to the last bit).
    # Each distinct department and tag set is looked at once; the leaves are spread by code.
    d_code, depts = pd.factorize(lv["department"].fillna("(none)").astype(str).to_numpy(dtype=object))
    s_code, smarts = pd.factorize(lv["smart"].fillna("").astype(str).to_numpy(dtype=object))
    tag_names = [smart_names(tags) or ["(none)"] for tags in smarts]  # a few distinct tag sets
    words = sorted({w for ws in tag_names for w in ws})
    word_no = {w: i for i, w in enumerate(words)}
    width = max(len(ws) for ws in tag_names)
    table_of = np.array([[word_no[w] for w in ws] + [0] * (width - len(ws)) for ws in tag_names], dtype="int64")
    per_set = np.array([len(ws) for ws in tag_names], dtype="int64")
    # One row per tag of each leaf, in leaf order and each leaf's tag order.
    per_leaf = per_set[s_code]
    rows = np.repeat(np.arange(len(at), dtype="int64"), per_leaf)
    nth = np.arange(len(rows), dtype="int64") - np.repeat(np.cumsum(per_leaf) - per_leaf, per_leaf)
    pair = d_code[rows].astype("int64") * len(words) + table_of[s_code[rows], nth]
    # The cells in sorted (department, SMART value) order, numbered: the same cells and numbers
    # as sorting the set of (department, value) pairs.
    present = np.unique(pair)
    keys = sorted((str(depts[p // len(words)]), words[p % len(words)], p) for p in present.tolist())
    number = np.empty(int(present.max()) + 1, dtype="int64")
    number[[k[2] for k in keys]] = np.arange(len(keys), dtype="int64")
    gid = number[pair]
    progress = lv["progress"].to_numpy(dtype="float64", na_value=np.nan)[rows]
    not_deferred = (lv["status"] != "deferred").to_numpy(dtype=bool)[rows]
    p_nd = pd.Series(np.where(not_deferred, progress, np.nan)).groupby(gid).mean().to_numpy()
    p_all = pd.Series(progress).groupby(gid).mean().to_numpy()
    return pd.DataFrame({
        "department": pd.Series([k[0] for k in keys], dtype="str"),
        "smart": pd.Series([k[1] for k in keys], dtype="str"),
        "n_leaves": np.bincount(gid, minlength=len(keys)).astype("int64"),
        "progress": np.where(np.isnan(p_nd), p_all, p_nd),
    })


def status_counts_by(table: pd.DataFrame, by: str) -> pd.DataFrame:
    """``group, status, n``: selected actions per status for each ``department`` or ``owner``.

    Groups are ordered by their number of actions, most first.
    """
    at = np.flatnonzero(table["is_leaf"].to_numpy(dtype=bool) & (table["id"].to_numpy() != ROOT_ID))
    if not len(at):
        return pd.DataFrame(columns=["group", "status", "n"])
    # The two columns at the leaves' rows (no frame of them: its copy cost more than the counting).
    group_values, status_values = (pd.Series(table[c].array.take(at)) for c in (by, "status"))
    # Counted in plain Python (hundreds of owners: two groupbys, a map and a sort cost
    # more than the counting, see bench/README.md). Groups by their number of actions, most first (ties by name, as
    # the stable sort of the name-sorted groups gave); statuses by name within a group.
    # Counted by code: each distinct group and status named once, the (group, status) pairs
    # counted with numpy; only the distinct names are sorted in Python (the same string order).
    g_code, groups = pd.factorize(group_values.fillna("(none)").astype(str).to_numpy(dtype=object))
    s_code, statuses = pd.factorize(status_values.astype(str).to_numpy(dtype=object))
    pairs, n = np.unique(g_code.astype("int64") * len(statuses) + s_code, return_counts=True)
    size = np.bincount(g_code, minlength=len(groups))
    g_rank = np.empty(len(groups), dtype="int64")  # most actions first, name order among equals
    g_rank[sorted(range(len(groups)), key=lambda i: (-size[i], groups[i]))] = np.arange(len(groups))
    s_rank = np.empty(len(statuses), dtype="int64")
    s_rank[sorted(range(len(statuses)), key=lambda i: statuses[i])] = np.arange(len(statuses))
    g_at, s_at = pairs // len(statuses), pairs % len(statuses)
    order = np.lexsort((s_rank[s_at], g_rank[g_at]))
    return pd.DataFrame({
        "group": pd.Series(groups[g_at[order]].tolist(), dtype="str"),
        "status": pd.Series(statuses[s_at[order]].tolist(), dtype="str"),
        "n": n[order].astype("int64"),
    })


# ---------------------------------------------------------------- one object per page


@dataclass(frozen=True)
class Metric:
    """One headline number as a page shows it."""

    label: str
    value: str
    delta: str | None = None
    help: str | None = None


# eq=False: frames have no single truth value, so the generated __eq__ would raise.
@dataclass(frozen=True, eq=False)
class Overview:
    """What the executive overview (``app.py``) shows of a selection."""

    kpis: Kpis
    metrics: tuple[Metric, ...]  # the six headline numbers, formatted, in page order
    strategy_progress: pd.DataFrame  # :func:`strategy_progress`
    status_counts: pd.DataFrame  # :func:`status_counts`
    progress_chart: charts.AnyChart
    status_chart: charts.AnyChart
    summary: pd.DataFrame  # :func:`summary_table` as shown (without ``status_key``)
    attention: pd.DataFrame  # :func:`needs_attention`
    attention_caption: str  # the line above a non-empty attention table


def _metrics(k: Kpis, th: Thresholds) -> tuple[Metric, ...]:
    gap = None if k.expected_progress is None else k.progress - k.expected_progress
    return (
        Metric("Overall progress", f"{k.progress:.0f} %",
               None if gap is None else f"{gap:+.0f} pts vs expected {k.expected_progress:.0f} %",
               "Rolled-up progress of the selection; the delta compares it with the progress "
               "expected from start and due dates."),
        Metric("On track", "–" if k.share_on_track is None else f"{k.share_on_track:.0f} %",
               help="Share of started, non-deferred actions that are on track or completed."),
        Metric(k.behind_label, str(k.n_behind_schedule),
               help=f"Behind (progress below {th.on_schedule_ratio:.0%} of the progress expected by now) or at "
                    f"risk (below {th.behind_ratio:.0%}, or an action past its due date): the plan's own "
                    "arithmetic, beside the statuses the owners report."),
        Metric("Overdue actions", str(k.n_overdue), help="Open actions past their due date."),
        Metric(f"Completed, last {RECENT_DAYS} days", str(k.n_completed_recently)),
        Metric("Stale actions", str(k.n_stale),
               help=f"Open actions with no update for more than {th.stale_days} days."),
    )


def overview(table: pd.DataFrame, updates: pd.DataFrame, as_of: pd.Timestamp | str, first_done: pd.Series,
             thresholds: Thresholds, prepared: PreparedTree | None = None) -> Overview | None:
    """Everything the executive overview shows; None when nothing is selected.

    Args:
        table: the roll-up table of the selection at ``as_of``.
        updates: the plan's updates.
        as_of: the as-of date.
        first_done: :func:`wehoplan.rollup.first_completed` at ``as_of`` (filter-independent,
            so the caller caches it).
        thresholds: the schedule thresholds the table was rolled up with (their stale days
            appear in the help texts).
        prepared: the prepared tree ``table`` was rolled up from, when the caller has it: the
            attention table's code, title, owner and department come from :func:`report_labels`.

    """
    k = kpis(table, updates, as_of, first_done=first_done)
    if k is None:
        return None
    bars, mix = strategy_progress(table), status_counts(table)
    attention = needs_attention(table, None if prepared is None else report_labels(prepared))
    n = len(attention)
    return Overview(
        kpis=k, metrics=_metrics(k, thresholds), strategy_progress=bars, status_counts=mix,
        # The doughnut beside it carries the status legend: one legend, not two identical ones.
        progress_chart=charts.progress_bars(bars, "Progress by strategy (tick = expected)", status_legend=False),
        status_chart=charts.status_mix(mix),
        summary=summary_table(table, status_key=False), attention=attention,
        attention_caption=f"{n} action{'s' if n != 1 else ''}: major disruption, overdue, or no update for "
                          f"{thresholds.stale_days}+ days.",
    )


@dataclass(frozen=True, eq=False)
class Departments:
    """What the Departments & SMART values page shows."""

    heatmap: pd.DataFrame  # :func:`heatmap_data`
    by_department: pd.DataFrame  # roll-up per department, best progress first (``name`` + roll-up columns)
    by_smart: pd.DataFrame  # roll-up per SMART value
    department_status: pd.DataFrame  # :func:`status_counts_by` department
    owner_status: pd.DataFrame  # :func:`status_counts_by` owner
    heatmap_chart: charts.AnyChart
    department_chart: charts.AnyChart
    department_status_chart: charts.AnyChart
    smart_chart: charts.AnyChart
    owner_status_chart: charts.AnyChart
    department_table: pd.DataFrame  # :func:`group_table` of by_department: status beside schedule health


def group_table(groups: pd.DataFrame, label: str) -> pd.DataFrame:
    """A :func:`wehoplan.rollup.group_leaves` roll-up (``name`` column) as a page shows it, health beside status."""
    return pd.DataFrame({
        label: groups["name"].astype(str).to_numpy(),
        "Actions": groups["n_leaves"].astype("int64").to_numpy(),
        "Status": _status_text(groups["status"]),
        "Health": _health_text(groups["health"]),
        "Progress": groups["progress"].round(1).to_numpy(),
        "Expected": groups["expected_progress"].round(1).to_numpy(),
        "Overdue": groups["n_overdue"].astype("int64").to_numpy(),
    })


def departments(table: pd.DataFrame, thresholds: Thresholds | None = None) -> Departments | None:
    """The department, SMART and owner views of the selection; None when no action is selected.

    ``thresholds``: the schedule-health ratios the groups' health is read with (default: the defaults).
    """
    th = thresholds or Thresholds()
    if not (table["is_leaf"] & (table["id"] != ROOT_ID)).any():
        return None
    heat = heatmap_data(table)
    by_dept = group_leaves(table, "department", th).rename(columns={"group": "name"}) \
        .sort_values("progress", ascending=False)
    by_smart = group_leaves(table, "smart", th).rename(columns={"group": "name"})
    dept_status, owner_status = status_counts_by(table, "department"), status_counts_by(table, "owner")
    return Departments(
        heatmap=heat, by_department=by_dept, by_smart=by_smart, department_status=dept_status,
        owner_status=owner_status,
        heatmap_chart=charts.heatmap(heat, "Department × SMART value (number = actions, colour = progress)"),
        department_chart=charts.progress_bars(by_dept, "Progress by department (tick = expected)"),
        department_status_chart=charts.status_counts_bar(dept_status, "Department",
                                                         "Actions per status, by department"),
        smart_chart=charts.progress_bars(by_smart, "Progress by SMART value (tick = expected)"),
        owner_status_chart=charts.status_counts_bar(owner_status, "Owner", "Workload by owner (actions per status)"),
        department_table=group_table(by_dept, "Department"),
    )
