"""Publishing (issue 19): the plan's public switch, public or internal items, public notes, publications.

Plans start internal (``public`` false) so nothing goes out by accident; items are public by
default, which matters only once their plan is switched public. Adding columns needs no table
rebuild on either database, so the append-only triggers of ``updates`` stay as they are.

Revision ID: 0006_publications
Revises: 0005_measures
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0006_publications"
down_revision: str | None = "0005_measures"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Add the three columns and the publications table."""
    op.add_column("plans", sa.Column("public", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column("items", sa.Column("public", sa.Boolean(), server_default=sa.true(), nullable=False))
    # Plain ALTER TABLE ADD COLUMN (no batch rebuild): a rebuilt updates table would lose its triggers.
    op.add_column("updates", sa.Column("public_note", sa.Text(), nullable=True))
    op.create_table(
        "publications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("published_at", sa.DateTime(), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("schema_version", sa.String(length=16), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["plan_id"], ["plans.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_publications_plan", "publications", ["plan_id", "id"])


def downgrade() -> None:
    """Drop the publications and the three columns (every publication is lost)."""
    op.drop_index("ix_publications_plan", table_name="publications")
    op.drop_table("publications")
    with op.batch_alter_table("updates") as b:
        b.drop_column("public_note")
    with op.batch_alter_table("items") as b:
        b.drop_column("public")
    with op.batch_alter_table("plans") as b:
        b.drop_column("public")
