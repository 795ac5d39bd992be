"""Performance measures (issue 17): directions, frequency, baseline, owner, targets, links, append-only values.

Directions are renamed (up -> increase, down -> decrease, none -> maintain). Measure values lose
their one-value-per-date constraint (a correction is a newer row of the same period: values are
append-only, with triggers on both databases) and gain a note, an author, a source and a
"not applicable" flag. The DDL is a frozen copy of ``wehoplan.db``'s at this revision.

Revision ID: 0005_measures
Revises: 0004_cycles_and_reminders
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0005_measures"
down_revision: str | None = "0004_cycles_and_reminders"
branch_labels: str | None = None
depends_on: str | None = None

_SQLITE_TRIGGERS = (
    """CREATE TRIGGER IF NOT EXISTS measure_values_no_edit BEFORE UPDATE ON measure_values
       BEGIN SELECT RAISE(ABORT, 'measure values are append-only'); END""",
    """CREATE TRIGGER IF NOT EXISTS measure_values_no_delete BEFORE DELETE ON measure_values
       BEGIN SELECT RAISE(ABORT, 'measure values are append-only'); END""",
    """CREATE TRIGGER IF NOT EXISTS measure_values_no_replace BEFORE INSERT ON measure_values
       WHEN NEW.id IS NOT NULL AND EXISTS (SELECT 1 FROM measure_values WHERE id = NEW.id)
       BEGIN SELECT RAISE(ABORT, 'measure values are append-only: an existing row cannot be replaced'); END""",
)
_PG_TRIGGERS = (
    """CREATE OR REPLACE FUNCTION wehoplan_measure_values_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN RAISE EXCEPTION 'measure values are append-only'; END $$""",
    """CREATE TRIGGER measure_values_append_only BEFORE UPDATE OR DELETE ON measure_values
       FOR EACH ROW EXECUTE FUNCTION wehoplan_measure_values_append_only()""",
    """CREATE TRIGGER measure_values_no_truncate BEFORE TRUNCATE ON measure_values
       FOR EACH STATEMENT EXECUTE FUNCTION wehoplan_measure_values_append_only()""",
)
_RENAMES = (("up", "increase"), ("down", "decrease"), ("none", "maintain"))


def upgrade() -> None:
    """Extend measures and measure values; add links and targets; guard the values."""
    with op.batch_alter_table("measures", schema=None) as b:
        b.drop_constraint("ck_measure_direction", type_="check")
        b.add_column(sa.Column("number_format", sa.String(length=16), server_default="decimal", nullable=False))
        b.add_column(sa.Column("frequency", sa.String(length=16), server_default="annual", nullable=False))
        b.add_column(sa.Column("baseline_value", sa.Float(), nullable=True))
        b.add_column(sa.Column("baseline_date", sa.Date(), nullable=True))
        b.add_column(sa.Column("data_source", sa.Text(), nullable=True))
        b.add_column(sa.Column("owner_id", sa.Integer(), nullable=True))
        b.add_column(sa.Column("tolerance", sa.Float(), nullable=True))
        b.add_column(sa.Column("provenance", sa.String(length=16), nullable=True))
        b.create_foreign_key("fk_measures_owner_id_people", "people", ["owner_id"], ["id"])
    for old, new in _RENAMES:
        op.execute(sa.text("UPDATE measures SET direction = :new WHERE direction = :old").bindparams(old=old, new=new))
    with op.batch_alter_table("measures", schema=None) as b:
        b.create_check_constraint("ck_measure_direction", "direction IN ('increase', 'decrease', 'maintain')")
        b.create_check_constraint("ck_measure_frequency", "frequency IN ('monthly', 'quarterly', 'annual')")
        b.create_check_constraint("ck_measure_tolerance", "tolerance IS NULL OR tolerance >= 0")

    with op.batch_alter_table("measure_values", schema=None) as b:
        b.drop_constraint("uq_measure_value_date", type_="unique")
        b.alter_column("value", existing_type=sa.Float(), nullable=True)
        b.add_column(sa.Column("not_applicable", sa.Boolean(), server_default=sa.false(), nullable=False))
        b.add_column(sa.Column("note", sa.Text(), nullable=True))
        b.add_column(sa.Column("author", sa.String(length=200), nullable=True))
        b.add_column(sa.Column("source", sa.String(length=200), nullable=True))
        b.add_column(sa.Column("created_at", sa.DateTime(), server_default=sa.func.now(), nullable=True))
        b.create_index("ix_measure_values_period", ["measure_id", "as_of", "id"], unique=False)

    op.create_table(
        "measure_items",
        sa.Column("measure_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["measure_id"], ["measures.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("measure_id", "item_id"),
    )
    op.create_table(
        "measure_targets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("measure_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("lower", sa.Float(), nullable=True),
        sa.Column("upper", sa.Float(), nullable=True),
        sa.CheckConstraint("lower IS NULL OR upper IS NULL OR lower <= upper", name="ck_measure_target_bounds"),
        sa.ForeignKeyConstraint(["measure_id"], ["measures.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("measure_id", "period", name="uq_measure_target_period"),
    )
    dialect = op.get_bind().dialect.name
    for ddl in _SQLITE_TRIGGERS if dialect == "sqlite" else _PG_TRIGGERS if dialect == "postgresql" else ():
        op.execute(ddl)


def downgrade() -> None:
    """Drop the guards, targets and links; back to the old directions (measure values keep their rows)."""
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for name in ("measure_values_no_edit", "measure_values_no_delete", "measure_values_no_replace"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    elif dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS measure_values_append_only ON measure_values")
        op.execute("DROP TRIGGER IF EXISTS measure_values_no_truncate ON measure_values")
        op.execute("DROP FUNCTION IF EXISTS wehoplan_measure_values_append_only()")
    op.drop_table("measure_targets")
    op.drop_table("measure_items")
    with op.batch_alter_table("measure_values", schema=None) as b:
        b.drop_index("ix_measure_values_period")
        for col in ("created_at", "source", "author", "note", "not_applicable"):
            b.drop_column(col)
    with op.batch_alter_table("measures", schema=None) as b:
        for ck in ("ck_measure_direction", "ck_measure_frequency", "ck_measure_tolerance"):
            b.drop_constraint(ck, type_="check")
    for old, new in _RENAMES:
        op.execute(sa.text("UPDATE measures SET direction = :old WHERE direction = :new").bindparams(old=old, new=new))
    with op.batch_alter_table("measures", schema=None) as b:
        b.drop_constraint("fk_measures_owner_id_people", type_="foreignkey")
        for col in ("provenance", "tolerance", "owner_id", "data_source", "baseline_date", "baseline_value",
                    "frequency", "number_format"):
            b.drop_column(col)
        b.create_check_constraint("ck_measure_direction", "direction IN ('up', 'down', 'none')")
