"""The data model (SQLModel tables). API schemas live apart, in ``api/schemas.py``.

A *source* is one document (the GDPR, the CCPA, a company's guideline); a *clause* is its smallest
citable unit (article, paragraph, point, recital, principle, item). Clauses keep their history in
``ClauseVersion`` rows; a clause that disappears from a new version of its source is marked
repealed, never deleted, so stored ids stay resolvable.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlmodel import JSON, Column, Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class Source(SQLModel, table=True):
    id: str = Field(primary_key=True)
    title: str
    short_name: str
    issuer: str
    jurisdiction: str
    kind: str  # law, regulation, guideline, principles, internal
    binding: bool
    language: str = "en"
    version_date: date | None = None
    official_url: str
    status: str = "pending"  # ingested, unavailable, failed
    status_reason: str | None = None
    clause_count: int = 0
    raw_hash: str | None = None
    parser_fingerprint: str | None = None
    ingested_at: datetime | None = None


class Clause(SQLModel, table=True):
    id: str = Field(primary_key=True)
    source_id: str = Field(index=True, foreign_key="source.id")
    kind: str
    number: str
    label: str
    title: str | None = None
    text: str = ""
    parent_id: str | None = Field(default=None, index=True)
    unit_id: str = Field(index=True)
    position: int = 0
    language: str = "en"
    url: str
    content_hash: str
    repealed: bool = False


class Reference(SQLModel, table=True):
    """A cross-reference found in the text of ``from_id`` pointing at ``to_id``."""

    from_id: str = Field(primary_key=True)
    to_id: str = Field(primary_key=True, index=True)


class RecitalLink(SQLModel, table=True):
    """A recital and an article it explains. The GDPR and the AI Act do not say which recital
    explains which article, so ingestion relates them by embedding similarity (see kb.indexing)."""

    recital_id: str = Field(primary_key=True)
    unit_id: str = Field(primary_key=True, index=True)
    score: float


class CheckItem(SQLModel, table=True):
    """A risk-check item of a company guideline: the lifecycle phases and data it applies to."""

    clause_id: str = Field(primary_key=True)
    source_id: str = Field(index=True)
    phases: list = Field(default_factory=list, sa_column=Column(JSON))
    data_categories: list = Field(default_factory=list, sa_column=Column(JSON))
    principles: list = Field(default_factory=list, sa_column=Column(JSON))


class Translation(SQLModel, table=True):
    """The same clause in another language (e.g. the Japanese text of a METI principle, the official
    English translation of a Japanese statute), with what a reader must know about it: the date of
    the text it translates, whether it has legal effect, a note from the registry, and whether the
    clause was amended after the translated text (``outdated``; None where nothing was compared)."""

    clause_id: str = Field(primary_key=True)
    language: str = Field(primary_key=True)
    title: str | None = None
    text: str
    version_date: date | None = None
    legal_effect: bool = False
    note: str | None = None
    outdated: bool | None = None


class SourceVersion(SQLModel, table=True):
    """One ingest of a source that changed something: what was read and what it changed."""

    id: int | None = Field(default=None, primary_key=True)
    source_id: str = Field(index=True)
    version_date: date | None = None
    raw_hash: str
    ingested_at: datetime = Field(default_factory=utcnow)
    effective_at: datetime = Field(default_factory=utcnow, index=True)
    added: int = 0
    amended: int = 0
    repealed: int = 0
    moved: int = 0  # renumbered provisions: a "moved" change with the old and the new id
    changes: list = Field(default_factory=list, sa_column=Column(JSON))


class ClauseVersion(SQLModel, table=True):
    """A clause's text as it stood from ``valid_from`` until ``valid_to`` (None: still current).

    ``source_version_id`` is the ingest (``SourceVersion``) that opened it; ``moved_from`` the id
    the provision had before, when this version opened because it was renumbered.
    """

    id: int | None = Field(default=None, primary_key=True)
    clause_id: str = Field(index=True)
    source_version_id: int | None = Field(default=None, index=True)
    moved_from: str | None = None
    title: str | None = None
    text: str
    content_hash: str
    valid_from: datetime = Field(default_factory=utcnow)
    valid_to: datetime | None = None


class StoredMapping(SQLModel, table=True):
    """A use-case mapping as answered, kept so it can be fetched and exported later. Lives in the
    data directory's own database, outside the published versions, so re-ingestion keeps it."""

    id: str = Field(primary_key=True)
    created_at: datetime = Field(default_factory=utcnow)
    kb_version: str
    request: dict = Field(default_factory=dict, sa_column=Column(JSON))
    response: dict = Field(default_factory=dict, sa_column=Column(JSON))


class MappingReviewItem(SQLModel, table=True):
    """A reviewer's decision on one item (clause, principle or check) of a stored mapping, kept in
    its own table beside the mapping: the mapping stays as answered, the review grows over time."""

    mapping_id: str = Field(primary_key=True, foreign_key="storedmapping.id")
    item_id: str = Field(primary_key=True)
    decision: str  # applies, does_not_apply, needs_answer
    note: str = ""
    reviewer: str | None = None
    updated_at: datetime = Field(default_factory=utcnow)


# Which tables live where: a published version's store (see kb.database), and the mappings store.
KNOWLEDGE_TABLES = frozenset(
    t.__tablename__
    for t in (Source, Clause, Reference, RecitalLink, CheckItem, Translation, SourceVersion, ClauseVersion)
)
MAPPINGS_TABLES = frozenset({StoredMapping.__tablename__, MappingReviewItem.__tablename__})
