"""A throwaway PostgreSQL cluster for the tests: initdb + pg_ctl in a temporary folder on 127.0.0.1.

Debian's ``postgresql`` package (``make system-deps`` installs it) puts the server binaries under
``/usr/lib/postgresql/<major>/bin``, off the PATH. PostgreSQL refuses to run as root, so as root the
cluster runs as the ``postgres`` user that the package creates (``runuser -u postgres --``).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path


def find_bindir() -> Path | None:
    """The newest PostgreSQL server bin folder holding initdb and pg_ctl, or None."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name or 0))
    for d in reversed(candidates):
        if Path(d, "initdb").exists() and Path(d, "pg_ctl").exists():
            return Path(d)
    initdb = shutil.which("initdb")
    if initdb and shutil.which("pg_ctl"):
        return Path(initdb).parent
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Cluster:
    """A running cluster; :meth:`stop` removes it."""

    bindir: Path
    root: Path
    port: int
    prefix: list[str]

    @property
    def admin_url(self) -> str:
        """SQLAlchemy URL of the maintenance database."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def url(self, dbname: str) -> str:
        """SQLAlchemy URL of database ``dbname`` in this cluster."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{dbname}"

    def _run(self, *args: str) -> None:
        subprocess.run([*self.prefix, *args], check=True, capture_output=True, text=True)

    def stop(self) -> None:
        """Stop the server (fast shutdown) and delete its files."""
        try:
            self._run(str(self.bindir / "pg_ctl"), "-D", str(self.root / "data"), "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def start_cluster() -> Cluster:
    """Initialise and start a cluster listening on 127.0.0.1 only, trust auth, fsync off.

    Raises:
        FileNotFoundError: no PostgreSQL server binaries on this machine.
        subprocess.CalledProcessError: initdb or pg_ctl failed (its stderr is in the error).
    """
    bindir = find_bindir()
    if bindir is None:
        raise FileNotFoundError("PostgreSQL server binaries not found (apt-get install postgresql)")
    root = Path(tempfile.mkdtemp(prefix="wehoplan-pg-"))
    prefix: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
        prefix = ["runuser", "-u", "postgres", "--"]
    port = _free_port()
    cluster = Cluster(bindir, root, port, prefix)
    data = root / "data"
    cluster._run(str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                 "--locale=C.UTF-8", "--no-sync")
    # Durability is irrelevant for a throwaway test cluster: fsync and full-page writes off.
    opts = (f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={root} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
    cluster._run(str(bindir / "pg_ctl"), "-D", str(data), "-o", opts, "-l", str(root / "log"), "-w", "start")
    return cluster
