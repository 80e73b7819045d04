"""One parser module per official format; each is a pure function from bytes to clause records."""

from kb.errors import KBError


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
