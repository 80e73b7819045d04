"""Turn core objects into the view records of kb/views.py; the API returns them and the CLI's
``--json`` prints them, so both print alike."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from kb.classification import Classification, Finding
from kb.crosswalk import Link
from kb.diff import word_diff
from kb.knowledge import CatalogEntry, KnowledgeBase
from kb.mapping import CheckMatch, JurisdictionResult, Mapping, Supporting, ThemeMatch
from kb.models import ClauseVersion, Source, SourceVersion
from kb.records import heading_note
from kb.search import Hit
from kb.translations import translation_notice

if TYPE_CHECKING:
    from kb.service import SearchOutcome

from kb.views import (
    CheckOut,
    ClassificationFinding,
    ClassificationOut,
    ClauseChange,
    ClauseChild,
    ClauseOut,
    ClauseRef,
    ClauseVersionOut,
    DutyOut,
    ExceptionOut,
    JurisdictionOut,
    MappedClause,
    MappingQuery,
    MappingRecord,
    Passage,
    QualifiedLink,
    SearchAnswer,
    SearchResult,
    SheetOut,
    SourceChanges,
    SourceGroup,
    SourceOut,
    ThemeOut,
    TranslationOut,
)


def clause_ref(kb: KnowledgeBase, clause_id: str) -> ClauseRef:
    clause = kb.clauses.get(clause_id)
    if clause is None:
        return ClauseRef(id=clause_id, citation=clause_id)
    return ClauseRef(id=clause.id, citation=kb.citation(clause), title=clause.title)


def search_answer(outcome: SearchOutcome, k: int, group: str) -> SearchAnswer:
    """A search as the API, the MCP server and the pages return it."""
    results = [search_result(outcome.kb, hit) for hit in outcome.hits]
    return SearchAnswer(
        query=outcome.query,
        k=k,
        group=group,
        version=outcome.kb.version,
        named_sources=outcome.named_sources,
        results=results,
    )


def search_result(kb: KnowledgeBase, hit: Hit) -> SearchResult:
    source = kb.sources[hit.clause.source_id]
    return SearchResult(
        id=hit.clause.id,
        unit_id=hit.unit.id,
        citation=hit.citation,
        title=hit.unit.title or hit.clause.title,
        snippet=hit.snippet,
        url=hit.clause.url,
        score=round(hit.score, 4),
        source=source.id,
        source_kind=source.kind,
        binding=source.binding,
        kind=hit.clause.kind,
        language=hit.clause.language,
        matched=hit.matched[1:],
        highlights=hit.highlights,
        recitals=[clause_ref(kb, r) for r in hit.recitals],
    )


def clause_out(kb: KnowledgeBase, clause: CatalogEntry) -> ClauseOut:
    outgoing, incoming = kb.references(clause.id)
    source = kb.sources[clause.source_id]
    translations = [
        TranslationOut(
            language=lang,
            title=t.title,
            text=t.text,
            legal_effect=t.legal_effect,
            version_date=t.version_date,
            outdated=t.outdated,
            notice=translation_notice(t, source.language, source.version_date),
        )
        for (cid, lang), t in kb.translations.items()
        if cid == clause.id
    ]
    return ClauseOut(
        id=clause.id,
        source=clause.source_id,
        kind=clause.kind,
        number=clause.number,
        label=clause.label,
        citation=kb.citation(clause),
        title=clause.title,
        title_note=heading_note(clause.kind, clause.title),
        text=clause.text,
        url=clause.url,
        language=clause.language,
        unit=clause_ref(kb, clause.unit_id),
        hierarchy=[clause_ref(kb, a.id) for a in kb.ancestors(clause)],
        children=[
            ClauseChild(id=c.id, citation=kb.citation(c), title=c.title, text=c.text) for c in kb.children(clause.id)
        ],
        references=[clause_ref(kb, i) for i in outgoing],
        referenced_by=[clause_ref(kb, i) for i in incoming],
        translations=translations,
        passages=passages(kb, clause),
    )


def passages(kb: KnowledgeBase, clause: CatalogEntry) -> list[Passage]:
    """The clause and its subdivisions of the same unit, depth first in position order: the
    paragraph as the document prints it."""
    out: list[Passage] = []

    def visit(entry: CatalogEntry, depth: int) -> None:
        out.append(Passage(id=entry.id, label=entry.label, depth=depth, text=entry.text))
        for child in kb.children(entry.id):
            if child.unit_id == clause.unit_id:
                visit(child, depth + 1)

    visit(clause, 0)
    return out


def source_out(source: Source) -> SourceOut:
    return SourceOut.model_validate(source, from_attributes=True)


def source_changes(kb: KnowledgeBase, version: SourceVersion) -> SourceChanges:
    return SourceChanges(
        source=version.source_id,
        version_date=version.version_date,
        effective_at=version.effective_at,
        ingested_at=version.ingested_at,
        added=version.added,
        amended=version.amended,
        repealed=version.repealed,
        moved=version.moved,
        changes=[clause_change(kb, c) for c in version.changes],
    )


def clause_change(kb: KnowledgeBase, change: dict) -> ClauseChange:
    moved_from = change.get("from_id")
    return ClauseChange(
        citation=clause_ref(kb, change["clause_id"]).citation,
        from_citation=clause_ref(kb, moved_from).citation if moved_from else None,
        title_diff=title_diff(change),
        **change,
    )


def title_diff(change: dict) -> list[list[str]] | None:
    """Word runs between an amended clause's old and new title, when the title changed."""
    before, after = change.get("title_before"), change.get("title_after")
    if change.get("change") == "added" or (before or "") == (after or ""):
        return None
    return word_diff(before or "", after or "")


def clause_history(versions: list[ClauseVersion]) -> list[ClauseVersionOut]:
    out = []
    for previous, version in zip([None, *versions[:-1]], versions, strict=True):
        diff = word_diff(previous.text, version.text) if previous is not None else None
        titles = None
        if previous is not None and (previous.title or "") != (version.title or ""):
            titles = word_diff(previous.title or "", version.title or "")
        out.append(
            ClauseVersionOut(
                clause_id=version.clause_id,
                valid_from=version.valid_from,
                valid_to=version.valid_to,
                title=version.title,
                text=version.text,
                diff_from_previous=diff,
                title_diff_from_previous=titles,
            )
        )
    return out


def mapped_clause(kb: KnowledgeBase, item: Supporting) -> MappedClause:
    source = kb.sources[item.clause.source_id]
    return MappedClause(
        id=item.clause.id,
        citation=kb.citation(item.clause),
        title=item.clause.title,
        source=source.id,
        binding=source.binding,
        url=item.clause.url,
        reason=item.reason,
        why=item.why,
        kind=item.kind or None,
        condition=item.condition,
        link=qualified_link(item.link) if item.link else None,
        highlights=item.highlights,
    )


def qualified_link(link: Link) -> QualifiedLink:
    return QualifiedLink(
        type=link.type,
        rationale=link.rationale,
        limits=link.limits,
        condition=link.condition,
        roles=list(link.roles),
        applies_from=link.applies_from,
        confidence=link.confidence,
        checked=link.checked,
    )


def theme_out(kb: KnowledgeBase, match: ThemeMatch) -> ThemeOut:
    groups: dict[str, list[MappedClause]] = {}
    for item in match.clauses:
        groups.setdefault(item.clause.source_id, []).append(mapped_clause(kb, item))
    return ThemeOut(
        id=match.theme.id,
        title=match.theme.title,
        score=match.score,
        principles=[mapped_clause(kb, p) for p in match.principles],
        clauses_by_source=[
            SourceGroup(source=s, short_name=kb.sources[s].short_name, binding=kb.sources[s].binding, clauses=c)
            for s, c in groups.items()
        ],
    )


def check_out(kb: KnowledgeBase, check: CheckMatch) -> CheckOut:
    return CheckOut(
        id=check.clause.id,
        citation=kb.citation(check.clause),
        question=check.clause.title,
        statement=check.clause.text,
        phases=check.phases,
        data_categories=check.data_categories,
        principles=check.principles,
        reason=check.reason,
    )


def cite_id(kb: KnowledgeBase, clause_id: str) -> str:
    """The citation of a clause id, or the id itself when the knowledge base does not hold it."""
    clause = kb.clauses.get(clause_id)
    return kb.citation(clause) if clause is not None else clause_id


def finding_out(kb: KnowledgeBase, finding: Finding) -> ClassificationFinding:
    return ClassificationFinding(
        provision=finding.rule.provision,
        citation=cite_id(kb, finding.rule.provision),
        title=finding.rule.title,
        risk_class=finding.rule.klass,
        words=finding.words,
        via=finding.via,
    )


def classification_out(kb: KnowledgeBase, c: Classification) -> ClassificationOut:
    return ClassificationOut(
        risk_class=c.klass,
        title=c.title,
        basis=c.basis,
        transparency=c.transparency,
        findings=[finding_out(kb, f) for f in c.findings],
        ruled_out=[finding_out(kb, f) for f in c.ruled_out],
        exceptions=[ExceptionOut(provision=e.provision, citation=cite_id(kb, e.provision), text=e.text)
                    for e in c.exceptions],
        confidence=c.confidence,
        confidence_label=c.confidence_label,
        open_questions=c.questions,
        role=c.role,
        role_basis=c.role_basis,
        in_scope=c.in_scope,
        scope_note=c.scope_note,
        would_be=c.would_be,
        duties=[
            DutyOut(provision=d.provision, citation=cite_id(kb, d.provision), title=d.title, roles=list(d.roles),
                    condition=d.condition, applies_from=d.applies_from, for_you=d.for_caller)
            for d in c.duties
        ],
    )


def jurisdiction_out(kb: KnowledgeBase, j: JurisdictionResult) -> JurisdictionOut:
    return JurisdictionOut(
        code=j.code,
        title=j.title,
        binding_law=j.binding,
        missing=j.missing,
        condition=j.condition,
        personal_data=j.personal_data,
        always_applies=[mapped_clause(kb, s) for s in j.always],
        situation=[mapped_clause(kb, s) for s in j.situational],
    )


def mapping_record(
    kb: KnowledgeBase, mapping: Mapping, request: MappingQuery, mapping_id: str, created_at: datetime
) -> MappingRecord:
    return MappingRecord(
        id=mapping_id,
        created_at=created_at,
        kb_version=kb.version,
        request=request,
        triggers=mapping.triggers,
        themes=[theme_out(kb, t) for t in mapping.themes],
        direct=[mapped_clause(kb, d) for d in mapping.direct],
        checklist=[check_out(kb, c) for c in mapping.checklist],
        classification=classification_out(kb, mapping.classification) if mapping.classification else None,
        jurisdictions=[jurisdiction_out(kb, j) for j in mapping.jurisdictions],
        company_sheets=[
            SheetOut(source=s.source_id, title=s.title, applies=s.applies, why=s.why) for s in mapping.sheets
        ],
        context=[mapped_clause(kb, s) for s in mapping.context],
    )
