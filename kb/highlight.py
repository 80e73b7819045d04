"""Why a clause matched: the sentences of its text that share the most terms with the query,
and the words that matched, so a reviewer sees at a glance why a result is there."""

from __future__ import annotations

import re

from kb.lexical import tokenize

_SENTENCE = re.compile(r"(?<=[.;:。])\s+|(?<=。)")
_WORD = re.compile(r"\w+", re.UNICODE)


def query_terms(query: str) -> frozenset[str]:
    return frozenset(tokenize(query))


def best_sentences(terms: frozenset[str], text: str, limit: int = 2) -> list[str]:
    """Up to ``limit`` sentences of ``text`` with the most distinct query terms, in text order."""
    if not terms or not text:
        return []
    scored = []
    for position, sentence in enumerate(s.strip() for s in _SENTENCE.split(text)):
        shared = len(terms & set(tokenize(sentence)))
        if shared:
            scored.append((shared, position, sentence))
    top = sorted(scored, key=lambda item: (-item[0], item[1]))[:limit]
    return [sentence for _, _, sentence in sorted(top, key=lambda item: item[1])]


def matched_words(terms: frozenset[str], text: str) -> list[str]:
    """The words of ``text`` whose stems are query terms (each once, in text order)."""
    seen: dict[str, None] = {}
    for word in _WORD.findall(text):
        if word.lower() not in seen and terms & set(tokenize(word)):
            seen[word.lower()] = None
    return list(seen)
