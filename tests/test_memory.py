"""Freed county-sized columns are recycled by the process (glibc), unless the operator says otherwise."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from wehoplan import memory
from wehoplan.config import load_config

# In a fresh interpreter (the setting is process-wide and permanent): where a 48 MB column comes from.
PROBE = """
import ctypes, json, sys
import numpy as np
from wehoplan.memory import keep_freed_blocks

class MallInfo2(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks",
                                                "fsmblks", "uordblks", "fordblks", "keepcost")]

libc = ctypes.CDLL(None)
libc.mallinfo2.restype = MallInfo2
applied = keep_freed_blocks()
column = np.ones(6_000_000)  # a county trend's float column: 48 MB
mapped, heap = libc.mallinfo2().hblkhd, libc.mallinfo2().arena
del column
kept = libc.mallinfo2().arena
def resident() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096

before = resident()
trend = [np.ones(6_000_000) for _ in range(int(sys.argv[1]))]  # a county trend's columns: 48 MB each
del trend
kept_after_trend = resident() - before  # freed memory the process still holds, ready for the next trend
print(json.dumps({"applied": applied, "mapped": mapped, "heap": heap, "kept": kept,
                  "kept_after_trend": kept_after_trend}))
"""


def _probe(monkeypatch, columns: int = 24, **env) -> dict:
    for k in ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_", "WEHOPLAN_KEEP_FREED_MEMORY"):
        monkeypatch.delenv(k, raising=False)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    out = subprocess.run([sys.executable, "-c", PROBE, str(columns)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc")
def test_a_county_sized_column_comes_from_the_heap_and_stays_there_after_it_is_freed(monkeypatch):
    got = _probe(monkeypatch)
    assert got["applied"] is True
    assert got["mapped"] < 1 << 20  # not a fresh mapping of its own
    assert got["heap"] >= 48_000_000
    assert got["kept"] >= 48_000_000  # freed, yet kept for the next roll-up
    assert got["kept_after_trend"] >= 1000 << 20  # the freed trend (1.15 GB) kept for the next one


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc")
def test_no_more_than_2_gb_of_freed_memory_is_kept(monkeypatch):
    got = _probe(monkeypatch, columns=56)  # 2.7 GB made and freed
    assert got["applied"] is True
    assert 1800 << 20 <= got["kept_after_trend"] <= (2 << 30) + (100 << 20)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc")
@pytest.mark.parametrize("env", [{"WEHOPLAN_KEEP_FREED_MEMORY": "false"}, {"MALLOC_TRIM_THRESHOLD_": "131072"}],
                         ids=["setting off", "glibc's own setting"])
def test_the_setting_off_or_glibcs_own_settings_leave_malloc_as_it_is(monkeypatch, env):
    got = _probe(monkeypatch, **env)
    assert got["applied"] is False
    assert got["mapped"] >= 48_000_000  # glibc's default: a block this size is mapped afresh
    assert got["kept_after_trend"] < 100 << 20  # and given back when freed


def test_the_setting_is_read_from_the_environment_and_a_bad_value_does_not_stop_the_app(monkeypatch):
    assert load_config({}).keep_freed_memory is True
    assert load_config({"WEHOPLAN_KEEP_FREED_MEMORY": "no"}).keep_freed_memory is False
    monkeypatch.setattr(memory, "_done", [])
    monkeypatch.setattr(memory, "_apply", lambda: pytest.fail("malloc changed with a malformed setting"))
    monkeypatch.setenv("WEHOPLAN_DUE_SOON_DAYS", "soon")  # any malformed setting: the pages report it
    assert memory.keep_freed_blocks() is False
