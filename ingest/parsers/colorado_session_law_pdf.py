"""A Colorado session law (Session Laws of Colorado, as the General Assembly publishes them in PDF) ->
the clauses of the Colorado Revised Statutes part it enacts: here C.R.S. title 6, article 1, part 17
(the Colorado AI Act: SB 24-205 of 2024, repealed and re-enacted by SB 26-189 of 2026).

Read with pdfminer, character by character, because the layout carries meaning the words alone lose:

- **New material is set in small capitals**: a capital letter at the body size (11 pt) and the rest
  of the word as smaller capitals (8 pt). The text layer therefore reads "A DEPLOYER SHALL…"; the
  parser restores the case from the glyph sizes ("A deployer shall…"), so acronyms set at full size
  ("ADMT", "FERPA") stay capitals. Punctuation and figures are set at full size, which tells the
  body size.
- The legend under the first page ("Capital letters or bold & italic numbers indicate new material
  …; dashes through words or numbers indicate deletions …") and the running heads are dropped.
- Lines are fully justified, some letter-spaced: words are split at the PDF's own space glyphs (and
  at wide gaps), never at the letter-spacing of a justified line ("O U TPU T" is one word).
- A **section** starts with a bold run ``6-1-1701. Definitions.`` (its heading may wrap onto more
  bold lines; the body may follow on the same line). The C.R.S. part runs from the first section
  heading of part 17 to the act's next ``SECTION 2.``; everything else (the bill's title, sponsors,
  the running heads "Ch. 131 Consumer and Commercial Transactions 569", the legend on new material,
  the act's own later sections) is not part of the statute.
- A paragraph starts with an indented first line; its leading markers ``(1)``, ``(a)``, ``(I)``,
  ``(A)`` (subsection, paragraph, subparagraph, sub-subparagraph, as Colorado drafts) open the
  clauses; several can open one line (``(2) (a) "Automated…``). ``(I)`` is a roman numeral or the
  letter after ``(H)``: the sequence decides. A marker that is not at a paragraph's start
  ("subsection (2)(a) of this section") is a reference, not a clause.

Ids: ``co-ai-act:6-1-1702`` (kind "article", titled with the section heading),
``co-ai-act:6-1-1702(1)`` ("paragraph"; in 6-1-1701 each numbered subsection is a "definition"
titled with the term it defines), ``co-ai-act:6-1-1702(1)(a)`` ("point"), deeper "subpoint". Labels
read "§ 6-1-1702(1)(a)". References to other sections of the part ("section 6-1-1703 (3)",
"subsection (2)(a) of this section") are resolved to the finest clause that exists.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from ingest.parsers import ParseError
from kb.records import ClauseRecord

SOURCE = "co-ai-act"
PART = "6-1-17"
DEFINITIONS_SECTION = "6-1-1701"

_LINE_TOLERANCE = 3.0  # points between glyph bottoms that still count as one printed line
_WORD_GAP = 2.0  # a gap this wide (points) between glyphs without a space glyph is still a space
_SMALL_CAPS_DROP = 1.5  # a letter this much smaller than the body size is a small capital
_INDENT = 5.0  # a paragraph's first line starts this far right of the page's left margin
_RUNNING_HEAD = re.compile(r"^(?:Ch\. \d+ .+ \d+|\d+ .+ Ch\. \d+)$")
_LEGEND = re.compile(r"^\)+$|indicate new material added to existing law|indicate deletions from existing law", re.I)
_SECTION_HEADING = re.compile(rf"^(?P<number>{PART}\d\d)\.\s+(?P<title>.*)$")
_ACT_SECTION = re.compile(r"^SECTION\s+(?P<n>\d+)\.")
_LEADING_MARKER = re.compile(r"^\((?P<marker>[A-Za-z]{1,4}|\d{1,3})\)\s*")
_TYPE_ORDER = ("digit", "lower", "uroman", "upper")
_ROMAN = {"I": 1, "V": 5, "X": 10, "L": 50}


@dataclass
class _Glyph:
    text: str
    x0: float
    x1: float
    y: float
    size: float
    bold: bool


@dataclass
class _Line:
    page: int
    x: float
    y: float
    glyphs: list[_Glyph]
    text: str = ""
    bold_prefix: str = ""  # the bold words at the start of the line (a section heading), if any


@dataclass
class _Node:
    path: tuple[str, ...]
    types: tuple[str, ...]
    lines: list[str] = field(default_factory=list)

    @property
    def depth(self) -> int:
        return len(self.path)


@dataclass
class _Section:
    number: str
    title: str
    nodes: list[_Node]


# --- reading the PDF ------------------------------------------------------------------------


def _pages(data: bytes) -> list[list[_Glyph]]:
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LTChar

    if not isinstance(data, bytes | bytearray) or not bytes(data[:1024]).lstrip().startswith(b"%PDF-"):
        raise ParseError("not a PDF: the data does not start with '%PDF-'")
    pages: list[list[_Glyph]] = []
    try:
        for page in extract_pages(io.BytesIO(bytes(data)), laparams=None):
            pages.append([
                _Glyph(item.get_text(), item.x0, item.x1, item.y0, round(item.size, 1), "bold" in item.fontname.lower())
                for item in _walk(page)
                if isinstance(item, LTChar)
            ])
    except Exception as exc:  # pdfminer raises many kinds on damaged files
        raise ParseError(f"unreadable or truncated PDF: {type(exc).__name__}: {exc}") from exc
    if not pages:
        raise ParseError("the PDF has no pages")
    return pages


def _walk(container: Iterable) -> Iterator:
    """Every layout object inside a page, figures and text boxes opened."""
    for item in container:
        yield item
        if isinstance(item, Iterable) and not isinstance(item, str):
            yield from _walk(item)


def _body_size(pages: list[list[_Glyph]]) -> float:
    """The full size of the text: the commonest size of punctuation and figures (never small caps)."""
    sizes = Counter(g.size for page in pages for g in page if g.text in ",.;:()0123456789")
    if not sizes:
        raise ParseError("no text layer: the PDF has no punctuation or figures to read")
    return sizes.most_common(1)[0][0]


def _lines(page_no: int, glyphs: list[_Glyph], body_size: float) -> list[_Line]:
    """The page's printed lines, top to bottom, with words spaced and case restored."""
    rows: list[list[_Glyph]] = []
    for glyph in sorted(glyphs, key=lambda g: -g.y):
        if rows and abs(rows[-1][0].y - glyph.y) < _LINE_TOLERANCE:
            rows[-1].append(glyph)
        else:
            rows.append([glyph])
    lines = []
    for row in rows:
        row.sort(key=lambda g: g.x0)
        printed = [g for g in row if g.text.strip()]
        if not printed:
            continue
        line = _Line(page_no, printed[0].x0, row[0].y, row)
        line.text, line.bold_prefix = _line_text(row, body_size)
        lines.append(line)
    return lines


def _line_text(row: list[_Glyph], body_size: float) -> tuple[str, str]:
    out: list[str] = []
    bold_prefix: str | None = None
    previous: _Glyph | None = None
    for glyph in row:
        if glyph.text.isspace():
            out.append(" ")
            previous = glyph
            continue
        if previous is not None and not previous.text.isspace() and glyph.x0 - previous.x1 > _WORD_GAP:
            out.append(" ")
        if bold_prefix is None and not glyph.bold:
            bold_prefix = "".join(out)
        small = glyph.text.isalpha() and glyph.size < body_size - _SMALL_CAPS_DROP
        out.append(glyph.text.lower() if small else glyph.text)
        previous = glyph
    text = re.sub(r"\s+", " ", "".join(out)).strip()
    prefix = text if bold_prefix is None else re.sub(r"\s+", " ", bold_prefix).strip()
    return text, prefix


def _is_furniture(line: _Line) -> bool:
    """The running head of every page and the legend on new material under the first."""
    return bool(_RUNNING_HEAD.match(line.text) or _LEGEND.search(line.text))


def _read(data: bytes) -> list[_Line]:
    pages = _pages(data)
    body_size = _body_size(pages)
    lines: list[_Line] = []
    for page_no, glyphs in enumerate(pages, start=1):
        page_lines = _lines(page_no, glyphs, body_size)
        margin = min((line.x for line in page_lines), default=0.0)  # the running head starts at it
        for line in page_lines:
            line.x -= margin  # from here on, x is the indent from the page's left margin
        lines.extend(line for line in page_lines if not _is_furniture(line))
    return lines


# --- the part's lines ------------------------------------------------------------------------


def _part_lines(lines: list[_Line]) -> list[_Line]:
    """From the first section heading of the part to the act's next SECTION (or the end)."""
    start = next((i for i, line in enumerate(lines) if _SECTION_HEADING.match(line.bold_prefix)), None)
    if start is None:
        raise ParseError(f"no section heading like '{PART}01.' in bold: not a session law enacting C.R.S. part 17")
    end = next(
        (i for i in range(start, len(lines)) if _ACT_SECTION.match(lines[i].bold_prefix)),
        len(lines),
    )
    return lines[start:end]


def _split_sections(lines: list[_Line]) -> list[_Section]:
    sections: list[_Section] = []
    current: list[_Line] = []
    for line in lines:
        if _SECTION_HEADING.match(line.bold_prefix) and current:
            sections.append(_build_section(current))
            current = []
        current.append(line)
    if current:
        sections.append(_build_section(current))
    return sections


def _build_section(lines: list[_Line]) -> _Section:
    heading = _SECTION_HEADING.match(lines[0].bold_prefix)
    assert heading is not None  # a section only starts on a heading line
    title_parts = [heading["title"]]
    first_body = lines[0].text[len(lines[0].bold_prefix):].strip()
    rest = lines[1:]
    while not first_body and rest and rest[0].bold_prefix and rest[0].x < _INDENT:
        title_parts.append(rest[0].bold_prefix)  # the heading wraps onto the next line
        first_body = rest[0].text[len(rest[0].bold_prefix):].strip()
        rest = rest[1:]
    builder = _TreeBuilder()
    if first_body:
        builder.add(first_body, paragraph_start=True)
    for line in rest:
        builder.add(line.text, paragraph_start=line.x >= _INDENT)
    title = re.sub(r"\s+", " ", " ".join(title_parts)).strip().rstrip(".").strip()
    return _Section(heading["number"], title, builder.nodes)


# --- markers and the subdivision tree ----------------------------------------------------------


def _roman_value(text: str) -> int | None:
    if not text or any(ch not in _ROMAN for ch in text):
        return None
    values = [_ROMAN[ch] for ch in text]
    total = sum(-v if v < after else v for v, after in zip(values, [*values[1:], 0], strict=True))
    return total if _to_roman(total) == text else None


def _to_roman(value: int) -> str:
    out = []
    for number, glyphs in ((50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        while value >= number:
            out.append(glyphs)
            value -= number
    return "".join(out)


def _letter_value(text: str) -> int | None:
    """(a)=1 … (z)=26, then (aa)=27 …: Colorado continues lettered lists with double letters."""
    lower = text.lower()
    if len(set(lower)) != 1 or not lower.isalpha():
        return None
    return 26 * (len(lower) - 1) + ord(lower[0]) - 96


def _readings(marker: str) -> dict[str, int]:
    """Every (type, ordinal) a marker could be: '(I)' is roman one or the ninth capital letter."""
    if marker.isdigit():
        return {"digit": int(marker)}
    readings: dict[str, int] = {}
    letter = _letter_value(marker)
    if marker.islower() and letter is not None:
        readings["lower"] = letter
    if marker.isupper():
        if letter is not None:
            readings["upper"] = letter
        roman = _roman_value(marker)
        if roman is not None:
            readings["uroman"] = roman
    return readings


class _TreeBuilder:
    """Opens a node at each marker that starts a paragraph; other text goes to the open node."""

    def __init__(self) -> None:
        root = _Node((), ())
        self.nodes = [root]
        self.stack = [root]

    def add(self, text: str, *, paragraph_start: bool) -> None:
        while paragraph_start:
            match = _LEADING_MARKER.match(text)
            if match is None or not self._open(match["marker"]):
                break
            text = text[match.end():]
        if text.strip():
            self.stack[-1].lines.append(text)

    def _open(self, marker: str) -> bool:
        readings = _readings(marker)
        for depth in range(len(self.stack) - 1, 0, -1):  # a sibling of an open level, deepest first
            node = self.stack[depth]
            kind = node.types[-1]
            if readings.get(kind) == _readings(node.path[-1])[kind] + 1:
                del self.stack[depth:]
                self._push(marker, kind)
                return True
        used = set(self.stack[-1].types)
        deeper = [t for t in _TYPE_ORDER if t not in used and (not used or _TYPE_ORDER.index(t) > max(
            _TYPE_ORDER.index(u) for u in used))]
        for kind in deeper:  # a first child: (1), (a), (I) or (A)
            if readings.get(kind) == 1:
                self._push(marker, kind)
                return True
        return False

    def _push(self, marker: str, kind: str) -> None:
        parent = self.stack[-1]
        node = _Node((*parent.path, marker), (*parent.types, kind))
        self.nodes.append(node)
        self.stack.append(node)


# --- records ----------------------------------------------------------------------------------

_SECTION_NO = rf"{PART}\d\d"
_MARKS = r"(?:\s?\([A-Za-z0-9]{1,4}\))+"
_SECTION_REF = re.compile(
    rf"\bsections?\s+(?P<list>{_SECTION_NO}(?:{_MARKS})?(?:\s*(?:,|and|or|to)\s*(?:and\s+)?{_SECTION_NO}(?:{_MARKS})?)*)",
    re.IGNORECASE,
)
_SUBSECTION_REF = re.compile(
    rf"\bsubsections?\s+(?P<list>{_MARKS}(?:\s*(?:,|and|or|to)\s*(?:and\s+)?{_MARKS})*)(?P<this>\s+of\s+this\s+section)?",
    re.IGNORECASE,
)


def _id(section: str, path: tuple[str, ...]) -> str:
    return f"{SOURCE}:{section}" + "".join(f"({p})" for p in path)


def _paths(listing: str) -> list[tuple[str, ...]]:
    return [tuple(re.findall(r"\(([A-Za-z0-9]{1,4})\)", group)) for group in re.findall(_MARKS, listing)]


def _references(section: str, text: str, known: set[str], own: str) -> tuple[str, ...]:
    found: list[tuple[int, str]] = []
    for match in _SECTION_REF.finditer(text):
        for item in re.finditer(rf"(?P<number>{_SECTION_NO})(?P<marks>{_MARKS})?", match["list"]):
            paths = _paths(item["marks"] or "") or [()]
            found.extend((match.start(), _id(item["number"], path)) for path in paths)
    for match in _SUBSECTION_REF.finditer(text):
        if match["this"] is None and re.match(r"\s+of\s+section\b", text[match.end():], re.IGNORECASE):
            continue  # "subsection (3) of section 10-3-1104.9": another statute
        found.extend((match.start(), _id(section, path)) for path in _paths(match["list"]))
    out: list[str] = []
    for _, target in sorted(found):
        while target not in known and "(" in target:
            target = target[: target.rindex("(")]
        if target in known and target != own and target not in out:
            out.append(target)
    return tuple(out)


def _defined_term(text: str) -> str | None:
    """'"Adverse outcome" means…' -> 'Adverse outcome'; '"Automated…" or "ADMT" means' keeps both."""
    match = re.match(r'^(?P<terms>"[^"]+"(?:\s*(?:,|or|and)\s*"[^"]+")*)\s+(?:means|has|includes)\b', text)
    return re.sub(r"\s+", " ", match["terms"].replace('"', "")).strip() if match else None


def _kind(section: str, depth: int) -> str:
    if depth == 0:
        return "article"
    if depth == 1:
        return "definition" if section == DEFINITIONS_SECTION else "paragraph"
    return "point" if depth == 2 else "subpoint"


def _join(lines: list[str]) -> str:
    return re.sub(r"\s+", " ", " ".join(lines)).strip()


def _records(sections: list[_Section]) -> list[ClauseRecord]:
    pairs = [(section, node) for section in sections for node in section.nodes]
    ids = [_id(section.number, node.path) for section, node in pairs]
    if len(set(ids)) != len(ids):
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        raise ParseError(f"duplicate clause numbers {duplicates[:5]}: the subdivision structure could not be read")
    known = set(ids)
    texts = {clause_id: _join(node.lines) for clause_id, (_, node) in zip(ids, pairs, strict=True)}
    records = []
    for position, ((section, node), clause_id) in enumerate(zip(pairs, ids, strict=True)):
        text = texts[clause_id]
        title = section.title if node.depth == 0 else None
        if section.number == DEFINITIONS_SECTION and len(node.path) == 1:
            title = _defined_term(text) or _defined_term(texts.get(f"{clause_id}(a)", ""))
        records.append(ClauseRecord(
            id=clause_id,
            kind=_kind(section.number, len(node.path)),
            number=f"({node.path[-1]})" if node.path else section.number,
            label="§ " + clause_id.removeprefix(f"{SOURCE}:"),
            text=text,
            parent=_id(section.number, node.path[:-1]) if node.path else None,
            unit=_id(section.number, ()),
            title=title,
            position=position,
            refs=_references(section.number, text, known, clause_id),
        ))
    return records


def parse_colorado_session_law_pdf(data: bytes) -> list[ClauseRecord]:
    """Parse a Colorado session-law PDF into the clauses of the C.R.S. part 17 it enacts."""
    sections = _split_sections(_part_lines(_read(data)))
    numbers = [int(s.number.rsplit("-", 1)[1]) for s in sections]
    if numbers != list(range(numbers[0], numbers[0] + len(numbers))) or numbers[0] != 1701:
        raise ParseError(f"the part's sections are not 1701, 1702, … in order: found {numbers}")
    for section in sections:
        if not any(node.lines for node in section.nodes):
            raise ParseError(f"section {section.number} has no text: the document is truncated")
    return _records(sections)
