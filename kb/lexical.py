"""Lexical retrieval: BM25 over the same texts the vector index holds.

The tokenizer handles English legal text (lower-cased, stop words dropped, Snowball-stemmed, so
"processing" meets "processed") and Japanese, which has no spaces: runs of CJK characters become
overlapping character bigrams, so 「顔認証」 matches 「顔認証システム」 without a dictionary.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

import bm25s
import numpy as np
import Stemmer
import yaml

from kb.text import JAPANESE_WORD_CHARS, is_japanese_word_char

_WORD = re.compile(rf"[a-z0-9]+(?:[.'][a-z0-9]+)*|[{JAPANESE_WORD_CHARS}]+")
_STOP = frozenset(
    """
    a about above after again all also am an and any are as at be because been before being below
    between both but by can cannot could did do does doing down during each few for from further had has
    have he her here his how i if in into is it its just made make may me might more most much must my
    no nor not of off on once only or other our over own same shall she should so some still such than
    that the their them then there these they this those to too under until upon us very via was we were
    what when where whether which while who whom why will with would yet you your
    """.split()  # noqa: SIM905 - a word list reads better as text
)
_stemmer = Stemmer.Stemmer("english")


@lru_cache(maxsize=4096)
def _stem(word: str) -> str:
    return _stemmer.stemWord(word)


def tokenize(text: str) -> list[str]:
    """Search terms of ``text``: stemmed English words and Japanese character bigrams."""
    normalised = unicodedata.normalize("NFKC", text).lower()
    tokens: list[str] = []
    for match in _WORD.finditer(normalised):
        word = match.group()
        if is_japanese_word_char(word[0]):
            tokens.extend(_bigrams(word))
        elif word not in _STOP and len(word) > 1:
            tokens.append(_stem(word))
    return tokens


def is_cjk(char: str) -> bool:
    return is_japanese_word_char(char)


def _bigrams(run: str) -> list[str]:
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


class LexicalIndex:
    def __init__(self, texts: list[str]) -> None:
        self.size = len(texts)
        self.bm25 = bm25s.BM25()
        corpus = [tokenize(t) or ["\u2205"] for t in texts]
        if corpus:
            self.bm25.index(corpus, show_progress=False)
        self.vocabulary = set(self.bm25.vocab_dict) if corpus else set()

    def scores(self, query: str | list[str]) -> np.ndarray:
        """BM25 score of every row for ``query`` (text or its tokens; zeros where no term matches)."""
        tokens = tokenize(query) if isinstance(query, str) else query
        terms = [t for t in tokens if t in self.vocabulary]
        if not terms or self.size == 0:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self.bm25.get_scores(terms), dtype=np.float32)

    def search(self, query: str | list[str], k: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        scores = self.scores(query)
        if allowed is not None:
            scores = np.where(allowed, scores, 0.0)
        positive = np.flatnonzero(scores > 0)
        if positive.size == 0:
            return []
        if positive.size > k:  # keep the k best and every row tied with the k-th, in linear time
            kth = np.partition(scores[positive], positive.size - k)[positive.size - k]
            positive = positive[scores[positive] >= kth]
        top = positive[np.argsort(-scores[positive], kind="stable")[:k]]
        return [(int(r), float(scores[r])) for r in top]


class QueryExpander:
    """Adds the sources' vocabulary to a lay query (``corpus/synonyms.yaml``), for BM25 only: lay
    words get the statutes' words (``synonyms``), and a Japanese term gets its English equivalents
    and the reverse (``bilingual``), so the lexical side can cross languages as the dense one does."""

    def __init__(self, synonyms: dict[str, list[str]], bilingual: list[tuple[str, list[str]]] = ()) -> None:
        self._by_stem: dict[str, list[str]] = {}
        for word, targets in synonyms.items():
            for stem in tokenize(word):
                self._by_stem.setdefault(stem, []).extend(t for target in targets for t in tokenize(target))
        self._phrases: list[tuple[tuple[str, ...], list[str]]] = []
        for japanese, english in bilingual:
            for term in english:
                self._add_phrase(japanese, tokenize(term))
                self._add_phrase(term, tokenize(japanese))

    def _add_phrase(self, phrase: str, targets: list[str]) -> None:
        terms = tuple(tokenize(phrase))
        if terms:
            self._phrases.append((terms, targets))

    @classmethod
    def from_file(cls, path: Path) -> QueryExpander:
        if not path.is_file():
            return cls({})
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        synonyms = {str(k): [str(v) for v in vs] for k, vs in (document.get("synonyms") or {}).items()}
        bilingual = [(str(ja), [str(en) for en in ens]) for ja, ens in document.get("bilingual") or []]
        return cls(synonyms, bilingual)

    def expand(self, tokens: list[str]) -> list[str]:
        extra = [t for token in tokens for t in self._by_stem.get(token, ()) if t not in tokens]
        for terms, targets in self._phrases:
            if contains_phrase(tokens, terms):
                extra.extend(t for t in targets if t not in tokens)
        return tokens + list(dict.fromkeys(extra))


def contains_phrase(tokens: list[str], phrase: tuple[str, ...]) -> bool:
    """Whether ``phrase`` occurs in ``tokens`` as consecutive terms."""
    width = len(phrase)
    return any(tuple(tokens[i : i + width]) == phrase for i in range(len(tokens) - width + 1))
