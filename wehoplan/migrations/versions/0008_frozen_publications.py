"""Publications frozen in the database (issue 19): triggers refuse any edit, delete or replacement.

Until now only the ORM refused it; raw SQL (a script, a database console) could rewrite what
residents were shown. The DDL is a frozen copy of ``wehoplan.db``'s at this revision.

Revision ID: 0008_frozen_publications
Revises: 0007_import_mappings
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision: str = "0008_frozen_publications"
down_revision: str | None = "0007_import_mappings"
branch_labels: str | None = None
depends_on: str | None = None

_SQLITE_TRIGGERS = (
    """CREATE TRIGGER IF NOT EXISTS publications_no_edit BEFORE UPDATE ON publications
       BEGIN SELECT RAISE(ABORT, 'publications are frozen: never edited or deleted'); END""",
    """CREATE TRIGGER IF NOT EXISTS publications_no_delete BEFORE DELETE ON publications
       BEGIN SELECT RAISE(ABORT, 'publications are frozen: never edited or deleted'); END""",
    """CREATE TRIGGER IF NOT EXISTS publications_no_replace BEFORE INSERT ON publications
       WHEN NEW.id IS NOT NULL AND EXISTS (SELECT 1 FROM publications WHERE id = NEW.id)
       BEGIN SELECT RAISE(ABORT, 'publications are frozen: an existing one cannot be replaced'); END""",
)
_PG_TRIGGERS = (
    """CREATE OR REPLACE FUNCTION wehoplan_publications_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN RAISE EXCEPTION 'publications are frozen: never edited or deleted'; END $$""",
    """CREATE TRIGGER publications_frozen BEFORE UPDATE OR DELETE ON publications
       FOR EACH ROW EXECUTE FUNCTION wehoplan_publications_frozen()""",
    """CREATE TRIGGER publications_no_truncate BEFORE TRUNCATE ON publications
       FOR EACH STATEMENT EXECUTE FUNCTION wehoplan_publications_frozen()""",
)


def upgrade() -> None:
    """Create the triggers of the database's dialect."""
    dialect = op.get_bind().dialect.name
    for ddl in _SQLITE_TRIGGERS if dialect == "sqlite" else _PG_TRIGGERS if dialect == "postgresql" else ():
        op.execute(ddl)


def downgrade() -> None:
    """Drop them (publications keep their rows)."""
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for name in ("publications_no_edit", "publications_no_delete", "publications_no_replace"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    elif dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS publications_frozen ON publications")
        op.execute("DROP TRIGGER IF EXISTS publications_no_truncate ON publications")
        op.execute("DROP FUNCTION IF EXISTS wehoplan_publications_frozen()")
