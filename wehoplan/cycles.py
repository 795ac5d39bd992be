"""Update cycles: when reports are due, which items are due or late, who has reported.

Pure functions over literal frames; "today" is always a parameter, so tests control time.

A plan's :class:`CycleRule` says how often owners report: every month or quarter, or on
custom period ends. Each period end gives one :class:`Cycle`:

- its *window* opens ``window_days`` before the period end and stays open until the day
  before the next cycle's window opens (a late report still counts for its cycle);
- the report is *due* ``due_days`` after the period end;
- it is *late* after the due date plus ``grace_days``.

An item is *due* in a cycle when it is an open leaf (its state when the window opened is
neither completed nor deferred) and it has no report dated inside the window; it is
*late* once the grace days have passed. A report dated inside the window makes it
*reported* (an item completed by that report counts as reported too).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from wehoplan import display

EVERY = ("month", "quarter", "custom")
# The shortest period of each rule: window, due and grace days must fit inside it, so
# windows never overlap and each report counts for exactly one cycle.
_SHORTEST = {"month": 28, "quarter": 89}
CLOSED_STATUSES = ("completed", "deferred")
STATE_LABELS = {"reported": "Reported", "due": "Due", "late": "Late"}
PHASE_LABELS = {"window_open": "window open", "due_soon": "due soon", "late": "late"}
STATE_COLUMNS = ["item_id", "code", "title", "owner", "department", "state", "reported_on",
                 "last_as_of", "last_status", "last_progress", "last_comment"]
SUMMARY_COLUMNS = ["cycle", "period_end", "group", "n_items", "reported", "due", "late", "pct_reported"]


def day_text(day: dt.date | pd.Timestamp | None) -> str:
    """One date format on screen and in mail: "15 Oct 2020" ("" for no date)."""
    if day is None or pd.isna(day):
        return ""
    return display.day(day)  # the app's one format: "1 Jul 2020", no leading zero


@dataclass(frozen=True)
class CycleRule:
    """How often a plan's owners report.

    Attributes:
        every: "month", "quarter" or "custom".
        window_days: the window opens this many days before the period end.
        due_days: the report is due this many days after the period end.
        grace_days: it is late this many days after the due date.
        period_ends: the period ends of a custom rule (sorted, unique).

    """

    every: str = "quarter"
    window_days: int = 14
    due_days: int = 10
    grace_days: int = 5
    period_ends: tuple[dt.date, ...] = field(default_factory=tuple)

    def problems(self) -> list[str]:
        """What is wrong with the rule, one readable line each (empty: fine)."""
        out = []
        if self.every not in EVERY:
            out.append(f"unknown cycle {self.every!r}; use one of {', '.join(EVERY)}")
            return out
        for name in ("window_days", "due_days", "grace_days"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 0:
                out.append(f"{name.replace('_', ' ')} must be a whole number of at least 0, got {value!r}")
        if out:
            return out
        span = self.window_days + self.due_days + self.grace_days
        shortest = _SHORTEST.get(self.every)
        if self.every == "custom":
            if not self.period_ends:
                out.append("a custom cycle needs at least one period end")
            gaps = [(b - a).days for a, b in zip(self.period_ends, self.period_ends[1:], strict=False)]
            if any(g <= 0 for g in gaps):
                out.append("custom period ends must be different dates in order")
            shortest = min(gaps, default=None)
        if shortest is not None and span >= shortest:
            out.append(f"window, due and grace days ({span} in all) must be fewer than the shortest period "
                       f"({shortest} days), so that each report counts for one cycle")
        return out


@dataclass(frozen=True)
class Cycle:
    """One reporting cycle: a period end and the dates that follow from the rule."""

    period_start: dt.date
    period_end: dt.date
    opens: dt.date
    due: dt.date
    late_after: dt.date
    closes: dt.date
    label: str

    def phase(self, today: dt.date) -> str | None:
        """Where ``today`` falls in the cycle (None: outside its window).

        "window_open" until the period end, "due_soon" until the due date plus grace,
        "late" until the window closes.
        """
        if today < self.opens or today > self.closes:
            return None
        if today <= self.period_end:
            return "window_open"
        if today <= self.late_after:
            return "due_soon"
        return "late"

    def describe(self) -> str:
        """One line for people: "2020 Q3 (1 Jul - 30 Sep 2020): window opens 16 Sep 2020, due 10 Oct 2020 ..."."""
        return (f"{self.label}: period {day_text(self.period_start)} to {day_text(self.period_end)}; "
                f"reports open {day_text(self.opens)}, due {day_text(self.due)}, "
                f"late after {day_text(self.late_after)}")


def _month_end(year: int, month: int) -> dt.date:
    first_next = dt.date(year + (month == 12), month % 12 + 1, 1)
    return first_next - dt.timedelta(days=1)


def _step(rule: CycleRule, end: dt.date, n: int) -> dt.date:
    """The period end ``n`` periods after ``end`` (month/quarter rules; ``end`` is a period end)."""
    months = 1 if rule.every == "month" else 3
    index = end.year * 12 + end.month - 1 + n * months
    return _month_end(index // 12, index % 12 + 1)


def _first_end_on_or_after(rule: CycleRule, day: dt.date) -> dt.date:
    if rule.every == "month":
        return _month_end(day.year, day.month)
    q_month = ((day.month - 1) // 3) * 3 + 3
    return _month_end(day.year, q_month)


def is_period_end(rule: CycleRule, day: dt.date) -> bool:
    """Whether ``day`` ends a period of ``rule`` (a month or quarter end, or one of the custom ends)."""
    if rule.every == "custom":
        return day in rule.period_ends
    return _first_end_on_or_after(rule, day) == day


def _label(rule: CycleRule, end: dt.date) -> str:
    if rule.every == "month":
        return f"{end:%b %Y}"
    if rule.every == "quarter":
        return f"{end.year} Q{(end.month - 1) // 3 + 1}"  # as measures and trends name quarters: "2020 Q3"
    return f"period to {day_text(end)}"


def _neighbours(rule: CycleRule, end: dt.date) -> tuple[dt.date | None, dt.date | None]:
    if rule.every != "custom":
        return _step(rule, end, -1), _step(rule, end, 1)
    ends = list(rule.period_ends)
    i = ends.index(end)
    return (ends[i - 1] if i else None), (ends[i + 1] if i + 1 < len(ends) else None)


def cycle_for(rule: CycleRule, period_end: dt.date) -> Cycle:
    """The cycle of one period end (for a custom rule, one of its period ends)."""
    prev, nxt = _neighbours(rule, period_end)
    opens = period_end - dt.timedelta(days=rule.window_days)
    due = period_end + dt.timedelta(days=rule.due_days)
    late_after = due + dt.timedelta(days=rule.grace_days)
    closes = (nxt - dt.timedelta(days=rule.window_days + 1)) if nxt is not None else late_after
    # A custom rule's first period starts one period-length before its end (there is no earlier end).
    start = (prev + dt.timedelta(days=1)) if prev is not None else (
        period_end - dt.timedelta(days=(nxt - period_end).days - 1) if nxt is not None else period_end)
    return Cycle(start, period_end, opens, due, late_after, closes, _label(rule, period_end))


def cycles_up_to(rule: CycleRule, today: dt.date, n: int) -> list[Cycle]:
    """The last ``n`` cycles whose window has opened by ``today``, newest first."""
    if rule.every == "custom":
        ends = [e for e in rule.period_ends if cycle_for(rule, e).opens <= today]
        return [cycle_for(rule, e) for e in reversed(ends[-n:])] if n > 0 else []
    end = _first_end_on_or_after(rule, today)
    while cycle_for(rule, end).opens > today:
        end = _step(rule, end, -1)
    return [cycle_for(rule, _step(rule, end, -k)) for k in range(n)]


def current_cycle(rule: CycleRule, today: dt.date) -> Cycle | None:
    """The cycle whose window holds ``today`` (None before a custom rule's first window or after its last)."""
    found = cycles_up_to(rule, today, 1)
    if not found or today > found[0].closes:
        return None
    return found[0]


def _ts(day: dt.date) -> pd.Timestamp:
    return pd.Timestamp(day)


def item_states(leaves: pd.DataFrame, updates: pd.DataFrame, cycle: Cycle, today: dt.date) -> pd.DataFrame:
    """Each open leaf's state in ``cycle`` on ``today``: reported, due or late.

    Args:
        leaves: the plan's live leaves (``id``, ``code``, ``title``, ``owner``, ``department``:
            effective values, as the prepared tree gives them).
        updates: progress reports (``item_id``, ``as_of``, ``status``, ``progress``,
            ``comment``, ``id``); reports dated after ``today`` are not seen.
        cycle: the cycle.
        today: the date of the question.

    Returns:
        One row per open leaf (:data:`STATE_COLUMNS`), in the leaves' order, with its last
        report on or before today (what a form pre-fills) and the date of its report in the
        window (``reported_on``, NaT when due or late).

    """
    ups = updates[updates["as_of"] <= _ts(today)].sort_values(["as_of", "id"], kind="stable")
    before = ups[ups["as_of"] < _ts(cycle.opens)].groupby("item_id").tail(1).set_index("item_id")["status"]
    window = ups[(ups["as_of"] >= _ts(cycle.opens)) & (ups["as_of"] <= _ts(cycle.closes))]
    reported_on = window.groupby("item_id")["as_of"].min()
    last = ups.groupby("item_id").tail(1).set_index("item_id")
    ids = leaves["id"]
    status_before = ids.map(before).fillna("pending")
    in_window = ids.isin(reported_on.index)
    open_ = ~status_before.isin(CLOSED_STATUSES) | in_window
    late = today > cycle.late_after
    state = pd.Series("reported", index=leaves.index).where(in_window, "late" if late else "due")
    def look(values: pd.Series) -> pd.Series:
        # reindex, not map: mapping onto an empty datetime series fails in pandas 3.
        return values.reindex(ids.to_numpy()).set_axis(leaves.index)

    out = leaves.assign(
        item_id=ids, state=state, reported_on=look(reported_on),
        last_as_of=look(last["as_of"]), last_status=look(last["status"]).fillna("pending"),
        last_progress=look(last["progress"]).fillna(0.0), last_comment=look(last["comment"]),
    )[open_]
    return out[STATE_COLUMNS].reset_index(drop=True)


def summarise(states: pd.DataFrame, by: str, cycle: Cycle) -> pd.DataFrame:
    """Reported / due / late counts per ``by`` (``owner`` or ``department``) in one cycle.

    A blank owner or department is "(none)", so every item is counted somewhere.
    """
    group = states[by].fillna("").astype(str).replace("", "(none)")
    counts = pd.crosstab(group, states["state"]).reindex(columns=["reported", "due", "late"], fill_value=0)
    counts = counts.astype("int64").rename_axis(columns=None)
    n = counts.sum(axis=1)
    out = counts.assign(n_items=n, pct_reported=(100.0 * counts["reported"] / n).round(1))
    out = out.rename_axis("group").reset_index().assign(cycle=cycle.label, period_end=_ts(cycle.period_end))
    return out[SUMMARY_COLUMNS].sort_values("group", kind="stable").reset_index(drop=True)


def tracker(leaves: pd.DataFrame, updates: pd.DataFrame, rule: CycleRule, today: dt.date, *,
            by: str = "owner", n_cycles: int = 4) -> pd.DataFrame:
    """Reported / due / late per ``by`` for the current and the ``n_cycles - 1`` previous cycles, newest first."""
    frames = [summarise(item_states(leaves, updates, c, today), by, c) for c in cycles_up_to(rule, today, n_cycles)]
    if not frames:
        return pd.DataFrame(columns=SUMMARY_COLUMNS)
    return pd.concat(frames, ignore_index=True)


def locked_period(locks: pd.DataFrame, day: dt.date) -> pd.Series | None:
    """The lock (``period_start``, ``period_end`` …) whose period holds ``day``, or None."""
    if locks.empty:
        return None
    hit = locks[(locks["period_start"] <= _ts(day)) & (locks["period_end"] >= _ts(day))]
    return None if hit.empty else hit.iloc[0]


MY_COLUMNS = ["item_id", "version", "code", "title", "state", "last_report", "last_comment", "pick",
              "status", "progress", "comment"]


def my_rows(states: pd.DataFrame, leaves: pd.DataFrame) -> pd.DataFrame:
    """The My Updates editor's rows: the due and late items, pre-filled with their last report.

    ``status`` is the last status's label and ``progress`` the last percent, so an owner
    only changes what changed; ``pick`` ticks the rows to save.
    """
    from wehoplan.domain import STATUS_LABELS

    todo = states[states["state"] != "reported"]
    version = todo["item_id"].map(leaves.set_index("id")["version"])
    return todo.assign(
        version=version, state=todo["state"].map(STATE_LABELS), last_report=todo["last_as_of"].dt.date,
        last_comment=todo["last_comment"].fillna(""), pick=False, status=todo["last_status"].map(STATUS_LABELS),
        progress=todo["last_progress"], comment="",
    )[MY_COLUMNS].reset_index(drop=True)


def no_change_note(last_report: object) -> str:
    """The comment of a "no change" report ("No change since 30 Sep 2020")."""
    return f"No change since {day_text(last_report)}" if not pd.isna(last_report) else "No change (first report)"


def report_rows(rows: pd.DataFrame, today: dt.date, *, no_change: bool) -> pd.DataFrame:
    """Rows for :func:`wehoplan.editing.record_updates_bulk` from My Updates rows.

    With ``no_change``, pass the pre-filled rows (:func:`my_rows`, not what was typed): each
    report repeats the last status and percent with a "No change since ..." note. Otherwise
    each report carries the row's (pre-filled, maybe edited) values and comment.
    """
    comment = [no_change_note(d) for d in rows["last_report"]] if no_change else rows["comment"]
    return pd.DataFrame({
        "item_id": rows["item_id"], "code": rows["code"], "expected_version": rows["version"], "as_of": today,
        "status": rows["status"], "progress": rows["progress"], "comment": comment,
    }).reset_index(drop=True)
