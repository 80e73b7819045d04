"""Apply one parsed version of a source to the store, keeping history and saying what changed.

A clause whose text or title changed gets a new ``ClauseVersion`` (the old one is closed); a
clause that is gone is marked repealed, never deleted; each change is recorded in the
``SourceVersion`` with a word-level diff, so ``kb changes`` and ``/v1/changes`` can show it.
Whitespace and layout never count as a change: clauses are compared on normalised text.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

from sqlmodel import Session, select

from kb.diff import word_diff
from kb.models import Clause, ClauseVersion, Reference, Source, SourceVersion, Translation, utcnow
from kb.records import ClauseRecord, TranslatedClause
from kb.registry import SourceEntry


@dataclass
class Changes:
    added: list[str] = field(default_factory=list)
    amended: list[str] = field(default_factory=list)
    repealed: list[str] = field(default_factory=list)
    details: list[dict] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.added or self.amended or self.repealed)


def clause_hash(title: str | None, text: str) -> str:
    """Hash of what a reader sees of a clause; layout-only differences do not change it."""
    normalised = " ".join(f"{title or ''}\n{text}".split())
    return hashlib.sha256(normalised.encode()).hexdigest()[:32]


def effective_time(version_date: date | None, latest: datetime | None) -> datetime:
    """When a version takes effect in the knowledge base: its official date, unless that is not
    after the version already recorded (a corrected file with the same date), then now."""
    now = utcnow()
    if version_date is None:
        return now
    moment = datetime.combine(version_date, time.min, tzinfo=UTC)
    if latest is not None and moment <= _aware(latest):
        return now
    return min(moment, now)


def latest_effective(session: Session, source_id: str) -> datetime | None:
    row = session.exec(
        select(SourceVersion).where(SourceVersion.source_id == source_id).order_by(SourceVersion.effective_at.desc())
    ).first()
    return row.effective_at if row else None


def apply_version(
    session: Session,
    entry: SourceEntry,
    source: Source,
    records: list[ClauseRecord],
    translations: list[TranslatedClause],
    raw_hash: str,
    version_date: date | None,
    reenacted: str = "",
    first_recorded: frozenset[str] = frozenset(),
) -> Changes:
    """Upsert one version of a source; records a SourceVersion when anything changed.

    ``reenacted`` names the act that repealed the recorded version and enacted this one in its
    place: then every clause that carries on under the same number is recorded as "re-enacted"
    (a new enactment, compared word by word with the repealed text) rather than "amended", and
    each change carries that note. It applies only when moving on from an earlier dated version.

    ``first_recorded`` names clause kinds the previous version's file did not hold (the official
    translation's Japanese text has no supplementary provisions): a new clause of such a kind is
    stored but not reported as added, since nothing says it was not in force before.
    """
    effective = effective_time(version_date, latest_effective(session, entry.id))
    existing = {c.id: c for c in session.exec(select(Clause).where(Clause.source_id == entry.id))}
    note = reenacted if reenacted and existing and _follows_earlier_version(session, entry.id, version_date) else ""
    units = {r.id: r for r in records}
    changes = Changes()
    session.add(source)
    session.flush()
    for record in records:
        content_hash = clause_hash(record.title, record.text)
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
            if record.kind not in first_recorded:
                changes.added.append(record.id)
                added = {"clause_id": record.id, "change": "added", "text": record.text}
                changes.details.append(_noted(added, note))
            _open_version(session, record, content_hash, effective)
        elif row.content_hash != content_hash or row.repealed or note:
            changes.amended.append(record.id)
            changes.details.append(
                _noted(
                    {
                        "clause_id": record.id,
                        "change": "re-enacted" if note else "amended",
                        "title_before": row.title,
                        "title_after": record.title,
                        "diff": word_diff(row.text, record.text),
                    },
                    note,
                )
            )
            _close_versions(session, record.id, effective)
            _open_version(session, record, content_hash, effective)
        _fill(row, record, url, content_hash)
        session.add(row)
    for gone in existing.values():
        if not gone.repealed:
            gone.repealed = True
            changes.repealed.append(gone.id)
            changes.details.append(_noted({"clause_id": gone.id, "change": "repealed", "text": gone.text}, note))
            _close_versions(session, gone.id, effective)
            session.add(gone)
    _replace_references(session, entry.id, records)
    _replace_translations(session, [r.id for r in records], translations)
    if changes or source.raw_hash != raw_hash:
        session.add(
            SourceVersion(
                source_id=entry.id,
                version_date=version_date,
                raw_hash=raw_hash,
                effective_at=effective,
                added=len(changes.added),
                amended=len(changes.amended),
                repealed=len(changes.repealed),
                changes=changes.details,
            )
        )
    source.clause_count = len(records)
    source.raw_hash = raw_hash
    source.status, source.status_reason = "ingested", None
    source.ingested_at = utcnow() if changes or source.ingested_at is None else source.ingested_at
    session.add(source)
    session.commit()
    return changes


def _noted(change: dict, note: str) -> dict:
    return {**change, "note": note} if note else change


def _follows_earlier_version(session: Session, source_id: str, version_date: date | None) -> bool:
    """True when the source's latest recorded version is dated before ``version_date``."""
    row = session.exec(
        select(SourceVersion).where(SourceVersion.source_id == source_id).order_by(SourceVersion.effective_at.desc())
    ).first()
    return bool(row and row.version_date and version_date and row.version_date < version_date)


def _fill(row: Clause, record: ClauseRecord, url: str, content_hash: str) -> None:
    row.kind, row.number, row.label = record.kind, record.number, record.label
    row.title, row.text, row.parent_id = record.title, record.text, record.parent
    row.unit_id, row.position, row.language = record.unit or record.id, record.position, record.language
    row.url, row.content_hash, row.repealed = url, content_hash, False


def _open_version(session: Session, record: ClauseRecord, content_hash: str, effective: datetime) -> None:
    session.add(
        ClauseVersion(
            clause_id=record.id, title=record.title, text=record.text, content_hash=content_hash, valid_from=effective
        )
    )


def _close_versions(session: Session, clause_id: str, effective: datetime) -> None:
    still_open = select(ClauseVersion).where(ClauseVersion.clause_id == clause_id, ClauseVersion.valid_to == None)  # noqa: E711
    for version in session.exec(still_open):
        version.valid_to = effective
        session.add(version)


def _replace_references(session: Session, source_id: str, records: list[ClauseRecord]) -> None:
    for old in session.exec(select(Reference).where(Reference.from_id.startswith(f"{source_id}:"))):
        session.delete(old)
    session.flush()
    for record in records:
        for target in dict.fromkeys(record.refs):
            session.add(Reference(from_id=record.id, to_id=target))


def _replace_translations(session: Session, clause_ids: list[str], translations: list[TranslatedClause]) -> None:
    ids = set(clause_ids)
    for old in session.exec(select(Translation)):
        if old.clause_id in ids:
            session.delete(old)
    session.flush()
    for translated in translations:
        record = translated.record
        session.add(
            Translation(
                clause_id=record.id,
                language=record.language,
                title=record.title,
                text=record.text,
                version_date=translated.version_date,
                legal_effect=translated.legal_effect,
                note=translated.note,
                outdated=translated.outdated,
            )
        )


def _aware(moment: datetime) -> datetime:
    """SQLite hands datetimes back without a zone; they were stored in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
