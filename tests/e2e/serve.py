"""Start the real app for a browser test: a copy of the demo database and ``streamlit run`` on 127.0.0.1."""

from __future__ import annotations

import contextlib
import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def copy_demo(demo_url: str, dest: Path) -> str:
    """Copy the demo database to ``dest``; return its URL.

    SQLite's backup API: a plain file copy would miss pages still in the WAL file.
    """
    with sqlite3.connect(demo_url.removeprefix("sqlite:///")) as src, sqlite3.connect(dest) as dst:
        src.backup(dst)
    return f"sqlite:///{dest}"


@contextlib.contextmanager
def streamlit(db_url: str, log_dir: Path, *, port: int | None = None, args: tuple[str, ...] = (),
              env: dict[str, str] | None = None) -> Iterator[str]:
    """Run ``streamlit run app.py`` on ``db_url`` until the block ends; yield its base URL."""
    port = port or free_port()
    log = open(log_dir / "streamlit.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.address", "127.0.0.1",
         "--server.port", str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none", *args],
        cwd=ROOT, env={**os.environ, "WEHOPLAN_DATABASE_URL": db_url, **(env or {})},
        stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base}/_stcore/health", timeout=2)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"streamlit did not start; see {log_dir / 'streamlit.log'}")
                time.sleep(0.5)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()
