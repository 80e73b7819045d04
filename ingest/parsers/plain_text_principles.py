"""Plain-text principles in the NEC "AI and Human Rights Principles" layout (Japanese).

Reads UTF-8 text made of blank-line separated paragraphs:

* a short header (the document title, the "2019年4月策定" date line) — leading paragraphs that
  do not end like a sentence; they are not clauses;
* the preamble: every sentence paragraph before the first heading;
* one heading per principle, a single line starting with a circled number (①公平性 …
  ⑦マルチステークホルダーとの対話), each followed by its statement paragraph(s);
* the closing paragraph, which is the last paragraph of the file.

Records: ``<source>:preamble`` (kind "preamble"), ``<source>:p1`` … ``<source>:pN`` (kind
"principle", number "①" …, title "Fairness (公平性)", label "Principle ① Fairness") and
``<source>:closing`` (kind "statement"). All are top-level units with no parent; language "ja";
no anchors (the official pages have no per-principle fragments); no cross references.

Quirks:

* Nothing marks where principle ⑦ ends and the closing begins, so the final paragraph is
  always taken as the closing; a principle left without a statement therefore means the file
  was cut short and raises ``ParseError``.
* A principle may have several paragraphs (⑤ has two: the company's own use, then customers'
  and partners' use); they are joined with a single space into one text.
* The file only carries the Japanese headings. The English names come from the NEC seeds
  (NEC Technical Journal 2024, §3, and the 2019 press material) and are kept in
  ``NEC_ENGLISH_TITLES``; ⑥ is also published as "AI and Talent Development". Callers may pass
  ``english_titles`` for another document with the same layout; ``{}`` means Japanese titles
  only. When titles are given, the headings must be exactly their numbers — a completeness
  check that catches a missing or extra principle.
* Every body paragraph must end with sentence punctuation, which catches text truncated
  mid-sentence.
"""

from __future__ import annotations

import re
from dataclasses import replace

from ingest.parsers import ParseError, decode_text
from kb.ids import ClauseId, InvalidClauseId
from kb.records import ClauseRecord
from kb.text import join_wrapped

NEC_ENGLISH_TITLES: dict[int, str] = {
    1: "Fairness",
    2: "Privacy",
    3: "Transparency",
    4: "Responsibility to Explain",
    5: "Proper Utilization",
    6: "Development of AI and Talent",
    7: "Dialogue with Multiple Stakeholders",
}

_CIRCLED_FIRST = 0x2460  # ①; ① to ⑳ are U+2460..U+2473
_HEADING_RE = re.compile(r"^([\u2460-\u2473])\s*(\S.*)$")
_SENTENCE_END = ("。", "．", ".", "！", "？", "!", "?", "」", "』", "）", ")")
_LANGUAGE = "ja"


def parse_principles_text(
    data: bytes, *, source: str = "nec", english_titles: dict[int, str] | None = None
) -> list[ClauseRecord]:
    """Parse the principles text into preamble, principles and closing, in reading order.

    ``english_titles`` maps principle numbers to English names; None uses
    ``NEC_ENGLISH_TITLES``, ``{}`` keeps the Japanese headings only.
    """
    _check_source(source)
    titles = NEC_ENGLISH_TITLES if english_titles is None else english_titles
    paragraphs = _paragraphs(decode_text(data, "plain text"))
    if not paragraphs:
        raise ParseError("empty document: no paragraphs found")
    headings = [i for i, p in enumerate(paragraphs) if _is_heading(p)]
    if not headings:
        raise ParseError(
            "no principle headings (a line starting with ①, ②, …) found; "
            "is this the plain-text principles format?"
        )
    body_start = _end_of_header(paragraphs, headings[0])
    preamble = paragraphs[body_start : headings[0]]
    if not preamble:
        raise ParseError("no preamble paragraph before the first principle heading")
    _check_sentences(paragraphs[body_start:])
    closing = paragraphs[-1]
    if len(paragraphs) - 1 in headings:
        raise ParseError(f"the document ends with a heading {closing!r}: truncated?")
    principles = _principles(paragraphs, headings)
    _check_numbering([n for n, _, _ in principles], titles)

    records = [_preamble_record(source, preamble)]
    for number, heading, statement in principles:
        records.append(_principle_record(source, number, heading, statement, titles))
    records.append(_closing_record(source, closing))
    return [_with_position(r, i) for i, r in enumerate(records)]


def _check_source(source: str) -> None:
    """Fail early on a source name that cannot prefix clause ids."""
    try:
        ClauseId.parse(f"{source}:preamble")
    except InvalidClauseId as exc:
        raise ParseError(f"invalid source name {source!r}: {exc}") from exc


def _paragraphs(text: str) -> list[str]:
    """Blank-line separated paragraphs, each with its lines joined and whitespace normalised."""
    paragraphs: list[str] = []
    current: list[str] = []
    for line in text.splitlines():
        if line.strip():
            current.append(line.strip())
        elif current:
            paragraphs.append(_join_lines(current))
            current = []
    if current:
        paragraphs.append(_join_lines(current))
    return paragraphs


def _join_lines(lines: list[str]) -> str:
    """Join wrapped lines: no space inside Japanese text, one space elsewhere."""
    joined = ""
    for line in lines:
        joined = join_wrapped(joined, line)
    return _normalise(joined)


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _is_heading(paragraph: str) -> bool:
    """A heading is a circled number plus a short name, not a sentence."""
    return _HEADING_RE.match(paragraph) is not None and not paragraph.endswith(_SENTENCE_END)


def _is_sentence(paragraph: str) -> bool:
    return paragraph.endswith(_SENTENCE_END)


def _end_of_header(paragraphs: list[str], first_heading: int) -> int:
    """Index of the first sentence paragraph: title and date lines before it are skipped."""
    for index in range(first_heading):
        if _is_sentence(paragraphs[index]):
            return index
    return first_heading


def _check_sentences(body: list[str]) -> None:
    """Every non-heading paragraph after the header must be a complete sentence."""
    for paragraph in body:
        if not _is_heading(paragraph) and not _is_sentence(paragraph):
            raise ParseError(
                f"paragraph {_excerpt(paragraph)!r} does not end with sentence punctuation "
                "(。): truncated text or not the plain-text principles format"
            )


def _principles(paragraphs: list[str], headings: list[int]) -> list[tuple[int, str, list[str]]]:
    """(number, Japanese heading, statement paragraphs) for each heading; closing excluded."""
    last_body = len(paragraphs) - 1  # the closing paragraph is not part of any principle
    result = []
    for k, start in enumerate(headings):
        end = headings[k + 1] if k + 1 < len(headings) else last_body
        match = _HEADING_RE.match(paragraphs[start])
        assert match is not None  # guaranteed by _is_heading
        number = ord(match[1]) - _CIRCLED_FIRST + 1
        statement = paragraphs[start + 1 : end]
        if not statement:
            raise ParseError(
                f"principle {match[1]} {match[2]!r} has no statement paragraph "
                "(the last paragraph is read as the closing): truncated?"
            )
        result.append((number, _normalise(match[2]), statement))
    return result


def _check_numbering(numbers: list[int], titles: dict[int, str]) -> None:
    """Headings must run ①, ②, … without gaps; with titles given, exactly their numbers."""
    expected = list(range(1, len(numbers) + 1))
    if numbers != expected:
        shown = " ".join(_circled(n) for n in numbers)
        raise ParseError(
            f"principle headings are {shown}; expected consecutive ① to {_circled(len(numbers))}"
        )
    if titles and set(numbers) != set(titles):
        missing = sorted(set(titles) - set(numbers))
        extra = sorted(set(numbers) - set(titles))
        raise ParseError(
            f"principle headings do not match the English titles: missing "
            f"{[_circled(n) for n in missing]}, unexpected {[_circled(n) for n in extra]}"
        )


def _circled(number: int) -> str:
    return chr(_CIRCLED_FIRST + number - 1)


def _excerpt(text: str, length: int = 40) -> str:
    return text if len(text) <= length else text[:length] + "…"


def _preamble_record(source: str, paragraphs: list[str]) -> ClauseRecord:
    clause_id = f"{source}:preamble"
    return ClauseRecord(
        id=clause_id,
        kind="preamble",
        number="",
        label="Preamble",
        text=" ".join(paragraphs),
        unit=clause_id,
        language=_LANGUAGE,
    )


def _principle_record(
    source: str, number: int, heading: str, statement: list[str], titles: dict[int, str]
) -> ClauseRecord:
    clause_id = f"{source}:p{number}"
    english = titles.get(number)
    return ClauseRecord(
        id=clause_id,
        kind="principle",
        number=_circled(number),
        label=f"Principle {_circled(number)} {english or heading}",
        text=" ".join(statement),
        unit=clause_id,
        title=f"{english} ({heading})" if english else heading,
        language=_LANGUAGE,
    )


def _closing_record(source: str, paragraph: str) -> ClauseRecord:
    clause_id = f"{source}:closing"
    return ClauseRecord(
        id=clause_id,
        kind="statement",
        number="",
        label="Closing statement",
        text=paragraph,
        unit=clause_id,
        language=_LANGUAGE,
    )


def _with_position(record: ClauseRecord, position: int) -> ClauseRecord:
    return replace(record, position=position)
