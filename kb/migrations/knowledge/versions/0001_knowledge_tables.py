"""The knowledge tables as of the first release: sources, clauses, references, recital links,
check items, translations and the history of sources and clauses.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "source",
        sa.Column("id", sa.String(), primary_key=True),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("short_name", sa.String(), nullable=False),
        sa.Column("issuer", sa.String(), nullable=False),
        sa.Column("jurisdiction", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("binding", sa.Boolean(), nullable=False),
        sa.Column("language", sa.String(), nullable=False),
        sa.Column("version_date", sa.Date(), nullable=True),
        sa.Column("official_url", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("status_reason", sa.String(), nullable=True),
        sa.Column("clause_count", sa.Integer(), nullable=False),
        sa.Column("raw_hash", sa.String(), nullable=True),
        sa.Column("parser_fingerprint", sa.String(), nullable=True),
        sa.Column("ingested_at", TIMESTAMP, nullable=True),
    )
    op.create_table(
        "clause",
        sa.Column("id", sa.String(), primary_key=True),
        sa.Column("source_id", sa.String(), sa.ForeignKey("source.id"), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("number", sa.String(), nullable=False),
        sa.Column("label", sa.String(), nullable=False),
        sa.Column("title", sa.String(), nullable=True),
        sa.Column("text", sa.String(), nullable=False),
        sa.Column("parent_id", sa.String(), nullable=True),
        sa.Column("unit_id", sa.String(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(), nullable=False),
        sa.Column("url", sa.String(), nullable=False),
        sa.Column("content_hash", sa.String(), nullable=False),
        sa.Column("repealed", sa.Boolean(), nullable=False),
    )
    _index("clause", "source_id", "parent_id", "unit_id")
    op.create_table(
        "reference",
        sa.Column("from_id", sa.String(), primary_key=True),
        sa.Column("to_id", sa.String(), primary_key=True),
    )
    _index("reference", "to_id")
    op.create_table(
        "recitallink",
        sa.Column("recital_id", sa.String(), primary_key=True),
        sa.Column("unit_id", sa.String(), primary_key=True),
        sa.Column("score", sa.Float(), nullable=False),
    )
    _index("recitallink", "unit_id")
    op.create_table(
        "checkitem",
        sa.Column("clause_id", sa.String(), primary_key=True),
        sa.Column("source_id", sa.String(), nullable=False),
        sa.Column("phases", sa.JSON(), nullable=True),
        sa.Column("data_categories", sa.JSON(), nullable=True),
        sa.Column("principles", sa.JSON(), nullable=True),
    )
    _index("checkitem", "source_id")
    op.create_table(
        "translation",
        sa.Column("clause_id", sa.String(), primary_key=True),
        sa.Column("language", sa.String(), primary_key=True),
        sa.Column("title", sa.String(), nullable=True),
        sa.Column("text", sa.String(), nullable=False),
    )
    op.create_table(
        "sourceversion",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("source_id", sa.String(), nullable=False),
        sa.Column("version_date", sa.Date(), nullable=True),
        sa.Column("raw_hash", sa.String(), nullable=False),
        sa.Column("ingested_at", TIMESTAMP, nullable=False),
        sa.Column("effective_at", TIMESTAMP, nullable=False),
        sa.Column("added", sa.Integer(), nullable=False),
        sa.Column("amended", sa.Integer(), nullable=False),
        sa.Column("repealed", sa.Integer(), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=True),
    )
    _index("sourceversion", "source_id", "effective_at")
    op.create_table(
        "clauseversion",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("clause_id", sa.String(), nullable=False),
        sa.Column("source_version_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(), nullable=True),
        sa.Column("text", sa.String(), nullable=False),
        sa.Column("content_hash", sa.String(), nullable=False),
        sa.Column("valid_from", TIMESTAMP, nullable=False),
        sa.Column("valid_to", TIMESTAMP, nullable=True),
    )
    _index("clauseversion", "clause_id")


def downgrade() -> None:
    for table in ("clauseversion", "sourceversion", "translation", "checkitem", "recitallink", "reference", "clause"):
        op.drop_table(table)
    op.drop_table("source")


def _index(table: str, *columns: str) -> None:
    for column in columns:
        op.create_index(f"ix_{table}_{column}", table, [column])
