"""Cross-references in the Japanese text of a statute, resolved to clause ids.

Absolute citations (第十六条第二項, 第二十条第一項第一号, ranges 第九条から第十一条まで), relative ones
(前条, 次条, 前二条, 前項, 前各項, 前号, 前条第一項, 前項第二号イ, 第二項 within the same article, 前章)
and anaphoric ones (同条, 同項, 同号: the article, paragraph or item named last). A bare 第二項 right
after a citation joined by 及び, 又は … (第二十条第一項又は第二項) belongs to the article just cited. A
citation preceded by the name or number of another act (行政不服審査法第九条, 同法第百六条,
…（平成十五年法律第五十七号）第百七条), and one joined to it, is that act's and is left out, as are
absolute citations inside supplementary provisions, whose numbers are those of the act they were
made for, and the contents of tables (読替え tables quote another act's provisions).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace

from ingest.parsers.japanese_numbers import IROHA, KANJI_NUMERAL, kanji_to_int, letter, roman
from kb.records import ClauseRecord


@dataclass
class CitingClause:
    """A clause of the statute with its place (for relative citations) and the words it cites in."""

    record: ClauseRecord
    scope: str  # "main", or the id of the supplementary block it belongs to
    article: str | None = None  # the enclosing article's id
    paragraph: str | None = None
    item: str | None = None
    reference_text: str = ""


_N = f"[{KANJI_NUMERAL}]+"
_BRANCH = f"(?:の{_N})*"
_SUBITEM_MARK = f"[{IROHA}](?![{IROHA}ァ-ヶー])"  # イ after 第二号, not the first kana of a word
_REFERENCE = re.compile(
    rf"(?:(?=第{_N}[条項号])(?P<article>第{_N}条{_BRANCH})"
    rf"|(?P<relative>(?:前各?(?:{_N})?|次)(?:条|項|号)|前章|次章)"
    rf"|(?P<same>同条|同項|同号))?"
    rf"(?P<paragraph>第{_N}項)?(?P<item>第{_N}号{_BRANCH})?(?P<subitem>{_SUBITEM_MARK})?"
)
_CONJUNCTION = re.compile(r"^(?:及び|又は|若しくは|並びに|、|・|から|及|各号|各項|本文|ただし書|前段|後段|，|,)*$")
_EXTERNAL_BEFORE = re.compile(r"(?:法|法律|令|則|約|規程|同法|同令)$")  # 法律第九十九号: a law's number


@dataclass
class _Target:
    article: str | None = None
    paragraph: str | None = None
    item: str | None = None


class _Structure:
    """The law's articles, paragraphs and items, to turn a citation into an id."""

    def __init__(self, clauses: list[CitingClause], source: str) -> None:
        self.source = source
        self.ids = {c.record.id for c in clauses}
        self.articles: dict[str, list[str]] = {}
        self.children: dict[str, list[str]] = {}
        self.chapters: list[str] = []
        self.chapter_of: dict[str, str] = {}
        parents = {c.record.id: c.record for c in clauses}
        for clause in clauses:
            record = clause.record
            if record.kind in ("article", "suppl-article"):
                self.articles.setdefault(clause.scope, []).append(record.id)
                up = parents.get(record.parent or "")
                while up is not None and up.kind != "chapter":
                    up = parents.get(up.parent or "")
                if up is not None:
                    self.chapter_of[record.id] = up.id
            elif record.kind == "chapter" and clause.scope == "main":
                self.chapters.append(record.id)
            if record.parent and record.kind in ("paragraph", "suppl-paragraph", "item", "suppl-item", "subitem"):
                self.children.setdefault(record.parent, []).append(record.id)

    def article(self, number: str) -> str | None:
        candidate = f"{self.source}:{number}"
        return candidate if candidate in self.ids else None

    def sibling(self, siblings: list[str], current: str, offset: int) -> str | None:
        if current not in siblings:
            return None
        index = siblings.index(current) + offset
        return siblings[index] if 0 <= index < len(siblings) else None

    def before(self, siblings: list[str], current: str, count: int | None) -> list[str]:
        if current not in siblings:
            return []
        index = siblings.index(current)
        return siblings[max(0, index - count) if count else 0 : index]


def resolve_references(clauses: list[CitingClause], source: str) -> None:
    """Set each clause's ``refs`` to the ids its text cites (those of this statute that exist)."""
    structure = _Structure(clauses, source)
    by_id = {c.record.id: c for c in clauses}
    for clause in clauses:
        if not clause.reference_text:
            continue
        refs = [r for r in _references(clause, structure, by_id) if r != clause.record.id and r in structure.ids]
        if refs:
            clause.record = replace(clause.record, refs=tuple(dict.fromkeys(refs)))


def _references(clause: CitingClause, structure: _Structure, by_id: dict[str, CitingClause]) -> Iterator[str]:
    text = clause.reference_text
    last = _Target()  # what the last reference named: 同条/同項/同号, and "第二十条第一項又は第二項"
    last_end, last_external = -1, False
    other_act_named_last = False  # then 同条/同項 refer to that act's article: 同法第二条…同条第九項
    pending: list[str] = []  # the start of a range "第九条から…まで"
    for match in _REFERENCE.finditer(text):
        if not match.group(0):
            continue
        gap = text[max(last_end, 0) : match.start()]
        chained = last_end >= 0 and bool(_CONJUNCTION.match(gap))
        if (chained and last_external) or (match["same"] and other_act_named_last):
            external = True  # 同法第九条及び第十条: the other act's, both
        else:
            external = bool(_EXTERNAL_BEFORE.search(text[: match.start()])) or _after_act_number(text, match.start())
        resolved = None if external and match["same"] else _targets(match, clause, structure, last, chained, external)
        last_end, last_external = match.end(), external
        if match["article"] or match["same"]:
            other_act_named_last = external
        if resolved is None:
            pending = []
            continue
        found, target = resolved
        if target.article:
            last = target
        if pending and gap == "から" and found:
            yield from _expand(structure, by_id, pending[-1], found[0])
        pending = found if text.startswith("から", match.end()) else []
        yield from found


def _after_act_number(text: str, start: int) -> bool:
    """…（平成十五年法律第五十七号）第百七条: the article of the act whose number precedes it."""
    before = text[:start]
    if not before.endswith("）"):
        return False
    opening = before.rfind("（")
    return opening >= 0 and re.search(r"(?:法律|政令|令|規則)第.+号", before[opening:]) is not None


def _targets(
    match: re.Match, clause: CitingClause, structure: _Structure, last: _Target, chained: bool, external: bool
) -> tuple[list[str], _Target] | None:
    """The ids one citation names, and what it leaves named for the citations after it."""
    paragraph, item, subitem = match["paragraph"], match["item"], match["subitem"]
    if match["relative"]:
        return _relative_citation(match["relative"], paragraph, item, subitem, clause, structure)
    if match["same"]:
        return _anaphoric(match["same"], paragraph, item, subitem, last, structure)
    article = match["article"]
    if external or not (article or paragraph or item):
        return None
    if article:
        if clause.scope != "main":
            return None  # the numbering of the act the supplementary provision was made for
        article_id = structure.article(_branch_number(article))
    else:
        article_id = last.article if chained and last.article else clause.article
    if article_id is None:
        return None
    if item and not paragraph and not article:  # 第二号: an item of this paragraph, or of the one just named
        base = last.paragraph if chained and last.paragraph else clause.paragraph
        return _below(_Target(article_id, base), None, item, subitem, structure)
    return _below(_Target(article_id), paragraph, item, subitem, structure)


def _below(
    target: _Target, paragraph: str | None, item: str | None, subitem: str | None, structure: _Structure
) -> tuple[list[str], _Target]:
    """Go down from an article (or paragraph) to the paragraph, item and subitem a citation names."""
    assert target.article is not None
    if paragraph:
        target = _Target(target.article, f"{target.article}({kanji_to_int(paragraph[1:-1])})")
    elif item and target.paragraph is None:
        paragraphs = structure.children.get(target.article, [])  # 第五条第一号: the article's sole paragraph
        target = _Target(target.article, paragraphs[0] if len(paragraphs) == 1 else None)
    if not item:
        return [target.paragraph or target.article], target
    if target.paragraph is None:
        return [], target
    target = _Target(target.article, target.paragraph, f"{target.paragraph}({_item_sub(item)})")
    if subitem:
        return [f"{target.item}({letter(IROHA.index(subitem) + 1)})"], target
    return [target.item], target


def _relative_citation(
    word: str, paragraph: str | None, item: str | None, subitem: str | None, clause: CitingClause, structure: _Structure
) -> tuple[list[str], _Target]:
    """前条, 前条第一項, 前項第二号イ, 前各号 …: the clauses counted back (or on) from the citing one."""
    found = _relative(word, clause, structure)
    unit = word[-1]
    if not found or unit == "章":
        return found, _Target()
    if unit == "条":
        target = _Target(found[-1])
    elif unit == "項":
        target = _Target(clause.article, found[-1])
    else:
        target = _Target(clause.article, clause.paragraph, found[-1])
    if len(found) == 1 and unit == "条" and (paragraph or item):
        return _below(target, paragraph, item, subitem, structure)
    if len(found) == 1 and unit == "項" and item:
        return _below(target, None, item, subitem, structure)
    if len(found) == 1 and unit == "号" and subitem:
        return [f"{found[0]}({letter(IROHA.index(subitem) + 1)})"], target
    return found, target


def _item_sub(item: str) -> str:
    """第二号 -> "ii", 第一号の二 -> "i-2"."""
    head, *branches = item[1:].replace("号", "", 1).split("の")
    return "-".join([roman(kanji_to_int(head)), *(str(kanji_to_int(b)) for b in branches)])


def _branch_number(article: str) -> str:
    """第二条の二 -> "2-2"."""
    head, *branches = article[1:].replace("条", "", 1).split("の")
    return "-".join(str(kanji_to_int(p)) for p in (head, *branches))


def _anaphoric(
    same: str, paragraph: str | None, item: str | None, subitem: str | None, last: _Target, structure: _Structure
) -> tuple[list[str], _Target] | None:
    """同条, 同項, 同号 (with 第N項, 第N号 after them): the article, paragraph or item named last."""
    if same == "同号":
        return ([last.item], last) if last.item else None
    if last.article is None or (same == "同項" and last.paragraph is None):
        return None
    target = _Target(last.article, last.paragraph if same == "同項" else None)
    return _below(target, paragraph, item, subitem, structure)


def _relative(word: str, clause: CitingClause, structure: _Structure) -> list[str]:
    """前条, 次条, 前二条, 前各項, 前号 …, seen from the clause that says it."""
    unit = word[-1]
    count_text = word[1:-1].replace("各", "")
    every = "各" in word
    count = kanji_to_int(count_text) if count_text else 1
    if word in ("前章", "次章"):
        chapter = _enclosing_chapter(clause, structure)
        if chapter is None:
            return []
        found = structure.sibling(structure.chapters, chapter, -1 if word == "前章" else 1)
        return [found] if found else []
    if unit == "条":
        siblings, current = structure.articles.get(clause.scope, []), clause.article
    elif unit == "項":
        siblings = structure.children.get(clause.article or "", [])
        current = clause.paragraph
    else:
        siblings = structure.children.get(clause.paragraph or "", [])
        current = clause.item
    if current is None:
        return []
    if word.startswith("次"):
        found = structure.sibling(siblings, current, 1)
        return [found] if found else []
    return structure.before(siblings, current, None if every else count)


def _enclosing_chapter(clause: CitingClause, structure: _Structure) -> str | None:
    return structure.chapter_of.get(clause.article or "")


def _expand(structure: _Structure, by_id: dict[str, CitingClause], start: str, end: str) -> Iterator[str]:
    """第九条から第十一条まで: the clauses between the two ends (same level, same parent)."""
    first, last = by_id.get(start), by_id.get(end)
    if first is None or last is None or first.record.kind != last.record.kind:
        return
    if first.record.parent != last.record.parent and first.record.kind not in ("article",):
        return
    if first.record.kind == "article":
        siblings = structure.articles.get(first.scope, [])
    else:
        siblings = structure.children.get(first.record.parent or "", [])
    if start in siblings and end in siblings:
        i, j = siblings.index(start), siblings.index(end)
        yield from siblings[i + 1 : j]
