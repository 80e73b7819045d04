"""EU Formex 4 XML (the Publications Office's format for the Official Journal) -> clause records.

Reads an act (``<ACT>``) or a consolidated act (``<CONS.ACT>``): recitals (``CONSID``), chapters
and sections (``DIVISION``), articles (``ARTICLE``), paragraphs (``PARAG``) and points
(``LIST/ITEM/NP``, nested to any depth). Footnotes (``NOTE``) are dropped; quotation marks, which
Formex stores as empty ``QUOT.START``/``QUOT.END`` elements with a Unicode code point, are put back.
Articles quoted from other acts (inside ``QUOT.S``) are not articles of this act and are skipped;
their text stays in the amending paragraph's text, but references are not read from it.

Ids: ``<src>:art-22``, ``<src>:art-22(1)``, ``<src>:art-22(1)(a)``, ``<src>:recital-71``,
``<src>:chapter-3``, ``<src>:chapter-3.section-2``. An article without numbered paragraphs has its
points directly below it (``gdpr:art-4(1)`` is point (1) of Article 4, as the Regulation cites it).
A paragraph whose subparagraphs each carry a list numbered from (a) again (AI Act Art. 43(1)) keeps
the first list's points below the paragraph; a later subparagraph whose point numbers would repeat
becomes a clause of its own, ``art-43(1)(sub2)`` ("Art. 43(1), second subparagraph"), with its
points below it: ``art-43(1)(sub2)(a)``.

A *package* (``parse_formex_package``) is an act published with its annexes, one Formex file each
(``<ANNEX>`` root), as the Publications Office ships the AI Act. The files are given as the main act
first, then the annexes in legal order (the order of ``DOC.SUB.PUB`` in the ``.doc.fmx.xml``
manifest, which is not read: the registry lists the files in that order); each annex's title must
read ANNEX I, ANNEX II, ... in sequence, so a missing or misplaced file is an error. Annex ids:
``<src>:annex-3`` (kind "annex", anchor ``anx_III``), its numbered points ``<src>:annex-3(1)`` and
``<src>:annex-3(1)(a)`` (kinds "point", "subpoint"), a titled ``GR.SEQ`` section as a subdivision
named by its letter or number (``<src>:annex-8(A)``, kind "section", its points
``<src>:annex-8(A)(1)``), a ``GR.SEQ`` headed by a number ("3. Quality management system") as the
point it numbers, with the heading as its title, and a dotted point "3.1" below point 3 as
``<src>:annex-7(3)(1)``. Text that is not numbered (introductions, dash lists) stays with the
enclosing clause, so an annex without numbered points is one clause with all its text. EUR-Lex
has anchors for whole annexes only, so every clause of an annex links to ``anx_<roman>``.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace

from lxml import etree

from ingest.parsers import ParseError
from ingest.parsers.eu_references import extract_references, roman_to_int
from ingest.parsers.provisions import (
    Provision,
    ordinal,
    split_provision,
    subparagraph_id,
    subparagraph_label,
    subparagraph_number,
)
from kb.records import ClauseRecord

_SKIPPED_TAGS = {"NOTE"}


@dataclass
class _Builder:
    """Accumulates records in document order while walking the tree.

    Besides the records it keeps what reference extraction needs to know about some of them: the
    text to read references from where it differs from the clause text (quoted amendments left
    out), and for clauses of an annex the clause whose points a bare "point 8" names.
    """

    source: str
    records: list[ClauseRecord] = field(default_factory=list)
    reference_texts: dict[str, str] = field(default_factory=dict)
    point_scopes: dict[str, str] = field(default_factory=dict)
    _ids: set[str] = field(default_factory=set)

    def add(self, *, reference_text: str | None = None, point_scope: str | None = None, **fields: object) -> None:
        record = ClauseRecord(position=len(self.records), **fields)  # type: ignore[arg-type]
        if record.id in self._ids:
            raise ParseError(f"clause {record.id} occurs twice: the document's numbering is not what this parser reads")
        self._ids.add(record.id)
        self.records.append(record)
        if reference_text is not None and reference_text != record.text:
            self.reference_texts[record.id] = reference_text
        if point_scope is not None:
            self.point_scopes[record.id] = point_scope


def parse_formex(data: bytes, *, source: str = "gdpr") -> list[ClauseRecord]:
    """Parse one Formex act into clause records; raises ParseError on anything that is not one."""
    builder = _Builder(source)
    _parse_act(builder, _parse_xml(data))
    return _resolve_references(builder)


def parse_formex_package(files: list[bytes], *, source: str) -> list[ClauseRecord]:
    """Parse an act and its annexes: the main act's bytes first, then each annex file in legal order.

    References are resolved across the whole package, so "Annex III" in an article and "Article 47"
    in an annex both point at clauses of the same source.
    """
    if not files:
        raise ParseError("a Formex package needs the main act file, then one file per annex; got no files")
    builder = _Builder(source)
    first = _parse_xml(files[0])
    if first.tag == "ANNEX":
        raise ParseError("the first file of a Formex package must be the main act, got an <ANNEX>")
    if first.tag == "DOC":
        raise ParseError("got the package manifest (.doc.fmx.xml); pass the main act, then the annexes in order")
    _parse_act(builder, first)
    for expected, data in enumerate(files[1:], start=1):
        _parse_annex(builder, data, expected)
    return _resolve_references(builder)


def _parse_act(builder: _Builder, root: etree._Element) -> None:
    if root.tag not in ("ACT", "CONS.ACT"):
        raise ParseError(f"not a Formex act: root element is <{root.tag}>, expected <ACT> or <CONS.ACT>")
    for consid in _own(root, "CONSID"):
        _add_recital(builder, consid)
    enacting = root.find(".//ENACTING.TERMS")
    if enacting is None:
        raise ParseError("Formex act has no <ENACTING.TERMS>: the document is truncated or not an act")
    _walk_divisions(builder, enacting, parent=None, path=())
    if not any(r.kind == "article" for r in builder.records):
        raise ParseError("Formex act has no articles")


def _parse_xml(data: bytes) -> etree._Element:
    if not data or not data.strip():
        raise ParseError("empty document")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        return etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise ParseError(f"malformed XML: {exc}") from exc


def _own(root: etree._Element, tag: str) -> Iterator[etree._Element]:
    """Elements with ``tag`` that belong to this act, not to a text it quotes."""
    for element in root.iter(tag):
        if not any(a.tag == "QUOT.S" for a in element.iterancestors()):
            yield element


# --- text -----------------------------------------------------------------------------------


def element_text(element: etree._Element, *, skip: frozenset[str] = frozenset()) -> str:
    """Visible text of an element: footnotes dropped, quotation marks restored, spaces normalised."""
    parts: list[str] = []
    _collect_text(element, parts, skip | _SKIPPED_TAGS)
    return normalise_space("".join(parts))


def _collect_text(element: etree._Element, parts: list[str], skip: frozenset[str] | set[str]) -> None:
    if element.tag in ("QUOT.START", "QUOT.END"):
        parts.append(chr(int(element.get("CODE", "22"), 16)))
    elif element.tag not in skip:
        if element.text:
            parts.append(element.text)
        for child in element:
            if isinstance(child.tag, str):
                _collect_text(child, parts, skip)
            if child.tail:
                parts.append(child.tail)
        if element.tag in ("P", "TXT", "NO.P", "NO.PARAG", "ALINEA", "TI", "STI"):
            parts.append(" ")


def normalise_space(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return re.sub(r"\s+([,.;:)])", r"\1", text)


# --- recitals -------------------------------------------------------------------------------


def _add_recital(builder: _Builder, consid: etree._Element) -> None:
    number = element_text(consid.find("NP/NO.P")).strip("()")
    if not number.isdigit():
        raise ParseError(f"recital without a number: {element_text(consid)[:80]!r}")
    text = element_text(consid, skip=frozenset({"NO.P"}))
    rid = f"{builder.source}:recital-{number}"
    builder.add(
        id=rid,
        kind="recital",
        number=number,
        label=f"Recital {number}",
        text=text,
        unit=rid,
        anchor=f"rct_{number}",
    )


# --- chapters, sections, articles -----------------------------------------------------------


def _walk_divisions(builder: _Builder, element: etree._Element, parent: str | None, path: tuple[str, ...]) -> None:
    for child in element:
        if child.tag == "DIVISION":
            _add_division(builder, child, parent, path)
        elif child.tag == "ARTICLE":
            _add_article(builder, child, parent)


def _add_division(builder: _Builder, division: etree._Element, parent: str | None, path: tuple[str, ...]) -> None:
    heading = element_text(division.find("TITLE/TI")) if division.find("TITLE/TI") is not None else ""
    title = element_text(division.find("TITLE/STI")) if division.find("TITLE/STI") is not None else None
    match = re.match(r"(?i)(chapter|section|title|part)\s+([IVXLC]+|\d+)", heading)
    if match is None:
        _walk_divisions(builder, division, parent, path)  # an untitled grouping: flatten it
        return
    level = match[1].lower()
    number = _arabic(match[2])
    segment = f"{level}-{number}"
    did = f"{builder.source}:{'.'.join((*path, segment))}"
    kind = "chapter" if level in ("chapter", "title", "part") else "section"
    anchor = ".".join(f"{'cpt' if p.startswith('chapter') else 'sct'}_{_roman_of(p)}" for p in (*path, segment))
    builder.add(
        id=did,
        kind=kind,
        number=match[2],
        label=f"{level.capitalize()} {match[2]}",
        text="",
        parent=parent,
        unit=did,
        title=title,
        anchor=anchor,
    )
    _walk_divisions(builder, division, did, (*path, segment))


def _add_article(builder: _Builder, article: etree._Element, parent: str | None) -> None:
    identifier = article.get("IDENTIFIER", "").split(".")[0]
    if not identifier.isdigit() or int(identifier) == 0:
        raise ParseError(f"article without a numeric IDENTIFIER: {element_text(article)[:80]!r}")
    number = str(int(identifier))
    aid = f"{builder.source}:art-{number}"
    title_el = article.find("STI.ART")
    title = element_text(title_el) if title_el is not None else None
    provision = split_provision(_subparagraphs(article.findall("ALINEA")), _has_points)
    builder.add(
        id=aid,
        kind="article",
        number=number,
        label=f"Art. {number}",
        text=" ".join(_own_text(a) for a in provision.lead_in),
        reference_text=_reference_text(provision.lead_in),
        parent=parent,
        unit=aid,
        title=title,
        anchor=f"art_{number}",
    )
    _add_provision_points(builder, provision, aid, aid, label=f"Art. {number}", anchor=f"art_{number}")
    for parag in article.findall("PARAG"):
        _add_paragraph(builder, parag, aid, number)


def _add_paragraph(builder: _Builder, parag: etree._Element, article_id: str, article_no: str) -> None:
    raw = element_text(parag.find("NO.PARAG")) if parag.find("NO.PARAG") is not None else ""
    number = raw.rstrip(".").strip()
    if not number:
        raise ParseError(f"paragraph without a number in {article_id}")
    pid = f"{article_id}({number})"
    anchor = parag.get("IDENTIFIER") or f"art_{article_no}"
    provision = split_provision(_subparagraphs(parag.findall("ALINEA")), _has_points)
    label = f"Art. {article_no}({number})"
    builder.add(
        id=pid,
        kind="paragraph",
        number=number,
        label=label,
        text=" ".join(_own_text(a) for a in provision.lead_in),
        reference_text=_reference_text(provision.lead_in),
        parent=article_id,
        unit=article_id,
        anchor=anchor,
    )
    _add_provision_points(builder, provision, pid, article_id, label=label, anchor=anchor)


def _subparagraphs(alineas: list[etree._Element]) -> list[etree._Element]:
    """The subparagraphs of a paragraph or article, in document order: one per ALINEA, and one more
    for each P that follows a list inside an ALINEA (the Official Journal prints it as a paragraph
    of its own after the points: AI Act Art. 22(3), "The mandate shall empower …")."""
    blocks: list[etree._Element] = []
    for alinea in alineas:
        children = [c for c in alinea if isinstance(c.tag, str)]
        first_list = next((i for i, c in enumerate(children) if _lists_points(c)), None)
        trailing = [] if first_list is None else [c for c in children[first_list + 1 :] if c.tag == "P"]
        trailing = [c for c in trailing if not _lists_points(c)]
        if not trailing:
            blocks.append(alinea)
            continue
        head = copy.deepcopy(alinea)
        for child in [c for c in head if isinstance(c.tag, str)][first_list + 1 :]:
            if child.tag == "P" and not _lists_points(child):
                head.remove(child)
        blocks.append(head)
        for paragraph in trailing:
            block = etree.Element("ALINEA")
            block.append(copy.deepcopy(paragraph))
            block[0].tail = None
            blocks.append(block)
    return blocks


def _lists_points(element: etree._Element) -> bool:
    """A LIST, or a P holding one, with numbered items."""
    lists = [element] if element.tag == "LIST" else element.findall("LIST")
    return any(item.find("NP/NO.P") is not None for lst in lists for item in lst.findall("ITEM"))


def _has_points(block: etree._Element) -> bool:
    return next(_numbered_items(block), None) is not None


def _add_provision_points(
    builder: _Builder,
    provision: Provision[etree._Element],
    parent: str,
    unit: str,
    label: str,
    anchor: str,
) -> None:
    """The lead-in's points below the provision, then each tail subparagraph as a clause of its own
    (``art-6(1)(sub2)``) with its points, if it lists any, below it (``art-43(1)(sub2)(a)``)."""
    for block in provision.lead_in:
        _add_points(builder, block, parent, unit, label=label, anchor=anchor)
    for position, block in provision.tail:
        sid = subparagraph_id(parent, position)
        sub_label = subparagraph_label(label, position)
        builder.add(
            id=sid,
            kind="paragraph",
            number=subparagraph_number(position),
            label=sub_label,
            text=_own_text(block),
            reference_text=_reference_text([block]),
            parent=parent,
            unit=unit,
            anchor=anchor,
        )
        _add_points(builder, block, sid, unit, label=f"{sub_label}, point ", anchor=anchor)


def _item_number(item: etree._Element) -> str:
    return element_text(item.find("NP/NO.P")).strip("()")


def _add_points(
    builder: _Builder,
    container: etree._Element,
    parent: str,
    unit: str,
    label: str,
    anchor: str,
    nested: bool = False,
) -> None:
    """Numbered list items below ``container`` become points; nested lists become sub-points."""
    for item in _numbered_items(container):
        np = item.find("NP")
        number = element_text(np.find("NO.P")).strip("()")
        pid = f"{parent}({number})"
        text = _own_text(np, skip=frozenset({"NO.P"}))
        kind = "subpoint" if nested else "point"
        builder.add(
            id=pid,
            kind=kind,
            number=f"({number})",
            label=f"{label}({number})",
            text=text,
            reference_text=_own_text(np, skip=frozenset({"NO.P", "QUOT.S"})),
            parent=parent,
            unit=unit,
            anchor=anchor,
        )
        _add_points(builder, np, pid, unit, f"{label}({number})", anchor, nested=True)


def _numbered_items(container: etree._Element) -> Iterator[etree._Element]:
    """ITEMs of the lists directly in ``container`` (or in its P children) that carry a number."""
    for lst in [*container.findall("LIST"), *container.findall("P/LIST")]:
        for item in lst.findall("ITEM"):
            np = item.find("NP")
            if np is not None and np.find("NO.P") is not None:
                yield item


def _reference_text(alineas: Iterable[etree._Element]) -> str:
    """The clause's own text without text quoted from other acts, whose "paragraph 2" is theirs."""
    return " ".join(_own_text(a, skip=frozenset({"QUOT.S"})) for a in alineas)


def _own_text(element: etree._Element, skip: frozenset[str] = frozenset()) -> str:
    """Text of an element without its numbered sub-items (those become clauses of their own).

    Unnumbered (dash) items stay in the text: they have no number to cite them by.
    """
    clone = etree.fromstring(etree.tostring(element, with_tail=False))
    for item in list(_numbered_items(clone)):
        item.getparent().remove(item)
    return element_text(clone, skip=skip)


# --- annexes ---------------------------------------------------------------------------------

_ANNEX_HEADING = re.compile(r"ANNEX\s+([IVXLC]+)")
_SECTION_HEADING = re.compile(r"Section\s+([A-Z]|\d+)\b\s*[.:—–-]?\s*(.*)")
_POINT_SEGMENT = re.compile(r"[A-Za-z0-9]+")


@dataclass(frozen=True)
class _Place:
    """The annex clause new points go below: its id and label, its dotted point number ("3" for
    point 3, "" for an annex or section), how deep it is below its annex or section, and the label
    a dotted point "3.1" is cited from ("Annex VII", "Annex VIII, Section A")."""

    id: str
    label: str
    number: str
    depth: int
    stem: str
    annex: str
    anchor: str


def _parse_annex(builder: _Builder, data: bytes, expected: int) -> None:
    """One annex file: the annex clause, then its sections and points in document order."""
    root = _parse_xml(data)
    if root.tag != "ANNEX":
        raise ParseError(f"annex file {expected} is not a Formex annex: root element is <{root.tag}>")
    roman, title = _annex_heading(root, expected)
    if _arabic(roman) != expected:
        raise ParseError(
            f"annex file {expected} is Annex {roman}, expected Annex {_to_roman(expected)}: "
            "give the annexes in legal order, none missing"
        )
    contents = root.find("CONTENTS")
    if contents is None:
        raise ParseError(f"Annex {roman} has no <CONTENTS>: the file is truncated or not an annex")
    aid = f"{builder.source}:annex-{expected}"
    label = f"Annex {roman}"
    indents = _indent_list(contents)
    text = _annex_own_text(contents, leave_out=indents)
    if not text and next(_annex_parts(contents), None) is None:
        raise ParseError(f"Annex {roman} has no text")
    builder.add(
        id=aid,
        kind="annex",
        number=roman,
        label=label,
        text=text,
        unit=aid,
        title=title,
        anchor=f"anx_{roman}",
        point_scope=aid,
    )
    place = _Place(aid, label, "", 0, label, aid, f"anx_{roman}")
    if indents is not None:
        _add_indents(builder, indents, place)
    _walk_annex(builder, contents, place)
    _add_annex_tail(builder, contents, place)


def _indent_list(contents: etree._Element) -> etree._Element | None:
    """The dash list an annex without numbered points consists of (AI Act Annex II: "Criminal
    offences referred to in …:" and one offence per indent), when it ends the annex."""
    children = [c for c in contents if isinstance(c.tag, str) and c.tag != "NOTE"]
    if next(_annex_parts(contents), None) is not None or not children:
        return None
    last = children[-1]
    return last if last.tag == "LIST" and last.get("TYPE", "").upper() == "DASH" else None


def _add_indents(builder: _Builder, dash_list: etree._Element, place: _Place) -> None:
    """One clause per indent, cited as EU law cites them: "Annex II, third indent"."""
    for position, item in enumerate(dash_list.findall("ITEM"), start=1):
        builder.add(
            id=f"{place.id}(indent{position})",
            kind="item",
            number=f"{ordinal(position)} indent",
            label=f"{place.label}, {ordinal(position)} indent",
            text=element_text(item),
            parent=place.id,
            unit=place.annex,
            anchor=place.anchor,
            point_scope=builder.point_scopes[place.id],
        )


def _annex_heading(root: etree._Element, expected: int) -> tuple[str, str | None]:
    """('III', 'High-risk AI systems referred to in Article 6(2)') from the annex's TITLE.

    The title is the STI; where there is none (Annex X) it is the TI's paragraphs after the first.
    """
    paragraphs = root.findall("TITLE/TI/P")
    match = _ANNEX_HEADING.fullmatch(element_text(paragraphs[0])) if paragraphs else None
    if match is None:
        raise ParseError(f"annex file {expected} has no 'ANNEX <number>' title")
    subtitle = root.find("TITLE/STI")
    rest = paragraphs[1:] if subtitle is None else [subtitle]
    title = " ".join(element_text(p) for p in rest)
    return match[1], title or None


def _walk_annex(builder: _Builder, element: etree._Element, place: _Place) -> None:
    for part in _annex_parts(element):
        if part.tag == "GR.SEQ":
            kind, number, title = _group_heading(part)  # type: ignore[misc]
            if kind == "section":
                _add_annex_section(builder, part, place, number, title)
            else:
                _add_annex_point(builder, part, place, number, title)
        else:
            np = part if part.tag == "NP" else part.find("NP")
            _add_annex_point(builder, np, place, element_text(np.find("NO.P")), None)


def _add_annex_section(builder: _Builder, group: etree._Element, place: _Place, letter: str, title: str | None) -> None:
    sid = f"{place.id}({letter})"
    label = f"{place.label}, Section {letter}"
    builder.add(
        id=sid,
        kind="section",
        number=letter,
        label=label,
        text=_annex_own_text(group),
        parent=place.id,
        unit=place.annex,
        title=title,
        anchor=place.anchor,
        point_scope=sid,
    )
    section = _Place(sid, label, "", 0, label, place.annex, place.anchor)
    _walk_annex(builder, group, section)
    _add_annex_tail(builder, group, section)


def _add_annex_point(
    builder: _Builder, element: etree._Element, place: _Place, raw_number: str, title: str | None
) -> None:
    """A numbered point: "1." below an annex or section, "(a)" below a point, "3.1." below point 3."""
    number = raw_number.strip().strip("()").rstrip(".")
    *prefix, segment = number.split(".")
    if prefix and ".".join(prefix) != place.number:
        raise ParseError(f"{place.label}: point {number} is not inside point {'.'.join(prefix)}")
    if not _POINT_SEGMENT.fullmatch(segment):
        raise ParseError(f"{place.label}: cannot read the point number {raw_number!r}")
    pid = f"{place.id}({segment})"
    label = f"{place.stem}({number})" if prefix else f"{place.label}({number})"
    builder.add(
        id=pid,
        kind="point" if place.depth == 0 else "subpoint",
        number=number if number[0].isdigit() else f"({number})",
        label=label,
        text=_annex_own_text(element),
        parent=place.id,
        unit=place.annex,
        title=title,
        anchor=place.anchor,
        point_scope=builder.point_scopes[place.id],
    )
    below = _Place(
        pid, label, number if number[0].isdigit() else "", place.depth + 1, place.stem, place.annex, place.anchor
    )
    _walk_annex(builder, element, below)
    _add_annex_tail(builder, element, below)


def _annex_tail(element: etree._Element) -> list[etree._Element]:
    """The paragraphs of an annex clause that follow its last numbered part (Annex XI, Section 1,
    point 2: "With regard to point (e), …" after points (a) to (e)): the tail of the provision."""
    children = [c for c in element if isinstance(c.tag, str) and c.tag not in ("TITLE", "NO.P", "NOTE")]
    with_parts = [i for i, c in enumerate(children) if _is_annex_part(c) or next(_annex_parts(c), None) is not None]
    if not with_parts:
        return []
    return [c for c in children[with_parts[-1] + 1 :] if element_text(c)]


def _add_annex_tail(builder: _Builder, element: etree._Element, place: _Place) -> None:
    for position, paragraph in enumerate(_annex_tail(element), start=2):
        builder.add(
            id=subparagraph_id(place.id, position),
            kind="paragraph",
            number=subparagraph_number(position),
            label=subparagraph_label(place.label, position),
            text=element_text(paragraph),
            parent=place.id,
            unit=place.annex,
            anchor=place.anchor,
            point_scope=builder.point_scopes[place.id],
        )


def _group_heading(group: etree._Element) -> tuple[str, str, str | None] | None:
    """How a GR.SEQ is headed: ('section', 'A', title), ('point', '3.', title) or None (untitled)."""
    heading = group.find("TITLE/TI")
    if heading is None:
        return None
    numbered = heading.find("NP")
    if numbered is not None and numbered.find("NO.P") is not None:
        title = element_text(numbered, skip=frozenset({"NO.P"})).rstrip(".")
        return "point", element_text(numbered.find("NO.P")), title or None
    match = _SECTION_HEADING.fullmatch(element_text(heading))
    if match is None:
        return None
    subtitle = group.find("TITLE/STI")
    title = match[2] or (element_text(subtitle) if subtitle is not None else "")
    return "section", match[1], title or None


def _annex_parts(element: etree._Element) -> Iterator[etree._Element]:
    """The outermost numbered parts inside ``element``, in document order: headed GR.SEQ groups,
    numbered NP paragraphs and numbered list ITEMs. Not their insides, nor headings or quoted text."""
    for child in element:
        if not isinstance(child.tag, str) or child.tag in ("TITLE", "QUOT.S", "NOTE", "NO.P"):
            continue
        if _is_annex_part(child):
            yield child
        else:
            yield from _annex_parts(child)


def _is_annex_part(element: etree._Element) -> bool:
    if element.tag == "GR.SEQ":
        return _group_heading(element) is not None
    if element.tag == "ITEM":
        element = element.find("NP")
        if element is None:
            return False
    return element.tag == "NP" and element.find("NO.P") is not None


def _annex_own_text(element: etree._Element, leave_out: etree._Element | None = None) -> str:
    """Words of an annex clause before its numbered parts; the parts, the tail after them (see
    ``_annex_tail``) and the indents of ``leave_out`` are clauses of their own.

    An untitled GR.SEQ's heading stays in the text: it is not a clause heading of its own.
    """
    clone = etree.fromstring(etree.tostring(element, with_tail=False))
    if leave_out is not None:
        clone.remove(clone[element.index(leave_out)])
    for child in _annex_tail(clone):
        clone.remove(child)
    for part in list(_annex_parts(clone)):
        part.getparent().remove(part)
    for own in [c for c in clone if c.tag in ("NO.P", "TITLE")]:
        clone.remove(own)
    return element_text(clone)


# --- numbers and references -----------------------------------------------------------------


def _arabic(number: str) -> int:
    return int(number) if number.isdigit() else roman_to_int(number)


def _roman_of(segment: str) -> str:
    """'chapter-3' -> 'III' (EUR-Lex anchors number chapters and sections in Roman numerals)."""
    return _to_roman(int(segment.split("-")[1]))


def _to_roman(value: int) -> str:
    numerals = [(100, "C"), (90, "XC"), (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]
    out = ""
    for amount, letters in numerals:
        while value >= amount:
            out += letters
            value -= amount
    return out


_AMENDING = re.compile(r"\b(?:is|are) (?:hereby )?amended as follows:?$")


def _resolve_references(builder: _Builder) -> list[ClauseRecord]:
    """Attach the cross-references found in each clause's text, kept only where they resolve.

    The points of an amending provision ("Regulation (EU) 2018/1139 is amended as follows: (1) in
    Article 17, ...") name articles of the amended act, not of this one: they get no references.
    """
    records = builder.records
    known = {r.id for r in records}
    by_id = {r.id: r for r in records}
    resolved = []
    for record in records:
        text = builder.reference_texts.get(record.id, record.text)
        if not text or _amends_another_act(record, by_id):
            resolved.append(record)
            continue
        refs = extract_references(text, record.id, known, point_scope=builder.point_scopes.get(record.id))
        resolved.append(_with_refs(record, refs))
    return resolved


def _amends_another_act(record: ClauseRecord, by_id: dict[str, ClauseRecord]) -> bool:
    parent = by_id.get(record.parent) if record.parent else None
    while parent is not None and parent.kind not in ("chapter", "section"):
        if _AMENDING.search(parent.text):
            return True
        parent = by_id.get(parent.parent) if parent.parent else None
    return False


def _with_refs(record: ClauseRecord, refs: tuple[str, ...]) -> ClauseRecord:
    return replace(record, refs=refs) if refs else record
