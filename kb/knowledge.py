"""A published version of the knowledge base, opened for reading.

``KnowledgeBase`` holds the database engine, the vector and lexical indexes and an in-memory
catalogue of every clause (a few thousand rows, repealed ones included so that stored ids stay
resolvable), so a search touches no disk. ``Library`` hands out the current one and switches to a
newly published version without a restart.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, or_, select

from kb.database import VersionDatabase, open_version
from kb.embedding import leg_names
from kb.index import IndexCorrupt, VectorIndex
from kb.lexical import LexicalIndex, QueryExpander, tokenize
from kb.models import Clause, ClauseVersion, RecitalLink, Reference, Source, Translation
from kb.naming import NAMES_FILE, SourceNames
from kb.settings import Settings
from kb.store import DataDir, leg_index_dirs


@dataclass(frozen=True)
class CatalogEntry:
    """What search needs to know about a clause without asking the database."""

    id: str
    source_id: str
    kind: str
    number: str
    label: str
    title: str | None
    text: str
    parent_id: str | None
    unit_id: str
    url: str
    language: str
    position: int
    repealed: bool = False


SYNONYMS_FILE = "synonyms.yaml"


def load_legs(version: Path, model_names: list[str]) -> list[VectorIndex]:
    """Each dense leg's index, checked to be built with its model over the same texts as the first
    (whose keys, the texts, the others share)."""
    directories = leg_index_dirs(version, model_names)
    first = VectorIndex.load(directories[0], expected_model=model_names[0])
    legs = [first]
    for directory, name in zip(directories[1:], model_names[1:], strict=True):
        leg = VectorIndex.load(directory, expected_model=name, keys_of=first)
        if leg.meta.corpus_hash != first.meta.corpus_hash:
            raise IndexCorrupt(
                f"the {name!r} index of {version.name} holds other texts than the "
                f"{first.meta.model_name!r} one: re-run `kb ingest`"
            )
        legs.append(leg)
    return legs


class KnowledgeBase:
    def __init__(self, version: Path, settings: Settings, database: VersionDatabase) -> None:
        self.version = version.name
        self.legs = load_legs(version, leg_names(settings.model_name))  # before any connection
        self.index = self.legs[0]  # the primary leg: its keys are every leg's keys
        self.lexical = LexicalIndex([key.text for key in self.index.keys])
        self.expander = QueryExpander.from_file(settings.registry_dir / SYNONYMS_FILE)
        self.names = SourceNames.from_file(settings.registry_dir / NAMES_FILE)
        self.engine: Engine = open_version(database, version)
        try:
            links, references = self._read_catalogue()
        except BaseException:
            self.engine.dispose()  # a version that cannot be opened keeps no connection
            raise
        self._cites: dict[str, list[str]] = {}
        self._cited_by: dict[str, list[str]] = {}
        for ref in references:
            self._cites.setdefault(ref.from_id, []).append(ref.to_id)
            self._cited_by.setdefault(ref.to_id, []).append(ref.from_id)
        self.recitals_of: dict[str, list[str]] = {}
        self.units_of_recital: dict[str, list[str]] = {}
        for link in links:
            self.recitals_of.setdefault(link.unit_id, []).append(link.recital_id)
            self.units_of_recital.setdefault(link.recital_id, []).append(link.unit_id)
        keys = self.index.keys
        self.row_units = [self.clauses[key.clause_id].unit_id for key in keys]
        self.current_rows = np.array([not key.valid_to for key in keys], dtype=bool)
        self.unit_ids, self.unit_lexical = self._unit_documents()
        # Per-row columns, so that a filter or a date is one vectorised comparison even at 10^6 rows.
        self._row_source = np.array([self.clauses[key.clause_id].source_id for key in keys], dtype=str)
        self._row_language = np.array([key.language for key in keys], dtype=str)
        self._valid_from = np.array([key.valid_from for key in keys], dtype=str)
        self._valid_to = np.array([key.valid_to for key in keys], dtype=str)
        unit_position = {unit: i for i, unit in enumerate(self.unit_ids)}
        self._row_unit = np.array([unit_position.get(unit, -1) for unit in self.row_units], dtype=np.int64)
        self._children: dict[str, list[CatalogEntry]] = {}
        for entry in sorted(self.clauses.values(), key=lambda c: c.position):
            if entry.parent_id and not entry.repealed:
                self._children.setdefault(entry.parent_id, []).append(entry)
        self._row_masks: dict[tuple, np.ndarray] = {}

    def _read_catalogue(self) -> tuple[list[RecitalLink], list[Reference]]:
        """Sources, clauses and translations into memory; returns the recital links and references."""
        with Session(self.engine) as session:
            self.sources: dict[str, Source] = {s.id: s for s in session.exec(select(Source))}
            self.clauses: dict[str, CatalogEntry] = {r.id: _entry(r) for r in session.exec(select(Clause))}
            self.translations: dict[tuple[str, str], Translation] = {
                (t.clause_id, t.language): t for t in session.exec(select(Translation))
            }
            links = session.exec(select(RecitalLink).order_by(col(RecitalLink.score).desc())).all()
            return list(links), list(session.exec(select(Reference)))

    def _unit_documents(self) -> tuple[list[str], LexicalIndex]:
        """One BM25 document per article (all its current clauses' texts), recitals left out: a long
        description often matches an article as a whole better than any one paragraph."""
        texts: dict[str, list[str]] = {}
        for row, (key, unit) in enumerate(zip(self.index.keys, self.row_units, strict=True)):
            if self.current_rows[row] and self.clauses[key.clause_id].kind != "recital":
                texts.setdefault(unit, []).append(key.text)
        unit_ids = list(texts)
        return unit_ids, LexicalIndex([" ".join(texts[u]) for u in unit_ids])

    def rows_valid_at(self, moment: datetime | None) -> np.ndarray:
        """Rows of the clause versions in force at ``moment`` (None: now). The bounds are ISO
        timestamps in UTC, so comparing them as strings compares the moments."""
        if moment is None:
            return self.current_rows
        stamp = _aware(moment).astimezone(UTC).isoformat()
        started = (self._valid_from == "") | (self._valid_from <= stamp)
        return started & ((self._valid_to == "") | (self._valid_to > stamp))

    def rows_of(self, sources: set[str], languages: tuple[str, ...] = ()) -> np.ndarray:
        """Rows of clauses of ``sources`` (in one of ``languages``, if any are given)."""
        mask = np.isin(self._row_source, sorted(sources))
        return mask & np.isin(self._row_language, list(languages)) if languages else mask

    def units_of_rows(self, rows: np.ndarray) -> np.ndarray:
        """A mask over ``unit_ids``: the articles (units) that hold at least one of ``rows``."""
        mask = np.zeros(len(self.unit_ids), dtype=bool)
        units = self._row_unit[rows]
        mask[units[units >= 0]] = True
        return mask

    def lexical_query(self, query: str) -> list[str]:
        """The query's search terms with the sources' vocabulary added for its lay words."""
        return self.expander.expand(tokenize(query))

    def row_source(self, row: int) -> str:
        return str(self._row_source[row])

    def sources_named(self, query: str) -> frozenset[str]:
        """The sources the query names, by name or by jurisdiction (kb/naming.py)."""
        return self.names.named_sources(query, {s.id: s.jurisdiction for s in self.sources.values()})

    def citation(self, clause: CatalogEntry) -> str:
        return f"{self.sources[clause.source_id].short_name} {clause.label}"

    def row_clause(self, row: int) -> CatalogEntry:
        """The clause of an index row; for a past version's row, with that version's words."""
        key = self.index.keys[row]
        clause = self.clauses[key.clause_id]
        if key.valid_to and key.valid_from:
            return self.clause_at(clause.id, datetime.fromisoformat(key.valid_from)) or clause
        return clause

    def clause_at(self, clause_id: str, moment: datetime | None) -> CatalogEntry | None:
        """The clause as it read at ``moment`` (None: now); None if it was not in force then."""
        clause = self.clauses.get(clause_id)
        if clause is None or moment is None:
            return None if clause is None or clause.repealed else clause
        stamp = _aware(moment)
        with self.session() as session:
            version = session.exec(
                select(ClauseVersion).where(
                    ClauseVersion.clause_id == clause_id,
                    ClauseVersion.valid_from <= stamp,
                    or_(ClauseVersion.valid_to == None, ClauseVersion.valid_to > stamp),  # noqa: E711
                )
            ).first()
        if version is None:
            return None
        return replace(clause, title=version.title, text=version.text, repealed=False)

    def history(self, clause_id: str) -> list[ClauseVersion]:
        with self.session() as session:
            return clause_versions(session, clause_id)

    def session(self) -> Session:
        return Session(self.engine)

    def references(self, clause_id: str) -> tuple[list[str], list[str]]:
        """(ids this clause cites, ids that cite it)."""
        return self._cites.get(clause_id, []), self._cited_by.get(clause_id, [])

    def children(self, clause_id: str) -> list[CatalogEntry]:
        return self._children.get(clause_id, [])

    def ancestors(self, clause: CatalogEntry) -> list[CatalogEntry]:
        """From the outermost (chapter) down to the clause's parent."""
        chain = []
        current = self.clauses.get(clause.parent_id) if clause.parent_id else None
        while current is not None:
            chain.append(current)
            current = self.clauses.get(current.parent_id) if current.parent_id else None
        return list(reversed(chain))

    def close(self) -> None:
        self.engine.dispose()


def _entry(row: Clause) -> CatalogEntry:
    return CatalogEntry(
        row.id, row.source_id, row.kind, row.number, row.label, row.title, row.text, row.parent_id,
        row.unit_id, row.url, row.language, row.position, row.repealed,
    )


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class Library:
    """Hands out the current ``KnowledgeBase``, reopening it when a new version is published."""

    CHECK_INTERVAL_S = 1.0

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.data = DataDir.of(settings)
        self._current: KnowledgeBase | None = None
        self._checked_at = 0.0
        self._lock = threading.Lock()

    def get(self) -> KnowledgeBase:
        now = time.monotonic()
        if self._current is not None and now - self._checked_at < self.CHECK_INTERVAL_S:
            return self._current
        with self._lock:
            self._checked_at = now
            version = self.data.require_current()
            if self._current is None or self._current.version != version.name:
                previous, self._current = self._current, KnowledgeBase(version, self.settings, self.data.database)
                if previous is not None:
                    previous.close()  # requests still using it keep their connections until they return them
            return self._current


def clause_versions(session: Session, clause_id: str) -> list[ClauseVersion]:
    """A clause's versions, oldest first; a renumbered provision's history reaches back through the
    ids it had before (OECD 1.5(b) of 2024 begins as 1.4(b) of 2019), up to its move."""
    seen: set[str] = set()
    versions: list[ClauseVersion] = []
    while clause_id not in seen:
        seen.add(clause_id)
        query = select(ClauseVersion).where(ClauseVersion.clause_id == clause_id)
        own = list(session.exec(query.order_by(ClauseVersion.valid_from)))
        if versions:  # the earlier id's versions, up to the move
            own = [v for v in own if v.valid_to is not None and v.valid_to <= versions[0].valid_from]
        versions = own + versions
        if not own or own[0].moved_from is None:
            break
        clause_id = own[0].moved_from
    return versions
