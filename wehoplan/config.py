"""Settings as data: every setting has a name, default, environment variable and help.

The README's settings table is checked against ``SETTINGS`` by ``tests/test_docs.py``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "data"
DEFAULT_DATABASE_URL = f"sqlite:///{(DATA_DIR / 'wehoplan.db').as_posix()}"


@dataclass(frozen=True)
class Setting:
    """One setting: where it comes from and what it means."""

    name: str
    env: str
    default: object
    type: type
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "database_url", "WEHOPLAN_DATABASE_URL", DEFAULT_DATABASE_URL, str,
        "SQLAlchemy URL of the plan database (SQLite file by default; PostgreSQL for a shared server).",
    ),
    Setting("due_soon_days", "WEHOPLAN_DUE_SOON_DAYS", 30, int,
            "An open action due within this many days of the as-of date is 'due soon'."),
    Setting("stale_days", "WEHOPLAN_STALE_DAYS", 90, int,
            "An open action whose latest update is older than this many days is 'stale'."),
    Setting("fiscal_year_start_month", "WEHOPLAN_FISCAL_YEAR_START_MONTH", 7, int,
            "First month of the fiscal year, used to read dates like 'FY2020 Q3' (7 = July)."),
    Setting("allow_future_updates", "WEHOPLAN_ALLOW_FUTURE_UPDATES", False, bool,
            "Allow progress updates dated after today."),
    Setting("require_sign_in", "WEHOPLAN_REQUIRE_SIGN_IN", False, bool,
            "Refuse to start the app without an [auth] sign-in provider in .streamlit/secrets.toml (servers)."),
    Setting("unknown_user_role", "WEHOPLAN_UNKNOWN_USER_ROLE", "none", str,
            "Role, on every plan, of a signed-in email with no user row: none (no access), viewer, updater, "
            "editor or admin."),
    Setting("local_user", "WEHOPLAN_LOCAL_USER", "Local user", str,
            "Name recorded as the author of changes when the app runs without sign-in (local mode)."),
    Setting("on_schedule_ratio", "WEHOPLAN_ON_SCHEDULE_RATIO", 0.95, float,
            "Schedule health: an item whose progress is at least this share of its expected progress is "
            "'on schedule'."),
    Setting("behind_ratio", "WEHOPLAN_BEHIND_RATIO", 0.85, float,
            "Schedule health: at least this share (and below the on-schedule share) is 'behind'; less is 'at risk'."),
    Setting("measure_tolerance", "WEHOPLAN_MEASURE_TOLERANCE", 0.10, float,
            "A measure that misses its target by at most this fraction of the target is 'Caution', "
            "beyond it 'Off target' (a measure's own tolerance overrides it)."),
    Setting("progress_drop_confirm_points", "WEHOPLAN_PROGRESS_DROP_CONFIRM_POINTS", 20.0, float,
            "Update Progress asks once before saving a report whose progress is this many points (or more) "
            "below the action's current progress."),
    # Reminder emails (wehoplan remind).
    Setting("smtp_host", "WEHOPLAN_SMTP_HOST", "", str,
            "SMTP server that sends reminder emails (blank: reminders can only be listed with --dry-run)."),
    Setting("smtp_port", "WEHOPLAN_SMTP_PORT", 587, int, "Port of the SMTP server (587 STARTTLS, 465 TLS, 25 plain)."),
    Setting("smtp_security", "WEHOPLAN_SMTP_SECURITY", "starttls", str,
            "How the SMTP connection is secured: starttls, tls (implicit TLS) or none."),
    Setting("smtp_user", "WEHOPLAN_SMTP_USER", "", str, "SMTP user name (blank: no login)."),
    Setting("smtp_password", "WEHOPLAN_SMTP_PASSWORD", "", str,
            "SMTP password; set it in the environment (e.g. a systemd EnvironmentFile), never in a file in git."),
    Setting("mail_from", "WEHOPLAN_MAIL_FROM", "", str,
            "From address of reminder emails, e.g. 'Innovation team <plan@city.gov>'."),
    Setting("public_url", "WEHOPLAN_PUBLIC_URL", "http://localhost:8501", str,
            "The app's public address; reminder emails link to its My Updates page."),
    Setting("keep_freed_memory", "WEHOPLAN_KEEP_FREED_MEMORY", True, bool,
            "Keep freed large blocks (up to 2 GB) for the next roll-up instead of giving them back: a county "
            "plan's trend then runs about twice as fast, and the process's memory stays near its peak "
            "(Linux only; glibc's own MALLOC_MMAP_THRESHOLD_, MALLOC_TRIM_THRESHOLD_ or MALLOC_TOP_PAD_, "
            "when set, win)."),
)

SMTP_SECURITY = ("starttls", "tls", "none")

UNKNOWN_USER_ROLES = ("none", "viewer", "updater", "editor", "admin")


def _coerce(setting: Setting, raw: str) -> object:
    if setting.type is bool:
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    return setting.type(raw)


@dataclass(frozen=True)
class Config:
    """Resolved settings. Build with :func:`load_config`; pass explicitly, never global."""

    database_url: str = DEFAULT_DATABASE_URL
    due_soon_days: int = 30
    stale_days: int = 90
    fiscal_year_start_month: int = 7
    allow_future_updates: bool = False
    require_sign_in: bool = False
    unknown_user_role: str = "none"
    local_user: str = "Local user"
    on_schedule_ratio: float = 0.95
    behind_ratio: float = 0.85
    measure_tolerance: float = 0.10
    progress_drop_confirm_points: float = 20.0
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_security: str = "starttls"
    smtp_user: str = ""
    smtp_password: str = field(default="", repr=False)
    mail_from: str = ""
    public_url: str = "http://localhost:8501"
    keep_freed_memory: bool = True
    extra: dict = field(default_factory=dict)


def load_config(environ: dict[str, str] | None = None, **overrides: object) -> Config:
    """Read settings from the environment, then apply explicit overrides.

    Raises:
        ValueError: an environment variable holds a value of the wrong type.

    """
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for s in SETTINGS:
        raw = env.get(s.env)
        if raw not in (None, ""):
            try:
                values[s.name] = _coerce(s, raw)
            except ValueError:
                raise ValueError(f"{s.env}={raw!r} is not a valid {s.type.__name__}") from None
    values.update({k: v for k, v in overrides.items() if v is not None})
    role = str(values.get("unknown_user_role", "none")).strip().lower()
    if role not in UNKNOWN_USER_ROLES:
        raise ValueError(f"WEHOPLAN_UNKNOWN_USER_ROLE={role!r} is not one of {', '.join(UNKNOWN_USER_ROLES)}")
    values["unknown_user_role"] = role
    on_schedule, behind = (float(values.get(k, d)) for k, d in (("on_schedule_ratio", 0.95), ("behind_ratio", 0.85)))
    if not 0 < behind <= on_schedule:
        raise ValueError(f"WEHOPLAN_BEHIND_RATIO={behind} must be above 0 and at most "
                         f"WEHOPLAN_ON_SCHEDULE_RATIO={on_schedule}")
    security = str(values.get("smtp_security", "starttls")).strip().lower()
    if security not in SMTP_SECURITY:
        raise ValueError(f"WEHOPLAN_SMTP_SECURITY={security!r} is not one of {', '.join(SMTP_SECURITY)}")
    values["smtp_security"] = security
    return Config(**values)
