"""Reference copy of wehoplan.dashboard before issue 15's fifth pass (tests/test_pages_equal.py compares against it).

Dashboard numbers and tables, computed from one roll-up table (no Streamlit).

Every function takes the frame of :func:`wehoplan.rollup.rollup_table` (already
filtered and evaluated at the as-of date) and returns a small new frame or value
that a page shows as is. :func:`overview`, :func:`action_report` and
:func:`departments` gather everything one page shows into one frozen object, which
``wehoplan.ui.draw`` draws (and the benchmark floors draw the same object, pickled).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import chart_reference as charts
import numpy as np
import pandas as pd

from wehoplan.domain import HEALTH_LABELS, STATUS_KEYS, STATUS_LABELS, smart_names
from wehoplan.rollup import ROOT_ID, Thresholds, first_completed, group_leaves

RECENT_DAYS = 90


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
    root = table[table["id"] == ROOT_ID]
    if root.empty:
        return None
    total = root.iloc[0]
    lv = leaves(table, ["id", "status", "stale"])
    active = lv[~lv["status"].isin(["deferred", "pending"])]
    good = active["status"].isin(["on_track", "completed"]).sum()
    as_of = pd.Timestamp(as_of).normalize()
    done_ids = lv.loc[lv["status"] == "completed", "id"]
    if first_done is None:
        first_done = first_completed(updates, as_of)
    first_done = first_done[first_done.index.isin(done_ids)]
    recent = int((first_done > as_of - pd.Timedelta(days=recent_days)).sum())
    expected = total["expected_progress"]
    level, behind = behind_schedule(table)
    return Kpis(
        progress=float(total["progress"]),
        expected_progress=None if pd.isna(expected) else float(expected),
        share_on_track=float(good / len(active) * 100) if len(active) else None,
        n_actions=int(total["n_leaves"]),
        n_overdue=int(total["n_overdue"]),
        n_completed_recently=recent,
        n_stale=int(lv["stale"].sum()),
        health=str(total["health"]),
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
    rows = table.loc[table["depth"].to_numpy() == depth, ["level", "health"]]
    level = str(rows["level"].iloc[0]) if len(rows) else ("Initiative" if depth == 2 else f"Level {depth}")
    return level, int(rows["health"].isin(["behind", "at_risk"]).sum())


def _status_text(s: pd.Series) -> pd.Series:
    return s.astype("string").map(STATUS_LABELS)


def _health_text(s: pd.Series) -> pd.Series:
    """Schedule-health words ("At risk"); blank where health does not apply."""
    return s.astype("string").map(HEALTH_LABELS).fillna("").astype(str)


def summary_table(table: pd.DataFrame, max_depth: int = 2) -> pd.DataFrame:
    """Strategies and initiatives (depth ≤ ``max_depth``) with progress and leaf counts per status."""
    depth = table["depth"].to_numpy()
    rows = table.loc[(depth >= 1) & (depth <= max_depth),  # only the columns shown: no 40-column copy
                     ["code", "title", "depth", "level", "status", "health", "progress", "expected_progress",
                      *(f"n_{k}" for k in STATUS_KEYS), "n_overdue"]]
    indent = rows["depth"].map(lambda d: "\u2003" * (d - 1)).astype(str)  # str even with no rows
    return pd.DataFrame({
        "Code": rows["code"].astype(str),
        "Title": (indent + rows["title"].astype(str)).to_numpy(),
        "Level": rows["level"].astype(str).to_numpy(),
        "Status": _status_text(rows["status"]).to_numpy(),
        "Health": _health_text(rows["health"]).to_numpy(),
        "Progress": rows["progress"].round(1).to_numpy(),
        "Expected": rows["expected_progress"].round(1).to_numpy(),
        **{STATUS_LABELS[k].split(" /")[0]: rows[f"n_{k}"].astype("int64").to_numpy() for k in STATUS_KEYS},
        "Overdue": rows["n_overdue"].astype("int64").to_numpy(),
        "status_key": rows["status"].astype(str).to_numpy(),
    })


def strategy_progress(table: pd.DataFrame) -> pd.DataFrame:
    """``name, progress, expected_progress, status`` per top-level item (for a bar chart)."""
    top = table.loc[table["depth"].to_numpy() == 1, ["code", "title", "progress", "expected_progress", "status"]]
    return pd.DataFrame({
        "name": charts.short_names(top["code"].astype(str) + " " + top["title"].astype(str)).to_numpy(),
        "progress": top["progress"].to_numpy(),
        "expected_progress": top["expected_progress"].to_numpy(),
        "status": top["status"].astype(str).to_numpy(),
    })


def status_counts(table: pd.DataFrame) -> pd.DataFrame:
    """``status, n``: selected actions per status (all statuses, in GUIDE order)."""
    root = table.loc[table["id"].to_numpy() == ROOT_ID, [f"n_{k}" for k in STATUS_KEYS]]
    n = [int(root.iloc[0][f"n_{k}"]) if len(root) else 0 for k in STATUS_KEYS]
    return pd.DataFrame({"status": list(STATUS_KEYS), "n": n})


def needs_attention(table: pd.DataFrame) -> pd.DataFrame:
    """Actions in major disruption, overdue or stale, worst first, with owner and department."""
    lv = leaves(table, ["code", "title", "owner", "department", "due", "status", "health", "progress", "last_update",
                        "order", "overdue", "stale"])
    flagged = lv[(lv["status"] == "major_disruption") | lv["overdue"] | lv["stale"]]
    # One join per row over three booleans: a row-wise DataFrame.apply was the slow part of the page.
    words = ("major disruption", "overdue", "stale")
    reasons = pd.Series([", ".join(w for w, on in zip(words, row, strict=True) if on) for row in zip(
        (flagged["status"] == "major_disruption").to_numpy(), flagged["overdue"].to_numpy(dtype=bool),
        flagged["stale"].to_numpy(dtype=bool), strict=True)], index=flagged.index, dtype=object)
    rank = (flagged["status"] == "major_disruption").astype(int) * 4 + flagged["overdue"].astype(int) * 2 \
        + flagged["stale"].astype(int)
    out = pd.DataFrame({
        "Code": flagged["code"].astype(str), "Title": flagged["title"].astype(str),
        "Why": reasons.astype(str) if len(flagged) else pd.Series(dtype=str),
        "Owner": flagged["owner"].fillna(""), "Department": flagged["department"].fillna(""),
        "Due": flagged["due"].dt.date, "Status": _status_text(flagged["status"]),
        "Health": _health_text(flagged["health"]),
        "Progress": flagged["progress"].round(1), "Last update": flagged["last_update"].dt.date,
        "_rank": rank, "_order": flagged["order"],
    })
    return out.sort_values(["_rank", "_order"], ascending=[False, True]).drop(columns=["_rank", "_order"]) \
        .reset_index(drop=True)


# What a reader scans first (status, progress) comes before who and when.
REPORT_COLUMNS = ["Code", "Title", "Status", "Health", "Progress", "Expected", "Owner", "Department", "SMART",
                  "Start", "Due", "Overdue", "Latest comment", "Comment date", "Level"]


SHOW_OPTIONS = {"all": "All", "overdue": "Overdue", "attention": "Needs attention"}


def report_rows(table: pd.DataFrame, tree: bool = True, show: str = "all") -> pd.DataFrame:
    """Build the rows of the tabular action report of the selection.

    Args:
        table: the roll-up table.
        tree: True: strategies, initiatives and actions in outline order (titles
            indented); False: the actions only, flat.
        show: ``all``; ``overdue`` (overdue actions only) or ``attention`` (major
            disruption, overdue or stale), each with their strategies and
            initiatives in tree layout.

    Returns:
        Columns :data:`REPORT_COLUMNS` (plus ``status_key``), progress in percent.

    """
    rows = table[table["id"] != ROOT_ID]
    if show != "all":
        lv = rows[rows["is_leaf"]]
        hit = lv["overdue"] if show == "overdue" else \
            (lv["overdue"] | lv["stale"] | (lv["status"] == "major_disruption"))
        keep = lv.loc[hit.astype(bool), "code"].astype(str)
        # Keep the flagged actions and their ancestors (their path), in outline order.
        ancestors = {c.rsplit(".", i)[0] for c in keep for i in range(c.count(".") + 1)}
        rows = rows[rows["code"].astype(str).isin(ancestors | set(keep))]
    if not tree:
        rows = rows[rows["is_leaf"]]
    indent = rows["depth"].map(lambda d: "\u2003" * max(int(d) - 1, 0)).astype(str) if tree else ""
    smart = rows["smart"].map(lambda s: ", ".join(smart_names(s))).astype(str)
    return pd.DataFrame({
        "Code": rows["code"].astype(str),
        "Level": rows["level"].astype(str),
        "Title": indent + rows["title"].astype(str),
        "Owner": rows["owner"].fillna(""),
        "Department": rows["department"].fillna(""),
        "SMART": smart,
        "Start": rows["start"].dt.date,
        "Due": rows["due"].dt.date,
        "Status": _status_text(rows["status"]),
        "Health": _health_text(rows["health"]),
        "Progress": rows["progress"].round(1),
        "Expected": rows["expected_progress"].round(1),
        "Overdue": rows["n_overdue"].astype("int64"),
        "Latest comment": rows["comment"].fillna(""),
        "Comment date": rows["comment_date"].dt.date,
        "status_key": rows["status"].astype(str),
    })[[*REPORT_COLUMNS, "status_key"]].reset_index(drop=True)


def heatmap_data(table: pd.DataFrame) -> pd.DataFrame:
    """``department, smart, n_leaves, progress`` per (department, SMART value) with actions.

    An action tagged with several SMART values counts in each; progress is the plain
    mean of the cell's non-deferred actions (all of them when every one is deferred).
    """
    lv = leaves(table)
    if lv.empty:
        return pd.DataFrame(columns=["department", "smart", "n_leaves", "progress"])
    # One (department, SMART value) row per tag of each leaf, in leaf order, then the
    # cells in sorted order, numbered in plain Python: a few thousand rows at most, where
    # explode + a named groupby.agg cost several times more (bench/README.md). The means stay pandas' own
    # (same summation, so the same numbers to the last bit).
    depts = lv["department"].fillna("(none)").astype(str).tolist()
    smarts = lv["smart"].fillna("").astype(str).tolist()
    row_of, cell = [], []
    for i, (d, tags) in enumerate(zip(depts, smarts, strict=True)):
        for name in smart_names(tags) or ["(none)"]:
            row_of.append(i)
            cell.append((d, name))
    keys = sorted(set(cell))
    number = {k: n for n, k in enumerate(keys)}
    gid = np.fromiter((number[k] for k in cell), dtype="int64", count=len(cell))
    rows = np.asarray(row_of, dtype="int64")
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
    is_leaf = (table["is_leaf"] & (table["id"] != ROOT_ID)).to_numpy(dtype=bool)
    lv = table.loc[is_leaf, [by, "status"]]
    if lv.empty:
        return pd.DataFrame(columns=["group", "status", "n"])
    # Counted in plain Python (hundreds of owners: two groupbys, a map and a sort cost
    # more than the counting, see bench/README.md). Groups by their number of actions, most first (ties by name, as
    # the stable sort of the name-sorted groups gave); statuses by name within a group.
    pairs = Counter(zip(lv[by].fillna("(none)").astype(str).tolist(), lv["status"].astype(str).tolist(),
                        strict=True))
    size: dict[str, int] = {}
    for (group, _), n in sorted(pairs.items()):
        size[group] = size.get(group, 0) + n
    groups = sorted(size, key=lambda name: -size[name])  # stable: name order among equals
    rank = {name: i for i, name in enumerate(groups)}
    keys = sorted(pairs, key=lambda k: (rank[k[0]], k[1]))
    return pd.DataFrame({
        "group": pd.Series([k[0] for k in keys], dtype="str"),
        "status": pd.Series([k[1] for k in keys], dtype="str"),
        "n": np.array([pairs[k] for k in keys], dtype="int64"),
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
             thresholds: Thresholds) -> Overview | None:
    """Everything the executive overview shows; None when nothing is selected.

    Args:
        table: the roll-up table of the selection at ``as_of``.
        updates: the plan's updates.
        as_of: the as-of date.
        first_done: :func:`wehoplan.rollup.first_completed` at ``as_of`` (filter-independent,
            so the caller caches it).
        thresholds: the schedule thresholds the table was rolled up with (their stale days
            appear in the help texts).

    """
    k = kpis(table, updates, as_of, first_done=first_done)
    if k is None:
        return None
    bars, mix = strategy_progress(table), status_counts(table)
    attention = needs_attention(table)
    n = len(attention)
    return Overview(
        kpis=k, metrics=_metrics(k, thresholds), strategy_progress=bars, status_counts=mix,
        # The doughnut beside it carries the status legend: one legend, not two identical ones.
        progress_chart=charts.progress_bars(bars, "Progress by strategy (tick = expected)", status_legend=False),
        status_chart=charts.status_mix(mix),
        summary=summary_table(table).drop(columns=["status_key"]), attention=attention,
        attention_caption=f"{n} action{'s' if n != 1 else ''}: major disruption, overdue, or no update for "
                          f"{thresholds.stale_days}+ days.",
    )


LAYOUT_OPTIONS = {"tree": "Tree", "flat": "Flat (actions only)"}


@dataclass(frozen=True, eq=False)
class ActionReport:
    """What the Action Report page shows: the rows (also the "Rows shown" CSV) and their count."""

    rows: pd.DataFrame  # :data:`REPORT_COLUMNS`, in the chosen layout
    caption: str  # "56 rows (39 of 39 selected actions)..."


def action_report(table: pd.DataFrame, layout: str = "tree", show: str = "all") -> ActionReport | None:
    """The Action Report of the selection; None when no row is left to show.

    Args:
        table: the roll-up table.
        layout: a key of :data:`LAYOUT_OPTIONS` (``tree`` or ``flat``).
        show: a key of :data:`SHOW_OPTIONS` (see :func:`report_rows`).

    """
    tree = layout == "tree"
    rows = report_rows(table, tree=tree, show=show)
    if rows.empty:
        return None
    n_actions = int((table["is_leaf"] & (table["id"] != ROOT_ID)).sum())
    shown = int((rows["Level"] == "Action").sum()) if tree else len(rows)
    return ActionReport(
        rows=rows.drop(columns=["status_key"]),  # the Status column carries the colour
        caption=f"{len(rows)} rows ({shown} of {n_actions} selected actions). Click a column header to sort.",
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
        "Status": _status_text(groups["status"]).to_numpy(),
        "Health": _health_text(groups["health"]).to_numpy(),
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
