r"""Schema migrations (Alembic), shipped in the package; ``wehoplan db upgrade`` runs them.

Each file in ``versions/`` is one revision. ``0001_baseline`` is the schema as it stood when
revisions started being kept; a database made before that (tables, no ``alembic_version``)
is stamped with the baseline by :func:`upgrade` and then brought up to date.

To change the schema (for example to add a table to :mod:`wehoplan.models`):

1. Change the models.
2. From the repository root, on a scratch database at the current head::

       python -m wehoplan db upgrade --db sqlite:///scratch.db
       python -m alembic -c wehoplan/migrations/alembic.ini -x db=sqlite:///scratch.db \\
           revision --autogenerate -m "add users"

   (or copy ``versions/0001_baseline.py`` and write the ``op.create_table`` calls by hand).
   Give the new file ``down_revision`` = the previous head. Operations run in batch mode
   (``render_as_batch``), so ``op.batch_alter_table`` works on SQLite too.
3. Triggers or other DDL the models cannot express go in the revision as ``op.execute``
   per dialect (see the baseline), and in :func:`wehoplan.db.create_schema`'s path too
   (``db.install_triggers``), which builds blank databases directly at the head.
4. ``tests/test_migrations.py`` checks that a database upgraded from the baseline and one
   built by ``create_schema`` have the same tables, columns, indexes and triggers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, inspect, text

HERE = Path(__file__).resolve().parent
BASELINE = "0001_baseline"


def _config(connection: Connection | None = None) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def _script() -> Any:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_config())


def head_revision() -> str:
    """The revision this code's models correspond to."""
    head = _script().get_current_head()
    assert head is not None
    return str(head)


def is_known(revision: str) -> bool:
    """True when ``revision`` is one of this code's revisions."""
    return revision in {s.revision for s in _script().walk_revisions()}


def current_revision(conn: Connection) -> str | None:
    """The database's recorded revision (None when the version table is empty or missing)."""
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(conn).get_current_revision()


def stamp_head(conn: Connection) -> None:
    """Record the head revision in the database (inside the caller's transaction)."""
    from alembic.runtime.migration import MigrationContext

    ctx = MigrationContext.configure(conn)
    ctx.stamp(_script(), head_revision())


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Bring the database to the head revision; return (revision before, revision after).

    A database with today's tables but no revision (made before revisions were kept) is first
    stamped with the baseline; a blank one gets the whole schema.

    Raises:
        ValueError: the database holds other tables and no wehoplan schema, or a newer revision.

    """
    from alembic import command

    with engine.begin() as conn:
        tables = set(inspect(conn).get_table_names())
        before = current_revision(conn) if "alembic_version" in tables else None
        if before is not None and not is_known(before):
            raise ValueError(f"the database is at revision {before}, newer than this wehoplan; upgrade wehoplan")
        if tables and "alembic_version" not in tables:
            if not {"meta", "items", "updates"} <= tables:
                raise ValueError("the database holds other tables and no wehoplan schema; use an empty database")
            from alembic.runtime.migration import MigrationContext

            MigrationContext.configure(conn).stamp(_script(), BASELINE)
            before = BASELINE
        command.upgrade(_config(conn), "head")
        if not tables:
            conn.execute(text("INSERT INTO meta (key, value) VALUES ('data_version', '0')"))
    return before, head_revision()
