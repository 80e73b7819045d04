"""The one entry point the API and the CLI share: settings, the current knowledge base, the model.

Both interfaces call the same methods, so a query typed at the command line and one sent over
HTTP run the same code.
"""

from __future__ import annotations

import dataclasses
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, time
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from kb.crosswalk import Crosswalk, CrosswalkError, load_crosswalk
from kb.database import mappings_engine
from kb.diskerrors import mapping_unstored
from kb.embedding import Embedder
from kb.errors import KBError
from kb.ids import ClauseId
from kb.knowledge import CatalogEntry, KnowledgeBase, Library
from kb.mapping import Mapping, MapRequest, map_use_case, theme_vectors
from kb.models import SourceVersion, StoredMapping
from kb.presenters import mapping_record
from kb.ranking import RankingModel
from kb.search import Filters, Hit, InvalidQuery, search
from kb.settings import Settings
from kb.views import MappingQuery, MappingRecord
from kb.vocabulary import JURISDICTIONS, LANGUAGES, SOURCE_KINDS, canonical, canonical_jurisdictions

log = logging.getLogger(__name__)


if TYPE_CHECKING:
    from kb.assessment import Assessments

class UnknownClause(KBError, LookupError):
    """No clause with that id in the knowledge base."""

    code = "unknown_clause"
    http_status = 404


class UnknownSource(KBError, LookupError):
    """No source with that id in the knowledge base."""

    code = "unknown_source"
    http_status = 404


class UnknownMapping(KBError, LookupError):
    """No stored mapping with that id."""

    code = "unknown_mapping"
    http_status = 404


@dataclass
class SearchOutcome:
    kb: KnowledgeBase
    query: str
    hits: list[Hit]

    @property
    def named_sources(self) -> list[str]:
        """The sources the query names, whose articles come first (kb/naming.py)."""
        return sorted(self.kb.sources_named(self.query))


def checked_filters(kb: KnowledgeBase, filters: Filters) -> Filters:
    """The filters with jurisdictions, kinds and languages spelled as the knowledge base spells them
    (``eu`` is ``EU``); InvalidQuery listing the valid values for one it does not know, so that a
    mistyped filter is not read as "nothing applies"."""
    sources = kb.sources.values()
    allowed = {
        "jurisdiction": tuple(dict.fromkeys([*JURISDICTIONS, *(s.jurisdiction for s in sources)])),
        "kind": tuple(dict.fromkeys([*SOURCE_KINDS, *(s.kind for s in sources)])),
        "language": tuple(dict.fromkeys([*LANGUAGES, *(s.language for s in sources)])),
    }
    try:
        return dataclasses.replace(
            filters,
            jurisdictions=canonical(filters.jurisdictions, allowed["jurisdiction"], "jurisdiction"),
            kinds=canonical(filters.kinds, allowed["kind"], "kind"),
            languages=canonical(filters.languages, allowed["language"], "language"),
        )
    except ValueError as exc:
        raise InvalidQuery(str(exc)) from exc


class ClauseMap:
    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self.library = Library(settings)
        self.embedder = embedder or Embedder(
            settings.model_name, threads=settings.query_threads, languages=settings.model_languages
        )

    def kb(self) -> KnowledgeBase:
        return self.library.get()

    @cached_property
    def ranker(self) -> RankingModel | None:
        """The learned ranking stage, or None (hybrid order) when no ranker file is installed."""
        path = self.settings.ranker_file or self.settings.registry_dir / "ranker.json"
        if not path.is_file():
            log.warning("no ranker at %s: search uses the hybrid order", path)
            return None
        return RankingModel.load(path)

    def warm_up(self) -> None:
        """Open the knowledge base and load the model now, so the first query is not slow."""
        self.kb()
        self.embedder.encode(["warm up"])
        try:
            self._theme_vectors  # noqa: B018 - computed now, not on the first mapping
        except CrosswalkError as exc:  # search still works; mapping will say what is wrong
            log.error("crosswalk unavailable: %s", exc)

    def search(
        self,
        query: str,
        k: int = 10,
        filters: Filters | None = None,
        group: str = "article",
        method: str = "ranked",
    ) -> SearchOutcome:
        if not 1 <= k <= self.settings.max_k:
            raise InvalidQuery(f"k must be between 1 and {self.settings.max_k}, not {k}")
        kb = self.kb()
        filters = checked_filters(kb, filters) if filters is not None else None
        ranker = self.ranker if len(query.split()) >= self.settings.ranked_min_words else None
        hits = search(kb, self.embedder, query, k, filters, group, self.settings.max_query_chars, method, ranker)
        return SearchOutcome(kb, query, hits)

    def search_variants(
        self, kb: KnowledgeBase, query: str, k: int, filter_sets: list[Filters], group: str = "article"
    ) -> dict[Filters, list[Hit]]:
        """The same query under several filters (the web page's facet counts), embedded once (the
        embedder caches query vectors), each distinct set of filters searched once."""
        filter_sets = [checked_filters(kb, f) for f in filter_sets]
        limit = self.settings.max_query_chars
        return {f: search(kb, self.embedder, query, k, f, group, limit) for f in dict.fromkeys(filter_sets)}

    def clause(self, clause_id: str, as_of: datetime | None = None) -> tuple[KnowledgeBase, CatalogEntry]:
        """A clause as it reads now (repealed ones included, marked) or as it read ``as_of``."""
        canonical = str(ClauseId.parse(clause_id))  # raises InvalidClauseId with a clear message
        kb = self.kb()
        clause = kb.clauses.get(canonical)
        if clause is None:
            raise UnknownClause(f"no clause {canonical!r} in the knowledge base (version {kb.version})")
        if as_of is None:
            return kb, clause
        then = kb.clause_at(canonical, as_of)
        if then is None:
            raise UnknownClause(f"clause {canonical!r} was not in force on {as_of:%Y-%m-%d}")
        return kb, then

    @cached_property
    def crosswalk(self) -> Crosswalk:
        return load_crosswalk(self.settings.registry_dir)

    @cached_property
    def _theme_vectors(self) -> list[np.ndarray]:
        return theme_vectors(self.embedder, self.crosswalk)

    def map(self, request: MapRequest) -> tuple[KnowledgeBase, Mapping]:
        """The themes, principles, clauses and checks that apply to a described use case."""
        kb = self.kb()
        registry = self.settings.registry_dir
        return kb, map_use_case(kb, self.embedder, self.crosswalk, self._theme_vectors, request, registry, self.ranker)

    @cached_property
    def assessments(self) -> Assessments:
        """Governance self-assessments against the registry's frameworks (kb/assessment.py)."""
        from kb.assessment import Assessments

        return Assessments(self)

    @cached_property
    def _mappings(self) -> Engine:
        return mappings_engine(self.settings)

    def map_and_store(self, query: MappingQuery) -> MappingRecord:
        """Map a use case and store the answer: the API, the CLI and the web page all answer with this."""
        as_of = datetime.combine(query.as_of, time.max, tzinfo=UTC) if query.as_of else None
        try:
            jurisdictions = canonical_jurisdictions(tuple(query.jurisdictions))
        except ValueError as exc:
            raise InvalidQuery(str(exc)) from exc
        query = query.model_copy(update={"jurisdictions": list(jurisdictions)})
        request = MapRequest(
            query.description,
            jurisdictions,
            query.phase,
            tuple(query.data_categories),
            query.k,
            as_of,
            role=query.role,
            sector=query.sector,
            general_purpose=query.general_purpose,
            eu_market=query.eu_market,
        )
        kb, mapping = self.map(request)
        draft = mapping_record(kb, mapping, query, "0" * 32, datetime.now(UTC))
        try:
            stored = self.save_mapping(kb.version, query.model_dump(mode="json"), draft.model_dump(mode="json"))
        except Exception as exc:  # data/mappings.sqlite on a full disk or a read-only data directory: say so
            problem = None if self.settings.mappings_url else mapping_unstored(exc, self.settings.data_dir)
            if problem is None:
                raise
            raise problem from exc
        return draft.model_copy(update={"id": stored.id, "created_at": stored.created_at})

    def mapping(self, mapping_id: str) -> MappingRecord:
        """A stored mapping, read back in the core's own shape (rows stored before the shape had a name
        have the same fields)."""
        stored = self.stored_mapping(mapping_id)
        return MappingRecord.model_validate({**stored.response, "id": stored.id, "created_at": stored.created_at})

    def save_mapping(self, kb_version: str, request: dict, response: dict) -> StoredMapping:
        stored = StoredMapping(id=uuid.uuid4().hex, kb_version=kb_version, request=request, response=response)
        with Session(self._mappings) as session:
            session.add(stored)
            session.commit()
            session.refresh(stored)
        return stored

    def stored_mapping(self, mapping_id: str) -> StoredMapping:
        with Session(self._mappings) as session:
            stored = session.get(StoredMapping, mapping_id)
        if stored is None:
            raise UnknownMapping(f"no stored mapping {mapping_id!r}")
        return stored

    def changes(self, since: datetime | None = None, source: str | None = None) -> list[SourceVersion]:
        """The recorded versions of the sources that changed something, newest first."""
        kb = self.kb()
        if source is not None and source not in kb.sources:
            raise UnknownSource(f"no source {source!r}; known: {sorted(kb.sources)}")
        query = select(SourceVersion).order_by(col(SourceVersion.effective_at).desc(), col(SourceVersion.id).desc())
        if source is not None:
            query = query.where(SourceVersion.source_id == source)
        if since is not None:
            query = query.where(SourceVersion.effective_at >= (since if since.tzinfo else since.replace(tzinfo=UTC)))
        with kb.session() as session:
            return list(session.exec(query))
