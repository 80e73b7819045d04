"""Alembic environment of the governance self-assessments (their own database, so that their
revisions never meet the knowledge base's or the stored mappings')."""

from kb.assessment_store import ASSESSMENTS_TABLES
from kb.migrations.environment import run

run(ASSESSMENTS_TABLES)
