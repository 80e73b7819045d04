"""The one base class of the knowledge base's own errors.

Every error the library raises on purpose derives from ``KBError`` and carries what each interface
needs to report it: a stable ``code`` (the API's ``error.code``) and the HTTP status it maps to. The
API, the CLI and the web pages each translate ``KBError`` in one place (api/errors.py,
cli/main.py ``reporting_errors``, api/web/routes.py), so a new error needs no new table entry, and
none can fall through to a 500 or a traceback.
"""

from __future__ import annotations


class KBError(Exception):
    """A failure the caller can understand and act on; the message says what is wrong and what to do."""

    code: str = "kb_error"
    http_status: int = 400


def all_error_classes() -> list[type[KBError]]:
    """Every subclass of ``KBError`` defined in the modules imported so far (for tests and docs)."""
    found: list[type[KBError]] = []
    pending = [KBError]
    while pending:
        cls = pending.pop()
        for sub in cls.__subclasses__():
            if sub not in found:
                found.append(sub)
                pending.append(sub)
    return found
