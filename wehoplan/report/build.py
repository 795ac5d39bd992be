"""The council packet as data: every figure, table and chart of the PDF, built from two roll-ups.

:func:`build_packet` evaluates the plan at the as-of date and at the comparison date with
the same filters (the same :func:`wehoplan.rollup.rollup_table` the pages and
``wehoplan rollup`` use), and gathers what the packet shows into a frozen :class:`Packet`.
:mod:`wehoplan.report.pdf` lays it out; nothing here knows about pages or fonts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from wehoplan import charts, dashboard
from wehoplan.domain import HEALTH_KEYS, HEALTH_LABELS, STATUS_LABELS
from wehoplan.exporting import DEMO_NOTE
from wehoplan.filters import Filters
from wehoplan.report import changes as ch
from wehoplan.rollup import (
    ROOT_ID,
    PreparedTree,
    PreparedUpdates,
    Thresholds,
    leaf_states,
    prepare_tree,
    prepare_updates,
    roll_up,
)

NARRATIVE_CHARS = 280  # one paragraph per initiative: the packet is read in a meeting, not searched


def day_text(d) -> str:
    """A date as the packet prints it: ``15 Oct 2020`` (blank for a missing date)."""
    return "" if d is None or pd.isna(d) else f"{pd.Timestamp(d).day} {pd.Timestamp(d):%b %Y}"


def pct_text(v) -> str:
    """A 0-100 value with one decimal and a percent sign (blank when missing), as ``wehoplan rollup`` rounds.

    The space before the sign is a no-break space: "100.0" and "%" never part at a line end.
    """
    return "" if v is None or pd.isna(v) else f"{float(v):.1f}\u00a0%"


@dataclass(frozen=True)
class Headline:
    """One headline figure: what it is, its value, and a line that puts it in context."""

    label: str
    value: str
    detail: str = ""


@dataclass(frozen=True, eq=False)
class Packet:
    """Everything the council packet shows, computed; :func:`wehoplan.report.pdf.render` lays it out."""

    plan_name: str
    level_names: tuple[str, ...]
    as_of: pd.Timestamp
    since: pd.Timestamp
    since_reason: str  # why this comparison date ("given", "90 days before the as-of date", ...)
    filters: Filters
    made_by: str
    made_at: dt.datetime
    demo_note: str | None  # the illustrative-data notice, on every page when set
    progress: float | None  # the plan row of the as-of roll-up (= `wehoplan rollup` of the strategies)
    expected_progress: float | None
    headline: tuple[Headline, ...]
    status_counts: pd.DataFrame  # status, label, n (actions)
    health_counts: pd.DataFrame | None  # health, label, n (actions); None before schedule health exists
    strategies: pd.DataFrame  # one row per strategy (see :func:`_item_rows`)
    initiatives: pd.DataFrame  # one row per initiative, with ``strategy_id``
    changes: pd.DataFrame  # :func:`wehoplan.report.changes.diff` of the two roll-ups
    attention: pd.DataFrame  # :func:`wehoplan.dashboard.needs_attention` at the as-of date
    measures: pd.DataFrame | None  # display-ready measure rows, when the plan has measures
    progress_chart: charts.AnyChart
    status_chart: charts.AnyChart
    table: pd.DataFrame  # the as-of roll-up table itself (tests and callers compare against it)
    thresholds: Thresholds  # what "stale" and the health ratios meant for this packet

    @property
    def change_counts(self) -> dict[str, int]:
        """Rows per change kind."""
        return ch.counts(self.changes)


def _latest_narratives(table: pd.DataFrame, tree_frame: pd.DataFrame, depth: int) -> pd.Series:
    """Per item at ``depth``: the latest comment among its actions ("15 Sep 2020 · 1.2.3: text")."""
    lv = table[table["is_leaf"].astype(bool) & (table["id"] != ROOT_ID) & table["comment"].notna()
               & (table["comment"].astype("string").str.strip() != "")]
    if lv.empty:
        return pd.Series(dtype=str)
    paths = lv["id"].map(tree_frame.set_index("id")["path_codes"]).astype("string").str.strip("|").str.split("|")
    codes = dict(zip(tree_frame["code"].astype(str), tree_frame["id"], strict=True))
    anc = paths.map(lambda p: codes.get(p[depth - 1]) if isinstance(p, list) and len(p) >= depth else None)
    lv = lv.assign(_anc=anc).dropna(subset=["_anc"]).sort_values(["comment_date", "order"], kind="stable")
    last = lv.groupby("_anc", sort=False).tail(1)
    text = [f"{day_text(d)} · {c}: {' '.join(str(t).split())}" for d, c, t in
            zip(last["comment_date"], last["code"], last["comment"], strict=True)]
    text = [t if len(t) <= NARRATIVE_CHARS else t[: NARRATIVE_CHARS - 1].rstrip() + "…" for t in text]
    return pd.Series(text, index=last["_anc"].astype("int64").to_numpy(), dtype=str)


def _item_rows(table: pd.DataFrame, depth: int, narratives: pd.Series) -> pd.DataFrame:
    rows = table[(table["depth"] == depth) & (table["id"] != ROOT_ID)]
    own = rows["comment"].fillna("").astype(str)  # a leaf at this depth narrates itself
    health = rows["health"].astype("string") if "health" in rows.columns else pd.Series(pd.NA, index=rows.index)
    return pd.DataFrame({
        "id": rows["id"].astype("int64"), "parent_id": rows["parent_id"].astype("Int64"),
        "code": rows["code"].astype(str), "title": rows["title"].astype(str),
        "status": rows["status"].astype(str), "status_label": rows["status"].astype("string").map(STATUS_LABELS)
        .fillna("").astype(str),
        "health": health.fillna("").astype(str),
        "health_label": health.map(HEALTH_LABELS).fillna("").astype(str),
        "progress": rows["progress"].astype("float64"), "expected_progress": rows["expected_progress"]
        .astype("float64"),
        "owner": rows["owner"].fillna("").astype(str), "department": rows["department"].fillna("").astype(str),
        "n_leaves": rows["n_leaves"].astype("int64"), "n_completed": rows["n_completed"].astype("int64"),
        "n_overdue": rows["n_overdue"].astype("int64"),
        "narrative": rows["id"].map(narratives).fillna(own.where(rows["is_leaf"].astype(bool), "")).astype(str),
    }).reset_index(drop=True)


def _health_counts(table: pd.DataFrame) -> pd.DataFrame | None:
    """Actions per schedule health value; None until the roll-up has a ``health`` column."""
    if "health" not in table.columns:
        return None
    lv = dashboard.leaves(table, ["health"])["health"].astype("string")
    return pd.DataFrame({"health": list(HEALTH_KEYS), "label": [HEALTH_LABELS[k] for k in HEALTH_KEYS],
                         "n": [int((lv == k).sum()) for k in HEALTH_KEYS]})


def _headline(root: pd.Series | None, status: pd.DataFrame, health: pd.DataFrame | None, n_done_since: int,
              since: pd.Timestamp) -> tuple[Headline, ...]:
    if root is None:
        return ()
    progress, expected = root["progress"], root["expected_progress"]
    gap = "" if pd.isna(expected) else f"expected {pct_text(expected)} by now ({progress - expected:+.1f} points)"
    n = status.set_index("status")["n"]
    active = int(n.drop(["pending", "deferred"]).sum())
    good = int(n["on_track"] + n["completed"])
    out = [
        Headline("Overall progress", pct_text(progress), gap),
        Headline("Actions", str(int(root["n_leaves"])),
                 f"{int(n['completed'])} completed, {int(n['pending'])} not started, {int(n['deferred'])} deferred"),
        Headline("On track or completed", f"{good} of {active}", "started actions that are not deferred"),
        Headline("Overdue actions", str(int(root["n_overdue"])), "open actions past their due date"),
        Headline(f"Completed since {day_text(since)}", str(n_done_since), "actions newly completed"),
    ]
    if health is not None:
        h = health.set_index("health")["n"]
        out.append(Headline("Behind or at risk on schedule", str(int(h["behind"] + h["at_risk"])),
                            f"{int(h['at_risk'])} at risk, {int(h['behind'])} behind (progress against expected)"))
    return tuple(out)


def _reuse(tree: PreparedTree, updates: pd.DataFrame, prepared: PreparedUpdates | None) -> PreparedTree:
    """``prepared.tree`` when it is ``tree`` in every row and ``prepared`` is of these very updates, else ``tree``."""
    if prepared is None or prepared.updates is not updates or prepared.tree is tree:
        return tree
    return prepared.tree if prepared.tree.frame.equals(tree.frame) else tree


def _two_rollups(items: pd.DataFrame, updates: pd.DataFrame, since: pd.Timestamp, as_of: pd.Timestamp,
                 filters: Filters, audit: pd.DataFrame | None, thresholds: Thresholds,
                 prepared: PreparedUpdates | None = None):
    """The prepared tree at ``as_of`` and the roll-up tables at ``as_of`` and at ``since``.

    ``prepared``: the caller's :func:`prepare_updates` of ``updates`` (the pages' cached one); used
    for a date whose items make the same tree, so a filter change prepares nothing again.
    """
    events = audit if audit is not None else pd.DataFrame(columns=["id", "at", "action", "entity", "entity_id"])
    if "archived" not in items.columns:
        items = items.assign(archived=False)
    live_after = ch.items_at(items, events, as_of)
    live_before = ch.items_at(items, events, since)
    tree_after = _reuse(prepare_tree(live_after), updates, prepared)
    # Without items added or archived in between, both dates share one tree (prepared once).
    same = live_after is live_before or (len(live_after) == len(live_before)
                                         and live_after["id"].equals(live_before["id"])
                                         and live_after["archived"].equals(live_before["archived"]))
    tree_before = tree_after if same else _reuse(prepare_tree(live_before), updates, prepared)
    # The history is sorted for a tree once (prepare_updates), not once per date, and not at all
    # for the tree the caller prepared it for.
    def prepared_for(tree: PreparedTree) -> PreparedUpdates:
        return prepared if prepared is not None and prepared.tree is tree else prepare_updates(tree, updates)

    prepared_after = prepared_for(tree_after)
    prepared_before = prepared_after if same else prepared_for(tree_before)
    after = roll_up(tree_after, leaf_states(tree_after, prepared_after, [as_of], thresholds), filters, thresholds)
    before = roll_up(tree_before, leaf_states(tree_before, prepared_before, [since], thresholds), filters,
                     thresholds)
    return tree_after, after, before


def changes_between(
    items: pd.DataFrame,
    updates: pd.DataFrame,
    since,
    as_of,
    filters: Filters | None = None,
    *,
    audit: pd.DataFrame | None = None,
    thresholds: Thresholds | None = None,
    prepared: PreparedUpdates | None = None,
) -> pd.DataFrame:
    """What changed between ``since`` and ``as_of`` for the selection (the packet's and the Changes page's rows).

    The :func:`wehoplan.report.changes.diff` of the roll-ups at the two dates, with the
    items as they stood at each (see :func:`wehoplan.report.changes.items_at`). ``prepared``:
    ``prepare_updates`` of these ``updates`` for the plan's tree, if the caller has it (the
    same rows either way; without it the history is prepared on each call).
    """
    _, after, before = _two_rollups(items, updates, pd.Timestamp(since).normalize(), pd.Timestamp(as_of).normalize(),
                                    filters or Filters(), audit, thresholds or Thresholds(), prepared)
    return ch.diff(before, after)


def build_packet(
    items: pd.DataFrame,
    updates: pd.DataFrame,
    plan,
    as_of,
    since=None,
    filters: Filters | None = None,
    *,
    audit: pd.DataFrame | None = None,
    thresholds: Thresholds | None = None,
    made_by: str = "",
    made_at: dt.datetime | None = None,
    cycle_end=None,
    measures: pd.DataFrame | None = None,
    prepared: PreparedUpdates | None = None,
) -> Packet:
    """Build the council packet of a plan at ``as_of``, with the changes since ``since``.

    Args:
        items: every item of the plan (``load_items(..., include_archived=True)``; a frame
            without archived items works too, it only cannot show archived ones).
        updates: the plan's updates (``load_updates``).
        plan: a :class:`wehoplan.repository.PlanInfo` (name, level names, demo flag).
        as_of: the date the packet reports on.
        since: the comparison date (None: :func:`wehoplan.report.changes.default_since`).
        filters: the selection (None: the whole plan).
        audit: the plan's audit rows, for items added or archived between the dates (None: no such events).
        thresholds: due-soon / stale thresholds (settings).
        made_by: who made the packet (printed on the cover).
        made_at: when (default now).
        cycle_end: the previous reporting cycle's end, when the plan has cycles (the default ``since``).
        measures: display-ready rows of the plan's measures (None or empty: no measures section).
        prepared: ``prepare_updates`` of ``updates`` for the plan's tree, if the caller has it
            (see :func:`changes_between`).

    Returns:
        The packet; :func:`wehoplan.report.pdf.render` turns it into PDF bytes.

    """
    filters = filters or Filters()
    thresholds = thresholds or Thresholds()
    as_of = pd.Timestamp(as_of).normalize()
    if since is None:
        since, reason = ch.default_since(as_of, cycle_end)
    else:
        since, reason = pd.Timestamp(since).normalize(), "chosen for this report"
    tree_after, after, before = _two_rollups(items, updates, since, as_of, filters, audit, thresholds, prepared)
    changes = ch.diff(before, after)
    root_rows = after[after["id"] == ROOT_ID]
    root = root_rows.iloc[0] if len(root_rows) else None
    status = dashboard.status_counts(after).assign(
        label=lambda d: d["status"].map(STATUS_LABELS).astype(str))[["status", "label", "n"]]
    health = _health_counts(after)
    narratives = pd.concat([_latest_narratives(after, tree_after.frame, 1),
                            _latest_narratives(after, tree_after.frame, 2)])
    strategies = _item_rows(after, 1, narratives)
    initiatives = _item_rows(after, 2, narratives)
    bars = dashboard.strategy_progress(after)
    mix = dashboard.status_counts(after)
    return Packet(
        plan_name=plan.name, level_names=tuple(plan.level_names), as_of=as_of, since=since, since_reason=reason,
        filters=filters, made_by=made_by, made_at=made_at or dt.datetime.now().replace(microsecond=0),
        demo_note=DEMO_NOTE if plan.is_demo else None,
        progress=None if root is None else float(root["progress"]),
        expected_progress=None if root is None or pd.isna(root["expected_progress"])
        else float(root["expected_progress"]),
        headline=_headline(root, status, health, int((changes["kind"] == "completed").sum()), since),
        status_counts=status, health_counts=health, strategies=strategies, initiatives=initiatives,
        changes=changes, attention=dashboard.needs_attention(after),
        measures=measures if measures is not None and len(measures) else None,
        progress_chart=charts.progress_bars(bars, "Progress by strategy (tick = expected by now)"),
        status_chart=charts.status_mix(mix, "Actions by status"),
        table=after, thresholds=thresholds,
    )


def previous_cycle_end(engine, plan_id: int, as_of) -> pd.Timestamp | None:
    """The end of the last reporting period before ``as_of``, or None when the plan has no update cycle.

    The CLI, the Overview's download and the Changes page all ask this for the default
    comparison date ("what changed since the last report"); :func:`wehoplan.report.changes.default_since`
    falls back to 90 days before the as-of date on None.
    """
    from wehoplan.cycle_store import get_rule
    from wehoplan.cycles import cycles_up_to

    rule = get_rule(engine, plan_id)
    if rule is None:
        return None
    day = pd.Timestamp(as_of).date()
    ends = [c.period_end for c in cycles_up_to(rule, day, 3) if c.period_end < day]
    return pd.Timestamp(max(ends)) if ends else None


def plan_measures(engine, plan_id: int, as_of, tolerance: float | None = None) -> pd.DataFrame | None:
    """Display-ready rows of the plan's measures at ``as_of`` for the packet, or None when it has none.

    The same statuses as the Measures page and the extract (:func:`wehoplan.measures.measure_table`);
    values are shown in each measure's own number format, status in words.
    """
    from wehoplan import measures
    from wehoplan.config import load_config
    from wehoplan.measures.frames import display_table, format_number

    data = measures.load_measure_data(engine, plan_id)
    if data.measures.empty:
        return None
    table = measures.measure_table(data, as_of, load_config().measure_tolerance if tolerance is None else tolerance)
    shown = display_table(table)
    shown["Value"] = [format_number(v, f) if pd.notna(v) else "" for v, f in
                      zip(table["value"], table["number_format"], strict=True)]
    return shown[["Measure", "Period", "Value", "Target", "Status", "Owner"]]
