"""Pydantic schemas of the public API. What the API returns about clauses, sources, changes and
mappings is built from the core's view records (kb/views.py, filled by kb/presenters.py); the
schemas here are the API's own: the error shape, the envelopes, and the mapping request as a
client sends it."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field, field_validator

from kb.views import MappingQuery, MappingRecord, SearchAnswer
from kb.vocabulary import PHASES, canonical_jurisdictions

Phase = Literal[PHASES]  # type: ignore[valid-type]


class ErrorDetail(BaseModel):
    code: str = Field(examples=["invalid_query"])
    message: str = Field(examples=["the query is empty: describe the situation or name the topic"])



class ErrorResponse(BaseModel):
    error: ErrorDetail



class SearchResponse(SearchAnswer):
    took_ms: float



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
    jurisdictions: list[str] = Field(
        default_factory=list,
        max_length=10,
        description="where it is used: EU, US-CA, JP, OECD, internal (only their sources are searched; internal "
        "guidelines always apply), or another country or state code (UK, US-NY): a jurisdiction whose binding law the "
        "knowledge base lacks is answered with a statement that it is missing",
        examples=[["EU"]],
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
    role: Literal["provider", "deployer", "importer", "distributor"] | None = Field(
        default=None, description="your AI Act role; left out, it is read from the description or asked"
    )
    sector: str | None = Field(
        default=None, max_length=60, description="e.g. employment, education, credit, law-enforcement, health"
    )
    general_purpose: bool | None = Field(default=None, description="you place a general-purpose AI model on the market")
    eu_market: bool | None = Field(
        default=None, description="placed on the EU market or used in the EU (or its output used there)"
    )


    @field_validator("jurisdictions", mode="before")
    @classmethod
    def _jurisdictions_in_any_case(cls, value: object) -> object:
        """``eu`` is ``EU``; any other country or state code (``UK``, ``US-NY``) is kept, so that the answer can
        say its binding law is missing; anything else lists the valid values."""
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return list(canonical_jurisdictions(tuple(value)))
        return value

    def query(self) -> MappingQuery:
        """The core's record of this request."""
        return MappingQuery.model_validate(self.model_dump())


class MapOut(MappingRecord):
    """A mapping as the API returns it: the core's stored record, field for field."""

    @classmethod
    def of(cls, record: MappingRecord) -> MapOut:
        return cls.model_validate(record.model_dump())
