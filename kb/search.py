"""Search: a query in plain words -> the clauses that matter, grouped at the level asked for.

Filters (source, jurisdiction, kind of source, binding, language) select index rows *before*
ranking, so a filtered search never comes back short because unfiltered rows filled the top.
With ``group="article"`` each result is one top-level unit (article, recital, principle), ranked
by its best-matching clause, which is reported as the result's clause.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from kb.embedding import Embedder
from kb.errors import KBError
from kb.highlight import highlights
from kb.knowledge import CatalogEntry, KnowledgeBase
from kb.lexical import is_cjk
from kb.naming import prefer_named
from kb.ranking import RankingModel, StageInput, rerank

SNIPPET_CHARS = 320
GROUPS = ("article", "clause")
# "ranked": the hybrid search's candidates re-ordered by the learned ranking stage (kb/ranking.py);
# without a ranking model it is the hybrid order.
METHODS = ("ranked", "hybrid", "dense", "lexical")
RRF_K = 60  # reciprocal rank fusion constant (Cormack et al. 2009)
# The dense rankings' weight in article fusion. On a fixed sample of 300 dev queries (long case
# descriptions) equal weights left hybrid below lexical alone on recall@10 (0.424 vs 0.429);
# 0.35 gives 0.465 with MRR 0.298, while short lay queries still rely on the dense side.
DENSE_WEIGHT = 0.35
# A Japanese query's lexical side is character bigrams, which match only Japanese texts and match them
# loosely; its dense side (the multilingual leg) reads every language. On the 56 Japanese questions of
# tests/eval/questions.jsonl, dense weights 0.35/1/2/3/4/8 gave MRR 0.49/0.53/0.55/0.55/0.53/0.47 and
# recall@10 0.63/0.67/0.68/0.71/0.70/0.73 (docs/ranking.md).
DENSE_WEIGHTS = {"ja": 3.0}
# An English description of a case (this many words or more) is embedded by the primary leg only: on
# dev.jsonl (long GDPR cases) the multilingual leg changed nothing (ranked, cross-validated MRR 0.652
# with it, 0.653 without), and encoding a long text with it took 100-300 ms on two cores.
SINGLE_LEG_MIN_WORDS = 20
# A question that names a source or jurisdiction gets that many of its best results from them first
# (kb/naming.py), then everything as ranked: the other frameworks that apply stay in view. On the
# question set lifting 3, 5, 10 or all gave MRR 0.642/0.642/0.643/0.643.
NAMED_FIRST = 5


class InvalidQuery(KBError, ValueError):
    """The query or its options are not acceptable; the message says why."""

    code = "invalid_query"
    http_status = 422


@dataclass(frozen=True)
class Filters:
    """What to search in. ``as_of`` searches the clause versions in force at that time."""

    sources: tuple[str, ...] = ()
    jurisdictions: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    binding: bool | None = None
    languages: tuple[str, ...] = ()
    as_of: datetime | None = None

    def key(self) -> tuple:
        return (self.sources, self.jurisdictions, self.kinds, self.binding, self.languages, self.as_of)


@dataclass
class Hit:
    clause: CatalogEntry
    unit: CatalogEntry
    citation: str
    score: float
    snippet: str
    matched: list[str] = field(default_factory=list)
    recitals: list[str] = field(default_factory=list)
    highlights: list[str] = field(default_factory=list)


@dataclass
class _Rankings:
    """The rankers' outputs for one query, each a list of (index row, score), best first."""

    dense: list[tuple[int, float]]  # the leading dense leg's
    lexical: list[tuple[int, float]]
    unit_lexical: list[tuple[str, float]]
    more_dense: list[list[tuple[int, float]]] = field(default_factory=list)  # the other legs', if any
    language: str = "en"  # the query's


def search(
    kb: KnowledgeBase,
    embedder: Embedder,
    query: str,
    k: int = 10,
    filters: Filters | None = None,
    group: str = "article",
    max_query_chars: int = 2000,
    method: str = "ranked",
    ranker: RankingModel | None = None,
) -> list[Hit]:
    query = check_query(query, max_query_chars)
    if group not in GROUPS:
        raise InvalidQuery(f"group must be one of {GROUPS}, not {group!r}")
    if method not in METHODS:
        raise InvalidQuery(f"method must be one of {METHODS}, not {method!r}")
    filters = filters or Filters()
    check_filters(kb, filters)
    allowed = allowed_rows(kb, filters)
    depth = min(kb.index.index.ntotal, max(k * 20, 200))
    learned = ranker if method == "ranked" else None
    legs = reading_legs(embedder, query) if method != "lexical" else []
    if method in ("ranked", "hybrid") and not legs:
        method = "lexical"  # no model embeds this language meaningfully: its vectors would be noise
    vectors = {leg: embedder.legs[leg].encode_query(query) for leg in legs}
    rankings = run_rankers(kb, vectors, query, depth, allowed, method, group == "article", filters.as_of)
    rows = reciprocal_rank_fusion([rankings.dense, *rankings.more_dense, rankings.lexical])
    named = kb.sources_named(query)
    if group == "clause":
        rows = prefer_named(rows, lambda row: kb.row_source(row[0]), named, NAMED_FIRST)
        hits = [_hit_for(kb, kb.row_clause(row), score, [kb.index.keys[row].clause_id]) for row, score in rows[:k]]
    else:
        stage = stage_input(kb, rankings)
        if learned is not None:
            profiled = vectors.get(0) if learned.profiles_fit(embedder.legs[0].model_name) else None
            order = rerank(kb, stage, query, learned, profiled)
        else:
            order = stage.fused
        order = prefer_named(order, lambda unit: kb.clauses[unit[0]].source_id, named, NAMED_FIRST)
        hits = _article_hits(kb, order, rows, k)
    terms = frozenset(kb.lexical_query(query))  # with the sources' words for lay and Japanese ones
    language = query_language(query)
    for hit in hits:
        across = hit.clause.language != language
        hit.highlights = highlights(terms, hit.clause.text or hit.snippet, across)
    return hits


def reading_legs(embedder: Embedder, query: str) -> list[int]:
    """The dense legs that embed ``query``: those whose model reads its language, primary first; a
    case-length query the primary model reads (``SINGLE_LEG_MIN_WORDS``) gets the primary only."""
    language = query_language(query)
    legs = [number for number, leg in enumerate(embedder.legs) if language in leg.languages]
    if legs[:1] == [0] and len(query.split()) >= SINGLE_LEG_MIN_WORDS:
        return [0]
    return legs


def run_rankers(
    kb: KnowledgeBase,
    vectors: dict[int, np.ndarray],
    query: str,
    depth: int,
    allowed: np.ndarray,
    method: str,
    units: bool,
    as_of: datetime | None = None,
) -> _Rankings:
    """The first stage: a dense ranking of clause rows per leg the query was embedded for
    (``vectors``: leg -> query vector; the first one leads), the lexical ranking, and BM25 over
    whole articles (``units``)."""
    dense_rankings = []
    if method != "lexical":
        dense_rankings = [kb.legs[leg].search(vector, depth, allowed) for leg, vector in sorted(vectors.items())]
    terms = kb.lexical_query(query)
    lexical = kb.lexical.search(terms, depth, allowed) if method != "dense" else []
    unit_lexical: list[tuple[str, float]] = []
    if units and method != "dense" and not as_of:  # article documents hold today's words only
        mask = kb.units_of_rows(allowed)
        unit_lexical = [(kb.unit_ids[i], s) for i, s in kb.unit_lexical.search(terms, depth, mask)]
    dense, *more_dense = dense_rankings or [[]]
    return _Rankings(dense, lexical, unit_lexical, more_dense, query_language(query))


def stage_input(kb: KnowledgeBase, rankings: _Rankings) -> StageInput:
    """The first stage at article level: four unit rankings and their hybrid fusion.

    An article is ranked by its best clause in the dense and in the lexical ranking, by BM25 over
    the article as a whole, and by the recitals that explain it; recitals are not results of their
    own here but context attached to the articles they explain.
    """
    dense = _units_by_best_row(kb, rankings.dense)
    recitals = _units_via_recitals(kb, rankings.dense)
    lexical = _units_by_best_row(kb, rankings.lexical)
    articles = rankings.unit_lexical
    more_dense = [[u for u, _ in _units_by_best_row(kb, ranking)] for ranking in rankings.more_dense]
    unit_rankings = [[u for u, _ in dense], recitals, [u for u, _ in lexical], [u for u, _ in articles], *more_dense]
    dense_weight = DENSE_WEIGHTS.get(rankings.language, DENSE_WEIGHT)
    weights = [dense_weight, dense_weight, 1.0, 1.0, *[dense_weight] * len(more_dense)]
    present = [(ranking, w) for ranking, w in zip(unit_rankings, weights, strict=True) if ranking]
    fused = reciprocal_rank_fusion(
        [[(u, 0.0) for u in ranking] for ranking, _ in present], weights=[w for _, w in present]
    )
    return StageInput(dense, recitals, lexical, articles, fused)


def _article_hits(
    kb: KnowledgeBase, ordered_units: list[tuple[str, float]], fused_rows: list[tuple[int, float]], k: int
) -> list[Hit]:
    """Hits for the first ``k`` of ``ordered_units``, each with its best clause in ``fused_rows``
    and the recitals among them that explain it."""
    best_clause: dict[str, CatalogEntry] = {}
    matched: dict[str, list[str]] = {}
    recital_rows: list[str] = []
    for row, _ in fused_rows:
        clause = kb.row_clause(row)
        if clause.kind == "recital":
            recital_rows.append(clause.id)
            continue
        best_clause.setdefault(clause.unit_id, clause)
        matched.setdefault(clause.unit_id, [])
        if clause.id not in matched[clause.unit_id]:
            matched[clause.unit_id].append(clause.id)
    hits = []
    for unit_id, score in ordered_units[:k]:
        clause = best_clause.get(unit_id) or kb.clauses[unit_id]
        hit = _hit_for(kb, clause, score, matched.get(unit_id) or [clause.id])
        hit.recitals = [r for r in recital_rows if unit_id in kb.units_of_recital.get(r, ())][:3]
        hits.append(hit)
    return hits


def _units_by_best_row(kb: KnowledgeBase, ranking: list[tuple[int, float]]) -> list[tuple[str, float]]:
    """Articles in the order of their best clause, with that clause's score."""
    units: dict[str, float] = {}
    for row, score in ranking:
        if kb.row_clause(row).kind != "recital":
            units.setdefault(kb.row_units[row], score)
    return list(units.items())


def _units_via_recitals(kb: KnowledgeBase, ranking: list[tuple[int, float]]) -> list[str]:
    """Articles in the order their explaining recitals rank: recitals use the plain words of a
    situation more often than the articles do."""
    units: dict[str, None] = {}
    for row, _ in ranking:
        for unit in kb.units_of_recital.get(kb.index.keys[row].clause_id, ()):
            units.setdefault(unit, None)
    return list(units)


def _hit_for(kb: KnowledgeBase, clause: CatalogEntry, score: float, matched: list[str]) -> Hit:
    unit = kb.clauses.get(clause.unit_id, clause)
    return Hit(clause, unit, kb.citation(clause), score, snippet(kb, clause), matched)


def reciprocal_rank_fusion(
    rankings: list[list[tuple]], k: int = RRF_K, weights: list[float] | None = None
) -> list[tuple]:
    """Fuse rankings by summing weight/(k + rank); robust to the rankers' incomparable score scales."""
    fused: dict = {}
    for ranking, weight in zip(rankings, weights or [1.0] * len(rankings), strict=True):
        for rank, (item, _) in enumerate(ranking, 1):
            fused[item] = fused.get(item, 0.0) + weight / (k + rank)
    return sorted(fused.items(), key=lambda entry: -entry[1])


def query_language(query: str) -> str:
    """'ja' when most letters are Japanese script, else 'en' (the only languages held today)."""
    letters = [c for c in query if c.isalpha()]
    japanese = sum(1 for c in letters if is_cjk(c))
    return "ja" if letters and japanese / len(letters) > 0.3 else "en"


def check_query(query: str, max_chars: int) -> str:
    cleaned = " ".join((query or "").split())
    if not cleaned:
        raise InvalidQuery("the query is empty: describe the situation or name the topic")
    if len(cleaned) > max_chars:
        raise InvalidQuery(f"the query is {len(cleaned)} characters long; the limit is {max_chars}")
    return cleaned


def check_filters(kb: KnowledgeBase, filters: Filters) -> None:
    unknown = set(filters.sources) - set(kb.sources)
    if unknown:
        raise InvalidQuery(f"unknown source(s) {sorted(unknown)}; known: {sorted(kb.sources)}")


def allowed_rows(kb: KnowledgeBase, filters: Filters) -> np.ndarray:
    """A boolean mask over index rows: the versions in force (now or ``as_of``) that pass the
    filters. Cached per filter combination (``as_of`` ones are not: each date differs)."""
    key = filters.key()
    mask = kb._row_masks.get(key)
    if mask is None:
        mask = kb.rows_valid_at(filters.as_of)
        if filters != Filters(as_of=filters.as_of):
            mask = mask & kb.rows_of(_sources_passing(kb, filters), filters.languages)
        if filters.as_of is None:
            kb._row_masks[key] = mask
    return mask


def _sources_passing(kb: KnowledgeBase, filters: Filters) -> set[str]:
    return {
        source.id
        for source in kb.sources.values()
        if (not filters.sources or source.id in filters.sources)
        and (not filters.jurisdictions or source.jurisdiction in filters.jurisdictions)
        and (not filters.kinds or source.kind in filters.kinds)
        and (filters.binding is None or source.binding == filters.binding)
    }


def snippet(kb: KnowledgeBase, clause: CatalogEntry, limit: int = SNIPPET_CHARS) -> str:
    """The clause's text, or for a heading-only clause (an article of paragraphs) its first child's."""
    text = clause.text
    if not text:
        children = kb.children(clause.id)
        text = children[0].text if children else clause.title or ""
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut + " …"
