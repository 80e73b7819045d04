"""Governance self-assessments: one row per saved version, never updated.

Revision ID: a0001_assessments
Revises:
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "a0001_assessments"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "assessmentversion",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("assessment_id", sa.String(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("framework", sa.String(), nullable=False),
        sa.Column("organisation", sa.String(), nullable=False),
        sa.Column("business_unit", sa.String(), nullable=True),
        sa.Column("assessed_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("author", sa.String(), nullable=True),
        sa.Column("entries", sa.JSON(), nullable=False),
        sa.UniqueConstraint("assessment_id", "version", name="uq_assessment_version"),
    )
    op.create_index("ix_assessmentversion_assessment_id", "assessmentversion", ["assessment_id"])


def downgrade() -> None:
    op.drop_index("ix_assessmentversion_assessment_id", "assessmentversion")
    op.drop_table("assessmentversion")
