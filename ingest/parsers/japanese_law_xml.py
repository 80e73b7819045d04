"""Japanese statutes in XML -> clause records: e-Gov 法令標準XML and the Japanese Law Translation format.

Both formats share one element vocabulary (``Law/LawBody/MainProvision``, ``Part``/``Chapter``/
``Section``/``Subsection``/``Division``, ``Article``, ``Paragraph``, ``Item``, ``Subitem1``…,
``SupplProvision``, ``AppdxTable``); the Japanese Law Translation (JLT) files add a UTF-8 BOM, a
DOCTYPE naming a DTD that is not shipped, and ``id`` attributes. The language is the ``Law/@Lang``
attribute, so the same parser reads the Japanese text and its official English translation, and
any Japanese statute is added by a registry entry alone.

Ids follow the article numbering (``appi:27``, ``appi:27(1)``, ``appi:27(1)(ii)``, subitems
イ, ロ … as ``(a)``, ``(b)``; branch numbers 第二条の二 as ``appi:2-2``, items 第一号の二 as ``(i-2)``).
Every ``Paragraph`` is a clause, also the sole paragraph of an article, so the counts are those of
the XML. Chapters and sections: ``appi:chapter-4``, ``appi:chapter-4.section-2.subsection-1``.
Supplementary provisions (附則) are kept apart from the main provision, with kinds of their own so
that the registry's counts of articles and paragraphs are those of the main provision: the
original act's block is ``appi:suppl`` (its articles ``appi:suppl-1``), an amending act's block is
named after the act's number, ``appi:suppl-r3-37`` (令和3年法律第37号; its articles
``appi:suppl-r3-37-1``, or, for a block of bare paragraphs, ``appi:suppl-r3-37(1)``). Appended
tables (別表第一) are ``appi:table-1`` (kind "annex").

Labels carry the citation in English and, for the Japanese text, as a Japanese lawyer writes it:
"Art. 27(1)(ii) (第二十七条第一項第二号)"; the sole paragraph of an article is not named in the
Japanese form (第五条第一号), as Japanese drafting cites it. Titles are the article captions
(見出し) without their brackets; an article without a caption shares the caption of the article
before it in the same chapter or section (a common caption, 共通見出し).

Cross-references in the Japanese text are resolved to ids: absolute (第十六条第二項, 第二十条第一項
第一号, ranges 第九条から第十一条まで), relative (前条, 次条, 前二条, 前項, 前各項, 前号, 第二項 within
the same article, 前章) and anaphoric (同条, 同項, 同号: the article, paragraph, item named last).
A reference preceded by the name or number of another act (行政不服審査法第九条, 同法第百六条,
…（平成十五年法律第五十七号）第百七条) is not this act's and is left out, as are absolute
references inside supplementary provisions, whose numbers are those of the act they were made
for (see ``japanese_references``). A JLT quirk, an article number repeated within one block,
keeps the first article.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from lxml import etree

from ingest.parsers import ParseError
from ingest.parsers.japanese_numbers import ERAS, IROHA, KANJI_NUMERAL, int_to_kanji, kanji_to_int, letter, roman
from ingest.parsers.japanese_references import CitingClause, resolve_references
from kb.records import ClauseRecord

_DIVISIONS = {  # element -> (id word, English label, Japanese counter)
    "Part": ("part", "Part", "編"),
    "Chapter": ("chapter", "Chapter", "章"),
    "Section": ("section", "Section", "節"),
    "Subsection": ("subsection", "Subsection", "款"),
    "Division": ("division", "Division", "目"),
}
_DIVISION_KIND = {"Part": "part", "Chapter": "chapter", "Section": "section", "Subsection": "section",
                  "Division": "section"}
_APPENDICES = {  # element -> (id word, English label, Japanese name)
    "AppdxTable": ("table", "Appended Table", "別表"),
    "AppdxNote": ("note", "Appended Note", "別記"),
    "AppdxStyle": ("style", "Appended Form", "別記様式"),
    "AppdxFormat": ("format", "Appended Format", "別記書式"),
    "AppdxFig": ("figure", "Appended Figure", "別図"),
    "Appdx": ("appendix", "Appendix", "付録"),
}
_SUBITEM = re.compile(r"^Subitem(\d+)$")
_SKIPPED_TEXT = {"Rt", "ArticleTitle", "ParagraphNum", "ItemTitle", "SupplNote", "FigStruct", "Fig"}


@dataclass
class _Law:
    source: str
    language: str
    clauses: list[CitingClause] = field(default_factory=list)
    ids: set[str] = field(default_factory=set)

    @property
    def japanese(self) -> bool:
        return self.language == "ja"

    def add(self, clause: CitingClause) -> bool:
        """Keep the clause unless its id is already taken (a repeated number); say whether it was kept."""
        if clause.record.id in self.ids:
            return False
        self.ids.add(clause.record.id)
        self.clauses.append(clause)
        return True

    def label(self, english: str, japanese: str) -> str:
        return f"{english} ({japanese})" if self.japanese and japanese else english


def parse_japanese_law_xml(data: bytes, source: str) -> list[ClauseRecord]:
    """Every clause of a Japanese statute in e-Gov or JLT XML, with references resolved (Japanese text)."""
    root = _root(data)
    body = root.find("LawBody")
    if body is None:
        raise ParseError("no <LawBody> in the <Law> document")
    main = body.find("MainProvision")
    if main is None:
        raise ParseError("no <MainProvision> in <LawBody>: not a statute in e-Gov or JLT XML")
    law = _Law(source, (root.get("Lang") or "ja").strip().lower())
    _walk_divisions(law, main, parent=None, path=(), japanese_path="", scope="main")
    if not any(c.record.kind == "article" for c in law.clauses) and not any(
        c.record.kind == "paragraph" for c in law.clauses
    ):
        raise ParseError("the main provision holds no <Article> and no <Paragraph>")
    blocks: set[str] = set()
    for suppl in body.findall("SupplProvision"):
        _supplementary(law, suppl, blocks)
    counters: dict[str, int] = {}
    for element in body:
        if element.tag in _APPENDICES:
            _appendix(law, element, counters)
    if law.japanese:
        resolve_references(law.clauses, law.source)
    return [replace(c.record, position=position) for position, c in enumerate(law.clauses)]


# --- reading the document ----------------------------------------------------------------------


def _root(data: bytes) -> etree._Element:
    if not isinstance(data, bytes | bytearray):
        raise ParseError(f"expected the document as bytes, got {type(data).__name__}")
    parser = etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(bytes(data).lstrip(b"\xef\xbb\xbf").lstrip(), parser)
    except etree.XMLSyntaxError as exc:
        raise ParseError(f"not well-formed XML: {exc}") from exc
    if root.tag != "Law":
        raise ParseError(f"the root element is <{root.tag}>, not <Law>: not e-Gov or JLT law XML")
    return root


def _number(element: etree._Element, what: str) -> str:
    num = (element.get("Num") or "").strip()
    if not re.fullmatch(r"\d+(?:_\d+)*(?::\d+(?:_\d+)*)?", num):
        raise ParseError(f"<{element.tag}> ({what}) has no usable Num attribute: {num!r}")
    return num


def _id_part(num: str, style=str) -> str:
    """Num "2_2" -> "2-2" (第二条の二), "3:5" -> "3-to-5" (第三条から第五条まで, deleted together)."""
    ranges = num.split(":")
    parts = ["-".join([style(int(p[0])), *p[1:]]) for p in (r.split("_") for r in ranges)]
    return "-to-".join(parts)


def _english_number(num: str, style=str) -> str:
    ranges = [r.split("_") for r in num.split(":")]
    return " to ".join("-".join([style(int(p[0])), *p[1:]]) for p in ranges)


def _japanese_number(num: str, counter: str) -> str:
    """Num "2_2" with counter 条 -> 第二条の二; "3:5" -> 第三条から第五条まで."""
    def one(part: str) -> str:
        head, *branches = part.split("_")
        return f"第{int_to_kanji(int(head))}{counter}" + "".join(f"の{int_to_kanji(int(b))}" for b in branches)

    ranges = num.split(":")
    return one(ranges[0]) if len(ranges) == 1 else f"{one(ranges[0])}から{one(ranges[1])}まで"


def _walk_divisions(
    law: _Law, container: etree._Element, parent: str | None, path: tuple[str, ...], japanese_path: str, scope: str
) -> None:
    """Parts, chapters, sections and their articles (or an act's bare paragraphs), in order."""
    caption: dict[str, str | None] = {"title": None}
    for element in container:
        if element.tag in _DIVISIONS:
            word, english, counter = _DIVISIONS[element.tag]
            num = _number(element, english)
            segment = f"{word}-{_id_part(num)}"
            clause_id = f"{law.source}:{'.'.join((*path, segment))}"
            japanese = japanese_path + _japanese_number(num, counter)
            english_label = ", ".join(
                [*(_division_label(p) for p in path), f"{english} {_english_number(num)}"]
            )
            title_element = element.find(f"{element.tag}Title")
            record = ClauseRecord(
                id=clause_id,
                kind=_DIVISION_KIND[element.tag],
                number=num,
                label=law.label(english_label, japanese),
                text="",
                parent=parent,
                unit=clause_id,
                title=_division_title(_text(title_element, law)) if title_element is not None else None,
                language=law.language,
            )
            if law.add(CitingClause(record, scope)):
                _walk_divisions(law, element, clause_id, (*path, segment), japanese, scope)
        elif element.tag == "Article":
            _article(law, element, parent, scope, caption)
        elif element.tag == "Paragraph" and scope == "main":  # an act of bare paragraphs
            _paragraph(law, element, None, f"{law.source}:", "", "", parent, scope, sole=False)


def _division_label(segment: str) -> str:
    word, _, number = segment.partition("-")
    english = {w: e for w, e, _ in _DIVISIONS.values()}[word]
    return f"{english} {number}"


def _division_title(heading: str) -> str | None:
    """"第四章　個人情報取扱事業者等の義務等" or "Chapter IV Obligations of …" -> the title alone."""
    heading = heading.strip()
    match = re.match(r"^第[^\s　]+?[編章節款目](?:の[^\s　]+)?[\s　]*", heading) or re.match(
        r"^(?:Part|Chapter|Section|Subsection|Division)\s+\S+\s*", heading
    )
    title = heading[match.end():].strip() if match else heading
    return title or None


def _article(
    law: _Law, element: etree._Element, parent: str | None, scope: str, caption: dict[str, str | None],
    base_prefix: str = "", english_prefix: str = "Art.", japanese_prefix: str = "",
    kind: str = "article",
) -> None:
    num = _number(element, "article")
    base = f"{base_prefix}{_id_part(num)}"
    clause_id = f"{law.source}:{base}"
    own_caption = element.find("ArticleCaption")
    if own_caption is not None:
        caption["title"] = _caption(_text(own_caption, law))
    english = f"{english_prefix} {_english_number(num)}"
    japanese = japanese_prefix + _japanese_number(num, "条")
    record = ClauseRecord(
        id=clause_id,
        kind=kind,
        number=num,
        label=law.label(english, japanese),
        text=_loose_text(element, law, {"ArticleCaption", "Paragraph"}),
        parent=parent,
        unit=clause_id,
        title=caption["title"],
        language=law.language,
    )
    if not law.add(CitingClause(record, scope, article=clause_id)):
        return
    paragraphs = element.findall("Paragraph")
    for paragraph in paragraphs:
        _paragraph(law, paragraph, clause_id, clause_id, english, japanese, clause_id, scope,
                   sole=len(paragraphs) == 1, kind="paragraph" if kind == "article" else "suppl-paragraph")


def _caption(text: str) -> str | None:
    text = text.strip()
    if len(text) >= 2 and text[0] in "（(" and text[-1] in "）)":
        text = text[1:-1].strip()
    return text or None


def _paragraph(
    law: _Law, element: etree._Element, article: str | None, base_id: str, english: str, japanese: str,
    parent: str | None, scope: str, sole: bool, kind: str = "paragraph",
) -> None:
    num = _number(element, "paragraph")
    bare_in_act = article is None and base_id.endswith(":")  # an act of bare paragraphs: appi:1
    clause_id = f"{base_id}{_id_part(num)}" if bare_in_act else f"{base_id}({_id_part(num)})"
    number = _english_number(num)
    english_label = f"{english}({number})" if article else f"{english} para. {number}".strip()
    japanese_label = japanese if sole else japanese + _japanese_number(num, "項")
    unit = article or (clause_id if bare_in_act else parent)
    title_element = element.find("ParagraphCaption")
    text = _loose_text(element, law, {"ParagraphCaption", "Item"})
    sentences = _text(element.find("ParagraphSentence"), law)
    record = ClauseRecord(
        id=clause_id,
        kind=kind,
        number=num,
        label=law.label(english_label, japanese_label),
        text=text,
        parent=parent,
        unit=unit,
        title=_caption(_text(title_element, law)) if title_element is not None else None,
        language=law.language,
    )
    if not law.add(CitingClause(record, scope, article=article or unit, paragraph=clause_id, reference_text=sentences)):
        return
    item_kind = "item" if kind == "paragraph" else "suppl-item"
    for item in element.findall("Item"):
        _item(law, item, clause_id, english_label, japanese_label, article or unit, clause_id, scope, item_kind)


def _item(
    law: _Law, element: etree._Element, parent: str, english: str, japanese: str,
    article: str, paragraph: str, scope: str, kind: str, depth: int = 0,
) -> None:
    """An item (号, depth 0) or a subitem (イ, (1), (i): depth 1, 2, 3 …), with its own subitems."""
    num = _number(element, "item")
    if depth == 0:
        sub = _id_part(num, roman)
        english_label = f"{english}({_english_number(num, roman)})"
        japanese_label = japanese + _japanese_number(num, "号")
    else:
        style = (letter, str, roman)[(depth - 1) % 3]
        sub = _id_part(num, style)
        english_label = f"{english}({_english_number(num, style)})"
        japanese_label = japanese + _japanese_subitem(num, depth)
    clause_id = f"{parent}({sub})"
    child_tag = f"Subitem{depth + 1}"
    text = _loose_text(element, law, {child_tag})
    sentences = _text(element.find("ItemSentence" if depth == 0 else f"Subitem{depth}Sentence"), law)
    record = ClauseRecord(
        id=clause_id,
        kind=kind if depth == 0 else ("subitem" if kind == "item" else kind),
        number=num,
        label=law.label(english_label, japanese_label),
        text=text,
        parent=parent,
        unit=article,
        language=law.language,
    )
    item = clause_id if depth == 0 else None
    place = CitingClause(record, scope, article=article, paragraph=paragraph, item=item, reference_text=sentences)
    if not law.add(place):
        return
    for child in element.findall(child_tag):
        _item(law, child, clause_id, english_label, japanese_label, article, paragraph, scope, kind, depth + 1)


def _japanese_subitem(num: str, depth: int) -> str:
    head, *branches = num.split("_")
    n = int(head)
    if depth % 3 == 1:
        mark = IROHA[n - 1] if n <= len(IROHA) else str(n)
    elif depth % 3 == 2:
        mark = f"（{n}）"
    else:
        mark = f"（{roman(n)}）"
    return mark + "".join(f"の{int_to_kanji(int(b))}" for b in branches)


# --- supplementary provisions and appended tables -----------------------------------------------


_LAW_NUMBER = re.compile(
    rf"(?P<era>明治|大正|昭和|平成|令和)(?P<year>[{KANJI_NUMERAL}]+|元)年.*?(?P<type>法律|政令|[^\s第]*?令|規則)"
    rf"第(?P<num>[{KANJI_NUMERAL}]+)号"
)
_ENGLISH_LAW_NUMBER = re.compile(r"(?P<type>Act|Cabinet Order|Order)\s+No\.\s*(?P<num>\d+)\s+of\s+(?P<date>.*?\d{4})")


def _supplementary(law: _Law, element: etree._Element, blocks: set[str]) -> None:
    amending = (element.get("AmendLawNum") or "").strip()
    key, english_act = _block_key(amending, law) if amending else ("suppl", "")
    while key in blocks:  # two blocks for the same act: number the later ones
        key = f"{key}-{len(blocks)}"
    blocks.add(key)
    block_id = f"{law.source}:{key}"
    english = f"Supplementary Provisions ({english_act})" if english_act else "Supplementary Provisions"
    japanese = f"附則（{amending}）" if amending and law.japanese else "附則"
    record = ClauseRecord(
        id=block_id, kind="supplementary", number=key, label=law.label(english, japanese), text="",
        unit=block_id, language=law.language,
    )
    if not law.add(CitingClause(record, block_id)):
        return
    short = f"Suppl. ({english_act})" if english_act else "Suppl."
    caption: dict[str, str | None] = {"title": None}
    for child in element:
        if child.tag == "Article":
            _article(law, child, block_id, block_id, caption, base_prefix=f"{key}-",
                     english_prefix=f"{short} Art.", japanese_prefix=japanese, kind="suppl-article")
        elif child.tag == "Paragraph":
            _paragraph(law, child, None, f"{law.source}:{key}", f"{short}", japanese, block_id,
                       block_id, sole=False, kind="suppl-paragraph")
        elif child.tag in _DIVISIONS:
            _walk_divisions(law, child, block_id, (key,), japanese, block_id)


def _block_key(amending: str, law: _Law) -> tuple[str, str]:
    """"令和三年五月一九日法律第三七号" -> ("suppl-r3-37", "Act No. 37 of 2021")."""
    match = _LAW_NUMBER.search(amending)
    if match:
        letter_, start = ERAS[match["era"]]
        year = 1 if match["year"] == "元" else kanji_to_int(match["year"])
        number = kanji_to_int(match["num"])
        kind = "" if match["type"] == "法律" else "order-"
        what = "Act" if match["type"] == "法律" else "Order"
        return f"suppl-{kind}{letter_}{year}-{number}", f"{what} No. {number} of {start + year}"
    match = _ENGLISH_LAW_NUMBER.search(amending)
    if match:
        year = int(match["date"][-4:])
        kind = "" if match["type"] == "Act" else "order-"
        return f"suppl-{kind}{year}-{match['num']}", f"{match['type']} No. {match['num']} of {year}"
    slug = re.sub(r"[^A-Za-z0-9]+", "-", amending).strip("-").lower() or "amendment"
    return f"suppl-{slug}", amending


def _appendix(law: _Law, element: etree._Element, counters: dict[str, int]) -> None:
    word, english, japanese_name = _APPENDICES[element.tag]
    title_element = element.find(f"{element.tag}Title")
    heading = _text(title_element, law).strip() if title_element is not None else ""
    counters[word] = counters.get(word, 0) + 1
    number = _appendix_number(element, heading, counters[word])
    clause_id = f"{law.source}:{word}-{number}"
    related = element.find("RelatedArticleNum")
    record = ClauseRecord(
        id=clause_id,
        kind="annex",
        number=str(number),
        label=law.label(f"{english} {number}", heading or f"{japanese_name}第{int_to_kanji(number)}"),
        text=_loose_text(element, law, {f"{element.tag}Title", "RelatedArticleNum"}),
        unit=clause_id,
        title=_caption(_text(related, law)) if related is not None else None,
        language=law.language,
    )
    law.add(CitingClause(record, "main"))


def _appendix_number(element: etree._Element, heading: str, order: int) -> int:
    if (element.get("Num") or "").isdigit():
        return int(element.get("Num"))
    match = re.search(rf"第([{KANJI_NUMERAL}]+)", heading) or re.search(r"(\d+)", heading)
    if match:
        return int(match[1]) if match[1].isdigit() else kanji_to_int(match[1])
    return order


# --- text ------------------------------------------------------------------------------------


def _text(element: etree._Element | None, law: _Law) -> str:
    """The words of an element, furigana (<Rt>) left out, whitespace normalised."""
    if element is None:
        return ""
    return _normalise(_render(element, law))


def _loose_text(element: etree._Element, law: _Law, children_elsewhere: set[str]) -> str:
    """A clause's own words: its sentences, tables, lists and amendment text, not its children's."""
    blocks = [
        _normalise(_render(child, law))
        for child in element
        if isinstance(child.tag, str) and child.tag not in children_elsewhere and child.tag not in _SKIPPED_TEXT
        and not child.tag.endswith("Title") and not _SUBITEM.match(child.tag)
    ]
    return "\n".join(b for b in blocks if b)


def _render(element: etree._Element, law: _Law) -> str:
    tag = element.tag
    if not isinstance(tag, str) or tag in {"Rt", "FigStruct", "Fig"}:
        return ""
    if tag == "Sentence" or not len(element):
        return " ".join(_inline(element).split())
    separator = "" if law.japanese else " "
    if tag.endswith("Sentence") and element.find("Column") is not None:
        return " ".join(_render(c, law) for c in element if c.tag == "Column")
    if tag.endswith("Sentence") or tag == "Column":
        return separator.join(_render(c, law) for c in element)
    if tag == "TableRow":
        return " | ".join(_normalise(_render(c, law)) for c in element if c.tag == "TableColumn")
    if tag.endswith("Title") or tag.endswith("Label") or tag in {"ParagraphNum", "ItemTitle"}:
        return _inline(element)
    parts = [_render(c, law) for c in element if isinstance(c.tag, str) and c.tag != "colspec"]
    return "\n".join(p for p in parts if p.strip())


def _inline(element: etree._Element) -> str:
    out = [element.text or ""]
    for child in element:
        if child.tag != "Rt":
            out.append(_inline(child))
        out.append(child.tail or "")
    return "".join(out)


def _normalise(text: str) -> str:
    lines = (" ".join(line.split()) for line in text.split("\n"))
    return "\n".join(line for line in lines if line)
