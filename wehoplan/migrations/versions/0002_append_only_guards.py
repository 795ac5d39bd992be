"""Append-only side doors closed (issue 11): REPLACE INTO and the import-batch undo flag.

SQLite: an insert over an existing id in updates, audit or import_batches is refused (REPLACE INTO
deletes the old row without firing DELETE triggers). Both databases: an import batch keeps its id,
is marked undone once and never unmarked, and only after its undo is on the audit trail, so no
update leaves without a trace. The DDL is a frozen copy of ``wehoplan.db``'s at this revision.

Revision ID: 0002_append_only_guards
Revises: 0001_baseline
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

revision: str = "0002_append_only_guards"
down_revision: str | None = "0001_baseline"
branch_labels: str | None = None
depends_on: str | None = None

_SQLITE_GUARDS = (
    *(f"""CREATE TRIGGER IF NOT EXISTS {table}_no_replace BEFORE INSERT ON {table}
       WHEN NEW.id IS NOT NULL AND EXISTS (SELECT 1 FROM {table} WHERE id = NEW.id)
       BEGIN SELECT RAISE(ABORT, '{what} are append-only: an existing row cannot be replaced'); END"""
      for table, what in (("updates", "progress updates"), ("audit", "audit rows"),
                          ("import_batches", "import batches"))),
    """CREATE TRIGGER IF NOT EXISTS import_batches_undone_once BEFORE UPDATE OF undone_at ON import_batches
       WHEN OLD.undone_at IS NOT NULL AND (NEW.undone_at IS NULL OR NEW.undone_at <> OLD.undone_at)
       BEGIN SELECT RAISE(ABORT, 'an undone import batch stays undone'); END""",
    """CREATE TRIGGER IF NOT EXISTS import_batches_undo_audited BEFORE UPDATE OF undone_at ON import_batches
       WHEN OLD.undone_at IS NULL AND NEW.undone_at IS NOT NULL AND NOT EXISTS (
         SELECT 1 FROM audit WHERE action = 'undo' AND entity = 'batch' AND entity_id = NEW.id)
       BEGIN SELECT RAISE(ABORT, 'an import batch is marked undone only by undo-import'); END""",
    """CREATE TRIGGER IF NOT EXISTS import_batches_no_rekey BEFORE UPDATE OF id ON import_batches
       WHEN NEW.id <> OLD.id
       BEGIN SELECT RAISE(ABORT, 'import batches keep their id'); END""",
)

_PG_GUARDS = (
    """CREATE OR REPLACE FUNCTION wehoplan_batch_guard() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF NEW.id <> OLD.id THEN RAISE EXCEPTION 'import batches keep their id'; END IF;
         IF OLD.undone_at IS NOT NULL AND (NEW.undone_at IS NULL OR NEW.undone_at <> OLD.undone_at) THEN
           RAISE EXCEPTION 'an undone import batch stays undone';
         END IF;
         IF OLD.undone_at IS NULL AND NEW.undone_at IS NOT NULL AND NOT EXISTS (
              SELECT 1 FROM audit WHERE action = 'undo' AND entity = 'batch' AND entity_id = NEW.id) THEN
           RAISE EXCEPTION 'an import batch is marked undone only by undo-import';
         END IF;
         RETURN NEW;
       END $$""",
    """CREATE TRIGGER import_batches_guard BEFORE UPDATE ON import_batches
       FOR EACH ROW EXECUTE FUNCTION wehoplan_batch_guard()""",
)


def upgrade() -> None:
    """Create the guards of the connection's dialect."""
    dialect = op.get_bind().dialect.name
    for ddl in _SQLITE_GUARDS if dialect == "sqlite" else _PG_GUARDS if dialect == "postgresql" else ():
        op.execute(ddl)


def downgrade() -> None:
    """Drop the guards."""
    if op.get_bind().dialect.name == "sqlite":
        for name in ("updates_no_replace", "audit_no_replace", "import_batches_no_replace",
                     "import_batches_undone_once", "import_batches_undo_audited", "import_batches_no_rekey"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    elif op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS import_batches_guard ON import_batches")
        op.execute("DROP FUNCTION IF EXISTS wehoplan_batch_guard()")
