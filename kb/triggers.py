"""Trigger detection: which data categories and domains (``corpus/triggers.yaml``) a use case's
description brings into play.

A trigger never fires on a word alone. Each of its rules names groups of terms that must all be
present (one term of each group) within one sentence or the next, and terms that veto the rule
there ("students" with "school" is children's data; with "university" it is not). Terms are whole
words, so "bank" does not find "banking app" and "face" does not find "customer-facing"; a term
ending in ``*`` matches the words it begins (``identif*``). Japanese terms, having no spaces, match
as written.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise

from kb.crosswalk import Rule, Trigger

_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+|[。！？\n]+")
_LATIN_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class Fired:
    """A trigger that applies, and why: declared by the caller, or the terms the description used."""

    trigger: Trigger
    declared: bool
    evidence: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Window:
    """A sentence and the next, normalised, with its words indexed for quick look-ups."""

    text: str  # for Japanese terms
    words: tuple[str, ...]
    starts: dict[str, list[int]]  # word -> where it occurs
    sorted_words: tuple[str, ...]  # for prefix terms (``identif*``)

    @classmethod
    def of(cls, text: str) -> _Window:
        words = tuple(_LATIN_WORD.findall(text))
        starts: dict[str, list[int]] = {}
        for i, word in enumerate(words):
            starts.setdefault(word, []).append(i)
        return cls(text, words, starts, tuple(sorted(starts)))

    def has_prefix(self, prefix: str) -> bool:
        i = bisect_left(self.sorted_words, prefix)
        return i < len(self.sorted_words) and self.sorted_words[i].startswith(prefix)


def detect_triggers(triggers: tuple[Trigger, ...], description: str, declared: tuple[str, ...] = ()) -> list[Fired]:
    """The triggers the caller declared or whose rules match the description, in file order."""
    windows = _windows(description)
    fired = []
    for trigger in triggers:
        evidence = _evidence(trigger, windows)
        if trigger.id in declared or evidence:
            fired.append(Fired(trigger, trigger.id in declared, evidence))
    return fired


def rule_matches(rule: Rule, description: str) -> tuple[str, ...]:
    """The terms (one per group) by which ``rule`` matches ``description``; empty if it does not."""
    for window in _windows(description):
        found = _match(rule, window)
        if found:
            return found
    return ()


def _evidence(trigger: Trigger, windows: list[_Window]) -> tuple[str, ...]:
    for rule in trigger.rules:
        for window in windows:
            found = _match(rule, window)
            if found:
                return found
    return ()


def _match(rule: Rule, window: _Window) -> tuple[str, ...]:
    if any(_occurs(term, window) for term in rule.unless):
        return ()
    found = []
    for group in rule.groups:
        term = next((t for t in group if _occurs(t, window)), None)
        if term is None:
            return ()
        found.append(term)
    return tuple(found)


def _windows(description: str) -> list[_Window]:
    """Each sentence joined with the next one (a single sentence is its own window)."""
    sentences = [s for s in _SENTENCE_END.split(_normalise(description)) if s.strip()]
    if len(sentences) <= 1:
        return [_Window.of(s) for s in sentences]
    return [_Window.of(f"{a} {b}") for a, b in pairwise(sentences)]


def _normalise(text: str) -> str:
    """Lower case, full-width folded, accents dropped (résumé -> resume)."""
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).lower())
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if not unicodedata.combining(c)))


@lru_cache(maxsize=8192)
def _term_words(term: str) -> tuple[str, ...]:
    """The normalised words of a Latin-script term (without its ``*``); empty for a Japanese one."""
    return tuple(_LATIN_WORD.findall(_normalise(term.rstrip("*")))) if _is_latin(term) else ()


@lru_cache(maxsize=8192)
def _is_latin(term: str) -> bool:
    return not any(ord(c) > 0x2FFF for c in term)


def _occurs(term: str, window: _Window) -> bool:
    if not _is_latin(term):
        return _normalise(term) in window.text
    words = _term_words(term)
    if not words:
        return False
    prefix = term.endswith("*")
    if len(words) == 1:
        return window.has_prefix(words[0]) if prefix else words[0] in window.starts
    return any(_phrase_at(window.words[i : i + len(words)], words, prefix) for i in window.starts.get(words[0], ()))


def _phrase_at(candidate: tuple[str, ...], words: tuple[str, ...], prefix: bool) -> bool:
    """Whether ``candidate`` (words of the description) is the phrase ``words``, the last one as a prefix."""
    if len(candidate) != len(words) or candidate[:-1] != words[:-1]:
        return False
    return candidate[-1].startswith(words[-1]) if prefix else candidate[-1] == words[-1]
