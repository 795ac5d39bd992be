"""Two real browsers behind nginx, each kept on its own replica: a report saved in one shows in the other.

The replicas, nginx and the PostgreSQL database are tests/test_deploy.py's (started and stopped by
its ``replicas`` fixture). The report goes through the Update Progress form of one replica, as an
owner would save it, and the other replica's page shows it on its next run.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from tests.test_deploy import NGINX, _get, replicas  # noqa: F401 - replicas is the fixture used below

from .test_browser import ARGS, CHROMIUM

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium (/usr/bin/chromium) is not installed"),
    pytest.mark.skipif(NGINX is None, reason="nginx not installed (make system-deps installs Debian's nginx)"),
]

ITEM = "1.1.4"
DUE = "30 Jun 2021"  # the demo item's due date, as its caption shows it


def _routes_to_each_replica(listen: int, ports: list[int]) -> list[str]:
    """Two route-cookie values that nginx sends to different replicas (as two offices' browsers would be)."""
    routes: dict[str, str] = {}
    for n in range(64):
        upstream = _get(listen, "/_stcore/health", f"browser-{n}").getheader("X-Wehoplan-Upstream")
        routes.setdefault(upstream, f"browser-{n}")
        if len(routes) == 2:
            break
    assert set(routes) == {f"127.0.0.1:{p}" for p in ports}
    return list(routes.values())


def _open_item(pg, base: str) -> int:
    """Open Update Progress on the demo item; return how many reports its history lists."""
    pg.goto(f"{base}/Update_Progress?plan=smart+city")
    pg.get_by_label("Search code or title").fill(ITEM)
    pg.get_by_label("Search code or title").press("Enter")
    time.sleep(1.5)  # let the search's rerun start: the status widget is absent until it does
    pg.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000)
    # The caption under the item box names the searched item's due date once the search has drawn.
    pg.locator(f"text=Due: {DUE} >> visible=true").first.wait_for(timeout=60_000)
    history = pg.locator("text=/History \\(\\d+ reports\\)/ >> visible=true").first
    history.wait_for(timeout=90_000)
    pg.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000)
    return int(re.search(r"\((\d+) reports\)", history.inner_text()).group(1))


def test_a_report_saved_on_one_replica_shows_in_a_browser_on_the_other(replicas):  # noqa: F811
    from playwright.sync_api import sync_playwright

    listen, ports, _url = replicas
    base = f"http://127.0.0.1:{listen}"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            tabs, upstreams = [], []
            for route in _routes_to_each_replica(listen, ports):
                ctx = browser.new_context(viewport={"width": 1500, "height": 1400})
                ctx.add_cookies([{"name": "wehoplan_route", "value": route, "url": base}])
                pg = ctx.new_page()
                pg.set_default_timeout(60_000)
                upstreams.append(pg.goto(f"{base}/_stcore/health").header_value("X-Wehoplan-Upstream"))
                tabs.append(pg)
            assert len(set(upstreams)) == 2  # one browser on each replica
            writer, reader = tabs
            before = _open_item(reader, base)
            assert _open_item(writer, base) == before

            # Local mode (no sign-in configured): the author is chosen in the sidebar first.
            you = writer.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]', has_text="You are")
            you.scroll_into_view_if_needed()
            you.locator("input").click()
            writer.get_by_role("option", name="Innovation Manager").first.click()
            writer.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')")
            form = writer.locator('[data-testid="stForm"]').first
            form.get_by_label("Comment", exact=True).fill("Signed off by the replica test")
            form.get_by_role("button", name="Save update").click()
            writer.locator(f"text=/Saved {re.escape(ITEM)}/ >> visible=true").first.wait_for(timeout=60_000)

            assert _open_item(reader, base) == before + 1
            assert reader.locator('[data-testid="stException"]').count() == 0
        finally:
            browser.close()
