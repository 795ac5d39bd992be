"""Alembic environment: runs on the connection :mod:`wehoplan.migrations` hands over, or on ``-x db=URL``."""

from __future__ import annotations

from alembic import context

from wehoplan.db import make_engine
from wehoplan.models import Base

config = context.config


def _run(connection) -> None:
    # Batch mode: SQLite cannot ALTER most things in place; batch operations copy the table.
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:  # the alembic command line: `alembic -c wehoplan/migrations/alembic.ini -x db=URL ...`
    url = context.get_x_argument(as_dictionary=True).get("db", "sqlite:///data/wehoplan.db")
    with make_engine(url).begin() as conn:
        _run(conn)
