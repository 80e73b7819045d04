"""The CPPA's compiled PDF of the CCPA (Cal. Civ. Code §§ 1798.100–1798.199.100) -> clause records.

Reads the text layer of the PDF that the California Privacy Protection Agency posts on cppa.ca.gov
("CALIFORNIA CONSUMER PRIVACY ACT OF 2018 — effective …"), with pypdf. Each text run comes with
its x/y position and font, which the parser needs:

- A section starts with a **bold** run ``1798.NNN. Heading`` at the start of a line; the heading may
  wrap onto further bold lines. Sections 1798.146, .148 and .194–.199.100 have no heading: their
  bold run is only the number and the body text follows on the same line.
- Subdivisions ``(a)``, paragraphs ``(1)``, subparagraphs ``(A)``, clauses ``(i)`` and subclauses
  ``(I)`` start a line with a hanging indent; several can open one line (``(c) (1) A business…``),
  in which case the outer one has no words of its own. ``(i)``, ``(v)``, ``(x)`` (and ``(I)``…) are
  either letters or roman numerals: the parser decides by sequence (which level the marker
  continues) and by indentation (a sibling sits at its sibling's x, a child to the right of its
  parent). A wrapped cross-reference such as ``…paragraph`` / ``(3) of subdivision (a)…`` is text,
  not a new paragraph.
- Page furniture dropped: the cover and table of contents (everything before the first bold
  section heading), the "Page N of M" footers, and the CPPA's editorial footnotes
  ("* Pursuant to Civil Code § 1798.199.95(d), this monetary amount has been updated…") together
  with the ``*`` markers that point to them in the text (``($2,500)*``).

Ids: ``ccpa:1798.100`` (kind "article", title = heading or None), ``ccpa:1798.100(a)`` ("paragraph";
in § 1798.140 each lettered subdivision is a "definition" titled with the defined term(s)),
``ccpa:1798.100(a)(1)`` ("point"), ``ccpa:1798.100(a)(1)(A)`` and deeper ("subpoint"). Labels read
"§ 1798.100(a)(1)"; anchors are None (leginfo has one page per section, no fragments).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import pypdf

from ingest.parsers import ParseError
from kb.records import ClauseRecord

SOURCE = "ccpa"
DEFINITIONS_SECTION = "1798.140"

_SECTION_HEADING = re.compile(r"^(?P<number>1798\.\d+(?:\.\d+)?)\.(?:\s+|$)(?P<rest>.*)$")
_PAGE_FOOTER = re.compile(r"^Page\s+(?P<n>\d+)\s+of\s+(?P<of>\d+)$")
_FOOTNOTE_START = re.compile(r"^\*\s")
_FOOTNOTE_MARK = re.compile(r"\)\*(\s*(?=[,.;:]))?")
_LEADING_MARKER = re.compile(r"^\((?P<marker>[A-Za-z]{1,5}|\d{1,3})\)(?:\s+|$)")
_ROMAN_VALUES = {"i": 1, "v": 5, "x": 10, "l": 50}
_ROMAN_STEPS = ((50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i"))

# Marker types from the outermost to the innermost level of California code drafting:
# subdivision (a), paragraph (1), subparagraph (A), clause (i), subclause (I).
_TYPE_ORDER = ("lower", "digit", "upper", "roman", "uroman")

_SAME_LINE_TOLERANCE = 3.0  # points between runs' baselines that still count as one line
_SIBLING_TOLERANCE = 10.0  # a sibling marker sits at (about) the x of the previous one
_INDENT_STEP = 27.0  # the compilation's hanging indent; used for markers that share a line


# --- reading the PDF ------------------------------------------------------------------------


@dataclass
class _Line:
    """One printed line: where it starts, and its runs as (bold, text) pairs."""

    page: int
    x: float
    y: float
    runs: list[tuple[bool, str]] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(text for _, text in self.runs).strip()

    @property
    def bold_text(self) -> str:
        """The bold runs at the start of the line (a section heading), or ''."""
        parts: list[str] = []
        for bold, text in self.runs:
            if not bold:
                break
            parts.append(text)
        return "".join(parts).strip()

    @property
    def plain_text(self) -> str:
        """The line after its leading bold runs (the body text that follows a bare number)."""
        index = 0
        while index < len(self.runs) and self.runs[index][0]:
            index += 1
        return "".join(text for _, text in self.runs[index:]).strip()


def _open_pdf(data: bytes) -> pypdf.PdfReader:
    if not isinstance(data, (bytes, bytearray)) or not data.strip():
        raise ParseError("empty document: expected the CPPA's CCPA statute PDF")
    if not bytes(data[:1024]).lstrip().startswith(b"%PDF-"):
        raise ParseError("not a PDF: the data does not start with '%PDF-'")
    try:
        reader = pypdf.PdfReader(io.BytesIO(bytes(data)))
        if len(reader.pages) == 0:
            raise ParseError("the PDF has no pages")
    except ParseError:
        raise
    except Exception as exc:  # pypdf raises many kinds on damaged files
        raise ParseError(f"unreadable or truncated PDF: {type(exc).__name__}: {exc}") from exc
    return reader


def _read_lines(reader: pypdf.PdfReader) -> list[_Line]:
    """All text lines of all pages in reading order, runs on one baseline joined."""
    lines: list[_Line] = []
    for page_no, page in enumerate(reader.pages, start=1):
        try:
            lines.extend(_page_lines(page, page_no))
        except ParseError:
            raise
        except Exception as exc:
            raise ParseError(f"cannot extract text from page {page_no}: {exc}") from exc
    return lines


def _page_lines(page: pypdf.PageObject, page_no: int) -> list[_Line]:
    lines: list[_Line] = []

    def visit(text: str, cm: list[float], tm: list[float], font: dict | None, _size: float) -> None:
        text = text.replace("\n", "")
        if not text.strip():
            return
        x = tm[4] * cm[0] + cm[4]
        y = tm[5] * cm[3] + cm[5]
        bold = bool(font) and "bold" in str(font.get("/BaseFont", "")).lower()
        if lines and abs(lines[-1].y - y) < _SAME_LINE_TOLERANCE:
            lines[-1].runs.append((bold, text))
        else:
            lines.append(_Line(page_no, round(x, 1), round(y, 1), [(bold, text)]))

    page.extract_text(visitor_text=visit)
    return lines


def _check_page_footers(lines: list[_Line], page_count: int) -> None:
    """If the pages are numbered "Page N of M", every page must be there: a PDF cut short fails."""
    numbers = []
    for line in lines:
        match = _PAGE_FOOTER.match(line.text)
        if match:
            numbers.append((int(match["n"]), int(match["of"])))
    if not numbers:
        return
    total = numbers[0][1]
    seen = sorted(n for n, _ in numbers)
    if total != page_count or seen != list(range(1, total + 1)):
        raise ParseError(
            f"the footers count {total} pages ('Page N of {total}') but the PDF has {page_count} "
            f"page(s) numbered {seen[0]}–{seen[-1]}: the document is truncated or pages are missing"
        )


def _body_lines(lines: list[_Line]) -> list[_Line]:
    """Lines of the statute proper: no cover, no table of contents, no footers or footnotes."""
    start = next((i for i, line in enumerate(lines) if _is_section_heading(line)), None)
    if start is None:
        raise ParseError("no section heading like '1798.100.' in bold: not the CPPA's CCPA PDF")
    body: list[_Line] = []
    in_footnote_on_page: int | None = None
    for line in lines[start:]:
        if _PAGE_FOOTER.match(line.text):
            continue
        if _FOOTNOTE_START.match(line.text):
            in_footnote_on_page = line.page
        if in_footnote_on_page == line.page:
            continue
        body.append(line)
    return body


def _is_section_heading(line: _Line) -> bool:
    return bool(line.bold_text) and _SECTION_HEADING.match(line.bold_text) is not None


# --- markers ----------------------------------------------------------------------------------


def _roman_value(text: str) -> int | None:
    """Value of a lower-case roman numeral up to 'l', or None when it is not one."""
    if not text or any(ch not in _ROMAN_VALUES for ch in text):
        return None
    values = [_ROMAN_VALUES[ch] for ch in text]
    total = sum(-v if v < after else v for v, after in zip(values, [*values[1:], 0], strict=True))
    return total if _to_roman(total) == text else None


def _to_roman(value: int) -> str:
    out = []
    for number, glyphs in _ROMAN_STEPS:
        while value >= number:
            out.append(glyphs)
            value -= number
    return "".join(out)


def _letter_value(text: str) -> int | None:
    """(a)=1 … (z)=26, (aa)=27 … (ak)=37: the Civil Code's letters continue like spreadsheet columns."""
    if len(text) == 1:
        return ord(text) - 96
    if len(text) == 2:
        return 26 * (ord(text[0]) - 96) + ord(text[1]) - 96
    return None


def _doubled_letter_value(text: str) -> int | None:
    """(a)=1 … (z)=26, (aa)=27, (bb)=28 … (zz)=52, (aaa)=53: the other way letters continue after
    (z), used by the Code of Regulations (§ 7001 runs (aa), (bb) … (mm)). None if not one letter repeated."""
    if not text or not text.isalpha() or len(set(text.lower())) != 1:
        return None
    return 26 * (len(text) - 1) + ord(text[0].lower()) - 96


def _follows(previous: str, marker: str, marker_type: str) -> bool:
    """True when ``marker`` is the next one after ``previous`` at a level of ``marker_type``.

    After (z) a lettered list goes on either (aa), (ab), (ac) (the Civil Code) or (aa), (bb), (cc)
    (the Code of Regulations); a marker that continues its sibling by either count is the next one.
    """
    value = _marker_readings(marker).get(marker_type)
    if value is None:
        return False
    if value == _marker_readings(previous)[marker_type] + 1:
        return True
    if marker_type not in ("lower", "upper"):
        return False
    before, after = _doubled_letter_value(previous), _doubled_letter_value(marker)
    return before is not None and after is not None and after == before + 1


def _marker_readings(marker: str) -> dict[str, int]:
    """Every (type, ordinal) a marker could be: '(i)' is the 9th letter or roman one."""
    readings: dict[str, int] = {}
    if marker.isdigit():
        readings["digit"] = int(marker)
        return readings
    lower = marker.lower()
    case = "lower" if marker.islower() else "upper" if marker.isupper() else None
    if case is None:
        return readings
    letter = _letter_value(lower)
    if letter is not None:
        readings[case] = letter
    roman = _roman_value(lower)
    if roman is not None:
        readings["roman" if case == "lower" else "uroman"] = roman
    return readings


# --- building the tree ------------------------------------------------------------------------


@dataclass
class _Node:
    """A section or subdivision while the tree is built; text is kept line by line."""

    section: str
    path: tuple[str, ...]
    types: tuple[str, ...]
    marker_x: float
    lines: list[str] = field(default_factory=list)

    @property
    def depth(self) -> int:
        return len(self.path)

    @property
    def last_type(self) -> str | None:
        return self.types[-1] if self.types else None


@dataclass
class _Section:
    number: str
    title: str | None
    nodes: list[_Node]


def _split_sections(body: list[_Line]) -> list[_Section]:
    """Group body lines by section heading and build each section's subdivision tree."""
    sections: list[_Section] = []
    current: list[_Line] = []
    for line in body:
        if _is_section_heading(line) and current:
            sections.append(_build_section(current))
            current = []
        current.append(line)
    if current:
        sections.append(_build_section(current))
    return sections


def _build_section(lines: list[_Line]) -> _Section:
    heading = _SECTION_HEADING.match(lines[0].bold_text)
    assert heading is not None  # _split_sections only starts a section on a heading line
    number = heading["number"]
    title_parts = [heading["rest"].strip()] if heading["rest"].strip() else []
    rest = lines[1:]
    while rest and rest[0].bold_text and not rest[0].plain_text and title_parts:
        title_parts.append(rest[0].bold_text)
        rest = rest[1:]
    root = _Node(number, (), (), marker_x=lines[0].x)
    builder = _TreeBuilder(root)
    first = lines[0]
    if first.plain_text:  # "1798.194.  This title shall…": the body starts beside the number
        builder.add_line(_Line(first.page, first.x, first.y, [(False, first.plain_text)]))
    for line in rest:
        builder.add_line(line)
    title = _normalise(" ".join(title_parts)) or None
    return _Section(number, title, builder.nodes)


class _TreeBuilder:
    """Walks a section's lines and opens a node at every subdivision marker."""

    def __init__(self, root: _Node) -> None:
        self.nodes = [root]
        self.stack = [root]
        self.previous_text = ""

    def add_line(self, line: _Line) -> None:
        """Open the node(s) a line's leading markers start, or add the line to an open node."""
        match = _LEADING_MARKER.match(line.text)
        opened = None
        if match and not _ends_with_reference_word(self.previous_text):
            opened = self._open_first(match["marker"], line.x)
        if opened is None:
            self._owner_of_text(line.x).lines.append(line.text)
        else:
            assert match is not None
            rest = self._open_inline(line.text[match.end() :], line.x)
            self.stack[-1].lines.append(rest)
        self.previous_text = line.text

    def _open_first(self, marker: str, x: float) -> _Node | None:
        """Open the node a line-leading marker starts, or None when it is only text."""
        readings = _marker_readings(marker)
        for depth in range(len(self.stack) - 1, 0, -1):
            level = self.stack[depth]
            marker_type = level.last_type or ""
            if _follows(level.path[-1], marker, marker_type) and x <= level.marker_x + _SIBLING_TOLERANCE:
                del self.stack[depth:]
                return self._push(marker, marker_type, x)
        parent = self.stack[-1]
        child_type = self._new_child_type(readings)
        indented = x >= parent.marker_x - 1 if parent.depth == 0 else x > parent.marker_x + 5
        if child_type is not None and indented:
            return self._push(marker, child_type, x)
        return None

    def _open_inline(self, text: str, line_x: float) -> str:
        """Open further markers at the start of the same line, each one level deeper."""
        step = 1
        while True:
            match = _LEADING_MARKER.match(text)
            if not match:
                return text
            child_type = self._new_child_type(_marker_readings(match["marker"]))
            if child_type is None:
                return text
            self._push(match["marker"], child_type, line_x + step * _INDENT_STEP)
            text = text[match.end() :]
            step += 1

    def _new_child_type(self, readings: dict[str, int]) -> str | None:
        """The type a first marker ((a), (1), (A), (i), (I)) takes when it opens a new level."""
        used = set(self.stack[-1].types)
        for marker_type in _TYPE_ORDER:
            if readings.get(marker_type) == 1 and marker_type not in used:
                return marker_type
        return None

    def _push(self, marker: str, marker_type: str, x: float) -> _Node:
        parent = self.stack[-1]
        node = _Node(parent.section, (*parent.path, marker), (*parent.types, marker_type), x)
        self.nodes.append(node)
        self.stack.append(node)
        return node

    def _owner_of_text(self, x: float) -> _Node:
        """A plain line belongs to the innermost open node it is indented under.

        Text that continues a parent after its list (out-dented past the last child's marker)
        goes back to that parent rather than to the last child.
        """
        for node in reversed(self.stack):
            if node.depth == 0 or x > node.marker_x + 5:
                return node
        return self.stack[0]


def _ends_with_reference_word(text: str) -> bool:
    """True when a line ends mid-citation, so a marker at the next line's start is a reference."""
    return bool(
        re.search(
            r"\b(?:subdivisions?|paragraphs?|subparagraphs?|clauses?|subclauses?|Sections?)$"
            r"|\([A-Za-z0-9]{1,5}\)\s*(?:,|,?\s*(?:and|or|to|through))$",
            text.rstrip(),
        )
    )


# --- text -------------------------------------------------------------------------------------


def _join_lines(lines: list[str]) -> str:
    """Join printed lines: a line ending in a hyphen continues the word ('health-' + 'related')."""
    out = ""
    for line in lines:
        line = line.strip()
        if not line:
            continue
        if out.endswith("-") and len(out) > 1 and out[-2].isalpha():
            out += line
        else:
            out = f"{out} {line}" if out else line
    return _normalise(out)


def _normalise(text: str) -> str:
    text = _FOOTNOTE_MARK.sub(")", text)
    return re.sub(r"\s+", " ", text).strip()


def _defined_term(text: str) -> str | None:
    """The term(s) a definition defines: '“Infer” or “inference” means…' -> 'Infer or inference'."""
    match = re.match(r"^(?P<terms>[“\"].*?)\s+means\b", text)
    if not match:
        return None
    terms = re.sub(r"[“”\"’‘]", "", match["terms"])
    return _normalise(terms).rstrip(",") or None


# --- references -------------------------------------------------------------------------------

_LEVEL_WORD_TYPES = {
    "subdivision": "lower",
    "paragraph": "digit",
    "subparagraph": "upper",
    "clause": "roman",
    "subclause": "uroman",
}
_MARK = r"\([A-Za-z0-9]{1,5}\)"
_MARK_LIST = rf"{_MARK}(?:\s*,\s*{_MARK})*(?:\s*,?\s*(?:and|or|to|through)\s+{_MARK})?"
_LEVEL_WORD = r"(?:subdivision|paragraph|subparagraph|clause|subclause)"
_CITATION = re.compile(
    rf"\b(?P<word>{_LEVEL_WORD})s?\s+(?P<values>{_MARK_LIST})(?:,\s*inclusive,?)?"
    rf"(?P<outer>(?:\s+of\s+{_LEVEL_WORD}\s+{_MARK})*)"
    r"(?:\s+of\s+(?:(?P<this>this\s+(?:section|subdivision|paragraph))"
    r"|Section\s+(?P<section>\d+(?:\.\d+)*)(?!\.?\d)|(?P<other>\S)))?",
    re.IGNORECASE,  # "Paragraph (1) shall apply…" opens a sentence
)
_SECTION_NO = r"\d{3,}(?:\.\d+)+"
_SECTION_CITATION = re.compile(
    rf"\bSections?\s+(?P<list>{_SECTION_NO}(?:\s*,\s*{_SECTION_NO})*"
    rf"(?:\s*,?\s*(?:and|or|to|through)\s+{_SECTION_NO})?)"
)


def _section_key(number: str) -> tuple[int, ...]:
    return tuple(int(part) for part in number.split("."))


def _expand(values: list[str], text: str, ordered: list[str]) -> list[str]:
    """Values of a list; 'A to B' / 'A through B' takes every known value from A to B."""
    if len(values) >= 2 and re.search(r"\b(?:to|through)\s+\S*$", text):
        first, last = values[-2], values[-1]
        if first in ordered and last in ordered:
            i, j = ordered.index(first), ordered.index(last)
            return values[:-2] + ordered[i : j + 1]
    return values


def _references(node: _Node, text: str, ids: list[str], sections: list[str]) -> tuple[str, ...]:
    """Ids of the clauses this text cites, keeping only ids the parser emits (``ids``, in order)."""
    known = set(ids)
    found: list[tuple[int, str]] = []  # (offset in text, id): refs are returned in text order
    spans: list[tuple[int, int]] = []
    for match in _CITATION.finditer(text):
        spans.append(match.span())
        if match["other"]:
            continue  # "of the Health and Safety Code", "of Title 11": another law
        section = match["section"] or node.section
        values = re.findall(r"\(([A-Za-z0-9]+)\)", match["values"])
        outer = re.findall(rf"({_LEVEL_WORD})\s+\(([A-Za-z0-9]+)\)", match["outer"] or "", re.I)
        chain = [(_LEVEL_WORD_TYPES[word.lower()], value) for word, value in reversed(outer)]
        word_type = _LEVEL_WORD_TYPES[match["word"].lower()]
        outermost = chain[0][0] if chain else word_type
        prefix = () if match["section"] else _prefix_above(node, outermost)
        base = (*prefix, *(value for _, value in chain))
        for value in _expand(values, match["values"], _child_values(ids, section, base)):
            found.append((match.start(), _id(section, (*base, value))))
    for match in _SECTION_CITATION.finditer(text):
        if any(start <= match.start() < end for start, end in spans):
            continue
        numbers = re.findall(_SECTION_NO, match["list"])
        found.extend((match.start(), _id(n, ())) for n in _expand(numbers, match["list"], sections))
    own = _id(node.section, node.path)
    unique = dict.fromkeys(ref for _, ref in sorted(found) if ref in known and ref != own)
    return tuple(unique)


def _prefix_above(node: _Node, marker_type: str) -> tuple[str, ...]:
    """The part of the citing clause's path above a level of ``marker_type``.

    "paragraph (4)" cited from § 1798.100(d)(5) means (d)(4): keep the levels drafted above
    paragraphs (subdivisions), then add the cited paragraph.
    """
    rank = _TYPE_ORDER.index(marker_type)
    prefix: list[str] = []
    for value, value_type in zip(node.path, node.types, strict=True):
        if _TYPE_ORDER.index(value_type) >= rank:
            break
        prefix.append(value)
    return tuple(prefix)


def _child_values(ids: list[str], section: str, base: tuple[str, ...]) -> list[str]:
    """Markers of the clauses directly under ``base``, in document order (for "(1) to (3)")."""
    head = _id(section, base)
    tails = [i[len(head) :] for i in ids if i.startswith(head + "(")]
    return [tail[1:-1] for tail in tails if tail.count("(") == 1]


def _id(section: str, path: tuple[str, ...]) -> str:
    return f"{SOURCE}:{section}" + "".join(f"({p})" for p in path)


# --- records ----------------------------------------------------------------------------------


def _kind(section: str, depth: int) -> str:
    if depth == 0:
        return "article"
    if depth == 1:
        return "definition" if section == DEFINITIONS_SECTION else "paragraph"
    return "point" if depth == 2 else "subpoint"


def _records(sections: list[_Section]) -> Iterator[ClauseRecord]:
    nodes = [(section, node) for section in sections for node in section.nodes]
    ids = [_id(node.section, node.path) for _, node in nodes]
    if len(set(ids)) != len(ids):
        raise ParseError("duplicate clause numbers: the subdivision structure could not be read")
    numbers = [section.number for section in sections]
    texts = {id(node): _join_lines(node.lines) for _, node in nodes}
    for position, (section, node) in enumerate(nodes):
        clause_id = _id(node.section, node.path)
        text = texts[id(node)]
        yield ClauseRecord(
            id=clause_id,
            kind=_kind(node.section, node.depth),
            number=f"({node.path[-1]})" if node.path else node.section,
            label="§ " + clause_id.removeprefix(f"{SOURCE}:"),
            text=text,
            parent=_id(node.section, node.path[:-1]) if node.path else None,
            unit=_id(node.section, ()),
            title=_title(section, node, nodes, texts),
            position=position,
            language="en",
            anchor=None,
            refs=_references(node, text, ids, numbers),
        )


def _title(
    section: _Section, node: _Node, nodes: list[tuple[_Section, _Node]], texts: dict[int, str]
) -> str | None:
    """Section heading for a section; defined term for a § 1798.140 subdivision; else None."""
    if node.depth == 0:
        return section.title
    if node.section != DEFINITIONS_SECTION or node.depth != 1:
        return None
    term = _defined_term(texts[id(node)])
    if term is None:  # "(j) (1) “Contractor” means…": the term is in the first paragraph
        first_child = next((n for _, n in nodes if n.path[:1] == node.path and n.depth == 2), None)
        if first_child is not None:
            term = _defined_term(texts[id(first_child)])
    return term


def _check_sections(sections: list[_Section]) -> None:
    keys = [_section_key(section.number) for section in sections]
    if keys != sorted(keys) or len(set(keys)) != len(keys):
        raise ParseError("section numbers are not in ascending order: the text layer is scrambled")
    for section in sections:
        if not any(node.lines for node in section.nodes):
            raise ParseError(f"section {section.number} has no text: the document is truncated")


def parse_ccpa_pdf(data: bytes) -> list[ClauseRecord]:
    """Parse the CPPA's CCPA statute PDF into clause records in reading order."""
    reader = _open_pdf(data)
    lines = _read_lines(reader)
    _check_page_footers(lines, len(reader.pages))
    sections = _split_sections(_body_lines(lines))
    _check_sections(sections)
    return list(_records(sections))
