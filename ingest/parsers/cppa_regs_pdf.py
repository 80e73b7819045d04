"""The CPPA's compiled PDF of its regulations (Cal. Code Regs., tit. 11, § 7000 ff.) -> clause records.

The compilation is laid out like the CPPA's compilation of the statute (``ccpa_pdf``), so this parser
reuses that parser's machinery: reading the text layer with positions and fonts, the "Page N of M"
check, the subdivision tree built from hanging indents and marker sequence ((a), (1), (A), (i), (I)),
and the joining of printed lines. What differs, and is handled here:

- A section starts with a **bold** run ``§ 7001. Definitions.`` at the start of a line (the heading
  may wrap onto further bold lines); its closing full stop is not part of the title.
- Centred bold ``CHAPTER 1. …`` and ``ARTICLE 2. …`` headings and the "CPPA" mark beside each page
  number are page furniture here (the sections carry the citable text).
- Each section ends with its authority note (``Note: Authority cited: … Reference: …``, in italics;
  § 7500 spells it ``NOTE:``). It is official text but not a rule: it becomes its own clause,
  ``cppa-regs:7000(note)`` (kind "statement"), instead of running on after the last subdivision.

Ids: ``cppa-regs:7012`` (kind "article"), ``cppa-regs:7012(e)`` ("paragraph"; in § 7001 each lettered
subdivision is a "definition" titled with the term(s) it defines), ``cppa-regs:7012(e)(1)``
("point"), deeper levels "subpoint". Labels read "§ 7012(e)". A reference "subsection (b)" or
"section 7025, subsection (f)" becomes a cross-reference when the cited clause exists; the statute
("Civil Code section 1798.135") is another source and is not linked from here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.parsers import ParseError
from ingest.parsers.ccpa_pdf import (
    _check_page_footers,
    _join_lines,
    _Line,
    _Node,
    _normalise,
    _open_pdf,
    _read_lines,
    _TreeBuilder,
)
from kb.records import ClauseRecord

SOURCE = "cppa-regs"
DEFINITIONS_SECTION = "7001"
NOTE = "note"

_SECTION_HEADING = re.compile(r"^§\s*(?P<number>7\d{3})\.(?!\d)\s*(?P<rest>.*)$")
_DOT_LEADER = re.compile(r"\.{5,}")  # a table-of-contents entry, not a heading
_DIVISION_HEADING = re.compile(r"^(?:CHAPTER|ARTICLE)\s+\d+\s*\.")
_PAGE_FOOTER = re.compile(r"^(?:Page\s+\d+\s+of\s+\d+|CPPA)$")
_MARKER_RUN = re.compile(r"^\s*\([A-Za-z0-9]{1,5}\)\s*$")
_NOTE_START = re.compile(r"^(?:Note|NOTE):\s")
_TERMS = re.compile(r"^(?P<terms>“[^”]+”(?:\s*(?:,|or|and)\s*“[^”]+”)*)")
_SECTION_REF = re.compile(
    r"(?<!Code )\bsections?\s+(?P<section>7\d{3})\b(?P<subs>(?:\s*,\s*subsections?\s+(?:\([A-Za-z0-9]{1,5}\))+"
    r"(?:\s*(?:,|and|or|,\s*and|,\s*or)\s+(?:\([A-Za-z0-9]{1,5}\))+)*)?)",
    re.IGNORECASE,  # "Section 7026 …" opens a sentence
)
_MARKS = r"(?:\([A-Za-z0-9]{1,5}\))+"
_SUBSECTION_REF = re.compile(
    rf"\bsubsections?\s+(?P<subs>{_MARKS}(?:\s*(?:,|and|or|,\s*and|,\s*or)\s+{_MARKS})*)"
    r"(?!\s+of\s+(?:Civil|the|section))",
    re.IGNORECASE,
)


@dataclass
class _Section:
    number: str
    title: str | None
    nodes: list[_Node]
    note: str


def _is_section_heading(line: _Line) -> bool:
    return (
        bool(line.bold_text)
        and _SECTION_HEADING.match(line.bold_text) is not None
        and not _DOT_LEADER.search(line.text)
    )


def _body_lines(lines: list[_Line]) -> list[_Line]:
    """Lines of the regulations proper: no cover, table of contents, footers or division headings."""
    start = next((i for i, line in enumerate(lines) if _is_section_heading(line)), None)
    if start is None:
        raise ParseError("no section heading like '§ 7000.' in bold: not the CPPA's compiled regulations")
    return [
        _spaced_marker(line)
        for line in lines[start:]
        if not _PAGE_FOOTER.match(line.text) and not (line.bold_text and _DIVISION_HEADING.match(line.bold_text))
    ]


def _spaced_marker(line: _Line) -> _Line:
    """A marker set as its own text run ("(A)" then "Identification…") is followed by a tab in the
    layout, not a space: give it one, so that it reads as a marker and not as a word."""
    if len(line.runs) > 1 and _MARKER_RUN.match(line.runs[0][1]) and not line.runs[1][1][:1].isspace():
        bold, marker = line.runs[0]
        return _Line(line.page, line.x, line.y, [(bold, marker.strip() + " "), *line.runs[1:]])
    return line


def _split_sections(body: list[_Line]) -> list[_Section]:
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
    assert heading is not None  # a section only starts on a heading line
    number = heading["number"]
    title_parts = [heading["rest"].strip()] if heading["rest"].strip() else []
    rest = lines[1:]
    while rest and rest[0].bold_text and not rest[0].plain_text and title_parts:
        title_parts.append(rest[0].bold_text)
        rest = rest[1:]
    note_at = next((i for i, line in enumerate(rest) if _NOTE_START.match(line.text)), None)
    if note_at is None:
        raise ParseError(f"§ {number} has no authority note ('Note: Authority cited: …'): the section is cut short")
    builder = _TreeBuilder(_Node(number, (), (), marker_x=lines[0].x))
    if lines[0].plain_text:
        builder.add_line(_Line(lines[0].page, lines[0].x, lines[0].y, [(False, lines[0].plain_text)]))
    for line in rest[:note_at]:
        builder.add_line(line)
    title = _normalise(" ".join(title_parts)).rstrip(".").strip() or None
    note = _join_lines([line.text for line in rest[note_at:]])
    return _Section(number, title, builder.nodes, note)


def _id(section: str, path: tuple[str, ...]) -> str:
    return f"{SOURCE}:{section}" + "".join(f"({p})" for p in path)


def _kind(section: str, depth: int) -> str:
    if depth == 0:
        return "article"
    if depth == 1:
        return "definition" if section == DEFINITIONS_SECTION else "paragraph"
    return "point" if depth == 2 else "subpoint"


def _defined_terms(text: str) -> str | None:
    """'“Request to know” means…' -> 'Request to know'; several quoted terms are kept together."""
    match = _TERMS.match(text)
    if not match:
        return None
    return _normalise(re.sub(r"[“”]", "", match["terms"])).rstrip(",") or None


def _references(section: str, text: str, known: set[str], own: str) -> tuple[str, ...]:
    """Clauses of these regulations that the text cites, finest existing clause first found."""
    found: list[tuple[int, str]] = []
    spans: list[tuple[int, int]] = []
    for match in _SECTION_REF.finditer(text):
        targets = _mark_paths(match["subs"] or "") or [()]
        found.extend((match.start(), _id(match["section"], path)) for path in targets)
        spans.append(match.span())
    for match in _SUBSECTION_REF.finditer(text):
        if any(start <= match.start() < end for start, end in spans):
            continue
        found.extend((match.start(), _id(section, path)) for path in _mark_paths(match["subs"]))
    out: list[str] = []
    for _, target in sorted(found):
        while target not in known and "(" in target:
            target = target[: target.rindex("(")]
        if target in known and target != own and target not in out:
            out.append(target)
    return tuple(out)


def _mark_paths(listing: str) -> list[tuple[str, ...]]:
    """'(a) and (b)' -> [(a,), (b,)]; '(e)(1)' -> [(e, 1)]."""
    return [tuple(re.findall(r"\(([A-Za-z0-9]{1,5})\)", group)) for group in re.findall(_MARKS, listing)]


def _records(sections: list[_Section]) -> list[ClauseRecord]:
    entries: list[tuple[_Section, _Node | None]] = []
    for section in sections:
        entries.extend((section, node) for node in section.nodes)
        entries.append((section, None))  # the authority note closes the section
    ids = [_id(s.number, n.path) if n is not None else _id(s.number, (NOTE,)) for s, n in entries]
    if len(set(ids)) != len(ids):
        raise ParseError("duplicate clause numbers: the subdivision structure could not be read")
    known = set(ids)
    records: list[ClauseRecord] = []
    for position, ((section, node), clause_id) in enumerate(zip(entries, ids, strict=True)):
        unit = _id(section.number, ())
        if node is None:
            records.append(ClauseRecord(
                id=clause_id, kind="statement", number="Note", label=f"§ {section.number}, Note",
                text=section.note, parent=unit, unit=unit, position=position,
            ))
            continue
        text = _join_lines(node.lines)
        title = section.title if node.depth == 0 else (
            _defined_terms(text) if section.number == DEFINITIONS_SECTION and node.depth == 1 else None
        )
        records.append(ClauseRecord(
            id=clause_id,
            kind=_kind(section.number, node.depth),
            number=f"({node.path[-1]})" if node.path else section.number,
            label="§ " + clause_id.removeprefix(f"{SOURCE}:"),
            text=text,
            parent=_id(section.number, node.path[:-1]) if node.path else None,
            unit=unit,
            title=title,
            position=position,
            refs=_references(section.number, text, known, clause_id),
        ))
    return records


def _check_sections(sections: list[_Section]) -> None:
    numbers = [int(section.number) for section in sections]
    if numbers != sorted(numbers) or len(set(numbers)) != len(numbers):
        raise ParseError("section numbers are not in ascending order: the text layer is scrambled")
    for section in sections:
        if not any(node.lines for node in section.nodes):
            raise ParseError(f"§ {section.number} has no text: the document is truncated")


def parse_cppa_regs_pdf(data: bytes) -> list[ClauseRecord]:
    """Parse the CPPA's compiled regulations PDF into clause records in reading order."""
    reader = _open_pdf(data)
    lines = _read_lines(reader)
    _check_page_footers(lines, len(reader.pages))
    sections = _split_sections(_body_lines(lines))
    _check_sections(sections)
    return _records(sections)
