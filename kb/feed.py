"""The change feed: what each ingest changed, as an Atom 1.0 document (RFC 4287) that feed readers
and scripts already understand.

One entry per clause a new version of a source added, amended or repealed, linking to the clause's
history (its word-level diff); a source's first recorded version is one entry ("entered the
knowledge base"), not one per clause. Entry ids are derived from the source version's content hash
and the clause id, so they stay the same across re-ingests and servers: a reader never sees an
entry twice. Built with lxml, so every text is escaped by the serialiser, never by hand.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape

from lxml import etree

from kb.models import SourceVersion
from kb.presenters import source_changes
from kb.service import ClauseMap
from kb.views import ClauseChange, SourceChanges

ATOM = "http://www.w3.org/2005/Atom"
MEDIA_TYPE = "application/atom+xml"
_ID_NAMESPACE = uuid.UUID("6f1c1a52-6c61-4e53-8d8f-636c61757365")  # clausemap's own uuid5 namespace


@dataclass(frozen=True)
class FeedLinks:
    """Where the feed and its entries point: absolute URLs, built by the interface that serves it."""

    self_url: str  # this feed
    site_url: str  # the page a person reads (the changes page)
    clause_page: Callable[[str], str]  # a clause id -> its page, history section
    clause_history: Callable[[str], str]  # a clause id -> its history as JSON


@dataclass(frozen=True)
class FeedVersion:
    """A recorded version of a source with what it changed, and whether it was the first on record."""

    version: SourceVersion
    changes: SourceChanges
    first: bool


def entry_id(source: str, raw_hash: str, key: str) -> str:
    """A stable, globally unique id: the same version of the same clause change always gets it."""
    return uuid.uuid5(_ID_NAMESPACE, f"{source}|{raw_hash}|{key}").urn


def atom_feed(
    title: str, feed_key: str, versions: Iterable[FeedVersion], links: FeedLinks, max_entries: int, now: datetime
) -> bytes:
    """The Atom document, newest entries first, at most ``max_entries`` of them."""
    entries = sorted(_entries(versions), key=lambda e: (e.updated, e.id), reverse=True)[:max_entries]
    root = etree.Element(f"{{{ATOM}}}feed", nsmap={None: ATOM})
    _text(root, "id", uuid.uuid5(_ID_NAMESPACE, f"feed|{feed_key}").urn)
    _text(root, "title", title)
    _text(root, "updated", _stamp(entries[0].updated if entries else now))
    _link(root, links.self_url, "self", MEDIA_TYPE)
    _link(root, links.site_url, "alternate", "text/html")
    author = etree.SubElement(root, f"{{{ATOM}}}author")
    _text(author, "name", "clausemap")
    _text(root, "generator", "clausemap")
    for entry in entries:
        entry.write(root, links)
    return etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True)


@dataclass(frozen=True)
class _Entry:
    id: str
    title: str
    updated: datetime
    source: str
    clause_id: str | None
    change: str
    html: str

    def write(self, root: etree._Element, links: FeedLinks) -> None:
        element = etree.SubElement(root, f"{{{ATOM}}}entry")
        _text(element, "id", self.id)
        _text(element, "title", self.title)
        _text(element, "updated", _stamp(self.updated))
        _text(element, "published", _stamp(self.updated))
        if self.clause_id is not None:
            _link(element, links.clause_page(self.clause_id), "alternate", "text/html")
            _link(element, links.clause_history(self.clause_id), "related", "application/json")
        else:
            _link(element, links.site_url, "alternate", "text/html")
        category = etree.SubElement(element, f"{{{ATOM}}}category")
        category.set("term", self.change)
        category = etree.SubElement(element, f"{{{ATOM}}}category")
        category.set("term", self.source)
        content = _text(element, "content", self.html)
        content.set("type", "html")


def _entries(versions: Iterable[FeedVersion]) -> Iterable[_Entry]:
    for item in versions:
        version, changes = item.version, item.changes
        when = _aware(version.effective_at)
        dated = f"version of {changes.version_date}" if changes.version_date else "undated version"
        if item.first:
            html = f"<p>{changes.added} clauses recorded from the {escape(dated)}.</p>"
            yield _Entry(
                entry_id(version.source_id, version.raw_hash, "first"),
                f"{version.source_id.upper()} entered the knowledge base ({dated})",
                when,
                version.source_id,
                None,
                "added",
                html,
            )
            continue
        for change in changes.changes:
            yield _Entry(
                entry_id(version.source_id, version.raw_hash, f"{change.change}|{change.clause_id}"),
                f"{change.citation} {change.change} ({dated})",
                when,
                version.source_id,
                change.clause_id,
                change.change,
                change_html(change),
            )


def change_html(change: ClauseChange) -> str:
    """The change as a reader shows it: the word diff with ``<del>``/``<ins>``, or the clause's text."""
    parts = [f"<p><em>{escape(change.note)}</em></p>"] if change.note else []
    if change.title_diff:
        parts.append(f"<p>Title: {_diff_html(change.title_diff)}</p>")
    elif change.title_before != change.title_after and (change.title_before or change.title_after):
        before, after = escape(change.title_before or ""), escape(change.title_after or "")
        parts.append(f"<p>Title: <del>{before}</del> <ins>{after}</ins></p>")
    if change.diff is not None:
        parts.append(f"<p>{_diff_html(change.diff)}</p>")
    elif change.text:
        verb = "Repealed text" if change.change == "repealed" else "Text"
        parts.append(f"<p>{verb}: {escape(change.text)}</p>")
    return "".join(parts) or f"<p>{escape(change.citation)} {escape(change.change)}.</p>"


def _diff_html(runs: list[tuple[str, str]]) -> str:
    words = []
    for op, run in runs:
        text = escape(run)
        words.append(text if op == "=" else f"<del>{text}</del>" if op == "-" else f"<ins>{text}</ins>")
    return " ".join(words)


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(parent: etree._Element, name: str, value: str) -> etree._Element:
    element = etree.SubElement(parent, f"{{{ATOM}}}{name}")
    element.text = _NOT_XML.sub(" ", value)  # a form feed from a PDF is no character XML 1.0 allows
    return element


def _link(parent: etree._Element, href: str, rel: str, media_type: str) -> None:
    link = etree.SubElement(parent, f"{{{ATOM}}}link")
    link.set("rel", rel)
    link.set("type", media_type)
    link.set("href", href)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _stamp(moment: datetime) -> str:
    """RFC 3339, as Atom requires."""
    return _aware(moment).astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def feed_versions(
    versions: list[SourceVersion], changes: Callable[[SourceVersion], SourceChanges]
) -> list[FeedVersion]:
    """The versions as feed items; the oldest of each source (``versions`` hold a source's whole
    record, newest first, as ``ClauseMap.changes`` returns them) is its first."""
    oldest: dict[str, SourceVersion] = {}
    for version in versions:
        oldest[version.source_id] = version  # the last seen is the oldest
    return [FeedVersion(v, changes(v), oldest[v.source_id] is v) for v in versions]


def cited_by(items: FeedVersion, cited: set[str]) -> FeedVersion | None:
    """Only the changes to the clauses a mapping cites (or to their subdivisions: citing
    ``gdpr:art-43`` covers ``gdpr:art-43(3)``); None when none of them changed."""
    from kb.review import covered

    kept = [c for c in items.changes.changes if covered(c.clause_id, cited)]
    if items.first or not kept:
        return None
    return FeedVersion(items.version, items.changes.model_copy(update={"changes": kept}), False)


def change_feed(
    service: ClauseMap, links: FeedLinks, *, source: str | None = None, mapping_id: str | None = None
) -> bytes:
    """The feed of every source, of one (``source``), or of the clauses a stored mapping cites."""
    from kb.review import mapping_items

    kb = service.kb()
    versions = feed_versions(service.changes(source=source), lambda v: source_changes(kb, v))
    if mapping_id is not None:
        record = service.mapping(mapping_id)
        cited = set(mapping_items(record))
        versions = [kept for v in versions if (kept := cited_by(v, cited)) is not None]
        title, key = f"clausemap: changes to the clauses of mapping {record.id}", f"map|{record.id}"
    elif source is not None:
        title, key = f"clausemap: changes to {kb.sources[source].short_name}", f"source|{source}"
    else:
        title, key = "clausemap: changes to every source", "all"
    return atom_feed(title, key, versions, links, service.settings.feed_entries, datetime.now(UTC))
