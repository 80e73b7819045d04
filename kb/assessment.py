"""Governance self-assessment: an organisation records, per item of a framework (METI's action
targets, or any other in ``<registry>/frameworks/``), its current and target maturity level, the
evidence and the date. Each save is a new dated version; nothing is overwritten. The API, the CLI
and the page all call ``Assessments`` (``ClauseMap.assessments``).

Suggested evidence for an item comes from the same search as ``kb search``, run per group of
sources so that the company's own principles and checks come first, then METI's guidelines, the
NIST AI RMF, then the laws.
"""

from __future__ import annotations

from datetime import date
from functools import cached_property
from statistics import mean
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine

from kb.assessment_store import AssessmentVersion, append_version, assessment_ids, assessments_engine, versions_of
from kb.assessment_views import (
    AssessmentIn,
    AssessmentOut,
    AssessmentSummary,
    CategoryOut,
    ComparisonOut,
    Entry,
    EntryOut,
    FrameworkItemOut,
    FrameworkOut,
    Gap,
    ItemChange,
    LevelOut,
    Plan,
    PracticePoint,
    RevisionIn,
    Suggestion,
    VersionSummary,
)
from kb.errors import KBError
from kb.frameworks import Framework, UnknownFramework, load_frameworks
from kb.ids import ClauseId, InvalidClauseId
from kb.search import Filters, query_language

if TYPE_CHECKING:
    from kb.knowledge import KnowledgeBase
    from kb.service import ClauseMap

SUGGESTIONS_PER_GROUP = 3
QUERY_TEXT_CHARS = 200  # of the item's wording, added to its names to search for evidence


class InvalidAssessment(KBError, ValueError):
    """An entry names an unknown item, a level off the scale, or a clause not in the knowledge base."""

    code = "invalid_assessment"
    http_status = 422


class UnknownAssessment(KBError, LookupError):
    code = "unknown_assessment"
    http_status = 404


class AssessmentExists(KBError, ValueError):
    code = "assessment_exists"
    http_status = 409


def evidence_groups(kb: KnowledgeBase) -> list[tuple[str, tuple[str, ...]]]:
    """The groups of sources that suggested evidence is drawn from, in the order it is shown: the
    company's own (kind internal), METI's, the NIST AI RMF, then laws and regulations."""
    sources = sorted(kb.sources.values(), key=lambda s: s.id)
    groups = [
        ("internal", tuple(s.id for s in sources if s.kind == "internal")),
        ("meti", tuple(s.id for s in sources if s.id.startswith("meti") and s.kind != "internal")),
        ("nist", tuple(s.id for s in sources if s.id.startswith("nist") and s.kind != "internal")),
        ("law", tuple(s.id for s in sources if s.kind in ("law", "regulation"))),
    ]
    return [(name, ids) for name, ids in groups if ids]


class Assessments:
    """The self-assessment use cases over one service (its knowledge base, search and settings)."""

    def __init__(self, service: ClauseMap) -> None:
        self.service = service

    @cached_property
    def _engine(self) -> Engine:
        return assessments_engine(self.service.settings)

    # --- frameworks ---------------------------------------------------------------------------

    def frameworks(self) -> dict[str, Framework]:
        return load_frameworks(self.service.settings.registry_dir)

    def framework(self, framework_id: str) -> Framework:
        frameworks = self.frameworks()
        if framework_id not in frameworks:
            raise UnknownFramework(f"no framework {framework_id!r}; known: {sorted(frameworks)}")
        return frameworks[framework_id]

    def framework_out(self, framework_id: str) -> FrameworkOut:
        """A framework with its items' wording and practice points read from the knowledge base."""
        framework = self.framework(framework_id)
        kb = self.service.kb()
        categories = []
        for category in framework.categories:
            clause = kb.clauses.get(category.clause) if category.clause else None
            categories.append(
                CategoryOut(id=category.id, title=category.title, title_ja=category.title_ja or _title(clause))
            )
        return FrameworkOut(
            id=framework.id,
            title=framework.framework.title,
            title_ja=framework.framework.title_ja,
            source=framework.framework.source,
            scale=[LevelOut(**level.model_dump()) for level in framework.scale],
            categories=categories,
            items=[self._item_out(kb, item) for item in framework.items],
        )

    def _item_out(self, kb: KnowledgeBase, item) -> FrameworkItemOut:
        clause = kb.clauses.get(item.clause) if item.clause else None
        points = [
            PracticePoint(id=child.id, text=child.text)
            for child in (kb.children(clause.id) if clause else [])
            if child.kind == "point"
        ]
        return FrameworkItemOut(
            id=item.id,
            category=item.category,
            title=item.title,
            title_ja=item.title_ja or _title(clause),
            clause_id=item.clause,
            text=clause.text if clause else item.text,
            in_kb=clause is not None,
            practice_points=points,
        )

    # --- saving -------------------------------------------------------------------------------

    def create(self, body: AssessmentIn) -> AssessmentOut:
        """The first version of a new assessment."""
        framework = self.framework(body.framework)
        if versions_of(self._engine, body.id):
            raise AssessmentExists(f"assessment {body.id!r} exists: revise it (a new version) instead")
        entries = self._checked(framework, body.entries)
        row = AssessmentVersion(
            assessment_id=body.id,
            version=0,
            framework=framework.id,
            organisation=body.organisation,
            business_unit=body.business_unit,
            assessed_on=body.assessed_on,
            author=body.author,
            entries=[e.model_dump() for e in entries],
        )
        return self._out(framework, append_version(self._engine, row))

    def revise(self, assessment_id: str, body: RevisionIn) -> AssessmentOut:
        """A new version: the entries given replace those items' entries, the others carry over."""
        latest = self._versions(assessment_id)[-1]
        framework = self.framework(latest.framework)
        entries = {e["item"]: Entry.model_validate(e) for e in latest.entries}
        entries.update({e.item: e for e in self._checked(framework, body.entries)})
        row = AssessmentVersion(
            assessment_id=assessment_id,
            version=0,
            framework=latest.framework,
            organisation=latest.organisation,
            business_unit=latest.business_unit,
            assessed_on=body.assessed_on,
            author=body.author,
            entries=[entries[i.id].model_dump() for i in framework.items if i.id in entries],
        )
        return self._out(framework, append_version(self._engine, row))

    def _checked(self, framework: Framework, entries: list[Entry]) -> list[Entry]:
        """The entries, each item once, levels on the scale, links to clauses that exist."""
        kb = self.service.kb()
        known = {i.id for i in framework.items}
        seen: set[str] = set()
        checked = []
        for entry in entries:
            if entry.item not in known:
                _unknown_item(framework, entry.item)
            if entry.item in seen:
                raise InvalidAssessment(f"item {entry.item!r} is given twice")
            seen.add(entry.item)
            for name, level in (("current", entry.current), ("target", entry.target)):
                if level is not None and level not in framework.levels:
                    raise InvalidAssessment(
                        f"item {entry.item}: {name} level {level} is not on the scale {framework.levels}"
                    )
            links = []
            for link in entry.links:
                try:
                    canonical = str(ClauseId.parse(link))
                except InvalidClauseId as exc:
                    raise InvalidAssessment(f"item {entry.item}: evidence link {link!r}: {exc}") from exc
                if canonical not in kb.clauses:
                    raise InvalidAssessment(
                        f"item {entry.item}: evidence link {canonical!r} is not in the knowledge base"
                    )
                links.append(canonical)
            checked.append(entry.model_copy(update={"links": links, "evidence": entry.evidence.strip()}))
        return checked

    # --- reading ------------------------------------------------------------------------------

    def list(self) -> list[AssessmentSummary]:
        return [self.summary(assessment_id) for assessment_id in assessment_ids(self._engine)]

    def summary(self, assessment_id: str) -> AssessmentSummary:
        versions = self._versions(assessment_id)
        latest = versions[-1]
        return AssessmentSummary(
            id=assessment_id,
            framework=latest.framework,
            organisation=latest.organisation,
            business_unit=latest.business_unit,
            versions=[_summary(v) for v in versions],
        )

    def get(self, assessment_id: str, version: int | None = None, as_of: date | None = None) -> AssessmentOut:
        """A version by number, the one in force on a date, or the latest."""
        row = self._row(assessment_id, version, as_of)
        return self._out(self.framework(row.framework), row)

    def history(self, assessment_id: str) -> list[AssessmentOut]:
        """Every version, oldest first."""
        rows = self._versions(assessment_id)
        framework = self.framework(rows[-1].framework)
        return [self._out(framework, row) for row in rows]

    def compare(self, assessment_id: str, before: date, after: date) -> ComparisonOut:
        """The assessment as it stood on two dates, item by item."""
        first, second = self._row(assessment_id, as_of=before), self._row(assessment_id, as_of=after)
        framework = self.framework(second.framework)
        old, new = _entries(first), _entries(second)
        items = []
        for item in framework.items:
            a, b = old.get(item.id), new.get(item.id)
            before_current, after_current = (a.current if a else None), (b.current if b else None)
            items.append(
                ItemChange(
                    item=item.id,
                    title=item.title,
                    category=item.category,
                    before_current=before_current,
                    after_current=after_current,
                    before_target=a.target if a else None,
                    after_target=b.target if b else None,
                    change=None if before_current is None or after_current is None else after_current - before_current,
                )
            )
        return ComparisonOut(id=assessment_id, before=_summary(first), after=_summary(second), items=items)

    def plan(self, assessment_id: str, version: int | None = None, suggestions: int = SUGGESTIONS_PER_GROUP) -> Plan:
        """The items below target, the largest gap first (an unassessed item counts from level 0),
        each with its practice points and suggested evidence."""
        row = self._row(assessment_id, version)
        framework = self.framework(row.framework)
        kb = self.service.kb()
        gaps = []
        for entry in self._out(framework, row).entries:
            if entry.target is None:
                continue
            gap = entry.target - (entry.current or 0)
            if gap <= 0:
                continue
            item = self._item_out(kb, framework.item(entry.item))
            gaps.append(
                Gap(
                    item=entry.item,
                    title=entry.title,
                    title_ja=item.title_ja,
                    category=entry.category,
                    current=entry.current,
                    target=entry.target,
                    gap=gap,
                    evidence=entry.evidence,
                    links=entry.links,
                    practice_points=item.practice_points,
                    suggestions=self.suggest(framework.id, entry.item, suggestions) if suggestions else [],
                )
            )
        order = {item.id: i for i, item in enumerate(framework.items)}
        gaps.sort(key=lambda g: (-g.gap, order[g.item]))
        return Plan(id=assessment_id, version=row.version, assessed_on=row.assessed_on, gaps=gaps)

    def suggest(self, framework_id: str, item_id: str, per_group: int = SUGGESTIONS_PER_GROUP) -> list[Suggestion]:
        """Clauses that bear on an item: the company's own first, then METI, NIST AI RMF, the laws."""
        framework = self.framework(framework_id)
        item = framework.item(item_id)
        kb = self.service.kb()
        clause = kb.clauses.get(item.clause) if item.clause else None
        wording = clause.text[:QUERY_TEXT_CHARS] if clause else item.text
        queries = (
            [item.query] if item.query else _queries_by_language(item.title, item.title_ja or _title(clause), wording)
        )
        own = {item.clause, clause.unit_id if clause else None}
        found: list[Suggestion] = []
        for _, sources in evidence_groups(kb):
            rankings = [
                self.service.search(query, k=per_group + 2, filters=Filters(sources=sources)).hits for query in queries
            ]
            hits = [h for h in _interleaved(rankings) if h.clause.id not in own and h.unit.id not in own]
            found.extend(_suggestion(kb, hit) for hit in hits[:per_group])
        return found

    # --- helpers ------------------------------------------------------------------------------

    def _versions(self, assessment_id: str) -> list[AssessmentVersion]:
        rows = versions_of(self._engine, assessment_id)
        if not rows:
            raise UnknownAssessment(f"no assessment {assessment_id!r}")
        return rows

    def _row(self, assessment_id: str, version: int | None = None, as_of: date | None = None) -> AssessmentVersion:
        rows = self._versions(assessment_id)
        if version is not None:
            for row in rows:
                if row.version == version:
                    return row
            raise UnknownAssessment(f"assessment {assessment_id!r} has no version {version} (it has 1 to {len(rows)})")
        if as_of is not None:
            before = [r for r in rows if r.assessed_on <= as_of]
            if not before:
                raise UnknownAssessment(
                    f"assessment {assessment_id!r} has no version assessed on or before {as_of:%Y-%m-%d} "
                    f"(the first is of {min(r.assessed_on for r in rows):%Y-%m-%d})"
                )
            return max(before, key=lambda r: (r.assessed_on, r.version))
        return rows[-1]

    def _out(self, framework: Framework, row: AssessmentVersion) -> AssessmentOut:
        entries = _entries(row)
        out = []
        for item in framework.items:
            entry = entries.get(item.id) or Entry(item=item.id)
            gap = None if entry.current is None or entry.target is None else entry.target - entry.current
            out.append(EntryOut(**entry.model_dump(), title=item.title, category=item.category, gap=gap))
        return AssessmentOut(
            id=row.assessment_id,
            version=row.version,
            framework=row.framework,
            organisation=row.organisation,
            business_unit=row.business_unit,
            assessed_on=row.assessed_on,
            created_at=row.created_at,
            author=row.author,
            entries=out,
        )


def _unknown_item(framework: Framework, item_id: str) -> None:
    known = ", ".join(i.id for i in framework.items)
    raise InvalidAssessment(f"framework {framework.id!r} has no item {item_id!r}; its items: {known}")


def _entries(row: AssessmentVersion) -> dict[str, Entry]:
    return {e["item"]: Entry.model_validate(e) for e in row.entries}


def _summary(row: AssessmentVersion) -> VersionSummary:
    entries = list(_entries(row).values())
    currents = [e.current for e in entries if e.current is not None]
    targets = [e.target for e in entries if e.target is not None]
    return VersionSummary(
        version=row.version,
        assessed_on=row.assessed_on,
        created_at=row.created_at,
        author=row.author,
        assessed_items=len(currents),
        mean_current=_mean(currents),
        mean_target=_mean(targets),
    )


def _mean(values: list[int]) -> float | None:
    return round(mean(values), 2) if values else None


def _title(clause) -> str | None:
    return clause.title if clause is not None else None


def _queries_by_language(*parts: str | None) -> list[str]:
    """One query per language of the item's names and wording: an English name is searched densely
    and lexically, a Japanese one lexically (search picks the method by the query's language), so a
    Japanese wording does not turn the English name's search into a lexical one."""
    by_language: dict[str, list[str]] = {}
    for part in parts:
        if part:
            by_language.setdefault(query_language(part), []).append(part)
    return [" ".join(texts) for texts in by_language.values()]


def _interleaved(rankings: list[list]) -> list:
    """The hits of several rankings, best of each in turn, each unit once."""
    seen: set[str] = set()
    merged = []
    for rank in range(max((len(r) for r in rankings), default=0)):
        for ranking in rankings:
            if rank < len(ranking) and ranking[rank].unit.id not in seen:
                seen.add(ranking[rank].unit.id)
                merged.append(ranking[rank])
    return merged


def _suggestion(kb: KnowledgeBase, hit) -> Suggestion:
    source = kb.sources[hit.clause.source_id]
    return Suggestion(
        id=hit.clause.id,
        citation=hit.citation,
        title=hit.unit.title or hit.clause.title,
        snippet=hit.snippet,
        source=source.id,
        source_kind=source.kind,
        url=hit.clause.url,
    )
