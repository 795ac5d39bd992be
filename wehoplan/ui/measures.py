"""Streamlit pieces of the Measures page and the Overview's measure line.

The measure frames are read once per plan and data version (``st.cache_resource``, like the
plan's frames); statuses come from :func:`wehoplan.measures.measure_table`, as in the extract
and the ``measures`` command.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from wehoplan import charts, exporting, measures
from wehoplan.config import load_config
from wehoplan.display import day
from wehoplan.domain import is_blank
from wehoplan.measures import extract as measures_extract
from wehoplan.measures.frames import DIRECTION_WORDS
from wehoplan.measures.rules import MEASURE_STATUS_KEYS, MEASURE_STATUS_LABELS, period_label
from wehoplan.ui import cache
from wehoplan.ui.edit_state import flash
from wehoplan.ui.state import View
from wehoplan.ui.text import md

#: Streamlit's badge colours for the measure statuses (text and colour, never colour alone).
BADGE = {"on_target": "green", "caution": "orange", "off_target": "red", "no_target": "gray", "no_data": "gray"}
_SPARKS = "▁▂▃▄▅▆▇█"


@st.cache_resource(show_spinner=False, max_entries=8)
def _data(url: str, plan_id: int, version: int) -> measures.MeasureData:
    return measures.load_measure_data(cache.engine(), plan_id)


def tolerance() -> float:
    """The caution band of the settings (``WEHOPLAN_MEASURE_TOLERANCE``)."""
    return load_config().measure_tolerance


def plan_data(view: View) -> measures.MeasureData:
    """Every measure of the view's plan (unfiltered), loaded once per data version."""
    assert view.frames is not None
    return cache.remembered(_data, (cache.database_url(), view.frames.plan.id, view.frames.version))


def view_data(view: View) -> measures.MeasureData:
    """The measures the sidebar's filters keep."""
    assert view.frames is not None
    data = plan_data(view)
    if data.measures.empty:  # nothing to filter: skip the per-item look-ups the filter builds on every rerun
        return data
    return measures.filtered(data, view.frames.tree, view.filters)


def badge(status: str) -> str:
    """A status as a coloured badge with its words ("On target")."""
    return f":{BADGE[status]}-badge[{MEASURE_STATUS_LABELS[status]}]"


def sparkline(values: list[float]) -> str:
    """A small trend in text: ▁▃▅▇ (empty when fewer than two values)."""
    if len(values) < 2:
        return ""
    lo, hi = min(values), max(values)
    if hi == lo:
        return _SPARKS[3] * len(values)
    return "".join(_SPARKS[round((v - lo) / (hi - lo) * (len(_SPARKS) - 1))] for v in values)


def counts_line(table: pd.DataFrame) -> str:
    """'12 On target · 9 Caution · …' as badges (statuses with no measure left out)."""
    n = measures.count_statuses(table["status"].tolist())
    return "  ".join(f":{BADGE[k]}-badge[{n[k]} {MEASURE_STATUS_LABELS[k]}]" for k in MEASURE_STATUS_KEYS if n[k])


def overview_counts(view: View) -> None:
    """The Overview's measure line: how many measures are on target, in caution, off target, without data."""
    if view.frames is None:
        return
    data = view_data(view)
    if data.measures.empty:
        return
    table = measures.measure_table(data, view.as_of, tolerance())
    st.markdown("**Measures by status**")
    note = " (illustrative values)" if table["provenance"].notna().any() else ""
    st.markdown(counts_line(table))
    st.caption(f"{len(table)} measures, each by its latest period on or before {day(view.as_of)}{note}; "
               "details on the Measures page.")


def extract_xlsx(tree, updates, plan, as_of, filters, *, thresholds) -> bytes:
    """The Excel extract with its Measures sheets (built only when the download is clicked)."""
    data = measures.load_measure_data(cache.engine(), plan.id)
    sheets = measures_extract.extract_sheets(data, tree, filters, as_of, tolerance())
    return exporting.extract_bytes(tree, updates, plan, as_of, filters, fmt="xlsx", thresholds=thresholds,
                                   extra_sheets=sheets)


def _text(value: object, missing: str) -> str:
    # A missing owner reads as words, never "nan" or "None".
    return missing if is_blank(value) else str(value)


def card(row: dict, trend: list[float]) -> None:
    """One measure's card: name, status badge, latest value, target, small trend, provenance."""
    with st.container(border=True):
        st.markdown(f"**{md(row['name'])}**  \n{badge(row['status'])}")
        value = measures.format_number(row["value"], row["number_format"])
        when = period_label(row["period"], row["frequency"])
        if value:
            unit = measures.value_with_unit(value, row["unit"])[len(value):].strip()  # without a repeated "%"
            st.markdown(f"{when}: **{md(value)}** {md(unit)}".strip())
        else:
            st.markdown(f"{when}: no value yet")
        target = measures.target_text(row)
        spark = sparkline(trend)
        st.caption(" · ".join(x for x in (f"Target {target}" if target else "No target", spark and f"Trend {spark}")
                              if x))
        if row["provenance"] == "illustrative":
            st.caption("Illustrative values")
        elif row["provenance"] == "inferred":
            st.caption("Measure inferred from the plan's text; illustrative values")


def cards(table: pd.DataFrame, trends: dict[int, list[float]], per_row: int = 3) -> None:
    """A grid of cards, one per measure."""
    rows = table.to_dict("records")
    for start in range(0, len(rows), per_row):
        cols = st.columns(per_row)
        for col, row in zip(cols, rows[start:start + per_row], strict=False):
            with col:
                card(row, trends.get(int(row["id"]), []))


def detail(data: measures.MeasureData, table: pd.DataFrame, as_of: pd.Timestamp) -> None:
    """Pick a measure: its chart (actuals, target step line, caution band) and its periods."""
    labels: dict[int, str] = {int(i): str(n) for i, n in zip(table["id"], table["name"], strict=True)}
    mid = st.selectbox("Measure", list(labels), format_func=labels.__getitem__, key="measure_detail")
    if mid is None:
        return
    row = table[table["id"] == mid].iloc[0]
    hist = measures.history(data, int(mid), as_of, tolerance())
    st.markdown(f"{badge(row['status'])} · {md(DIRECTION_WORDS[row['direction']])} · "
                f"{md(row['frequency'].capitalize())} · owner: {md(_text(row['owner'], 'nobody yet'))} · "
                f"items: {md(_text(row['item_codes'], 'none linked'))}")
    st.altair_chart(charts.measure_chart(hist, row["unit"]), width="stretch", theme=None)
    if not hist.empty:
        shown = pd.DataFrame({
            "Period": hist["label"], "Value": [measures.format_number(v, row["number_format"]) for v in hist["value"]],
            "Target": [measures.target_text({**row.to_dict(), "target": t, "lower": lo, "upper": hi})
                       for t, lo, hi in zip(hist["target"], hist["lower"], hist["upper"], strict=True)],
            "Status": hist["status"].map({**MEASURE_STATUS_LABELS, "not_applicable": "Not applicable"}),
            "Note": hist["note"].fillna(""), "Entered by": hist["author"].fillna(""),
        })
        st.dataframe(shown.iloc[::-1], hide_index=True, width="stretch")


def save_values(rows: list[dict], data: measures.MeasureData, who, *, source: str = "app bulk",
                today=None) -> None:
    """Save several measure values at once (all or none): on success say so and rerun, else show each problem."""
    result = measures.record_values_bulk(cache.engine(), rows, data.measures, who, source=source, today=today,
                                         allow_future=load_config().allow_future_updates)
    if result.ok:
        unchanged = f" ({result.skipped} unchanged)" if result.skipped else ""
        flash(f"Saved {result.saved} measure value(s){unchanged}.")
        st.rerun()
    st.error("Nothing was saved: fix these rows.")
    st.dataframe(result.frame(), hide_index=True)
