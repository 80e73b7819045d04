"""What both Alembic environments (knowledge, mappings) run: migrations on the connection that
``kb.database`` passes in, or, from the ``alembic`` command line, on ``-x url=...``."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine
from sqlmodel import SQLModel

from kb import models  # noqa: F401 - registers the tables, for --autogenerate


def run(tables: set[str]) -> None:
    """Run the migrations of a store holding ``tables`` (autogenerate ignores the others)."""

    def include(obj, name, type_, reflected, compare_to) -> bool:
        return type_ != "table" or name in tables

    def migrate(connection) -> None:
        context.configure(
            connection=connection,
            target_metadata=SQLModel.metadata,
            include_object=include,
            render_as_batch=True,  # SQLite alters a table by copying it
        )
        with context.begin_transaction():
            context.run_migrations()

    connection = context.config.attributes.get("connection")
    if connection is not None:
        migrate(connection)
        return
    with create_engine(context.get_x_argument(as_dictionary=True)["url"]).begin() as connection:
        migrate(connection)
