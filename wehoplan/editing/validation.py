"""Checking what people type before anything is written: errors, dates, progress reports, item fields.

Nothing here touches the database; every check returns (or raises) every problem at
once, one readable line each, so a form or a bulk table can show them all.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, SupportsFloat, cast

import pandas as pd

from wehoplan.domain import STATUS_KEYS, date_range_error, is_blank, parse_smart, parse_status
from wehoplan.repository.editable import ItemNotFound

APP_SOURCE = "app"

EDITABLE_FIELDS = (
    "title", "description", "owner", "sponsor", "department", "partners", "smart", "start", "due",
    "weight", "priority", "funding_source", "item_type", "track", "depends_on",
)


# ---------------------------------------------------------------- errors


class EditError(Exception):
    """Base of every error a writer raises on purpose; the message is for people."""


class ValidationError(EditError):
    """The input was rejected; ``problems`` lists every reason, one readable line each."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


class NotFoundError(EditError, ItemNotFound):
    """The item, department or person does not exist."""


# ---------------------------------------------------------------- value checks


def to_date(value: object, what: str = "date") -> dt.date | None:
    """Read a date from a date, datetime, Timestamp or ISO text; None when blank.

    Raises:
        ValidationError: the value is not a date.

    """
    if is_blank(value):
        return None
    if isinstance(value, dt.datetime):
        day = value.date()
    elif isinstance(value, dt.date):
        day = value
    else:
        # ISO text is read by the date type itself: pd.Timestamp cannot hold years such as
        # 0202 or 9999, and those must get the range message below, not "not a date".
        try:
            day = dt.date.fromisoformat(str(value).strip())
        except ValueError:
            try:
                ts = pd.Timestamp(value)
            except (ValueError, TypeError, OverflowError):
                raise ValidationError([f"{what} {value!r} is not a date (use YYYY-MM-DD)"]) from None
            if pd.isna(ts):
                return None
            day = ts.date()
    problem = date_range_error(day)
    if problem:
        raise ValidationError([f"{what} {problem}"])
    return day


def clean_name(name: object, what: str) -> str:
    """A department's or person's name, stripped. Raises ValidationError when blank."""
    if is_blank(name):
        raise ValidationError([f"{what} name is required"])
    return str(name).strip()


def check_dates(start: dt.date | None, due: dt.date | None) -> list[str]:
    """The problem with an item's dates (start after due), if any."""
    if start and due and start > due:
        return [f"start {start:%Y-%m-%d} is after due {due:%Y-%m-%d}"]
    return []


@dataclass(frozen=True)
class CleanUpdate:
    """A validated progress report, ready to store."""

    as_of: dt.date
    status: str
    progress: float
    comment: str | None


def validate_update(
    *, as_of: object, status: object, progress: object, comment: object = None,
    allow_future: bool = False, today: dt.date | None = None,
) -> tuple[CleanUpdate | None, list[str]]:
    """Check one progress report; return the clean values, or None and every problem.

    Rules: status is a canonical key or any word of the vocabulary; progress is a number
    from 0 to 100 (blank is allowed only with ``completed``, meaning 100); the as-of date
    is required and not after ``today`` unless ``allow_future``.
    """
    problems: list[str] = []
    today = today or dt.date.today()
    day: dt.date | None = None
    try:
        day = to_date(as_of, "as-of date")
        if day is None:
            problems.append("as-of date is required")
        elif day > today and not allow_future:
            problems.append(f"as-of date {day:%Y-%m-%d} is in the future (today is {today:%Y-%m-%d})")
    except ValidationError as e:
        problems.extend(e.problems)
    key: str | None = None
    if is_blank(status):
        problems.append("status is required; one of " + ", ".join(STATUS_KEYS))
    else:
        try:
            key = parse_status(str(status))
        except ValueError as e:
            problems.append(str(e))
    pct: float | None = None
    if is_blank(progress):
        if key == "completed":
            pct = 100.0
        else:
            problems.append("progress is required (a number from 0 to 100)")
    else:
        try:
            # A number, or text such as "55%"; anything else is refused below (TypeError).
            pct = float(progress.strip().rstrip("%")) if isinstance(progress, str) \
                else float(cast(SupportsFloat, progress))
        except (TypeError, ValueError):
            problems.append(f"progress {progress!r} is not a number (0 to 100)")
        else:
            if math.isnan(pct) or not 0 <= pct <= 100:
                problems.append(f"progress {progress!r} is outside 0 to 100")
                pct = None
    if problems:
        return None, problems
    assert day is not None and key is not None and pct is not None  # no problem: all three were read
    note = None if is_blank(comment) else str(comment).strip()
    return CleanUpdate(as_of=day, status=key, progress=pct, comment=note), []


# ---------------------------------------------------------------- item fields


def partner_list(value: object) -> list[str]:
    """Partner department names from a list or "a; b" / "a, b" text, sorted, without blanks."""
    if is_blank(value):
        return []
    parts = value if isinstance(value, list | tuple | set) else str(value).replace(",", ";").split(";")
    return sorted({str(p).strip() for p in parts if str(p).strip()})


def normalise_changes(changes: Mapping[str, object]) -> tuple[dict[str, Any], list[str]]:
    """Validate edited item fields; return clean values (blank text -> None) and problems."""
    problems: list[str] = []
    unknown = sorted(set(changes) - set(EDITABLE_FIELDS))
    if unknown:
        problems.append("cannot edit " + ", ".join(unknown) + "; editable: " + ", ".join(EDITABLE_FIELDS))
    out: dict[str, Any] = {}  # per field: date, float or text
    for k, v in changes.items():
        if k not in EDITABLE_FIELDS:
            continue
        if k in ("start", "due"):
            try:
                out[k] = to_date(v, k)
            except ValidationError as e:
                problems += e.problems
        elif k == "weight":
            try:
                w = 1.0 if is_blank(v) else float(cast(SupportsFloat, v))
                if math.isnan(w) or w < 0:
                    raise ValueError
                out[k] = w
            except (TypeError, ValueError):
                problems.append(f"weight {v!r} must be a number of 0 or more")
        elif k == "smart":
            try:
                out[k] = parse_smart(None if is_blank(v) else str(v))
            except ValueError as e:
                problems.append(str(e))
        elif k == "partners":
            out[k] = "; ".join(partner_list(v))
        else:
            out[k] = None if is_blank(v) else str(v).strip()
    if "title" in out and not out["title"]:
        problems.append("title is required")
    return out, problems


def shown(v: object) -> str | None:
    """How a field value is compared and written to the audit trail."""
    if is_blank(v):
        return None
    if isinstance(v, dt.date):
        return f"{v:%Y-%m-%d}"
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)
