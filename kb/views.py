"""What the interfaces show of the knowledge base: records built from the core objects by
kb/presenters.py, kept apart from the SQLModel tables on purpose (the tables may change with the
storage, these may not). The API returns them, the CLI's ``--json`` prints them, and a stored
mapping is a ``MappingRecord`` in this shape, whatever the API's own schemas become."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


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
    highlights: list[str] = Field(default_factory=list, description="the sentences that share the query's terms")
    recitals: list[ClauseRef] = Field(default_factory=list, description="recitals that explain the article")


class SearchAnswer(BaseModel):
    """One search as every interface returns it (the API adds its timing)."""

    query: str
    k: int
    group: str
    version: str = Field(description="the knowledge-base version that answered")
    named_sources: list[str] = Field(
        default=[], description="sources the query names ('under the CCPA', 'EUでは'): their articles come first"
    )
    results: list[SearchResult]


class TranslationOut(BaseModel):
    language: str
    title: str | None = None
    text: str
    legal_effect: bool = Field(default=False, description="false: a reference translation; only the original is law")
    version_date: date | None = Field(default=None, description="the date of the text it translates")
    outdated: bool | None = Field(
        default=None, description="the clause was amended after the text it translates (null: not compared)"
    )
    notice: str = Field(default="", description="what a reader must know: legal effect, age, amendments since")


class ClauseChild(ClauseRef):
    text: str = Field(default="", description="the subdivision's own words (its own subdivisions are listed at its id)")


class Passage(BaseModel):
    """One clause's own words inside a clause shown whole: a paragraph's lead-in, a point, the
    subparagraph after the points."""

    id: str = Field(examples=["gdpr:art-6(1)(sub2)"])
    label: str = Field(examples=["Art. 6(1), second subparagraph"])
    depth: int = Field(description="0 for the clause shown, 1 for its subdivisions, 2 for theirs …")
    text: str


class ClauseOut(BaseModel):
    id: str
    source: str
    kind: str
    number: str
    label: str
    citation: str
    title: str | None = None
    title_note: str | None = Field(
        default=None,
        description="why there is no title: a section the official text prints without a heading",
        examples=["(no heading in the official text)"],
    )
    text: str
    url: str
    language: str
    unit: ClauseRef
    hierarchy: list[ClauseRef] = Field(description="from the outermost division down to the parent")
    children: list[ClauseChild] = Field(description="the direct subdivisions, with their words")
    references: list[ClauseRef] = Field(description="clauses this clause cites")
    referenced_by: list[ClauseRef] = Field(description="clauses that cite this clause")
    translations: list[TranslationOut] = Field(default_factory=list)
    passages: list[Passage] = Field(
        default_factory=list,
        description="the clause's words and those of its subdivisions in the same article or unit, in "
        "the document's order (lead-in, points, then the subparagraphs that follow the points)",
    )


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


class ClauseChange(BaseModel):
    clause_id: str = Field(examples=["gdpr:art-43(3)"])
    citation: str = Field(examples=["GDPR Art. 43(3)"])
    change: str = Field(
        description="added, amended, re-enacted (the act was repealed and enacted anew), repealed, or moved "
        "(renumbered: from_id is the number it had)",
        examples=["amended"],
    )
    from_id: str | None = Field(default=None, description="for a moved clause, its id before", examples=["oecd:1.4(b)"])
    from_citation: str | None = Field(default=None, examples=["OECD 1.4(b)"])
    diff: list[tuple[str, str]] | None = Field(
        default=None,
        description="for an amended or moved clause, word runs: ['=', same words], ['-', removed], ['+', added]",
        examples=[[["=", "The accreditation of"], ["-", "criteria"], ["+", "requirements"]]],
    )
    title_before: str | None = None
    title_after: str | None = None
    title_diff: list[tuple[str, str]] | None = Field(
        default=None,
        description="for an amended clause whose title (heading, defined term) changed, the title's word runs",
        examples=[[["=", "Human-centred values and"], ["-", "fairness"], ["+", "fairness, including…"]]],
    )
    text: str | None = Field(default=None, description="the text of an added or repealed clause")
    note: str | None = Field(
        default=None, description="what kind of change the source's version made, e.g. a re-enactment"
    )


class SourceChanges(BaseModel):
    source: str
    version_date: date | None = None
    effective_at: datetime = Field(description="when this version took effect in the knowledge base")
    ingested_at: datetime
    added: int
    amended: int
    repealed: int
    moved: int = 0
    changes: list[ClauseChange]


class ClauseVersionOut(BaseModel):
    clause_id: str = Field(description="the id the provision had then: another one before a renumbering")
    valid_from: datetime
    valid_to: datetime | None = Field(default=None, description="None while current")
    title: str | None = None
    text: str
    diff_from_previous: list[tuple[str, str]] | None = None
    title_diff_from_previous: list[tuple[str, str]] | None = Field(
        default=None, description="word runs of the title, when it changed from the previous version"
    )


class MappingQuery(BaseModel):
    """The use case a mapping answered, as stored with it."""

    description: str = Field(
        min_length=1,
        max_length=4000,
        description="the use case in a few sentences",
        examples=["Face recognition at the entrance of our office building to let employees in without a badge."],
    )
    jurisdictions: list[str] = Field(
        default_factory=list, description="only sources of these jurisdictions (internal guidelines always apply)"
    )
    phase: str | None = Field(
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


class SourceGroup(BaseModel):
    source: str
    short_name: str
    binding: bool
    clauses: list[MappedClause]


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


class MappingRecord(BaseModel):
    """A mapping as stored (``StoredMapping.response``) and as every interface shows it."""

    id: str = Field(description="fetch this mapping again at /v1/map/{id}, export at /v1/map/{id}.md or .csv")
    created_at: datetime
    kb_version: str
    request: MappingQuery
    triggers: list[str] = Field(description="the data categories and domains that fired")
    themes: list[ThemeOut]
    direct: list[MappedClause] = Field(description="clauses the use case triggers directly, binding law first")
    checklist: list[CheckOut] = Field(description="the company's risk-check items that apply for the phase")
    classification: ClassificationOut | None = None
    jurisdictions: list[JurisdictionOut] = Field(default_factory=list, description="binding law first, per place")
    company_sheets: list[SheetOut] = Field(
        default_factory=list, description="each company check sheet: whether the use case is in its scope, and why"
    )
    context: list[MappedClause] = Field(
        default_factory=list, description="found, but obliging no one by itself (definitions, principles, …)"
    )


class ReviewItemIn(BaseModel):
    """A reviewer's decision on one item of a mapping (a clause, principle or check it lists)."""

    model_config = {"extra": "forbid"}

    item_id: str = Field(max_length=200, description="the id of a clause, principle or check in the mapping")
    decision: Literal["applies", "does_not_apply", "needs_answer"] = Field(
        description="applies, does_not_apply, or needs_answer (a question for the business to answer)"
    )
    note: str = Field(default="", max_length=4000, description="why, or what must be answered")

    @field_validator("item_id", "note")
    @classmethod
    def _no_nul(cls, value: str) -> str:
        """PostgreSQL cannot store a NUL character in text: refused here, with a message, not a 500 there."""
        if "\x00" in value:
            raise ValueError("must not contain NUL characters")
        return value


class ReviewItemOut(BaseModel):
    item_id: str
    citation: str
    decision: str | None = Field(default=None, description="None while the item is not yet reviewed")
    note: str = ""
    reviewer: str | None = None
    updated_at: datetime | None = None
    amended_since: bool = Field(description="the clause (or a subdivision) was amended after the mapping was made")


class MappingReview(BaseModel):
    """A mapping's review record: every item it lists with the reviewer's decision, and the
    knowledge-base version the mapping was made against beside the one serving now."""

    mapping_id: str
    kb_version: str = Field(description="the knowledge-base version the mapping was made against")
    current_kb_version: str = Field(description="the version serving now")
    items: list[ReviewItemOut]
    amended_since: list[ClauseChange] = Field(
        description="changes to the mapping's clauses recorded after it was made: re-check these"
    )
    pending: int = Field(description="items without a decision yet")
