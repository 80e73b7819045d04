"""Pydantic schemas of the public API, kept apart from the SQLModel tables on purpose: the
tables may change with the storage, the API contract may not."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field


class ErrorDetail(BaseModel):
    code: str = Field(examples=["invalid_query"])
    message: str = Field(examples=["the query is empty: describe the situation or name the topic"])


class ErrorResponse(BaseModel):
    error: ErrorDetail


class ClauseRef(BaseModel):
    id: str = Field(examples=["gdpr:art-9(1)"])
    citation: str = Field(examples=["GDPR Art. 9(1)"])
    title: str | None = None


class SearchResult(BaseModel):
    id: str = Field(description="the best-matching clause", examples=["gdpr:art-22(1)"])
    unit_id: str = Field(description="its article, recital or principle", examples=["gdpr:art-22"])
    citation: str = Field(examples=["GDPR Art. 22(1)"])
    title: str | None = Field(default=None, examples=["Automated individual decision-making, including profiling"])
    snippet: str
    url: str = Field(description="the official text, at the finest anchor the official site has")
    score: float
    source: str = Field(examples=["gdpr"])
    source_kind: str = Field(examples=["regulation"])
    binding: bool
    kind: str = Field(examples=["paragraph"])
    language: str = "en"
    matched: list[str] = Field(default_factory=list, description="other clauses of the unit that matched")


class SearchResponse(BaseModel):
    query: str
    k: int
    group: str
    version: str = Field(description="the knowledge-base version that answered")
    took_ms: float
    results: list[SearchResult]


class TranslationOut(BaseModel):
    language: str
    title: str | None = None
    text: str


class ClauseOut(BaseModel):
    id: str
    source: str
    kind: str
    number: str
    label: str
    citation: str
    title: str | None = None
    text: str
    url: str
    language: str
    unit: ClauseRef
    hierarchy: list[ClauseRef] = Field(description="from the outermost division down to the parent")
    children: list[ClauseRef]
    references: list[ClauseRef] = Field(description="clauses this clause cites")
    referenced_by: list[ClauseRef] = Field(description="clauses that cite this clause")
    translations: list[TranslationOut] = Field(default_factory=list)


class SourceOut(BaseModel):
    id: str
    title: str
    short_name: str
    issuer: str
    jurisdiction: str
    kind: str
    binding: bool
    language: str
    version_date: date | None = None
    official_url: str
    status: str = Field(examples=["ingested"], description="ingested, unavailable or failed")
    status_reason: str | None = None
    clause_count: int
    ingested_at: datetime | None = None


class Health(BaseModel):
    status: str
    version: str | None = None
    clauses: int = 0


class ClauseChange(BaseModel):
    clause_id: str = Field(examples=["gdpr:art-43(3)"])
    citation: str = Field(examples=["GDPR Art. 43(3)"])
    change: str = Field(description="added, amended or repealed", examples=["amended"])
    diff: list[tuple[str, str]] | None = Field(
        default=None,
        description="for an amended clause, word runs: ['=', same words], ['-', removed], ['+', added]",
        examples=[[["=", "The accreditation of"], ["-", "criteria"], ["+", "requirements"]]],
    )
    title_before: str | None = None
    title_after: str | None = None
    text: str | None = Field(default=None, description="the text of an added or repealed clause")


class SourceChanges(BaseModel):
    source: str
    version_date: date | None = None
    effective_at: datetime = Field(description="when this version took effect in the knowledge base")
    ingested_at: datetime
    added: int
    amended: int
    repealed: int
    changes: list[ClauseChange]


class ClauseVersionOut(BaseModel):
    valid_from: datetime
    valid_to: datetime | None = Field(default=None, description="None while current")
    title: str | None = None
    text: str
    diff_from_previous: list[tuple[str, str]] | None = None
