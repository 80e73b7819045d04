"""OECD Recommendation on AI, 2019 text in CommonAccord "prose object" markup -> clause records.

Reads ``Recommendations-of-Council-On-AI.md`` from CommonAccord/Cmacc-Org: one ``key=value``
line per piece of text, e.g. ``1.1.Ti=<title>``, ``1.1.sec=<text>``, ``1.2.1.sec=a)AI actors …``
(item marker glued to the text), ``Def.3.sec=‒AI knowledge: …``,
``Proposal.5.sec=V.<b>RECOMMENDS</b> …``. Quirks:

- the preamble (``THE COUNCIL,``, HAVING REGARD …) is plain prose lines, not keys; a COVID-19 note
  between two ``****`` rules is a later editorial addition, not instrument text, and is skipped;
- values carry HTML (``<b>``, ``<ol>``) and ``{key}`` references to other keys; clause texts are
  stripped of tags and their references expanded;
- keys that other values cite as ``{key}`` are variables, used only where they are cited;
- structure-only keys are ignored: list templates (``1.2.=[G/Z/ol-a/s2]``, whose trailing number
  is the list's length and is checked against the items present, so a truncated file fails),
  ``Section.1.sec=<ol>{…}</ol>`` and empty ``1.0.sec=``;
- paragraph I is ``Def.0.sec`` (its definitions ``Def.1.sec`` …), paragraphs II–VIII are
  ``Proposal.2`` … ``Proposal.8``; "On the proposal of …" is ``Section.Ti``.

Pieces are fed in file order to the ``OecdBuilder`` shared with ``oecd_markdown``, so a clause gets
the same id as in the 2024 text and equal text when its wording did not change. Known limit: the
file has no end marker, so a copy cut cleanly between two operative paragraphs (after VI or VII)
cannot be told from a complete one.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable

from ingest.parsers import ParseError, decode_text
from ingest.parsers.oecd_markdown import (
    OecdBuilder,
    is_council_line,
    is_preamble_paragraph,
    normalise_text,
    roman_to_int,
    split_definition,
    split_section_heading,
)
from kb.records import ClauseRecord

_KEY_LINE_RE = re.compile(r"^([A-Za-z0-9_.]*)=(.*)$")
_RULE_RE = re.compile(r"^\*{3,}\s*$")
_TEMPLATE_RE = re.compile(r"^\[G/Z/ol[^/\]]*/s?(\d+)\]$")
_REFERENCE_RE = re.compile(r"\{([A-Za-z0-9_.]+)\}")
_TAG_RE = re.compile(r"<\s*(/?)\s*([A-Za-z][A-Za-z0-9]*)[^>]*>")
_INLINE_TAGS = {"b", "i", "u", "em", "strong", "span", "a", "sup", "sub"}
_LEADING_ROMAN_RE = re.compile(r"^([IVXL]+)\.\s*")
_LETTER_MARKER_RE = re.compile(r"^([a-z])\)\s*")
_ROMAN_MARKER_RE = re.compile(r"^([ivxl]+)\.\s*")

_OPERATIVE_KEY = re.compile(r"^Proposal\.(\d+)(?:\.0)?\.sec$")
_OPERATIVE_ITEM_KEY = re.compile(r"^Proposal\.(\d+)\.([1-9]\d*)\.sec$")
_DEFINITION_KEY = re.compile(r"^Def\.([1-9]\d*)\.sec$")
_SECTION_TITLE_KEY = re.compile(r"^Section\.([1-9]\d*)\.Ti$")
_PRINCIPLE_TITLE_KEY = re.compile(r"^(\d+\.[1-9]\d*)\.Ti$")
_PRINCIPLE_TEXT_KEY = re.compile(r"^(\d+\.[1-9]\d*)(?:\.0)?\.sec$")
_PRINCIPLE_ITEM_KEY = re.compile(r"^(\d+\.[1-9]\d*)\.([1-9]\d*)\.sec$")
_STRUCTURE_KEYS = re.compile(r"^(?:Ti|sec|Section\.\d+\.sec)$")
_LIST_PRELUDE_KEY = re.compile(r"^\d+\.0\.sec$")


def parse_oecd_commonaccord(data: bytes) -> list[ClauseRecord]:
    """Parse the CommonAccord markup of the 2019 Recommendation into clause records."""
    lines = decode_text(data, "CommonAccord document").split("\n")
    values = _key_values(lines)
    variables = {name for value in values.values() for name in _REFERENCE_RE.findall(value)}
    builder = OecdBuilder()
    templates: dict[str, int] = {}
    in_note = False
    for number, line in enumerate(lines, start=1):
        if _RULE_RE.match(line):
            in_note = not in_note
            continue
        if in_note or not line.strip():
            continue
        match = _KEY_LINE_RE.match(line)
        try:
            if match is None:
                _feed_prose(builder, line)
            elif (count := _template_length(match[2])) is not None:
                templates[match[1]] = count
            elif _is_structure_key(match[1], match[2]):
                continue
            elif not _feed_key(builder, match[1], match[2], values) and match[1] not in variables:
                raise ParseError(f"unknown key {match[1]!r}")
        except ParseError as exc:
            raise ParseError(f"line {number}: {exc}") from None
    if in_note:
        raise ParseError("a '****' note is never closed: the document is truncated")
    _check_list_templates(values, templates)
    return builder.build()


def _key_values(lines: list[str]) -> dict[str, str]:
    """All key=value lines, for expanding {key} references."""
    values: dict[str, str] = {}
    for line in lines:
        if match := _KEY_LINE_RE.match(line):
            values[match[1]] = match[2]
    return values


def _template_length(value: str) -> int | None:
    """Length of a list template value like '[G/Z/ol-a/s2]', or None for other values."""
    match = _TEMPLATE_RE.match(value.strip())
    return int(match[1]) if match else None


def _clause_text(value: str, values: dict[str, str], depth: int = 0) -> str:
    """The value with {key} references expanded and HTML tags removed."""
    if depth > 10:
        raise ParseError("{key} references nest too deep (a reference cycle?)")

    def expand(match: re.Match[str]) -> str:
        if match[1] not in values:
            raise ParseError(f"reference {{{match[1]}}} to a key that is not defined")
        return _clause_text(values[match[1]], values, depth + 1)

    text = _REFERENCE_RE.sub(expand, value)
    text = _TAG_RE.sub(lambda m: "" if m[2].lower() in _INLINE_TAGS else " ", text)
    return html.unescape(text).strip()


def _feed_prose(builder: OecdBuilder, line: str) -> None:
    """Plain lines are the preamble: 'THE COUNCIL,' then HAVING REGARD / RECOGNISING …"""
    if is_council_line(line):
        builder.council(line)
    elif is_preamble_paragraph(line):
        builder.preamble(line)
    else:
        raise ParseError(f"unexpected prose line {normalise_text(line)[:60]!r}: not CommonAccord "
                         "key=value markup of the OECD Recommendation")


_Handler = Callable[[OecdBuilder, re.Match[str], str], None]

# Which keys name which part of the instrument, and how each part reaches the builder.
_KEY_HANDLERS: list[tuple[re.Pattern[str], _Handler]] = [
    (re.compile(r"^Section\.Ti$"), lambda b, m, text: b.preamble(text)),
    (re.compile(r"^Def\.0\.sec$"), lambda b, m, text: b.operative(1, text)),
    (_DEFINITION_KEY, lambda b, m, text: b.definition(*split_definition(text))),
    (_SECTION_TITLE_KEY, lambda b, m, text: _feed_section(b, int(m[1]), text)),
    (_OPERATIVE_KEY, lambda b, m, text: _feed_operative(b, int(m[1]), text)),
    (_OPERATIVE_ITEM_KEY, lambda b, m, text: _feed_item(b, f"op-{m[1]}", int(m[2]), text)),
    (_PRINCIPLE_TITLE_KEY, lambda b, m, text: b.principle(m[1], text)),
    (_PRINCIPLE_TEXT_KEY, lambda b, m, text: b.principle_text(text, m[1]) if text else None),
    (_PRINCIPLE_ITEM_KEY, lambda b, m, text: _feed_item(b, m[1], int(m[2]), text)),
]


def _feed_key(builder: OecdBuilder, key: str, value: str, values: dict[str, str]) -> bool:
    """Hand one key=value piece to the builder according to what its key names; False when the
    key names no part of the instrument."""
    for pattern, handle in _KEY_HANDLERS:
        if match := pattern.match(key):
            handle(builder, match, _clause_text(value, values))
            return True
    return False


def _is_structure_key(key: str, value: str) -> bool:
    """Keys that only arrange other keys: the document's own Ti/sec, 'Section.1.sec=<ol>{…}</ol>',
    and the empty list preludes '1.0.sec='. Their {…} references are not expanded."""
    return bool(_STRUCTURE_KEYS.match(key)) or (
        bool(_LIST_PRELUDE_KEY.match(key)) and not value.strip()
    )


def _feed_section(builder: OecdBuilder, key_number: int, text: str) -> None:
    number, title = split_section_heading(text)
    if number != key_number:
        raise ParseError(f"Section.{key_number}.Ti is headed 'Section {number}'")
    builder.section(number, title)


def _feed_operative(builder: OecdBuilder, number: int, text: str) -> None:
    """Paragraph II–VIII; a leading 'V.' in the value must agree with the key's number."""
    if match := _LEADING_ROMAN_RE.match(text):
        if roman_to_int(match[1]) != number:
            raise ParseError(f"Proposal.{number} is numbered {match[1]}")
        text = text[match.end():]
    builder.operative(number, text)


def _feed_item(builder: OecdBuilder, container: str, index: int, text: str) -> None:
    """'a)AI actors …' / 'i.to foster …': the glued marker must match the key's position."""
    if match := _LETTER_MARKER_RE.match(text):
        marker, position = match[1], ord(match[1]) - ord("a") + 1
    elif match := _ROMAN_MARKER_RE.match(text):
        marker, position = match[1], roman_to_int(match[1])
    else:
        raise ParseError(f"item {index} of {container} has no 'a)' or 'i.' marker")
    if position != index:
        raise ParseError(f"item {index} of {container} is marked {match[0].strip()!r}")
    builder.item(marker, text[match.end():], container)


def _check_list_templates(values: dict[str, str], templates: dict[str, int]) -> None:
    """Every list of items or principles needs its template, and the template's length must
    match the entries present: a missing or disagreeing template means a truncated file."""
    for prefix, count in templates.items():
        entries = _list_entries(values, prefix)
        if entries != set(range(1, count + 1)):
            raise ParseError(f"list {prefix or '(root)'} declares {count} entries but has "
                             f"{sorted(entries)}: the document is truncated or inconsistent")
    needed = {m[1] + "." for key in values
              if (m := re.match(r"^(\d+\.\d+|\d+|Proposal\.\d+|Def)\.[1-9]\d*\.(?:sec|Ti)$", key))}
    for prefix in sorted(needed - set(templates)):
        raise ParseError(f"list {prefix} has no list template: the document is truncated")


def _list_entries(values: dict[str, str], prefix: str) -> set[int]:
    """Numbers n >= 1 for which some key starts with '<prefix><n>.'."""
    pattern = re.compile(rf"^{re.escape(prefix)}([1-9]\d*)\.")
    return {int(m[1]) for key in values if (m := pattern.match(key))}
