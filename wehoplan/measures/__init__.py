"""Performance measures (KPIs): targets, tolerance, history, tied to the plan (issue 17).

- :mod:`.rules`: the status rules (pure; an ordered list, the first match wins) and periods;
- :mod:`.model`: readers (frames) and writers of append-only values, with access checks;
- :mod:`.targets`: the editors' writers of targets and caution bands, audited;
- :mod:`.frames`: pure pandas: status as of a date, history per period, filters, display;
- :mod:`.importing`: measure values from spreadsheets, long or wide, all or nothing;
- :mod:`.demo`: the demo's illustrative values and targets.
"""

from __future__ import annotations

from wehoplan.measures.frames import (
    DIRECTION_WORDS,
    display_table,
    due_values,
    filter_measures,
    filtered,
    format_number,
    history,
    measure_table,
    target_history,
    target_text,
    trend_points,
    value_with_unit,
)
from wehoplan.measures.model import (
    BulkResult,
    MeasureData,
    MeasureError,
    RowProblem,
    load_measure_data,
    load_measures,
    load_targets,
    load_values,
    parse_value,
    record_value,
    record_values_bulk,
    resolve_measure,
)
from wehoplan.measures.rules import (
    DEFAULT_TOLERANCE,
    DIRECTIONS,
    FREQUENCIES,
    MEASURE_STATUS_COLOURS,
    MEASURE_STATUS_KEYS,
    MEASURE_STATUS_LABELS,
    count_statuses,
    period_label,
    status_of,
    statuses,
)
from wehoplan.measures.targets import set_target, set_tolerance

__all__ = [
    "DEFAULT_TOLERANCE", "DIRECTIONS", "DIRECTION_WORDS", "FREQUENCIES", "MEASURE_STATUS_COLOURS",
    "MEASURE_STATUS_KEYS", "MEASURE_STATUS_LABELS", "BulkResult", "MeasureData", "MeasureError", "RowProblem",
    "count_statuses",
    "display_table", "due_values", "filter_measures", "filtered", "format_number", "history", "load_measure_data",
    "load_measures", "load_targets", "load_values", "measure_table", "parse_value", "period_label",
    "record_value", "record_values_bulk", "resolve_measure", "set_target", "set_tolerance", "status_of", "statuses",
    "target_history", "target_text", "trend_points", "value_with_unit",
]
