"""The one entry point the API and the CLI share: settings, the current knowledge base, the model.

Both interfaces call the same methods, so a query typed at the command line and one sent over
HTTP run the same code.
"""

from __future__ import annotations

from dataclasses import dataclass

from kb.embedding import Embedder
from kb.ids import ClauseId
from kb.knowledge import CatalogEntry, KnowledgeBase, Library
from kb.search import Filters, Hit, InvalidQuery, search
from kb.settings import Settings


class UnknownClause(LookupError):
    """No clause with that id in the knowledge base."""


@dataclass
class SearchOutcome:
    kb: KnowledgeBase
    query: str
    hits: list[Hit]


class ClauseMap:
    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self.library = Library(settings)
        self.embedder = embedder or Embedder(
            settings.model_name, threads=settings.query_threads, languages=settings.model_languages
        )

    def kb(self) -> KnowledgeBase:
        return self.library.get()

    def warm_up(self) -> None:
        """Open the knowledge base and load the model now, so the first query is not slow."""
        self.kb()
        self.embedder.encode(["warm up"])

    def search(
        self,
        query: str,
        k: int = 10,
        filters: Filters | None = None,
        group: str = "article",
        method: str = "hybrid",
    ) -> SearchOutcome:
        if not 1 <= k <= self.settings.max_k:
            raise InvalidQuery(f"k must be between 1 and {self.settings.max_k}, not {k}")
        kb = self.kb()
        hits = search(kb, self.embedder, query, k, filters, group, self.settings.max_query_chars, method)
        return SearchOutcome(kb, query, hits)

    def clause(self, clause_id: str) -> tuple[KnowledgeBase, CatalogEntry]:
        canonical = str(ClauseId.parse(clause_id))  # raises InvalidClauseId with a clear message
        kb = self.kb()
        clause = kb.clauses.get(canonical)
        if clause is None:
            raise UnknownClause(f"no clause {canonical!r} in the knowledge base (version {kb.version})")
        return kb, clause
