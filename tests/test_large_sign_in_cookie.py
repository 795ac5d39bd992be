"""A large ID token still connects (GUIDE §4 sign-in contract).

Streamlit splits the signed-in user's cookie into 4 KB chunks; an ID token with many claims
makes the browser's Cookie header longer than the 8 KB line the websockets library reads
by default, and the WebSocket handshake then never completes: the app shows a spinner
forever. ``make run`` raises the limit (``WS_MAX_LINE`` in the Makefile); this starts the
real server both ways and opens the app's WebSocket with a 12 KB cookie like a browser.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from websockets.sync.client import connect

ROOT = Path(__file__).resolve().parent.parent
MAKEFILE = (ROOT / "Makefile").read_text(encoding="utf-8")
# What the browser sends after st.login() with a large ID token: the chunked user cookie.
COOKIE = "; ".join(["_streamlit_user=chunks-3", *(f"_streamlit_user_{i}={'A' * 3900}" for i in (1, 2, 3))])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def _server(url: str, extra_env: dict[str, str]) -> Iterator[int]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "WEBSOCKETS_MAX_LINE_LENGTH"}
    env.update({"WEHOPLAN_DATABASE_URL": url, **extra_env})
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.address", "127.0.0.1",
         "--server.port", str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1)
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    pytest.fail("streamlit did not start")
                time.sleep(0.2)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _handshake(port: int) -> bool:
    try:
        with connect(f"ws://127.0.0.1:{port}/_stcore/stream", additional_headers={"Cookie": COOKIE},
                     subprotocols=["streamlit"], open_timeout=5):
            return True
    except Exception:  # a timeout or a refused handshake, depending on the library's version
        return False


def test_make_run_raises_the_handshake_line_limit_so_a_large_token_connects(demo_url):
    limit = re.search(r"^WS_MAX_LINE := (\d+)$", MAKEFILE, re.M)
    assert limit and "WEBSOCKETS_MAX_LINE_LENGTH=$(WS_MAX_LINE)" in MAKEFILE
    assert int(limit.group(1)) > len(f"Cookie: {COOKIE}")
    with _server(demo_url, {"WEBSOCKETS_MAX_LINE_LENGTH": limit.group(1)}) as port:
        assert _handshake(port)
    with _server(demo_url, {}) as port:  # the library's default: this is the bug being handled
        assert not _handshake(port)
