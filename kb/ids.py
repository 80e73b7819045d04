"""Clause ids: one small value type that parses, prints and round-trips.

An id is ``<source>:<base><subdivisions>``, for example ``gdpr:art-22(1)(a)``,
``gdpr:recital-71``, ``ccpa:1798.100(a)(1)(A)``, ``oecd:1.4(b)``, ``hleg:req-1.1``,
``euaia:annex-3(1)(a)``, ``appi:27(1)(ii)``, ``appi:2-2(1)(i-2)``. The *base* names the top-level
citable unit (article, recital, section, principle); each parenthesised *subdivision* goes one level
down.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kb.errors import KBError

_SOURCE = r"[a-z][a-z0-9-]*"
_BASE = r"[A-Za-z0-9](?:[A-Za-z0-9.\-]*[A-Za-z0-9])?"
_SUB = r"\(([A-Za-z0-9]+(?:-[A-Za-z0-9]+)*)\)"  # a hyphen joins branch numbers: (i-2) is 第一号の二
_ID_RE = re.compile(rf"^(?P<source>{_SOURCE}):(?P<base>{_BASE})(?P<subs>(?:{_SUB})*)$")


class InvalidClauseId(KBError, ValueError):
    """Raised for a string that is not a clause id; the message says what is wrong."""

    code = "invalid_clause_id"
    http_status = 422


@dataclass(frozen=True, order=True)
class ClauseId:
    source: str
    base: str
    subdivisions: tuple[str, ...] = ()

    @classmethod
    def parse(cls, text: str) -> ClauseId:
        if not isinstance(text, str) or not text.strip():
            raise InvalidClauseId("a clause id must be a non-empty string like 'gdpr:art-22(1)'")
        match = _ID_RE.match(text.strip())
        if match is None:
            raise InvalidClauseId(
                f"invalid clause id {text!r}: expected '<source>:<unit>' followed by optional "
                "'(subdivision)' parts, e.g. 'gdpr:art-22(1)(a)' or 'ccpa:1798.100(a)'"
            )
        subs = tuple(re.findall(_SUB, match["subs"]))
        return cls(match["source"], match["base"], subs)

    def __str__(self) -> str:
        return f"{self.source}:{self.base}" + "".join(f"({s})" for s in self.subdivisions)

    @property
    def unit(self) -> ClauseId:
        """The top-level citable unit (article, recital, section): ``gdpr:art-22(1)`` -> ``gdpr:art-22``."""
        return ClauseId(self.source, self.base)

    @property
    def parent(self) -> ClauseId | None:
        """One subdivision up, or None at the unit level."""
        if not self.subdivisions:
            return None
        return ClauseId(self.source, self.base, self.subdivisions[:-1])

    def child(self, subdivision: str) -> ClauseId:
        return ClauseId(self.source, self.base, (*self.subdivisions, subdivision))


def is_valid(text: str) -> bool:
    try:
        ClauseId.parse(text)
    except InvalidClauseId:
        return False
    return True
