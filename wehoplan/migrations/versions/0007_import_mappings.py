"""Remembered import mappings (issue 14): the last mapping used for a plan and a header layout.

Revision ID: 0007_import_mappings
Revises: 0006_publications
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0007_import_mappings"
down_revision: str | None = "0006_publications"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create the import_mappings table."""
    op.create_table(
        "import_mappings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_name", sa.String(length=200), nullable=False),
        sa.Column("layout", sa.String(length=64), nullable=False),
        sa.Column("headers", sa.Text(), nullable=False),
        sa.Column("mapping", sa.Text(), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=True),
        sa.Column("updated_at", sa.DateTime(), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("plan_name", "layout", name="uq_import_mapping_plan_layout"),
    )


def downgrade() -> None:
    """Drop the table (remembered mappings are a convenience; nothing else depends on them)."""
    op.drop_table("import_mappings")
