"""AppTest with ``at.user``: signed out, each role, an email without a user row, and local mode.

Sign-in mode is on when the secrets have an ``[auth]`` section (``at.secrets``); ``at.user``
is what ``st.user`` returns. Pages are opened by URL (``switch_page``) whether or not the
role's navigation shows them: the page itself must answer.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from wehoplan import repository, users
from wehoplan.access import Principal, local_principal
from wehoplan.db import make_engine
from wehoplan.demo import SMART_CITY
from wehoplan.models import Audit
from wehoplan.rollup import prepare_tree
from wehoplan.ui.auth import PAGES, menu

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
AUTH = {"redirect_uri": "http://127.0.0.1:8501/oauth2callback", "cookie_secret": "test-secret",
        "client_id": "wehoplan", "client_secret": "s3cret",
        "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration"}
EDIT_PAGES = {"app_pages/4_Update_Progress.py": "updater", "app_pages/5_Edit_Plan.py": "editor",
              "app_pages/7_Import.py": "editor", "app_pages/8_Users.py": "admin",
              "app_pages/9_My_Updates.py": "updater", "app_pages/10_Cycle_Tracker.py": "editor",
              "app_pages/14_Publish.py": "editor"}
ALL_PAGES = [p for p, _, _ in PAGES]
PRIVATE_PAGES = [p for p, _, a in PAGES if a != "public"]  # the Public page needs no sign-in


@pytest.fixture
def url(fresh_url, monkeypatch):
    monkeypatch.setenv("WEHOPLAN_DATABASE_URL", fresh_url)
    eng = make_engine(fresh_url)
    plan = repository.resolve_plan(eng, SMART_CITY)
    users.add_user(eng, "admin@weho.org", role="admin", name="Ada Admin", author="Setup")
    users.add_user(eng, "editor@weho.org", role="editor", plan_id=plan.id, name="Ed Editor", author="Setup")
    users.add_user(eng, "Updater@WeHo.org", role="updater", plan_id=plan.id, name="Una Updater",
                   person="Public Works Director", author="Setup")
    users.add_user(eng, "viewer@weho.org", role="viewer", name="Vic Viewer", author="Setup")
    return fresh_url


def _app(user: dict | None, page: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.secrets["auth"] = AUTH
    if user is not None:
        at.user = user
    at.query_params["plan"] = SMART_CITY
    at.run()
    assert not at.exception, at.exception
    if page:
        at.switch_page(page).run()
        assert not at.exception, at.exception
    return at


def _signed_in(email: str, name: str | None = None) -> dict:
    return {"is_logged_in": True, "email": email, "name": name or email.split("@")[0], "sub": "same-sub-for-all"}


def _texts(at) -> str:
    return " ".join(str(e.value) for kind in ("warning", "error", "markdown", "caption", "info", "text")
                    for e in getattr(at, kind))


@pytest.mark.parametrize("page", PRIVATE_PAGES)
@pytest.mark.usefixtures("url")
def test_signed_out_every_url_shows_only_the_sign_in_button(page):
    at = _app({"is_logged_in": False}, page)
    assert [b.label for b in at.button] == ["Sign in"]
    assert not at.metric and not at.dataframe and not at.selectbox and not at.get("arrow_vega_lite_chart")


@pytest.mark.usefixtures("url")
def test_an_email_without_a_user_row_is_told_whom_to_ask():
    at = _app(_signed_in("stranger@weho.org"))
    assert "has no access" in _texts(at) and "Ask an admin to add you: Ada Admin <admin@weho.org>." in _texts(at)
    assert not at.metric and not at.dataframe
    assert [b.label for b in at.button] == ["Sign out"]


@pytest.mark.usefixtures("url")
def test_unknown_email_role_setting_lets_them_read(monkeypatch):
    monkeypatch.setenv("WEHOPLAN_UNKNOWN_USER_ROLE", "viewer")
    at = _app(_signed_in("stranger@weho.org"))
    assert at.metric
    at.switch_page("app_pages/4_Update_Progress.py").run()
    assert "You need the updater role for this page." in _texts(at)


@pytest.mark.parametrize(("email", "allowed"), [
    ("viewer@weho.org", set()),
    ("updater@weho.org", {"app_pages/4_Update_Progress.py", "app_pages/9_My_Updates.py"}),
    ("editor@weho.org", {"app_pages/4_Update_Progress.py", "app_pages/5_Edit_Plan.py", "app_pages/7_Import.py",
                         "app_pages/9_My_Updates.py", "app_pages/10_Cycle_Tracker.py",
                         "app_pages/14_Publish.py"}),
    ("admin@weho.org", set(EDIT_PAGES)),
])
@pytest.mark.usefixtures("url")
def test_each_role_reads_every_dashboard_and_only_its_edit_pages(email, allowed):
    at = _app(_signed_in(email))
    assert at.metric
    assert f"{email}" in _texts(at)  # name and email shown as text in the sidebar
    assert "You are" not in [s.label for s in at.sidebar.selectbox]
    for page in ALL_PAGES:
        at.switch_page(page).run()
        assert not at.exception, (page, at.exception)
        needed = EDIT_PAGES.get(page)
        refused = f"You need the {needed} role for this page." in _texts(at)
        assert refused == (needed is not None and page not in allowed), (email, page)


@pytest.mark.usefixtures("url")
def test_email_matches_case_insensitively_never_by_sub():
    at = _app(_signed_in("UPDATER@weho.ORG", "Whatever The Provider Says"), "app_pages/4_Update_Progress.py")
    assert "You need" not in _texts(at)
    assert "Una Updater" in _texts(at)


def _leaf(url, **where):
    eng = make_engine(url)
    plan = repository.resolve_plan(eng, SMART_CITY)
    tree = prepare_tree(repository.load_items(eng, plan.id)).frame
    leaves = tree[tree["is_leaf"]]
    for k, v in where.items():
        leaves = leaves[leaves[k] == v] if not k.startswith("not_") else leaves[leaves[k[4:]] != v]
    return leaves.iloc[0]


def _save_one(at, item):
    at.selectbox(key="upd_item").set_value(int(item["id"])).run()
    k = f"{int(item['id'])}:{int(item['version'])}"
    at.selectbox(key=f"upd_status:{k}").set_value("on_track")
    at.number_input(key=f"upd_progress:{k}").set_value(35.0)
    at.text_area(key=f"upd_comment:{k}").set_value("from the app")
    next(b for b in at.button if b.label == "Save update").click().run()
    if any("falls from" in w.value for w in at.warning):  # a fall in progress is confirmed by saving again
        next(b for b in at.button if b.label == "Save update").click().run()
    assert not at.exception, at.exception


def _audit_authors(url) -> list[str]:
    with Session(make_engine(url)) as s:
        return [a.author for a in s.scalars(select(Audit).where(Audit.entity == "item").order_by(Audit.id))]


def test_updater_records_on_own_item_and_is_offered_only_their_own(url):
    own = _leaf(url, owner="Public Works Director")
    other = _leaf(url, not_owner="Public Works Director")
    at = _app(_signed_in("updater@weho.org"), "app_pages/4_Update_Progress.py")
    offered = at.selectbox(key="upd_item").options
    assert any(o.startswith(f"{own['code']} ·") for o in offered)
    assert not any(o.startswith(f"{other['code']} ·") for o in offered)  # the writer refuses it too (test_access)
    _save_one(at, own)
    assert not at.error and _audit_authors(url) == ["Una Updater <updater@weho.org>"]
    editor = _app(_signed_in("editor@weho.org"), "app_pages/4_Update_Progress.py")
    assert any(o.startswith(f"{other['code']} ·") for o in editor.selectbox(key="upd_item").options)


@pytest.mark.usefixtures("url")
def test_sign_out_button_signs_out():
    at = _app(_signed_in("viewer@weho.org"))
    next(b for b in at.button if b.label == "Sign out").click().run()
    assert not at.exception
    assert [b.label for b in at.button] == ["Sign in"] and not at.metric


def test_admin_adds_a_user_on_the_users_page_and_it_is_audited_with_their_email(url):
    at = _app(_signed_in("admin@weho.org"), "app_pages/8_Users.py")
    assert "admin@weho.org" in at.dataframe[0].value["Email"].tolist()
    at.text_input(key="usr_email").set_value("New.Person@weho.org")
    at.selectbox(key="usr_role").set_value("viewer")
    next(b for b in at.button if b.label == "Add user").click().run()
    assert not at.exception
    assert "new.person@weho.org" in at.dataframe[0].value["Email"].tolist()
    with Session(make_engine(url)) as s:
        last = s.scalars(select(Audit).order_by(Audit.id.desc())).first()
    assert last.author == "Ada Admin <admin@weho.org>" and last.entity == "user"


@pytest.mark.usefixtures("url")
def test_local_mode_says_so_and_keeps_the_you_are_picker():
    at = AppTest.from_file(APP, default_timeout=60)
    at.user = {}
    at.run()
    assert not at.exception
    assert "Local mode" in _texts(at) and at.metric
    at.switch_page("app_pages/5_Edit_Plan.py").run()
    assert "You are" in [s.label for s in at.sidebar.selectbox]


@pytest.mark.usefixtures("url")
def test_require_sign_in_without_a_provider_is_a_start_up_error(monkeypatch):
    monkeypatch.setenv("WEHOPLAN_REQUIRE_SIGN_IN", "true")
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert "WEHOPLAN_REQUIRE_SIGN_IN" in _texts(at) and not at.metric


@pytest.mark.usefixtures("url")
def test_sidebar_filters_survive_a_page_switch_and_a_second_run_under_navigation():
    at = _app(_signed_in("editor@weho.org"))
    at.multiselect(key="w_smart").set_value(["M"]).run()
    at.switch_page("app_pages/2_Trends.py").run()
    assert at.multiselect(key="w_smart").value == ["M"]
    at.run()
    assert not at.exception and at.multiselect(key="w_smart").value == ["M"]
    at.switch_page("app_pages/0_Overview.py").run()
    assert at.multiselect(key="w_smart").value == ["M"] and at.query_params.get("smart") in ("M", ["M"])


@pytest.mark.parametrize(("who", "labels"), [
    (None, ["Public"]),
    (Principal("v@x.org", "V", {None: "viewer"}),
     ["Overview", "Action Report", "Trends", "Departments and SMART", "Audit", "Measures", "Changes", "Public"]),
    (Principal("u@x.org", "U", {1: "updater"}),
     ["Overview", "Action Report", "Trends", "Departments and SMART", "Update Progress", "Audit", "My Updates",
      "Measures", "Changes", "Public"]),
    (Principal("e@x.org", "E", {1: "editor"}),
     ["Overview", "Action Report", "Trends", "Departments and SMART", "Update Progress", "Edit Plan", "Audit",
      "Import", "My Updates", "Cycle Tracker", "Measures", "Changes", "Public", "Publish"]),
    (Principal("pa@x.org", "PA", {1: "admin"}),  # users and roles span plans: not for a plan's admin
     ["Overview", "Action Report", "Trends", "Departments and SMART", "Update Progress", "Edit Plan", "Audit",
      "Import", "My Updates", "Cycle Tracker", "Measures", "Changes", "Public", "Publish"]),
    (Principal("a@x.org", "A", {None: "admin"}), [t for _, t, _ in PAGES]),
    (local_principal(), [t for _, t, _ in PAGES]),
])
def test_navigation_per_role(who, labels):
    assert menu(who) == labels


@pytest.mark.usefixtures("url")
def test_the_audit_trail_shows_a_plan_scoped_role_only_its_plan(url):
    from sqlalchemy.orm import Session

    from wehoplan.repository import write_audit

    eng = make_engine(url)
    other = next(n for n in repository.list_plans(eng)["name"] if n != SMART_CITY)
    with Session(eng) as s, s.begin():
        write_audit(s, author="Setup", action="edit", entity="plan", entity_id=repository.resolve_plan(eng, other).id,
                    field="description", old="", new="SECRET-OTHER-PLAN")

    at = _app(_signed_in("editor@weho.org"), "app_pages/6_Audit.py")  # editor of the Smart City plan only
    box = at.checkbox(key="au_plan")
    assert box.value and box.disabled  # "Only <plan>" cannot be switched off
    assert "SECRET-OTHER-PLAN" not in at.dataframe[0].value.to_string()
    at = _app(_signed_in("admin@weho.org"), "app_pages/6_Audit.py")  # a role for every plan
    at.checkbox(key="au_plan").uncheck().run()
    assert "SECRET-OTHER-PLAN" in at.dataframe[0].value.to_string()


def test_the_plan_picker_offers_only_plans_the_person_has_a_role_on(url):
    eng = make_engine(url)
    every = repository.list_plans(eng)["name"].tolist()
    assert len(every) > 1
    at = _app(_signed_in("editor@weho.org"))  # editor of the Smart City plan only
    plan_box = next(s for s in at.sidebar.selectbox if s.label == "Plan")
    assert plan_box.options == [SMART_CITY]
    at = _app(_signed_in("admin@weho.org"))  # a role for every plan
    assert next(s for s in at.sidebar.selectbox if s.label == "Plan").options == every
