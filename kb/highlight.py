"""Why a clause matched: the sentences of its text that share the most terms with the query,
and the words that matched, so a reviewer sees at a glance why a result is there."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from kb.lexical import tokenize
from kb.text import JAPANESE_WORD_CHARS

_SENTENCE = re.compile(r"(?<=[.;:。])\s+|(?<=。)")
_WORD = re.compile(r"\w+", re.UNICODE)
_JAPANESE_RUN = re.compile(f"[{JAPANESE_WORD_CHARS}]+")
_PIECE = re.compile(
    rf"(?P<cjk>[{JAPANESE_WORD_CHARS}]+)|(?P<word>[^\W_{JAPANESE_WORD_CHARS}]+(?:['’.][^\W_{JAPANESE_WORD_CHARS}]+)*)"
)


def query_terms(query: str) -> frozenset[str]:
    return frozenset(tokenize(query))


def best_sentences(terms: frozenset[str], text: str, limit: int = 2) -> list[str]:
    """Up to ``limit`` sentences of ``text`` with the most distinct query terms, in text order."""
    if not terms or not text:
        return []
    scored = []
    for position, (sentence, sentence_terms) in enumerate(_sentences(text)):
        shared = len(terms & sentence_terms)
        if shared:
            scored.append((shared, position, sentence))
    top = sorted(scored, key=lambda item: (-item[0], item[1]))[:limit]
    return [sentence for _, _, sentence in sorted(top, key=lambda item: item[1])]


def highlights(terms: frozenset[str], text: str, across_languages: bool, limit: int = 2) -> list[str]:
    """``best_sentences``; for a text in another language than the query that shares none of its
    terms (found by the multilingual model), its opening sentence: the words of the text, in the
    text's language, that the reviewer should read first."""
    found = best_sentences(terms, text, limit)
    if found or not across_languages or not text:
        return found
    return [sentence for sentence, _ in _sentences(text)[:1] if sentence]


@lru_cache(maxsize=16384)
def _sentences(text: str) -> tuple[tuple[str, frozenset[str]], ...]:
    """The sentences of a clause text with their terms, tokenized once: the same clauses come back in
    mapping after mapping (a theme's links), and tokenizing them was most of a mapping's own time."""
    return tuple((s, frozenset(tokenize(s))) for s in (part.strip() for part in _SENTENCE.split(text)))


def matched_words(terms: frozenset[str], text: str) -> list[str]:
    """The words of ``text`` whose stems are query terms (each once, in text order)."""
    seen: dict[str, None] = {}
    for word in _WORD.findall(text):
        if word.lower() not in seen and terms & set(tokenize(word)):
            seen[word.lower()] = None
    return list(seen)


def marked_characters(text: str, query: str) -> list[bool]:
    """For each character of ``text``, whether it belongs to a word that matches a query term (same
    stemming and Japanese bigrams as the lexical index, so "decisions" marks "decision"); the page
    wraps the marked runs in ``<mark>``."""
    terms = set(tokenize(query))
    if not terms:
        return [False] * len(text)
    # a lone shared bigram ("シー" of "ポリシー" for the query "プライバシー") is noise, not a match,
    # unless the query's Japanese words are that short themselves
    shortest_run = 2 if any(len(run) > 2 for run in _JAPANESE_RUN.findall(query)) else 1
    marked = [False] * len(text)
    for match in _PIECE.finditer(text):
        start, end = match.span()
        if match.group("word"):
            if terms.intersection(tokenize(match.group())):
                marked[start:end] = [True] * (end - start)
        else:
            _mark_bigram_runs(match.group(), start, terms, shortest_run, marked)
    return marked


def _mark_bigram_runs(run: str, start: int, terms: set[str], shortest: int, marked: list[bool]) -> None:
    """Mark the stretches of a Japanese run made of at least ``shortest`` consecutive query bigrams."""
    normal = unicodedata.normalize("NFKC", run)
    if len(normal) != len(run):  # width-changing normalisation: match the run as a whole
        if terms.intersection(tokenize(run)):
            marked[start : start + len(run)] = [True] * len(run)
        return
    if len(run) == 1:
        marked[start] = run in terms
        return
    hits = [normal[i : i + 2] in terms for i in range(len(run) - 1)] + [False]
    i = 0
    while i < len(hits):
        j = i
        while hits[j]:
            j += 1
        if j - i >= shortest:
            marked[start + i : start + j + 1] = [True] * (j - i + 1)
        i = j + 1
