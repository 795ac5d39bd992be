"""deploy/: nginx accepts the configuration, and two replicas behind it keep a browser on one replica.

Starts two `streamlit run` replicas on loopback ports (one cookie secret, one PostgreSQL database) and
Debian's nginx with deploy/nginx.conf (only the upstream ports changed), and stops them all at the end.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
pytestmark = pytest.mark.skipif(NGINX is None, reason="nginx not installed (make system-deps installs Debian's nginx)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _nginx_conf(tmp: Path, listen: int, upstreams: list[int]) -> Path:
    site = (ROOT / "deploy" / "nginx.conf").read_text(encoding="utf-8")
    site = site.replace("listen 80;", f"listen 127.0.0.1:{listen};")
    site = site.replace("127.0.0.1:8501", f"127.0.0.1:{upstreams[0]}").replace("127.0.0.1:8502",
                                                                              f"127.0.0.1:{upstreams[1]}")
    conf = tmp / "nginx.conf"
    temp = {k: tmp / k for k in ("client", "proxy", "fastcgi", "uwsgi", "scgi")}
    user = "user root;\n" if os.geteuid() == 0 else ""
    conf.write_text(
        f"{user}daemon off;\nworker_processes 1;\npid {tmp}/nginx.pid;\nerror_log {tmp}/error.log;\n"
        f"events {{ worker_connections 64; }}\nhttp {{\n access_log {tmp}/access.log;\n"
        f" client_body_temp_path {temp['client']};\n proxy_temp_path {temp['proxy']};\n"
        f" fastcgi_temp_path {temp['fastcgi']};\n uwsgi_temp_path {temp['uwsgi']};\n scgi_temp_path {temp['scgi']};\n"
        f"{site}\n}}\n", encoding="utf-8")
    return conf


def test_nginx_accepts_the_deploy_configuration(tmp_path):
    conf = _nginx_conf(tmp_path, _free_port(), [8501, 8502])
    res = subprocess.run([NGINX, "-t", "-c", str(conf), "-p", str(tmp_path)], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr


def _wait_health(port: int, proc: subprocess.Popen, timeout: float = 90) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else "replica exited"
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", "/_stcore/health")
            if c.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"no health on port {port}")


def _get(port: int, path: str, cookie: str | None = None) -> http.client.HTTPResponse:
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("GET", path, headers={"Cookie": f"wehoplan_route={cookie}"} if cookie else {})
    r = c.getresponse()
    r.read()
    return r


@pytest.fixture
def replicas(pg_databases, tmp_path):
    """Two replicas on one PostgreSQL demo database behind nginx; yields nginx's port and the replicas' ports."""
    from wehoplan.db import make_engine
    from wehoplan.demo import build_demo

    url = pg_databases.new()
    build_demo(make_engine(url))
    ports = [_free_port(), _free_port()]
    env = {**os.environ, "WEHOPLAN_DATABASE_URL": url, "STREAMLIT_SERVER_COOKIE_SECRET": "one-secret-for-all",
           "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.address",
                               "127.0.0.1", "--server.port", str(p), "--server.headless", "true",
                               "--browser.gatherUsageStats", "false"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for p in ports]
    listen = _free_port()
    conf = _nginx_conf(tmp_path, listen, ports)
    nginx = subprocess.Popen([NGINX, "-c", str(conf), "-p", str(tmp_path)], stderr=subprocess.PIPE, text=True)
    try:
        for p, proc in zip(ports, procs, strict=True):
            _wait_health(p, proc)
        _wait_health(listen, nginx)
        yield listen, ports, url
    finally:
        for proc in [nginx, *procs]:
            proc.terminate()
        for proc in [nginx, *procs]:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.mark.slow
def test_two_replicas_behind_nginx_keep_a_browser_on_one_and_upgrade_the_websocket(replicas):
    listen, ports, _ = replicas
    first = _get(listen, "/")
    assert first.status == 200
    route = first.getheader("Set-Cookie", "").split(";")[0].removeprefix("wehoplan_route=")
    assert route
    # The same cookie always reaches the same replica; many browsers reach both.
    answered = {_get(listen, "/_stcore/health", route).getheader("X-Wehoplan-Upstream") for _ in range(8)}
    assert len(answered) == 1
    spread = {_get(listen, "/_stcore/health", f"browser-{n}").getheader("X-Wehoplan-Upstream") for n in range(24)}
    assert spread == {f"127.0.0.1:{p}" for p in ports}
    # The WebSocket handshake for /_stcore/stream passes through nginx (101 Switching Protocols).
    with socket.create_connection(("127.0.0.1", listen), timeout=10) as s:
        key = base64.b64encode(os.urandom(16)).decode()
        s.sendall((f"GET /_stcore/stream HTTP/1.1\r\nHost: 127.0.0.1:{listen}\r\nUpgrade: websocket\r\n"
                   f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                   f"Sec-WebSocket-Protocol: streamlit\r\nCookie: wehoplan_route={route}\r\n\r\n").encode())
        status = s.recv(4096).decode("latin-1").split("\r\n", 1)[0]
    assert " 101 " in status, status


class Session:
    """One browser tab's Streamlit session over the WebSocket (the protocol the browser speaks)."""

    def __init__(self, ws) -> None:
        self.ws = ws

    @staticmethod
    def connect(port: int, route: str):
        """A WebSocket to ``/_stcore/stream`` through nginx, carrying the route cookie (a context manager)."""
        from websockets.sync.client import connect

        return connect(f"ws://127.0.0.1:{port}/_stcore/stream", subprotocols=["streamlit"],
                       additional_headers={"Cookie": f"wehoplan_route={route}"}, open_timeout=30)

    def rerun(self) -> str:
        """Run the page once more, as a click would; everything it drew, as protobuf text."""
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        msg = BackMsg()
        msg.rerun_script.query_string = ""
        self.ws.send(msg.SerializeToString())
        drawn = []
        while True:
            fwd = ForwardMsg()
            fwd.ParseFromString(self.ws.recv(timeout=90))
            drawn.append(str(fwd))
            if fwd.WhichOneof("type") == "script_finished":
                return "\n".join(drawn)

    def metric(self, label: str) -> str:
        """The value of the metric named ``label`` on a fresh rerun."""
        import re

        found = re.search(rf'label: "{re.escape(label)}"\s+body: "([^"]*)"', self.rerun())
        assert found, f"no metric {label!r}"
        return found.group(1)


@pytest.mark.slow
def test_a_report_shows_on_every_replica_at_its_next_rerun(replicas, capsys):
    """Two sessions through nginx, pinned to different replicas; another writer reports; both see it."""
    from wehoplan.cli import main

    listen, ports, url = replicas
    routes: dict[str, str] = {}
    for n in range(64):
        routes.setdefault(_get(listen, "/_stcore/health", f"tab-{n}").getheader("X-Wehoplan-Upstream"), f"tab-{n}")
        if len(routes) == 2:
            break
    assert set(routes) == {f"127.0.0.1:{p}" for p in ports}
    with contextlib.ExitStack() as stack:
        tabs = [Session(stack.enter_context(Session.connect(listen, route))) for route in routes.values()]
        assert [t.metric("Overdue actions") for t in tabs] == ["12", "12"]  # both caches warm
        # An overdue action (due mid-2021, last reported "Some disruption") is completed.
        assert main(["record-update", "--db", url, "--plan", "smart city", "1.1.4", "--status", "completed",
                     "--as-of", "2022-12-31", "--author", "Replica Test"]) == 0, capsys.readouterr().err
        assert [t.metric("Overdue actions") for t in tabs] == ["11", "11"]
        assert [t.metric("Completed, last 90 days") for t in tabs] == ["2", "2"]
