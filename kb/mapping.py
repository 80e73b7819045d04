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

Around them: the AI Act class and the duties for the caller's role (kb/classification.py); per
jurisdiction, binding law first, what applies to any processing of personal data (kb/always.py), or
a plain statement that the jurisdiction's binding law is not in the knowledge base; the company check
sheets that cover the use case and those that do not, with why (kb/sheets.py). Only provisions that
oblige someone are "directly triggered" (kb/provisions.py); the others found (definitions,
classification rules, exemptions, institutional provisions) are context, each with its kind, and a
duty that holds only in a situation carries its condition.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path

import numpy as np
from sqlmodel import select

from kb.always import Applying, load_always, personal_data_words
from kb.always import applying as always_applying
from kb.classification import Answers, Classification, cite, classify, load_classification_rules
from kb.crosswalk import Crosswalk, Link, Theme, Trigger
from kb.cues import Text, parse_cues
from kb.embedding import Embedder
from kb.highlight import best_sentences, query_terms
from kb.ids import ClauseId, InvalidClauseId
from kb.indexing import STRUCTURAL_KINDS
from kb.knowledge import CatalogEntry, KnowledgeBase
from kb.lexical import tokenize
from kb.models import CheckItem
from kb.provisions import Condition, ProvisionKinds, load_provision_kinds
from kb.ranking import RankingModel
from kb.search import Filters, Hit, InvalidQuery, reading_legs, reciprocal_rank_fusion, search
from kb.sheets import SheetDecision, decide, load_sheets
from kb.triggers import detect_triggers
from kb.vocabulary import JURISDICTIONS, PHASES

MAX_DESCRIPTION_CHARS = 4000
SEARCH_DEPTH = 30
SEMANTIC_DIRECT = 10  # search results close enough to count as triggered directly
STRONG_HITS = 3  # the top results whose cross-references are followed
REFERENCES_PER_HIT = 2
ROLES = ("provider", "deployer", "importer", "distributor")
FIRST_DUTIES = 3  # the caller's weightiest duties, read right after what decides the class
KEY_DUTIES = 5  # the caller's duties read before what always applies; the rest after it
THEMES_OF_CLASS_WEIGHT = 1.0  # the class's themes weigh as much as the description's similarity
# a jurisdiction is a country or state code (EU, JP, US-CA, UK, US-NY…), OECD, or internal; one whose
# binding law the knowledge base lacks is accepted and answered with a statement that it is missing
JURISDICTION = re.compile(r"^(?:[A-Z]{2}(?:-[A-Z0-9]{1,3})?|OECD|internal)$")
# a jurisdiction the description names, when the caller names none (EU cues come from the AI Act rules)
_NAMED = {
    "US-CA": parse_cues([[["california", "californian", "californians", "ccpa", "cpra", "カリフォルニア"]]], "US-CA"),
    "JP": parse_cues([[["japan", "japanese", "tokyo", "osaka", "appi", "日本", "国内"]]], "JP"),
}


@dataclass(frozen=True)
class MapRequest:
    description: str
    jurisdictions: tuple[str, ...] = ()
    phase: str | None = None
    data_categories: tuple[str, ...] = ()
    k: int = 5
    as_of: datetime | None = None
    role: str | None = None  # provider, deployer, importer, distributor
    sector: str | None = None
    general_purpose: bool | None = None
    eu_market: bool | None = None


@dataclass
class Supporting:
    """A clause in the answer, with why it is there."""

    clause: CatalogEntry
    reason: str
    why: str | None = None
    score: float = 0.0
    highlights: list[str] = field(default_factory=list)
    kind: str = ""  # obligation, right, prohibition, definition, institutional, … (kb/provisions.py)
    condition: str | None = None  # when the duty holds, where it does not hold always
    link: Link | None = None  # the qualified crosswalk link that brought it (type, limits, dates), if any


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
class JurisdictionResult:
    """One jurisdiction: its binding law in the knowledge base (or a statement that it is missing) and
    what applies to any processing of personal data there."""

    code: str
    title: str
    binding: list[str]  # source ids of its binding law that the knowledge base holds
    missing: str | None  # said when the binding law is not in the knowledge base
    condition: str | None
    personal_data: list[str] | None  # the words that show personal data, None if none do
    always: list[Supporting]  # what applies to any processing of personal data there
    situational: list[Supporting]  # what this use case's situation brings (a vendor abroad, decisions, …)
    named_by: str  # "request", "description" or "default"


@dataclass
class Mapping:
    request: MapRequest
    themes: list[ThemeMatch]
    direct: list[Supporting]
    checklist: list[CheckMatch]
    triggers: list[str]
    classification: Classification | None = None
    jurisdictions: list[JurisdictionResult] = field(default_factory=list)
    sheets: list[SheetDecision] = field(default_factory=list)
    context: list[Supporting] = field(default_factory=list)  # found, but obliging no one by itself

    def provisions(self) -> list[str]:
        """Every provision of the answer, in the order a reviewer should read them: what decides the AI
        Act class, the first duties for the caller's role, what the situation brings, what the data
        categories trigger, what always applies, then the rest of the duties, the other triggered
        provisions and the themes' clauses."""
        ids: list[str] = []
        duties: list[str] = []
        c = self.classification
        if c is not None:
            ids += c.basis + c.transparency
            if c.klass == "prohibited":
                ids += [e.provision for e in c.exceptions]
            duties = [d.provision for d in c.duties if d.for_caller]
        ids += duties[:FIRST_DUTIES]
        ids += [s.clause.id for j in self.jurisdictions for s in j.situational]
        ids += [s.clause.id for s in self.direct if s.reason == "data category"]
        ids += duties[FIRST_DUTIES:KEY_DUTIES]
        ids += [s.clause.id for j in self.jurisdictions for s in j.always]
        ids += duties[KEY_DUTIES:]
        ids += [s.clause.id for s in self.direct]
        ids += [s.clause.id for t in self.themes for s in t.clauses]
        return list(dict.fromkeys(ids))


def map_use_case(
    kb: KnowledgeBase,
    embedder: Embedder,
    crosswalk: Crosswalk,
    themes_vectors: list[np.ndarray],
    request: MapRequest,
    registry: Path,
    ranker: RankingModel | None = None,
) -> Mapping:
    """``registry`` is the folder of the project's own rules (settings.registry_dir); ``ranker``
    the learned ranking stage search uses (None: the hybrid order)."""
    check_request(request, crosswalk)
    text = Text(request.description)
    classification = classify(
        load_classification_rules(registry),
        request.description,
        Answers(request.role, request.sector, request.general_purpose, request.eu_market),
        request.jurisdictions,
    )
    sheets = decide(load_sheets(registry), request.description, set(kb.sources))
    excluded = {s.source_id for s in sheets if not s.applies}
    sources = tuple(s for s in _sources_of(kb, request.jurisdictions) if s not in excluded)
    filters = Filters(sources=sources, as_of=request.as_of)
    hits = search(
        kb, embedder, request.description, SEARCH_DEPTH, filters, "article", MAX_DESCRIPTION_CHARS, ranker=ranker
    )
    terms = query_terms(request.description)
    fired = _fired_triggers(crosswalk, request)
    class_themes = load_classification_rules(registry).class_themes.get(classification.klass, ())
    theme_scores = _rank_themes(embedder, crosswalk, themes_vectors, request.description, hits, fired, class_themes)
    frameworks = {s.id for s in kb.sources.values() if not s.binding and s.id not in excluded}
    themes = [
        _theme_match(kb, theme, score, hits, terms, set(sources), frameworks)
        for theme, score in theme_scores[: request.k]
    ]
    covered = {s.clause.unit_id for t in themes for s in t.principles + t.clauses}
    found = _direct_clauses(kb, fired, hits, terms, covered, set(sources), request.description)
    kinds = load_provision_kinds(registry)
    for item in [s for t in themes for s in t.principles + t.clauses] + found:
        _qualify(kb, kinds, classification, item)
    direct = [s for s in found if _directly_triggered(kinds, classification, s)]
    context = [s for s in found if s not in direct and kb.sources[s.clause.source_id].kind != "internal"]
    checklist = _checklist(kb, themes, fired, request.phase, excluded)
    jurisdictions = _jurisdictions(kb, kinds, classification, request, text, terms, registry)
    shown = [s for t in themes for s in t.principles + t.clauses] + direct
    shown += [s for j in jurisdictions for s in j.always + j.situational]
    for item in shown:  # only what is shown gets its highlights: they are the costly part
        item.highlights = best_sentences(terms, _full_text(kb, item.clause))
    return Mapping(
        request, themes, direct, checklist, [t.id for t in fired], classification, jurisdictions, sheets, context
    )


def _qualify(kb: KnowledgeBase, kinds: ProvisionKinds, classification: Classification, item: Supporting) -> None:
    """Say what kind of provision it is and, where its duty holds only in a situation, which, and
    whether the AI Act class found meets it."""
    item.kind = kinds.kind_of(kb, item.clause).id
    status = provision_condition(kinds, classification, item.clause.id)
    if item.condition is None:
        item.condition = status
    elif status and (kinds.condition_of(item.clause.id) or _NO_CLASS).requires:
        item.condition = f"{item.condition} — {status}"


def provision_condition(kinds: ProvisionKinds, classification: Classification, clause_id: str) -> str | None:
    """The condition of a provision's duty, with whether the classification found it met."""
    condition = kinds.condition_of(clause_id)
    if condition is None:
        return None
    if condition.requires is None:
        return condition.text
    if condition.requires == "gpai":
        met = "a general-purpose model is involved" if classification.gpai else "no general-purpose model stated"
        return f"{condition.text}: {met}"
    matched = _findings_for(classification, condition.requires, clause_id)
    if matched:
        points = ", ".join(cite(f.rule.provision) for f in matched)
        return f"applies if {condition.requires}: {points} matched"
    return f"{condition.text}; the description does not show it"


_NO_CLASS = Condition((), "", None)


def _directly_triggered(kinds: ProvisionKinds, classification: Classification, item: Supporting) -> bool:
    """Obliging provisions only, and only those whose AI Act class the classification found. A chapter or
    section heading is a container of provisions, never itself the provision that obliges."""
    if item.clause.kind in STRUCTURAL_KINDS or not kinds.kinds[item.kind].directly_triggered:
        return False
    condition = kinds.condition_of(item.clause.id)
    if condition is None or condition.requires is None:
        return True
    if condition.requires == "gpai":
        return classification.gpai
    return bool(_findings_for(classification, condition.requires, item.clause.id))


def _findings_for(classification: Classification, klass: str, clause_id: str) -> list:
    """The findings of a class that meet a provision's condition: a point of the same article must be the
    one found (Art. 50(3) is not met by an Art. 50(1) chatbot, Art. 5(1)(a) not by 5(1)(f))."""
    unit = _unit_of(clause_id)

    def meets(provision: str) -> bool:
        return _unit_of(provision) != unit or _within(clause_id, provision) or _within(provision, clause_id)

    return [f for f in classification.matched(klass) if meets(f.rule.provision)]


def _within(inner: str, outer: str) -> bool:
    return inner == outer or inner.startswith(outer + "(")


def _link_condition(link: Link) -> str | None:
    """The condition a qualified crosswalk link states, with whom it binds (None when it always holds)."""
    condition = getattr(link, "condition", "always")
    roles = [r for r in getattr(link, "roles", ("any",)) if r != "any"]
    parts = [] if condition in ("always", "", None) else [condition]
    if roles:
        parts.append("applies to " + " and ".join(f"{r}s" for r in roles))
    return "; ".join(parts) or None


def _jurisdictions(
    kb: KnowledgeBase,
    kinds: ProvisionKinds,
    classification: Classification,
    request: MapRequest,
    text: Text,
    terms: frozenset[str],
    registry: Path,
) -> list[JurisdictionResult]:
    """Per jurisdiction, binding law first: what applies to any processing of personal data there and
    what the situation brings, or an explicit statement that its binding law is not in the knowledge
    base."""
    rules = load_always(registry)
    personal = personal_data_words(rules, text)
    classes = tuple(classification.classes)
    out = []
    for code, named_by in _named_jurisdictions(rules, request, text, classification):
        config = rules.jurisdictions.get(code)
        binding = config.binding if config else ()
        present = [s for s in binding if s in kb.sources]
        if not present:
            present = sorted(s.id for s in kb.sources.values() if s.jurisdiction == code and s.binding)
        title = config.title if config else code
        missing = None if present else _missing_law(kb, code, title, config.law_name if config else None)
        items = []
        for found in always_applying(rules, config, text, classes) if config else []:
            clause = kb.clauses.get(found.id)
            if clause is not None and clause.source_id in present and not clause.repealed:
                items.append((found, _always_item(kb, kinds, classification, clause, found, personal)))
        out.append(
            JurisdictionResult(
                code,
                title,
                present,
                missing,
                config.condition if config else None,
                personal,
                [item for found, item in items if not found.situational],
                [item for found, item in items if found.situational],
                named_by,
            )
        )
    return out


def _missing_law(kb: KnowledgeBase, code: str, title: str, law_name: str | None) -> str:
    others = sorted(s.short_name for s in kb.sources.values() if s.jurisdiction == code)
    law = f"its binding law, {law_name}," if law_name else "no binding law of this jurisdiction"
    verb = "is not" if law_name else "is"
    return (
        f"{title}: {law} {verb} in the knowledge base"
        + (f"; only non-binding texts are ({', '.join(others)})" if others else "")
        + ". Nothing here replaces a review under that law."
    )


def _always_item(
    kb: KnowledgeBase,
    kinds: ProvisionKinds,
    classification: Classification,
    clause: CatalogEntry,
    found: Applying,
    personal: list[str] | None,
) -> Supporting:
    why = found.reason + (f" (the description says: {', '.join(found.words)})" if found.words else "")
    item = Supporting(clause, "situation" if found.situational else "always applies", why)
    item.kind = kinds.kind_of(kb, clause).id
    condition = provision_condition(kinds, classification, clause.id)
    if personal is None:
        condition = "applies if personal data is processed (the description does not say whose data)" + (
            f"; {condition}" if condition else ""
        )
    item.condition = condition
    return item


def _named_jurisdictions(
    rules, request: MapRequest, text: Text, classification: Classification
) -> list[tuple[str, str]]:
    if request.jurisdictions:
        return [(j, "request") for j in request.jurisdictions if j not in ("OECD", "internal")]
    named = []
    if classification.in_scope:
        named.append(("EU", "description"))
    named += [(code, "description") for code, cues in _NAMED.items() if text.match_any(cues) is not None]
    if named:
        return named
    return [(code, "default") for code in rules.jurisdictions if code in ("EU", "US-CA")]


def check_request(request: MapRequest, crosswalk: Crosswalk) -> None:
    description = " ".join(request.description.split())
    if not description:
        raise InvalidQuery("the description is empty: describe the use case in a few sentences")
    if len(description) > MAX_DESCRIPTION_CHARS:
        raise InvalidQuery(f"the description is {len(description)} characters; the limit is {MAX_DESCRIPTION_CHARS}")
    malformed = sorted(j for j in request.jurisdictions if not JURISDICTION.match(j))
    if malformed:
        raise InvalidQuery(
            f"malformed jurisdiction(s) {malformed}: use a code such as {', '.join(JURISDICTIONS)}, UK or US-NY"
        )
    if request.phase is not None and request.phase not in PHASES:
        raise InvalidQuery(f"unknown phase {request.phase!r}; known: {list(PHASES)}")
    categories = {t.id for t in crosswalk.triggers}
    unknown = set(request.data_categories) - categories
    if unknown:
        raise InvalidQuery(f"unknown data categor(ies) {sorted(unknown)}; known: {sorted(categories)}")
    if not 1 <= request.k <= len(crosswalk.themes):
        raise InvalidQuery(f"k must be between 1 and {len(crosswalk.themes)} themes, not {request.k}")
    if request.role is not None and request.role not in ROLES:
        raise InvalidQuery(f"unknown role {request.role!r}; known: {list(ROLES)}")


def _sources_of(kb: KnowledgeBase, jurisdictions: tuple[str, ...]) -> tuple[str, ...]:
    """Sources of the chosen jurisdictions; internal guidelines always apply to their company."""
    if not jurisdictions:
        return tuple(sorted(kb.sources))
    wanted = set(jurisdictions) | {"internal"}
    return tuple(sorted(s.id for s in kb.sources.values() if s.jurisdiction in wanted))


def _fired_triggers(crosswalk: Crosswalk, request: MapRequest) -> list[Trigger]:
    """Triggers declared by the caller or detected in the description (kb.triggers: rules, not words)."""
    return [f.trigger for f in detect_triggers(crosswalk.triggers, request.description, request.data_categories)]


@lru_cache(maxsize=8192)
def _term_tokens(term: str) -> list[str]:
    return tokenize(term)


def _term_occurs(term: str, words: list[str], text: str) -> bool:
    term_tokens = _term_tokens(term)
    if not term_tokens:
        return False
    if any(ord(c) > 0x3000 for c in term):  # Japanese: match as written
        return term in text
    n = len(term_tokens)
    return any(words[i : i + n] == term_tokens for i in range(len(words) - n + 1))


def _rank_themes(
    embedder: Embedder,
    crosswalk: Crosswalk,
    themes_vectors: list[np.ndarray],
    description: str,
    hits: list[Hit],
    fired: list[Trigger],
    class_themes: tuple[str, ...] = (),
) -> list[tuple[Theme, float]]:
    themes = list(crosswalk.themes)
    text = " ".join(description.split())  # as search cleaned it
    by_similarity = []
    legs = reading_legs(embedder, text)
    if legs:  # the first leg that reads the description's language
        similarity = themes_vectors[legs[0]] @ embedder.legs[legs[0]].encode_query(text)
        by_similarity = [(themes[i].id, 0.0) for i in np.argsort(-similarity, kind="stable")]
    votes: dict[str, float] = {}
    linked = _linked_units(crosswalk)
    for rank, hit in enumerate(hits, 1):
        for theme in themes:
            if hit.unit.id in linked[theme.id]:  # the theme links the article or one of its paragraphs
                votes[theme.id] = votes.get(theme.id, 0.0) + 1.0 / (10 + rank)
    by_votes = sorted(votes.items(), key=lambda item: -item[1])
    raised: dict[str, float] = {}
    for trigger in fired:
        for position, theme_id in enumerate(trigger.themes):
            raised[theme_id] = raised.get(theme_id, 0.0) + 1.0 / (1 + position)
    by_triggers = sorted(raised.items(), key=lambda item: -item[1])
    by_class = [(theme_id, 0.0) for theme_id in class_themes if theme_id in {t.id for t in themes}]
    # a trigger is an explicit signal (declared, or a term of the domain in the text): it counts double;
    # the AI Act class brings the themes its duties are about (high-risk: accountability, oversight, …)
    rankings = [by_similarity, by_votes, by_triggers, by_class]
    fused = dict(reciprocal_rank_fusion(rankings, k=5, weights=[1.0, 1.0, 2.0, THEMES_OF_CLASS_WEIGHT]))
    top = max(fused.values())
    return sorted(((t, round(fused.get(t.id, 0.0) / top, 4)) for t in themes), key=lambda item: -item[1])


@lru_cache(maxsize=4)
def _linked_units(crosswalk: Crosswalk) -> dict[str, frozenset[str]]:
    """The articles (units) each theme links, itself or through a paragraph or point."""
    return {t.id: frozenset(_unit_of(link.id) for link in t.links) for t in crosswalk.themes}


def _unit_of(clause_id: str) -> str:
    try:
        return str(ClauseId.parse(clause_id).unit)
    except InvalidClauseId:
        return clause_id


def _theme_match(
    kb: KnowledgeBase,
    theme: Theme,
    score: float,
    hits: list[Hit],
    terms: frozenset[str],
    sources: set[str],
    frameworks: set[str],
) -> ThemeMatch:
    """A theme's principles come from every framework (side by side, whatever the jurisdictions: OECD,
    HLEG, METI, the company's own), its binding clauses from the chosen jurisdictions only."""
    hit_rank = {h.unit.id: i for i, h in enumerate(hits)}
    principles = [
        _supporting(kb, kb.clauses[link.id], "crosswalk", link.why, terms, condition=_link_condition(link), link=link)
        for link in theme.principles
        if link.id in kb.clauses and kb.clauses[link.id].source_id in sources | frameworks
    ]
    clauses = [
        _supporting(kb, kb.clauses[link.id], "crosswalk", link.why, terms, condition=_link_condition(link), link=link)
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

    def add(
        clause: CatalogEntry,
        reason: str,
        why: str | None,
        score: float,
        condition: str | None = None,
        link: Link | None = None,
    ) -> None:
        if clause.source_id in sources and clause.id not in found and not clause.repealed:
            found[clause.id] = _supporting(kb, clause, reason, why, terms, score, condition, link)

    for trigger in fired:
        for link in trigger.clauses:
            if link.id in kb.clauses:
                why = f"{trigger.title}: {link.why}"
                add(kb.clauses[link.id], "data category", why, 1.0, _link_condition(link), link)
    for clause, term in _defined_terms_used(kb, description):
        add(clause, "defined term", f"The description uses the defined term “{term}”.", 0.8)
    for rank, hit in enumerate(hits[:SEMANTIC_DIRECT]):  # deeper hits are themes' evidence, not triggers
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
    kb: KnowledgeBase, themes: list[ThemeMatch], fired: list[Trigger], phase: str | None, excluded: set[str]
) -> list[CheckMatch]:
    """The company's risk-check items for the phase that implement a matched theme's principles
    or concern a data category that fired, from the sheets whose scope covers the use case."""
    principles = {p.clause.id for t in themes for p in t.principles}
    categories = {t.id for t in fired}
    with kb.session() as session:
        items = session.exec(select(CheckItem)).all()
    out = []
    for item in items:
        clause = kb.clauses.get(item.clause_id)
        if clause is None or clause.repealed or clause.source_id in excluded or (phase and phase not in item.phases):
            continue
        linked = sorted(set(item.principles) & principles)
        concerns = sorted(set(item.data_categories) & categories)
        if linked or concerns:
            reason = f"implements {', '.join(linked)}" if linked else f"concerns {', '.join(concerns)} data"
            out.append(CheckMatch(clause, list(item.phases), list(item.data_categories), list(item.principles), reason))
    return sorted(out, key=lambda c: c.clause.position)


def _supporting(
    kb: KnowledgeBase,
    clause: CatalogEntry,
    reason: str,
    why: str | None,
    terms: frozenset[str],
    score: float = 0.0,
    condition: str | None = None,
    link: Link | None = None,
) -> Supporting:
    return Supporting(clause, reason, why, score, [], condition=condition, link=link)


def _full_text(kb: KnowledgeBase, clause: CatalogEntry) -> str:
    return clause.text or " ".join(c.text for c in kb.children(clause.id))


def theme_vectors(embedder: Embedder, crosswalk: Crosswalk) -> list[np.ndarray]:
    """One vector per theme (title and description) in each dense leg's space, computed once per
    service: a Japanese description is compared with the themes in the multilingual leg's space."""
    texts = [f"{t.title}. {t.description}" for t in crosswalk.themes]
    return [embedder.encode_for(leg, texts) for leg in range(len(embedder.legs))]
