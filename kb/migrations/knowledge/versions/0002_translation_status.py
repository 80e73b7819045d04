"""A translation says what it is: the date of the text it translates, whether it has legal effect,
a note to show with it, and whether the clause's text was amended after that date.

Separate columns rather than a JSON field: the clause view reads all four on every translation, and
``outdated`` is a fact per clause that a query may filter on.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("translation") as batch:
        batch.add_column(sa.Column("version_date", sa.Date(), nullable=True))
        batch.add_column(sa.Column("legal_effect", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("note", sa.String(), nullable=True))
        batch.add_column(sa.Column("outdated", sa.Boolean(), nullable=True))  # NULL: not compared


def downgrade() -> None:
    with op.batch_alter_table("translation") as batch:
        for column in ("outdated", "note", "legal_effect", "version_date"):
            batch.drop_column(column)
