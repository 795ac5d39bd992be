"""Process-wide settings switched off for a piece of work: counted across threads, restored after."""

from __future__ import annotations

import datetime as dt
import gc
import threading

import pytest

from wehoplan import importing
from wehoplan.db import make_engine
from wehoplan.importing import import_files
from wehoplan.switches import COLLECTOR, CountedSwitch

CSV = ("Code,Title,Lead Department,Owner,Due,Status,% Complete\n"
       "1,Streets,Public Works,,,,\n"
       "1.1,Crash dashboard,IT,Ann,2020-06-30,on track,40\n")


def test_a_counted_switch_stays_off_until_the_last_overlapping_user_leaves_and_restores_the_setting():
    state = {"on": True}

    def set_(on: bool) -> bool:
        before, state["on"] = state["on"], on
        return before

    switch = CountedSwitch(set_)
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()

    def first() -> None:
        with switch.off():
            first_in.set()
            second_in.wait(5)
        first_out.set()

    t = threading.Thread(target=first)
    t.start()
    first_in.wait(5)
    with switch.off():  # another thread's work overlaps the first one's
        second_in.set()
        first_out.wait(5)
        assert state["on"] is False  # the first user left, this one is still inside
    t.join(5)
    assert state["on"] is True
    state["on"] = False  # a setting that was off before stays off after
    with switch.off():
        pass
    assert state["on"] is False
    state["on"] = True
    with pytest.raises(RuntimeError), switch.off():
        raise RuntimeError("work that fails")
    assert state["on"] is True


def test_the_collector_pauses_while_an_import_reads_and_writes_and_comes_back(empty_url, monkeypatch):
    seen = []
    for name in ("analyse", "load"):
        real = getattr(importing, name)

        def spy(*args, _real=real, **kwargs):
            seen.append(gc.isenabled())
            return _real(*args, **kwargs)

        monkeypatch.setattr(importing, name, spy)
    assert gc.isenabled()
    report = import_files(make_engine(empty_url), [("p.csv", CSV.encode())], plan_name="P", as_of=dt.date(2020, 3, 31))
    assert report.ok and report.items_created == 2
    assert seen == [False, False]
    assert gc.isenabled()
    with COLLECTOR.off():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_the_collector_comes_back_after_an_import_the_database_refuses(empty_url, monkeypatch):
    def refuse(*_args, **_kwargs):
        from sqlalchemy.exc import OperationalError

        raise OperationalError("INSERT", {}, Exception("disk I/O error"))

    monkeypatch.setattr(importing, "load", refuse)
    report = import_files(make_engine(empty_url), [("p.csv", CSV.encode())], plan_name="P", as_of=dt.date(2020, 3, 31))
    assert not report.ok and "nothing was written" in report.errors[-1].message
    assert gc.isenabled()
