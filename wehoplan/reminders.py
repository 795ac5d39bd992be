"""Reminder emails: one digest per owner and cycle phase (window open, due soon, late).

:func:`digests` is pure (item states in, digests out); :func:`plan_digests` reads one plan
from the database; :func:`run_reminders` sends them over SMTP and records each sent one
in ``reminder_log`` under a unique key (plan, period end, owner, kind), so running it
twice sends nothing twice. A dry run sends and records nothing; an owner without an email
is listed, not a crash; an SMTP failure stops the run with one line and marks nothing
sent that was not sent.
"""

from __future__ import annotations

import datetime as dt
import smtplib
import ssl
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, parseaddr

import pandas as pd
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from wehoplan import repository
from wehoplan.config import Config
from wehoplan.cycle_store import get_rule
from wehoplan.cycles import PHASE_LABELS, Cycle, current_cycle, day_text, item_states
from wehoplan.domain import is_blank, one_line
from wehoplan.models import ReminderLog
from wehoplan.rollup import prepare_tree

MY_UPDATES_PATH = "My_Updates"  # the page's URL path (wehoplan.ui.auth.navigation_pages)


class SendError(Exception):
    """The SMTP server could not be reached or refused a message (one readable line)."""


@dataclass(frozen=True)
class Digest:
    """One reminder: an owner's due or late items of one plan in one cycle phase."""

    plan_id: int
    plan: str
    owner: str
    email: str | None
    kind: str
    cycle: Cycle
    items: pd.DataFrame  # code, title, state

    @property
    def key(self) -> str:
        """The reminder log's unique key: one message per plan, period, owner and kind."""
        return f"{self.plan_id}|{self.cycle.period_end.isoformat()}|{self.owner.lower()}|{self.kind}"

    @property
    def n_items(self) -> int:
        """How many items the digest lists."""
        return len(self.items)


@dataclass(frozen=True)
class ReminderLine:
    """What happened to one digest: sent, would send (dry run), already sent, or no email."""

    outcome: str
    digest: Digest

    def text(self) -> str:
        """The printed line: outcome, recipient, kind, number of items, owner, plan and cycle."""
        d = self.digest
        hint = "" if d.email else " (set an email with `wehoplan people set-email`)"
        return (f"{self.outcome}: {d.email or '(no address)'} · {PHASE_LABELS[d.kind]} · {d.n_items} item(s) · "
                f"{d.owner} · {d.plan} · {d.cycle.label}{hint}")


def digests(plan_id: int, plan: str, states: pd.DataFrame, cycle: Cycle, today: dt.date,
            emails: Mapping[str, str | None]) -> list[Digest]:
    """The digests to send on ``today``: one per owner with due or late items, by owner name.

    Args:
        plan_id: the plan's id (part of the log key).
        plan: the plan's name (in the subject).
        states: :func:`wehoplan.cycles.item_states` of the cycle on ``today``.
        cycle: the current cycle.
        today: the date of the run.
        emails: owner name -> email (None or missing: no email).

    Returns:
        Digests in owner order; none outside the cycle's window. Items without an owner
        have nobody to remind and are left out (the tracker shows them as "(none)").

    """
    kind = cycle.phase(today)
    if kind is None:
        return []
    todo = states[states["state"].isin(["due", "late"]) & (states["owner"].fillna("").astype(str) != "")]
    out = []
    for owner, items in todo.groupby("owner", sort=True):
        email = emails.get(str(owner))
        out.append(Digest(plan_id, plan, str(owner), None if is_blank(email) else str(email).strip(), kind, cycle,
                          items[["code", "title", "state"]].reset_index(drop=True)))
    return out


def plan_digests(engine: Engine, plan_id: int, today: dt.date) -> tuple[Cycle | None, list[Digest]]:
    """Read one plan and give its current cycle and the digests of ``today`` (no cycle set: none)."""
    rule = get_rule(engine, plan_id)
    if rule is None:
        return None, []
    cycle = current_cycle(rule, today)
    if cycle is None:
        return None, []
    plan = next(p for p in repository.list_plans(engine).itertuples() if p.id == plan_id)
    tree = prepare_tree(repository.load_items(engine, plan_id)).frame
    states = item_states(tree[tree["is_leaf"]], repository.load_updates(engine, plan_id), cycle, today)
    people = repository.people_frame(engine)
    emails = dict(zip(people["name"], people["email"], strict=True))
    return cycle, digests(plan_id, str(plan.name), states, cycle, today, emails)


def my_updates_url(public_url: str) -> str:
    """The link to the My Updates page of the app at ``public_url``."""
    return f"{public_url.rstrip('/')}/{MY_UPDATES_PATH}"


def compose(d: Digest, cfg: Config) -> EmailMessage:
    """The email of one digest (plain text), addressed to its owner."""
    c, n = d.cycle, d.n_items
    noun = "item" if n == 1 else "items"
    subject = {
        "window_open": f"Reports open for {c.label}: {n} {noun} of {d.plan}, due {day_text(c.due)}",
        "due_soon": f"Reports due {day_text(c.due)}: {n} {noun} of {d.plan} for {c.label}",
        "late": f"Late: {n} {noun} of {d.plan} not reported for {c.label} (due {day_text(c.due)})",
    }[d.kind]
    lines = [f"Hello {d.owner},", "",
             {"window_open": f"The reporting window for {c.label} is open. Please report on these {noun} "
                             f"by {day_text(c.due)}:",
              "due_soon": f"Your reports for {c.label} are due on {day_text(c.due)}. Still to report:",
              "late": f"Your reports for {c.label} were due on {day_text(c.due)} and are now late:"}[d.kind], ""]
    lines += [f"  {r.code}  {one_line(str(r.title))}{'  (late)' if r.state == 'late' else ''}"
              for r in d.items.itertuples()]
    lines += ["", f"Report them on My Updates (\"no change\" is one click): {my_updates_url(cfg.public_url)}", "",
              f"{c.describe()}.", "", "-- wehoplan"]
    msg = EmailMessage()
    # Names and titles are user text: one line each, so none can add a header or break one.
    msg["Subject"] = one_line(subject)
    msg["From"] = one_line(cfg.mail_from)
    msg["To"] = formataddr((one_line(d.owner), one_line(d.email or "")))
    msg.set_content("\n".join(lines))
    return msg


class Mailer:
    """One SMTP connection, opened on the first message (a dry run never opens one)."""

    def __init__(self, cfg: Config) -> None:
        """Remember the settings; connect later."""
        self.cfg = cfg
        self._smtp: smtplib.SMTP | None = None

    def _where(self) -> str:
        return f"{self.cfg.smtp_host}:{self.cfg.smtp_port}"

    def _connect(self) -> smtplib.SMTP:
        cfg = self.cfg
        if not cfg.smtp_host:
            raise SendError("no SMTP server is set (WEHOPLAN_SMTP_HOST), so nothing was sent; "
                            "use --dry-run to only list the reminders")
        if not parseaddr(cfg.mail_from)[1]:
            raise SendError("no from address is set (WEHOPLAN_MAIL_FROM), so nothing was sent")
        try:
            if cfg.smtp_security == "tls":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(cfg.smtp_host, cfg.smtp_port, timeout=30,
                                                      context=ssl.create_default_context())
            else:
                smtp = smtplib.SMTP(cfg.smtp_host, cfg.smtp_port, timeout=30)
                if cfg.smtp_security == "starttls":
                    smtp.starttls(context=ssl.create_default_context())
            if cfg.smtp_user:
                smtp.login(cfg.smtp_user, cfg.smtp_password)
        except (OSError, smtplib.SMTPException) as exc:
            raise SendError(f"could not connect to the SMTP server {self._where()}: {_reason(exc)}; "
                            "nothing was sent") from None
        return smtp

    def send(self, msg: EmailMessage) -> None:
        """Send one message; raise :class:`SendError` with one line when it is not accepted."""
        if self._smtp is None:
            self._smtp = self._connect()
        try:
            self._smtp.send_message(msg)
        except (OSError, smtplib.SMTPException) as exc:
            raise SendError(f"the SMTP server {self._where()} did not accept the message to {msg['To']}: "
                            f"{_reason(exc)}; it and the ones after it were not sent or marked sent") from None

    def close(self) -> None:
        """Say goodbye to the server (errors on the way out do not matter: the mail is sent)."""
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (OSError, smtplib.SMTPException):
                pass
            self._smtp = None


def _reason(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, text = next(iter(exc.recipients.values()))
        return f"{code} {text.decode(errors='replace') if isinstance(text, bytes) else text}"
    if isinstance(exc, smtplib.SMTPResponseException):
        err = exc.smtp_error
        return f"{exc.smtp_code} {err.decode(errors='replace') if isinstance(err, bytes) else err}"
    return " ".join(str(exc).split()) or type(exc).__name__


def sent_keys(engine: Engine, keys: Iterable[str]) -> set[str]:
    """Which of ``keys`` the reminder log already holds."""
    wanted = list(keys)
    if not wanted:
        return set()
    with Session(engine) as s:
        return set(s.scalars(select(ReminderLog.key).where(ReminderLog.key.in_(wanted))).all())


def _record(engine: Engine, d: Digest) -> None:
    try:
        with Session(engine) as s, s.begin():
            s.add(ReminderLog(key=d.key, plan_id=d.plan_id, period_end=d.cycle.period_end, owner=d.owner,
                              email=d.email or "", kind=d.kind, n_items=d.n_items))
    except IntegrityError:  # another run sent it at the same moment: it is recorded either way
        pass


def run_reminders(engine: Engine, cfg: Config, plan_ids: Iterable[int], today: dt.date, *, dry_run: bool = False,
                  echo: Callable[[str], None] = print, mailer: Mailer | None = None) -> list[ReminderLine]:
    """Send (or, with ``dry_run``, only list) today's reminders of the given plans.

    Each digest gives one line through ``echo`` as it is handled. A message is recorded in
    the reminder log only once the server accepted it.

    Raises:
        SendError: the server could not be reached or refused a message; the messages sent
            before it stay recorded, that one and the rest are not.

    """
    lines: list[ReminderLine] = []
    mail = mailer or Mailer(cfg)
    try:
        for plan_id in plan_ids:
            _, found = plan_digests(engine, plan_id, today)
            done = sent_keys(engine, (d.key for d in found))
            for d in found:
                if d.key in done:
                    outcome = "already sent"
                elif not d.email:
                    outcome = "no email"
                elif dry_run:
                    outcome = "would send"
                else:
                    mail.send(compose(d, cfg))
                    _record(engine, d)
                    outcome = "sent"
                line = ReminderLine(outcome, d)
                lines.append(line)
                echo(line.text())
    finally:
        mail.close()
    return lines
