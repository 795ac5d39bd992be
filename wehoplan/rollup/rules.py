"""GUIDE §3 as code: the roll-up rules, one small function per rule.

Read this module to learn how a number is made; :mod:`wehoplan.rollup.engine` only
makes it fast (it sums children per parent with ``np.bincount`` and hands the sums to
the functions here). Everything works on numpy arrays, one entry per item (or per
parent), so the same rule serves one date or sixty.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from wehoplan.domain import (
    ON_TRACK_MIN_SCORE,
    SOME_DISRUPTION_MIN_SCORE,
    STATUS_KEYS,
    STATUS_SCORES,
    is_blank,
)

# Statuses travel as their position in STATUS_KEYS (-1: anything else, e.g. missing).
CODE = {k: n for n, k in enumerate(STATUS_KEYS)}
PENDING, COMPLETED, DEFERRED = CODE["pending"], CODE["completed"], CODE["deferred"]
# Score by status code, NaN for the unscored (pending, deferred) and for unknown (-1, last).
SCORE_BY_CODE = np.array([float(STATUS_SCORES.get(k, np.nan)) for k in STATUS_KEYS] + [np.nan])


@dataclass(frozen=True)
class Thresholds:
    """Schedule thresholds: the flags' and schedule health's (the settings of the same names)."""

    due_soon_days: int = 30
    stale_days: int = 90
    on_schedule_ratio: float = 0.95
    behind_ratio: float = 0.85

    @classmethod
    def from_config(cls, cfg) -> Thresholds:
        """Take the thresholds from a :class:`wehoplan.config.Config`."""
        return cls(due_soon_days=cfg.due_soon_days, stale_days=cfg.stale_days,
                   on_schedule_ratio=cfg.on_schedule_ratio, behind_ratio=cfg.behind_ratio)


# ---------------------------------------------------------------- Inheritance

#: Each is inherited on its own: no field's inheritance depends on another's.
INHERITED_FIELDS = ("owner", "sponsor", "department", "partners", "smart")


def blank(values: np.ndarray) -> np.ndarray:
    """Which values are blank (None, NaN, NA, whitespace-only text): :func:`wehoplan.domain.is_blank`."""
    return np.fromiter((is_blank(v) for v in values), dtype=bool, count=len(values))


def effective(own: np.ndarray, inherited: np.ndarray) -> np.ndarray:
    """Each item's own value; with none of its own, its nearest ancestor's.

    ``inherited`` is the parent's effective value (None above the top level), so one
    call per depth, top level first, walks every field down the tree on its own.
    """
    return np.where(blank(own), inherited, own)


# ---------------------------------------------------------------- As-of state and schedule of a leaf
# Leaf rules take status keys (a pandas string Series) and datetime64 arrays, one entry per leaf and date.


def leaf_status(latest: pd.Series) -> pd.Series:
    """A leaf's status on D: its latest update's; with none, pending."""
    return latest.fillna("pending").astype("string")


def leaf_progress(status: pd.Series, latest: np.ndarray) -> np.ndarray:
    """A leaf's progress on D: its latest update's (0 with none); a completed leaf counts 100 %."""
    return leaf_progress_of((status == "completed").to_numpy(dtype=bool), latest)


def leaf_progress_of(completed: np.ndarray, latest: np.ndarray) -> np.ndarray:
    """:func:`leaf_progress` from the leaves' completed flags."""
    return np.where(completed, 100.0, np.where(np.isnan(latest), 0.0, latest))


def whole_days(later: np.ndarray, earlier: np.ndarray) -> np.ndarray:
    """Whole days from ``earlier`` to ``later`` (datetime64 arrays; NaN where either is missing)."""
    return np.floor((later - earlier) / np.timedelta64(1, "D"))


DAY_NS = 86_400 * 10**9  #: nanoseconds in a day (datetime64[ns] values of whole days are multiples of it)


def day_numbers(values: np.ndarray) -> np.ndarray | None:
    """Dates (datetime64) as day numbers (float, NaN for NaT), or None unless every one is a whole day.

    Between whole days, the difference of day numbers is :func:`whole_days` itself, so the
    ``*_days`` rules below give the datetime rules' values without datetime arithmetic.
    """
    ns = np.asarray(values, dtype="datetime64[ns]").view("int64")
    nat = ns == np.iinfo("int64").min
    if (ns[~nat] % DAY_NS).any():
        return None
    return np.where(nat, np.nan, (ns // DAY_NS).astype("float64"))


def _expected(span: np.ndarray, elapsed: np.ndarray, reached: np.ndarray, missing: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        value = np.where(span > 0, np.clip(elapsed / np.where(span > 0, span, np.nan), 0, 1) * 100.0,
                         np.where(reached, 100.0, 0.0))
    return np.where(missing, np.nan, value)


def expected_progress(start: np.ndarray, due: np.ndarray, on: np.ndarray) -> np.ndarray:
    """clamp((D - start) / (due - start), 0, 1) x 100; start == due: 0 before that day, 100 from it.

    For any item with both dates of its own (datetime64 arrays); NaN where either is missing.
    """
    return _expected(whole_days(due, start), whole_days(on, start), on >= due, np.isnat(start) | np.isnat(due))


def expected_progress_days(start: np.ndarray, due: np.ndarray, on: np.ndarray) -> np.ndarray:
    """:func:`expected_progress` of whole days given as :func:`day_numbers`."""
    return _expected(due - start, on - start, on >= due, np.isnan(start) | np.isnan(due))


def is_open(status: pd.Series) -> np.ndarray:
    """Neither completed nor deferred: the leaves the schedule flags apply to."""
    return (~status.isin(["completed", "deferred"])).to_numpy(dtype=bool)


def is_open_code(code: np.ndarray) -> np.ndarray:
    """:func:`is_open` of status codes."""
    return (code != COMPLETED) & (code != DEFERRED)


# The flags take ``open_`` = :func:`is_open` of the statuses, computed once for all three; the
# ``*_left`` / ``*_since`` forms take the whole days from D to the due date, or from the latest
# update to D (NaN: no date), computed once for both flags that read them.


def is_overdue(open_: np.ndarray, due: np.ndarray, on: np.ndarray) -> np.ndarray:
    """Open and due before D."""
    return overdue_left(open_, whole_days(due, on))


def overdue_left(open_: np.ndarray, left: np.ndarray) -> np.ndarray:
    """:func:`is_overdue` of the whole days left until the due date."""
    return open_ & (left < 0)


def is_due_soon(open_: np.ndarray, due: np.ndarray, on: np.ndarray, th: Thresholds) -> np.ndarray:
    """Open and due within ``th.due_soon_days`` of D (D itself included)."""
    return due_soon_left(open_, whole_days(due, on), th)


def due_soon_left(open_: np.ndarray, left: np.ndarray, th: Thresholds) -> np.ndarray:
    """:func:`is_due_soon` of the whole days left until the due date."""
    return open_ & (left >= 0) & (left <= th.due_soon_days)


def is_stale(open_: np.ndarray, last_update: np.ndarray, on: np.ndarray, th: Thresholds) -> np.ndarray:
    """Open and its latest update more than ``th.stale_days`` before D (never updated: not stale)."""
    return stale_since(open_, whole_days(on, last_update), th)


def stale_since(open_: np.ndarray, since: np.ndarray, th: Thresholds) -> np.ndarray:
    """:func:`is_stale` of the whole days since the latest update."""
    return open_ & (since > th.stale_days)


# ---------------------------------------------------------------- Progress and status roll-up


@dataclass(frozen=True)
class ChildSums:
    """Sums over each parent's direct children (arrays, one entry per parent).

    "Counted" children are the non-deferred ones; "scored" the non-deferred, non-pending.
    """

    n_all: np.ndarray
    n_counted: np.ndarray
    n_completed: np.ndarray
    n_pending: np.ndarray
    weight_counted: np.ndarray  # sum of weights of the counted children
    weighted_progress: np.ndarray  # sum of weight x progress over the counted
    progress_counted: np.ndarray  # sum of progress over the counted
    progress_all: np.ndarray  # sum of progress over all children
    n_scored: np.ndarray
    weight_scored: np.ndarray
    weighted_score: np.ndarray
    score_scored: np.ndarray
    n_expected: np.ndarray  # counted children that have an expected progress
    weight_expected: np.ndarray
    weighted_expected: np.ndarray
    expected_counted: np.ndarray
    n_expected_all: np.ndarray  # any child that has an expected progress
    expected_all: np.ndarray


def _plain_mean(total: np.ndarray, count: np.ndarray) -> np.ndarray:
    """The plain mean ``total / count``; NaN without children."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(count > 0, total / count, np.nan)


def _mean(weighted: np.ndarray, weight: np.ndarray, plain: np.ndarray, count: np.ndarray) -> np.ndarray:
    """The weighted mean; the plain mean when the children weigh 0; NaN without children."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(weight > 0, weighted / weight, _plain_mean(plain, count))


def parent_progress(s: ChildSums) -> np.ndarray:
    """Weighted mean of the non-deferred children's progress (plain mean when they weigh 0).

    All children deferred: the plain mean of theirs.
    """
    return np.where(s.n_counted > 0, _mean(s.weighted_progress, s.weight_counted, s.progress_counted, s.n_counted),
                    _plain_mean(s.progress_all, s.n_all))


def parent_status(s: ChildSums) -> np.ndarray:
    """A parent's status (as codes) from its children's.

    Deferred if all children are; completed if all non-deferred are; pending if all
    are; else the weighted mean score of the scored children decides: >= 2.5 on
    track, >= 1.5 some disruption, else major disruption.
    """
    score = _mean(s.weighted_score, s.weight_scored, s.score_scored, s.n_scored)
    return np.select(
        [s.n_counted == 0, s.n_completed == s.n_counted, s.n_pending == s.n_counted,
         score >= ON_TRACK_MIN_SCORE, score >= SOME_DISRUPTION_MIN_SCORE],
        [DEFERRED, COMPLETED, PENDING, CODE["on_track"], CODE["some_disruption"]],
        default=CODE["major_disruption"],
    ).astype("int64")


def rolled_expected_progress(s: ChildSums) -> np.ndarray:
    """Expected progress rolled up like progress, over the children that have one (none: NaN)."""
    return np.where(s.n_counted == 0, _plain_mean(s.expected_all, s.n_expected_all),
                    _mean(s.weighted_expected, s.weight_expected, s.expected_counted, s.n_expected))


def parent_expected_progress(s: ChildSums, start: np.ndarray, due: np.ndarray, on: np.ndarray) -> np.ndarray:
    """A parent with both dates of its own: from its own dates; lacking either: rolled up from its children."""
    lacks_a_date = np.isnat(start) | np.isnat(due)
    return np.where(lacks_a_date, rolled_expected_progress(s), expected_progress(start, due, on))


def parent_span(start: np.ndarray, due: np.ndarray, earliest: np.ndarray, latest: np.ndarray):
    """Displayed dates: each own date, else the descendants' earliest start / latest due."""
    return np.where(np.isnat(start), earliest, start), np.where(np.isnat(due), latest, due)


# ---------------------------------------------------------------- Schedule health


#: The words :func:`schedule_health_codes` chooses between, by position.
HEALTH_WORDS = ("done", "", "at_risk", "on_schedule", "behind")
_DONE, _BLANK, _AT_RISK, _ON_SCHEDULE, _BEHIND = range(len(HEALTH_WORDS))


def schedule_health(status: np.ndarray, progress: np.ndarray, expected: np.ndarray, overdue: np.ndarray,
                    th: Thresholds) -> np.ndarray:
    """Schedule health of each item: the plan's own arithmetic beside the owners' reported status.

    ``done`` when completed; blank ("") when deferred; ``at_risk`` for an overdue leaf;
    otherwise, with an expected progress above 0, ratio = progress / expected gives
    ``on_schedule`` (ratio >= ``th.on_schedule_ratio``), ``behind`` (>= ``th.behind_ratio``)
    or ``at_risk`` (below); blank without an expected progress above 0.

    Args:
        status: status keys (any array-like of text), one per item.
        progress: progress in percent (NaN: none).
        expected: expected progress in percent (NaN: none).
        overdue: the leaf's overdue flag (False for parents and groups: only a leaf is overdue).
        th: the thresholds.

    Returns:
        An object array of :data:`wehoplan.domain.HEALTH_KEYS` and "".

    """
    status = np.asarray(status, dtype=object)
    return np.array(HEALTH_WORDS, dtype=object)[
        schedule_health_codes(status == "completed", status == "deferred", progress, expected, overdue, th)]


def schedule_health_codes(completed: np.ndarray, deferred: np.ndarray, progress: np.ndarray, expected: np.ndarray,
                          overdue: np.ndarray, th: Thresholds) -> np.ndarray:
    """:func:`schedule_health` as positions in :data:`HEALTH_WORDS`, from the completed and deferred flags.

    The rule itself (the order of the cases decides): completed, deferred, overdue, no
    expected progress above 0, then the ratio against the two thresholds.
    """
    progress = np.asarray(progress, dtype="float64")
    expected = np.asarray(expected, dtype="float64")
    with np.errstate(invalid="ignore", divide="ignore"):
        measured = (expected > 0) & ~np.isnan(progress)
        ratio = progress / expected  # read only where measured: the cases above decide the others
    # The cases from the last to the first, each overwriting the ones after it: the first that holds decides.
    out = np.where(ratio >= th.behind_ratio, np.int8(_BEHIND), np.int8(_AT_RISK))
    np.putmask(out, ratio >= th.on_schedule_ratio, np.int8(_ON_SCHEDULE))
    np.putmask(out, ~measured, np.int8(_BLANK))
    for case, value in ((overdue, _AT_RISK), (deferred, _BLANK), (completed, _DONE)):
        np.putmask(out, np.asarray(case, dtype=bool), np.int8(value))
    return out
