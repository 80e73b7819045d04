"""Search: a query in plain words -> the clauses that matter, grouped at the level asked for.

Filters (source, jurisdiction, kind of source, binding, language) select index rows *before*
ranking, so a filtered search never comes back short because unfiltered rows filled the top.
With ``group="article"`` each result is one top-level unit (article, recital, principle), ranked
by its best-matching clause, which is reported as the result's clause.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from kb.embedding import Embedder
from kb.knowledge import CatalogEntry, KnowledgeBase

SNIPPET_CHARS = 320
GROUPS = ("article", "clause")


class InvalidQuery(ValueError):
    """The query or its options are not acceptable; the message says why."""


@dataclass(frozen=True)
class Filters:
    sources: tuple[str, ...] = ()
    jurisdictions: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    binding: bool | None = None
    languages: tuple[str, ...] = ()

    def key(self) -> tuple:
        return (self.sources, self.jurisdictions, self.kinds, self.binding, self.languages)


@dataclass
class Hit:
    clause: CatalogEntry
    unit: CatalogEntry
    citation: str
    score: float
    snippet: str
    matched: list[str] = field(default_factory=list)


def search(
    kb: KnowledgeBase,
    embedder: Embedder,
    query: str,
    k: int = 10,
    filters: Filters | None = None,
    group: str = "article",
    max_query_chars: int = 2000,
) -> list[Hit]:
    query = check_query(query, max_query_chars)
    if group not in GROUPS:
        raise InvalidQuery(f"group must be one of {GROUPS}, not {group!r}")
    filters = filters or Filters()
    check_filters(kb, filters)
    allowed = allowed_rows(kb, filters, units_only=group == "article")
    vector = embedder.encode([query])[0]
    depth = k if group == "clause" else min(kb.index.index.ntotal, max(k * 20, 200))
    ranked = kb.index.search(vector, depth, allowed)
    return _group(kb, ranked, k, group)


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


def allowed_rows(kb: KnowledgeBase, filters: Filters, units_only: bool = False) -> np.ndarray | None:
    """A boolean mask over index rows, cached per filter combination; None means all rows.

    ``units_only`` leaves out recitals: in article-level results they explain articles rather
    than stand beside them.
    """
    if filters == Filters() and not units_only:
        return None
    key = (*filters.key(), units_only)
    mask = kb._row_masks.get(key)
    if mask is None:
        mask = np.array([_passes(kb, k.clause_id, k.language, filters, units_only) for k in kb.index.keys], dtype=bool)
        kb._row_masks[key] = mask
    return mask


def _passes(kb: KnowledgeBase, clause_id: str, language: str, filters: Filters, units_only: bool) -> bool:
    clause = kb.clauses.get(clause_id)
    if clause is None or (units_only and clause.kind == "recital"):
        return False
    source = kb.sources[clause.source_id]
    return (
        (not filters.sources or source.id in filters.sources)
        and (not filters.jurisdictions or source.jurisdiction in filters.jurisdictions)
        and (not filters.kinds or source.kind in filters.kinds)
        and (filters.binding is None or source.binding == filters.binding)
        and (not filters.languages or language in filters.languages)
    )


def _group(kb: KnowledgeBase, ranked: list[tuple[int, float]], k: int, group: str) -> list[Hit]:
    hits: dict[str, Hit] = {}
    for row, score in ranked:
        clause = kb.row_clause(row)
        key = clause.id if group == "clause" else clause.unit_id
        hit = hits.get(key)
        if hit is None:
            if len(hits) >= k:
                continue
            unit = kb.clauses.get(clause.unit_id, clause)
            hits[key] = Hit(clause, unit, kb.citation(clause), score, snippet(kb, clause), [clause.id])
        elif clause.id not in hit.matched:
            hit.matched.append(clause.id)
    return sorted(hits.values(), key=lambda h: -h.score)


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
