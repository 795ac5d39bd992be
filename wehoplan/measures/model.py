"""Measures in the database: readers (frames) and writers (values, new measures; targets in :mod:`.targets`).

Values are appended, never edited or deleted (triggers on SQLite and PostgreSQL and the ORM
guard in :mod:`wehoplan.models` refuse it); a correction is a newer value for the same period,
and the latest one entered wins. Every writer checks the principal (:func:`wehoplan.access.require_measure`)
and writes its audit rows in the same transaction, so a refused or broken write stores nothing.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from wehoplan import repository
from wehoplan.access import Principal, as_principal, effective_owner_and_department, require_measure
from wehoplan.domain import date_range_error, is_blank, match_names, one_line
from wehoplan.measures.rules import DIRECTIONS, FREQUENCIES, NUMBER_FORMATS, period_end
from wehoplan.models import Item, Measure, MeasureItem, MeasureTarget, MeasureValue, Person

MEASURE_COLUMNS = ("id", "plan_id", "name", "unit", "number_format", "direction", "frequency", "baseline_value",
                   "baseline_date", "data_source", "owner", "owner_id", "tolerance", "provenance", "goal_code",
                   "goal", "item_ids", "item_codes")
VALUE_COLUMNS = ("id", "measure_id", "period", "value", "not_applicable", "note", "author", "source",
                 "created_at")
TARGET_COLUMNS = ("measure_id", "period", "value", "lower", "upper")


class MeasureError(ValueError):
    """A measure value, target or name was refused; nothing was written. ``problems`` lists why."""

    def __init__(self, problems: list[str] | str) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("; ".join(self.problems))


# ---------------------------------------------------------------- readers


def load_measures(engine: Engine, plan_id: int) -> pd.DataFrame:
    """The plan's measures, one row each, by name (columns :data:`MEASURE_COLUMNS`)."""
    with Session(engine) as s:
        rows = s.execute(select(Measure, Person.name).outerjoin(Person, Person.id == Measure.owner_id)
                         .where(Measure.plan_id == plan_id).order_by(Measure.id)).all()
        ids = [m.id for m, _ in rows]
        extra = s.execute(select(MeasureItem.measure_id, MeasureItem.item_id)
                          .where(MeasureItem.measure_id.in_(ids))).all() if ids else []
        codes = dict(s.execute(select(Item.id, Item.code).where(Item.plan_id == plan_id)).all())
    links: dict[int, list[int]] = {i: [] for i in ids}
    for m, _ in rows:
        if m.item_id is not None:
            links[m.id].append(m.item_id)
    for mid, iid in extra:
        if iid not in links[mid]:
            links[mid].append(iid)
    records = [{
        "id": m.id, "plan_id": m.plan_id, "name": m.name, "unit": m.unit, "number_format": m.number_format,
        "direction": m.direction, "frequency": m.frequency, "baseline_value": m.baseline_value,
        "baseline_date": m.baseline_date, "data_source": m.data_source, "owner": owner, "owner_id": m.owner_id,
        "tolerance": m.tolerance, "provenance": m.provenance, "goal_code": m.goal_code, "goal": m.goal,
        "item_ids": tuple(links[m.id]), "item_codes": "; ".join(codes[i] for i in links[m.id] if i in codes),
    } for m, owner in rows]
    df = pd.DataFrame.from_records(records, columns=list(MEASURE_COLUMNS))
    return df.assign(baseline_date=pd.to_datetime(df["baseline_date"]),
                     baseline_value=df["baseline_value"].astype("float64"),
                     tolerance=df["tolerance"].astype("float64"))


def load_values(engine: Engine, plan_id: int) -> pd.DataFrame:
    """Every value entered for the plan's measures, oldest first (columns :data:`VALUE_COLUMNS`)."""
    with Session(engine) as s:
        rows = s.execute(select(MeasureValue).join(Measure, Measure.id == MeasureValue.measure_id)
                         .where(Measure.plan_id == plan_id).order_by(MeasureValue.id)).scalars().all()
        records = [(v.id, v.measure_id, v.as_of, v.value, bool(v.not_applicable), v.note, v.author, v.source,
                    v.created_at) for v in rows]
    df = pd.DataFrame.from_records(records, columns=list(VALUE_COLUMNS))
    return df.assign(period=pd.to_datetime(df["period"]), value=df["value"].astype("float64"),
                     not_applicable=df["not_applicable"].astype(bool), created_at=pd.to_datetime(df["created_at"]))


def load_targets(engine: Engine, plan_id: int) -> pd.DataFrame:
    """Every target of the plan's measures, by measure and period (columns :data:`TARGET_COLUMNS`)."""
    with Session(engine) as s:
        rows = s.execute(select(MeasureTarget.measure_id, MeasureTarget.period, MeasureTarget.value,
                                MeasureTarget.lower, MeasureTarget.upper)
                         .join(Measure, Measure.id == MeasureTarget.measure_id)
                         .where(Measure.plan_id == plan_id)
                         .order_by(MeasureTarget.measure_id, MeasureTarget.period)).all()
    df = pd.DataFrame.from_records([tuple(r) for r in rows], columns=list(TARGET_COLUMNS))
    return df.assign(period=pd.to_datetime(df["period"]),
                     **{c: df[c].astype("float64") for c in ("value", "lower", "upper")})


@dataclass(frozen=True)
class MeasureData:
    """A plan's measures, their values and their targets (what pages, extract and CLI read)."""

    measures: pd.DataFrame
    values: pd.DataFrame
    targets: pd.DataFrame


def load_measure_data(engine: Engine, plan_id: int) -> MeasureData:
    """Load the three frames of a plan's measures."""
    return MeasureData(load_measures(engine, plan_id), load_values(engine, plan_id), load_targets(engine, plan_id))


def resolve_measure(measures: pd.DataFrame, name: str) -> pd.Series:
    """The measure named ``name`` exactly, or by a unique case-insensitive part of its name.

    Raises:
        MeasureError: no measure, or several, match.

    """
    names = measures["name"].tolist()
    hits = match_names(name, names)
    if len(hits) != 1:
        why = "no measure matches" if not hits else f"{len(hits)} measures match"
        raise MeasureError(f"{why} {one_line(name)!r}" + (": " + "; ".join(hits[:5]) if hits else ""))
    return measures[measures["name"] == hits[0]].iloc[0]


# ---------------------------------------------------------------- validating what people type

_NUMBER = re.compile(r"^[-+]?(\d{1,3}(,\d{3})+|\d*)(\.\d+)?$")


def parse_value(raw: object) -> float | None:
    """A number from a cell or a typed text ("1,234", "45 %", "$5,000", 12.5); None when blank.

    Raises:
        MeasureError: the value is not a finite number.

    """
    if is_blank(raw):
        return None
    if isinstance(raw, bool):
        raise MeasureError(f"{raw!r} is not a number")
    if isinstance(raw, int | float):
        f = float(raw)
    else:
        text = str(raw).strip().replace("\u00a0", " ")
        bare = text.rstrip("%").strip().lstrip("$").strip().replace(" ", "")
        if not bare or not _NUMBER.match(bare) or bare in ("+", "-", "."):
            raise MeasureError(f"{one_line(text)[:40]!r} is not a number")
        f = float(bare.replace(",", ""))
    if not math.isfinite(f):
        raise MeasureError(f"{raw!r} is not a finite number")
    return f


def parse_period(raw: object, frequency: str) -> dt.date:
    """The end of the period holding the given date (any day of the period names it).

    Raises:
        MeasureError: blank, not a date, or outside the dates a plan can hold.

    """
    from wehoplan.editing.validation import ValidationError, to_date

    try:
        day = to_date(raw, "period")
    except ValidationError as exc:
        raise MeasureError(exc.problems) from None
    if day is None:
        raise MeasureError("the period is required (a date in it, e.g. 2016-12-31)")
    end = period_end(day, frequency)
    problem = date_range_error(end)
    if problem:
        raise MeasureError(f"period {problem}")
    return end


@dataclass(frozen=True)
class CleanValue:
    """One value ready to store."""

    measure_id: int
    period: dt.date
    value: float | None
    not_applicable: bool
    note: str | None


def clean_value(measure: Mapping, *, period: object, value: object, not_applicable: object = False,
                note: object = None, today: dt.date | None = None, allow_future: bool = False) -> CleanValue:
    """Check one value of ``measure`` (a row of :func:`load_measures`).

    Raises:
        MeasureError: every problem found, each one line.

    """
    problems: list[str] = []
    end: dt.date | None = None
    number: float | None = None
    try:
        end = parse_period(period, str(measure["frequency"]))
    except MeasureError as exc:
        problems += exc.problems
    try:
        number = parse_value(value)
    except MeasureError as exc:
        problems += exc.problems
    na = bool(not_applicable) and not is_blank(not_applicable)
    if na and number is not None:
        problems.append("a period marked not applicable takes no value")
    if not na and number is None and not problems:
        problems.append("a value is required (or mark the period not applicable)")
    today = today or dt.date.today()
    if end is not None and not allow_future:
        start = _period_start(end, str(measure["frequency"]))
        if start > today:
            problems.append(f"the period starting {start:%Y-%m-%d} has not begun yet")
    if problems:
        raise MeasureError(problems)
    assert end is not None
    text = None if is_blank(note) else str(note).strip()
    return CleanValue(int(measure["id"]), end, number, na, text)


def _period_start(end: dt.date, frequency: str) -> dt.date:
    months = {"monthly": 1, "quarterly": 3, "annual": 12}[frequency]
    return (pd.Timestamp(end) - pd.DateOffset(months=months) + pd.Timedelta(days=1)).date()


# ---------------------------------------------------------------- writers


def _measure_departments(s: Session, m: Measure) -> set[int]:
    ids = [m.item_id] if m.item_id is not None else []
    ids += list(s.scalars(select(MeasureItem.item_id).where(MeasureItem.measure_id == m.id)))
    out: set[int] = set()
    for iid in ids:
        item = s.get(Item, iid)
        if item is not None:
            _, dep = effective_owner_and_department(s, item)
            if dep is not None:
                out.add(dep)
    return out


def _summary(c: CleanValue) -> str:
    what = "not applicable" if c.not_applicable else f"{c.value:g}"
    return f"{c.period:%Y-%m-%d}: {what}" + (f" ({c.note})" if c.note else "")


def _store(s: Session, actor: Principal, c: CleanValue, source: str, checked: set[int]) -> None:
    m = s.get(Measure, c.measure_id)
    if m is None:
        raise MeasureError(f"no measure with id {c.measure_id}")
    if m.id not in checked:
        require_measure(actor, m.plan_id, m.owner_id, _measure_departments(s, m))
        checked.add(m.id)
    s.add(MeasureValue(measure_id=m.id, as_of=c.period, value=c.value, not_applicable=c.not_applicable,
                       note=c.note, author=actor.label, source=source))
    s.flush()
    repository.write_audit(s, author=actor.label, action="update", entity="measure", entity_id=m.id,
                           field="value", new=_summary(c), source=source)


def record_value(engine: Engine, measure: Mapping, *, period: object, value: object, author: str | Principal,
                 not_applicable: object = False, note: object = None, source: str = "app",
                 today: dt.date | None = None, allow_future: bool = False) -> None:
    """Append one value of ``measure`` (a row of :func:`load_measures`) for the period holding ``period``.

    Raises:
        MeasureError: the value or period is refused.
        AccessDenied: the principal may not record this measure.

    """
    c = clean_value(measure, period=period, value=value, not_applicable=not_applicable, note=note,
                    today=today, allow_future=allow_future)
    actor = as_principal(author)
    with Session(engine) as s, s.begin():
        _store(s, actor, c, source, set())


@dataclass(frozen=True)
class RowProblem:
    """What is wrong with one row of a bulk entry or an import (``row`` as the person counts it)."""

    row: int
    measure: str
    column: str
    value: str
    message: str


@dataclass
class BulkResult:
    """Outcome of :func:`record_values_bulk`: every row saved, or none and every problem."""

    saved: int = 0
    skipped: int = 0
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing was refused."""
        return not self.problems

    def frame(self) -> pd.DataFrame:
        """The problems for display (row, measure, column, value, message)."""
        return pd.DataFrame([p.__dict__ for p in self.problems], columns=["row", "measure", "column", "value",
                                                                         "message"])


def _current(values: pd.DataFrame) -> dict[tuple[int, pd.Timestamp], tuple[float | None, bool]]:
    """The value in force per (measure, period): the latest entered."""
    if values.empty:
        return {}
    last = values.sort_values("id").groupby(["measure_id", "period"], sort=False).tail(1)
    return {(int(m), pd.Timestamp(p)): (None if pd.isna(v) else float(v), bool(na))
            for m, p, v, na in zip(last["measure_id"], last["period"], last["value"], last["not_applicable"],
                                   strict=True)}


def record_values_bulk(engine: Engine, rows: Iterable[Mapping], measures: pd.DataFrame, author: str | Principal, *,
                       source: str = "app bulk", today: dt.date | None = None, allow_future: bool = False,
                       dry_run: bool = False, first_row: int = 1) -> BulkResult:
    """Record several values at once: all of them, or none.

    Each row has ``measure`` (a name, matched as :func:`resolve_measure` does) or ``measure_id``,
    ``period``, ``value`` and may have ``not_applicable``, ``note`` and ``row`` (the row number
    shown in messages; else counted from ``first_row``). A row repeating the value already in
    force for its period is skipped (re-importing a file adds nothing). Two rows for one
    measure and period are a problem, as is any row the principal may not record.
    """
    actor = as_principal(author)
    result = BulkResult()
    cleaned: list[CleanValue] = []
    seen: dict[tuple[int, dt.date], int] = {}
    by_id = {int(r["id"]): r for r in measures.to_dict("records")}
    for n, r in enumerate(rows):
        row_no = int(r.get("row", first_row + n))
        label = "" if is_blank(r.get("measure")) else one_line(str(r.get("measure")))
        try:
            if not is_blank(r.get("measure_id")):
                m = by_id.get(int(r["measure_id"]))
                if m is None:
                    raise MeasureError(f"no measure with id {r['measure_id']}")
            else:
                if not label:
                    raise MeasureError("the measure is required")
                m = resolve_measure(measures, label).to_dict()
            label = str(m["name"])
        except MeasureError as exc:
            result.problems += [RowProblem(row_no, label, "measure", label, p) for p in exc.problems]
            continue
        try:
            c = clean_value(m, period=r.get("period"), value=r.get("value"),
                            not_applicable=r.get("not_applicable", False), note=r.get("note"),
                            today=today, allow_future=allow_future)
        except MeasureError as exc:
            for p in exc.problems:
                col = "period" if "period" in p else "value"
                raw = r.get(col)
                result.problems.append(RowProblem(row_no, label, col, "" if is_blank(raw) else one_line(str(raw)),
                                                  p))
            continue
        key = (c.measure_id, c.period)
        if key in seen:
            result.problems.append(RowProblem(row_no, label, "period", f"{c.period:%Y-%m-%d}",
                                              f"the same measure and period as row {seen[key]}"))
            continue
        seen[key] = row_no
        cleaned.append(c)
    if result.problems:
        return result
    plan_ids = set(measures["plan_id"].astype(int)) if len(measures) else set()
    current: dict = {}
    for pid in plan_ids:
        current.update(_current(load_values(engine, pid)))
    todo = [c for c in cleaned
            if current.get((c.measure_id, pd.Timestamp(c.period))) != (c.value, c.not_applicable)]
    result.skipped = len(cleaned) - len(todo)
    s = Session(engine)
    try:
        s.begin()
        checked: set[int] = set()
        for c in todo:
            try:
                _store(s, actor, c, source, checked)
            except Exception as exc:  # an AccessDenied or MeasureError becomes the row's problem
                from wehoplan.access import AccessDenied

                if not isinstance(exc, AccessDenied | MeasureError):
                    raise
                name = by_id[c.measure_id]["name"] if c.measure_id in by_id else str(c.measure_id)
                row_no = seen[(c.measure_id, c.period)]
                result.problems.append(RowProblem(row_no, name, "measure", name, str(exc)))
                s.rollback()
                return result
        if dry_run:
            s.rollback()
        else:
            s.commit()
        result.saved = len(todo)
        return result
    finally:
        s.close()


def add_measure(session: Session, *, plan_id: int, name: str, direction: str = "increase", frequency: str = "annual",
                unit: str | None = None, number_format: str = "decimal", item_ids: Iterable[int] = (),
                owner_id: int | None = None, baseline_value: float | None = None,
                baseline_date: dt.date | None = None, data_source: str | None = None,
                tolerance: float | None = None, provenance: str | None = None, **extra: object) -> Measure:
    """Add a measure in the caller's session (the demo builder and tests; the caller audits the plan).

    The first of ``item_ids`` is the measure's main item; the others are further links.
    """
    if direction not in DIRECTIONS:
        raise MeasureError(f"unknown direction {direction!r}; use {', '.join(DIRECTIONS)}")
    if frequency not in FREQUENCIES:
        raise MeasureError(f"unknown frequency {frequency!r}; use {', '.join(FREQUENCIES)}")
    if number_format not in NUMBER_FORMATS:
        raise MeasureError(f"unknown number format {number_format!r}; use {', '.join(NUMBER_FORMATS)}")
    ids = list(dict.fromkeys(item_ids))
    m = Measure(plan_id=plan_id, name=name, direction=direction, frequency=frequency, unit=unit,
                number_format=number_format, item_id=ids[0] if ids else None, owner_id=owner_id,
                baseline_value=baseline_value, baseline_date=baseline_date, data_source=data_source,
                tolerance=tolerance, provenance=provenance, **extra)
    session.add(m)
    session.flush()
    for iid in ids[1:]:
        session.add(MeasureItem(measure_id=m.id, item_id=iid))
    return m
