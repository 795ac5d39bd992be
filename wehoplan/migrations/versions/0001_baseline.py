"""Baseline: the schema as it stood when revisions started being kept (issue 10).

A database made before then has exactly these tables; ``wehoplan db upgrade`` stamps it with
this revision instead of running it. The trigger DDL is a frozen copy: a later change to the
triggers is a new revision, never an edit of this one.

Revision ID: 0001_baseline
Revises:
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0001_baseline"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

_SQLITE_TRIGGERS = (
    """CREATE TRIGGER IF NOT EXISTS updates_no_edit BEFORE UPDATE ON updates
       BEGIN SELECT RAISE(ABORT, 'progress updates are append-only'); END""",
    """CREATE TRIGGER IF NOT EXISTS updates_no_delete BEFORE DELETE ON updates
       WHEN OLD.batch_id IS NULL
         OR (SELECT undone_at FROM import_batches WHERE id = OLD.batch_id) IS NULL
       BEGIN SELECT RAISE(ABORT, 'progress updates are append-only'); END""",
    """CREATE TRIGGER IF NOT EXISTS audit_no_edit BEFORE UPDATE ON audit
       BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END""",
    """CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
       BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END""",
)

_PG_TRIGGERS = (
    """CREATE OR REPLACE FUNCTION wehoplan_updates_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF TG_OP = 'DELETE' AND OLD.batch_id IS NOT NULL AND EXISTS (
              SELECT 1 FROM import_batches WHERE id = OLD.batch_id AND undone_at IS NOT NULL) THEN
           RETURN OLD;
         END IF;
         RAISE EXCEPTION 'progress updates are append-only';
       END $$""",
    """CREATE OR REPLACE FUNCTION wehoplan_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN RAISE EXCEPTION 'the audit trail is append-only'; END $$""",
    """CREATE TRIGGER updates_append_only BEFORE UPDATE OR DELETE ON updates
       FOR EACH ROW EXECUTE FUNCTION wehoplan_updates_append_only()""",
    """CREATE TRIGGER updates_no_truncate BEFORE TRUNCATE ON updates
       FOR EACH STATEMENT EXECUTE FUNCTION wehoplan_audit_append_only()""",
    """CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit
       FOR EACH ROW EXECUTE FUNCTION wehoplan_audit_append_only()""",
    """CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit
       FOR EACH STATEMENT EXECUTE FUNCTION wehoplan_audit_append_only()""",
)


def upgrade() -> None:
    """Create every table and the append-only triggers."""
    op.create_table(
        "departments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "meta",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("level_names", sa.String(length=200), nullable=False),
        sa.Column("adopted", sa.Date(), nullable=True),
        sa.Column("is_demo", sa.Boolean(), nullable=False),
        sa.Column("source_note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "import_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=True),
        sa.Column("file_name", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(), server_default=sa.func.now(), nullable=False),
        sa.Column("items_created", sa.Integer(), nullable=False),
        sa.Column("items_updated", sa.Integer(), nullable=False),
        sa.Column("updates_added", sa.Integer(), nullable=False),
        sa.Column("undone_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["plans.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "people",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=200), nullable=True),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), server_default=sa.func.now(), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=True),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=True),
        sa.Column("field", sa.String(length=64), nullable=True),
        sa.Column("old_value", sa.Text(), nullable=True),
        sa.Column("new_value", sa.Text(), nullable=True),
        sa.Column("source", sa.String(length=200), nullable=True),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["import_batches.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("level", sa.String(length=64), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("sponsor_id", sa.Integer(), nullable=True),
        sa.Column("lead_department_id", sa.Integer(), nullable=True),
        sa.Column("smart", sa.String(length=5), nullable=False),
        sa.Column("start", sa.Date(), nullable=True),
        sa.Column("due", sa.Date(), nullable=True),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column("priority", sa.String(length=32), nullable=True),
        sa.Column("funding_source", sa.String(length=200), nullable=True),
        sa.Column("item_type", sa.String(length=64), nullable=True),
        sa.Column("track", sa.String(length=200), nullable=True),
        sa.Column("depends_on", sa.String(length=200), nullable=True),
        sa.Column("source_note", sa.Text(), nullable=True),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("start IS NULL OR due IS NULL OR start <= due", name="ck_item_start_before_due"),
        sa.CheckConstraint("weight >= 0", name="ck_item_weight_nonnegative"),
        sa.ForeignKeyConstraint(
            ["lead_department_id"],
            ["departments.id"],
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["people.id"],
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["items.id"],
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["plans.id"],
        ),
        sa.ForeignKeyConstraint(
            ["sponsor_id"],
            ["people.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("plan_id", "code", name="uq_item_code_per_plan"),
    )
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.create_index("ix_items_plan_parent", ["plan_id", "parent_id"], unique=False)

    op.create_table(
        "item_partner_departments",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
        ),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("item_id", "department_id"),
    )
    op.create_table(
        "measures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("goal_code", sa.String(length=64), nullable=True),
        sa.Column("goal", sa.Text(), nullable=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("unit", sa.String(length=100), nullable=True),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("target", sa.Float(), nullable=True),
        sa.Column("baseline_note", sa.Text(), nullable=True),
        sa.Column("source_note", sa.Text(), nullable=True),
        sa.CheckConstraint("direction IN ('up', 'down', 'none')", name="ck_measure_direction"),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["items.id"],
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["plans.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "updates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("progress", sa.Float(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("author", sa.String(length=200), nullable=True),
        sa.Column("source", sa.String(length=200), nullable=True),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'on_track', 'some_disruption', 'major_disruption', 'completed', 'deferred')",
            name="ck_update_status",
        ),
        sa.CheckConstraint("progress >= 0 AND progress <= 100", name="ck_update_progress_range"),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["import_batches.id"],
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["items.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("updates", schema=None) as batch_op:
        batch_op.create_index("ix_updates_item_asof", ["item_id", "as_of", "id"], unique=False)

    op.create_table(
        "measure_values",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("measure_id", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["measure_id"],
            ["measures.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("measure_id", "as_of", name="uq_measure_value_date"),
    )
    dialect = op.get_bind().dialect.name
    for ddl in _SQLITE_TRIGGERS if dialect == "sqlite" else _PG_TRIGGERS if dialect == "postgresql" else ():
        op.execute(ddl)


def downgrade() -> None:
    """Drop every table (and so every row): there is nothing before the baseline."""
    op.drop_table("measure_values")
    with op.batch_alter_table("updates", schema=None) as batch_op:
        batch_op.drop_index("ix_updates_item_asof")

    op.drop_table("updates")
    op.drop_table("measures")
    op.drop_table("item_partner_departments")
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.drop_index("ix_items_plan_parent")

    op.drop_table("items")
    op.drop_table("audit")
    op.drop_table("people")
    op.drop_table("import_batches")
    op.drop_table("plans")
    op.drop_table("meta")
    op.drop_table("departments")
