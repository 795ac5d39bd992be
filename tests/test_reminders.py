"""Reminder emails through a real SMTP server (aiosmtpd on 127.0.0.1) that captures the mail.

On the demo with a monthly cycle (window 14 days, due 5, grace 2) and today 20 Oct 2020 the
October window is open and no one has reported yet (the demo's October reports are dated the
31st, after "today"), so every owner with open actions gets one "window open" digest.
"""

from __future__ import annotations

import datetime as dt
import socket
from email import message_from_bytes, policy
from email.message import Message

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wehoplan import cycle_store, repository
from wehoplan.cli import main
from wehoplan.cycles import CycleRule, current_cycle, item_states
from wehoplan.db import make_engine
from wehoplan.demo import SMART_CITY
from wehoplan.models import ReminderLog
from wehoplan.rollup import prepare_tree

EMAILS = {"Innovation Manager": "im@weho.org", "IT Manager": "it@weho.org",
          "Mobility Planning Manager": "mpm@weho.org", "Public Works Director": "pwd@weho.org"}
TODAY = dt.date(2020, 10, 20)


class Capture:
    """An SMTP handler that keeps every message, or refuses every recipient."""

    def __init__(self, refuse: bool = False) -> None:
        self.refuse = refuse
        self.messages: list[tuple[list[str], Message]] = []

    async def handle_RCPT(self, _server, _session, envelope, address, _rcpt_options):
        if self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, _server, _session, envelope):
        self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content, policy=policy.default)))
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(monkeypatch):
    """Start a capturing SMTP server on a free port; point the settings at it; stop it afterwards."""
    started = []

    def start(refuse: bool = False) -> Capture:
        handler = Capture(refuse)
        port = _free_port()
        ctl = Controller(handler, hostname="127.0.0.1", port=port)
        ctl.start()
        started.append(ctl)
        monkeypatch.setenv("WEHOPLAN_SMTP_PORT", str(port))
        return handler

    monkeypatch.setenv("WEHOPLAN_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("WEHOPLAN_SMTP_SECURITY", "none")
    monkeypatch.setenv("WEHOPLAN_MAIL_FROM", "Innovation team <plan@weho.org>")
    monkeypatch.setenv("WEHOPLAN_PUBLIC_URL", "https://plan.weho.org/")
    yield start
    for ctl in started:
        ctl.stop()


@pytest.fixture
def demo(fresh_url):
    eng = make_engine(fresh_url)
    plan = repository.resolve_plan(eng, SMART_CITY)
    cycle_store.set_rule(eng, plan.id, CycleRule("month", 14, 5, 2), "Setup")
    for name, email in EMAILS.items():
        cycle_store.set_email(eng, name, email, "Setup")
    return fresh_url, eng, plan


def _due_codes(eng, plan, today):
    """Each owner's due or late codes, as the tracker computes them."""
    tree = prepare_tree(repository.load_items(eng, plan.id)).frame
    cycle = current_cycle(cycle_store.get_rule(eng, plan.id), today)
    s = item_states(tree[tree["is_leaf"]], repository.load_updates(eng, plan.id), cycle, today)
    s = s[s["state"] != "reported"]
    return {o: sorted(g["code"]) for o, g in s.groupby("owner")}


def _log_count(eng) -> int:
    with Session(eng) as s:
        return int(s.scalar(select(func.count()).select_from(ReminderLog)))


def _remind(url, *extra):
    return main(["remind", "--db", url, "--plan", "smart city", "--today", TODAY.isoformat(), *extra])


def test_one_digest_per_owner_with_their_items_then_nothing_twice(demo, smtp, capsys):
    url, eng, plan = demo
    server = smtp()
    expected = _due_codes(eng, plan, TODAY)
    assert set(EMAILS) < set(expected) and "Public Safety Director" in expected  # one owner has no email
    assert _remind(url) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(expected)
    assert sorted(rcpts[0] for rcpts, _ in server.messages) == sorted(EMAILS.values())
    by_owner = {EMAILS_BY_ADDRESS[rcpts[0]]: msg for rcpts, msg in server.messages}
    for owner, msg in by_owner.items():
        n = len(expected[owner])
        assert msg["Subject"] == (f"Reports open for Oct 2020: {n} item{'s' if n > 1 else ''} of {SMART_CITY}, "
                                  "due 5 Nov 2020")
        body = msg.get_payload(decode=True).decode()
        listed = sorted(line.split()[0] for line in body.splitlines() if line.startswith("  "))
        assert listed == expected[owner]
        assert "https://plan.weho.org/My_Updates" in body and f"Hello {owner}," in body
        assert f"sent: {EMAILS[owner]} · window open · {n} item(s) · {owner}" in "\n".join(lines)
    assert any(line.startswith("no email: (no address) · window open") and "Public Safety Director" in line
               for line in lines)
    assert _log_count(eng) == len(EMAILS)

    assert _remind(url) == 0
    again = capsys.readouterr().out.splitlines()
    assert len(server.messages) == len(EMAILS)  # nothing sent twice
    assert sum(line.startswith("already sent:") for line in again) == len(EMAILS)
    assert _log_count(eng) == len(EMAILS)


EMAILS_BY_ADDRESS = {v: k for k, v in EMAILS.items()}


def test_dry_run_sends_and_records_nothing(demo, smtp, capsys):
    url, eng, _ = demo
    server = smtp()
    assert _remind(url, "--dry-run") == 0
    lines = capsys.readouterr().out.splitlines()
    assert sum(line.startswith("would send:") for line in lines) == len(EMAILS)
    assert server.messages == [] and _log_count(eng) == 0


def test_a_refusing_server_is_one_line_and_nothing_is_marked_sent(demo, smtp, capsys):
    url, eng, _ = demo
    server = smtp(refuse=True)
    assert _remind(url) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "did not accept the message" in err and "550" in err
    assert "not sent or marked sent" in err
    assert server.messages == [] and _log_count(eng) == 0


@pytest.mark.usefixtures("smtp")  # its settings, with no server started
def test_no_server_listening_is_one_line_and_nothing_is_marked_sent(demo, monkeypatch, capsys):
    url, eng, _ = demo
    monkeypatch.setenv("WEHOPLAN_SMTP_PORT", str(_free_port()))  # nobody listens there
    assert _remind(url) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: could not connect to the SMTP server 127.0.0.1:")
    assert _log_count(eng) == 0


def test_late_digest_is_its_own_message_after_the_grace_days(demo, smtp, capsys):
    url, eng, plan = demo
    server = smtp()
    assert main(["remind", "--db", url, "--today", "2020-10-20"]) == 0
    # 8 Nov: October's due date (5 Nov) plus 2 grace days has passed; the demo's 31 Oct reports count,
    # so only items without one are late.
    late_day = dt.date(2020, 11, 8)
    expected = _due_codes(eng, plan, late_day)
    capsys.readouterr()
    assert main(["remind", "--db", url, "--today", late_day.isoformat()]) == 0
    out = capsys.readouterr().out.splitlines()
    assert expected and len(out) == len(expected) and all(" · late · " in line for line in out)
    late = [m for _, m in server.messages if m["Subject"].startswith("Late:")]
    assert len(late) == sum(1 for o in expected if o in EMAILS)
