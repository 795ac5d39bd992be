"""Shared fixtures: one demo database built by the same code as `init-demo`."""

from __future__ import annotations

import sys

import pytest

from wehoplan.db import create_schema, make_engine
from wehoplan.demo import build_demo


@pytest.fixture(scope="session")
def demo_url(tmp_path_factory) -> str:
    """URL of a demo database built once per test session (treat as read-only)."""
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    url = f"sqlite:///{path}"
    build_demo(make_engine(url))
    return url


@pytest.fixture(scope="session")
def demo_engine(demo_url):
    """Engine of the shared, read-only demo database."""
    return make_engine(demo_url)


@pytest.fixture
def fresh_url(tmp_path) -> str:
    """URL of a new demo database for a test that writes."""
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    build_demo(make_engine(url))
    return url


@pytest.fixture
def empty_url(tmp_path) -> str:
    """URL of a database with the schema and no plan."""
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    create_schema(make_engine(url))
    return url


@pytest.fixture(autouse=True)
def _clear_streamlit_caches():
    """AppTests share the process: clear Streamlit's caches around every test that uses them."""
    st = sys.modules.get("streamlit")
    if st is not None:
        st.cache_data.clear()
        st.cache_resource.clear()
    yield
    st = sys.modules.get("streamlit")
    if st is not None:
        st.cache_data.clear()
        st.cache_resource.clear()
