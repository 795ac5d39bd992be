"""Measures' targets and caution bands: the plan's editors set them, and every change is audited.

A target holds from its period on, until the next one; a measure's own caution band (its
``tolerance``) overrides the ``measure_tolerance`` setting shared by every measure.
"""

from __future__ import annotations

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from wehoplan import repository
from wehoplan.access import Principal, as_principal, require
from wehoplan.measures.model import MeasureError, parse_period, parse_value
from wehoplan.models import Measure, MeasureTarget


def set_target(engine: Engine, measure_id: int, *, period: object, value: object = None, lower: object = None,
               upper: object = None, author: str | Principal, source: str = "app") -> None:
    """Set the target that holds from the period of ``period`` on (replacing that period's target).

    Targets are part of the plan: an editor of the plan sets them, and the change is audited.

    Raises:
        MeasureError: missing or inconsistent numbers.
        AccessDenied: the principal is not an editor of the plan.

    """
    actor = as_principal(author)
    with Session(engine) as s, s.begin():
        m = s.get(Measure, measure_id)
        if m is None:
            raise MeasureError(f"no measure with id {measure_id}")
        require(actor, "edit_plan", m.plan_id)
        end = parse_period(period, m.frequency)
        v, lo, hi = parse_value(value), parse_value(lower), parse_value(upper)
        if m.direction == "maintain":
            if lo is None and hi is None:
                raise MeasureError("a maintain measure's target needs a lower or an upper bound")
            if lo is not None and hi is not None and lo > hi:
                raise MeasureError(f"the lower bound {lo:g} is above the upper bound {hi:g}")
            v = None
        elif v is None:
            raise MeasureError("the target value is required")
        else:
            lo = hi = None
        old = s.scalar(select(MeasureTarget).where(MeasureTarget.measure_id == m.id, MeasureTarget.period == end))
        before = None if old is None else _target_text(old.value, old.lower, old.upper)
        if old is None:
            s.add(MeasureTarget(measure_id=m.id, period=end, value=v, lower=lo, upper=hi))
        else:
            old.value, old.lower, old.upper = v, lo, hi
        repository.write_audit(s, author=actor.label, action="edit", entity="measure", entity_id=m.id,
                               field=f"target {end:%Y-%m-%d}", old=before, new=_target_text(v, lo, hi), source=source)


def set_tolerance(engine: Engine, measure_id: int, *, percent: object, author: str | Principal,
                  source: str = "app") -> None:
    """Set how far the measure may miss its target and still read "Caution", in percent of the target.

    ``percent`` is a number from 0 to 100 ("15", "15 %"); blank goes back to the setting
    ``measure_tolerance`` shared by every measure. Part of the plan: an editor of the plan
    sets it, and the change is audited (nothing is written when it does not change).

    Raises:
        MeasureError: not a number, or outside 0 to 100.
        AccessDenied: the principal is not an editor of the plan.

    """
    actor = as_principal(author)
    pct = parse_value(percent)
    if pct is not None and not 0 <= pct <= 100:
        raise MeasureError(f"the caution band is a percent of the target from 0 to 100, not {pct:g}")
    new = None if pct is None else pct / 100
    with Session(engine) as s, s.begin():
        m = s.get(Measure, measure_id)
        if m is None:
            raise MeasureError(f"no measure with id {measure_id}")
        require(actor, "edit_plan", m.plan_id)
        if m.tolerance == new:
            return
        before, m.tolerance = m.tolerance, new
        repository.write_audit(s, author=actor.label, action="edit", entity="measure", entity_id=m.id,
                               field="tolerance", old=_percent_text(before), new=_percent_text(new), source=source)


def _percent_text(fraction: float | None) -> str | None:
    return None if fraction is None else f"{fraction * 100:g} %"


def _target_text(v: float | None, lo: float | None, hi: float | None) -> str:
    if v is not None:
        return f"{v:g}"
    return f"{'' if lo is None else f'{lo:g}'} to {'' if hi is None else f'{hi:g}'}".strip()
