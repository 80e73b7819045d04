"""Is every stored clause the official text? A check any source can be put through.

For each clause, in position order, its text must be found verbatim in the text of the official
file, after whitespace normalisation, and after the end of the previous clause's text: so a
clause holds one passage of the document (not two passages glued, not a sentence from elsewhere),
and the clauses read in the document's order (a paragraph's lead-in, its points, then the
subparagraph that follows them). Whitespace is removed altogether rather than collapsed: line
breaks, PDF line joins, list bullets and table rules ("|") are not the words; everything else, punctuation
included, must match.

The official text comes from the file itself, by format (``official_text``): a Formex act's text
nodes in document order (footnotes left out, quotation marks restored as Formex prescribes); for a
PDF the text layer the parser reads, page furniture (page numbers, running footers, footnotes)
removed by the same layout rules, so that the check is of what the parser builds from the text
(boundaries, order, nesting), not of the PDF's text encoding; the text formats as they are. A new
format registers its reader in ``OFFICIAL_TEXT`` and every source in it can then be checked with
``check_source``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import yaml
from lxml import etree

from ingest.parsers import ParseError, decode_text
from ingest.parsers.meti_governance import layout_text
from kb.records import ClauseRecord

_SPACE = re.compile(r"[\s\u00ad\u200b\u2022|]+")  # whitespace, soft hyphens, zero-width spaces, bullets, table rules


@dataclass(frozen=True)
class Finding:
    """A clause whose text is not where the document has it."""

    clause_id: str
    problem: str  # "not found" or "out of order"
    text: str

    def __str__(self) -> str:
        return f"{self.clause_id}: {self.problem}: {self.text[:100]!r}"


def normalise(text: str) -> str:
    return _SPACE.sub("", text)


def check_fidelity(records: Iterable[ClauseRecord], official: str) -> list[Finding]:
    """What does not read as the document does: each clause's text, in position order, must occur
    in ``official`` after the previous clause's text."""
    document = normalise(official)
    cursor = 0
    findings: list[Finding] = []
    for record in sorted(records, key=lambda r: r.position):
        text = normalise(record.text)
        if not text:
            continue
        at = document.find(text, cursor)
        if at >= 0:
            cursor = at + len(text)
        elif text in document:
            findings.append(Finding(record.id, "out of order", record.text))
        else:
            findings.append(Finding(record.id, "not found", record.text))
    return findings


# --- the official text, by format --------------------------------------------------------------


def formex_text(files: list[bytes]) -> str:
    """The text nodes of each Formex file in document order, without footnotes (``NOTE``), with the
    quotation marks Formex stores as ``QUOT.START``/``QUOT.END`` code points."""
    parts: list[str] = []
    for data in files:
        root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
        _formex_walk(root, parts)
    return " ".join(parts)


def _formex_walk(element: etree._Element, parts: list[str]) -> None:
    if element.tag in ("QUOT.START", "QUOT.END"):
        parts.append(chr(int(element.get("CODE", "22"), 16)))
    elif isinstance(element.tag, str) and element.tag != "NOTE":
        parts.append(element.text or "")
        for child in element:
            _formex_walk(child, parts)
            parts.append(child.tail or "")


def japanese_law_text(files: list[bytes]) -> str:
    """The text nodes of an e-Gov or JLT law XML in document order, ruby readings (``Rt``) left out."""
    parts: list[str] = []

    def walk(element: etree._Element) -> None:
        if isinstance(element.tag, str) and element.tag != "Rt":
            parts.append(element.text or "")
            for child in element:
                walk(child)
                parts.append(child.tail or "")

    for data in files:
        walk(etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True)))
    return " ".join(parts)


def meti_text(files: list[bytes]) -> str:
    """The METI guidelines' body lines (pdfminer), without footnotes, page numbers, bullets and
    figure captions ("Figure 1. …", set at body size between the paragraphs they interrupt)."""
    from ingest.parsers.meti_pdf import BULLETS, ENGLISH, JAPANESE, extract_lines

    lines, _ = extract_lines(_one(files))
    texts = [BULLETS.sub(" ", line.text).strip() for line in lines]
    return "\n".join(t for t in texts if not (ENGLISH.caption.match(t) or JAPANESE.caption.match(t)))


def hleg_text(files: list[bytes]) -> str:
    """The HLEG guidelines' lines at body size or above (pypdf spans), without bullet glyphs."""
    from ingest.parsers.hleg_pdf import document_text

    return document_text(_one(files))


def ccpa_text(files: list[bytes]) -> str:
    """The CCPA compilation's statute lines, without cover, contents, footers and footnotes."""
    from ingest.parsers import ccpa_pdf

    reader = ccpa_pdf._open_pdf(_one(files))
    return ccpa_pdf._normalise("\n".join(line.text for line in ccpa_pdf._body_lines(ccpa_pdf._read_lines(reader))))


def cppa_regs_text(files: list[bytes]) -> str:
    """The CPPA regulations' lines, without cover, contents, footers and division headings."""
    from ingest.parsers import cppa_regs_pdf

    reader = cppa_regs_pdf._open_pdf(_one(files))
    return "\n".join(line.text for line in cppa_regs_pdf._body_lines(cppa_regs_pdf._read_lines(reader)))


def colorado_text(files: list[bytes]) -> str:
    """A Colorado session law's lines at body size, without the running head and the legend."""
    from ingest.parsers import colorado_session_law_pdf

    return "\n".join(line.text for line in colorado_session_law_pdf._read(_one(files)))


def html_text(files: list[bytes]) -> str:
    """The text of an HTML page as it displays, scripts and styles left out: small-capital spans
    (``class="smallcaps"``, NIST's "GOVERN") in capitals."""
    from lxml import html

    parts = []
    for data in files:
        root = html.fromstring(data)
        for junk in root.xpath("//script|//style"):
            junk.drop_tree()
        for span in root.xpath('//span[contains(concat(" ", normalize-space(@class), " "), " smallcaps ")]'):
            span.text = (span.text or "").upper()
        parts.append(root.text_content())
    return "\n".join(parts)


def plain_text(files: list[bytes]) -> str:
    return "\n".join(decode_text(data, "text") for data in files)


def markdown_text(files: list[bytes]) -> str:
    """A Markdown capture without its markup: emphasis, headings, list and quote markers, links."""
    text = plain_text(files)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)  # [words](url) -> words
    text = re.sub(r"(?m)^\s*(?:#+|>|[-*+])\s+", "", text)
    return re.sub(r"[*_]{1,3}(?=\S)|(?<=\S)[*_]{1,3}", "", text)


def commonaccord_text(files: list[bytes]) -> str:
    """A CommonAccord capture (``Key=value`` lines with HTML emphasis): the values, tags removed."""
    values = [line.partition("=")[2] or line for line in plain_text(files).splitlines()]
    return re.sub(r"<[^>]+>", "", "\n".join(values))


def yaml_text(files: list[bytes]) -> str:
    """Every string of a YAML document, in document order."""
    strings: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, str):
            strings.append(node)
        elif isinstance(node, dict):
            for key, value in node.items():
                walk(key)
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for data in files:
        walk(yaml.safe_load(decode_text(data, "YAML")))
    return "\n".join(strings)


def _one(files: list[bytes]) -> bytes:
    if len(files) != 1:
        raise ParseError(f"expected one file, got {len(files)}")
    return files[0]


# Parser name (as in corpus/sources.toml) -> how to read the official text of its files.
OFFICIAL_TEXT: dict[str, Callable[[list[bytes]], str]] = {
    "formex": formex_text,
    "formex-package": formex_text,
    "meti-pdf-en": meti_text,
    "meti-pdf-ja": meti_text,
    "hleg-pdf": hleg_text,
    "ccpa-pdf": ccpa_text,
    "cppa-regs-pdf": cppa_regs_text,
    "colorado-session-law-pdf": colorado_text,
    "nist-airc-html": html_text,
    "japanese-law-xml": japanese_law_text,
    "oecd-markdown": markdown_text,
    "oecd-commonaccord": commonaccord_text,
    "principles-text": plain_text,
    "meti-governance-text": lambda files: "\n".join(layout_text(data) for data in files),
    "guideline-yaml": yaml_text,
}


def official_text(parser: str, files: list[bytes]) -> str:
    try:
        read = OFFICIAL_TEXT[parser]
    except KeyError:
        raise ParseError(f"no official-text reader for the {parser!r} format: add one to OFFICIAL_TEXT") from None
    return read(files)


def check_source(parser: str, files: list[bytes], records: Iterable[ClauseRecord]) -> list[Finding]:
    """The fidelity check of one source's parse against its own official files."""
    return check_fidelity(records, official_text(parser, files))
