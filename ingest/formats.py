"""The registry names a parser per source; this maps those names to the parser functions.

Every format meets one contract: the bytes of the source's file(s) and its id in, one
``ParsedDocument`` out (records, check items, what the document says about itself). Most formats
are one file; a Formex package is a main act plus one file per annex.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

from ingest.parsers import ParsedDocument, ParseError
from ingest.parsers.ccpa_pdf import parse_ccpa_pdf
from ingest.parsers.colorado_session_law_pdf import parse_colorado_session_law_pdf
from ingest.parsers.cppa_regs_pdf import parse_cppa_regs_pdf
from ingest.parsers.formex import parse_formex, parse_formex_package
from ingest.parsers.guideline_yaml import parse_guideline_document
from ingest.parsers.hleg_pdf import parse_hleg_pdf
from ingest.parsers.japanese_law_xml import parse_japanese_law_xml
from ingest.parsers.meti_governance import parse_governance_targets
from ingest.parsers.meti_pdf import parse_meti_pdf_en, parse_meti_pdf_ja
from ingest.parsers.nist_airc_html import parse_nist_airc_html
from ingest.parsers.oecd_commonaccord import parse_oecd_commonaccord
from ingest.parsers.oecd_markdown import parse_oecd_markdown
from ingest.parsers.plain_text_principles import parse_principles_text
from kb.records import ClauseRecord

Parser = Callable[[list[bytes], str], ParsedDocument]


def _one_file(parse: Callable[[bytes], list[ClauseRecord] | ParsedDocument]) -> Parser:
    """Adapt a parser of one document whose ids carry their own source prefix."""

    def run(files: list[bytes], source: str) -> ParsedDocument:
        if len(files) != 1:
            raise ParseError(f"this parser reads one file, got {len(files)}")
        parsed = parse(files[0])
        return parsed if isinstance(parsed, ParsedDocument) else ParsedDocument(parsed)

    return run


def _the_one(files: list[bytes], parser: str) -> bytes:
    if len(files) != 1:
        raise ParseError(f"the {parser} parser reads one law file, got {len(files)}")
    return files[0]


def _japanese_law(files: list[bytes], source: str) -> ParsedDocument:
    return ParsedDocument(parse_japanese_law_xml(_the_one(files, "japanese-law-xml"), source))


def _formex(files: list[bytes], source: str) -> ParsedDocument:
    if len(files) != 1:
        raise ParseError(f"the formex parser reads one act file, got {len(files)}")
    return ParsedDocument(parse_formex(files[0], source=source))


def _meti_governance(files: list[bytes], source: str) -> ParsedDocument:
    if len(files) != 1:
        raise ParseError(f"the METI governance targets parser reads one text file, got {len(files)}")
    return ParsedDocument(parse_governance_targets(files[0], source=source))


PARSERS: dict[str, Parser] = {
    "formex": _formex,
    "formex-package": lambda files, source: ParsedDocument(parse_formex_package(files, source=source)),
    "ccpa-pdf": _one_file(parse_ccpa_pdf),
    "hleg-pdf": _one_file(parse_hleg_pdf),
    "oecd-markdown": _one_file(parse_oecd_markdown),
    "oecd-commonaccord": _one_file(parse_oecd_commonaccord),
    "meti-pdf-en": _one_file(parse_meti_pdf_en),
    "meti-pdf-ja": _one_file(parse_meti_pdf_ja),
    "principles-text": _one_file(parse_principles_text),
    "meti-governance-text": _meti_governance,
    "guideline-yaml": _one_file(parse_guideline_document),  # records and checks from one read
    "nist-airc-html": _one_file(parse_nist_airc_html),
    "colorado-session-law-pdf": _one_file(parse_colorado_session_law_pdf),
    "cppa-regs-pdf": _one_file(parse_cppa_regs_pdf),
    "japanese-law-xml": _japanese_law,
}


def parser_fingerprint(name: str) -> str:
    """Changes when any parser's code changes, so an unchanged file is parsed again after a fix.

    Coarse on purpose: parsers share helpers, and re-parsing every source costs seconds.
    """
    parser_for(name)
    digest = hashlib.sha256(name.encode())
    for path in [*sorted(Path(__file__).parent.glob("parsers/*.py")), Path(__file__)]:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def parser_for(name: str) -> Parser:
    try:
        return PARSERS[name]
    except KeyError:
        raise ParseError(f"unknown parser {name!r}; known: {sorted(PARSERS)}") from None
