"""AppTest of the Public page: open to everyone signed out, shows the latest publication only.

Sign-in mode is on (``[auth]`` in the test's secrets) and nobody is signed in: the Public page
still answers, and what it shows is the frozen publication, never the live plan.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from wehoplan import editing, publishing, repository
from wehoplan.db import make_engine
from wehoplan.demo import SMART_CITY

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
PAGE = "app_pages/13_Public.py"
AUTH = {"redirect_uri": "http://127.0.0.1:8501/oauth2callback", "cookie_secret": "test-secret",
        "client_id": "wehoplan", "client_secret": "s3cret",
        "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration"}


def _public(sign_in: bool = True) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    if sign_in:
        at.secrets["auth"] = AUTH
        at.user = {"is_logged_in": False}
    at.run()
    assert not at.exception, at.exception
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def _shown(at: AppTest) -> str:
    parts = [str(e.proto.body) for e in at.get("html")]
    for kind in ("markdown", "info", "caption", "title", "subheader", "warning", "text"):
        parts += [str(e.value) for e in getattr(at, kind)]
    return "\n".join(parts)


@pytest.fixture
def engine(fresh_url, monkeypatch):
    monkeypatch.setenv("WEHOPLAN_DATABASE_URL", fresh_url)
    return make_engine(fresh_url)


def test_signed_out_a_plan_never_published_says_so(engine):  # noqa: ARG001 - the app reads the URL
    at = _public()
    text = _shown(at)
    assert "has not been published yet" in text
    assert "Sign in" in [b.label for b in at.sidebar.button]  # the way in stays offered, but not required
    assert not at.dataframe and not at.metric


def test_signed_out_the_page_shows_the_latest_publication_not_live_data(engine):
    plan = repository.resolve_plan(engine, SMART_CITY)
    items = repository.load_items(engine, plan.id)
    leaf = items[items["code"] == "3.1.1"].iloc[0]
    published = publishing.publish(engine, plan.id, "Pat Publisher", note="First public report.")
    # After publishing, live data changes: an internal comment and a new public note.
    editing.record_update(engine, int(leaf["id"]), as_of="2022-12-31", status="major_disruption", progress=5,
                          comment="LIVE-ONLY internal remark", author="Owner")
    at = _public()
    text = _shown(at)
    assert "WeHo Smart City Strategic Plan 2018" in text and "First public report." in text
    assert "Pat Publisher" in text and "On track" in text and "Progress by strategy" in text
    assert "LIVE-ONLY" not in text
    # The frozen words, unchanged by the live report:
    assert publishing.body_html(published.document, data_links=False, inline_svg=False) in text
    assert [b.label for b in at.get("download_button")] == ["plan.json", "items.csv", "updates.csv"]


def test_an_internal_item_and_comments_never_reach_the_page(engine):
    plan = repository.resolve_plan(engine, SMART_CITY)
    publishing.set_items_public(engine, plan.id, {"2.1": False}, "Editor")
    items = repository.load_items(engine, plan.id).set_index("code")
    title = items.loc["2.1.1", "title"]
    people = repository.people_frame(engine)
    owner_id = int(people.loc[people["name"] == items.loc["1.1", "owner"], "id"].iloc[0])
    editing.edit_person(engine, owner_id, {"email": "owner.private@weho.example"}, "Editor")
    editing.record_update(engine, int(items.loc["1.1.1", "id"]), as_of="2022-12-31", status="completed",
                          progress=100, comment="INTERNAL remark", public_note="Done for residents.", author="O")
    publishing.publish(engine, plan.id, "Pat Publisher")
    text = _shown(_public())
    assert "Done for residents." in text
    for secret in (title, "(illustrative)", "INTERNAL remark", "owner.private@weho.example", "2.1.1",
                   items.loc["1.1", "owner"]):  # the demo's comments all say "(illustrative)"
        assert secret not in text, secret


def test_local_mode_shows_the_same_publication(engine):
    plan = repository.resolve_plan(engine, SMART_CITY)
    publishing.publish(engine, plan.id, "Pat Publisher", note="Seen locally too.")
    assert "Seen locally too." in _shown(_public(sign_in=False))


def test_a_withdrawn_plan_is_not_shown(engine):
    plan = repository.resolve_plan(engine, SMART_CITY)
    publishing.publish(engine, plan.id, "Pat Publisher", note="Soon withdrawn.")
    publishing.set_plan_public(engine, plan.id, False, "Editor")
    text = _shown(_public())
    assert "Soon withdrawn." not in text


def _publish_page(user: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    if user is not None:
        at.secrets["auth"] = AUTH
        at.user = user
    at.query_params["plan"] = SMART_CITY
    at.session_state["author"] = "Innovation Manager"  # local mode: "You are" in the sidebar
    at.run()
    at.switch_page("app_pages/14_Publish.py").run()
    assert not at.exception, at.exception
    return at


def test_the_publish_page_marks_an_item_internal_and_publishes(engine):
    plan = repository.resolve_plan(engine, SMART_CITY)
    at = _publish_page()
    editor = at.get("data_editor")[0] if at.get("data_editor") else None
    assert editor is not None
    # Untick 1.2 (an initiative): the data editor's edits arrive as its widget state.
    codes = list(publishing.item_visibility(engine, plan.id)["code"])
    at.session_state["pub_items"] = {"edited_rows": {codes.index("1.2"): {"Public": False}}, "added_rows": [],
                                     "deleted_rows": []}
    at.run()
    save = next(b for b in at.button if b.key == "pub_save_items")
    assert save.label == "Save public / internal (1 changed)"
    save.click().run()
    assert not at.exception, at.exception
    vis = publishing.item_visibility(engine, plan.id).set_index("code")
    assert not vis.loc["1.2", "public"] and not vis.loc["1.2.1", "published"] and vis.loc["1.2.1", "public"]
    at.text_area[0].input("Published from the page.")
    next(b for b in at.button if b.label == "Publish").click().run()
    assert not at.exception, at.exception
    latest = publishing.latest_publication(engine, plan.id)
    assert latest is not None and latest.note == "Published from the page."
    assert not any(i["code"].startswith("1.2") for i in latest.document["items"])
    assert not at.dataframe[0].value.empty  # the publications list


def test_a_viewer_is_told_the_publish_page_needs_an_editor(engine):
    from wehoplan import users

    users.add_user(engine, "viewer@weho.org", role="viewer", name="Vic Viewer", author="Setup")
    at = _publish_page({"is_logged_in": True, "email": "viewer@weho.org", "name": "Vic", "sub": "x"})
    assert "You need the editor role for this page." in _shown(at)
    assert not at.get("data_editor")
