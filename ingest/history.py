"""Apply one parsed version of a source to the store, keeping history and saying what changed.

A clause whose text or title changed gets a new ``ClauseVersion`` (the old one is closed); a
clause that is gone is marked repealed, never deleted; each change is recorded in the
``SourceVersion`` with a word-level diff, so ``kb changes`` and ``/v1/changes`` can show it, and
every ``ClauseVersion`` points to the ``SourceVersion`` that opened it (``source_version_id``).
Whitespace and layout never count as a change: clauses are compared on normalised text.

A provision that is renumbered is followed to its new number: when the words a clause held leave
its id (the id is gone, or now holds other words) and arrive, the same or nearly so, at another id
(a new one, or one whose words changed), the change is ``moved`` with the old and the new id and
the word diff between them (OECD 1.4(b) of 2019, traceability, is 1.5(b) in 2024). The new id's
first version records where it came from (``moved_from``), so its history reaches back past the
renumbering; new words at the vacated number are ``added`` there.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

from sqlmodel import Session, select

from kb.diff import word_diff
from kb.models import Clause, ClauseVersion, Reference, Source, SourceVersion, Translation, utcnow
from kb.records import ClauseRecord, TranslatedClause
from kb.registry import SourceEntry

# A move needs this share of the old words kept, in order, at the new id (OECD 1.4(c) of 2019 kept
# whole in 1.5(c) of 2024, which adds a sentence), and enough words that a shared stock phrase
# ("deleted", "Member States shall …") is not taken for one.
MOVE_SIMILARITY = 0.75
MOVE_MIN_WORDS = 8
_WORD = re.compile(r"\w+")


@dataclass
class Changes:
    added: list[str] = field(default_factory=list)
    amended: list[str] = field(default_factory=list)
    repealed: list[str] = field(default_factory=list)
    moved: list[tuple[str, str]] = field(default_factory=list)  # (old id, new id)
    details: list[dict] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.added or self.amended or self.repealed or self.moved)


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def kept(before: str, after: str) -> float:
    """The share of ``before``'s words that ``after`` keeps in the same order, 0 to 1 (layout and
    case ignored): how much of a provision survives in a text, whatever was added to it."""
    if before == after:
        return 1.0
    a, b = _words(before), _words(after)
    if not a:
        return 1.0
    blocks = difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_matching_blocks()
    return sum(block.size for block in blocks) / len(a)


def find_moves(before: dict[str, str], after: dict[str, str]) -> dict[str, str]:
    """Renumbered provisions: ``{new id: old id}`` for words that left one id and reached another.

    ``before`` and ``after`` map ids to texts. An old id is *vacated* when it is gone or its text
    now reads unlike its old text; an id *receives* when it is new or its text reads unlike what it
    held. Each vacated text goes to the receiving id whose text is most like it, if alike enough;
    each id takes part in one move at most. Alike means ``kept``: most old words, in order.
    """

    def substantial(text: str) -> bool:
        return len(_words(text)) >= MOVE_MIN_WORDS

    vacated = {
        cid: text
        for cid, text in before.items()
        if substantial(text) and (cid not in after or kept(text, after[cid]) < MOVE_SIMILARITY)
    }
    receiving = {
        cid: text
        for cid, text in after.items()
        if substantial(text) and (cid not in before or kept(before[cid], text) < MOVE_SIMILARITY)
    }
    pairs = []
    for old_id, old_text in vacated.items():
        old_words = set(_words(old_text))
        for new_id, new_text in receiving.items():
            if new_id == old_id or len(old_words & set(_words(new_text))) < MOVE_SIMILARITY * len(old_words):
                continue  # too few of the words at all: not worth the ordered comparison
            score = kept(old_text, new_text)
            if score >= MOVE_SIMILARITY:
                pairs.append((score, old_id, new_id))
    moves: dict[str, str] = {}
    for _, old_id, new_id in sorted(pairs, reverse=True):
        if new_id not in moves and old_id not in moves.values():
            moves[new_id] = old_id
    return moves


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
    before = {cid: row.text for cid, row in existing.items() if not row.repealed}
    moves = find_moves(before, {r.id: r.text for r in records}) if before else {}
    moved_away = {old: new for new, old in moves.items()}
    texts_before = {cid: (row.title, row.text) for cid, row in existing.items()}
    changes = Changes()
    session.add(source)
    session.flush()
    version = _VersionRow(session, entry.id, version_date, raw_hash, effective)
    for record in records:
        content_hash = clause_hash(record.title, record.text)
        url = entry.url_for(record.anchor, units[record.unit or record.id].number)
        row = existing.pop(record.id, None)
        moved_from = moves.get(record.id)
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
        elif row.content_hash == content_hash and not row.repealed and not note:
            _fill(row, record, url, content_hash)
            session.add(row)
            continue
        else:
            _close_versions(session, record.id, effective)
        if moved_from is not None:
            title_before, text_before = texts_before[moved_from]
            changes.moved.append((moved_from, record.id))
            changes.details.append(
                _noted(
                    {
                        "clause_id": record.id,
                        "change": "moved",
                        "from_id": moved_from,
                        "title_before": title_before,
                        "title_after": record.title,
                        "diff": word_diff(text_before, record.text),
                    },
                    note,
                )
            )
        elif record.id in moved_away and not record.text:
            pass  # all its words moved: the move says so
        elif row.content_hash == "" and record.kind in first_recorded:
            pass  # a kind the previous version's file did not hold: not news that it is here
        elif row.content_hash == "" or (record.id in moved_away and kept(record.text, row.text) < MOVE_SIMILARITY):
            changes.added.append(record.id)  # a new clause, or new words at a number that was freed
            changes.details.append(_noted({"clause_id": record.id, "change": "added", "text": record.text}, note))
        else:  # changed words; also what stays of a clause whose other words moved away
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
        _open_version(session, record, content_hash, effective, version.id(), moved_from)
        _fill(row, record, url, content_hash)
        session.add(row)
    for gone in existing.values():
        if not gone.repealed:
            gone.repealed = True
            if gone.id not in moved_away:  # a moved provision lives on at its new id
                changes.repealed.append(gone.id)
                changes.details.append(_noted({"clause_id": gone.id, "change": "repealed", "text": gone.text}, note))
            _close_versions(session, gone.id, effective)
            session.add(gone)
    _replace_references(session, entry.id, records)
    _replace_translations(session, [r.id for r in records], translations)
    if changes or source.raw_hash != raw_hash:
        version.finish(changes)
    source.clause_count = len(records)
    source.raw_hash = raw_hash
    source.status, source.status_reason = "ingested", None
    source.ingested_at = utcnow() if changes or source.ingested_at is None else source.ingested_at
    session.add(source)
    session.commit()
    return changes


def _fill(row: Clause, record: ClauseRecord, url: str, content_hash: str) -> None:
    row.kind, row.number, row.label = record.kind, record.number, record.label
    row.title, row.text, row.parent_id = record.title, record.text, record.parent
    row.unit_id, row.position, row.language = record.unit or record.id, record.position, record.language
    row.url, row.content_hash, row.repealed = url, content_hash, False


def _noted(change: dict, note: str) -> dict:
    return {**change, "note": note} if note else change


def _follows_earlier_version(session: Session, source_id: str, version_date: date | None) -> bool:
    """True when the source's latest recorded version is dated before ``version_date``."""
    row = session.exec(
        select(SourceVersion).where(SourceVersion.source_id == source_id).order_by(SourceVersion.effective_at.desc())
    ).first()
    return bool(row and row.version_date and version_date and row.version_date < version_date)


class _VersionRow:
    """The ``SourceVersion`` of this ingest, written as soon as a clause version needs its id."""

    def __init__(self, session: Session, source_id: str, version_date: date | None, raw_hash: str, at: datetime):
        self.session = session
        self.row: SourceVersion | None = None
        self.fields = {"source_id": source_id, "version_date": version_date, "raw_hash": raw_hash, "effective_at": at}

    def id(self) -> int:
        if self.row is None:
            self.row = SourceVersion(**self.fields)
            self.session.add(self.row)
            self.session.flush()
        assert self.row.id is not None
        return self.row.id

    def finish(self, changes: Changes) -> None:
        self.id()
        assert self.row is not None
        self.row.added, self.row.amended = len(changes.added), len(changes.amended)
        self.row.repealed, self.row.moved = len(changes.repealed), len(changes.moved)
        self.row.changes = changes.details
        self.session.add(self.row)


def _open_version(
    session: Session,
    record: ClauseRecord,
    content_hash: str,
    effective: datetime,
    source_version_id: int,
    moved_from: str | None = None,
) -> None:
    session.add(
        ClauseVersion(
            clause_id=record.id,
            source_version_id=source_version_id,
            moved_from=moved_from,
            title=record.title,
            text=record.text,
            content_hash=content_hash,
            valid_from=effective,
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
