"""Parser for the AI HLEG *Ethics Guidelines for Trustworthy AI* (8 April 2019), official PDF.

Reads the Publications Office PDF (41 pages, generated from Word, Calibri fonts) with ``pypdf``
and returns:

* the 4 ethical principles of Chapter I (``hleg:principle-1`` … ``hleg:principle-4``),
* the 7 key requirements of Chapter II (``hleg:req-1`` … ``hleg:req-7``, text = intro paragraphs),
* their sub-requirements (``hleg:req-1.1`` = "Fundamental rights", …), numbered in order of
  appearance within each requirement (the document itself does not number them),
* the questions of the Chapter III pilot assessment list, one clause per bullet
  (``hleg:req-1.1(q1)``), attached to the sub-requirement whose heading matches the list's
  sub-heading, or to the requirement (``hleg:req-1(q1)``) where none matches. Questions are
  numbered Q1, Q2 … in document order within their sub-requirement, whatever their level; a
  second-level bullet is a point of the question above it, so that question is its parent
  (``hleg:req-1.2(q2)`` is below ``hleg:req-1.2(q1)``), as lead-in and points are elsewhere.

Layout facts the parser relies on, and the quirks it handles:

* Text is read span by span through pypdf's ``visitor_text`` callback, with each span's font
  name, size and position. Body text is 9.96 pt; page numbers (9 pt), footnote bodies (8.52 pt)
  and footnote reference numbers (superscripts, 5.5–7 pt) are smaller, so every span under
  ``MIN_BODY_SIZE`` is dropped. That removes page furniture and the footnote numbers that a plain
  text extraction glues to words ("secure,37"). A dropped span that held a space still yields
  one space, because the PDF sometimes sets the space after a word in the superscript's size.
* Headings are recognised by font: requirement headings ("1.1 Human agency and oversight") and
  assessment-list section headings ("1. Human agency and oversight") are all-bold lines;
  sub-requirement headings are a bold-italic run opening a paragraph ("Fundamental rights.");
  assessment-list sub-headings are bold-italic lines ("Fundamental rights:"); principle
  headings are italic lines "The principle of …".
* Bullets are glyphs from Wingdings/Symbol fonts that come through as private-use code points:
  U+F0FC (check mark, first-level question), U+F0A7 (square, second level), U+F0D8 (arrow,
  second level), U+F0B7 (round bullet), a Courier "o" (third level), and U+25AA. They are
  stripped from the text. A question ending in ":" (a lead-in such as "Did you assess:")
  absorbs the deeper bullets that follow it, since those are fragments of it.
* Line breaks are rejoined with a space. A line ending in a hyphen directly after a letter is
  joined without a space and the hyphen is kept: the document is not auto-hyphenated, so such
  hyphens belong to compounds ("socio-technical", "human-in-the-loop"). Only a soft hyphen
  (U+00AD) is treated as a line-break artefact and removed.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field

from pypdf import PageObject, PdfReader

from ingest.parsers import ParseError
from kb.records import ClauseRecord

SOURCE = "hleg"
LANGUAGE = "en"

MIN_BODY_SIZE = 9.2  # pt; body text is 9.96, page numbers 9.0, footnotes 8.52, superscripts < 7
SAME_LINE_TOLERANCE = 2.0  # pt of vertical drift still counted as the same text line

EXPECTED_PRINCIPLES = 4
EXPECTED_REQUIREMENTS = 7

# Bullet glyphs and the nesting level they mark in the assessment list.
BULLET_LEVELS = {
    "\uf0fc": 1,  # check mark
    "\uf0b7": 1,  # round bullet (Symbol)
    "\uf0a7": 2,  # square (Wingdings)
    "\uf0d8": 2,  # arrow
    "\u25aa": 2,  # small black square
    "o": 3,  # Courier "o"
}
BULLET_FONTS = ("wingdings", "symbol", "courier")
PRIVATE_USE = re.compile("[\ue000-\uf8ff\u25aa]")

# Assessment-list sub-headings worded differently from the Chapter II sub-requirement they
# belong to: normalised list heading -> normalised sub-requirement title (matched by meaning).
ASSESSMENT_HEADING_ALIASES = {
    "respect for privacy and data protection": "privacy and data protection",
    "unfair bias avoidance": "avoidance of unfair bias",
    "minimising and reporting negative impact": "minimisation and reporting of negative impacts",
    "documenting trade-offs": "trade-offs",
    "ability to redress": "redress",
}

REQUIREMENT_HEADING = re.compile(r"^1\.(\d+)\s+(\S.*)$")
ASSESSMENT_SECTION_HEADING = re.compile(r"^(\d+)\.\s+(\S.*)$")
PRINCIPLE_HEADING = re.compile(r"^The principle of (\S.*)$")
ASSESSMENT_LIST_TITLE = "ASSESSMENT LIST"


@dataclass(frozen=True)
class Span:
    """A run of text drawn in one font, as reported by pypdf."""

    text: str
    font: str
    size: float

    @property
    def is_blank(self) -> bool:
        return not self.text.strip()

    @property
    def is_bold(self) -> bool:
        return "bold" in self.font.lower()

    @property
    def is_italic(self) -> bool:
        name = self.font.lower()
        return "italic" in name or "oblique" in name

    @property
    def is_bold_italic(self) -> bool:
        return self.is_bold and self.is_italic

    @property
    def is_bullet(self) -> bool:
        """A lone bullet glyph: a private-use symbol, or an 'o' set in a symbol/Courier font."""
        glyph = self.text.strip()
        if len(glyph) != 1 or glyph not in BULLET_LEVELS:
            return False
        return glyph != "o" or any(m in self.font.lower() for m in BULLET_FONTS)


@dataclass
class Line:
    """One printed line of body-size text, in reading order."""

    spans: list[Span] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The line's text with bullet glyphs removed (spacing not yet normalised)."""
        return _strip_bullets("".join(s.text for s in self.spans if not s.is_bullet))

    @property
    def words(self) -> list[Span]:
        """The spans that carry text, bullet glyphs excluded."""
        return [
            s
            for s in self.spans
            if not s.is_blank and not s.is_bullet and _strip_bullets(s.text).strip()
        ]

    @property
    def is_blank(self) -> bool:
        return not self.words

    @property
    def is_bold_heading(self) -> bool:
        words = self.words
        return bool(words) and all(s.is_bold and not s.is_italic for s in words)

    @property
    def is_bold_italic_heading(self) -> bool:
        words = self.words
        return bool(words) and all(s.is_bold_italic for s in words)

    @property
    def is_italic_heading(self) -> bool:
        words = self.words
        return bool(words) and all(s.is_italic and not s.is_bold for s in words)

    @property
    def bullet_level(self) -> int | None:
        """Nesting level of the bullet glyph opening this line, or None for a plain line."""
        for span in self.spans:
            if span.is_blank:
                continue
            return BULLET_LEVELS[span.text.strip()] if span.is_bullet else None
        return None

    @property
    def clean(self) -> str:
        """The line's words without bullet glyphs, whitespace collapsed."""
        return _normalise(self.text)


@dataclass
class Block:
    """A heading-delimited piece of the document: its heading and its body lines."""

    number: str
    title: str
    lines: list[str] = field(default_factory=list)


@dataclass
class Question:
    """One assessment-list bullet; a lead-in ending in ':' also holds its deeper bullets."""

    sub_heading: str
    lines: list[str] = field(default_factory=list)
    level: int = 1
    lead_in: bool = False


def parse_hleg_pdf(data: bytes) -> list[ClauseRecord]:
    """Parse the Ethics Guidelines PDF into principles, requirements and assessment questions."""
    lines = _document_lines(_open_pdf(data))
    principles = _find_principles(lines)
    requirements = _find_requirements(lines)
    assessment = _find_assessment_list(lines)
    return _build_records(principles, requirements, assessment)


def document_text(data: bytes) -> str:
    """The text this parser reads, line by line (body-size spans, bullet glyphs removed): what the
    fidelity check (``ingest.fidelity``) finds each clause's words in."""
    return "\n".join(line.text for line in _document_lines(_open_pdf(data)))


# --- reading the PDF ---------------------------------------------------------------------


def _open_pdf(data: bytes) -> PdfReader:
    """Open the bytes as a PDF, turning every reader failure into a ParseError."""
    if not isinstance(data, (bytes, bytearray)):
        raise ParseError(f"expected the PDF as bytes, got {type(data).__name__}")
    if not bytes(data[:1024]).lstrip().startswith(b"%PDF-"):
        raise ParseError("not a PDF: the data does not start with a '%PDF-' header")
    try:
        reader = PdfReader(io.BytesIO(bytes(data)), strict=False)
        if len(reader.pages) == 0:
            raise ParseError("the PDF has no pages")
    except ParseError:
        raise
    except Exception as exc:  # pypdf raises many types on damaged files; report them as one
        raise ParseError(f"unreadable or truncated PDF: {type(exc).__name__}: {exc}") from exc
    return reader


def _document_lines(reader: PdfReader) -> list[Line]:
    """All body-size lines of all pages, in reading order."""
    lines: list[Line] = []
    for index, page in enumerate(reader.pages):
        try:
            lines.extend(_page_lines(page))
        except Exception as exc:  # damaged content streams fail in many different ways
            raise ParseError(
                f"cannot extract the text of page {index + 1}: {type(exc).__name__}: {exc}"
            ) from exc
    return lines


def _page_lines(page: PageObject) -> list[Line]:
    """Group the page's body-size spans into lines; smaller text (furniture, notes) is dropped."""
    lines: list[Line] = []
    last_y: float | None = None

    def visit(text: str, cm: list[float], tm: list[float], font: dict | None, size: float):
        nonlocal last_y
        if not text or text == "\n":
            return
        scale = abs(tm[3] * cm[3]) or 1.0
        y = tm[5] * cm[3] + cm[5]
        name = str((font or {}).get("/BaseFont", "")).split("+")[-1]
        if size * scale < MIN_BODY_SIZE:
            if lines and any(ch.isspace() for ch in text):  # keep the word gap it carried
                lines[-1].spans.append(Span(" ", name, size * scale))
            return
        if last_y is None or abs(y - last_y) > SAME_LINE_TOLERANCE or not lines:
            lines.append(Line())
        last_y = y
        lines[-1].spans.append(Span(text.replace("\n", " "), name, size * scale))

    page.extract_text(visitor_text=visit)
    return [line for line in lines if not line.is_blank]


# --- finding the parts -------------------------------------------------------------------


def _find_principles(lines: list[Line]) -> list[Block]:
    """Chapter I principles: italic 'The principle of …' lines and the body text under them."""
    blocks: list[Block] = []
    current: Block | None = None
    for line in lines:
        match = PRINCIPLE_HEADING.match(line.clean) if line.is_italic_heading else None
        if match:
            current = Block(str(len(blocks) + 1), _sentence_case(match[1]))
            blocks.append(current)
        elif current is not None and line.is_bold_heading:
            current = None
        elif current is not None:
            current.lines.append(line.text)
    if len(blocks) != EXPECTED_PRINCIPLES:
        raise ParseError(
            f"expected {EXPECTED_PRINCIPLES} ethical principles ('The principle of …' headings "
            f"in Chapter I), found {len(blocks)}"
        )
    for block in blocks:
        if not _join_lines(block.lines):
            raise ParseError(f"principle {block.number} ({block.title!r}) has no text")
    return blocks


@dataclass
class Requirement:
    block: Block
    subs: list[Block] = field(default_factory=list)


def _find_requirements(lines: list[Line]) -> list[Requirement]:
    """Chapter II requirements ('1.N Title' bold lines) and their bold-italic sub-headings."""
    requirements: list[Requirement] = []
    current: Requirement | None = None
    for line in lines:
        match = REQUIREMENT_HEADING.match(line.clean) if line.is_bold_heading else None
        if match:
            current = Requirement(Block(match[1], _normalise(match[2])))
            requirements.append(current)
            continue
        if current is None:
            continue
        if line.is_bold_heading:
            current = None
            continue
        heading, rest = _split_run_in_heading(line)
        if heading is not None:
            number = f"{current.block.number}.{len(current.subs) + 1}"
            current.subs.append(Block(number, heading, [rest] if rest else []))
        elif current.subs:
            current.subs[-1].lines.append(line.text)
        else:
            current.block.lines.append(line.text)
    _check_requirements(requirements)
    return requirements


def _check_requirements(requirements: list[Requirement]) -> None:
    """The seven requirements must be numbered 1..7 in order and each must have text."""
    numbers = [r.block.number for r in requirements]
    expected = [str(n) for n in range(1, EXPECTED_REQUIREMENTS + 1)]
    if numbers != expected:
        raise ParseError(
            f"expected Chapter II requirement headings 1.1 to 1.{EXPECTED_REQUIREMENTS} in "
            f"order, found {['1.' + n for n in numbers]}"
        )
    for req in requirements:
        if not req.subs:
            raise ParseError(
                f"requirement {req.block.number} ({req.block.title!r}) has no "
                "sub-requirement headings"
            )
        for block in (req.block, *req.subs):
            if not _join_lines(block.lines):
                raise ParseError(f"requirement part {block.number} ({block.title!r}) has no text")


def _split_run_in_heading(line: Line) -> tuple[str | None, str]:
    """Split 'Fundamental rights. Like many …' into its bold-italic heading and the rest."""
    spans = [s for s in line.spans if not s.is_bullet]
    count = 0
    while count < len(spans) and (spans[count].is_blank or spans[count].is_bold_italic):
        count += 1
    heading_parts = [s.text for s in spans[:count]]
    heading = _normalise("".join(heading_parts))
    rest = _strip_bullets("".join(s.text for s in spans[count:]))
    if not heading:
        return None, line.text
    if not heading.endswith(".") and rest.lstrip().startswith("."):
        heading, rest = heading + ".", rest.lstrip()[1:]
    if not heading.endswith(".") or len(heading) < 3:
        return None, line.text
    return heading.rstrip(".").strip(), rest


@dataclass
class AssessmentSection:
    number: str
    title: str
    questions: list[Question] = field(default_factory=list)


def _find_assessment_list(lines: list[Line]) -> list[AssessmentSection]:
    """Chapter III pilot list: 'N. Title' sections, bold-italic sub-headings, bullet questions."""
    start = next(
        (
            i
            for i, line in enumerate(lines)
            if line.is_bold_heading and ASSESSMENT_LIST_TITLE in line.clean
        ),
        None,
    )
    if start is None:
        raise ParseError(
            "the Chapter III assessment list ('… ASSESSMENT LIST …' heading) was not found"
        )
    sections: list[AssessmentSection] = []
    sub_heading = ""
    for line in lines[start + 1 :]:
        if line.is_bold_heading:
            match = ASSESSMENT_SECTION_HEADING.match(line.clean)
            if not match:
                break  # the closing invitation / key guidance: the list is over
            sections.append(AssessmentSection(match[1], _normalise(match[2])))
            sub_heading = ""
            continue
        if not sections:
            continue
        if line.is_bold_italic_heading:
            sub_heading = line.clean.rstrip(":").strip()
            continue
        _add_assessment_line(sections[-1], sub_heading, line)
    _check_assessment(sections)
    return sections


def _add_assessment_line(section: AssessmentSection, sub_heading: str, line: Line) -> None:
    """Start a question at a bullet, or continue the current one (wrapped line, lead-in list)."""
    level = line.bullet_level
    questions = section.questions
    current = questions[-1] if questions else None
    if (
        current is not None
        and current.sub_heading == sub_heading
        and level is not None
        and level > current.level
        and not current.lead_in
        and _join_lines(current.lines).endswith(":")
    ):
        current.lead_in = True  # 'Did you assess:' – the deeper bullets complete it
    absorbed = (
        current is not None and current.lead_in and level is not None and level > current.level
    )
    if level is not None and not absorbed:
        questions.append(Question(sub_heading, [line.text], level))
    elif current is not None and current.sub_heading == sub_heading:
        current.lines.append(line.text)
    else:
        raise ParseError(
            f"assessment list section {section.number}: text outside any bullet: {line.clean!r}"
        )


def _check_assessment(sections: list[AssessmentSection]) -> None:
    """The list must have one section per requirement, in order, each with questions."""
    numbers = [s.number for s in sections]
    expected = [str(n) for n in range(1, EXPECTED_REQUIREMENTS + 1)]
    if numbers != expected:
        raise ParseError(
            f"expected assessment-list sections 1 to {EXPECTED_REQUIREMENTS} in order, "
            f"found {numbers}"
        )
    for section in sections:
        if not section.questions:
            raise ParseError(f"assessment-list section {section.number} has no questions")


# --- building records --------------------------------------------------------------------


def _build_records(
    principles: list[Block],
    requirements: list[Requirement],
    assessment: list[AssessmentSection],
) -> list[ClauseRecord]:
    """Turn the parsed parts into clause records, in document order."""
    records: list[ClauseRecord] = []

    def add(**fields) -> None:
        records.append(ClauseRecord(position=len(records), language=LANGUAGE, **fields))

    for block in principles:
        cid = f"{SOURCE}:principle-{block.number}"
        add(
            id=cid,
            kind="principle",
            number=block.number,
            label=f"Principle {block.number}",
            text=_join_lines(block.lines),
            unit=cid,
            title=block.title,
        )
    for req in requirements:
        req_id = f"{SOURCE}:req-{req.block.number}"
        add(
            id=req_id,
            kind="requirement",
            number=req.block.number,
            label=f"Req. {req.block.number}",
            text=_join_lines(req.block.lines),
            unit=req_id,
            title=req.block.title,
        )
        for sub in req.subs:
            add(
                id=f"{SOURCE}:req-{sub.number}",
                kind="requirement",
                number=sub.number,
                label=f"Req. {sub.number}",
                text=_join_lines(sub.lines),
                parent=req_id,
                unit=req_id,
                title=sub.title,
            )
    by_number = {req.block.number: req for req in requirements}
    for section in assessment:
        req = by_number[section.number]
        counters: dict[str, int] = {}
        open_questions: list[tuple[int, str]] = []  # (level, id) of the questions a deeper bullet may belong to
        group: tuple[str, str] | None = None
        for question in section.questions:
            parent_number = _matching_sub_number(req, question.sub_heading) or req.block.number
            counters[parent_number] = counters.get(parent_number, 0) + 1
            k = counters[parent_number]
            qid = f"{SOURCE}:req-{parent_number}(q{k})"
            if (parent_number, question.sub_heading) != group:
                group, open_questions = (parent_number, question.sub_heading), []
            while open_questions and open_questions[-1][0] >= question.level:
                open_questions.pop()
            add(
                id=qid,
                kind="question",
                number=f"Q{k}",
                label=f"Req. {parent_number} Q{k}",
                text=_join_lines(question.lines),
                parent=open_questions[-1][1] if open_questions else f"{SOURCE}:req-{parent_number}",
                unit=f"{SOURCE}:req-{req.block.number}",
                title=question.sub_heading or None,
            )
            open_questions.append((question.level, qid))
    return records


def _matching_sub_number(req: Requirement, sub_heading: str) -> str | None:
    """The number of the sub-requirement an assessment-list sub-heading belongs to, if any."""
    key = _heading_key(sub_heading)
    key = ASSESSMENT_HEADING_ALIASES.get(key, key)
    for sub in req.subs:
        if _heading_key(sub.title) == key:
            return sub.number
    return None


# --- text hygiene ------------------------------------------------------------------------


def _strip_bullets(text: str) -> str:
    """Remove bullet glyphs (private-use code points, small squares) wherever they are."""
    return PRIVATE_USE.sub(" ", text)


def _join_lines(lines: list[str]) -> str:
    """Rejoin printed lines into running text, keeping compound hyphens at line ends."""
    text = ""
    for raw in lines:
        line = _normalise(raw)
        if not line:
            continue
        if not text:
            text = line
        elif text.endswith("\u00ad"):
            text = text[:-1] + line
        elif re.search(r"[A-Za-z)]-$", text):
            text += line
        else:
            text += " " + line
    return text.replace("\u00ad", "")


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ")).strip()


def _heading_key(text: str) -> str:
    return _normalise(text).rstrip(".:").strip().lower()


def _sentence_case(text: str) -> str:
    text = _normalise(text)
    return text[:1].upper() + text[1:]
