"""EU Formex 4 XML (the Publications Office's format for the Official Journal) -> clause records.

Reads an act (``<ACT>``) or a consolidated act (``<CONS.ACT>``): recitals (``CONSID``), chapters
and sections (``DIVISION``), articles (``ARTICLE``), paragraphs (``PARAG``) and points
(``LIST/ITEM/NP``, nested to any depth). Footnotes (``NOTE``) are dropped; quotation marks, which
Formex stores as empty ``QUOT.START``/``QUOT.END`` elements with a Unicode code point, are put back.
Articles quoted from other acts (inside ``QUOT.S``) are not articles of this act and are skipped.

Ids: ``<src>:art-22``, ``<src>:art-22(1)``, ``<src>:art-22(1)(a)``, ``<src>:recital-71``,
``<src>:chapter-3``, ``<src>:chapter-3.section-2``. An article without numbered paragraphs has its
points directly below it (``gdpr:art-4(1)`` is point (1) of Article 4, as the Regulation cites it).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from lxml import etree

from ingest.parsers import ParseError
from ingest.parsers.eu_references import extract_references
from kb.records import ClauseRecord

_ROMAN = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}
_SKIPPED_TAGS = {"NOTE"}


@dataclass
class _Builder:
    """Accumulates records in document order while walking the tree."""

    source: str
    records: list[ClauseRecord] = field(default_factory=list)

    def add(self, **fields: object) -> None:
        self.records.append(ClauseRecord(position=len(self.records), **fields))  # type: ignore[arg-type]


def parse_formex(data: bytes, *, source: str = "gdpr") -> list[ClauseRecord]:
    """Parse one Formex act into clause records; raises ParseError on anything that is not one."""
    root = _parse_xml(data)
    if root.tag not in ("ACT", "CONS.ACT"):
        raise ParseError(f"not a Formex act: root element is <{root.tag}>, expected <ACT> or <CONS.ACT>")
    builder = _Builder(source)
    for consid in _own(root, "CONSID"):
        _add_recital(builder, consid)
    enacting = root.find(".//ENACTING.TERMS")
    if enacting is None:
        raise ParseError("Formex act has no <ENACTING.TERMS>: the document is truncated or not an act")
    _walk_divisions(builder, enacting, parent=None, path=())
    if not any(r.kind == "article" for r in builder.records):
        raise ParseError("Formex act has no articles")
    return _resolve_references(builder.records)


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
        if element.tag in ("P", "TXT", "NO.P", "ALINEA", "TI", "STI"):
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
    number = str(int(article.get("IDENTIFIER", "0").split(".")[0] or 0))
    if number == "0":
        raise ParseError(f"article without IDENTIFIER: {element_text(article)[:80]!r}")
    aid = f"{builder.source}:art-{number}"
    title_el = article.find("STI.ART")
    title = element_text(title_el) if title_el is not None else None
    paragraphs = article.findall("PARAG")
    intro = " ".join(_own_text(a) for a in article.findall("ALINEA"))
    builder.add(
        id=aid,
        kind="article",
        number=number,
        label=f"Art. {number}",
        text=intro,
        parent=parent,
        unit=aid,
        title=title,
        anchor=f"art_{number}",
    )
    for alinea in article.findall("ALINEA"):
        _add_points(builder, alinea, aid, aid, label=f"Art. {number}", anchor=f"art_{number}")
    for parag in paragraphs:
        _add_paragraph(builder, parag, aid, number)


def _add_paragraph(builder: _Builder, parag: etree._Element, article_id: str, article_no: str) -> None:
    raw = element_text(parag.find("NO.PARAG")) if parag.find("NO.PARAG") is not None else ""
    number = raw.rstrip(".").strip()
    if not number:
        raise ParseError(f"paragraph without a number in {article_id}")
    pid = f"{article_id}({number})"
    anchor = parag.get("IDENTIFIER") or f"art_{article_no}"
    text = " ".join(_own_text(a) for a in parag.findall("ALINEA"))
    label = f"Art. {article_no}({number})"
    builder.add(
        id=pid,
        kind="paragraph",
        number=number,
        label=label,
        text=text,
        parent=article_id,
        unit=article_id,
        anchor=anchor,
    )
    for alinea in parag.findall("ALINEA"):
        _add_points(builder, alinea, pid, article_id, label=label, anchor=anchor)


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


def _own_text(element: etree._Element, skip: frozenset[str] = frozenset()) -> str:
    """Text of an element without its numbered sub-items (those become clauses of their own).

    Unnumbered (dash) items stay in the text: they have no number to cite them by.
    """
    clone = etree.fromstring(etree.tostring(element, with_tail=False))
    for item in list(_numbered_items(clone)):
        item.getparent().remove(item)
    return element_text(clone, skip=skip)


# --- numbers and references -----------------------------------------------------------------


def _arabic(number: str) -> int:
    if number.isdigit():
        return int(number)
    total = 0
    for current, following in zip(number, [*number[1:], ""], strict=True):
        value = _ROMAN[current]
        total += -value if following and _ROMAN[following] > value else value
    return total


def _roman_of(segment: str) -> str:
    value = int(segment.split("-")[1])
    numerals = [(10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]
    out = ""
    for amount, letters in numerals:
        while value >= amount:
            out += letters
            value -= amount
    return out


def _resolve_references(records: list[ClauseRecord]) -> list[ClauseRecord]:
    """Attach the cross-references found in each clause's text, kept only where they resolve."""
    known = {r.id for r in records}
    resolved = []
    for record in records:
        if not record.text:
            resolved.append(record)
            continue
        refs = extract_references(record.text, record.id, known)
        resolved.append(_with_refs(record, refs))
    return resolved


def _with_refs(record: ClauseRecord, refs: tuple[str, ...]) -> ClauseRecord:
    return replace(record, refs=refs) if refs else record
