"""The extract's Measures and Measure values sheets (written by :mod:`wehoplan.exporting`'s hook).

Measures: one row per measure with its status as of the extract's date, the same
:func:`~wehoplan.measures.frames.measure_table` the page and the ``measures`` command show.
Measure values: every period's value in force up to that date, in the long layout the
measure import reads, so the sheet imports back unchanged.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from wehoplan.filters import Filters
from wehoplan.measures.frames import current_values, display_table, filtered, measure_table
from wehoplan.measures.model import MeasureData
from wehoplan.measures.rules import DEFAULT_TOLERANCE
from wehoplan.rollup import PreparedTree

# The extract colours status cells by the plan statuses' colours: the nearest in meaning.
_STATUS_COLOUR_KEY = {"on_target": "on_track", "caution": "some_disruption", "off_target": "major_disruption",
                      "no_target": "pending", "no_data": "pending"}
SHEETS = ("Measures", "Measure values")


def measures_sheet(table: pd.DataFrame) -> pd.DataFrame:
    """The Measures sheet: the display table, with lower and upper bounds and a colour hint."""
    shown = display_table(table)
    return shown.assign(**{"Lower bound": table["lower"].to_numpy(), "Upper bound": table["upper"].to_numpy(),
                           "Target value": table["target"].to_numpy(),
                           "_status": table["status"].map(_STATUS_COLOUR_KEY).to_numpy()})


def values_sheet(data: MeasureData, as_of: dt.date | pd.Timestamp) -> pd.DataFrame:
    """The Measure values sheet: Measure, Period end, Value, Not applicable, Note, Entered by."""
    cur = current_values(data.values, as_of)
    names = dict(zip(data.measures["id"], data.measures["name"], strict=True))
    cur = cur.assign(_name=cur["measure_id"].map(names)).sort_values(["_name", "period"], kind="stable")
    return pd.DataFrame({
        "Measure": cur["_name"].astype("string"),
        "Period end": cur["period"],
        "Value": cur["value"].astype("float64"),
        "Not applicable": cur["not_applicable"].map({True: "yes", False: ""}).astype("string"),
        "Note": cur["note"].fillna("").astype("string"),
        "Entered by": cur["author"].fillna("").astype("string"),
    }).reset_index(drop=True)


def extract_sheets(data: MeasureData, tree: PreparedTree | None, filters: Filters | None,
                   as_of: dt.date | pd.Timestamp, tolerance: float = DEFAULT_TOLERANCE,
                   ) -> tuple[tuple[str, pd.DataFrame], ...]:
    """The two sheets for :func:`wehoplan.exporting.extract_bytes`'s ``extra_sheets`` (none without measures)."""
    if data.measures.empty:
        return ()
    data = filtered(data, tree, filters or Filters())
    table = measure_table(data, as_of, tolerance)
    return (("Measures", measures_sheet(table)), ("Measure values", values_sheet(data, as_of)))
