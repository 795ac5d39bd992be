"""Sign-in at the app's edge: who is acting, which pages they see, and the gate at the top of each page.

Two modes:

- **local mode** (no ``[auth]`` in ``.streamlit/secrets.toml``): one person on a laptop,
  acting as the configured local user with every right; the sidebar says so. With
  ``WEHOPLAN_REQUIRE_SIGN_IN`` set this is a start-up error instead.
- **sign-in mode**: Streamlit's own OIDC (``st.login()`` with no provider name, from a
  visible "Sign in" button; ``st.user``; ``st.logout()``). The signed-in person is
  matched to a user row by the email claim (case-insensitive), never by ``sub``.

Every page calls :func:`gate` first, so no URL shows plan data to someone signed out,
and a page a role may not use answers its URL with the role it needs. The writers check
again (:mod:`wehoplan.access`): the gate is for people, the writers are the rule.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from wehoplan.access import ACTIONS, Principal, admin_contacts, at_least, local_principal, principal_for_email
from wehoplan.config import ROOT, load_config
from wehoplan.ui import cache

#: The action of a page anyone may open, signed in or not: it shows only what was published.
PUBLIC = "public"

#: Each page: file, navigation label (GUIDE §4), and the action it needs.
PAGES: tuple[tuple[str, str, str], ...] = (
    ("app_pages/0_Overview.py", "Overview", "view"),
    ("app_pages/1_Action_Report.py", "Action Report", "view"),
    ("app_pages/2_Trends.py", "Trends", "view"),
    ("app_pages/3_Departments_and_SMART.py", "Departments and SMART", "view"),
    ("app_pages/4_Update_Progress.py", "Update Progress", "record_progress"),
    ("app_pages/5_Edit_Plan.py", "Edit Plan", "edit_plan"),
    ("app_pages/6_Audit.py", "Audit", "view"),
    ("app_pages/7_Import.py", "Import", "import"),
    ("app_pages/8_Users.py", "Users", "manage_users"),
    ("app_pages/9_My_Updates.py", "My Updates", "record_progress"),
    ("app_pages/10_Cycle_Tracker.py", "Cycle Tracker", "edit_plan"),
    ("app_pages/11_Measures.py", "Measures", "view"),
    ("app_pages/12_Changes.py", "Changes", "view"),
    ("app_pages/13_Public.py", "Public", PUBLIC),
    ("app_pages/14_Publish.py", "Publish", "publish"),
)


def sign_in_on() -> bool:
    """True when ``.streamlit/secrets.toml`` (or the test's secrets) has an ``[auth]`` section."""
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all: Streamlit raises rather than answer False
        return False


@st.cache_resource(show_spinner=False, max_entries=64)
def _principal(url: str, version: int, email: str, name: str | None, unknown_role: str) -> Principal | None:
    # Keyed by the data version: a role changed on the Users page or the CLI counts at once.
    return principal_for_email(cache.engine(), email, name=name,
                               unknown_role=None if unknown_role == "none" else unknown_role)


def _signed_in() -> bool:
    return bool(st.user.get("is_logged_in", False))


def current() -> Principal | None:
    """The acting principal: the local user, the signed-in user, or None (signed out or no access)."""
    cfg = load_config()
    if not sign_in_on():
        return local_principal(cfg.local_user)
    if not _signed_in():
        return None
    email = str(st.user.get("email") or "")
    if not email:
        return None
    name = st.user.get("name")
    return _principal(cache.database_url(), cache.version(), email.strip().lower(),
                      None if name is None else str(name), cfg.unknown_user_role)


def may(who: Principal | None, action: str) -> bool:
    """Whether ``who`` may use a page needing ``action`` on at least one plan (navigation)."""
    if action == PUBLIC:  # published on purpose: for everyone, signed in or not
        return True
    return who is not None and who.can_somewhere(action)


def menu(who: Principal | None) -> list[str]:
    """The navigation labels ``who`` sees, in order (signed out: none)."""
    return [title for _, title, action in PAGES if may(who, action)]


_NAV = "_wp:navigation"  # this session's page objects and the menu they were made for


def navigation_pages() -> list:
    """The pages for ``st.navigation``: every page registered (so its URL answers), hidden unless usable.

    The page objects are made again only when the session's menu changes (sign-in, a new
    role): fifteen ``st.Page`` objects check and resolve their files, a few ms per rerun.
    They stay in this session (``st.navigation`` marks the page it returns as the one that
    may run once, so one object must never serve two sessions' runs at a time).
    """
    shown = tuple(menu(current()))
    kept = st.session_state.get(_NAV)
    if kept is not None and kept[0] == shown:
        return kept[1]
    pages = [st.Page(str(ROOT / path), title=title, default=(n == 0),
                     url_path=None if n == 0 else Path(path).stem.split("_", 1)[1],
                     visibility="visible" if title in shown else "hidden")
             for n, (path, title, _) in enumerate(PAGES)]
    st.session_state[_NAV] = (shown, pages)
    return pages


def _startup_check() -> None:
    if load_config().require_sign_in and not sign_in_on():
        st.error("Sign-in is required (WEHOPLAN_REQUIRE_SIGN_IN) but no [auth] provider is configured in "
                 ".streamlit/secrets.toml; see the README, \"Sign-in and roles\".")
        st.stop()


def _sign_in_screen() -> None:
    st.title("wehoplan")
    st.write("Sign in to see the plan.")
    if st.button("Sign in", type="primary", key="_sign_in"):
        st.login()
    st.stop()


def _identity(who: Principal) -> None:
    sb = st.sidebar
    if who.local:
        # Markdown, not a caption: the caption's faded grey on the sidebar fails the 4.5:1 contrast of WCAG AA.
        sb.markdown("Local mode: no sign-in is configured, so you act as the local user with every right.")
        return
    role = who.best_role() or "no role"
    # Plain text, never Markdown: names come from the identity provider.
    sb.text(f"Signed in as {who.name}\n{who.email} · {role}")
    sb.button("Sign out", key="_sign_out", on_click=st.logout)


def gate(action: str = "view") -> Principal:
    """The top of every page: start-up check, sign-in, identity in the sidebar, the role check.

    Stops the page (after saying why) when sign-in is required and missing, nobody is
    signed in, the email has no access, or the role does not allow ``action``.
    """
    _startup_check()
    who = current()
    if who is None:
        if not sign_in_on() or not _signed_in():
            _sign_in_screen()
        st.title("wehoplan")
        admins = admin_contacts(cache.engine())
        ask = f"Ask an admin to add you: {', '.join(admins)}." if admins else (
            "No admin is set up yet: whoever runs the server adds one with `wehoplan users add EMAIL --role admin`.")
        st.text(f"{st.user.get('email')} has no access to wehoplan yet.")
        st.warning(ask)
        st.button("Sign out", key="_sign_out_denied", on_click=st.logout)
        st.stop()
    _identity(who)
    needed = ACTIONS[action]
    if not may(who, action):
        st.warning(f"You need the {needed} role for this page.")
        st.stop()
    return who


def gate_public() -> Principal | None:
    """The top of the Public page: no sign-in needed, in any mode (it shows only what was published).

    Signed-in people still see who they are in the sidebar; nobody is stopped, not even when
    sign-in is required and not configured, since nothing on the page is internal.
    """
    who = current() if sign_in_on() or not load_config().require_sign_in else None
    if who is not None and not who.local:  # the local-mode caption is for staff pages, not residents
        _identity(who)
    elif sign_in_on() and not _signed_in():
        st.sidebar.button("Sign in", key="_sign_in_public", on_click=st.login)
    return who


def check_plan(who: Principal, plan_id: int, plan_name: str, action: str = "view") -> None:
    """Stop the page when ``who`` holds no role on the chosen plan that allows ``action``."""
    if not at_least(who.role(plan_id), ACTIONS[action]):
        needed = ACTIONS[action]
        st.warning(f"You need the {needed} role on {plan_name} for this page; choose another plan or ask an admin.")
        st.stop()

