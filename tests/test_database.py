"""The stores on the configured backend (SQLite by default; PostgreSQL when KB_DATABASE_URL is set,
as in the second half of the test command): migrations build exactly the models' tables, a store
from before migrations is upgraded on re-ingest, a store from newer code is refused with a message,
copy-forward keeps every row, and removing a version removes its store."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, select

from kb.database import (
    BASELINE,
    KNOWLEDGE,
    MAPPINGS,
    SchemaMismatch,
    VersionDatabase,
    current_revision,
    downgrade,
    head_revision,
    mappings_engine,
    open_version,
    upgrade,
    version_database,
)
from kb.models import KNOWLEDGE_TABLES, MAPPINGS_TABLES, ClauseVersion, Source
from kb.service import ClauseMap
from kb.settings import Settings
from kb.store import DataDir
from tests.conftest import copy_data_dir
from tests.test_api import start_server, stop_server


@pytest.fixture
def database() -> VersionDatabase:
    return version_database(Settings())


@pytest.fixture
def empty_version(tmp_path: Path, database: VersionDatabase):
    """A new, empty store of a version, removed afterwards."""
    version = tmp_path / "data" / "versions" / "v1"
    version.mkdir(parents=True)
    database.create(version)
    engine = database.engine(version)
    yield version, engine
    engine.dispose()
    database.drop(version)


def _differences(engine: Engine, tables: frozenset[str]) -> list:
    def include(obj, name, type_, reflected, compare_to) -> bool:
        return type_ != "table" or name in tables

    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_object": include, "compare_type": True})
        return compare_metadata(context, SQLModel.metadata)


def test_migrations_build_exactly_the_tables_of_the_models(empty_version) -> None:
    _, engine = empty_version
    assert upgrade(engine) is None
    assert current_revision(engine) == head_revision()
    assert _differences(engine, KNOWLEDGE_TABLES) == []


def test_the_mappings_store_is_migrated_too(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    engine = mappings_engine(settings)
    assert current_revision(engine) == head_revision(MAPPINGS)
    assert _differences(engine, MAPPINGS_TABLES) == []
    mappings_engine(settings).dispose()  # a second start (another worker) finds it migrated
    engine.dispose()


def test_downgrade_to_nothing_and_up_again(empty_version) -> None:
    _, engine = empty_version
    upgrade(engine)
    downgrade(engine, "base")
    with engine.connect() as connection:
        assert set(connection.dialect.get_table_names(connection)) <= {"alembic_version"}
    upgrade(engine)
    assert _differences(engine, KNOWLEDGE_TABLES) == []


def test_a_store_made_before_migrations_is_stamped_then_upgraded_keeping_its_rows(empty_version) -> None:
    _, engine = empty_version
    upgrade(engine, revision=BASELINE[KNOWLEDGE])  # the first release's tables, then its lack of a revision:
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE alembic_version"))
    with Session(engine) as session:
        session.add(Source(id="x", title="X", short_name="X", issuer="I", jurisdiction="EU", kind="law",
                           binding=True, official_url="https://example.org/x"))
        session.commit()
    assert current_revision(engine) is None
    assert upgrade(engine) is None
    assert current_revision(engine) == head_revision()
    with Session(engine) as session:
        assert session.get(Source, "x").title == "X"


@pytest.fixture
def private(ingested: Settings, tmp_path: Path) -> Settings:
    copy_data_dir(ingested.data_dir, tmp_path / "data")
    return Settings(data_dir=tmp_path / "data", sources_dir=ingested.sources_dir)


def _live_engine(settings: Settings) -> Engine:
    data = DataDir.of(settings)
    return data.database.engine(data.require_current())


def test_a_version_from_before_migrations_is_refused_then_upgraded_by_ingest(private: Settings, embedder) -> None:
    from ingest.pipeline import ingest

    engine = _live_engine(private)
    history = _count(engine, "sourceversion")
    downgrade(engine, BASELINE[KNOWLEDGE])  # the first release's tables, without a revision
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE alembic_version"))  # as the first release left it
    engine.dispose()
    with pytest.raises(SchemaMismatch, match=r"predates migrations.*kb ingest"):
        ClauseMap(private).kb()

    report = ingest(private, embedder)
    assert report.published and report.schema_upgraded_from == "unversioned"
    assert report.embedded == 0 and not report.failed
    assert _count(_live_engine(private), "sourceversion") == history  # the history came along
    assert ClauseMap(private).search("automated decision about a loan").hits


@pytest.mark.slow
def test_the_server_refuses_a_store_from_newer_code_and_says_so(private: Settings, embedder) -> None:
    from ingest.pipeline import ingest

    engine = _live_engine(private)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'ffff'"))
    engine.dispose()
    process, base = start_server(private)
    try:
        import httpx

        response = httpx.get(f"{base}/v1/search", params={"q": "right to erasure"})
        assert response.status_code == 503
        error = response.json()["error"]
        assert error["code"] == "schema_mismatch" and "ffff" in error["message"] and "newer" in error["message"]
    finally:
        stop_server(process)
    with pytest.raises(SchemaMismatch, match="newer clausemap"):
        ingest(private, embedder)
    assert DataDir.of(private).current().name == _live_name(private)  # nothing published, nothing lost


def _live_name(settings: Settings) -> str:
    return (settings.data_dir / "CURRENT").read_text().strip()


def test_copy_forward_keeps_every_row_and_continues_the_ids(private: Settings, database: VersionDatabase) -> None:
    data = DataDir.of(private)
    live = data.require_current()
    version = data.new_version()
    try:
        data.database.copy(live, version)
        old, new = data.database.engine(live), data.database.engine(version)
        for table in sorted(KNOWLEDGE_TABLES):
            assert _count(old, table) == _count(new, table), table
        with Session(new) as session:
            highest = session.exec(select(func.max(ClauseVersion.id))).one()
            added = ClauseVersion(clause_id="gdpr:art-1", text="t", content_hash="h")
            session.add(added)
            session.commit()
            assert added.id == highest + 1
        assert _count(old, "clauseversion") + 1 == _count(new, "clauseversion")
        old.dispose()
        new.dispose()
    finally:
        data.discard(version)
    assert not data.database.exists(version) and not version.exists()


def _count(engine: Engine, table: str) -> int:
    with engine.connect() as connection:
        return connection.execute(text(f'SELECT COUNT(*) FROM "{table}"')).scalar_one()


def test_the_published_version_opens_for_reading(private: Settings) -> None:
    data = DataDir.of(private)
    engine = open_version(data.database, data.require_current())
    with Session(engine) as session:
        assert session.get(Source, "gdpr").clause_count > 1000
    engine.dispose()


def test_only_sqlite_and_postgresql_urls_are_accepted(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="only postgresql"):
        version_database(Settings(data_dir=tmp_path, database_url="mysql://u@localhost/db"))
    with pytest.raises(ValueError, match="SQLite is the default"):
        version_database(Settings(data_dir=tmp_path, database_url="sqlite:///x.db"))
