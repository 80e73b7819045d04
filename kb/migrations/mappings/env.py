"""Alembic environment of the stored mappings."""

from kb.migrations.environment import run
from kb.models import MAPPINGS_TABLES

run(MAPPINGS_TABLES)
