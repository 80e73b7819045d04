"""Which sources a question names: "under the CCPA", "EUでは", "How does the OECD define …".

A reviewer who names a law or a jurisdiction wants the answer from it, yet across fourteen sources the
same duty is written in several laws (erasure in the GDPR, the CCPA and the APPI), and the one named
is easily outranked by its neighbours. Search therefore puts the best few articles of the named
sources first, in their own order, and everything else after them as ranked (``prefer_named``).
The phrases are data (``corpus/source-names.yaml``), matched on search terms as the lexical index
sees them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import yaml

from kb.lexical import contains_phrase, tokenize

NAMES_FILE = "source-names.yaml"
T = TypeVar("T")


@dataclass(frozen=True)
class _Name:
    terms: tuple[str, ...]
    sources: frozenset[str]
    jurisdictions: frozenset[str]


class SourceNames:
    def __init__(self, names: Iterable[_Name] = ()) -> None:
        self._names = list(names)

    @classmethod
    def from_file(cls, path: Path) -> SourceNames:
        if not path.is_file():
            return cls()
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        names = []
        for entry in document.get("names") or []:
            sources = frozenset(entry.get("sources") or ())
            jurisdictions = frozenset(entry.get("jurisdictions") or ())
            for phrase in entry.get("phrases") or ():
                terms = tuple(tokenize(str(phrase)))
                if terms:
                    names.append(_Name(terms, sources, jurisdictions))
        return cls(names)

    def named_sources(self, query: str, jurisdiction_of: Mapping[str, str]) -> frozenset[str]:
        """The ids among ``jurisdiction_of`` (source id -> jurisdiction) that ``query`` names, by
        name or by jurisdiction."""
        tokens = tokenize(query)
        named: set[str] = set()
        for name in self._names:
            if contains_phrase(tokens, name.terms):
                named |= {s for s, j in jurisdiction_of.items() if s in name.sources or j in name.jurisdictions}
        return frozenset(named)


def prefer_named(
    order: list[T], source_of: Callable[[T], str], named: frozenset[str], lift: int | None = None
) -> list[T]:
    """``order`` with its first ``lift`` items of the ``named`` sources (all, by default) moved to the
    front, in their own order, and everything else after them as it was; unchanged when nothing is
    named."""
    if not named:
        return order
    first = [item for item in order if source_of(item) in named][:lift]
    lifted = set(map(id, first))
    return first + [item for item in order if id(item) not in lifted]
