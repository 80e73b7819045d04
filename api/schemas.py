"""Pydantic schemas of the public API. What the API returns about clauses, sources, changes and
mappings is built from the core's view records (kb/views.py, filled by kb/presenters.py); the
schemas here are the API's own: the error shape, the envelopes, and the mapping request as a
client sends it."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field, field_validator

from kb.views import MappingQuery, MappingRecord, SearchResult
from kb.vocabulary import JURISDICTIONS, PHASES

Jurisdiction = Literal[JURISDICTIONS]  # type: ignore[valid-type]  # the values are defined once, in kb
Phase = Literal[PHASES]  # type: ignore[valid-type]


class ErrorDetail(BaseModel):
    code: str = Field(examples=["invalid_query"])
    message: str = Field(examples=["the query is empty: describe the situation or name the topic"])



class ErrorResponse(BaseModel):
    error: ErrorDetail



class SearchResponse(BaseModel):
    query: str
    k: int
    group: str
    version: str = Field(description="the knowledge-base version that answered")
    took_ms: float
    results: list[SearchResult]



class Health(BaseModel):
    status: str = Field(examples=["ok"], description="ok, not_ingested or index_unavailable")
    version: str | None = None
    clauses: int = 0
    detail: str | None = None



class MapIn(BaseModel):
    """A use case to map. Every field but the description is optional."""

    model_config = {"extra": "forbid"}

    description: str = Field(
        min_length=1,
        max_length=4000,
        description="the use case in a few sentences",
        examples=["Face recognition at the entrance of our office building to let employees in without a badge."],
    )
    jurisdictions: list[Jurisdiction] = Field(
        default_factory=list, description="only sources of these jurisdictions (internal guidelines always apply)"
    )
    phase: Phase | None = Field(
        default=None, description="lifecycle phase: planning/proposal, design/development, operation/maintenance"
    )
    data_categories: list[str] = Field(
        default_factory=list,
        max_length=20,
        description="biometric, health, children, location, surveillance, employment, credit, automated-decisions",
    )
    k: int = Field(default=5, ge=1, le=20, description="how many themes")
    as_of: date | None = Field(default=None, description="map against the texts in force on this date")


class QualifiedLink(BaseModel):
    """The crosswalk's qualified link (corpus/crosswalk.yaml): how the clause relates to the theme or data
    category, what not to infer from it, when it applies, and when it was checked against the text."""

    type: str = Field(description="equivalent, partial-overlap, implements, stricter or soft-law-alignment")
    rationale: str
    limits: str = Field(description="what a reader must not infer from the link")
    condition: str = Field(description="when it applies; 'always' when nothing beyond the theme or trigger")
    roles: list[str] = Field(description="whom it binds (any, controller, provider, deployer, business, …)")
    applies_from: date | None = Field(default=None, description="when it starts to apply, if later")
    confidence: str = Field(description="high, medium or low")
    checked: date = Field(description="when the link was last checked against the text")


class MappedClause(BaseModel):
    id: str
    citation: str
    title: str | None = None
    source: str
    binding: bool
    url: str
    reason: str = Field(
        description="semantic match, crosswalk, data category, defined term or cross-reference",
        examples=["data category"],
    )
    why: str | None = Field(default=None, description="the one-line rationale of the link, where there is one")
    link: QualifiedLink | None = Field(default=None, description="the crosswalk link that brought it, where one did")
    highlights: list[str] = Field(default_factory=list, description="the sentences that share the use case's terms")


class MapOut(MappingRecord):
    """A mapping as the API returns it: the core's stored record, field for field."""

    @classmethod
    def of(cls, record: MappingRecord) -> MapOut:
        return cls.model_validate(record.model_dump())
