"""Streamlit pieces of update cycles: the date the pages act on, and Edit Plan's cycle section."""

from __future__ import annotations

import datetime as dt

import streamlit as st
from sqlalchemy import Engine

from wehoplan import cycle_store
from wehoplan.access import Principal, at_least
from wehoplan.cycles import EVERY, CycleRule, day_text
from wehoplan.ui.edit_state import save
from wehoplan.ui.text import md

#: Session key a test sets to fix "today" (no widget writes it; the pages otherwise use the real date).
TODAY_KEY = "_wehoplan_today"
_EVERY_LABELS = {"month": "Every month", "quarter": "Every quarter", "custom": "Custom period ends"}


def today() -> dt.date:
    """The date the cycle pages act on: today, unless a test fixed it in ``st.session_state``."""
    fixed = st.session_state.get(TODAY_KEY)
    return fixed if isinstance(fixed, dt.date) else dt.date.today()


def _parse_ends(text: str) -> tuple[tuple[dt.date, ...], list[str]]:
    ends, bad = [], []
    for part in text.replace(",", ";").split(";"):
        part = part.strip()
        if not part:
            continue
        try:
            ends.append(dt.date.fromisoformat(part))
        except ValueError:
            bad.append(part)
    return tuple(ends), bad


def cycle_section(engine: Engine, plan_id: int, who: Principal) -> None:
    """Edit Plan's "Update cycle" section: the rule, and (admins) locking past periods."""
    st.subheader("Update cycle")
    rule = cycle_store.get_rule(engine, plan_id)
    st.caption(f"Now: {md(cycle_store.describe_rule(rule))}." if rule else
               "No update cycle yet: owners are not asked to report. Set one below.")
    base = rule or CycleRule()
    with st.form("cycle_rule"):
        c1, c2, c3, c4 = st.columns(4)
        every = c1.selectbox("Owners report", list[str](EVERY), index=EVERY.index(base.every),
                             format_func=lambda e: _EVERY_LABELS[e], key="cy_every")
        window = c2.number_input("Window opens (days before period end)", min_value=0, value=base.window_days,
                                 step=1, key="cy_window")
        due = c3.number_input("Due (days after period end)", min_value=0, value=base.due_days, step=1,
                              key="cy_due")
        grace = c4.number_input("Grace (days after due)", min_value=0, value=base.grace_days, step=1,
                                key="cy_grace")
        ends_text = st.text_input("Period ends, for \"Custom period ends\" only (YYYY-MM-DD, separated by ;)",
                                  "; ".join(e.isoformat() for e in base.period_ends), key="cy_ends",
                                  placeholder="e.g. 2020-06-30; 2020-12-31",
                                  help="Ignored for every month and every quarter, whose periods end at "
                                       "month and quarter ends.")
        saved = st.form_submit_button("Save update cycle")
    if saved:
        ends, bad = _parse_ends(ends_text)
        if bad:
            st.error(md(f"Not a date: {', '.join(bad)}; write dates as 2020-09-30."))
        else:
            new = CycleRule(str(every), int(window), int(due), int(grace), ends if every == "custom" else ())
            save(lambda: cycle_store.set_rule(engine, plan_id, new, who), "Saved the update cycle.", who)
    if rule is None:
        return
    locks = cycle_store.locks_frame(engine, plan_id)
    if locks.empty:
        st.caption("No period is locked.")
    else:
        st.caption("Locked periods (reports dated inside them are refused, except from an admin): " + md(", ".join(
            f"{day_text(r.period_start)} to {day_text(r.period_end)}" for r in locks.itertuples())))
    if not at_least(who.role(plan_id), "admin"):
        return
    day = today()
    locked = set(locks["period_end"].dt.date)
    c1, c2 = st.columns(2)
    can_lock = cycle_store.lockable_periods(engine, plan_id, rule, day)
    if can_lock:
        pick = c1.selectbox("Lock a past period", range(len(can_lock)), key="cy_lock_pick",
                            format_func=lambda i: f"{can_lock[i].label} ({day_text(can_lock[i].period_start)} "
                                                  f"to {day_text(can_lock[i].period_end)})")
        if c1.button("Lock period", key="cy_lock"):
            end = can_lock[pick].period_end
            save(lambda: cycle_store.lock_period(engine, plan_id, end, who, today=day),
                 f"Locked the period ending {day_text(end)}.", who)
    if locked:
        locked_ends = sorted(locked)
        upick = c2.selectbox("Unlock", locked_ends, key="cy_unlock_pick", format_func=day_text)
        if c2.button("Unlock period", key="cy_unlock"):
            save(lambda: cycle_store.unlock_period(engine, plan_id, upick, who),
                 f"Unlocked the period ending {day_text(upick)}.", who)
