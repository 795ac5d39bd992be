"""Measure status: an ordered list of rules, the first that matches wins (README "Performance measures").

Pure functions over plain numbers and frames, no database. A measure's status as of a date is
decided on its *latest period*: the latest period end on or before the date (by its reporting
frequency) that is not marked "not applicable". Then, in order:

1. ``no_data``: that period has no value (or no period has ended yet);
2. ``no_target``: no target is in force for that period;
3. ``on_target``: the value meets the target (increase: at least it; decrease: at most it;
   maintain: between the lower and upper bound, both included);
4. ``caution``: the value misses the target by no more than the tolerance (default 10 %) of the
   target's size (maintain: of the nearer bound's size);
5. ``off_target``: everything else.

Mirror symmetry holds by construction: an increase measure with value v and target t has the
status of a decrease measure with value -v and target -t.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

DIRECTIONS: tuple[str, ...] = ("increase", "decrease", "maintain")
FREQUENCIES: tuple[str, ...] = ("monthly", "quarterly", "annual")
NUMBER_FORMATS: tuple[str, ...] = ("integer", "decimal", "percent", "currency")
#: Older words for the directions (the 2015 report's data said up / down).
DIRECTION_WORDS = {"up": "increase", "higher": "increase", "increase": "increase", "down": "decrease",
                   "lower": "decrease", "decrease": "decrease", "none": "maintain", "maintain": "maintain",
                   "steady": "maintain", "keep": "maintain"}


@dataclass(frozen=True)
class MeasureStatus:
    """One measure status: key, words on screen, colour."""

    key: str
    label: str
    colour: str


MEASURE_STATUSES: tuple[MeasureStatus, ...] = (
    MeasureStatus("on_target", "On target", "#2e7d32"),
    MeasureStatus("caution", "Caution", "#f9a825"),
    MeasureStatus("off_target", "Off target", "#c62828"),
    MeasureStatus("no_target", "No target", "#78909c"),
    MeasureStatus("no_data", "No data", "#9e9e9e"),
)
MEASURE_STATUS_KEYS: tuple[str, ...] = tuple(s.key for s in MEASURE_STATUSES)
MEASURE_STATUS_LABELS: dict[str, str] = {s.key: s.label for s in MEASURE_STATUSES}
MEASURE_STATUS_COLOURS: dict[str, str] = {s.key: s.colour for s in MEASURE_STATUSES}
DEFAULT_TOLERANCE = 0.10


def _missing(x: float | None) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def status_of(direction: str, value: float | None, target: float | None = None, lower: float | None = None,
              upper: float | None = None, tolerance: float = DEFAULT_TOLERANCE) -> str:
    """The status of one value against its target (rules 1-5 of the module docstring).

    Args:
        direction: ``increase``, ``decrease`` or ``maintain``.
        value: the period's value (None or NaN: no data).
        target: the target of an increase or decrease measure.
        lower: the lower bound of a maintain measure (None: no lower bound).
        upper: the upper bound of a maintain measure (None: no upper bound).
        tolerance: how far, as a fraction of the target's size, a miss is still "caution".

    Returns:
        One of :data:`MEASURE_STATUS_KEYS`.

    """
    if _missing(value):
        return "no_data"
    assert value is not None
    if direction == "maintain":
        lo, hi = (None if _missing(lower) else lower), (None if _missing(upper) else upper)
        if lo is None and hi is None:
            return "no_target"
        if (lo is None or value >= lo) and (hi is None or value <= hi):
            return "on_target"
        # Only one bound is missed; the band is measured from that bound.
        if lo is not None and value < lo:
            return "caution" if value >= lo - tolerance * abs(lo) else "off_target"
        assert hi is not None
        return "caution" if value <= hi + tolerance * abs(hi) else "off_target"
    if _missing(target):
        return "no_target"
    assert target is not None
    if direction == "decrease":
        if value <= target:
            return "on_target"
        return "caution" if value <= target + tolerance * abs(target) else "off_target"
    if direction != "increase":
        raise ValueError(f"unknown direction {direction!r}; use increase, decrease or maintain")
    if value >= target:
        return "on_target"
    return "caution" if value >= target - tolerance * abs(target) else "off_target"


# ---------------------------------------------------------------- periods


def period_end(day: dt.date | pd.Timestamp, frequency: str) -> dt.date:
    """The end of the period holding ``day``: month end, quarter end or 31 December."""
    ts = pd.Timestamp(day)
    if frequency == "monthly":
        end = ts + pd.offsets.MonthEnd(0)
    elif frequency == "quarterly":
        end = ts + pd.offsets.QuarterEnd(0)
    elif frequency == "annual":
        end = ts + pd.offsets.YearEnd(0)
    else:
        raise ValueError(f"unknown frequency {frequency!r}; use monthly, quarterly or annual")
    return end.date()


def latest_period_end(as_of: dt.date | pd.Timestamp, frequency: str) -> dt.date:
    """The latest period end on or before ``as_of``."""
    end = period_end(as_of, frequency)
    if end <= pd.Timestamp(as_of).date():
        return end
    start = pd.Timestamp(end)
    back = {"monthly": pd.offsets.MonthEnd(1), "quarterly": pd.offsets.QuarterEnd(1),
            "annual": pd.offsets.YearEnd(1)}[frequency]
    return (start - back).date()


def period_ends(first: dt.date, last: dt.date, frequency: str) -> list[dt.date]:
    """Every period end from the period of ``first`` to the latest ending on or before ``last``."""
    freq = {"monthly": "ME", "quarterly": "QE-DEC", "annual": "YE-DEC"}[frequency]
    stop = latest_period_end(last, frequency)
    start = period_end(first, frequency)
    if start > stop:
        return []
    return [d.date() for d in pd.date_range(start, stop, freq=freq)]


def period_label(day: dt.date | pd.Timestamp, frequency: str) -> str:
    """How a period reads on screen: "Dec 2016", "2016 Q4" or "2016"."""
    ts = pd.Timestamp(day)
    if frequency == "monthly":
        return f"{ts:%b %Y}"
    if frequency == "quarterly":
        return f"{ts.year} Q{ts.quarter}"
    return f"{ts.year}"


# ---------------------------------------------------------------- many at once


def statuses(frame: pd.DataFrame, tolerance: float = DEFAULT_TOLERANCE) -> pd.Series:
    """The status of every row of ``frame`` (columns ``direction, value, target, lower, upper``).

    A ``tolerance`` column, where present and not blank, overrides the default of that row.
    """
    tol = frame["tolerance"].astype("float64").fillna(tolerance) if "tolerance" in frame.columns else \
        pd.Series(tolerance, index=frame.index, dtype="float64")
    out = [status_of(d, _num(v), _num(t), _num(lo), _num(hi), float(k)) for d, v, t, lo, hi, k in
           zip(frame["direction"], frame["value"], frame["target"], frame["lower"], frame["upper"], tol,
               strict=True)]
    return pd.Series(out, index=frame.index, dtype="string", name="status")


def _num(x: object) -> float | None:
    if x is None or x is pd.NA or x is pd.NaT:
        return None
    f = float(x)  # type: ignore[arg-type]
    return None if math.isnan(f) else f


def count_statuses(keys: Sequence[str]) -> dict[str, int]:
    """How many measures are in each status, in display order (zeros included)."""
    return {k: sum(1 for x in keys if x == k) for k in MEASURE_STATUS_KEYS}
