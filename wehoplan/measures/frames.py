"""Pure pandas over a plan's measures: status as of a date, history per period, filters, display.

Frames in, new frames out (no database, no Streamlit): the Measures page, the extract's sheets
and the ``measures`` command all call :func:`measure_table`, so they show the same statuses.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from wehoplan.filters import Filters
from wehoplan.measures.model import MeasureData
from wehoplan.measures.rules import (
    DEFAULT_TOLERANCE,
    MEASURE_STATUS_LABELS,
    latest_period_end,
    period_end,
    period_ends,
    period_label,
    status_of,
)
from wehoplan.rollup import PreparedTree

TABLE_COLUMNS = ("id", "name", "unit", "number_format", "direction", "frequency", "owner", "item_codes",
                 "provenance", "period", "value", "target", "lower", "upper", "tolerance", "status", "n_values",
                 "note", "baseline_value", "baseline_date")
HISTORY_COLUMNS = ("period", "label", "value", "not_applicable", "target", "lower", "upper", "band_low",
                   "band_high", "status", "note", "author")


def current_values(values: pd.DataFrame, as_of: dt.date | pd.Timestamp | None = None) -> pd.DataFrame:
    """The value in force per measure and period (the latest entered), periods ending by ``as_of``."""
    v = values if as_of is None else values[values["period"] <= pd.Timestamp(as_of)]
    return v.sort_values("id").groupby(["measure_id", "period"], sort=False).tail(1).sort_values(
        ["measure_id", "period"]).reset_index(drop=True)


def _target_at(targets: pd.DataFrame, period: pd.Timestamp) -> tuple[float | None, float | None, float | None]:
    """The target in force for ``period``: the latest set for a period on or before it (a step)."""
    t = targets[targets["period"] <= period]
    if t.empty:
        return None, None, None
    last = t.iloc[-1]
    return tuple(None if pd.isna(last[c]) else float(last[c]) for c in ("value", "lower", "upper"))  # type: ignore[return-value]


def _tolerance(m: pd.Series | dict, default: float) -> float:
    t = m["tolerance"]
    return default if t is None or pd.isna(t) else float(t)


def _latest_counted(freq: str, as_of: pd.Timestamp, na_periods: set[pd.Timestamp]) -> pd.Timestamp:
    """The latest period end on or before ``as_of`` that is not marked not applicable."""
    p = pd.Timestamp(latest_period_end(as_of, freq))
    while p in na_periods:
        p = pd.Timestamp(latest_period_end(p - pd.Timedelta(days=1), freq))
    return p


def measure_table(data: MeasureData, as_of: dt.date | pd.Timestamp, tolerance: float = DEFAULT_TOLERANCE,
                  ) -> pd.DataFrame:
    """One row per measure with its latest period, value, target in force and status as of ``as_of``.

    Columns :data:`TABLE_COLUMNS`; ``status`` is a key of
    :data:`~wehoplan.measures.rules.MEASURE_STATUS_KEYS`, ``period`` the latest period end on
    or before ``as_of`` that is not marked "not applicable".
    """
    as_of = pd.Timestamp(as_of)
    cur = current_values(data.values, as_of)
    by_measure = {k: g for k, g in cur.groupby("measure_id")}
    targets = {k: g.sort_values("period") for k, g in data.targets.groupby("measure_id")}
    rows = []
    empty_t = data.targets.iloc[0:0]
    for m in data.measures.to_dict("records"):
        vals = by_measure.get(m["id"])
        na = set(vals.loc[vals["not_applicable"], "period"]) if vals is not None else set()
        p = _latest_counted(m["frequency"], as_of, na)
        hit = vals[vals["period"] == p] if vals is not None else None
        value = float(hit["value"].iloc[0]) if hit is not None and len(hit) and not pd.isna(hit["value"].iloc[0]) \
            else None
        note = hit["note"].iloc[0] if hit is not None and len(hit) else None
        t, lo, hi = _target_at(targets.get(m["id"], empty_t), p)
        tol = _tolerance(m, tolerance)
        rows.append({
            **{k: m[k] for k in ("id", "name", "unit", "number_format", "direction", "frequency", "owner",
                                 "item_codes", "provenance", "baseline_value", "baseline_date")},
            "period": p, "value": value, "target": t, "lower": lo, "upper": hi, "tolerance": tol,
            "status": status_of(m["direction"], value, t, lo, hi, tol),
            "n_values": 0 if vals is None else int(vals["value"].notna().sum()), "note": note,
        })
    df = pd.DataFrame.from_records(rows, columns=list(TABLE_COLUMNS))
    return df.assign(period=pd.to_datetime(df["period"]),
                     **{c: df[c].astype("float64") for c in ("value", "target", "lower", "upper", "tolerance")},
                     status=df["status"].astype("string"))


def band(direction: str, target: float | None, lower: float | None, upper: float | None,
         tolerance: float) -> tuple[float | None, float | None]:
    """The caution band of a target: from where a miss turns off target to where it is on target."""
    if direction == "maintain":
        lo = None if lower is None else lower - tolerance * abs(lower)
        hi = None if upper is None else upper + tolerance * abs(upper)
        return lo, hi
    if target is None:
        return None, None
    if direction == "decrease":
        return target, target + tolerance * abs(target)
    return target - tolerance * abs(target), target


def history(data: MeasureData, measure_id: int, as_of: dt.date | pd.Timestamp,
            tolerance: float = DEFAULT_TOLERANCE) -> pd.DataFrame:
    """Every period of one measure up to ``as_of``: value, target in force, caution band, status.

    Periods run from the first period with a value or a target (or the baseline's) to the
    latest on or before ``as_of``. Columns :data:`HISTORY_COLUMNS`.
    """
    as_of = pd.Timestamp(as_of)
    m = data.measures[data.measures["id"] == measure_id].iloc[0]
    freq, tol = str(m["frequency"]), _tolerance(m, tolerance)
    cur = current_values(data.values[data.values["measure_id"] == measure_id], as_of)
    tg = data.targets[data.targets["measure_id"] == measure_id].sort_values("period")
    starts = [d for d in (cur["period"].min(), tg["period"].min()) if not pd.isna(d)]
    if not starts:
        return pd.DataFrame(columns=list(HISTORY_COLUMNS))
    first = min(starts)
    ends = period_ends(first.date(), as_of.date(), freq)
    byp = {pd.Timestamp(p): r for p, r in zip(cur["period"], cur.to_dict("records"), strict=True)}
    rows = []
    for e in ends:
        p = pd.Timestamp(e)
        r = byp.get(p)
        value = None if r is None or pd.isna(r["value"]) else float(r["value"])
        na = bool(r["not_applicable"]) if r is not None else False
        t, lo, hi = _target_at(tg, p)
        b_lo, b_hi = band(str(m["direction"]), t, lo, hi, tol)
        rows.append({"period": p, "label": period_label(p, freq), "value": value, "not_applicable": na,
                     "target": t, "lower": lo, "upper": hi, "band_low": b_lo, "band_high": b_hi,
                     "status": "not_applicable" if na else status_of(str(m["direction"]), value, t, lo, hi, tol),
                     "note": None if r is None else r["note"], "author": None if r is None else r["author"]})
    df = pd.DataFrame.from_records(rows, columns=list(HISTORY_COLUMNS))
    return df.assign(**{c: df[c].astype("float64") for c in ("value", "target", "lower", "upper", "band_low",
                                                             "band_high")})


def trend_points(data: MeasureData, as_of: dt.date | pd.Timestamp, n: int = 8) -> dict[int, list[float]]:
    """The last ``n`` values of every measure up to ``as_of`` (the cards' small trend)."""
    cur = current_values(data.values, as_of)
    cur = cur[cur["value"].notna()]
    return {int(k): g["value"].tail(n).astype(float).tolist() for k, g in cur.groupby("measure_id")}


def filter_measures(measures: pd.DataFrame, tree: PreparedTree | None, filters: Filters) -> pd.DataFrame:
    """The measures the sidebar's filters keep, through the items they are tied to.

    A measure passes when one of its items passes: the strategy filter keeps an item that is
    the chosen item or under it; the department, SMART and owner filters keep an item when it,
    or an action under it, carries the value by its effective values (GUIDE §3), so a measure
    of a whole strategy shows for the departments that lead work in it. A measure tied to no
    item passes only when those filters are empty. The text search looks in the measure's
    name, unit, goal and item codes. The status filter is about actions and leaves measures alone.
    """
    structural = Filters(strategy=filters.strategy, department=filters.department, smart=filters.smart,
                         owner=filters.owner)
    keep = np.ones(len(measures), dtype=bool)
    if not structural.is_empty():
        if tree is None or len(tree) == 0:
            keep[:] = False
        else:
            frame = tree.frame
            path_of = dict(zip(frame["id"], frame["path_codes"].astype(str), strict=True))
            code_of = dict(zip(frame["id"], frame["code"], strict=True))
            others = Filters(department=filters.department, smart=filters.smart, owner=filters.owner)
            hay = tree.haystacks
            joined = "".join(hay.paths[others.leaf_mask(hay)].tolist()) if not others.is_empty() else None

            def passes(i: int) -> bool:
                if i not in code_of:  # archived, or of another plan
                    return False
                if filters.strategy and not any(f"|{c}|" in path_of[i] for c in filters.strategy):
                    return False
                return joined is None or f"|{code_of[i]}|" in joined

            keep = np.array([any(passes(i) for i in ids) for ids in measures["item_ids"]], dtype=bool)
    if filters.text:
        q = filters.text.casefold()
        hay_text = (measures["name"].fillna("").astype(str) + " " + measures["unit"].fillna("").astype(str) + " "
                    + measures["goal"].fillna("").astype(str) + " " + measures["item_codes"].fillna("").astype(str))
        keep &= hay_text.str.casefold().str.contains(q, regex=False).to_numpy(dtype=bool)
    return measures[keep]


def filtered(data: MeasureData, tree: PreparedTree | None, filters: Filters) -> MeasureData:
    """``data`` with only the measures the filters keep (and their values and targets)."""
    ms = filter_measures(data.measures, tree, filters)
    ids = set(ms["id"])
    return MeasureData(ms, data.values[data.values["measure_id"].isin(ids)],
                       data.targets[data.targets["measure_id"].isin(ids)])


# ---------------------------------------------------------------- words and numbers on screen


def format_number(value: float | None, number_format: str) -> str:
    """A value as a person reads it: "1,234", "12.5", "45 %", "$5,000" ("" when blank)."""
    if value is None or pd.isna(value):
        return ""
    if number_format == "integer":
        text = f"{value:,.0f}"
    elif number_format == "percent":
        return f"{value:,.1f} %".replace(".0 %", " %")
    elif number_format == "currency":
        return f"${value:,.0f}"
    else:
        text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return text


def value_with_unit(value_text: str, unit: str | None) -> str:
    """A value and its unit as one phrase: "4.1 % of priorities", not "4.1 % % of priorities".

    A percent value already carries its sign, so a unit starting with "%" loses it.
    """
    unit = (unit or "").strip()
    if value_text.endswith("%") and unit.startswith("%"):
        unit = unit[1:].strip()
    return f"{value_text} {unit}".strip()


def target_text(row: pd.Series | dict) -> str:
    """The target in force as words: "at least 40", "at most 12", "between 5 and 8", "" when none."""
    fmt = str(row["number_format"])
    if row["direction"] == "maintain":
        lo, hi = row["lower"], row["upper"]
        if pd.isna(lo) and pd.isna(hi):
            return ""
        if pd.isna(lo):
            return f"at most {format_number(hi, fmt)}"
        if pd.isna(hi):
            return f"at least {format_number(lo, fmt)}"
        return f"between {format_number(lo, fmt)} and {format_number(hi, fmt)}"
    t = row["target"]
    if pd.isna(t):
        return ""
    return f"{'at least' if row['direction'] == 'increase' else 'at most'} {format_number(t, fmt)}"



def target_history(data: MeasureData, measure_id: int) -> pd.DataFrame:
    """The targets a measure has had, oldest first, as words: "From" (a period) and "Target".

    Each holds from its period on, until the next one (what :func:`measure_table` reads).
    """
    m = data.measures.loc[data.measures["id"] == measure_id].iloc[0]
    t = data.targets[data.targets["measure_id"] == measure_id].sort_values("period", kind="stable")
    words = [target_text({"number_format": m["number_format"], "direction": m["direction"], "target": v,
                          "lower": lo, "upper": hi})
             for v, lo, hi in zip(t["value"], t["lower"], t["upper"], strict=True)]
    return pd.DataFrame({"From": [period_label(p, m["frequency"]) for p in t["period"]], "Target": words},
                        dtype="object")

DIRECTION_WORDS = {"increase": "Higher is better", "decrease": "Lower is better", "maintain": "Keep within a range"}
PROVENANCE_WORDS = {"illustrative": "Illustrative values",
                    "inferred": "Measure inferred from the plan's text; illustrative values"}


def display_table(table: pd.DataFrame) -> pd.DataFrame:
    """The measure table with the words a person reads (the page's table, the extract's sheet)."""
    out = pd.DataFrame({
        "Measure": table["name"],
        "Unit": table["unit"].fillna(""),
        "Direction": table["direction"].map(DIRECTION_WORDS),
        "Frequency": table["frequency"].str.capitalize(),
        "Period": [period_label(p, f) for p, f in zip(table["period"], table["frequency"], strict=True)],
        "Period end": table["period"],
        "Value": table["value"],
        "Target": [target_text(r) for r in table.to_dict("records")],
        "Status": table["status"].map(MEASURE_STATUS_LABELS).astype("string"),
        "Owner": table["owner"].fillna(""),
        "Items": table["item_codes"].fillna(""),
        "Note": table["note"].fillna(""),
        "Data": table["provenance"].map(lambda p: PROVENANCE_WORDS.get(p, "") if isinstance(p, str) else ""),
    })
    return out.reset_index(drop=True)


def period_of(day: dt.date | pd.Timestamp, frequency: str) -> pd.Timestamp:
    """The end of the period holding ``day``, as a Timestamp (the frames' period type)."""
    return pd.Timestamp(period_end(day, frequency))


# ---------------------------------------------------------------- what an owner owes

DUE_COLUMNS = ("id", "name", "frequency", "period", "period_label", "reported", "last_period", "last_value")


def due_values(data: MeasureData, owner: str, today: dt.date | pd.Timestamp) -> pd.DataFrame:
    """The measures ``owner`` owns, each with the value it owes on ``today`` (My updates).

    The value owed is that of the latest period ended by ``today`` (a monthly measure owes
    September's value in October). ``reported`` is True once a value, or "not applicable", is
    in for that period; ``last_period`` and ``last_value`` (words with the unit) describe the
    latest value entered for any period. Columns :data:`DUE_COLUMNS`, measures by name.
    """
    day_ts = pd.Timestamp(today)
    mine = data.measures[data.measures["owner"] == owner].sort_values("name")
    cur = current_values(data.values[data.values["measure_id"].isin(mine["id"])], day_ts)
    rows = []
    for m in mine.to_dict("records"):
        owed = pd.Timestamp(latest_period_end(day_ts, m["frequency"]))
        vals = cur[cur["measure_id"] == m["id"]]
        last = vals.iloc[-1] if len(vals) else None
        if last is None:
            last_text = ""
        elif bool(last["not_applicable"]):
            last_text = "not applicable"
        else:
            last_text = value_with_unit(format_number(last["value"], m["number_format"]), m["unit"])
        rows.append({"id": m["id"], "name": m["name"], "frequency": m["frequency"], "period": owed,
                     "period_label": period_label(owed, m["frequency"]),
                     "reported": bool((vals["period"] == owed).any()),
                     "last_period": None if last is None else last["period"], "last_value": last_text})
    df = pd.DataFrame.from_records(rows, columns=list(DUE_COLUMNS))
    return df.assign(period=pd.to_datetime(df["period"]), last_period=pd.to_datetime(df["last_period"]),
                     reported=df["reported"].astype(bool)).reset_index(drop=True)
