"""One parser module per official format; each is a pure function from bytes to clause records."""


class ParseError(ValueError):
    """The document could not be parsed; the message says what was wrong and where."""
