"""Cues: how the project's rules (AI Act classes, company sheet scopes, always-applies duties) recognise a
situation in a free-text description without firing on a word alone.

A *cue* is a list of groups of alternative phrases; it matches when **every** group has a phrase that
occurs in the description. ``[[face, facial], [recognition, identify]]`` matches "facial recognition at
the gate" but not "a face-to-face meeting". Phrases are matched on consecutive word stems, stop words
kept ("our model" is not "model"), so "screens" meets "screening"; a phrase right after a negation
("does not rank", "no face recognition") does not count; Japanese phrases are matched as written. A
rule may list several cues (any of them matches), and remembers which words led to it, so the answer
can quote them.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cached_property

import Stemmer

from kb.errors import KBError
from kb.lexical import is_cjk


class CueError(KBError, ValueError):
    """A rule file holds a malformed cue; the message names the file and the entry."""

    code = "rules_invalid"
    http_status = 503  # the project's own rule files are wrong: the service cannot map until they are fixed


@dataclass(frozen=True)
class Cue:
    """Groups of alternative phrases; every group must be present."""

    groups: tuple[tuple[str, ...], ...]

    @classmethod
    def parse(cls, raw: object, where: str) -> Cue:
        if not isinstance(raw, list) or not raw:
            raise CueError(f"{where}: a cue is a non-empty list of groups of phrases, e.g. [[face], [recognition]]")
        groups = []
        for i, group in enumerate(raw):
            phrases = group if isinstance(group, list) else [group]
            if not phrases or not all(isinstance(p, str) and p.strip() for p in phrases):
                raise CueError(f"{where}[{i}]: a group is a non-empty list of phrases")
            groups.append(tuple(p.strip() for p in phrases))
        return cls(tuple(groups))


def parse_cues(raw: object, where: str) -> tuple[Cue, ...]:
    """``[[a, b], [c]]`` (one cue) or ``[[[a], [c]], [[d]]]`` (several) -> cues."""
    if isinstance(raw, list) and raw and all(isinstance(x, list) for x in raw) and all(
        all(isinstance(y, list) for y in x) for x in raw
    ):
        return tuple(Cue.parse(cue, f"{where}[{i}]") for i, cue in enumerate(raw))
    return (Cue.parse(raw, where),)


class Text:
    """A description prepared once for many cue look-ups: its stems and its lower-cased text."""

    def __init__(self, text: str) -> None:
        self.raw = " ".join(text.split())
        self.lower = unicodedata.normalize("NFKC", self.raw).lower()

    @cached_property
    def _words(self) -> tuple[list[str], list[str]]:
        return words_and_stems(self.lower)

    @property
    def stems(self) -> list[str]:
        return self._words[1]

    @cached_property
    def _positions(self) -> dict[str, list[int]]:
        positions: dict[str, list[int]] = {}
        for i, stem in enumerate(self.stems):
            positions.setdefault(stem, []).append(i)
        return positions

    def find(self, phrase: str) -> str | None:
        """The description's own words for ``phrase``, or None when it does not occur."""
        tokens = _phrase_tokens(phrase)
        if tokens is None:  # Japanese, or nothing to stem: as written
            return phrase if phrase.lower() in self.lower else None
        n, (originals, stems) = len(tokens), self._words
        for i in self._positions.get(tokens[0], ()):
            if stems[i : i + n] == tokens and not _NEGATORS & set(originals[max(0, i - NEGATION_WINDOW) : i]):
                return " ".join(originals[i : i + n])
        return None

    def first(self, phrases: tuple[str, ...]) -> str | None:
        """The description's words for the first phrase of the group that occurs, or None."""
        return next((found for found in map(self.find, phrases) if found), None)

    def match(self, cue: Cue) -> list[str] | None:
        """The phrase found for each group, or None when a group has none."""
        found = []
        for group in cue.groups:
            phrase = self.first(group)
            if phrase is None:
                return None
            found.append(phrase)
        return found

    def match_any(self, cues: tuple[Cue, ...]) -> list[str] | None:
        """The words of the first cue that matches, or None."""
        for cue in cues:
            found = self.match(cue)
            if found is not None:
                return found
        return None


# "does not rank or score anyone", "there is no face recognition": a phrase this close after a
# negation does not count
NEGATION_WINDOW = 3
_NEGATORS = frozenset(
    {"not", "no", "never", "without", "nor", "neither", "nobody", "none"}
    | {"doesn't", "don't", "isn't", "cannot", "won't"}
)
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?")
_stemmer = Stemmer.Stemmer("english")
_PHRASE_CACHE: dict[str, list[str] | None] = {}


def words_and_stems(text: str) -> tuple[list[str], list[str]]:
    """The words of lower-cased text as written and stemmed, stop words kept; "résumés" meets "resumes"."""
    originals = _WORD.findall(text)
    plain = ["".join(c for c in unicodedata.normalize("NFKD", w) if not unicodedata.combining(c)) for w in originals]
    return originals, _stemmer.stemWords([w.replace("’", "'").removesuffix("'s") for w in plain])


def _phrase_tokens(phrase: str) -> list[str] | None:
    """The stems of a phrase, or None for one matched as written (Japanese, or no word in it)."""
    if phrase not in _PHRASE_CACHE:
        cjk = any(is_cjk(c) for c in phrase)
        stems = words_and_stems(unicodedata.normalize("NFKC", phrase).lower())[1]
        _PHRASE_CACHE[phrase] = None if cjk or not stems else stems
    return _PHRASE_CACHE[phrase]
