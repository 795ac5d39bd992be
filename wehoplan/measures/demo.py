"""The demo's measures: the 2015 report's 34 candidate measures and a few inferred for the Smart City plan.

The measures are real (their names, units, directions and context come from
``data/weho_measures_2015.csv``) or inferred from the Smart City plan's text (marked
``inferred``); every value, target and baseline is illustrative, generated deterministically
(a seed per measure name) and marked ``illustrative``, as the demo's progress history is.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import zlib

from sqlalchemy.orm import Session

from wehoplan.measures.model import add_measure
from wehoplan.measures.rules import DIRECTION_WORDS, period_ends
from wehoplan.models import MeasureTarget, MeasureValue
from wehoplan.repository import person_id

DEMO_AUTHOR = "wehoplan demo builder"
DEMO_SOURCE = "illustrative demo history"
# The Innovations report's history runs July 2015 to December 2017; Smart City's March 2018 to 2022.
_WINDOWS = {"innovations_2015": (dt.date(2015, 1, 1), dt.date(2017, 12, 31), dt.date(2014, 12, 31)),
            "smart_city_2018": (dt.date(2018, 4, 1), dt.date(2022, 12, 31), dt.date(2018, 3, 31))}

# Inferred from the Smart City plan's text: (name, unit, direction, frequency, item codes, baseline).
SMART_CITY_MEASURES = (
    ("City staff trained in data analytics", "staff trained (cumulative)", "increase", "quarterly",
     ("1.1.3", "1.1"), 0.0),
    ("City priorities with a public dashboard", "% of priorities", "increase", "quarterly", ("1.2.2", "1.2"), 0.0),
    ("Curb occupancy in the loading-zone pilot", "% of loading spaces occupied", "maintain", "quarterly",
     ("1.4.3", "1.4"), 92.0),
    ("CityLine rider satisfaction", "% of surveyed riders", "increase", "annual", ("2.4.2", "2.4"), 88.0),
    ("Street lights upgraded", "% of street lights", "increase", "quarterly", ("3.4.1", "3.4"), 0.0),
)


def _format(unit: str) -> str:
    u = unit.lower()
    if u.startswith("%"):
        return "percent"
    if "usd" in u:
        return "currency"
    if "per 1,000" in u or "per household" in u or "per 100,000" in u:
        return "decimal"
    return "integer"


def _frequency(unit: str) -> str:
    return "annual" if "per year" in unit.lower() or "survey" in unit.lower() else "quarterly"


def _baseline(unit: str, rng: random.Random) -> float:
    u = unit.lower()
    if u.startswith("%"):
        return round(rng.uniform(20, 70), 1)
    if "per 1,000" in u or "per household" in u:
        return round(rng.uniform(1, 5), 2)
    if "per 100,000" in u:
        return round(rng.uniform(8, 20), 1)
    if "usd" in u:
        return float(rng.randrange(50_000, 400_000, 5_000))
    return float(rng.randrange(20, 2_000))


def _series(direction: str, baseline: float, n: int, rng: random.Random, percent: bool) -> tuple[list[float], float]:
    """N values drifting from the baseline, and the yearly step of the target."""
    sign = {"increase": 1.0, "decrease": -1.0, "maintain": 0.0}[direction]
    size = max(abs(baseline), 10.0 if percent else 5.0)
    step = sign * size * rng.uniform(0.01, 0.06)
    pace = step * rng.uniform(-0.2, 1.6)  # some measures move faster than their target, some against it
    values, v = [], baseline
    for _ in range(n):
        v = v + pace + rng.gauss(0, size * 0.03)
        v = max(0.0, min(100.0, v)) if percent else max(0.0, v)
        values.append(round(v, 2 if size < 10 else 1 if size < 1000 else 0))
    return values, step


def _load(session: Session, measure_id: int, direction: str, frequency: str, unit: str, baseline: float,
          first: dt.date, last: dt.date, rng: random.Random, gaps: bool) -> None:
    ends = period_ends(first, last, frequency)
    percent = unit.lower().startswith("%")
    values, step = _series(direction, baseline, len(ends), rng, percent)
    skip = {len(ends) - 5} if gaps and len(ends) > 6 else set()  # one late report leaves a "no data" period
    for n, (end, v) in enumerate(zip(ends, values, strict=True)):
        if n in skip:
            continue
        session.add(MeasureValue(measure_id=measure_id, as_of=end, value=v, author=DEMO_AUTHOR, source=DEMO_SOURCE,
                                 note=None))
    per_year = {"monthly": 12, "quarterly": 4, "annual": 1}[frequency]
    for year_index, start in enumerate(range(0, len(ends), per_year)):
        period = ends[start]
        if direction == "maintain":
            session.add(MeasureTarget(measure_id=measure_id, period=period, lower=70.0, upper=85.0))
        else:
            t = baseline + step * per_year * (year_index + 1)
            t = max(0.0, min(100.0, t)) if percent else max(0.0, t)
            session.add(MeasureTarget(measure_id=measure_id, period=period, value=round(t, 2)))


def load_demo_measures(session: Session, plan_id: int, plan_key: str, ids: dict[str, int],
                       rows: list[dict[str, str]]) -> int:
    """Add the plan's demo measures with illustrative values and targets; return how many.

    Args:
        session: the demo builder's session (one transaction).
        plan_id: the plan.
        plan_key: ``innovations_2015`` (rows from the measures CSV) or ``smart_city_2018``.
        ids: item id by code.
        rows: the CSV rows of ``weho_measures_2015.csv`` (ignored for Smart City).

    """
    if plan_key not in _WINDOWS:
        return 0
    first, last, base_day = _WINDOWS[plan_key]
    # Owners are role titles, illustrative like the plan items' owners.
    owner = person_id(session, "Innovation Manager" if plan_key == "innovations_2015" else "Data Lead")
    if plan_key == "innovations_2015":
        for k, m in enumerate(rows):
            rng = random.Random(zlib.crc32(m["candidate_measure"].encode()))
            unit = m["unit"] or ""
            direction = DIRECTION_WORDS.get((m["direction"] or "none").strip().lower(), "maintain")
            codes: list[str] = [m["topic_code"], *re.findall(r"initiatives? ((?:\d+\.\d+(?:, )?)+)", m["basis"] + " "
                                                  + m["source_note"])]
            links = [ids[c.strip()] for part in codes for c in part.split(",") if c.strip() in ids]
            frequency = _frequency(unit)
            baseline = _baseline(unit, rng)
            measure = add_measure(
                session, plan_id=plan_id, name=m["candidate_measure"], direction=direction, frequency=frequency,
                unit=unit or None, number_format=_format(unit), item_ids=links, baseline_value=baseline, owner_id=owner,
                baseline_date=base_day, data_source="illustrative (generated for the demo)",
                provenance="illustrative", goal_code=m["goal_code"], goal=m["goal"],
                baseline_note=m["context_or_baseline"] or None, source_note=m["source_note"] or None)
            if k % 11 == 5:  # a few measures await their first report: "No data"
                continue
            _load(session, measure.id, direction, frequency, unit, baseline, first, last, rng, gaps=k % 7 == 3)
        return len(rows)
    for name, unit, direction, frequency, item_codes, baseline in SMART_CITY_MEASURES:
        rng = random.Random(zlib.crc32(name.encode()))
        links = [ids[c] for c in item_codes if c in ids]
        measure = add_measure(
            session, plan_id=plan_id, name=name, direction=direction, frequency=frequency, unit=unit,
            number_format="percent" if unit.startswith("%") else "integer", item_ids=links, owner_id=owner,
            baseline_value=baseline, baseline_date=base_day, data_source="illustrative (generated for the demo)",
            provenance="inferred", source_note="inferred from the plan's action " + item_codes[0])
        _load(session, measure.id, direction, frequency, unit, baseline, first, last, rng, gaps=False)
    return len(SMART_CITY_MEASURES)
