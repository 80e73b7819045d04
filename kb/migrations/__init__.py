"""Alembic migrations: ``knowledge`` for the tables of a published version, ``mappings`` for the
stored use-case mappings. ``kb.database`` runs them; see alembic.ini to write a new revision."""
