"""Reviewers' decisions on the items of a stored mapping.

Revision ID: m0002
Revises: m0001
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "m0002"
down_revision = "m0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mappingreviewitem",
        sa.Column("mapping_id", sa.String(), sa.ForeignKey("storedmapping.id"), primary_key=True),
        sa.Column("item_id", sa.String(), primary_key=True),
        sa.Column("decision", sa.String(), nullable=False),
        sa.Column("note", sa.String(), nullable=False),
        sa.Column("reviewer", sa.String(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("mappingreviewitem")
