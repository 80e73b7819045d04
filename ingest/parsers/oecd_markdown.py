"""OECD Recommendation on AI (OECD/LEGAL/0449): markdown capture of the Compendium page -> records.

Reads the text capture of the legalinstruments.oecd.org instrument page (2024 amended text), as
stored in the LAIF repository. Quirks of that capture:

- it opens with a header added by the capture's author; the OECD page starts at the line
  ``OECD/LEGAL/0449``, followed by the page's tab names, and the instrument text at
  ``THE COUNCIL``;
- the page's inline elements became line breaks, so a paragraph is spread over several lines
  (``a)`` / ``AI`` / ``actors should …``, ``HAVING REGARD`` / ``to …``, ``THE COUNCIL`` / ``,``);
  paragraphs are separated by blank lines, and the lines of a paragraph are rejoined here;
- definitions start with a ``‒`` (U+2012) line, then the term, then ``:`` and the definition;
- after the instrument text (it ends with paragraph VIII d)) come the other tabs
  ("Background information", related documents, adherents) and the page footer: not parsed.

The same instrument in its 2019 CommonAccord form is read by ``oecd_commonaccord``; both feed
the ``OecdBuilder`` below, so that ids, labels and whitespace normalisation are identical and an
unchanged clause has equal text in both versions.

Ids (source ``oecd``): ``preamble`` ("THE COUNCIL,") with ``preamble-1`` … (the HAVING REGARD /
RECOGNISING … paragraphs, then "On the proposal of … Committee:"); ``op-1`` … ``op-8`` for the
operative paragraphs I–VIII and ``op-8(a)`` for their items; ``def-ai-system`` … for the
definitions of paragraph I; ``section-1`` and ``section-2`` for the two section headings;
``1.1`` … ``1.5`` (principles) and ``2.1`` … ``2.5`` (recommendations), kind "principle", with
their items ``1.4(b)`` and ``1.3(i)``, kind "item". The official page has no per-clause anchors.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.parsers import ParseError, decode_text
from kb import text as text_helpers
from kb.records import ClauseRecord

SOURCE = "oecd"

_DEFINITION_DASHES = "‒–—"  # U+2012 figure dash (what the page uses), en dash, em dash
_SECTION_RE = re.compile(r"^Section\s+(\d+)\s*:\s*(.*)$", re.DOTALL)
_PRINCIPLE_RE = re.compile(r"^(\d+\.\d+)\.?(?:\s+(.*))?$", re.DOTALL)
_LETTER_ITEM_RE = re.compile(r"^([a-z])\)(?:\s*(.*))?$", re.DOTALL)
_ROMAN_ITEM_RE = re.compile(r"^([ivxl]+)\.(?:\s+(.*))?$", re.DOTALL)
_OPERATIVE_RE = re.compile(r"^([IVXL]+)\.(?:\s+(.*))?$", re.DOTALL)
_PREAMBLE_VERB_RE = re.compile(r"^[A-Z]{2,}(?: [A-Z]{2,})*(?: (?:to|that)\b.*)?$", re.DOTALL)
_FORMULA_RE = re.compile(r"^On the proposal of\b")
_COUNCIL_RE = re.compile(r"^THE COUNCIL\b")
_REF_SECTION_RE = re.compile(r"\bsections?\s+(\d+)\b", re.IGNORECASE)
_REF_PRINCIPLE_RE = re.compile(
    r"\b(?:principles?|recommendations?)\s+(\d+\.\d+)(?:\s*\(([a-z]+)\))?", re.IGNORECASE
)
_REF_PARAGRAPH_RE = re.compile(r"\bparagraphs?\s+([IVXL]+)\b(?:\s*\(([a-z])\))?")


# --- shared helpers (also used by oecd_commonaccord) ------------------------------------------


def normalise_text(text: str) -> str:
    """Single spaces, no space inside brackets or before punctuation.

    Both versions go through this, so layout (line breaks, a comma on its own line, "( A/RES/70/1 )"
    from inline links) never shows up as a textual difference between them.
    """
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r" (?=[,.;:)\]])", "", text)
    return re.sub(r"(?<=[(\[]) ", "", text)


def roman_to_int(roman: str) -> int:
    """Value of a roman numeral (upper or lower case); ParseError if it is not one."""
    try:
        return text_helpers.roman_to_int(roman)
    except ValueError as exc:
        raise ParseError(f"{roman!r} is not a roman numeral") from exc


def int_to_roman(value: int) -> str:
    """Upper-case roman numeral for a positive integer."""
    return text_helpers.int_to_roman(value).upper()


def split_definition(text: str) -> tuple[str, str]:
    """'‒AI system: An AI system is …' -> ('AI system', 'An AI system is …')."""
    text = normalise_text(text).lstrip(_DEFINITION_DASHES).strip()
    term, colon, body = text.partition(":")
    if not colon or not term.strip() or not body.strip():
        raise ParseError(f"definition without 'term: text' form: {text[:60]!r}")
    return normalise_text(term), normalise_text(body)


def split_section_heading(text: str) -> tuple[int, str]:
    """'Section 1: Principles for …' -> (1, 'Principles for …')."""
    match = _SECTION_RE.match(normalise_text(text))
    if match is None or not match[2]:
        raise ParseError(f"section heading not of the form 'Section N: title': {text[:60]!r}")
    return int(match[1]), match[2]


def is_preamble_paragraph(text: str) -> bool:
    """HAVING REGARD / RECOGNISING / … paragraphs start with an upper-case verb phrase."""
    return _PREAMBLE_VERB_RE.match(normalise_text(text)) is not None


def is_enacting_formula(text: str) -> bool:
    """'On the proposal of the … Committee:' closes the preamble."""
    return _FORMULA_RE.match(normalise_text(text)) is not None


def is_council_line(text: str) -> bool:
    """'THE COUNCIL,' opens the instrument."""
    return _COUNCIL_RE.match(normalise_text(text)) is not None


def _slug(term: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", term.lower()).strip("-")


def _expected_markers(first: str, count: int) -> list[str]:
    """Item markers a list should have: a, b, c … or i, ii, iii …"""
    if first == "i":
        return [int_to_roman(n).lower() for n in range(1, count + 1)]
    return [chr(ord("a") + n) for n in range(count)]


# --- the builder both parsers feed --------------------------------------------------------------


@dataclass
class _Draft:
    id: str
    kind: str
    number: str
    label: str
    text: str
    parent: str | None
    unit: str
    title: str | None = None


class OecdBuilder:
    """Collects the instrument's parts in reading order and turns them into clause records.

    Feeding both versions through one builder keeps ids, labels, parents and text normalisation
    identical between the 2019 and 2024 texts. It also checks the numbering (paragraphs I, II, …;
    principles N.1, N.2, …; items a, b, … or i, ii, …), so a truncated document is an error.
    """

    def __init__(self) -> None:
        self._drafts: list[_Draft] = []
        self._by_id: dict[str, _Draft] = {}
        self._preamble_count = 0
        self._section: _Draft | None = None
        self._section_has_principles = False
        self._container: _Draft | None = None  # last paragraph or principle: owner of items
        self._items: dict[str, list[str]] = {}

    @property
    def has_operative(self) -> bool:
        return any(d.kind == "paragraph" for d in self._drafts)

    def _add(self, draft: _Draft) -> _Draft:
        if draft.id in self._by_id:
            raise ParseError(f"clause {draft.id} occurs twice")
        self._drafts.append(draft)
        self._by_id[draft.id] = draft
        return draft

    def council(self, text: str) -> None:
        """'THE COUNCIL,': the parent of the preamble paragraphs."""
        self._add(_Draft(f"{SOURCE}:preamble", "preamble", "", "Preamble",
                         _required(text, "THE COUNCIL line"), None, f"{SOURCE}:preamble"))

    def preamble(self, text: str) -> None:
        """One preamble paragraph (or the closing 'On the proposal of …' formula)."""
        if self.has_operative:
            raise ParseError(f"preamble paragraph after the operative paragraphs: {text[:60]!r}")
        self._preamble_count += 1
        number = str(self._preamble_count)
        pid = f"{SOURCE}:preamble-{number}"
        parent = f"{SOURCE}:preamble" if f"{SOURCE}:preamble" in self._by_id else None
        self._add(_Draft(pid, "preamble", number, f"Preamble {number}",
                         _required(text, pid), parent, pid))

    def operative(self, number: int, text: str) -> None:
        """Operative paragraph I, II, …; it belongs to the open section until principles follow."""
        if self._section is not None and self._section_has_principles:
            self._section = None
        roman = int_to_roman(number)
        oid = f"{SOURCE}:op-{number}"
        draft = self._add(_Draft(oid, "paragraph", roman, f"Para. {roman}", _required(text, oid),
                                 self._section.id if self._section else None, oid))
        self._container = draft

    def definition(self, term: str, text: str) -> None:
        """A defined term of the paragraph it follows (paragraph I)."""
        if self._container is None or self._container.kind != "paragraph":
            raise ParseError(f"definition of {term!r} outside an operative paragraph")
        did = f"{SOURCE}:def-{_slug(term)}"
        self._add(_Draft(did, "definition", "", f'Def. "{term}"', _required(text, did),
                         self._container.id, did, title=term))

    def section(self, number: int, title: str) -> None:
        """'Section N: title' heading; principles N.x and the paragraphs before them go below it."""
        sid = f"{SOURCE}:section-{number}"
        self._section = self._add(_Draft(sid, "section", str(number), f"Section {number}", "",
                                         None, sid, title=normalise_text(title) or None))
        self._section_has_principles = False
        self._container = None

    def principle(self, number: str, title: str | None) -> None:
        """Principle 1.x or recommendation 2.x heading (its text follows separately)."""
        prefix = number.split(".")[0]
        if self._section is not None and self._section.number != prefix:
            raise ParseError(f"{number} under the heading of section {self._section.number}")
        pid = f"{SOURCE}:{number}"
        self._container = self._add(_Draft(pid, "principle", number, number, "",
                                           self._section.id if self._section else None, pid,
                                           title=normalise_text(title or "") or None))
        self._section_has_principles = True

    def principle_text(self, text: str, number: str | None = None) -> None:
        """The own text of a principle: all of it, or the intro before its items."""
        target = self._by_id.get(f"{SOURCE}:{number}") if number else self._container
        if target is None or target.kind != "principle":
            raise ParseError(f"text outside a principle: {normalise_text(text)[:60]!r}")
        if target.text or self._items.get(target.id):
            raise ParseError(f"{target.label}: a second text paragraph, or text after its items")
        target.text = normalise_text(text)

    def item(self, marker: str, text: str, container: str | None = None) -> None:
        """Item a), b) … or i., ii. … of a principle or an operative paragraph."""
        owner = self._by_id.get(f"{SOURCE}:{container}") if container else self._container
        if owner is None or owner.kind not in ("principle", "paragraph"):
            raise ParseError(f"item {marker}) outside a principle or paragraph")
        marker = marker.lower()
        iid = f"{owner.id}({marker})"
        self._add(_Draft(iid, "item", f"({marker})", f"{owner.label}({marker})",
                         _required(text, iid), owner.id, owner.id))
        self._items.setdefault(owner.id, []).append(marker)

    def build(self) -> list[ClauseRecord]:
        """Check the numbering, resolve references and return the records in reading order."""
        self._check_structure()
        known = set(self._by_id)
        return [
            ClauseRecord(id=d.id, kind=d.kind, number=d.number, label=d.label, text=d.text,
                         parent=d.parent, unit=d.unit, title=d.title, position=position,
                         language="en", anchor=None, refs=_references(d.text, d.id, known))
            for position, d in enumerate(self._drafts)
        ]

    def _check_structure(self) -> None:
        """Numbering, empty headings and dangling list intros: what a truncated copy shows."""
        if self._preamble_count == 0:
            raise ParseError("no preamble paragraphs (HAVING REGARD …) found")
        operative = [roman_to_int(d.number) for d in self._drafts if d.kind == "paragraph"]
        if not operative or operative != list(range(1, len(operative) + 1)):
            romans = [int_to_roman(n) for n in operative]
            raise ParseError(f"operative paragraphs not numbered I, II, III …: {romans}")
        principles = [d.number for d in self._drafts if d.kind == "principle"]
        if not principles:
            raise ParseError("no principles (1.1 …) found")
        by_section: dict[str, list[int]] = {}
        for number in principles:
            prefix, _, index = number.partition(".")
            by_section.setdefault(prefix, []).append(int(index))
        for prefix, indexes in by_section.items():
            if indexes != list(range(1, len(indexes) + 1)):
                raise ParseError(f"principles of section {prefix} not numbered {prefix}.1, "
                                 f"{prefix}.2 …: {indexes}")
        for draft in self._drafts:
            if draft.kind == "principle" and not draft.text and draft.id not in self._items:
                raise ParseError(f"principle {draft.number} has a heading but no text")
            if draft.text.endswith(":") and draft.kind in ("principle", "paragraph") and (
                draft.id not in self._items and draft.id != self._definitions_owner()
            ):
                raise ParseError(f"{draft.label} introduces a list that is missing: truncated?")
            if draft.kind == "section" and draft.number not in by_section:
                raise ParseError(f"section {draft.number} has no principles: truncated?")
        if self._section is not None:
            raise ParseError(f"the text ends inside section {self._section.number}, before the "
                             "closing operative paragraphs: the document is truncated")
        for owner, markers in self._items.items():
            if markers != _expected_markers(markers[0], len(markers)):
                raise ParseError(f"items of {owner} out of sequence: {markers}")


    def _definitions_owner(self) -> str | None:
        return next((d.parent for d in self._drafts if d.kind == "definition"), None)


def _required(text: str, what: str) -> str:
    text = normalise_text(text)
    if not text:
        raise ParseError(f"{what} has no text")
    return text


def _references(text: str, own_id: str, known: set[str]) -> tuple[str, ...]:
    """Ids cited in the text ('section 1', 'principle 1.4(b)', 'paragraph V') that exist here."""
    found: list[tuple[int, str]] = []
    for match in _REF_SECTION_RE.finditer(text):
        found.append((match.start(), f"{SOURCE}:section-{match[1]}"))
    for match in _REF_PRINCIPLE_RE.finditer(text):
        sub = f"({match[2].lower()})" if match[2] else ""
        found.append((match.start(), f"{SOURCE}:{match[1]}{sub}"))
    for match in _REF_PARAGRAPH_RE.finditer(text):
        try:
            number = roman_to_int(match[1])
        except ParseError:
            continue
        sub = f"({match[2]})" if match[2] else ""
        found.append((match.start(), f"{SOURCE}:op-{number}{sub}"))
    refs: list[str] = []
    for _, rid in sorted(found):
        if rid in known and rid != own_id and rid not in refs:
            refs.append(rid)
    return tuple(refs)


# --- the 2024 markdown capture ---------------------------------------------------------------


def parse_oecd_markdown(data: bytes) -> list[ClauseRecord]:
    """Parse the markdown capture of the OECD/LEGAL/0449 page into clause records."""
    lines = decode_text(data, "OECD markdown").split("\n")
    builder = OecdBuilder()
    for block in _paragraphs(_instrument_lines(lines)):
        _feed_paragraph(builder, block)
    return builder.build()


def _instrument_lines(lines: list[str]) -> list[tuple[int, str]]:
    """(line number, line) from 'THE COUNCIL' up to the 'Background information' tab.

    Everything before ``OECD/LEGAL/0449`` is the capture author's header, everything between it and
    'THE COUNCIL' the page's tab bar; the end marker is required, so a truncated copy fails.
    """
    stripped = [line.strip() for line in lines]
    try:
        start = stripped.index("OECD/LEGAL/0449")
    except ValueError:
        raise ParseError("no 'OECD/LEGAL/0449' line: not a capture of the OECD instrument page"
                         ) from None
    council = next((i for i in range(start, len(lines)) if is_council_line(stripped[i])), None)
    if council is None:
        raise ParseError("no 'THE COUNCIL' line: the instrument text is missing")
    end = next((i for i in range(council, len(lines)) if stripped[i] == "Background information"),
               None)
    if end is None:
        raise ParseError("no 'Background information' tab after the instrument text: "
                         "the document is truncated")
    return [(i + 1, lines[i]) for i in range(council, end)]


def _paragraphs(lines: list[tuple[int, str]]) -> list[list[tuple[int, str]]]:
    """Blank-line separated paragraphs, each a list of its non-empty (line number, line)."""
    blocks: list[list[tuple[int, str]]] = [[]]
    for number, line in lines:
        if line.strip():
            blocks[-1].append((number, line.strip()))
        elif blocks[-1]:
            blocks.append([])
    return [block for block in blocks if block]


def _feed_paragraph(builder: OecdBuilder, block: list[tuple[int, str]]) -> None:
    """Classify one paragraph by its first line and hand it to the builder."""
    first_line_number, first = block[0]
    rest = " ".join(line for _, line in block[1:])
    whole = normalise_text(" ".join(line for _, line in block))
    if match := _OPERATIVE_RE.match(first):
        builder.operative(roman_to_int(match[1]), f"{match[2] or ''} {rest}")
    elif first[0] in _DEFINITION_DASHES:
        builder.definition(*split_definition(whole))
    elif _SECTION_RE.match(first):
        builder.section(*split_section_heading(whole))
    elif match := _PRINCIPLE_RE.match(whole):
        builder.principle(match[1], match[2])
    elif (match := _LETTER_ITEM_RE.match(first)) or (match := _ROMAN_ITEM_RE.match(first)):
        builder.item(match[1], f"{match[2] or ''} {rest}")
    elif not builder.has_operative and is_council_line(whole):
        builder.council(whole)
    elif not builder.has_operative and (is_preamble_paragraph(whole) or is_enacting_formula(whole)):
        builder.preamble(whole)
    else:
        try:
            builder.principle_text(whole)
        except ParseError as exc:
            raise ParseError(f"line {first_line_number}: {exc}") from None
