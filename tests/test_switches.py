"""A process-wide setting switched off for a piece of work: counted across threads, restored after."""

from __future__ import annotations

import threading

import pytest

from wehoplan.switches import CountedSwitch


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
