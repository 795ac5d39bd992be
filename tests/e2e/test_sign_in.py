"""Sign in through a local OpenID Connect provider in a real browser (issue "Sign-in and roles").

An updater signs in (oidc-provider-mock on 127.0.0.1, with Streamlit's own ``st.login``),
records progress on an item of their own, is refused on another department's item, and
signs out; the audit row carries their email. Skipped only when Debian's Chromium is absent.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from wehoplan import repository, users
from wehoplan.db import make_engine
from wehoplan.demo import SMART_CITY
from wehoplan.models import Audit
from wehoplan.rollup import prepare_tree

from .serve import copy_demo, free_port, streamlit
from .test_browser import ARGS, CHROMIUM, no_exception, wait_ready

EMAIL = "updater@weho.org"

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium (/usr/bin/chromium) is not installed"),
]


@pytest.fixture(scope="module")
def provider():
    """A local OIDC provider with one predefined user (sub "una")."""
    from oidc_provider_mock import User, run_server_in_thread

    claims = {"email": EMAIL, "name": "Una Updater"}
    with run_server_in_thread(port=free_port(), user_claims=[User(sub="una", claims=claims)]) as srv:
        yield f"http://localhost:{srv.server_port}"


@pytest.fixture(scope="module")
def signed_server(tmp_path_factory, demo_url, provider):
    """``streamlit run`` with an [auth] section pointing at the provider, on a copy of the demo."""
    tmp = tmp_path_factory.mktemp("sign_in")
    url = copy_demo(demo_url, tmp / "demo.db")
    eng = make_engine(url)
    plan = repository.resolve_plan(eng, SMART_CITY)
    users.add_user(eng, EMAIL, role="updater", plan_id=plan.id, person="Public Works Director", author="Setup")
    port = free_port()
    secrets = tmp / "secrets.toml"
    secrets.write_text(
        "[auth]\n"
        f'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
        'cookie_secret = "e2e-cookie-secret-0123456789abcdef"\n'
        'client_id = "wehoplan"\n'
        'client_secret = "e2e-secret"\n'
        f'server_metadata_url = "{provider}/.well-known/openid-configuration"\n',
        encoding="utf-8")
    with streamlit(url, tmp, port=port, args=("--secrets.files", str(secrets)),
                   env={"WEBSOCKETS_MAX_LINE_LENGTH": "65536"}) as base:
        yield base, eng, plan.id


def _leaf_codes(eng, plan_id) -> tuple[str, str]:
    tree = prepare_tree(repository.load_items(eng, plan_id)).frame
    leaves = tree[tree["is_leaf"]]
    own = leaves[leaves["owner"] == "Public Works Director"]["code"].iloc[0]
    other = leaves[leaves["department"] == "Innovation Division"]["code"].iloc[0]
    return str(own), str(other)


def _save_on(pg, code: str) -> None:
    box = pg.get_by_label("Search code or title")
    box.fill(code)
    box.press("Enter")
    time.sleep(1.5)  # let the search's rerun start: the status widget is absent until it does
    pg.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')")
    pg.get_by_role("button", name="Save update").click()
    time.sleep(1.5)
    pg.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')")
    time.sleep(1.0)


def _shown(pg, text: str) -> None:
    """Wait until a visible element shows ``text`` (a rerun may still be drawing it)."""
    pg.locator(f"text={text} >> visible=true").first.wait_for(timeout=30_000)


def test_updater_signs_in_records_own_item_is_not_offered_others_and_signs_out(signed_server):
    from playwright.sync_api import sync_playwright

    base, eng, plan_id = signed_server
    own, other = _leaf_codes(eng, plan_id)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        ctx = browser.new_context(viewport={"width": 1500, "height": 1400})
        pg = ctx.new_page()
        pg.set_default_timeout(60_000)
        pg.goto(f"{base}/Update_Progress")
        pg.get_by_role("button", name="Sign in").click()  # no plan data before signing in
        pg.get_by_role("button", name="una").click()  # the provider's page: the predefined user
        pg.wait_for_url(f"{base}/**")
        wait_ready(pg, "Executive overview")
        assert pg.get_by_text("Signed in as Una Updater").first.is_visible()
        assert pg.locator('[data-testid="stSidebarNav"] a', has_text="Edit Plan").count() == 0
        pg.locator('[data-testid="stSidebarNav"] a', has_text="Update Progress").first.click()
        wait_ready(pg, "Update progress")
        _save_on(pg, own)
        no_exception(pg)
        _shown(pg, f"Saved {own}")
        # Another department's item is not offered at all (the writer refuses it too: tests/test_access.py).
        box = pg.get_by_label("Search code or title")
        box.fill(other)
        box.press("Enter")
        _shown(pg, "No action matches")
        pg.get_by_role("button", name="Sign out").click()
        # Streamlit ends the provider's session too (its end_session page); back in the app,
        # the session cookie is gone: no plan data, only the Sign in button.
        pg.wait_for_url(lambda url: "end_session" in url or url.startswith(base), timeout=30_000)
        pg.wait_for_load_state("networkidle")
        fresh = ctx.new_page()  # same cookies, no redirect still under way
        fresh.goto(f"{base}/Update_Progress")
        fresh.get_by_role("button", name="Sign in").wait_for()
        assert fresh.get_by_text("Signed in as").count() == 0
        browser.close()
    with Session(eng) as s:
        rows = s.scalars(select(Audit).where(Audit.entity == "item", Audit.author.contains(EMAIL))).all()
    assert [r.field for r in rows] == ["progress"]
    assert rows[0].author == f"Una Updater <{EMAIL}>"
