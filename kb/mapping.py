"""Map a described use case to the themes, principles and clauses that apply, across frameworks.

Signals, each named in the answer as the ``reason`` of what it brought in:
- ``semantic match``: hybrid search of the description over the sources of the chosen jurisdictions;
- ``crosswalk``: the themes' own principles and key clauses (corpus/crosswalk.yaml);
- ``data category``: declared data categories, or trigger terms found in the description
  (corpus/triggers.yaml), e.g. face recognition -> GDPR Art. 9 and AI Act Annex III;
- ``defined term``: a term the sources define (GDPR Art. 4, CCPA 1798.140, AI Act Art. 3) that the
  description uses;
- ``cross-reference``: an article that a strongly matched article depends on.
Themes are ranked by fusing three rankings: the description's similarity to the theme, the search
results that the theme links to, and the triggers that raise it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

import numpy as np
from sqlmodel import select

from kb.crosswalk import Crosswalk, Theme, Trigger
from kb.embedding import Embedder
from kb.highlight import best_sentences, query_terms
from kb.knowledge import CatalogEntry, KnowledgeBase
from kb.lexical import tokenize
from kb.models import CheckItem
from kb.ranking import RankingModel
from kb.search import Filters, Hit, InvalidQuery, reciprocal_rank_fusion, search
from kb.vocabulary import JURISDICTIONS, PHASES

MAX_DESCRIPTION_CHARS = 4000
SEARCH_DEPTH = 30
STRONG_HITS = 3  # the top results whose cross-references are followed
REFERENCES_PER_HIT = 2


@dataclass(frozen=True)
class MapRequest:
    description: str
    jurisdictions: tuple[str, ...] = ()
    phase: str | None = None
    data_categories: tuple[str, ...] = ()
    k: int = 5
    as_of: datetime | None = None


@dataclass
class Supporting:
    """A clause in the answer, with why it is there."""

    clause: CatalogEntry
    reason: str
    why: str | None = None
    score: float = 0.0
    highlights: list[str] = field(default_factory=list)


@dataclass
class ThemeMatch:
    theme: Theme
    score: float
    principles: list[Supporting]
    clauses: list[Supporting]


@dataclass
class CheckMatch:
    clause: CatalogEntry
    phases: list[str]
    data_categories: list[str]
    principles: list[str]
    reason: str


@dataclass
class Mapping:
    request: MapRequest
    themes: list[ThemeMatch]
    direct: list[Supporting]
    checklist: list[CheckMatch]
    triggers: list[str]


def map_use_case(
    kb: KnowledgeBase,
    embedder: Embedder,
    crosswalk: Crosswalk,
    themes_vectors: np.ndarray,
    request: MapRequest,
    ranker: RankingModel | None = None,
) -> Mapping:
    """``ranker``: the learned ranking stage search uses (None: the hybrid order)."""
    check_request(request, crosswalk)
    sources = _sources_of(kb, request.jurisdictions)
    filters = Filters(sources=sources, as_of=request.as_of)
    hits = search(
        kb, embedder, request.description, SEARCH_DEPTH, filters, "article", MAX_DESCRIPTION_CHARS, ranker=ranker
    )
    terms = query_terms(request.description)
    fired = _fired_triggers(crosswalk, request)
    theme_scores = _rank_themes(embedder, crosswalk, themes_vectors, request.description, hits, fired)
    themes = [_theme_match(kb, theme, score, hits, terms, set(sources)) for theme, score in theme_scores[: request.k]]
    covered = {s.clause.unit_id for t in themes for s in t.principles + t.clauses}
    direct = _direct_clauses(kb, fired, hits, terms, covered, set(sources), request.description)
    checklist = _checklist(kb, themes, fired, request.phase)
    return Mapping(request, themes, direct, checklist, [t.id for t in fired])


def check_request(request: MapRequest, crosswalk: Crosswalk) -> None:
    description = " ".join(request.description.split())
    if not description:
        raise InvalidQuery("the description is empty: describe the use case in a few sentences")
    if len(description) > MAX_DESCRIPTION_CHARS:
        raise InvalidQuery(f"the description is {len(description)} characters; the limit is {MAX_DESCRIPTION_CHARS}")
    unknown = set(request.jurisdictions) - set(JURISDICTIONS)
    if unknown:
        raise InvalidQuery(f"unknown jurisdiction(s) {sorted(unknown)}; known: {list(JURISDICTIONS)}")
    if request.phase is not None and request.phase not in PHASES:
        raise InvalidQuery(f"unknown phase {request.phase!r}; known: {list(PHASES)}")
    categories = {t.id for t in crosswalk.triggers}
    unknown = set(request.data_categories) - categories
    if unknown:
        raise InvalidQuery(f"unknown data categor(ies) {sorted(unknown)}; known: {sorted(categories)}")
    if not 1 <= request.k <= len(crosswalk.themes):
        raise InvalidQuery(f"k must be between 1 and {len(crosswalk.themes)} themes, not {request.k}")


def _sources_of(kb: KnowledgeBase, jurisdictions: tuple[str, ...]) -> tuple[str, ...]:
    """Sources of the chosen jurisdictions; internal guidelines always apply to their company."""
    if not jurisdictions:
        return tuple(sorted(kb.sources))
    wanted = set(jurisdictions) | {"internal"}
    return tuple(sorted(s.id for s in kb.sources.values() if s.jurisdiction in wanted))


def _fired_triggers(crosswalk: Crosswalk, request: MapRequest) -> list[Trigger]:
    """Triggers declared by the caller or whose terms occur in the description."""
    words = tokenize(request.description)
    text = request.description.lower()
    fired = []
    for trigger in crosswalk.triggers:
        declared = trigger.id in request.data_categories
        if declared or any(_term_occurs(term, words, text) for term in trigger.terms):
            fired.append(trigger)
    return fired


def _term_occurs(term: str, words: list[str], text: str) -> bool:
    term_tokens = tokenize(term)
    if not term_tokens:
        return False
    if any(ord(c) > 0x3000 for c in term):  # Japanese: match as written
        return term in text
    n = len(term_tokens)
    return any(words[i : i + n] == term_tokens for i in range(len(words) - n + 1))


def _rank_themes(
    embedder: Embedder,
    crosswalk: Crosswalk,
    themes_vectors: np.ndarray,
    description: str,
    hits: list[Hit],
    fired: list[Trigger],
) -> list[tuple[Theme, float]]:
    themes = list(crosswalk.themes)
    similarity = themes_vectors @ embedder.encode_query(" ".join(description.split()))  # as search cleaned it
    order = np.argsort(-similarity, kind="stable")
    by_similarity = [(themes[i].id, 0.0) for i in order]
    votes: dict[str, float] = {}
    for rank, hit in enumerate(hits, 1):
        for theme in themes:
            if any(link.id in (hit.unit.id, hit.clause.id) for link in theme.links):
                votes[theme.id] = votes.get(theme.id, 0.0) + 1.0 / (10 + rank)
    by_votes = sorted(votes.items(), key=lambda item: -item[1])
    raised: dict[str, float] = {}
    for trigger in fired:
        for position, theme_id in enumerate(trigger.themes):
            raised[theme_id] = raised.get(theme_id, 0.0) + 1.0 / (1 + position)
    by_triggers = sorted(raised.items(), key=lambda item: -item[1])
    # a trigger is an explicit signal (declared, or a term of the domain in the text): it counts double
    fused = dict(reciprocal_rank_fusion([by_similarity, by_votes, by_triggers], k=5, weights=[1.0, 1.0, 2.0]))
    top = max(fused.values())
    return sorted(((t, round(fused.get(t.id, 0.0) / top, 4)) for t in themes), key=lambda item: -item[1])


def _theme_match(
    kb: KnowledgeBase, theme: Theme, score: float, hits: list[Hit], terms: frozenset[str], sources: set[str]
) -> ThemeMatch:
    hit_rank = {h.unit.id: i for i, h in enumerate(hits)}
    principles = [
        _supporting(kb, kb.clauses[link.id], "crosswalk", link.why, terms)
        for link in theme.principles
        if link.id in kb.clauses and kb.clauses[link.id].source_id in sources
    ]
    clauses = [
        _supporting(kb, kb.clauses[link.id], "crosswalk", link.why, terms)
        for link in theme.clauses
        if link.id in kb.clauses and kb.clauses[link.id].source_id in sources
    ]
    for clause in clauses:
        if clause.clause.unit_id in hit_rank:
            clause.reason = "semantic match"  # the search found it too: say so
            clause.score = 1.0 / (1 + hit_rank[clause.clause.unit_id])
    binding_first = sorted(
        clauses, key=lambda s: (not kb.sources[s.clause.source_id].binding, s.clause.source_id, -s.score)
    )
    return ThemeMatch(theme, score, principles, binding_first)


def _direct_clauses(
    kb: KnowledgeBase,
    fired: list[Trigger],
    hits: list[Hit],
    terms: frozenset[str],
    covered: set[str],
    sources: set[str],
    description: str,
) -> list[Supporting]:
    """Clauses the use case triggers directly, whether or not a theme covers them."""
    found: dict[str, Supporting] = {}

    def add(clause: CatalogEntry, reason: str, why: str | None, score: float) -> None:
        if clause.source_id in sources and clause.id not in found and not clause.repealed:
            found[clause.id] = _supporting(kb, clause, reason, why, terms, score)

    for trigger in fired:
        for link in trigger.clauses:
            if link.id in kb.clauses:
                add(kb.clauses[link.id], "data category", f"{trigger.title}: {link.why}", 1.0)
    for clause, term in _defined_terms_used(kb, description):
        add(clause, "defined term", f"The description uses the defined term “{term}”.", 0.8)
    for rank, hit in enumerate(hits):
        if hit.unit.id not in covered:
            add(hit.unit, "semantic match", None, 1.0 / (1 + rank))
    for hit in hits[:STRONG_HITS]:
        for target in _most_cited(kb, hit.unit)[:REFERENCES_PER_HIT]:
            add(kb.clauses[target], "cross-reference", f"{kb.citation(hit.unit)} depends on it.", 0.3)
    return sorted(found.values(), key=lambda s: (not kb.sources[s.clause.source_id].binding, -s.score))


def _most_cited(kb: KnowledgeBase, unit: CatalogEntry) -> list[str]:
    """Other articles that ``unit`` (with its paragraphs) cites, most-cited first."""
    counts: dict[str, int] = {}
    for clause in [unit, *kb.children(unit.id)]:
        for target in kb.references(clause.id)[0]:
            target_unit = kb.clauses[target].unit_id if target in kb.clauses else None
            if target_unit and target_unit != unit.id:
                counts[target_unit] = counts.get(target_unit, 0) + 1
    return sorted(counts, key=lambda t: -counts[t])


_DEFINED = re.compile(r"^[‘'“\"]([^’'”\"]{3,60})[’'”\"] means")


def _defined_terms_used(kb: KnowledgeBase, description: str) -> list[tuple[CatalogEntry, str]]:
    """Definitions (``‘biometric data’ means …``, or a definition clause's title) whose term, of
    two words or more, occurs in the description."""
    words = tokenize(description)
    text = description.lower()
    return [(clause, term) for clause, term in _definitions(kb) if _term_occurs(term, words, text)]


@lru_cache(maxsize=4)
def _definitions(kb: KnowledgeBase) -> tuple[tuple[CatalogEntry, str], ...]:
    """Every defined term of two words or more, found once per knowledge-base version."""
    found = []
    for clause in kb.clauses.values():
        if clause.repealed:
            continue
        match = _DEFINED.match(clause.text)
        term = match[1] if match else clause.title if clause.kind == "definition" else None
        if term and len(tokenize(term)) >= 2:
            found.append((clause, term))
    return tuple(found)


def _checklist(
    kb: KnowledgeBase, themes: list[ThemeMatch], fired: list[Trigger], phase: str | None
) -> list[CheckMatch]:
    """The company's risk-check items for the phase that implement a matched theme's principles
    or concern a data category that fired."""
    principles = {p.clause.id for t in themes for p in t.principles}
    categories = {t.id for t in fired}
    with kb.session() as session:
        items = session.exec(select(CheckItem)).all()
    out = []
    for item in items:
        clause = kb.clauses.get(item.clause_id)
        if clause is None or clause.repealed or (phase and phase not in item.phases):
            continue
        linked = sorted(set(item.principles) & principles)
        concerns = sorted(set(item.data_categories) & categories)
        if linked or concerns:
            reason = f"implements {', '.join(linked)}" if linked else f"concerns {', '.join(concerns)} data"
            out.append(CheckMatch(clause, list(item.phases), list(item.data_categories), list(item.principles), reason))
    return sorted(out, key=lambda c: c.clause.position)


def _supporting(
    kb: KnowledgeBase, clause: CatalogEntry, reason: str, why: str | None, terms: frozenset[str], score: float = 0.0
) -> Supporting:
    text = clause.text or " ".join(c.text for c in kb.children(clause.id))
    return Supporting(clause, reason, why, score, best_sentences(terms, text))


def theme_vectors(embedder: Embedder, crosswalk: Crosswalk) -> np.ndarray:
    """One vector per theme (title and description), computed once per service."""
    return embedder.encode([f"{t.title}. {t.description}" for t in crosswalk.themes])
