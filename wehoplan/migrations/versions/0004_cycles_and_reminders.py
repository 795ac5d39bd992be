"""Update cycles, period locks and the reminder log (issue 16).

``people.email`` already exists (baseline); reminders read it.

Revision ID: 0004_cycles_and_reminders
Revises: 0003_users_and_roles
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0004_cycles_and_reminders"
down_revision: str | None = "0003_users_and_roles"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create the cycles, period_locks and reminder_log tables."""
    op.create_table(
        "cycles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("every", sa.String(length=16), nullable=False),
        sa.Column("period_ends", sa.Text(), nullable=True),
        sa.Column("window_days", sa.Integer(), nullable=False),
        sa.Column("due_days", sa.Integer(), nullable=False),
        sa.Column("grace_days", sa.Integer(), nullable=False),
        sa.CheckConstraint("every IN ('month', 'quarter', 'custom')", name="ck_cycle_every"),
        sa.CheckConstraint("window_days >= 0 AND due_days >= 0 AND grace_days >= 0", name="ck_cycle_days"),
        sa.ForeignKeyConstraint(["plan_id"], ["plans.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("plan_id"),
    )
    op.create_table(
        "period_locks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("locked_by", sa.String(length=200), nullable=True),
        sa.Column("locked_at", sa.DateTime(), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint("period_start <= period_end", name="ck_period_lock_range"),
        sa.ForeignKeyConstraint(["plan_id"], ["plans.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("plan_id", "period_end", name="uq_period_lock"),
    )
    op.create_table(
        "reminder_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=400), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("n_items", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(["plan_id"], ["plans.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )


def downgrade() -> None:
    """Drop the three tables (cycles, locks and the record of sent reminders)."""
    op.drop_table("reminder_log")
    op.drop_table("period_locks")
    op.drop_table("cycles")
