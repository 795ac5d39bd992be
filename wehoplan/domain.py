"""The product's vocabulary: statuses, SMART values, level names, colours, synonyms.

Everything that names a status or a SMART value goes through this module so the
import synonyms, the roll-up scores and the chart colours can never disagree.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Status:
    """One canonical status: key stored in the database, label shown, colour drawn."""

    key: str
    label: str
    colour: str
    score: int | None  # roll-up score; None = not scored (pending, deferred)


STATUSES: tuple[Status, ...] = (
    Status("pending", "Not started", "#9e9e9e", None),
    Status("on_track", "On track", "#2e7d32", 3),
    Status("some_disruption", "Some disruption", "#f9a825", 2),
    Status("major_disruption", "Major disruption", "#c62828", 1),
    Status("completed", "Completed", "#1565c0", 3),
    Status("deferred", "Deferred / on hold / cancelled", "#616161", None),
)
STATUS_KEYS: tuple[str, ...] = tuple(s.key for s in STATUSES)
STATUS_BY_KEY: dict[str, Status] = {s.key: s for s in STATUSES}
STATUS_LABELS: dict[str, str] = {s.key: s.label for s in STATUSES}
STATUS_COLOURS: dict[str, str] = {s.key: s.colour for s in STATUSES}
STATUS_SCORES: dict[str, int] = {s.key: s.score for s in STATUSES if s.score is not None}

# Schedule health (GUIDE §3): computed from progress and expected progress, shown beside
# the reported status (which stays the owners' word). Blank ("") when it does not apply.
HEALTH_KEYS: tuple[str, ...] = ("on_schedule", "behind", "at_risk", "done")
HEALTH_LABELS: dict[str, str] = {"on_schedule": "On schedule", "behind": "Behind", "at_risk": "At risk",
                                 "done": "Done"}
HEALTH_COLOURS: dict[str, str] = {"on_schedule": "#2e7d32", "behind": "#f9a825", "at_risk": "#c62828",
                                  "done": "#1565c0"}


def health_label(key: object) -> str:
    """The words for a schedule-health key ("at_risk" -> "At risk"); blank for a blank or unknown key."""
    return HEALTH_LABELS.get(key, "") if isinstance(key, str) else ""


# Thresholds of the weighted mean score (GUIDE §3).
ON_TRACK_MIN_SCORE = 2.5
SOME_DISRUPTION_MIN_SCORE = 1.5

STATUS_SYNONYMS: dict[str, str] = {
    **{w: "pending" for w in ("not started", "status pending", "planned", "upcoming", "future", "pending")},
    **{w: "on_track" for w in ("in progress", "on target", "on schedule", "green", "on track", "ontrack")},
    # Words of published trackers (issue 20): mayors' 100-day trackers, action plans, Portuguese plans.
    **{w: "pending" for w in ("not yet started", "yet to start", "not yet begun", "to be started", "to start",
                              "not begun", "nao iniciado", "não iniciado", "não iniciada", "a iniciar")},
    **{w: "on_track" for w in ("ongoing", "underway", "under way", "started", "in implementation",
                               "being implemented", "in process", "em andamento", "em execução", "em execucao")},
    **{w: "completed" for w in ("decision taken", "decision made", "implemented", "delivered", "adopted",
                                "concluído", "concluída", "concluido", "concluida", "realizado")},
    **{w: "some_disruption" for w in ("atrasado", "atrasada")},
    **{w: "deferred" for w in ("suspenso", "suspensa", "cancelado", "cancelada")},
    **{
        w: "some_disruption"
        for w in (
            "delayed", "at risk", "behind", "caution", "minor disruption", "some delay",
            "amber", "yellow", "some disruption",
        )
    },
    **{
        w: "major_disruption"
        for w in ("off track", "stalled", "blocked", "critical", "major disruption", "red")
    },
    **{w: "completed" for w in ("complete", "completed", "done", "achieved", "finished", "closed")},
    **{
        w: "deferred"
        for w in (
            "on hold", "paused", "deferred", "cancelled", "canceled", "dropped", "not pursued",
            "deferred / on hold / cancelled",
        )
    },
}


def _norm_word(text: str) -> str:
    return re.sub(r"[\s_\-]+", " ", str(text).strip().lower())


def parse_status(text: str) -> str:
    """Map a status word from any vendor or era onto a canonical key.

    Case, underscores, hyphens and spacing are ignored; canonical keys and labels
    are accepted too.

    Raises:
        ValueError: the word is unknown; the message lists the accepted words.

    """
    word = _norm_word(text)
    if word.replace(" ", "_") in STATUS_BY_KEY:
        return word.replace(" ", "_")
    try:
        return STATUS_SYNONYMS[word]
    except KeyError:
        accepted = ", ".join(sorted(STATUS_SYNONYMS))
        raise ValueError(f"unknown status {text!r}; accepted: {accepted}") from None


@dataclass(frozen=True)
class SmartValue:
    """One of the five SMART values of the WeHo Smart City framework."""

    letter: str
    name: str
    colour: str


SMART_VALUES: tuple[SmartValue, ...] = (
    SmartValue("S", "Sustainability", "#43a047"),
    SmartValue("M", "Mobility", "#1e88e5"),
    SmartValue("A", "Accessibility", "#8e24aa"),
    SmartValue("R", "Resiliency", "#fb8c00"),
    SmartValue("T", "Transparency", "#00897b"),
)
SMART_LETTERS = "SMART"
SMART_NAMES: dict[str, str] = {v.letter: v.name for v in SMART_VALUES}


def parse_smart(text: str | None) -> str:
    """Normalise SMART tags to canonical letters in SMART order ("T;M" -> "MT").

    Accepts letters ("M;A", "MA", "M, A") and names ("Mobility; Accessibility").

    Raises:
        ValueError: a token is neither a SMART letter nor a SMART value name.

    """
    if text is None:
        return ""
    raw = str(text).strip()
    if not raw:
        return ""
    found: set[str] = set()
    tokens = [t for t in re.split(r"[;,/|\s]+", raw) if t]
    for tok in tokens:
        up = tok.upper()
        by_name = {n.upper(): letter for letter, n in SMART_NAMES.items()}
        if up in by_name:
            found.add(by_name[up])
        elif set(up) <= set(SMART_LETTERS):
            found.update(up)
        else:
            raise ValueError(
                f"unknown SMART value {tok!r}; use letters S, M, A, R, T or the names "
                + ", ".join(SMART_NAMES.values())
            )
    return "".join(letter for letter in SMART_LETTERS if letter in found)


DEFAULT_LEVEL_NAMES: tuple[str, ...] = ("Strategy", "Initiative", "Action")


def level_name(depth: int, names: tuple[str, ...] | None = DEFAULT_LEVEL_NAMES) -> str:
    """Name of a tree depth (1 = top level); deeper than named levels -> 'Level N'."""
    names = names or DEFAULT_LEVEL_NAMES
    return names[depth - 1] if 1 <= depth <= len(names) else f"Level {depth}"


def split_level_names(stored: str | None) -> tuple[str, ...]:
    """A plan's level names as stored ("Strategy;Initiative;Action"); the defaults when unset."""
    names = tuple(n.strip() for n in (stored or "").split(";") if n.strip())
    return names or DEFAULT_LEVEL_NAMES


def smart_names(letters: object) -> list[str]:
    """SMART letters ("MT") as value names (["Mobility", "Transparency"]); blank -> [].

    Letters that are not SMART values are skipped: the database only stores
    canonical letters (see :func:`parse_smart`), so this never hides user input.
    """
    if is_blank(letters):
        return []
    return [SMART_NAMES[c] for c in str(letters) if c in SMART_NAMES]


# ---------------------------------------------------------------- shared small rules


def is_blank(value: object) -> bool:
    """None, NaN, pandas' NA/NaT or whitespace-only text: the one "empty cell" test."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, int):  # bool included
        return False
    try:
        # NaN and NaT are unequal to themselves; pd.NA's comparison refuses to be a bool.
        return bool(value != value)
    except TypeError:
        return True
    except ValueError:  # an array: a value, not a blank cell
        return False


def match_names(query: str, names: list[str]) -> list[str]:
    """Names that ``query`` picks: the exact name, else every name containing it (any case).

    Used for plan names everywhere (CLI ``--plan``, URLs, import): a unique hit is a match.
    """
    if query in names:
        return [query]
    q = query.casefold()
    return [n for n in names if q in n.casefold()]


# Text a spreadsheet would run as a formula (OWASP CSV injection), tab/CR/LF included.
CSV_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")


def neutralise_csv_field(value: str) -> str:
    """OWASP CSV injection: prefix a single quote to text that a spreadsheet would run."""
    return "'" + value if value.startswith(CSV_FORMULA_TRIGGERS) else value


def code_sort_key(code: str) -> tuple:
    """Outline order: "1.10" after "1.9"; non-numeric parts sort after numbers."""
    parts = str(code).split(".")
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in parts)


# A code of digits and dots only ("1.2.3"): most codes of most plans.
PLAIN_CODE = re.compile(r"[0-9]+(?:\.[0-9]+)*")


def plain_outline_order(codes: list, depths: list[int] | None = None) -> list[int] | None:
    """Positions of ``codes`` in outline order (:func:`code_sort_key`, stable), or None.

    None unless every code is plain (:data:`PLAIN_CODE`) with parts that fit int64; the
    caller then sorts by :func:`code_sort_key`. Plain parts order as their ints do, and a
    code before any code it is the start of: one int64 column per part (-1 where a code
    has no such part) sorted by a stable ``lexsort``, first part first. ``depths``: each
    code's number of parts, when the caller has them.
    """
    import numpy as np

    if not codes:
        return []
    if not all(type(c) is str and PLAIN_CODE.fullmatch(c) for c in codes):
        return None
    try:
        parts = np.array(".".join(codes).split("."), dtype=np.int64)
    except OverflowError:  # a part of 19 digits or more: Python's ints sort it
        return None
    depth = np.array([c.count(".") + 1 for c in codes] if depths is None else depths, dtype=np.int64)
    starts = np.cumsum(depth) - depth
    columns = []
    for j in range(int(depth.max())):
        has = depth > j
        column = np.full(len(codes), -1, dtype=np.int64)
        column[has] = parts[starts[has] + j]
        columns.append(column)
    return np.lexsort(columns[::-1]).tolist()


# Dates a plan can hold: pandas keeps Timestamps in a bounded range, and a stored date out of it
# would make every page and command of its plan fail, while the append-only triggers keep it
# there for good. So every entrance (CLI, forms, import, URL) refuses dates outside these.
DATE_MIN = dt.date(1900, 1, 1)
DATE_MAX = dt.date(2199, 12, 31)
# The common "no end" value of other tools; a due date of it means no due date.
NO_END_DATE = dt.date(9999, 12, 31)


def date_range_error(value: dt.date) -> str | None:
    """One line saying why ``value`` cannot be stored, or None when it is within DATE_MIN..DATE_MAX."""
    if DATE_MIN <= value <= DATE_MAX:
        return None
    return f"{value.isoformat()} is outside the years {DATE_MIN.year} to {DATE_MAX.year} that a plan can hold"


# Line breaks, other control characters and bidirectional overrides in a name (file, sheet,
# plan) would split an error line in two or make a name read backwards.
_NAME_BREAKS = re.compile("[\r\n\t\v\f\u0085\u2028\u2029]+")
_NAME_INVISIBLE = re.compile(
    "[\u0000-\u0008\u000e-\u001f\u007f\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")


def one_line(text: str) -> str:
    """``text`` as one line of visible characters: breaks become spaces, controls and bidi marks go."""
    return _NAME_INVISIBLE.sub("", _NAME_BREAKS.sub(" ", text)).strip()
