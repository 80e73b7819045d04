"""One parser module per official format; each is a pure function from bytes to clause records.

The contract every format meets (ingest/formats.py adapts each parser to it): the bytes of the
source's file(s) in, one ``ParsedDocument`` out, or a ``ParseError`` that says what was wrong where.
Shared text helpers (Japanese script, Roman numerals, line joining) are in kb/text.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from kb.errors import KBError
from kb.records import ClauseRecord

if TYPE_CHECKING:
    from ingest.parsers.guideline_yaml import CheckItem


@dataclass(frozen=True)
class ParsedDocument:
    """What a parse yields: the clause records in document order, the risk-check items of a
    document that has them (a company guideline), and what the document says about itself (its
    ``source:`` block: id, title, issuer, language, version date), where it says anything."""

    records: list[ClauseRecord]
    checks: list[CheckItem] = field(default_factory=list)
    source: dict[str, str] = field(default_factory=dict)


class ParseError(KBError, ValueError):
    """The document could not be parsed; the message says what was wrong and where."""

    code = "parse_error"
    http_status = 422


def decode_text(data: bytes, kind: str) -> str:
    """Strict UTF-8 (BOM tolerated) for the text formats, with ``\n`` line ends; binary input is
    rejected, not half-read."""
    if not isinstance(data, bytes | bytearray):
        raise ParseError(f"expected the document as bytes, got {type(data).__name__}")
    try:
        text = bytes(data).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ParseError(f"not UTF-8 text (byte {exc.start}): {exc.reason}") from exc
    if "\x00" in text:
        raise ParseError(f"NUL byte in input: binary data, not {kind}")
    return text.replace("\r\n", "\n").replace("\r", "\n")
