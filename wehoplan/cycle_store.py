"""Update cycles, period locks and people's emails in the database: read, set, audited.

The arithmetic lives in :mod:`wehoplan.cycles` (pure); this module stores a plan's
:class:`~wehoplan.cycles.CycleRule` and its locked periods, and finds the person a
signed-in user is. Setting a cycle needs the editor role on the plan, locking a period
the admin role; every change writes its audit row in the same transaction.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session

from wehoplan import repository
from wehoplan.access import Principal, as_principal, require
from wehoplan.cycles import Cycle, CycleRule, cycle_for, cycles_up_to, day_text, is_period_end
from wehoplan.editing.validation import NotFoundError, ValidationError
from wehoplan.models import CycleSetting, Item, PeriodLock, Person, Update, User

SOURCE = "cycles"
LOCK_COLUMNS = ["period_start", "period_end", "locked_by", "locked_at"]


def _rule_of(row: CycleSetting) -> CycleRule:
    ends = tuple(dt.date.fromisoformat(e) for e in (row.period_ends or "").split(";") if e)
    return CycleRule(row.every, row.window_days, row.due_days, row.grace_days, ends)


def _describe(rule: CycleRule) -> str:
    every = "custom period ends " + ", ".join(day_text(e) for e in rule.period_ends) \
        if rule.every == "custom" else f"every {rule.every}"
    return (f"{every}; window opens {rule.window_days} days before the period end; "
            f"due {rule.due_days} days after it; late after {rule.grace_days} grace days")


def describe_rule(rule: CycleRule) -> str:
    """The rule in words ("every quarter; window opens 14 days before the period end; ...")."""
    return _describe(rule)


def get_rule(engine: Engine, plan_id: int) -> CycleRule | None:
    """The plan's update cycle, or None when none is set."""
    with Session(engine) as s:
        row = s.scalar(select(CycleSetting).where(CycleSetting.plan_id == plan_id))
        return None if row is None else _rule_of(row)


def set_rule(engine: Engine, plan_id: int, rule: CycleRule, author: str | Principal) -> CycleRule:
    """Set (or replace) the plan's update cycle; audited. Needs the editor role on the plan.

    Raises:
        AccessDenied: the actor may not edit this plan.
        ValidationError: the rule is inconsistent (see :meth:`CycleRule.problems`).

    """
    actor = as_principal(author)
    rule = CycleRule(rule.every, rule.window_days, rule.due_days, rule.grace_days,
                     tuple(sorted(set(rule.period_ends))) if rule.every == "custom" else ())
    problems = rule.problems()
    if problems:
        raise ValidationError(problems)
    with Session(engine) as s, s.begin():
        require(actor, "edit_plan", plan_id)
        row = s.scalar(select(CycleSetting).where(CycleSetting.plan_id == plan_id))
        old = None if row is None else _describe(_rule_of(row))
        if row is None:
            row = CycleSetting(plan_id=plan_id)
            s.add(row)
        row.every = rule.every
        row.period_ends = ";".join(e.isoformat() for e in rule.period_ends) or None
        row.window_days, row.due_days, row.grace_days = rule.window_days, rule.due_days, rule.grace_days
        s.flush()
        new = _describe(rule)
        if new != old:
            repository.write_audit(s, author=actor.label, action="edit", entity="plan", entity_id=plan_id,
                                   field="update cycle", old=old, new=new, source=SOURCE)
    return rule


def locks_frame(engine: Engine, plan_id: int) -> pd.DataFrame:
    """The plan's locked periods (period_start, period_end as Timestamps, locked_by, locked_at), oldest first."""
    with Session(engine) as s:
        return _locks(s, plan_id)


def lockable_periods(engine: Engine, plan_id: int, rule: CycleRule, today: dt.date) -> list[Cycle]:
    """The past periods of ``rule`` an admin may lock, newest first.

    Every period that ended before ``today`` and is not locked yet, back to the one holding the
    plan's first report (at least the last 12).
    """
    with Session(engine) as s:
        first = s.scalar(select(func.min(Update.as_of)).join(Item, Item.id == Update.item_id)
                         .where(Item.plan_id == plan_id))
        locked = set(_locks(s, plan_id)["period_end"].dt.date)
    # Enough periods to reach back to the first report (a month is the shortest period); trimmed below.
    months = 0 if first is None else (today.year - first.year) * 12 + today.month - first.month + 2
    past = [c for c in cycles_up_to(rule, today, max(12, months)) if c.period_end < today]
    keep = [c for i, c in enumerate(past) if i < 12 or first is None or c.period_end >= first]
    return [c for c in keep if c.period_end not in locked]


def _locks(s: Session, plan_id: int) -> pd.DataFrame:
    rows = s.execute(select(PeriodLock.period_start, PeriodLock.period_end, PeriodLock.locked_by,
                            PeriodLock.locked_at).where(PeriodLock.plan_id == plan_id)
                     .order_by(PeriodLock.period_end)).all()
    df = pd.DataFrame(rows, columns=LOCK_COLUMNS)
    return df.assign(period_start=pd.to_datetime(df["period_start"]), period_end=pd.to_datetime(df["period_end"]))


def lock_period(engine: Engine, plan_id: int, period_end: dt.date, author: str | Principal, *,
                today: dt.date) -> tuple[dt.date, dt.date]:
    """Lock the past period ending ``period_end`` of the plan's cycle; return (start, end). Admins only.

    Raises:
        AccessDenied: the actor is not an admin of the plan.
        ValidationError: no cycle, not a period end of the cycle, not past, or already locked.

    """
    actor = as_principal(author)
    with Session(engine) as s, s.begin():
        require(actor, "lock_period", plan_id)
        row = s.scalar(select(CycleSetting).where(CycleSetting.plan_id == plan_id))
        if row is None:
            raise ValidationError(["set an update cycle for the plan before locking a period"])
        rule = _rule_of(row)
        if not is_period_end(rule, period_end):
            raise ValidationError([f"{day_text(period_end)} is not a period end of the plan's cycle "
                                   f"({_describe(rule)})"])
        if period_end >= today:
            raise ValidationError([f"the period ending {day_text(period_end)} is not over yet; "
                                   "only a past period can be locked"])
        cycle = cycle_for(rule, period_end)
        if s.scalar(select(PeriodLock.id).where(PeriodLock.plan_id == plan_id,
                                                PeriodLock.period_end == period_end)) is not None:
            raise ValidationError([f"the period ending {day_text(period_end)} is already locked"])
        s.add(PeriodLock(plan_id=plan_id, period_start=cycle.period_start, period_end=period_end,
                         locked_by=actor.label))
        s.flush()
        repository.write_audit(s, author=actor.label, action="lock", entity="plan", entity_id=plan_id,
                               field="locked period",
                               new=f"{day_text(cycle.period_start)} to {day_text(period_end)}", source=SOURCE)
        return cycle.period_start, period_end


def unlock_period(engine: Engine, plan_id: int, period_end: dt.date, author: str | Principal) -> None:
    """Unlock a locked period (admins only); audited."""
    actor = as_principal(author)
    with Session(engine) as s, s.begin():
        require(actor, "lock_period", plan_id)
        lock = s.scalar(select(PeriodLock).where(PeriodLock.plan_id == plan_id, PeriodLock.period_end == period_end))
        if lock is None:
            raise NotFoundError(f"the period ending {day_text(period_end)} is not locked")
        old = f"{day_text(lock.period_start)} to {day_text(lock.period_end)}"
        s.execute(delete(PeriodLock).where(PeriodLock.id == lock.id))
        repository.write_audit(s, author=actor.label, action="unlock", entity="plan", entity_id=plan_id,
                               field="locked period", old=old, source=SOURCE)


def person_for(engine: Engine, who: Principal) -> str | None:
    """The name of the plan person ``who`` is (None: nobody).

    Their user's linked person, else the person with their email, else the person with
    their name (the local user picks a name in the sidebar).
    """
    with Session(engine) as s:
        if who.person_id is not None:
            p = s.get(Person, who.person_id)
            if p is not None:
                return p.name
        if who.email:
            linked = s.scalar(select(Person.name).join(User, User.person_id == Person.id)
                              .where(func.lower(User.email) == who.email.lower()))
            if linked:
                return linked
            by_mail = s.scalar(select(Person.name).where(func.lower(Person.email) == who.email.lower()))
            if by_mail:
                return by_mail
        return s.scalar(select(Person.name).where(func.lower(Person.name) == (who.name or "").strip().lower()))


def set_email(engine: Engine, person: str, email: str | None, author: str | Principal) -> None:
    """Set (or clear, with None/"") a person's email by name (case-insensitive); audited.

    Raises:
        NotFoundError: no person of that name.
        ValidationError: not an email address.

    """
    from wehoplan.editing.people import edit_person

    value = (email or "").strip()
    if value and ("@" not in value or " " in value):
        raise ValidationError([f"{email!r} is not an email address"])
    with Session(engine) as s:
        pid = s.scalar(select(Person.id).where(func.lower(Person.name) == person.strip().lower()))
    if pid is None:
        raise NotFoundError(f"no person named {person!r}")
    edit_person(engine, pid, {"email": value or None}, author)
