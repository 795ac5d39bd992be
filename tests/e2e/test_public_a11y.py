"""Accessibility of the public faces (WCAG 2.1 AA): axe-core in headless Chromium, zero violations.

axe-core comes from npm, pinned in package.json / package-lock.json (``make axe`` runs
``npm ci``); Playwright injects ``node_modules/axe-core/axe.min.js`` into the page and awaits
``axe.run`` (a Promise since axe-core 3; the old ``axe.a11yCheck`` is gone). Checked against the
static site (opened from disk, no server: it needs none) and the app's Public page (``streamlit
run`` in the local mode, which shows the Public page as a signed-out visitor sees it). Beside
axe: the language is set, every table has header cells, every chart has a text alternative,
every status has words beside its colour, and the keyboard reaches every link.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from wehoplan import publishing, repository
from wehoplan.db import make_engine
from wehoplan.demo import SMART_CITY

from .serve import ROOT, copy_demo, streamlit
from .test_browser import ARGS, CHROMIUM, SHOTS  # screenshots outside the tree unless asked (make screenshots)

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium (/usr/bin/chromium) is not installed"),
]


@pytest.fixture(scope="module")
def published(tmp_path_factory, demo_url):
    """A copy of the demo with one initiative internal, published once; its static site on disk."""
    tmp = tmp_path_factory.mktemp("public")
    url = copy_demo(demo_url, tmp / "demo.db")
    engine = make_engine(url)
    plan = repository.resolve_plan(engine, SMART_CITY)
    publishing.set_items_public(engine, plan.id, {"2.1": False}, "Editor")
    done = publishing.publish(engine, plan.id, "Pat Publisher", note="Progress for residents, twice a year.",
                              now=dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC))
    publishing.write_site(done, tmp / "site")
    return {"url": url, "site": tmp / "site", "tmp": tmp, "doc": done.document}


@pytest.fixture(scope="module")
def browser():
    if not AXE.exists():
        pytest.fail(f"axe-core is not installed ({AXE}); run `make axe` (npm ci)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def _axe(pg, tags: list[str], context: str = "document") -> list[dict]:
    """Inject axe-core and run it; return the violations (rule, impact, what, where)."""
    pg.add_script_tag(path=str(AXE))
    result = pg.evaluate(
        f"async () => {{ const r = await axe.run({context}, {{runOnly: {{type: 'tag', values: {json.dumps(tags)}}},"
        " resultTypes: ['violations']}); return r.violations.map(v => ({id: v.id, impact: v.impact,"
        " help: v.help, nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ': ' + n.html.slice(0, 160))})); }")
    return list(result)


def _checks_beyond_axe(pg, root: str) -> None:
    """Language, table headers, chart alternatives, statuses in words: what a resident relies on."""
    assert pg.evaluate("() => document.documentElement.lang").startswith("en")
    facts = pg.evaluate(f"""() => {{
        const root = document.querySelector({json.dumps(root)});
        const tables = [...root.querySelectorAll('table')];
        const svgs = [...root.querySelectorAll('.wp svg')];
        const imgs = [...root.querySelectorAll('.wp img')];
        return {{
          tables: tables.length,
          tablesWithoutHeaders: tables.filter(t => !t.querySelector('th[scope]') || !t.querySelector('caption')).length,
          svgs: svgs.length,
          svgsWithoutText: svgs.filter(s => {{
            const ids = (s.getAttribute('aria-labelledby') || '').split(/\\s+/).filter(Boolean);
            const text = ids.map(i => (document.getElementById(i) || {{}}).textContent || '').join(' ').trim();
            return s.getAttribute('role') !== 'img' || text.length < 20;
          }}).length + imgs.filter(i => (i.getAttribute('alt') || '').length < 20).length,
          charts: svgs.length + imgs.length,
          dots: root.querySelectorAll('.wp-dot').length,
          dotsWithoutWords: [...root.querySelectorAll('.wp-dot')].filter(
            d => d.getAttribute('aria-hidden') !== 'true' || !d.parentElement.textContent.trim()).length,
        }};
    }}""")
    assert facts["tables"] >= 4 and facts["tablesWithoutHeaders"] == 0, facts
    assert facts["charts"] == 1 and facts["svgsWithoutText"] == 0, facts
    assert facts["dots"] > 20 and facts["dotsWithoutWords"] == 0, facts


def test_the_static_site_has_no_violations_and_works_by_keyboard(published, browser):
    pg = browser.new_page(viewport={"width": 1280, "height": 900})
    pg.goto((published["site"] / "index.html").as_uri())
    assert pg.title().startswith("WeHo Smart City Strategic Plan 2018")
    SHOTS.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(SHOTS / "public-site.png"))
    violations = _axe(pg, [*WCAG_21_AA, "best-practice"])
    assert violations == [], json.dumps(violations, indent=1)
    _checks_beyond_axe(pg, "main")
    assert "<script" not in (published["site"] / "index.html").read_text(encoding="utf-8")  # needs no script
    # Keyboard: the first Tab lands on the skip link, which moves on to the content; every link is a tab stop.
    pg.keyboard.press("Tab")
    assert pg.evaluate("() => document.activeElement.textContent") == "Skip to the content"
    n_links = pg.locator("a[href]").count()
    seen = set()
    for _ in range(n_links + 2):
        seen.add(pg.evaluate("() => document.activeElement.getAttribute('href')"))
        pg.keyboard.press("Tab")
    assert {a.get_attribute("href") for a in pg.locator("a[href]").all()} <= seen
    # The open data the links point at is there.
    for href in pg.locator("main a[href]").all():
        assert (published["site"] / href.get_attribute("href")).exists()
    pg.close()


def test_the_public_page_has_no_violations(published, browser):
    with streamlit(published["url"], published["tmp"]) as base:
        pg = browser.new_page(viewport={"width": 1280, "height": 900})
        pg.set_default_timeout(60_000)
        pg.goto(f"{base}/Public")
        pg.get_by_role("heading", name="Progress by strategy").wait_for()
        pg.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')")
        assert "Progress for residents, twice a year." in pg.inner_text("body")
        pg.screenshot(path=str(SHOTS / "public-page.png"))
        violations = _axe(pg, WCAG_21_AA)
        assert violations == [], json.dumps(violations, indent=1)
        _checks_beyond_axe(pg, '[data-testid="stMain"]')
        pg.close()


def test_the_sidebar_of_an_internal_page_has_enough_contrast(published, browser):
    """The local-mode line (and every other sidebar text) reads at WCAG AA contrast on the sidebar's grey."""
    with streamlit(published["url"], published["tmp"]) as base:
        pg = browser.new_page(viewport={"width": 1500, "height": 900})
        pg.set_default_timeout(60_000)
        pg.goto(base)
        pg.get_by_text("Local mode: no sign-in is configured").wait_for()
        pg.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')")
        pg.add_script_tag(path=str(AXE))
        violations = pg.evaluate(
            "async () => (await axe.run('[data-testid=\"stSidebar\"]', {runOnly: ['color-contrast']}))"
            ".violations.map(v => v.nodes.map(n => n.html.slice(0, 160)))")
        assert violations == [], violations
        pg.close()
