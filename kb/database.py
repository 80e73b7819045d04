"""Where the tables live, and how they are created and upgraded (Alembic, kb/migrations).

A published version's tables (``kb.models.KNOWLEDGE_TABLES``) live either in a SQLite file inside
the version's directory (the default) or, with ``KB_DATABASE_URL=postgresql://…``, in a PostgreSQL
schema of their own, named after the data directory and the version. One store per version keeps
the database and the FAISS index of a version in step, and lets publication stay one atomic rename
of ``data/CURRENT`` on both backends.

A new version starts as a copy of the live one and is upgraded to the newest migration before
ingestion writes to it, so data written by older code is carried forward. A reader refuses a store
whose revision is not the one this code was written for, with a message that says what to run.
"""

from __future__ import annotations

import fcntl
import re
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from functools import cache
from pathlib import Path
from typing import Protocol

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Integer, event, inspect, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.pool import NullPool
from sqlmodel import SQLModel, create_engine

from kb.errors import KBError
from kb.models import KNOWLEDGE_TABLES, MAPPINGS_TABLES
from kb.settings import Settings

SQLITE_FILE = "kb.sqlite"
MAPPINGS_FILE = "mappings.sqlite"
PREFIX_FILE = "SCHEMA_PREFIX"  # in the data directory: the PostgreSQL schema names' prefix
MIGRATIONS = Path(__file__).parent / "migrations"
KNOWLEDGE, MAPPINGS = "knowledge", "mappings"
BASELINE = {KNOWLEDGE: "0001", MAPPINGS: "m0001"}  # what a store made before migrations existed is at


class SchemaMismatch(KBError, RuntimeError):
    """A store's tables are not at the revision this code expects, or are missing."""

    code = "schema_mismatch"
    http_status = 503


class DatabaseError(KBError, RuntimeError):
    """The database refused a step (a role without the right to create schemas) or could not be
    reached; the message names the store and gives the server's reason."""

    code = "database_error"
    http_status = 503


# --- migrations -------------------------------------------------------------------------------


@cache
def head_revision(script: str = KNOWLEDGE) -> str:
    return ScriptDirectory.from_config(_alembic_config(script)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, script: str = KNOWLEDGE, revision: str = "head") -> str | None:
    """Bring the store to ``revision``; return the revision it was at (None: empty, or older than
    migrations).

    A store written before migrations existed has the tables but no revision: it is stamped at the
    baseline first, then upgraded like any other.
    """
    already = current_revision(engine)
    if already is not None and already == (head_revision(script) if revision == "head" else revision):
        return already  # nothing to do, and nothing written: a read-only data directory still serves
    with _migration_lock(engine), engine.begin() as connection:
        config = _alembic_config(script, connection)
        before = MigrationContext.configure(connection).get_current_revision()
        if before is not None and before not in _known_revisions(script):
            raise SchemaMismatch(_newer_message(before, script))
        if before is None and _has_tables(connection, script):
            command.stamp(config, BASELINE[script])
        command.upgrade(config, revision)
    return before


def downgrade(engine: Engine, revision: str, script: str = KNOWLEDGE) -> None:
    """Take the store back to ``revision`` (``base``: no tables); for maintainers undoing a migration."""
    with _migration_lock(engine), engine.begin() as connection:
        command.downgrade(_alembic_config(script, connection), revision)


def require_head(engine: Engine, where: str, script: str = KNOWLEDGE) -> None:
    """Raise SchemaMismatch unless the store is at the head revision."""
    found, expected = current_revision(engine), head_revision(script)
    if found == expected:
        return
    if found is None:
        raise SchemaMismatch(f"{where} has no clausemap tables (or predates migrations): run `kb ingest`")
    if found not in _known_revisions(script):
        raise SchemaMismatch(f"{where}: {_newer_message(found, script)}")
    raise SchemaMismatch(
        f"{where} is at schema revision {found}, this code expects {expected}: run `kb ingest` "
        "to publish an upgraded copy (nothing is embedded again)"
    )


def _newer_message(found: str, script: str) -> str:
    return (
        f"schema revision {found} is unknown to this code (it knows up to {head_revision(script)}): "
        "the store was written by a newer clausemap; run that version, or ingest into a new data directory"
    )


def _alembic_config(script: str, connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS / script))
    config.attributes["connection"] = connection
    return config


@cache
def _known_revisions(script: str) -> frozenset[str]:
    return frozenset(r.revision for r in ScriptDirectory.from_config(_alembic_config(script)).walk_revisions())


def _has_tables(connection: Connection, script: str) -> bool:
    names = set(inspect(connection).get_table_names())
    return bool(names & (KNOWLEDGE_TABLES if script == KNOWLEDGE else MAPPINGS_TABLES))


@contextmanager
def _migration_lock(engine: Engine) -> Iterator[None]:
    """Two processes starting at once (server workers) must not both create the same tables."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(hashtext(current_schema()))"))
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(hashtext(current_schema()))"))
                connection.commit()
        return
    database = engine.url.database
    if not database or database == ":memory:":
        yield
        return
    with open(f"{database}.migrate.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# --- engines ----------------------------------------------------------------------------------


def sqlite_engine(path: Path) -> Engine:
    """A SQLite engine that checks foreign keys and may be shared by the server's threads."""
    engine = create_engine(f"sqlite:///{path}", connect_args={"check_same_thread": False})
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def postgres_engine(url: str, schema: str) -> Engine:
    """An engine whose connections see ``schema`` first and speak UTC."""
    _check_schema_name(schema)
    return create_engine(
        driver_url(url),
        pool_pre_ping=True,
        connect_args={"options": f"-c search_path={schema} -c timezone=UTC"},
    )


def driver_url(url: str) -> str:
    """``postgresql://`` means psycopg 3 here (SQLAlchemy's own default would be psycopg2)."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def _check_schema_name(schema: str) -> None:
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", schema):
        raise ValueError(f"not a safe PostgreSQL schema name: {schema!r}")


def _sqlite_pragmas(connection, _record) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


# --- where a version's tables are ------------------------------------------------------------


class VersionDatabase(Protocol):
    """The store of each version: where it is, how to copy it and how to remove it."""

    def engine(self, version: Path) -> Engine: ...

    def exists(self, version: Path) -> bool: ...

    def create(self, version: Path) -> None: ...

    def copy(self, source: Path, version: Path) -> None: ...

    def drop(self, version: Path) -> None: ...

    def describe(self, version: Path) -> str: ...

    def describe_backend(self) -> str: ...


class SQLiteVersions:
    """``data/versions/<name>/kb.sqlite``: the store is a file in the version's directory."""

    def engine(self, version: Path) -> Engine:
        return sqlite_engine(version / SQLITE_FILE)

    def exists(self, version: Path) -> bool:
        return (version / SQLITE_FILE).is_file()

    def create(self, version: Path) -> None:
        """Nothing to do: SQLite creates the file on first use."""

    def copy(self, source: Path, version: Path) -> None:
        shutil.copy2(source / SQLITE_FILE, version / SQLITE_FILE)

    def drop(self, version: Path) -> None:
        """Nothing to do: the file goes with the version's directory."""

    def describe(self, version: Path) -> str:
        return str(version / SQLITE_FILE)

    def describe_backend(self) -> str:
        return "SQLite, a file per version"


class PostgresVersions:
    """Schema ``<prefix>_<version>`` of one PostgreSQL database. The prefix is random per data
    directory (file ``SCHEMA_PREFIX``), so several data directories can share a database."""

    def __init__(self, url: str) -> None:
        self.url = url

    def schema(self, version: Path) -> str:
        return f"{schema_prefix(version.parent.parent)}_{version.name.lower()}"

    def engine(self, version: Path) -> Engine:
        return postgres_engine(self.url, self.schema(version))

    def exists(self, version: Path) -> bool:
        return self.schema_exists(self.schema(version))

    def create(self, version: Path) -> None:
        with self._admin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{self.schema(version)}"'))

    def schema_exists(self, schema: str) -> bool:
        with self._admin() as connection:
            found = connection.execute(text("SELECT 1 FROM pg_namespace WHERE nspname = :s"), {"s": schema})
            return found.first() is not None

    def copy(self, source: Path, version: Path) -> None:
        """Create the schema at the source's revision, then copy every table server-side."""
        old, new = self.schema(source), self.schema(version)
        self.create(version)
        source_engine = self.engine(source)
        with source_engine.connect() as connection:
            revision = MigrationContext.configure(connection).get_current_revision()
            if revision is None and _has_tables(connection, KNOWLEDGE):  # from before migrations
                revision = BASELINE[KNOWLEDGE]
        source_engine.dispose()
        if revision is None:
            return
        if revision not in _known_revisions(KNOWLEDGE):
            raise SchemaMismatch(_newer_message(revision, KNOWLEDGE))
        target = self.engine(version)
        upgrade(target, revision=revision)
        with target.begin() as connection:
            present = set(inspect(connection).get_table_names())  # the tables at that revision
            for table in (t for t in SQLModel.metadata.sorted_tables if t.name in KNOWLEDGE_TABLES & present):
                columns = ", ".join(f'"{c["name"]}"' for c in inspect(connection).get_columns(table.name))
                connection.execute(
                    text(f'INSERT INTO "{new}"."{table.name}" ({columns}) SELECT {columns} FROM "{old}"."{table.name}"')
                )
                if _serial_key(table):
                    connection.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('\"{new}\".\"{table.name}\"', 'id'), "
                            f'COALESCE(MAX(id), 0) + 1, false) FROM "{new}"."{table.name}"'
                        )
                    )
        target.dispose()

    def drop(self, version: Path) -> None:
        if not (version.parent.parent / PREFIX_FILE).is_file():
            return
        with self._admin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{self.schema(version)}" CASCADE'))

    def describe(self, version: Path) -> str:
        return f"schema {self.schema(version)} of {_safe(self.url)}"

    def describe_backend(self) -> str:
        return f"PostgreSQL, a schema per version, at {_safe(self.url)}"

    @contextmanager
    def _admin(self) -> Iterator[Connection]:
        engine = create_engine(driver_url(self.url), poolclass=NullPool)
        try:
            with engine.begin() as connection:
                yield connection
        except IntegrityError:
            raise
        except DBAPIError as exc:
            raise DatabaseError(f"{_safe(self.url)}: {exc.orig}".strip()) from exc
        finally:
            engine.dispose()


def _safe(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def _serial_key(table) -> bool:
    keys = list(table.primary_key.columns)
    return len(keys) == 1 and isinstance(keys[0].type, Integer)


def schema_prefix(data_dir: Path) -> str:
    """The data directory's PostgreSQL schema prefix, chosen at random the first time."""
    path = data_dir / PREFIX_FILE
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    data_dir.mkdir(parents=True, exist_ok=True)
    prefix = f"kb_{secrets.token_hex(4)}"
    staging = path.with_suffix(".tmp")
    staging.write_text(prefix + "\n")
    staging.replace(path)
    return prefix


def version_database(settings: Settings) -> VersionDatabase:
    url = settings.database_url
    if url is None or make_url(url).get_backend_name() == "sqlite":
        if url is not None:
            raise ValueError("KB_DATABASE_URL: SQLite is the default (one file per version); leave it unset")
        return SQLiteVersions()
    if make_url(url).get_backend_name() != "postgresql":
        raise ValueError(f"KB_DATABASE_URL: only postgresql:// is supported, not {make_url(url).drivername}")
    return PostgresVersions(url)


def prepare_version(database: VersionDatabase, version: Path, live: Path | None) -> tuple[Engine, str | None]:
    """The engine of a version being built: a copy of the live store, upgraded to the newest
    migration. Also returns the live store's revision when the copy had to be upgraded (then the
    version must be published even if no source changed), else None."""
    try:
        if live is None or not database.exists(live):
            database.create(version)
            engine = database.engine(version)
            upgrade(engine)
            return engine, None
        live_engine = database.engine(live)
        live_revision = current_revision(live_engine)
        live_engine.dispose()
        database.copy(live, version)
        engine = database.engine(version)
        upgrade(engine)
    except DBAPIError as exc:
        raise DatabaseError(f"cannot build {database.describe(version)}: {exc.orig}".strip()) from exc
    return engine, (live_revision or "unversioned") if live_revision != head_revision() else None


def open_version(database: VersionDatabase, version: Path) -> Engine:
    """The engine of a published version, for reading; refuses a store at another revision."""
    engine = database.engine(version)
    try:
        require_head(engine, f"the published version {version.name} ({database.describe(version)})")
    except BaseException:
        engine.dispose()
        raise
    return engine


def mappings_engine(settings: Settings) -> Engine:
    """The stored mappings' engine, migrated: ``KB_MAPPINGS_URL``, else beside the versions
    (a ``<prefix>_mappings`` schema on PostgreSQL, ``data/mappings.sqlite`` on SQLite)."""
    if settings.mappings_url:
        url = settings.mappings_url
        if make_url(url).get_backend_name() == "sqlite":
            engine = sqlite_engine(Path(make_url(url).database or ":memory:"))
        else:
            engine = create_engine(driver_url(url), pool_pre_ping=True)
    elif isinstance(version_database(settings), PostgresVersions):
        schema, versions = f"{schema_prefix(settings.data_dir)}_mappings", PostgresVersions(settings.database_url)
        if not versions.schema_exists(schema):  # a replica's role may read and write it, not create it
            with suppress(IntegrityError), versions._admin() as connection:
                connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))  # two workers may race here
        engine = postgres_engine(settings.database_url, schema)
    else:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = sqlite_engine(settings.data_dir / MAPPINGS_FILE)
    upgrade(engine, MAPPINGS)
    return engine
