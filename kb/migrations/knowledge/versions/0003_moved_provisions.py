"""History follows renumbered provisions: a source version counts its ``moved`` changes, and a
clause version says which ingest opened it (``source_version_id``, indexed now that it is filled)
and, when it opened because the provision was renumbered, the id it had before (``moved_from``).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sourceversion") as batch:
        batch.add_column(sa.Column("moved", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("clauseversion") as batch:
        batch.add_column(sa.Column("moved_from", sa.String(), nullable=True))
    op.create_index("ix_clauseversion_source_version_id", "clauseversion", ["source_version_id"])


def downgrade() -> None:
    op.drop_index("ix_clauseversion_source_version_id", table_name="clauseversion")
    with op.batch_alter_table("clauseversion") as batch:
        batch.drop_column("moved_from")
    with op.batch_alter_table("sourceversion") as batch:
        batch.drop_column("moved")
