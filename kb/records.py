"""What a parser produces: plain clause records, independent of the database.

Parsers are pure functions from the bytes of an official document to a list of
``ClauseRecord``; the ingest pipeline turns them into database rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

# Kinds a clause may have. Structural kinds (chapter, section, part) group clauses;
# citable kinds carry text.
CLAUSE_KINDS = (
    "preamble",
    "part",
    "chapter",
    "section",
    "article",
    "paragraph",
    "point",
    "subpoint",
    "recital",
    "definition",
    "annex",
    "principle",
    "requirement",
    "item",
    "question",
    "statement",
    "function",
    "category",
    "subcategory",
    # Japanese statutes: subitems (イ, ロ …) of an item, and the supplementary provisions (附則),
    # kinds of their own so that counts of articles, paragraphs and items are the main provision's
    "subitem",
    "supplementary",
    "suppl-article",
    "suppl-paragraph",
    "suppl-item",
)


# What a reader is told where a section has no heading of its own in the official text (CCPA
# §§ 1798.146, 1798.148, 1798.194–1798.199.100): the missing title is faithful, not a parse gap.
NO_HEADING = "(no heading in the official text)"
_HEADED_KINDS = frozenset({"article"})


def heading_note(kind: str, title: str | None) -> str | None:
    """``NO_HEADING`` for an article-level unit without a title, else None."""
    return NO_HEADING if kind in _HEADED_KINDS and not title else None


@dataclass(frozen=True)
class ClauseRecord:
    """One clause as parsed from a document.

    ``id`` is a clause id string (see ``kb.ids``); ``parent`` the id of the enclosing clause
    (a paragraph's article, an article's chapter) or None; ``unit`` the id of the top-level
    citable unit that results are grouped by (an article, recital, principle), which for a
    unit is its own id; ``label`` the citation without the source name ("Art. 22(1)",
    "§ 1798.100(a)", "1.4(b)"); ``anchor`` the fragment of the official URL that points
    closest to the clause, if the official site has one; ``text`` the clause's own words
    with whitespace normalised (a parent does not repeat its children's text).
    """

    id: str
    kind: str
    number: str
    label: str
    text: str
    parent: str | None = None
    unit: str | None = None
    title: str | None = None
    position: int = 0
    language: str = "en"
    anchor: str | None = None
    refs: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if self.kind not in CLAUSE_KINDS:
            raise ValueError(f"unknown clause kind {self.kind!r} for {self.id}")


@dataclass(frozen=True)
class TranslatedClause:
    """A clause's text in another language, with what the registry says of that translation and
    whether the clause was amended after the text it translates (``outdated``; None where the
    registry names no original text to compare with)."""

    record: ClauseRecord
    version_date: date | None = None
    legal_effect: bool = False
    note: str | None = None
    outdated: bool | None = None
