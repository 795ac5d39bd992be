"""A roll-up table's columns taken at row positions, as the pages show them (no Streamlit).

The dashboard's tables (:mod:`wehoplan.dashboard`) and the Action Report's rows
(:mod:`wehoplan.action_report`) are made of these: only the rows asked for are taken, text stays
Arrow-backed ``str`` where it can, and words are worked out once per distinct value.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from wehoplan.domain import HEALTH_LABELS, STATUS_LABELS
from wehoplan.rollup.engine import vocabulary_codes


def _col(table: pd.DataFrame, column: str, at: np.ndarray) -> np.ndarray:
    """One column's values at row positions ``at`` (text as Python objects, missing as NaN)."""
    s = table[column]
    if s.dtype.kind in "OUST" or isinstance(s.dtype, pd.StringDtype):
        return s.array.take(at).to_numpy(dtype=object)  # only the rows asked for become Python objects
    return s.to_numpy()[at]


def _text(values) -> pd.api.extensions.ExtensionArray:
    """Python strings (None or NaN for missing) as a ``str`` column."""
    return pd.array(np.asarray(values, dtype=object), dtype="str")


def _objects(values) -> np.ndarray:
    """Values as an object array: a frame infers ``str`` from it when every value is text."""
    return np.asarray(values, dtype=object)


def _labels(values: np.ndarray, labels: dict[str, str], blank: str | None = None) -> pd.api.extensions.ExtensionArray:
    """Status or health keys as words (``blank`` for a key without words; None: missing)."""
    return _text([labels.get(v, blank) if isinstance(v, str) else blank for v in values])


def _days(table: pd.DataFrame, column: str, at: np.ndarray) -> np.ndarray:
    """``.dt.date`` of a datetime column at row positions ``at`` (NaT where missing)."""
    values = table[column].to_numpy(dtype="datetime64[ns]")[at]
    out = values.astype("datetime64[D]").astype(object)
    out[np.isnat(values)] = pd.NaT
    return out


_STR = pd.StringDtype(na_value=np.nan)  # the "str" dtype


def _take(table: pd.DataFrame, column: str, at: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """A text column's values at row positions ``at``, as they are (no Python strings made)."""
    s = table[column]
    # A "str" column is taken as it is: astype("str") of one copies the whole column first.
    return (s if s.dtype == _STR else s.astype("str")).array.take(at)


def _words(values: pd.api.extensions.ExtensionArray, words, missing) -> pd.api.extensions.ExtensionArray:
    """Each value's words (``words(value)``; ``missing`` for a missing value), worked out once per distinct value."""
    codes, uniques = pd.factorize(values)
    table = pd.array([*(words(u) for u in uniques), missing], dtype="str")
    return table.take(np.where(codes < 0, len(uniques), codes))


def _column_words(table: pd.DataFrame, column: str, at: np.ndarray, words, missing) -> pd.api.extensions.ExtensionArray:
    """``_words(_take(table, column, at), words, missing)``: a text column's words at row positions ``at``.

    A ``string`` column (statuses, health) is taken as it is: its values are the same texts as
    its ``str`` cast's, missing where the cast's are, and the cast copied the whole column.
    """
    s = table[column]
    values = s.array.take(at) if isinstance(s.dtype, pd.StringDtype) else _take(table, column, at)
    return _words(values, words, missing)


def status_words(table: pd.DataFrame, at: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """The status words ("On track") of ``table``'s rows at ``at``; missing for a missing or unknown status.

    ``_column_words(table, "status", at, STATUS_LABELS.get, None)``.
    """
    return _vocabulary_words(table, "status", at, STATUS_LABELS, None)


def health_words(table: pd.DataFrame, at: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """The schedule-health words ("At risk") of ``table``'s rows at ``at``; "" where health does not apply.

    ``_column_words(table, "health", at, lambda h: HEALTH_LABELS.get(h, ""), "")``.
    """
    return _vocabulary_words(table, "health", at, HEALTH_LABELS, "")


def _vocabulary_words(table: pd.DataFrame, column: str, at: np.ndarray, labels: dict[str, str],
                      other: str | None) -> pd.api.extensions.ExtensionArray:
    """A column of a few known keys (statuses, health) at ``at`` as their ``labels``; ``other`` for any other value.

    Each value's place among the keys is looked up in Arrow (:func:`wehoplan.rollup.engine.vocabulary_codes`,
    the roll-up's own status lookup), without factorising the rows.
    """
    keys = tuple(labels)
    code = vocabulary_codes(pd.Series(table[column].array.take(at)), keys)
    return _label_words(tuple(labels.values()), other).take(np.where(code < 0, len(keys), code))


@functools.cache
def _label_words(words: tuple[str, ...], other: str | None) -> pd.api.extensions.ExtensionArray:
    """``words`` then ``other`` as a ``str`` array (made once per vocabulary)."""
    return pd.array([*words, other], dtype="str")


def _status_text(s: pd.Series) -> np.ndarray:
    """Status words as Python objects (NaN for a missing or unknown status).

    ``s.astype("string").map(STATUS_LABELS).to_numpy()`` without the map's index of the
    dict (a few groups: building it cost more than the words).
    """
    return np.array([STATUS_LABELS.get(v, np.nan) if isinstance(v, str) else np.nan
                     for v in s.astype("string").tolist()], dtype=object)


def _health_text(s: pd.Series) -> np.ndarray:
    """Schedule-health words ("At risk") as Python strings; blank where health does not apply.

    ``s.astype("string").map(HEALTH_LABELS).fillna("").astype(str).to_numpy()``, in plain Python.
    """
    return np.array([HEALTH_LABELS.get(v, "") if isinstance(v, str) else ""
                     for v in s.astype("string").tolist()], dtype=object)
