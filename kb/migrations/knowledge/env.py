"""Alembic environment of a published version's tables."""

from kb.migrations.environment import run
from kb.models import KNOWLEDGE_TABLES

run(KNOWLEDGE_TABLES)
