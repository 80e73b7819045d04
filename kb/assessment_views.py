"""What the interfaces show of frameworks and self-assessments (the API returns these, the CLI's
``--json`` prints them, the page renders them). Kept apart from the table in kb/assessment_store.py."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

ASSESSMENT_ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"  # no dots: "/v1/assessments/{id}.md" stays unambiguous



def _no_control_characters(text: str) -> str:
    """Text is stored as given, so a NUL or other control character (which PostgreSQL refuses in
    text) is refused here, with the field's name, rather than half-stored."""
    if any(ord(c) < 32 and c not in "\n\r\t" for c in text):
        raise ValueError("control characters are not allowed")
    return text


Text = Annotated[str, AfterValidator(_no_control_characters)]

class LevelOut(BaseModel):
    level: int
    name: str
    name_ja: str | None = None
    definition: str
    definition_ja: str | None = None


class CategoryOut(BaseModel):
    id: str
    title: str
    title_ja: str | None = None


class PracticePoint(BaseModel):
    id: str = Field(examples=["meti-gg:1-1(p1)"])
    text: str


class FrameworkItemOut(BaseModel):
    id: str = Field(examples=["1-1"])
    category: str
    title: str = Field(description="the framework's own (English) name")
    title_ja: str | None = Field(default=None, description="the clause's title in the knowledge base")
    clause_id: str | None = Field(default=None, examples=["meti-gg:1-1"])
    text: str | None = Field(default=None, description="the item's wording, read from the knowledge base")
    in_kb: bool = Field(description="whether the clause is in the knowledge base served now")
    practice_points: list[PracticePoint] = Field(default_factory=list)


class FrameworkOut(BaseModel):
    id: str
    title: str
    title_ja: str | None = None
    source: str | None = None
    scale: list[LevelOut]
    categories: list[CategoryOut]
    items: list[FrameworkItemOut]


class Entry(BaseModel):
    """One item's state as an organisation records it."""

    model_config = ConfigDict(extra="forbid")

    item: str = Field(max_length=100, examples=["1-1"])
    current: int | None = Field(default=None, description="the level reached; None: not assessed")
    target: int | None = Field(default=None, description="the level aimed at")
    evidence: Text = Field(default="", max_length=4000, description="free text: what shows the level")
    links: list[str] = Field(default_factory=list, max_length=50, description="clause ids, e.g. acme-frs:p1")


class AssessmentIn(BaseModel):
    """A new assessment (its first version)."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=ASSESSMENT_ID_PATTERN, examples=["acme-ai-office"])
    framework: str = Field(examples=["meti-gg"])
    organisation: Text = Field(min_length=1, max_length=200, examples=["ACME Corp."])
    business_unit: Text | None = Field(default=None, max_length=200)
    assessed_on: date
    author: Text | None = Field(default=None, max_length=200)
    entries: list[Entry] = Field(default_factory=list, max_length=1000)


class RevisionIn(BaseModel):
    """A new version: the entries given replace those items' entries; the others carry over."""

    model_config = ConfigDict(extra="forbid")

    assessed_on: date
    author: Text | None = Field(default=None, max_length=200)
    entries: list[Entry] = Field(default_factory=list, max_length=1000)


class EntryOut(Entry):
    title: str
    category: str
    gap: int | None = Field(default=None, description="target − current, where both are set")


class AssessmentOut(BaseModel):
    id: str
    version: int
    framework: str
    organisation: str
    business_unit: str | None = None
    assessed_on: date
    created_at: datetime
    author: str | None = None
    entries: list[EntryOut] = Field(description="every item of the framework, in its order")


class VersionSummary(BaseModel):
    version: int
    assessed_on: date
    created_at: datetime
    author: str | None = None
    assessed_items: int
    mean_current: float | None = None
    mean_target: float | None = None


class AssessmentSummary(BaseModel):
    id: str
    framework: str
    organisation: str
    business_unit: str | None = None
    versions: list[VersionSummary]


class ItemChange(BaseModel):
    item: str
    title: str
    category: str
    before_current: int | None = None
    after_current: int | None = None
    before_target: int | None = None
    after_target: int | None = None
    change: int | None = Field(default=None, description="after_current − before_current")


class ComparisonOut(BaseModel):
    id: str
    before: VersionSummary
    after: VersionSummary
    items: list[ItemChange]


class Suggestion(BaseModel):
    id: str
    citation: str
    title: str | None = None
    snippet: str
    source: str
    source_kind: str
    url: str


class Gap(BaseModel):
    item: str
    title: str
    title_ja: str | None = None
    category: str
    current: int | None
    target: int
    gap: int
    evidence: str = ""
    links: list[str] = Field(default_factory=list)
    practice_points: list[PracticePoint] = Field(default_factory=list)
    suggestions: list[Suggestion] = Field(default_factory=list)


class Plan(BaseModel):
    id: str
    version: int
    assessed_on: date
    gaps: list[Gap] = Field(description="the items below target, the largest gap first")
