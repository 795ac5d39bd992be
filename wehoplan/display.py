"""Words and numbers as a person reads them on screen (no Streamlit).

One date format everywhere on screen ("15 Oct 2020"), status words with a coloured
marker instead of cell styling (a pandas Styler stops working above 262,144 cells,
and styles every cell on every rerun), percentages as "100 %", and the friendly
names of the audit trail's columns. Pages, captions and confirmations all go
through these helpers, so a format changes in one place.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from wehoplan.domain import STATUS_KEYS, STATUS_LABELS, STATUS_SYNONYMS, is_blank

# The format of every date shown as text, and its moment.js twin for st.column_config.
DATE_FORMAT = "%d %b %Y"
DATE_COLUMN_FORMAT = "D MMM YYYY"
DATETIME_COLUMN_FORMAT = "D MMM YYYY, HH:mm"
# st.date_input offers only numeric formats; ISO order is the one that cannot be misread.
DATE_INPUT_FORMAT = "YYYY-MM-DD"

# A coloured marker before each status word, in the GUIDE colours' hues (grey, green,
# amber, red, blue, black), so the colour survives without styling the cells.
STATUS_MARKERS: dict[str, str] = {
    "pending": "⚪", "on_track": "🟢", "some_disruption": "🟡", "major_disruption": "🔴",
    "completed": "🔵", "deferred": "⚫",
}
MARKED_LABELS: dict[str, str] = {k: f"{STATUS_MARKERS[k]} {STATUS_LABELS[k]}" for k in STATUS_KEYS}


def day(value: object, missing: str = "") -> str:
    """A date as shown on screen ("15 Oct 2020"); ``missing`` for a blank value."""
    if is_blank(value):
        return missing
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError):
        return str(value)
    return missing if pd.isna(stamp) else stamp.strftime(DATE_FORMAT).lstrip("0")


def percent(value: object, missing: str = "") -> str:
    """A percentage as shown on screen ("100 %", "52.5 %"); ``missing`` for a blank value."""
    if is_blank(value):
        return missing
    number = float(value)  # type: ignore[arg-type]
    return f"{number:.0f} %" if abs(number - round(number)) < 0.05 else f"{number:.1f} %"


def status_word(key: object, marked: bool = False) -> str:
    """The label of a status key ("Some disruption"), with its marker when ``marked``."""
    if is_blank(key):
        return ""
    labels = MARKED_LABELS if marked else STATUS_LABELS
    return labels.get(str(key), str(key).replace("_", " "))


# Schedule health words (GUIDE §3) get the same hues: on schedule green, behind amber, at risk red.
HEALTH_MARKERS: dict[str, str] = {"On schedule": "🟢", "Behind": "🟡", "At risk": "🔴", "Done": "🔵"}


def mark_statuses(frame: pd.DataFrame, column: str = "Status") -> pd.DataFrame:
    """A copy of ``frame`` whose ``column`` of status labels (and any "Health" column) carries the marker."""
    by_label = {STATUS_LABELS[k]: MARKED_LABELS[k] for k in STATUS_KEYS}
    by_health = {w: f"{m} {w}" for w, m in HEALTH_MARKERS.items()}
    out = {}
    if column in frame.columns:
        out[column] = frame[column].map(lambda v: by_label.get(v, v) if isinstance(v, str) else "")
    if "Health" in frame.columns:
        out["Health"] = frame["Health"].map(lambda v: by_health.get(v, v) if isinstance(v, str) else "")
    return frame.assign(**out) if out else frame


def status_counts_text(frame: pd.DataFrame) -> pd.Series:
    """One compact text per row from its per-status count columns ("🟢 3 · 🟡 1 · 🔵 2").

    ``frame`` holds a column per status named by its label's first words (as
    :func:`wehoplan.dashboard.summary_table` names them); statuses with no action are left out.
    """
    cols = [(k, STATUS_LABELS[k].split(" /")[0]) for k in STATUS_KEYS]
    cols = [(k, c) for k, c in cols if c in frame.columns]
    if frame.empty:
        return pd.Series([], dtype=str, index=frame.index)
    parts = [[f"{STATUS_MARKERS[k]} {int(n)}" for k, n in zip([k for k, _ in cols], row, strict=True) if n]
             for row in frame[[c for _, c in cols]].itertuples(index=False, name=None)]
    return pd.Series([" · ".join(p) for p in parts], index=frame.index, dtype=str)


def status_choice_label(key: str) -> str:
    """A status as offered in a picker, with the other words that mean it.

    Typing any of them ("at risk", "delayed") in the picker finds the status, the
    same words an import accepts (GUIDE §3).
    """
    label = STATUS_LABELS[key]
    others = [w for w, k in STATUS_SYNONYMS.items() if k == key and w not in label.casefold()]
    return f"{MARKED_LABELS[key]} ({', '.join(others)})" if others else MARKED_LABELS[key]


# The audit trail's columns as a person names them, in the order worth reading.
AUDIT_COLUMNS: dict[str, str] = {
    "id": "Change number", "at": "When (UTC)", "author": "Who", "action": "Change", "entity": "About",
    "entity_id": "Record number", "item_code": "Item", "field": "Field", "old_value": "Before",
    "new_value": "After", "source": "Made by", "batch_id": "Import number", "created_at": "Recorded",
    "undone_at": "Undone",
}


def audit_for_screen(frame: pd.DataFrame) -> pd.DataFrame:
    """The audit frame with friendly column names and no raw missing values (a new frame)."""
    out = frame.rename(columns={c: AUDIT_COLUMNS.get(c, c.replace("_", " ").capitalize()) for c in frame.columns})
    text = [c for c in out.columns if out[c].dtype == object or pd.api.types.is_string_dtype(out[c])]
    out = out.assign(**{c: out[c].fillna("").astype(str).replace({"None": "", "nan": ""}) for c in text})
    # Stored values name statuses by key ("some_disruption 55% as of ..."): show their words.
    values = [c for c in ("Before", "After") if c in out.columns]
    return out.assign(**{c: out[c].str.replace(_STATUS_KEY_WORD, lambda m: STATUS_LABELS[m.group(0)], regex=True)
                         for c in values})


BATCH_COLUMNS: dict[str, str] = {
    "id": "Import number", "plan": "Plan", "file_name": "File", "author": "Imported by", "created_at": "When",
    "items_created": "Items added", "items_updated": "Items changed", "updates_added": "Reports added",
    "undone_at": "Undone on",
}


def batches_for_screen(frame: pd.DataFrame) -> pd.DataFrame:
    """The import history (:func:`wehoplan.importing.list_batches`) in words: named columns, dates as shown."""
    out = frame[[c for c in BATCH_COLUMNS if c in frame.columns]]
    out = out.assign(**{c: out[c].map(day) for c in ("created_at", "undone_at") if c in out.columns},
                     **{c: out[c].fillna("").astype(str) for c in ("plan", "file_name", "author") if c in out.columns})
    return out.rename(columns=BATCH_COLUMNS)


_STATUS_KEY_WORD = r"\b(" + "|".join(k for k in STATUS_KEYS if "_" in k) + r")\b"


def default_audit_range(first: dt.date | None, last: dt.date | None, today: dt.date,
                        days: int = 90) -> tuple[dt.date, dt.date]:
    """The Audit page's opening range: every change, and never less than the last ``days`` days.

    A range of one day (a database built today) read as "today only"; the earlier of the
    first change and ``days`` days ago shows everything and reads as a range.
    """
    until = max(today, last) if last is not None else today
    since = until - dt.timedelta(days=days)
    if first is not None and first < since:
        since = first
    return since, until


def history_for_screen(history: pd.DataFrame) -> pd.DataFrame:
    """One item's reports as a person reads them, newest first (a new frame).

    Dates as "15 Oct 2020" (no "00:00:00"), status words (no ``some_disruption``),
    "77 %", and blanks instead of "None".
    """
    h = history.iloc[::-1]
    return pd.DataFrame({
        "As of": [day(v) for v in h["as_of"]],
        "Status": [status_word(v, marked=True) for v in h["status"]],
        "Progress": [percent(v) for v in h["progress"]],
        "Comment": h["comment"].fillna("").astype(str).to_numpy(),
        "Author": h["author"].fillna("").astype(str).to_numpy(),
        "Source": h["source"].fillna("").astype(str).to_numpy(),
    })


def progress_drop_question(before: float, after: float, points: float) -> str | None:
    """The question to ask before saving a report whose progress falls by ``points`` or more; None: no drop."""
    if before - after < points or before <= after:
        return None
    return (f"Progress falls from {percent(before)} to {percent(after)} ({before - after:.0f} points less). "
            "If that is right, press **Save update** again to save it.")
