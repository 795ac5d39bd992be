"""Shared fixtures: one demo database built by the same code as `init-demo`, on SQLite and PostgreSQL.

The database fixtures (``demo_url``, ``demo_engine``, ``fresh_url``, ``empty_url``) follow the
``db_backend`` fixture. In the modules listed in ``BOTH_BACKENDS`` every test that uses one of them
runs twice, once on a SQLite file and once on a database of a throwaway PostgreSQL cluster
(:mod:`tests.pg`), started once per session and stopped at its end; elsewhere they are SQLite.
"""

from __future__ import annotations

import itertools
import sys

import pytest
from sqlalchemy import text

from wehoplan.db import create_schema, make_engine
from wehoplan.demo import build_demo

# Modules whose database tests run on both backends (readers, editing, importing load, CLI, demo, ...).
BOTH_BACKENDS = {
    "test_repository", "test_editing", "test_editing_cli", "test_importing_load", "test_importing_cli",
    "test_cli", "test_exporting_cli", "test_demo", "test_db", "test_migrations", "test_backup",
    "test_concurrency", "test_postgres_readers", "test_report", "test_measures_db", "test_publishing",
    "test_cycle_store", "test_importing_shapes",
}
_DB_FIXTURES = {"demo_url", "demo_engine", "fresh_url", "empty_url", "db_backend"}
_names = itertools.count()


def pytest_generate_tests(metafunc) -> None:
    """Run the database tests of ``BOTH_BACKENDS`` modules on SQLite and on PostgreSQL."""
    module = metafunc.module.__name__.rsplit(".", 1)[-1]
    if module in BOTH_BACKENDS and _DB_FIXTURES & set(metafunc.fixturenames) and "db_backend" not in {
        m.args[0] for m in metafunc.definition.iter_markers("parametrize")
    }:
        metafunc.parametrize("db_backend", ["sqlite", "postgresql"], indirect=True, scope="session")


@pytest.fixture(scope="session")
def db_backend(request) -> str:
    """``sqlite`` or ``postgresql``: the database the test's fixtures live in."""
    return getattr(request, "param", "sqlite")


@pytest.fixture(scope="session")
def pg_cluster():
    """A PostgreSQL cluster on 127.0.0.1 for the whole session; stopped and deleted at its end."""
    from tests import pg

    if pg.find_bindir() is None:
        pytest.skip("PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin "
                    "(make system-deps installs Debian's postgresql)")
    cluster = pg.start_cluster()
    yield cluster
    cluster.stop()


class PgDatabases:
    """Creates databases in the session's cluster, cloned from templates built once."""

    def __init__(self, cluster) -> None:
        self.cluster = cluster
        self.admin = make_engine(cluster.admin_url).execution_options(isolation_level="AUTOCOMMIT")
        self._templates: set[str] = set()

    def new(self, template: str | None = None) -> str:
        """URL of a new database (a copy of ``template`` when given, else empty)."""
        name = f"t{next(_names)}"
        clause = f" TEMPLATE {template}" if template else ""
        with self.admin.connect() as conn:
            conn.execute(text(f"CREATE DATABASE {name}{clause}"))
        return self.cluster.url(name)

    def template(self, name: str, build) -> str:
        """Name of template database ``name``, built by ``build(engine)`` on first use."""
        if name not in self._templates:
            with self.admin.connect() as conn:
                conn.execute(text(f"CREATE DATABASE {name}"))
            engine = make_engine(self.cluster.url(name))
            build(engine)
            engine.dispose()  # a template may have no open connection when it is copied
            self._templates.add(name)
        return name


@pytest.fixture(scope="session")
def pg_databases(pg_cluster) -> PgDatabases:
    """Factory of PostgreSQL databases in the session's cluster."""
    return PgDatabases(pg_cluster)


@pytest.fixture(scope="session")
def demo_url(tmp_path_factory, db_backend, request) -> str:
    """URL of a demo database built once per test session and backend (treat as read-only)."""
    if db_backend == "postgresql":
        dbs = request.getfixturevalue("pg_databases")
        return dbs.new(dbs.template("tmpl_demo", build_demo))
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    url = f"sqlite:///{path}"
    build_demo(make_engine(url))
    return url


@pytest.fixture(scope="session")
def demo_engine(demo_url):
    """Engine of the shared, read-only demo database."""
    return make_engine(demo_url)


@pytest.fixture
def fresh_url(tmp_path, db_backend, request) -> str:
    """URL of a new demo database for a test that writes."""
    if db_backend == "postgresql":
        dbs = request.getfixturevalue("pg_databases")
        return dbs.new(dbs.template("tmpl_demo", build_demo))
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    build_demo(make_engine(url))
    return url


@pytest.fixture
def empty_url(tmp_path, db_backend, request) -> str:
    """URL of a database with the schema and no plan."""
    if db_backend == "postgresql":
        dbs = request.getfixturevalue("pg_databases")
        return dbs.new(dbs.template("tmpl_empty", create_schema))
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    create_schema(make_engine(url))
    return url


@pytest.fixture
def blank_url(tmp_path, db_backend, request) -> str:
    """URL of a database with no tables at all (SQLite: a file that does not exist yet)."""
    if db_backend == "postgresql":
        return request.getfixturevalue("pg_databases").new()
    return f"sqlite:///{tmp_path / 'blank.db'}"


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
