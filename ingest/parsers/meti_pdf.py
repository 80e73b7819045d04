"""Parser for the METI/MIC *AI Guidelines for Business* Ver1.0 main body (本編), PDF.

Two files are read, with the same clause ids, so the Japanese text can be attached as a
translation of the English clause:

* ``parse_meti_pdf_en``: the English provisional translation of the final Ver1.0
  (19 April 2024, 37 pages, Word → Acrobat PDFMaker, Trebuchet MS).
* ``parse_meti_pdf_ja``: the Japanese draft 「AI事業者ガイドライン案（第1.0版）」 (April 2024,
  36 pages, Meiryo UI). It is the draft (案), not the final Japanese text.

What is emitted (ids ``meti:<base>(sub)``):

* ``meti:preface`` (preamble); ``meti:part-1`` … ``meti:part-5`` (part, text = intro prose);
  ``meti:part-2.a`` … ``meti:part-2.e`` (section); ``meti:def-1`` … (definition, Part 1's
  "Related terms", numbered in order: the document does not number them);
  ``meti:part-2.a(1)`` … (item, the three basic philosophies).
* ``meti:c-1`` … ``meti:c-10`` (principle, the common guiding principles "1) Human-Centric" …)
  and their numbered items ``meti:c-1(1)`` (item; "(1)" in English, "①" in Japanese).
* ``meti:adv-1`` … ``meti:adv-12`` (principle): Part 2 D, "I)" … "XII)", for advanced AI systems.
* The actor items of Parts 3–5, labelled ``D-2) i.``, ``P-6) ii.``, ``U-7) ii.`` in the
  document: ``meti:d-2(i)`` (item, title = its heading). Their parent ``meti:d-2`` (principle,
  title = the common guiding principle it implements, e.g. "Safety") is not a heading of its
  own in the document; it groups the items and has no text.
* ``meti:part-3.coc`` (section: the Hiroshima Process Code of Conduct additions in Part 3) and
  its items ``meti:part-3.coc(1)`` … ``(11)`` ("I." … "XI.").

Numbers and labels are the same in both languages ("C-1", "C-1(1)", "D-2) i.", "Adv. XII"),
except definitions, which are labelled by their term ("Part 1 (AI system)"). anchor is None: the
official files are PDFs with no per-clause fragments.

Layout facts the parser relies on, and the quirks it handles:

* Text is read with pdfminer.six, glyph by glyph, because pypdf hands the footnote reference
  numbers over glued to the word at body size ("biases11."). Body text is 10.56 pt; footnote
  markers (7.0 pt), footnote bodies (7.9 pt), page numbers (11.04 pt), table cells and figure
  labels (6–11 pt) are dropped by size: only glyphs within ``BODY_SIZE_TOLERANCE`` of the body
  size (the commonest size) or at least ``HEADING_SIZE_STEP`` above it are kept. Figure and
  table captions ("Figure 1. …", "図６. …", "Table 1. …") are body-sized and dropped by pattern;
  Table 1 itself (7 pt) disappears with the small glyphs. The cover and contents page come
  before the preface heading and are skipped.
* pdfminer sometimes puts a bullet glyph and its text, or two runs of one line, in separate
  text lines; lines of a page whose baselines are within ``SAME_LINE_TOLERANCE`` are merged.
* Headings are recognised by size (parts 16–18 pt, sections 13.9 pt, principles 12 pt) and
  by pattern; item headings ("(1) …", "①", "D-2) i. …", "I) …") are body-sized and are
  recognised by pattern and indentation. Indentation also decides where a paragraph belongs:
  text below an item but indented like its principle (e.g. the closing sentence of
  "1) Human-Centric") goes to the principle, and text at the margin goes to the section.
* Bullets are Wingdings glyphs in the private-use area (U+F0B2, U+F06C, U+F0D8, U+F09F); they
  are stripped. In Parts 3–5 a margin bullet line that is not an actor item is a stage heading
  ("During data preprocessing and training", 「AI 開発時」); stage headings are dropped, so the
  phase an actor item belongs to is not recorded.
* "P-2) ii." appears twice in Part 4 (once per stage, four items apart); the second passage is
  ``meti:p-2(ii)(stage2)``, below the first.
* Lead-in, items, tail (see ``ingest.parsers.provisions``): a clause's text is the prose before its
  first item; prose at its level after an item is a note of its own where the document prints it
  (statement, ``meti:c-1(note1)``: "Each AI business actor is expected to consider these matters
  as preconditions …" after C-1's items; ``meti:part-2.c(note1)``, which introduces principles 8
  to 10; ``meti:part-4(note1)``, the closing "Incidentally, AI providers who handle advanced AI
  systems should comply with …"). Margin prose between actor groups introduces the next group
  and is its text ("The matters at which AI developers are expected to make efforts are listed
  below:" is ``meti:d-10``'s).
  "D-4) i." exists only in Table 1 ("Repeat of D-2) i.") and is not emitted.
* English lines are rejoined with a space; a line ending in a hyphen after a letter is joined
  without a space and the hyphen is kept (the document is not auto-hyphenated). Japanese lines
  are joined with no space, and spaces next to CJK characters (the gaps pdfminer reads between
  Latin and kana, "AI システム") are removed; a bulleted line is still set off by one space,
  since list items carry no closing punctuation. Small glyphs on the baseline (the subscripts
  of "θ0 + θ1x") are kept; raised ones are footnote markers and go.
* refs: quoted citations of a common guiding principle ('("2) Safety")', 「2）安全性」, also the
  document's slips '"3. Fairness"', '"10 Innovation"') become ``meti:c-N`` when the quoted words
  match that principle's title; '"(2) Providing …"' inside a principle is its sibling item;
  actor labels ("D-2) i.") become the item's id.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from pdfminer.high_level import extract_pages
from pdfminer.layout import LAParams, LTAnno, LTChar, LTTextLine

from ingest.parsers import ParseError
from kb.records import ClauseRecord

SOURCE = "meti"

BODY_SIZE_TOLERANCE = 0.3  # pt around the body size that still counts as body text
HEADING_SIZE_STEP = 1.2  # pt above the body size from which a glyph is heading text
PART_SIZE_STEP = 4.0  # pt above the body size for "Part N" headings
SECTION_SIZE_STEP = 2.5  # pt above the body size for "A." … "E." section headings
SAME_LINE_TOLERANCE = 2.5  # pt of baseline drift still counted as one line
SUBSCRIPT_TOLERANCE = 0.5  # pt a small glyph may sit above the baseline and still be kept
FOOTER_ZONE = 60.0  # pt from the page bottom where only page numbers live

# Left-edge bands (pt from the page's left edge) that tell which level a paragraph belongs to.
SECTION_INDENT_MAX = 88.0  # margin text: 70.8 (first line 81.4)
PRINCIPLE_INDENT_MAX = 110.0  # principle text: 92.9 (first line 103.2); items are at 114.7+
HEADING_INDENT_MAX = 80.0  # "I) …" and "I. …" start at the margin (70.8)
TITLE_CONTINUATION_LINES = 2  # an item heading wraps onto at most this many lines

BULLETS = re.compile("[\ue000-\uf8ff\u2022]")
CJK = "\u2460-\u24ff\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
SPACE_BEFORE_COMMA = re.compile(r"\s+(?=[,;](?:\s|$))")  # left by a dropped footnote marker
CJK_CHAR = re.compile(f"[{CJK}]")
SPACE_NEXT_TO_CJK = re.compile(rf"(?<=[{CJK}])\s+|\s+(?=[{CJK}])")

ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")
_ROMAN_ALT = "|".join(sorted(ROMAN, key=len, reverse=True))
ADV_HEADING = re.compile(rf"^({_ROMAN_ALT})\s*[)）]\s*(\S.*)$")
COC_HEADING = re.compile(rf"^({_ROMAN_ALT})\.\s*(\S.*)$")
ROMAN_CLOSING = re.compile(rf"^({_ROMAN_ALT})\s*[)）]")  # "I) to XI): Comply …"
ACTOR_HEADING = re.compile(r"^([DPU])-\s*(\d{1,2})\s*[)）]\s*([ivx]+)\.\s*(.*)$")
ACTOR_CITE = re.compile(r"\b([DPU])-\s*(\d{1,2})\s*[)）]\s*([ivx]+)\.")
PRINCIPLE_HEADING = re.compile(r"^(\d{1,2})\s*[)）]\s*(\S.*)$")
SECTION_HEADING = re.compile(r"^([A-E])\.\s*(\S.*)$")
PRINCIPLE_CITE = re.compile(
    r"[「\"“]\s*(\()?\s*(\d{1,2})\s*(?:[)）.]|[\"”])?\s*\)?\s*([^\"”」]{1,40})"
)
PAGE_NUMBER = re.compile(r"^\d{1,3}$")
ACTOR_PARTS = {"D": 3, "P": 4, "U": 5}
CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩"
_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")  # 「第２部」


@dataclass(frozen=True)
class PdfLine:
    """One visual line of a page, after dropping small glyphs; ``size`` is its largest glyph."""

    page: int
    x: float
    y: float
    size: float
    text: str


@dataclass(frozen=True)
class _Dialect:
    """What differs between the English and the Japanese file."""

    language: str
    preface: re.Pattern[str]
    part: re.Pattern[str]
    item: re.Pattern[str]
    related_terms: re.Pattern[str]
    coc_heading: re.Pattern[str]
    caption: re.Pattern[str]
    join: Callable[[list[str]], str]
    item_number: Callable[[str], int]


@dataclass
class _Draft:
    """A clause being built: its text grows line by line."""

    id: str
    kind: str
    number: str
    label: str
    parent: str | None
    unit: str
    title: str | None = None
    lines: list[str] = field(default_factory=list)
    title_lines_left: int = 0  # body lines that may still continue the heading
    title_size: float = 0.0  # heading-sized lines of this size continue the title


# --- text joining -------------------------------------------------------------------------


def _clean(text: str) -> str:
    """Strip bullet glyphs and collapse whitespace."""
    return " ".join(BULLETS.sub(" ", text).split())


def _bulleted(line: PdfLine) -> bool:
    """Whether the line opens with a bullet glyph."""
    return bool(BULLETS.match(line.text.lstrip()))


def join_english(lines: list[str]) -> str:
    """Rejoin wrapped English lines: a space between lines, none after a compound's hyphen.

    A space before a comma is removed: it is what is left of a dropped footnote marker
    ("in some ways 3 , AI business users").
    """
    out = ""
    for raw in lines:
        line = _clean(raw)
        if not line:
            continue
        if len(out) > 1 and out.endswith("-") and out[-2].isalpha() and line[0].isalpha():
            out += line
        else:
            out = f"{out} {line}" if out else line
    return SPACE_BEFORE_COMMA.sub("", out)


def join_japanese(lines: list[str]) -> str:
    """Rejoin wrapped Japanese lines with no space between CJK characters.

    A bulleted line starts after a space: list items carry no closing punctuation, and a space
    is all that keeps "…期待されていること" apart from the next item "法律の整備…".
    """
    out = ""
    for raw in lines:
        line = SPACE_NEXT_TO_CJK.sub("", _clean(raw))
        if not line:
            continue
        if not out:
            out = line
        elif BULLETS.match(raw.lstrip()) or not (_is_cjk(out[-1]) or _is_cjk(line[0])):
            out = f"{out} {line}"
        else:
            out += line
    return out


def _is_cjk(char: str) -> bool:
    return bool(CJK_CHAR.match(char))


def _circled_number(mark: str) -> int:
    return CIRCLED.index(mark) + 1


ENGLISH = _Dialect(
    language="en",
    preface=re.compile(r"^Preface$"),
    part=re.compile(r"^Part\s+(\d)\s+(\S.*)$"),
    item=re.compile(r"^\((\d{1,2})\)\s*(\S.*)$"),
    related_terms=re.compile(r"^Related terms$"),
    coc_heading=re.compile(r"^Additional matters described in\b"),
    caption=re.compile(r"^(?:Figure|Table)\s*\d+\.\s"),
    join=join_english,
    item_number=int,
)

JAPANESE = _Dialect(
    language="ja",
    preface=re.compile(r"^はじめに$"),
    part=re.compile(r"^第\s*([0-9０-９])\s*部\s*(\S.*)$"),
    item=re.compile(rf"^([{CIRCLED}])\s*(\S.*)$"),
    related_terms=re.compile(r"^関連する用語$"),
    coc_heading=re.compile(r"^「.*国際行動規範」における追加的な"),
    caption=re.compile(r"^[図表]\s*[0-9０-９]+\s*[.．]"),
    join=join_japanese,
    item_number=_circled_number,
)


# --- PDF layer ----------------------------------------------------------------------------


def _text_lines(element: object) -> Iterator[LTTextLine]:
    if isinstance(element, LTTextLine):
        yield element
    elif isinstance(element, Iterable):
        for child in element:
            yield from _text_lines(child)


def _load_pages(data: bytes) -> list[list[LTTextLine]]:
    """Lay out every page with pdfminer; any failure to read the PDF becomes a ParseError."""
    if not isinstance(data, bytes | bytearray) or not data.startswith(b"%PDF-"):
        raise ParseError("not a PDF file: the data does not start with '%PDF-'")
    try:
        pages = [
            list(_text_lines(page)) for page in extract_pages(io.BytesIO(data), laparams=LAParams())
        ]
    except Exception as exc:  # pdfminer raises many unrelated types on damaged files
        raise ParseError(f"unreadable or truncated PDF: {type(exc).__name__}: {exc}") from exc
    if not pages:
        raise ParseError("the PDF has no pages")
    return pages


def _body_size(pages: list[list[LTTextLine]]) -> float:
    """The commonest glyph size: the size of running text."""
    sizes = Counter(
        round(glyph.size, 1)
        for page in pages
        for line in page
        for glyph in line
        if isinstance(glyph, LTChar) and glyph.get_text().strip()
    )
    if not sizes:
        raise ParseError("the PDF has no text layer (scanned or empty pages)")
    return sizes.most_common(1)[0][0]


def _keeps(size: float, body: float) -> bool:
    """Body-sized or heading-sized glyphs; footnotes, superscripts and page numbers are not."""
    return abs(size - body) <= BODY_SIZE_TOLERANCE or size >= body + HEADING_SIZE_STEP


def _line_pieces(line: LTTextLine, page: int, body: float) -> PdfLine | None:
    """The kept glyphs of one pdfminer line, or None when nothing of it is kept.

    A small glyph is kept only when it sits on the baseline of the body glyph before it: a
    subscript ("θ0"). Raised small glyphs are footnote markers ("biases11."), and lines with
    no body glyph before them are footnotes, table cells or figure labels.
    """
    text: list[str] = []
    sizes: list[float] = []
    x: float | None = None
    previous_baseline: float | None = None
    for glyph in line:
        if isinstance(glyph, LTAnno):
            text.append(" ")
            continue
        if not isinstance(glyph, LTChar):
            continue
        char = glyph.get_text()
        if _keeps(glyph.size, body):
            if char.strip():
                sizes.append(glyph.size)
                previous_baseline = glyph.y0
        elif previous_baseline is None or glyph.y0 > previous_baseline + SUBSCRIPT_TOLERANCE:
            continue
        if x is None and char.strip():
            x = glyph.x0
        text.append(char)
    joined = "".join(text).strip()
    if not joined or x is None or not sizes:
        return None
    return PdfLine(page=page, x=x, y=line.y0, size=max(sizes), text=joined)


def _merge_same_baseline(pieces: list[PdfLine]) -> list[PdfLine]:
    """Merge pieces of one page that sit on the same baseline, left to right; top to bottom."""
    rows: list[list[PdfLine]] = []
    for piece in sorted(pieces, key=lambda p: -p.y):
        if rows and abs(rows[-1][0].y - piece.y) <= SAME_LINE_TOLERANCE:
            rows[-1].append(piece)
        else:
            rows.append([piece])
    merged = []
    for row in rows:
        row.sort(key=lambda p: p.x)
        merged.append(
            PdfLine(
                page=row[0].page,
                x=row[0].x,
                y=max(p.y for p in row),
                size=max(p.size for p in row),
                text=" ".join(p.text for p in row),
            )
        )
    return merged


def extract_lines(data: bytes) -> tuple[list[PdfLine], float]:
    """The document's visual lines in reading order, without page furniture, and the body size."""
    pages = _load_pages(data)
    body = _body_size(pages)
    lines: list[PdfLine] = []
    for number, page in enumerate(pages):
        pieces = [p for p in (_line_pieces(line, number, body) for line in page) if p]
        for line in _merge_same_baseline(pieces):
            if line.y < FOOTER_ZONE and PAGE_NUMBER.match(line.text):
                continue
            lines.append(line)
    return lines, body


# --- structure ----------------------------------------------------------------------------


class _Builder:
    """Turns the line stream into clause drafts, tracking where in the document we are."""

    def __init__(self, dialect: _Dialect, body: float) -> None:
        self.dialect = dialect
        self.body = body
        self.drafts: dict[str, _Draft] = {}
        self.started = False
        self.part = 0
        self.section = ""  # "a" … "e" inside Part 2, "coc" inside Part 3
        self.container: _Draft | None = None  # preface, part or section
        self.principle: _Draft | None = None  # c-N, adv-N, d-N, …
        self.item: _Draft | None = None
        self.next_adv = 0
        self.next_coc = 0
        self.definitions = 0
        self.in_definitions = False
        self.after_items: list[str] = []  # margin prose after a part's actor items, not yet placed
        self.parents: set[str] = set()  # ids of the drafts that have items below them

    # helpers -----------------------------------------------------------------------------

    def _open(self, draft: _Draft) -> _Draft:
        if draft.id in self.drafts:
            raise ParseError(f"clause {draft.id} appears twice in the document")
        self.drafts[draft.id] = draft
        if draft.parent is not None:
            self.parents.add(draft.parent)
        return draft

    def _append_own(self, draft: _Draft | None, line: PdfLine) -> None:
        """Text at ``draft``'s own level: its lead-in until its first item opens; after that, a note
        of its own (``meti:c-1(note1)``, statement) where the document prints it, so the clause's
        text stays one passage and the clauses read in the document's order."""
        if draft is None or draft.id not in self.parents:
            self._append(draft, line)
            return
        last = next(reversed(self.drafts.values()))
        if last.kind != "statement" or last.parent != draft.id:
            last = self._open_note(draft, [])
        self._append(last, line)

    def _open_note(self, draft: _Draft, lines: list[str]) -> _Draft:
        number = 1 + sum(1 for d in self.drafts.values() if d.parent == draft.id and d.kind == "statement")
        return self._open(
            _Draft(
                f"{draft.id}(note{number})", "statement", "", f"{draft.label}, note {number}", draft.id, draft.unit,
                lines=lines,
            )
        )

    def _heading_size(self, line: PdfLine) -> bool:
        return line.size >= self.body + HEADING_SIZE_STEP

    def _continues_title(self, draft: _Draft | None, line: PdfLine, content: str) -> bool:
        """A wrapped heading: same heading size, or an unbulleted indented body line."""
        if draft is None:
            return False
        if draft.title_size and abs(line.size - draft.title_size) < 0.3:
            return True
        return draft.title_lines_left > 0 and not _bulleted(line) and line.x >= PRINCIPLE_INDENT_MAX

    def _extend_title(self, draft: _Draft, content: str) -> None:
        draft.title = self.dialect.join([draft.title or "", content])
        draft.title_lines_left -= 1

    def _close_titles(self) -> None:
        for draft in (self.container, self.principle, self.item):
            if draft is not None:
                draft.title_lines_left = 0
                draft.title_size = 0.0

    # openers -----------------------------------------------------------------------------

    def _open_container(
        self,
        cid: str,
        kind: str,
        number: str,
        label: str,
        title: str,
        parent: str | None,
        size: float,
    ) -> None:
        self.container = self._open(
            _Draft(cid, kind, number, label, parent, cid, title=title, title_size=size)
        )
        self.principle = None
        self.item = None

    def _open_part(self, number: int, title: str, size: float) -> None:
        self.close_part()
        self.part = number
        self.section = ""
        self.in_definitions = False
        self._open_container(
            f"meti:part-{number}", "part", str(number), f"Part {number}", title, None, size
        )

    def _open_section(self, letter: str, title: str, size: float) -> None:
        self.section = letter.lower()
        self._open_container(
            f"meti:part-2.{self.section}",
            "section",
            letter,
            f"Part 2 {letter}.",
            title,
            "meti:part-2",
            size,
        )

    def _open_principle(self, number: int, title: str, size: float) -> None:
        cid = f"meti:c-{number}"
        self.principle = self._open(
            _Draft(
                cid,
                "principle",
                f"{number})",
                f"C-{number}",
                "meti:part-2.c",
                cid,
                title=title,
                title_size=size,
            )
        )
        self.item = None

    def _open_common_item(self, number: int, title: str) -> None:
        parent = self.principle
        if parent is None:
            raise ParseError(f"item ({number}) appears before any common guiding principle")
        cid = f"{parent.id}({number})"
        self.item = self._open(
            _Draft(
                cid,
                "item",
                f"({number})",
                f"{parent.label}({number})",
                parent.id,
                parent.id,
                title=title,
                title_lines_left=TITLE_CONTINUATION_LINES,
            )
        )

    def _open_philosophy(self, number: int, title: str, size: float) -> None:
        cid = f"meti:part-2.a({number})"
        self.item = self._open(
            _Draft(
                cid,
                "item",
                f"({number})",
                f"Part 2 A.({number})",
                "meti:part-2.a",
                "meti:part-2.a",
                title=title,
                title_size=size,
            )
        )

    def _open_definition(self, term: str, size: float) -> None:
        self.definitions += 1
        cid = f"meti:def-{self.definitions}"
        self.item = self._open(
            _Draft(
                cid,
                "definition",
                "",
                f"Part 1 ({term})",
                "meti:part-1",
                cid,
                title=term,
                title_size=size if size >= self.body + HEADING_SIZE_STEP else 0.0,
            )
        )

    def _open_adv(self, roman: str, text: str) -> None:
        number = ROMAN.index(roman) + 1
        cid = f"meti:adv-{number}"
        self.principle = self._open(
            _Draft(
                cid, "principle", f"{roman})", f"Adv. {roman}", "meti:part-2.d", cid, lines=[text]
            )
        )
        self.next_adv = number

    def _open_coc(self, roman: str, text: str) -> None:
        number = ROMAN.index(roman) + 1
        cid = f"meti:part-3.coc({number})"
        self.item = self._open(
            _Draft(
                cid,
                "item",
                f"{roman}.",
                f"Part 3 CoC {roman}.",
                "meti:part-3.coc",
                "meti:part-3.coc",
                lines=[text],
            )
        )
        self.next_coc = number

    def _open_actor_item(self, actor: str, principle: int, roman: str, title: str) -> None:
        if ACTOR_PARTS[actor] != self.part:
            raise ParseError(f"actor item {actor}-{principle}) {roman}. found in Part {self.part}")
        group_id = f"meti:{actor.lower()}-{principle}"
        group = self.drafts.get(group_id)
        if group is None:
            group = self._open(
                _Draft(
                    group_id,
                    "principle",
                    f"{actor}-{principle})",
                    f"{actor}-{principle}",
                    f"meti:part-{self.part}",
                    group_id,
                    lines=self.after_items,  # "The matters … are listed below:" introduces D-10
                )
            )
            self.after_items = []
        elif self.after_items:  # prose between two items of one group: a note of the part
            self._open_note(self.drafts[f"meti:part-{self.part}"], self.after_items)
            self.after_items = []
        self.principle = group
        cid = f"{group_id}({roman})"
        existing = self.drafts.get(cid)
        if existing is not None:
            self.item = self._open_later_stage(existing, title)
            return
        self.item = self._open(
            _Draft(
                cid,
                "item",
                f"{roman}.",
                f"{actor}-{principle}) {roman}.",
                group_id,
                group_id,
                title=title,
                title_lines_left=TITLE_CONTINUATION_LINES,
            )
        )

    def _open_later_stage(self, first: _Draft, title: str) -> _Draft:
        """"P-2) ii." is listed under two stages, four items apart: the second passage is a clause
        of its own below the first, ``meti:p-2(ii)(stage2)``, so each reads where the document has it."""
        stage = 2
        while f"{first.id}(stage{stage})" in self.drafts:
            stage += 1
        return self._open(
            _Draft(
                f"{first.id}(stage{stage})",
                "item",
                first.number,
                f"{first.label}, stage {stage}",
                first.id,
                first.unit,
                title=title,
                title_lines_left=TITLE_CONTINUATION_LINES,
            )
        )

    def close_part(self) -> None:
        """Prose after a part's last actor item (Parts 4 and 5 close with "Incidentally, AI providers
        who handle advanced AI systems should comply with …") is the part's tail: a note of its own,
        ``meti:part-4(note1)``, after the items, not words glued to the part's introduction."""
        if self.after_items:
            self._open_note(self.drafts[f"meti:part-{self.part}"], self.after_items)
            self.after_items = []

    # dispatch ----------------------------------------------------------------------------

    def feed(self, line: PdfLine) -> None:
        content = _clean(line.text)
        if not content or self.dialect.caption.match(content):
            return
        if self._structural_heading(line, content):
            return
        if not self.started:
            return  # cover and table of contents
        if self._heading_size(line) and self._continues_title(self._innermost(), line, content):
            self._extend_title(self._innermost(), content)
            return
        if self.part == 1:
            self._feed_part_1(line, content)
        elif self.part == 2:
            self._feed_part_2(line, content)
        elif self.part in (3, 4, 5):
            self._feed_actor_part(line, content)
        else:
            self._append(self.container, line)

    def _innermost(self) -> _Draft | None:
        return self.item or self.principle or self.container

    def _structural_heading(self, line: PdfLine, content: str) -> bool:
        """Preface, Part and section headings (by size and pattern)."""
        if line.size >= self.body + SECTION_SIZE_STEP and self.dialect.preface.match(content):
            self.started = True
            self.part = 0
            self._open_container("meti:preface", "preamble", "", "Preface", content, None, 0.0)
            return True
        part = self.dialect.part.match(content)
        if part and line.size >= self.body + PART_SIZE_STEP and self.started:
            self._open_part(int(part[1].translate(_FULLWIDTH_DIGITS)), part[2], line.size)
            return True
        section = SECTION_HEADING.match(content)
        if section and self.part == 2 and line.size >= self.body + SECTION_SIZE_STEP:
            self._open_section(section[1], section[2], line.size)
            return True
        return False

    def _append(self, draft: _Draft | None, line: PdfLine) -> None:
        if draft is None:
            raise ParseError(f"text before any heading on page {line.page + 1}: {line.text[:60]!r}")
        self._close_titles()
        draft.lines.append(line.text)

    def _feed_part_1(self, line: PdfLine, content: str) -> None:
        if self.dialect.related_terms.match(content):
            self.in_definitions = True
            return
        if self.in_definitions and _bulleted(line) and line.x < SECTION_INDENT_MAX:
            self._open_definition(self.dialect.join([content]), line.size)
            return
        self._append(self.item or self.container, line)

    def _feed_part_2(self, line: PdfLine, content: str) -> None:
        if self.section == "a":
            item = self.dialect.item.match(content)
            if item and line.x < PRINCIPLE_INDENT_MAX:
                self._open_philosophy(self.dialect.item_number(item[1]), item[2], line.size)
            elif self.item is not None and line.x >= PRINCIPLE_INDENT_MAX:
                self._append(self.item, line)
            else:
                self.item = None
                self._append_own(self.container, line)
        elif self.section == "c":
            self._feed_common_principles(line, content)
        elif self.section == "d":
            adv = ADV_HEADING.match(content)
            expected = ROMAN[self.next_adv] if self.next_adv < len(ROMAN) else None
            if adv and adv[1] == expected and line.x < HEADING_INDENT_MAX:
                self._open_adv(adv[1], adv[2])
            else:
                self._append(self.principle or self.container, line)
        else:
            self._append(self.container, line)

    def _feed_common_principles(self, line: PdfLine, content: str) -> None:
        principle = PRINCIPLE_HEADING.match(content)
        if principle and self._heading_size(line):
            self._open_principle(int(principle[1]), principle[2], line.size)
            return
        item = self.dialect.item.match(content)
        if (
            item
            and self.principle is not None
            and SECTION_INDENT_MAX <= line.x < PRINCIPLE_INDENT_MAX
        ):
            self._open_common_item(self.dialect.item_number(item[1]), item[2])
            return
        if self._continues_title(self.item, line, content):
            assert self.item is not None
            self._extend_title(self.item, content)
            return
        if line.x < SECTION_INDENT_MAX:
            self.principle, self.item = None, None
            self._append_own(self.container, line)
        elif line.x < PRINCIPLE_INDENT_MAX or self.item is None:
            self.item = None
            self._append_own(self.principle or self.container, line)
        else:
            self._append(self.item, line)

    def _feed_actor_part(self, line: PdfLine, content: str) -> None:
        if self.part == 3 and self._heading_size(line) and self.dialect.coc_heading.match(content):
            self.close_part()
            self.section = "coc"
            self._open_container(
                "meti:part-3.coc", "section", "", "Part 3 CoC", content, "meti:part-3", line.size
            )
            return
        if self.section == "coc":
            coc = COC_HEADING.match(content)
            expected = ROMAN[self.next_coc] if self.next_coc < len(ROMAN) else None
            if coc and coc[1] == expected and line.x < HEADING_INDENT_MAX:
                self._open_coc(coc[1], coc[2])
            else:
                self._append(self.item or self.container, line)
            return
        actor = ACTOR_HEADING.match(content)
        if actor:
            self._open_actor_item(actor[1], int(actor[2]), actor[3], actor[4])
            return
        if _bulleted(line) and line.x < SECTION_INDENT_MAX and not ROMAN_CLOSING.match(content):
            self.principle, self.item = None, None  # stage heading ("When developing AI")
            return
        if self._continues_title(self.item, line, content):
            assert self.item is not None
            self._extend_title(self.item, content)
            return
        if line.x < PRINCIPLE_INDENT_MAX or self.item is None:
            self.principle, self.item = None, None
            if self._part_has_items():
                self._close_titles()
                self.after_items.append(line.text)
            else:
                self._append(self.container, line)
        else:
            self._append(self.item, line)

    def _part_has_items(self) -> bool:
        prefix = f"meti:{'dpu'[self.part - 3]}-"
        return any(d.startswith(prefix) for d in self.drafts)


# --- validation, refs and records -----------------------------------------------------------


def _check_structure(drafts: dict[str, _Draft]) -> None:
    """Refuse documents that are not (complete enough to be) the guidelines' main body."""
    principles = [d for d in drafts.values() if re.fullmatch(r"meti:c-\d+", d.id)]
    if not principles:
        raise ParseError("no common guiding principles ('C. …' with '1) …' headings) found")
    numbers = [int(d.id.split("-")[1]) for d in principles]
    if numbers != list(range(1, len(numbers) + 1)):
        raise ParseError(f"common guiding principles out of sequence: {numbers}")
    for principle in principles:
        items = [d for d in drafts.values() if d.parent == principle.id and d.kind == "item"]
        got = [int(d.number.strip("()")) for d in items]
        if got != list(range(1, len(got) + 1)):
            raise ParseError(f"items of {principle.id} out of sequence: {got}")
    for draft in drafts.values():
        if draft.kind == "item" and not draft.lines:
            raise ParseError(f"{draft.id} has a heading but no text (truncated document?)")


def _normalised(text: str) -> str:
    return re.sub(r"[\W_]+", "", text).lower()


def _title_matches(title: str | None, cited: str) -> bool:
    """Whether quoted words start like the title (tolerating "Education and literacy")."""
    if not title:
        return False
    want = _normalised(title)[:4]
    return bool(want) and _normalised(cited).startswith(want)


def _refs(draft: _Draft, text: str, drafts: dict[str, _Draft]) -> tuple[str, ...]:
    """Ids this clause's text cites: common principles, sibling items and actor items."""
    found: list[str] = []
    principle_id = draft.id.split("(")[0] if draft.id.startswith("meti:c-") else None
    for match in PRINCIPLE_CITE.finditer(text):
        parenthesised, number, cited = match[1], int(match[2]), match[3]
        candidates = []
        if parenthesised and principle_id:
            candidates.append(f"{principle_id}({number})")
        candidates.append(f"meti:c-{number}")
        for candidate in candidates:
            target = drafts.get(candidate)
            if target is not None and _title_matches(target.title, cited):
                found.append(candidate)
                break
    for match in ACTOR_CITE.finditer(text):
        found.append(f"meti:{match[1].lower()}-{match[2]}({match[3]})")
    return tuple(dict.fromkeys(r for r in found if r in drafts and r != draft.id))


def _records(drafts: dict[str, _Draft], dialect: _Dialect) -> list[ClauseRecord]:
    titles = {d.id: d.title for d in drafts.values() if d.id.startswith("meti:c-")}
    records = []
    for position, draft in enumerate(drafts.values()):
        title = draft.title
        if draft.kind == "principle" and re.fullmatch(r"meti:[dpu]-\d+", draft.id):
            title = titles.get("meti:c-" + draft.id.rsplit("-", 1)[1])
        text = dialect.join(draft.lines)
        records.append(
            ClauseRecord(
                id=draft.id,
                kind=draft.kind,
                number=draft.number,
                label=draft.label,
                text=text,
                parent=draft.parent,
                unit=draft.unit,
                title=dialect.join([title]) if title else None,
                position=position,
                language=dialect.language,
                anchor=None,
                refs=_refs(draft, text, drafts),
            )
        )
    return records


def structure_lines(
    lines: Iterable[PdfLine], body_size: float, language: str
) -> list[ClauseRecord]:
    """Build the clause records from extracted lines (the layout-independent half of the parser)."""
    dialect = ENGLISH if language == "en" else JAPANESE if language == "ja" else None
    if dialect is None:
        raise ParseError(f"unsupported language {language!r}: expected 'en' or 'ja'")
    builder = _Builder(dialect, body_size)
    for line in lines:
        builder.feed(line)
    builder.close_part()
    if not builder.started:
        raise ParseError("no preface heading found: not the AI Guidelines for Business main body")
    _check_structure(builder.drafts)
    return _records(builder.drafts, dialect)


def parse_meti_pdf_en(data: bytes) -> list[ClauseRecord]:
    """Parse the English provisional translation of the AI Guidelines for Business Ver1.0."""
    lines, body = extract_lines(data)
    return structure_lines(lines, body, "en")


def parse_meti_pdf_ja(data: bytes) -> list[ClauseRecord]:
    """Parse the Japanese AI事業者ガイドライン（案）第1.0版; ids match the English ones."""
    lines, body = extract_lines(data)
    return structure_lines(lines, body, "ja")
