"""Pydantic schemas of the public API. What the API returns about clauses, sources, changes and
mappings is built from the core's view records (kb/views.py, filled by kb/presenters.py); the
schemas here are the API's own: the error shape, the envelopes, and the mapping request as a
client sends it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field


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
    jurisdictions: list[Annotated[str, Field(pattern=r"^(?:[A-Z]{2}(?:-[A-Z0-9]{1,3})?|OECD|internal)$")]] = Field(
        default_factory=list,
        max_length=10,
        description="where it is used: EU, US-CA, JP, … (only their sources are searched; internal guidelines always "
        "apply); a jurisdiction whose binding law the knowledge base lacks (UK, US-NY) is answered with a statement "
        "that it is missing",
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
    kind: str | None = Field(
        default=None,
        description="obligation, right, prohibition, definition, scope, classification, exemption, member-state, "
        "institutional, enforcement, final, rulemaking, principle or recital (corpus/provision-kinds.yaml)",
    )
    condition: str | None = Field(
        default=None,
        description="when its duty holds, where not always, and whether this use case meets it",
        examples=["applies if high-risk: Annex III(4)(a) matched"],
    )
    link: QualifiedLink | None = Field(default=None, description="the crosswalk link that brought it, where one did")
    highlights: list[str] = Field(default_factory=list, description="the sentences that share the use case's terms")


class MapOut(MappingRecord):
    """A mapping as the API returns it: the core's stored record, field for field."""


class ThemeOut(BaseModel):
    id: str = Field(examples=["privacy"])
    title: str = Field(examples=["Privacy and data protection"])
    score: float = Field(description="relative to the best theme (1.0)")
    principles: list[MappedClause] = Field(description="each framework's principle for this theme")
    clauses_by_source: list[SourceGroup] = Field(description="supporting clauses, binding law first")


class CheckOut(BaseModel):
    id: str
    citation: str
    question: str | None = None
    statement: str
    phases: list[str]
    data_categories: list[str]
    principles: list[str]
    reason: str


class ClassificationFinding(BaseModel):
    provision: str = Field(examples=["euaia:annex-3(4)(a)"])
    citation: str = Field(examples=["AI Act Annex III(4)(a)"])
    title: str
    risk_class: str = Field(alias="class", examples=["high-risk"])
    words: list[str] = Field(description="the words of the description (or your answer) that led there")
    via: str = Field(description="description, sector answer, your answer, or ruled out (by these words)")

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)


class ExceptionOut(BaseModel):
    provision: str
    citation: str
    text: str


class DutyOut(BaseModel):
    provision: str = Field(examples=["euaia:art-26"])
    citation: str
    title: str
    roles: list[str]
    condition: str = Field(examples=["applies if high-risk: Annex III(4)(a) matched; applies to deployers"])
    applies_from: date | None = None
    for_you: bool = Field(description="the duty falls on your role (or your role is not known)")


class ClassificationOut(BaseModel):
    """The EU AI Act class of the use case, why, what could change it, and the duties that follow."""

    risk_class: str = Field(
        alias="class", description="prohibited, high-risk, gpai, transparency, minimal or out-of-scope"
    )
    title: str
    basis: list[str] = Field(description="the provisions that decide the class")
    transparency: list[str] = Field(description="Art. 50 paragraphs that apply as well")
    findings: list[ClassificationFinding]
    ruled_out: list[ClassificationFinding] = Field(description="points an exception takes out (the words say which)")
    exceptions: list[ExceptionOut] = Field(description="what could change the class")
    confidence: float
    confidence_label: str = Field(description="high, medium or low")
    open_questions: list[str] = Field(description="what needs an answer before the class is final")
    role: str | None
    role_basis: str
    in_scope: bool | None
    scope_note: str
    would_be: str | None = Field(default=None, description="the class it would have with an EU link")
    duties: list[DutyOut]

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)


class JurisdictionOut(BaseModel):
    code: str
    title: str
    binding_law: list[str] = Field(description="its binding law in the knowledge base (source ids)")
    missing: str | None = Field(default=None, description="said when its binding law is not in the knowledge base")
    condition: str | None = None
    personal_data: list[str] | None = Field(description="the words that show personal data; null: none do")
    always_applies: list[MappedClause] = Field(description="what any processing of personal data there brings")
    situation: list[MappedClause] = Field(description="what this use case's situation brings")


class SheetOut(BaseModel):
    source: str
    title: str
    applies: bool
    why: str


class MapOut(BaseModel):
    id: str = Field(description="fetch this mapping again at /v1/map/{id}, export at /v1/map/{id}.md or .csv")
    created_at: datetime
    kb_version: str
    request: MapIn
    triggers: list[str] = Field(description="the data categories and domains that fired")
    themes: list[ThemeOut]
    direct: list[MappedClause] = Field(
        description="provisions that oblige someone and that the use case triggers directly, binding law first"
    )
    checklist: list[CheckOut] = Field(description="the company's risk-check items that apply for the phase")
    classification: ClassificationOut | None = None
    jurisdictions: list[JurisdictionOut] = Field(default_factory=list, description="binding law first, per place")
    company_sheets: list[SheetOut] = Field(
        default_factory=list, description="each company check sheet: whether the use case is in its scope, and why"
    )
    context: list[MappedClause] = Field(
        default_factory=list, description="found, but obliging no one by itself (definitions, institutional, …)"
    )
