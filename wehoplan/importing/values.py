"""Cell values of legacy plans -> clean values.

Each parser raises ValueError with a message that says what is accepted (the report shows
it next to the cell).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re

from wehoplan.domain import PLAIN_CODE, date_range_error, is_blank

NO_DATE_WORDS = {"tbd", "tba", "n/a", "na", "none", "-", "--", "ongoing", "not set", "unknown", "?"}
COMPLETE_WORDS = {"complete", "completed", "done", "finished"}
YES_WORDS = {"y", "yes", "x", "true", "1", "✓", "✔", "checked"}
NO_WORDS = {"n", "no", "false", "0", "", "-"}
DATE_ACCEPTED = ("accepted: an Excel date, 2020-06-30, 6/30/2020, June 2020, Q3 2020, FY2020 Q3, "
                 "or TBD / n/a / blank for no date")
_MONTHS = {m.lower(): i for i, m in enumerate(calendar.month_name) if m}
_MONTHS.update({m.lower(): i for i, m in enumerate(calendar.month_abbr) if m})
_MONTHS["sept"] = 9


_WS = re.compile(r"\s+")


def text(value: object) -> str | None:
    """Return a cell as trimmed text (numbers without a spurious .0); None when blank."""
    if type(value) is str:
        # Most cells: the same steps as below, without the generic checks.
        s = value.strip()
        if not s:
            return None
        if value.isprintable() and "  " not in value:
            return s
        return _WS.sub(" ", value).strip()
    if is_blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    s = str(value)
    if s.isprintable() and "  " not in s:
        # Every whitespace character but the plain space is non-printable, so this text
        # has no run to collapse: skipping the regex halves the cost of a 100k-row sheet.
        return s.strip()
    return _WS.sub(" ", s).strip()


def texts(col: list[object] | tuple[object, ...]) -> list[str | None]:
    """``text`` of every cell, its common case (printable text without double spaces) inline."""
    return [s if type(v) is str and (s := v.strip()) and v.isprintable() and "  " not in v else text(v)
            for v in col]


def _quarter_end(year: int, quarter: int) -> dt.date:
    month = quarter * 3
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def _year(y: str) -> int:
    n = int(y)
    return n + 2000 if n < 100 else n


class DateOutOfRange(ValueError):
    """A real date that a plan cannot hold (outside DATE_MIN..DATE_MAX); ``date`` is the date read."""

    def __init__(self, date: dt.date, message: str):
        super().__init__(message)
        self.date = date


def parse_date(value: object, fiscal_year_start_month: int = 7) -> dt.date | None:
    """Parse a plan date within the years a plan can hold (:data:`wehoplan.domain.DATE_MIN` to DATE_MAX).

    See :func:`_parse_date` for the forms read.

    Raises:
        DateOutOfRange: a real date outside the range (9999-12-31 included).
        ValueError: anything else that is not a date.

    """
    d = _parse_date(value, fiscal_year_start_month)
    if d is not None:
        problem = date_range_error(d)
        if problem:
            raise DateOutOfRange(d, problem)
    return d


def _parse_date(value: object, fiscal_year_start_month: int = 7) -> dt.date | None:
    """Parse a plan date.

    Excel dates, ISO, US m/d/yyyy, "June 2020" (month end), "Q3 2020" (quarter end),
    "FY2020 Q3" (fiscal quarter end; FY2020 ends in the month before the start month
    of 2020 when the fiscal year does not start in January), "TBD"/"n/a"/blank -> None.

    Raises:
        ValueError: anything else.

    """
    if is_blank(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        # An Excel serial day number that reached us as a number (e.g. from CSV).
        if 20000 <= value <= 80000:
            return dt.date(1899, 12, 30) + dt.timedelta(days=int(value))
        raise ValueError(f"not a date; {DATE_ACCEPTED}")
    s = str(value).strip()
    low = s.lower().rstrip(".")
    if low in NO_DATE_WORDS:
        return None
    try:
        m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ t]\d{1,2}:\d{2}(?::\d{2})?)?", low)
        if m:
            return dt.date(int(m[1]), int(m[2]), int(m[3]))
        m = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})(?:\s+\d{1,2}:\d{2}(?::\d{2})?(?:\s*[ap]m)?)?", low)
        if m:
            return dt.date(_year(m[3]), int(m[1]), int(m[2]))
        m = re.fullmatch(r"(\d{1,2})/(\d{4})", low)
        if m:
            return _month_end(int(m[2]), int(m[1]))
        m = re.fullmatch(r"([a-z]+)\.?,?\s*(\d{4})", low)
        if m and m[1] in _MONTHS:
            return _month_end(int(m[2]), _MONTHS[m[1]])
        m = re.fullmatch(r"([a-z]+)\.?\s+(\d{1,2}),?\s+(\d{4})", low)
        if m and m[1] in _MONTHS:
            return dt.date(int(m[3]), _MONTHS[m[1]], int(m[2]))
        m = re.fullmatch(r"(\d{1,2})[\s\-]+([a-z]+)\.?[\s\-,]+(\d{4})", low)
        if m and m[2] in _MONTHS:
            return dt.date(int(m[3]), _MONTHS[m[2]], int(m[1]))
        m = re.fullmatch(r"([a-z]+)[\-\s/']+(\d{2})", low)  # "Jun-20", as Excel shows month formats
        if m and m[1] in _MONTHS:
            return _month_end(2000 + int(m[2]), _MONTHS[m[1]])
        m = (re.fullmatch(r"q([1-4])[\s\-/]*(?:cy)?\s*(\d{4})", low)
             or re.fullmatch(r"(?:cy)?\s*(\d{4})[\s\-/]*q([1-4])", low))
        if m:
            q, y = (int(m[1]), int(m[2])) if low.startswith("q") else (int(m[2]), int(m[1]))
            return _quarter_end(y, q)
        m = (re.fullmatch(r"fy\s*'?(\d{2}|\d{4})[\s\-/]*q([1-4])", low)
             or re.fullmatch(r"q([1-4])[\s\-/]*fy\s*'?(\d{2}|\d{4})", low))
        if m:
            fy, q = (_year(m[1]), int(m[2])) if low.startswith("fy") else (_year(m[2]), int(m[1]))
            return fiscal_quarter_end(fy, q, fiscal_year_start_month)
        m = re.fullmatch(r"(?:fy|cy)?\s*(\d{4})", low)
        if m and low.startswith("fy"):
            return fiscal_quarter_end(int(m[1]), 4, fiscal_year_start_month)
    except ValueError:
        raise ValueError(f"not a real date; {DATE_ACCEPTED}") from None
    raise ValueError(f"not a date; {DATE_ACCEPTED}")


def fiscal_quarter_end(fiscal_year: int, quarter: int, start_month: int = 7) -> dt.date:
    """Last day of quarter ``quarter`` of fiscal year ``fiscal_year``.

    A fiscal year is named after the calendar year it ends in (FY2020 = July 2019 to
    June 2020 when it starts in July), the usual US city convention.
    """
    first_year = fiscal_year if start_month == 1 else fiscal_year - 1
    months = (start_month - 1) + quarter * 3  # months after January of first_year
    year = first_year + (months - 1) // 12
    month = (months - 1) % 12 + 1
    return _month_end(year, month)


def parse_progress(value: object, percent_formatted: bool = False) -> float | None:
    """Parse percent complete (0-100).

    A %-formatted cell or "45%" is a percent; a bare number is a percent from 0 to 100;
    "Complete"/"Done" is 100; blank is None.

    Raises:
        ValueError: not a number, or outside 0-100 %.

    """
    if is_blank(value):
        return None
    accepted = "accepted: 0-100, 45%, a %-formatted cell, or Complete/Done"
    if isinstance(value, bool):
        raise ValueError(f"not a percentage; {accepted}")
    if isinstance(value, (int, float)):
        pct = float(value) * 100 if percent_formatted else float(value)
    else:
        s = str(value).strip().lower()
        if s in COMPLETE_WORDS:
            return 100.0
        if s in {"not started", "none", "0%"}:
            return 0.0
        m = re.fullmatch(r"([-+]?\d+(?:[.,]\d+)?)\s*(%|percent|pct)?", s)
        if not m:
            raise ValueError(f"not a percentage; {accepted}")
        pct = float(m[1].replace(",", "."))
    if not 0 <= pct <= 100 + 1e-9:
        raise ValueError(f"progress {pct:g}% is out of range; {accepted}")
    return round(min(pct, 100.0), 6)


def parse_email(value: object) -> str | None:
    """Parse an email address (the owner's, for reminders); blank is None.

    Raises:
        ValueError: not an email address.

    """
    if is_blank(value):
        return None
    text_value = str(value).strip().removeprefix("mailto:")
    local, at, domain = text_value.partition("@")
    if not at or not local or "." not in domain or any(c.isspace() for c in text_value) or "@" in domain:
        raise ValueError("not an email address; accepted: name@city.gov (blank = keep the owner's email)")
    return text_value


def parse_weight(value: object) -> float | None:
    """Parse a weight: a number >= 0; blank is None (the default 1 applies).

    Raises:
        ValueError: not a number or negative.

    """
    if is_blank(value):
        return None
    try:
        w = float(str(value).strip()) if not isinstance(value, (int, float)) else float(value)
    except ValueError:
        raise ValueError("not a number; accepted: a number >= 0 (blank = 1)") from None
    if w < 0 or w != w:
        raise ValueError("weight may not be negative; accepted: a number >= 0 (blank = 1)")
    return w


def parse_yes(value: object) -> bool:
    """Parse a yes/x/✓ flag cell (SMART columns). Blank and no are False.

    Raises:
        ValueError: a word that is neither yes nor no.

    """
    if is_blank(value):
        return False
    s = str(value).strip().lower()
    if isinstance(value, (int, float)):
        return bool(value)
    if s in YES_WORDS:
        return True
    if s in NO_WORDS:
        return False
    raise ValueError("accepted: yes / x / y / true / 1 for yes; no / blank for no")


_CODE_PREFIX = re.compile(
    r"^(?:goal|objective|strategy|strategies|initiative|action(?:\s+item)?|task|item|priority|focus\s+area|"
    r"program|project|step|measure|no|number|#)\.?\s*:?\s*#?\s*", re.I)


_PLAIN_CODE = PLAIN_CODE


# Codes whose every level carries a letter ("P1.F2.A1", "WP3-T2"): one number per level.
_LETTERED = re.compile(r"[A-Za-z]{1,4}[ \-]?[0-9]+(?:\s*[.\-_/]\s*[A-Za-z]{1,4}[ \-]?[0-9]+)*")
_LETTER_NUMBER = re.compile(r"[A-Za-z]{1,4}[ \-]?([0-9]+)")


def lettered_code(value: object) -> bool:
    """True for codes like "P1.F2.A1" (a letter before each level's number), kept visible in titles."""
    return isinstance(value, str) and _LETTERED.fullmatch(value.strip()) is not None and not \
        _CODE_PREFIX.match(value.strip())


def parse_code(value: object) -> str | None:
    """Outline codes: "Objective 1.2" -> "1.2", "1.2.3." -> "1.2.3", 2.0 -> "2", "P1.F2.A1" -> "1.2.1"."""
    if is_blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    s = str(value).strip()
    if _PLAIN_CODE.fullmatch(s):  # "1.2.3" as is: nothing below would change it (most rows)
        return s
    if _LETTERED.fullmatch(s) and not _CODE_PREFIX.match(s):
        return ".".join(_LETTER_NUMBER.findall(s))
    prev = None
    while prev != s:  # "Action Item #1.2" strips two prefixes
        prev = s
        s = _CODE_PREFIX.sub("", s, count=1).strip()
    s = re.sub(r"\s*\.\s*", ".", s).strip(" .:-")
    return s or None


_SECTION = re.compile(
    r"^(?:goal|objective|strategy|initiative|priority|focus\s+area|section|pillar|theme|area|part|committee|"
    r"work\s*package|wp|task|action|project|eixo|objetivo)\s*"
    r"#?\s*([0-9]+(?:\.[0-9]+)*|[a-z])\s*[:.\-–—)]?\s*(.*)$", re.I)
_NUMBERED = re.compile(r"^([0-9]+(?:\.[0-9]+)*)[.):]?\s+(.+)$")


def split_title_code(label: str | None) -> tuple[str | None, str | None]:
    """A numeric outline code written at the start of a title cell, and the rest.

    'Objective 1.2 Open data' -> ('1.2', 'Open data'); '1.2.3. Speed study' -> ('1.2.3',
    'Speed study'); 'Speed study' or 'Strategy A: x' -> (None, label): letters are not codes here.
    """
    if not label:
        return None, label
    code, rest = split_section(label)
    if code is None or not code[0].isdigit() or not rest:
        return None, label
    return code, rest


def split_section(label: str) -> tuple[str | None, str]:
    """Split a section label into (code, title).

    'GOAL 1: SAFE STREETS' -> ('1', 'SAFE STREETS'); '2. Mobility' -> ('2', 'Mobility');
    'Safe streets' -> (None, 'Safe streets').
    """
    s = label.strip()
    m = _SECTION.match(s)
    if m and m[2].strip():
        return m[1].upper() if m[1].isalpha() else m[1], m[2].strip()
    if m and m[1][0].isdigit():
        # "Pillar 5" alone: its number is its code, the label its title (until named).
        return m[1], s
    m = _NUMBERED.match(s)
    if m:
        return m[1], m[2].strip()
    return None, s
