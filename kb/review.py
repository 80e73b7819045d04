"""Reviewers' decisions on a stored mapping, kept beside it (table ``mappingreviewitem``, keyed by
mapping id and item id), and the review record the exports carry: every item with its decision,
the knowledge-base version the mapping was made against, and the clauses amended since.

The mapping itself is never rewritten: it stays the answer as given, the review is what people
made of it. Items are found in the stored record by shape (every object with an ``id`` and a
``citation``), so the review keeps working whatever sections the mapping's output grows.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from sqlmodel import Session, col, select

from kb.errors import KBError
from kb.models import MappingReviewItem
from kb.presenters import source_changes
from kb.service import ClauseMap
from kb.views import ClauseChange, MappingRecord, MappingReview, ReviewItemIn, ReviewItemOut

DECISIONS = ("applies", "does_not_apply", "needs_answer")


class UnknownItem(KBError, LookupError):
    """A review names an item the mapping does not list."""

    code = "unknown_item"
    http_status = 422


def covered(clause_id: str, cited: set[str]) -> bool:
    """Whether a change to ``clause_id`` concerns one of the ``cited`` clauses: the clause itself,
    or a subdivision of it (its id continues with a parenthesis)."""
    return clause_id in cited or any(clause_id.startswith(f"{c}(") for c in cited)


def mapping_items(record: MappingRecord) -> dict[str, str]:
    """Every item the mapping lists (clauses, principles, checks), id -> citation, in reading order."""
    found: dict[str, str] = {}

    def walk(node: object) -> Iterator[tuple[str, str]]:
        if isinstance(node, dict):
            if isinstance(node.get("id"), str) and isinstance(node.get("citation"), str):
                yield node["id"], node["citation"]
            for key, value in node.items():
                if key != "request":
                    yield from walk(value)
        elif isinstance(node, list):
            for value in node:
                yield from walk(value)

    for item_id, citation in walk(record.model_dump(mode="json")):
        found.setdefault(item_id, citation)
    return found


def amended_since(service: ClauseMap, record: MappingRecord) -> list[ClauseChange]:
    """The changes to the mapping's items recorded by ingests after the mapping was made."""
    cited = set(mapping_items(record))
    made = _aware(record.created_at)
    kb = service.kb()
    found = []
    for version in reversed(service.changes()):  # oldest first
        if _aware(version.ingested_at) <= made:
            continue
        found += [c for c in source_changes(kb, version).changes if covered(c.clause_id, cited)]
    return found


def mapping_review(service: ClauseMap, mapping_id: str) -> MappingReview:
    """The review record of a stored mapping (items not yet reviewed included, without a decision)."""
    record = service.mapping(mapping_id)
    with Session(_engine(service)) as session:
        rows = session.exec(select(MappingReviewItem).where(col(MappingReviewItem.mapping_id) == record.id)).all()
    decided = {row.item_id: row for row in rows}
    changes = amended_since(service, record)
    items = []
    for item_id, citation in mapping_items(record).items():
        row = decided.get(item_id)
        items.append(
            ReviewItemOut(
                item_id=item_id,
                citation=citation,
                decision=row.decision if row else None,
                note=row.note if row else "",
                reviewer=row.reviewer if row else None,
                updated_at=row.updated_at if row else None,
                amended_since=any(covered(c.clause_id, {item_id}) for c in changes),
            )
        )
    return MappingReview(
        mapping_id=record.id,
        kb_version=record.kb_version,
        current_kb_version=service.kb().version,
        items=items,
        amended_since=changes,
        pending=sum(1 for item in items if item.decision is None),
    )


def record_review(
    service: ClauseMap, mapping_id: str, decisions: list[ReviewItemIn], reviewer: str | None = None
) -> MappingReview:
    """Store decisions on items of a mapping (a later decision on an item replaces the earlier one);
    all or none: an item the mapping does not list refuses the whole request."""
    record = service.mapping(mapping_id)
    items = mapping_items(record)
    unknown = [d.item_id for d in decisions if d.item_id not in items]
    if unknown:
        listed = ", ".join(list(items)[:20]) + (" …" if len(items) > 20 else "")
        raise UnknownItem(f"mapping {record.id} lists no item {', '.join(map(repr, unknown))}; it lists {listed}")
    now = datetime.now(UTC)
    with Session(_engine(service)) as session:
        for decision in decisions:
            row = session.get(MappingReviewItem, (record.id, decision.item_id))
            if row is None:
                row = MappingReviewItem(mapping_id=record.id, item_id=decision.item_id, decision=decision.decision)
            row.decision, row.note, row.reviewer, row.updated_at = decision.decision, decision.note, reviewer, now
            session.add(row)
        session.commit()
    return mapping_review(service, record.id)


def _engine(service: ClauseMap):
    return service._mappings  # the stored mappings' engine, migrated once per service


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
