"""Where governance self-assessments are kept: one row per saved version, appended, never updated.

They live in a database of their own (``data/assessments.sqlite``, a ``<prefix>_assessments``
schema beside the versions' on PostgreSQL, or ``KB_ASSESSMENTS_URL``) with their own Alembic
revisions (kb/migrations/assessments, ``a0001_assessments`` …): re-ingestion keeps them, and their
migrations never share a revision chain with the knowledge base's or the stored mappings'.
"""

from __future__ import annotations

from contextlib import suppress
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import JSON, Column, UniqueConstraint, create_engine, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, col, select

from kb.database import (
    PostgresVersions,
    driver_url,
    postgres_engine,
    schema_prefix,
    sqlite_engine,
    upgrade,
    version_database,
)
from kb.settings import Settings

ASSESSMENTS = "assessments"  # the Alembic script directory, kb/migrations/assessments
ASSESSMENTS_FILE = "assessments.sqlite"


def _now() -> datetime:
    return datetime.now(UTC)


class AssessmentVersion(SQLModel, table=True):
    """One saved state of an assessment: who, against which framework, as of which date, and per
    item the levels and evidence (``entries``, a list of kb.assessment_views.Entry as JSON)."""

    __table_args__ = (UniqueConstraint("assessment_id", "version", name="uq_assessment_version"),)

    id: int | None = Field(default=None, primary_key=True)
    assessment_id: str = Field(index=True)
    version: int
    framework: str
    organisation: str
    business_unit: str | None = None
    assessed_on: date
    created_at: datetime = Field(default_factory=_now)
    author: str | None = None
    entries: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


ASSESSMENTS_TABLES = frozenset({AssessmentVersion.__tablename__})


def assessments_engine(settings: Settings) -> Engine:
    """The assessments' engine, migrated to the newest revision."""
    if settings.assessments_url:
        url = settings.assessments_url
        if make_url(url).get_backend_name() == "sqlite":
            engine = sqlite_engine(Path(make_url(url).database or ":memory:"))
        else:
            engine = create_engine(driver_url(url), pool_pre_ping=True)
    elif isinstance(version_database(settings), PostgresVersions):
        schema, versions = f"{schema_prefix(settings.data_dir)}_assessments", PostgresVersions(settings.database_url)
        if not versions.schema_exists(schema):
            with suppress(IntegrityError), versions._admin() as connection:
                connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        engine = postgres_engine(settings.database_url, schema)
    else:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = sqlite_engine(settings.data_dir / ASSESSMENTS_FILE)
    upgrade(engine, ASSESSMENTS)
    return engine


def append_version(engine: Engine, row: AssessmentVersion) -> AssessmentVersion:
    """Store ``row`` as the next version of its assessment (numbered here; two writers racing on the
    same number: the loser tries the next one)."""
    for _ in range(5):
        with Session(engine) as session:
            latest = session.exec(
                select(AssessmentVersion.version)
                .where(AssessmentVersion.assessment_id == row.assessment_id)
                .order_by(col(AssessmentVersion.version).desc())
            ).first()
            stored = AssessmentVersion.model_validate({**row.model_dump(exclude={"id"}), "version": (latest or 0) + 1})
            session.add(stored)
            try:
                session.commit()
            except IntegrityError:
                session.rollback()
                continue
            session.refresh(stored)
            return stored
    raise RuntimeError(f"could not number a new version of {row.assessment_id!r}")


def versions_of(engine: Engine, assessment_id: str) -> list[AssessmentVersion]:
    """Every saved version of an assessment, oldest first."""
    with Session(engine) as session:
        return list(
            session.exec(
                select(AssessmentVersion)
                .where(AssessmentVersion.assessment_id == assessment_id)
                .order_by(col(AssessmentVersion.version))
            )
        )


def assessment_ids(engine: Engine) -> list[str]:
    with Session(engine) as session:
        return sorted(set(session.exec(select(AssessmentVersion.assessment_id))))
