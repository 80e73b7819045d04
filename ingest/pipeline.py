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
from dataclasses import dataclass, field
from pathlib import Path

from sqlmodel import Session, select

from ingest.formats import CHECK_READERS, parser_for
from ingest.parsers import ParseError
from ingest.parsers.guideline_yaml import CheckItem as CheckItemRecord
from kb.embedding import Embedder
from kb.ids import ClauseId, InvalidClauseId
from kb.index import IndexCorrupt, VectorIndex
from kb.indexing import (
    STRUCTURAL_KINDS,
    ClauseContext,
    IndexableText,
    build_index,
    embedding_text,
    recital_links,
)
from kb.models import (
    CheckItem,
    Clause,
    ClauseVersion,
    RecitalLink,
    Reference,
    Source,
    SourceVersion,
    Translation,
    utcnow,
)
from kb.records import ClauseRecord
from kb.registry import SourceEntry, load_registry
from kb.settings import Settings
from kb.store import INDEX_DIR, DataDir, open_engine, sqlite_url

log = logging.getLogger(__name__)


class SourceFailed(RuntimeError):
    """A source could not be ingested; the message names the source and says why."""


@dataclass
class SourceReport:
    source_id: str
    status: str  # ingested, unchanged, failed, unavailable
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

    @property
    def failed(self) -> list[SourceReport]:
        return [s for s in self.sources if s.status in ("failed", "unavailable")]


def ingest(settings: Settings, embedder: Embedder | None = None, only: list[str] | None = None) -> IngestReport:
    """Ingest every registered source (or ``only`` those) and publish a new version."""
    started = time.perf_counter()
    entries = load_registry(settings.registry_dir)
    if only:
        unknown = set(only) - {e.id for e in entries}
        if unknown:
            raise SourceFailed(f"unknown source(s) {sorted(unknown)}; registered: {[e.id for e in entries]}")
        entries = [e for e in entries if e.id in only]
    if not settings.sources_dir.is_dir():
        raise SourceFailed(
            f"sources directory {settings.sources_dir} does not exist: set KB_SOURCES_DIR to the "
            "folder holding the official documents (one sub-folder per source)"
        )
    embedder = embedder or Embedder(settings.model_name)
    data = DataDir(settings.data_dir)
    previous_version = data.current()
    version = data.new_version()
    try:
        engine = open_engine(sqlite_url(version))
        with Session(engine) as session:
            reports = [_ingest_one(session, entry, settings.sources_dir, settings.registry_dir) for entry in entries]
            texts = _indexable_texts(session)
        previous_index = _load_previous_index(previous_version)
        index, embedded = build_index(texts, embedder, previous_index)
        index.save(version / INDEX_DIR)
        with Session(engine) as session:
            _store_recital_links(session, index)
        engine.dispose()
        data.publish(version)
    except BaseException:
        data.discard(version)
        raise
    return IngestReport(version.name, reports, embedded, len(texts), time.perf_counter() - started)


def _ingest_one(session: Session, entry: SourceEntry, sources_dir: Path, registry_dir: Path) -> SourceReport:
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
    try:
        raw = read_files(entry.files, registry_dir if entry.in_registry else sources_dir, entry.id)
        raw_hash = _hash_files(raw)
        records = parse_and_validate(entry, raw)
        translations = _parse_translations(entry, sources_dir, {r.id for r in records})
        checks = _read_checks(entry, raw)
    except SourceFailed as exc:
        status = "unavailable" if isinstance(exc, SourceUnavailable) else "failed"
        source.status, source.status_reason = status, str(exc)
        session.add(source)
        session.commit()
        log.warning("%s", exc)
        return SourceReport(entry.id, status, str(exc), seconds=time.perf_counter() - started)
    report = _store(session, entry, source, records, translations, raw_hash)
    _replace_checks(session, entry.id, checks)
    report.seconds = time.perf_counter() - started
    return report


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


def parse_and_validate(entry: SourceEntry, raw: list[bytes]) -> list[ClauseRecord]:
    """Parse the source and check the result against the registry; raise SourceFailed if short."""
    try:
        records = parser_for(entry.parser)(raw, entry.id)
    except ParseError as exc:
        raise SourceFailed(f"{entry.id}: cannot parse {', '.join(entry.files)}: {exc}") from exc
    validate(entry, records)
    return records


def validate(entry: SourceEntry, records: list[ClauseRecord]) -> None:
    counts = Counter(r.kind for r in records)
    shortfalls = [
        f"expected {want} {kind}(s), found {counts.get(kind, 0)}"
        for kind, want in entry.expected.items()
        if counts.get(kind, 0) != want
    ]
    if shortfalls:
        raise SourceFailed(f"{entry.id}: parse does not match the registry: {'; '.join(shortfalls)}")
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


def _parse_translations(entry: SourceEntry, sources_dir: Path, known: set[str]) -> list[ClauseRecord]:
    """Clauses of a language version whose ids match the source's; the others are dropped."""
    out: list[ClauseRecord] = []
    for translation in entry.translations:
        raw = read_files(translation.files, sources_dir, entry.id)
        try:
            records = parser_for(translation.parser)(raw, entry.id)
        except ParseError as exc:
            raise SourceFailed(f"{entry.id} ({translation.language}): cannot parse: {exc}") from exc
        out.extend(r for r in records if r.id in known and r.text)
    return out


def _store(
    session: Session,
    entry: SourceEntry,
    source: Source,
    records: list[ClauseRecord],
    translations: list[ClauseRecord],
    raw_hash: str,
) -> SourceReport:
    """Upsert the clauses of one source, keeping history; returns what changed."""
    now = utcnow()
    existing = {c.id: c for c in session.exec(select(Clause).where(Clause.source_id == entry.id))}
    report = SourceReport(entry.id, "ingested", counts=dict(Counter(r.kind for r in records)))
    units = {r.id: r for r in records}
    session.add(source)
    session.flush()
    for record in records:
        content_hash = clause_hash(record)
        url = entry.url_for(record.anchor, units[record.unit or record.id].number)
        row = existing.pop(record.id, None)
        if row is None:
            row = Clause(
                id=record.id,
                source_id=entry.id,
                kind=record.kind,
                number=record.number,
                label=record.label,
                url=url,
                unit_id=record.unit or record.id,
                content_hash="",
            )
            report.added.append(record.id)
        elif row.content_hash != content_hash or row.repealed:
            report.amended.append(record.id)
        _fill(row, record, url, content_hash)
        if report.amended and report.amended[-1] == record.id:
            _close_versions(session, record.id, now)
        if record.id in (report.added[-1:] + report.amended[-1:]):
            session.add(
                ClauseVersion(
                    clause_id=record.id, title=record.title, text=record.text, content_hash=content_hash, valid_from=now
                )
            )
        session.add(row)
    for gone in existing.values():
        if not gone.repealed:
            gone.repealed = True
            report.repealed.append(gone.id)
            _close_versions(session, gone.id, now)
            session.add(gone)
    _replace_references(session, entry.id, records)
    _replace_translations(session, [r.id for r in records], translations)
    changed = report.added or report.amended or report.repealed or source.raw_hash != raw_hash
    if changed:
        session.add(
            SourceVersion(
                source_id=entry.id,
                version_date=entry.version_date,
                raw_hash=raw_hash,
                ingested_at=now,
                added=len(report.added),
                amended=len(report.amended),
                repealed=len(report.repealed),
            )
        )
    else:
        report.status = "unchanged"
    source.status, source.status_reason = "ingested", None
    source.clause_count = len(records)
    source.raw_hash = raw_hash
    source.ingested_at = now if changed or source.ingested_at is None else source.ingested_at
    session.add(source)
    session.commit()
    return report


def _fill(row: Clause, record: ClauseRecord, url: str, content_hash: str) -> None:
    row.kind, row.number, row.label = record.kind, record.number, record.label
    row.title, row.text, row.parent_id = record.title, record.text, record.parent
    row.unit_id, row.position, row.language = record.unit or record.id, record.position, record.language
    row.url, row.content_hash, row.repealed = url, content_hash, False


def _close_versions(session: Session, clause_id: str, now) -> None:
    for open_version in session.exec(
        select(ClauseVersion).where(ClauseVersion.clause_id == clause_id, ClauseVersion.valid_to == None)  # noqa: E711
    ):
        open_version.valid_to = now
        session.add(open_version)


def _replace_references(session: Session, source_id: str, records: list[ClauseRecord]) -> None:
    prefix = f"{source_id}:"
    for old in session.exec(select(Reference).where(Reference.from_id.startswith(prefix))):
        session.delete(old)
    session.flush()
    for record in records:
        for target in dict.fromkeys(record.refs):
            session.add(Reference(from_id=record.id, to_id=target))


def _replace_translations(session: Session, clause_ids: list[str], translations: list[ClauseRecord]) -> None:
    ids = set(clause_ids)
    for old in session.exec(select(Translation)):
        if old.clause_id in ids:
            session.delete(old)
    session.flush()
    for record in translations:
        session.add(Translation(clause_id=record.id, language=record.language, title=record.title, text=record.text))


def _read_checks(entry: SourceEntry, raw: list[bytes]) -> list[CheckItemRecord]:
    reader = CHECK_READERS.get(entry.parser)
    if reader is None:
        return []
    try:
        return reader(raw[0])
    except ParseError as exc:
        raise SourceFailed(f"{entry.id}: cannot read the check items: {exc}") from exc


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


def clause_hash(record: ClauseRecord) -> str:
    """Hash of what a reader sees of a clause; layout-only differences do not change it."""
    normalised = " ".join(f"{record.title or ''}\n{record.text}".split())
    return hashlib.sha256(normalised.encode()).hexdigest()[:32]


def _hash_files(raw: list[bytes]) -> str:
    digest = hashlib.sha256()
    for content in raw:
        digest.update(hashlib.sha256(content).digest())
    return digest.hexdigest()


def _indexable_texts(session: Session) -> list[IndexableText]:
    """One text per live, non-structural clause, plus one per translation."""
    live = select(Clause).where(Clause.repealed == False)  # noqa: E712 - SQL comparison
    clauses = session.exec(live.order_by(Clause.source_id, Clause.position)).all()
    short_names = {s.id: s.short_name for s in session.exec(select(Source))}
    contexts = {c.id: _context(c) for c in clauses}
    texts = [
        IndexableText(c.id, c.language, embedding_text(contexts[c.id], contexts, short_names[c.source_id]))
        for c in clauses
        if c.kind not in STRUCTURAL_KINDS and (c.text or c.title)
    ]
    for tr in session.exec(select(Translation).order_by(Translation.clause_id)):
        clause = contexts.get(tr.clause_id)
        if clause is not None:
            short = short_names[tr.clause_id.split(":")[0]]
            texts.append(
                IndexableText(
                    tr.clause_id, tr.language, embedding_text(clause, contexts, short, text=tr.text, title=tr.title)
                )
            )
    return texts


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


def _load_previous_index(version: Path | None) -> VectorIndex | None:
    if version is None:
        return None
    try:
        return VectorIndex.load(version / INDEX_DIR)
    except IndexCorrupt as exc:
        log.warning("previous index unusable, embedding everything again: %s", exc)
        return None
