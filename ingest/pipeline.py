"""The ingest pipeline: read -> parse -> validate -> store with history -> embed -> index -> publish.

Everything is built in a new version directory beside the live one (see ``kb.store``) and
published in one step at the end. A source that is missing, fails to parse, or falls short of its
expected counts is reported and keeps its previous clauses; the other sources go ahead.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path

from sqlmodel import Session, select

from ingest.formats import parser_fingerprint, parser_for
from ingest.history import apply_version, clause_hash
from ingest.parsers import ParsedDocument, ParseError
from ingest.parsers.guideline_yaml import CheckItem as CheckItemRecord
from kb.database import prepare_version
from kb.diskerrors import unwritable
from kb.embedding import Embedder
from kb.errors import KBError
from kb.ids import ClauseId, InvalidClauseId
from kb.index import IndexCorrupt, IndexKey, VectorIndex, corpus_hash
from kb.indexing import (
    STRUCTURAL_KINDS,
    ClauseContext,
    build_indexes,
    embedding_text,
    recital_links,
)
from kb.models import CheckItem, Clause, ClauseVersion, RecitalLink, Source, Translation
from kb.records import ClauseRecord, TranslatedClause
from kb.registry import SourceEntry, load_registry
from kb.settings import Settings
from kb.store import DataDir, leg_index_dirs

log = logging.getLogger(__name__)


class SourceFailed(KBError, RuntimeError):
    """A source could not be ingested; the message names the source and says why."""

    code = "source_failed"
    http_status = 422


@dataclass
class SourceReport:
    source_id: str
    status: str  # ingested, reparsed (read again, no clause changed), unchanged, failed, unavailable
    message: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    added: list[str] = field(default_factory=list)
    amended: list[str] = field(default_factory=list)
    repealed: list[str] = field(default_factory=list)
    seconds: float = 0.0


@dataclass
class IngestReport:
    version: str
    sources: list[SourceReport]
    embedded: int
    indexed: int
    seconds: float
    published: bool = True
    schema_upgraded_from: str | None = None  # the live version's schema revision, when this ingest upgraded it

    @property
    def failed(self) -> list[SourceReport]:
        return [s for s in self.sources if s.status in ("failed", "unavailable")]


def ingest(
    settings: Settings,
    embedder: Embedder | None = None,
    only: list[str] | None = None,
    history: bool = False,
) -> IngestReport:
    """Ingest every registered source (or ``only`` those) and publish a new version.

    With ``history``, a source that has no recorded version yet is first ingested at each of its
    earlier official versions (registry ``history``), oldest first, so its changes are on record.
    Nothing is published when nothing changed.
    """
    started = time.perf_counter()
    entries = _select(load_registry(settings.registry_dir), only)
    if not settings.sources_dir.is_dir():
        raise SourceFailed(
            f"sources directory {settings.sources_dir} does not exist: set KB_SOURCES_DIR to the "
            "folder holding the official documents (one sub-folder per source)"
        )
    embedder = embedder or Embedder(settings.model_name)
    data = DataDir.of(settings)
    try:
        with data.writer_lock():
            return _ingest_locked(settings, embedder, data, entries, history, started)
    except Exception as exc:  # a full disk or a read-only data directory: say so, in words to act on
        problem = unwritable(exc, data)
        if problem is None:
            raise
        raise problem from exc


def _ingest_locked(
    settings: Settings, embedder: Embedder, data: DataDir, entries: list[SourceEntry], history: bool, started: float
) -> IngestReport:
    previous_version = data.current()
    version = data.new_version()
    engine = None
    try:
        engine, upgraded_from = prepare_version(data.database, version, previous_version)
        with Session(engine) as session:
            reports = [_ingest_one(session, entry, settings, history) for entry in entries]
            texts = _indexable_texts(session)
        previous_indexes = _load_previous_indexes(previous_version, embedder.leg_models)
        indexed = _indexes_current(previous_indexes, embedder.leg_models, corpus_hash(texts))
        if indexed and not upgraded_from and all(r.status == "unchanged" for r in reports):
            engine.dispose()
            data.discard(version)
            return IngestReport(previous_version.name, reports, 0, 0, time.perf_counter() - started, published=False)
        indexes, embedded = build_indexes(texts, embedder, previous_indexes)
        for index, directory in zip(indexes, leg_index_dirs(version, embedder.leg_models), strict=True):
            index.save(directory)
        index = indexes[0]
        with Session(engine) as session:
            _store_recital_links(session, index)
        engine.dispose()
        data.publish(version)
    except BaseException:
        if engine is not None:
            engine.dispose()  # let go of the half-built store before removing it
        data.discard(version)
        raise
    return IngestReport(
        version.name, reports, embedded, len(texts), time.perf_counter() - started, schema_upgraded_from=upgraded_from
    )


def _select(entries: list[SourceEntry], only: list[str] | None) -> list[SourceEntry]:
    if not only:
        return entries
    unknown = set(only) - {e.id for e in entries}
    if unknown:
        raise SourceFailed(f"unknown source(s) {sorted(unknown)}; registered: {[e.id for e in entries]}")
    return [e for e in entries if e.id in only]


def _ingest_one(session: Session, entry: SourceEntry, settings: Settings, history: bool) -> SourceReport:
    started = time.perf_counter()
    source = session.get(Source, entry.id) or Source(
        id=entry.id,
        title=entry.title,
        short_name=entry.short_name,
        issuer=entry.issuer,
        jurisdiction=entry.jurisdiction,
        kind=entry.kind,
        binding=entry.binding,
        official_url=entry.official_url,
    )
    _copy_metadata(entry, source)
    base = settings.registry_dir if entry.in_registry else settings.sources_dir
    fingerprint = parser_fingerprint(entry.parser)
    try:
        raw = read_files(entry.files, base, entry.id)
        raw_hash = _hash_files(raw)
        if source.status == "ingested" and source.raw_hash == raw_hash and source.parser_fingerprint == fingerprint:
            return SourceReport(entry.id, "unchanged", counts={}, seconds=time.perf_counter() - started)
        document = parse_and_validate(entry, raw)
        records, checks = document.records, document.checks
        translations = _parse_translations(entry, settings.sources_dir, records)
        earlier = _earlier_versions(entry, settings.sources_dir) if history and source.raw_hash is None else []
    except SourceFailed as exc:
        status = "unavailable" if isinstance(exc, SourceUnavailable) else "failed"
        source.status, source.status_reason = status, str(exc)
        session.add(source)
        session.commit()
        log.warning("%s", exc)
        return SourceReport(entry.id, status, str(exc), seconds=time.perf_counter() - started)
    for version_date, old_records, old_hash in earlier:
        apply_version(session, entry, source, old_records, [], old_hash, version_date)
    source.parser_fingerprint = fingerprint
    unrecorded = frozenset(entry.history[-1].omits) if earlier else frozenset()
    changes = apply_version(
        session, entry, source, records, translations, raw_hash, entry.version_date, entry.reenacted,
        first_recorded=unrecorded,
    )
    _replace_checks(session, entry.id, checks)
    return SourceReport(
        entry.id,
        "ingested" if changes else "reparsed",
        counts=dict(Counter(r.kind for r in records)),
        added=changes.added,
        amended=changes.amended,
        repealed=changes.repealed,
        seconds=time.perf_counter() - started,
    )


def _earlier_versions(entry: SourceEntry, sources_dir: Path) -> list[tuple[date, list[ClauseRecord], str]]:
    """The source's earlier official versions, parsed, oldest first."""
    out = []
    for earlier in entry.history:
        raw = read_files(earlier.files, sources_dir, entry.id)
        try:
            records = parser_for(earlier.parser)(raw, entry.id).records
        except ParseError as exc:
            raise SourceFailed(f"{entry.id} (version of {earlier.version_date}): cannot parse: {exc}") from exc
        validate_ids(entry, records)
        out.append((earlier.version_date, records, _hash_files(raw)))
    return out


class SourceUnavailable(SourceFailed):
    """The source's file is not in the sources directory."""


def read_files(files: tuple[str, ...], sources_dir: Path, source_id: str) -> list[bytes]:
    contents = []
    for name in files:
        path = sources_dir / name
        try:
            contents.append(path.read_bytes())
        except FileNotFoundError:
            raise SourceUnavailable(f"{source_id}: file {name} is missing from {sources_dir}") from None
        except OSError as exc:
            raise SourceUnavailable(f"{source_id}: cannot read {path}: {exc.strerror}") from None
    return contents


def parse_and_validate(entry: SourceEntry, raw: list[bytes]) -> ParsedDocument:
    """Parse the source and check the result against the registry; raise SourceFailed if short."""
    try:
        document = parser_for(entry.parser)(raw, entry.id)
    except ParseError as exc:
        raise SourceFailed(f"{entry.id}: cannot parse {', '.join(entry.files)}: {exc}") from exc
    validate(entry, document.records)
    return document


def validate(entry: SourceEntry, records: list[ClauseRecord]) -> None:
    counts = Counter(r.kind for r in records)
    shortfalls = [
        f"expected {want} {kind}(s), found {counts.get(kind, 0)}"
        for kind, want in entry.expected.items()
        if counts.get(kind, 0) != want
    ]
    if shortfalls:
        raise SourceFailed(f"{entry.id}: parse does not match the registry: {'; '.join(shortfalls)}")
    validate_ids(entry, records)


def validate_ids(entry: SourceEntry, records: list[ClauseRecord]) -> None:
    """Ids are well-formed, unique, of this source, and parents and units exist."""
    ids = [r.id for r in records]
    duplicates = sorted({i for i in ids if ids.count(i) > 1}) if len(set(ids)) != len(ids) else []
    if duplicates:
        raise SourceFailed(f"{entry.id}: duplicate clause ids {duplicates[:5]}")
    known = set(ids)
    for record in records:
        try:
            parsed = ClauseId.parse(record.id)
        except InvalidClauseId as exc:
            raise SourceFailed(f"{entry.id}: {exc}") from exc
        if parsed.source != entry.id:
            raise SourceFailed(f"{entry.id}: clause {record.id} does not belong to this source")
        dangling = [x for x in (record.parent, record.unit) if x and x not in known]
        if dangling:
            raise SourceFailed(f"{entry.id}: clause {record.id} points at missing clause {dangling[0]}")


def _parse_translations(
    entry: SourceEntry, sources_dir: Path, records: list[ClauseRecord]
) -> list[TranslatedClause]:
    """Clauses of a language version whose ids match the source's; the others are dropped. Where the
    registry names the original text a translation was made from, a clause whose current text
    differs from that original is marked outdated."""
    current = {r.id: clause_hash(r.title, r.text) for r in records}
    out: list[TranslatedClause] = []
    for translation in entry.translations:
        translated = _parse_version(entry, translation.parser, translation.files, sources_dir, translation.language)
        original = None
        if translation.original:
            original_records = _parse_version(entry, entry.parser, translation.original, sources_dir, "original")
            original = {r.id: clause_hash(r.title, r.text) for r in original_records}
        for record in translated:
            if record.id not in current or not (record.text or record.title):
                continue
            outdated = None if original is None else original.get(record.id) != current[record.id]
            out.append(
                TranslatedClause(record, translation.version_date, translation.legal_effect, translation.note, outdated)
            )
    return out


def _parse_version(
    entry: SourceEntry, parser: str, files: tuple[str, ...], sources_dir: Path, what: str
) -> list[ClauseRecord]:
    raw = read_files(files, sources_dir, entry.id)
    try:
        return parser_for(parser)(raw, entry.id).records
    except ParseError as exc:
        raise SourceFailed(f"{entry.id} ({what}): cannot parse: {exc}") from exc


def _replace_checks(session: Session, source_id: str, checks: list[CheckItemRecord]) -> None:
    for old in session.exec(select(CheckItem).where(CheckItem.source_id == source_id)):
        session.delete(old)
    session.flush()
    for check in checks:
        session.add(
            CheckItem(
                clause_id=check.clause_id,
                source_id=source_id,
                phases=list(check.phases),
                data_categories=list(check.data_categories),
                principles=list(check.principles),
            )
        )
    session.commit()


def _copy_metadata(entry: SourceEntry, source: Source) -> None:
    for name in (
        "title",
        "short_name",
        "issuer",
        "jurisdiction",
        "kind",
        "binding",
        "language",
        "version_date",
        "official_url",
    ):
        setattr(source, name, getattr(entry, name))


def _hash_files(raw: list[bytes]) -> str:
    digest = hashlib.sha256()
    for content in raw:
        digest.update(hashlib.sha256(content).digest())
    return digest.hexdigest()


def _indexable_texts(session: Session) -> list[IndexKey]:
    """One text per version of every non-structural clause (current and past, so that a search
    ``as_of`` a date finds the words in force then), plus one per translation."""
    clauses = session.exec(select(Clause).order_by(Clause.source_id, Clause.position)).all()
    short_names = {s.id: s.short_name for s in session.exec(select(Source))}
    contexts = {c.id: _context(c) for c in clauses}
    texts: list[IndexKey] = []
    versions = session.exec(select(ClauseVersion).order_by(ClauseVersion.clause_id, ClauseVersion.valid_from))
    for version in versions:
        clause = contexts.get(version.clause_id)
        if clause is None or clause.kind in STRUCTURAL_KINDS or not (version.text or version.title):
            continue
        text = embedding_text(
            clause, contexts, short_names[version.clause_id.split(":")[0]], text=version.text, title=version.title
        )
        texts.append(
            IndexKey.of(version.clause_id, clause.language, text, _iso(version.valid_from), _iso(version.valid_to))
        )
    translations = session.exec(select(Translation).order_by(Translation.clause_id)).all()
    for language in sorted({tr.language for tr in translations}):
        translated = _translated_contexts(contexts, [tr for tr in translations if tr.language == language])
        for tr in translations:
            clause = translated.get(tr.clause_id) if tr.language == language else None
            if clause is not None and clause.kind not in STRUCTURAL_KINDS:  # a chapter heading is no answer
                short = short_names[tr.clause_id.split(":")[0]]
                text = embedding_text(clause, translated, short, text=tr.text, title=tr.title)
                texts.append(IndexKey.of(tr.clause_id, tr.language, text))
    texts.sort(key=lambda t: (t.valid_to != "", t.clause_id))  # current rows first
    return texts


def _translated_contexts(
    contexts: dict[str, ClauseContext], translations: list[Translation]
) -> dict[str, ClauseContext]:
    """The clauses as one language's translation reads them, so that a translated item is embedded
    with its article's translated title and its paragraph's translated intro, not the original's."""
    out = dict(contexts)
    for tr in translations:
        clause = contexts.get(tr.clause_id)
        if clause is not None:
            out[tr.clause_id] = replace(clause, title=tr.title or clause.title, text=tr.text, language=tr.language)
    return out


def _iso(moment: datetime | None) -> str:
    if moment is None:
        return ""
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()


def _store_recital_links(session: Session, index: VectorIndex) -> None:
    live = session.exec(select(Clause).where(Clause.repealed == False)).all()  # noqa: E712 - SQL comparison
    kinds = {c.id: c.kind for c in live}
    units = {c.id: c.unit_id for c in live}
    for old in session.exec(select(RecitalLink)):
        session.delete(old)
    session.flush()
    for recital, unit, score in recital_links(index, kinds, units):
        session.add(RecitalLink(recital_id=recital, unit_id=unit, score=round(score, 4)))
    session.commit()


def _context(clause: Clause) -> ClauseContext:
    return ClauseContext(
        clause.id,
        clause.kind,
        clause.label,
        clause.title,
        clause.text,
        clause.parent_id,
        clause.unit_id,
        clause.language,
    )


def _indexes_current(indexes: list[VectorIndex | None], model_names: list[str], texts_hash: str) -> bool:
    """Whether every dense leg already has an index by its model over exactly these texts."""
    return all(
        index is not None and index.meta.model_name == name and index.meta.corpus_hash == texts_hash
        for index, name in zip(indexes, model_names, strict=True)
    )


def _load_previous_indexes(version: Path | None, model_names: list[str]) -> list[VectorIndex | None]:
    """The last version's index of each dense leg, where it has a usable one (its vectors are reused)."""
    if version is None:
        return [None] * len(model_names)
    return [_load_previous_index(directory) for directory in leg_index_dirs(version, model_names)]


def _load_previous_index(directory: Path) -> VectorIndex | None:
    if not directory.is_dir():
        return None  # a leg added since: it is embedded in full
    try:
        return VectorIndex.load(directory)
    except IndexCorrupt as exc:
        log.warning("previous index unusable, embedding everything again: %s", exc)
        return None
