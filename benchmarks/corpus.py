"""Inputs the benchmarks share: query samples from the evaluation file, and synthetic corpora.

A synthetic corpus of N clauses is made from the real one: each text recombines sentences drawn
from real clause texts, and each vector is a real clause vector plus isotropic Gaussian noise,
renormalised. With ``noise`` σ per dimension the noise vector's norm is about σ·√d (0.49 for
σ = 0.025 at d = 384), so a synthetic vector keeps a cosine of ~0.90 with the clause it came from
and ~0.81 with its siblings; nearest real neighbours in the corpus have a median cosine of 0.93.
Texts and vectors are drawn independently: the texts exercise BM25, the vectors the vector index.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

DEFAULT_NOISE = 0.025
_SENTENCE_END = re.compile(r"(?<=[.;:])\s+(?=[A-Z(\"'‘“])")


def split_sentences(texts: list[str], min_chars: int = 20) -> list[str]:
    """The distinct sentences of ``texts`` (split after . ; : before a capital or an opening
    bracket), in first-seen order; fragments shorter than ``min_chars`` are dropped."""
    seen: dict[str, None] = {}
    for text in texts:
        for sentence in _SENTENCE_END.split(" ".join(text.split())):
            if len(sentence) >= min_chars:
                seen.setdefault(sentence, None)
    return list(seen)


def perturbed_vectors(
    base: np.ndarray, n: int, noise: float = DEFAULT_NOISE, seed: int = 0, chunk: int = 100_000
) -> tuple[np.ndarray, np.ndarray]:
    """``n`` unit vectors, each a random row of ``base`` plus N(0, noise²) per dimension,
    renormalised; returns them with the base row each came from."""
    if len(base) == 0:
        raise ValueError("at least one base vector is required")
    rng = np.random.default_rng(seed)
    dimension = base.shape[1]
    vectors = np.empty((n, dimension), dtype=np.float32)
    origins = rng.integers(0, len(base), n)
    for start in range(0, n, chunk):
        end = min(n, start + chunk)
        block = base[origins[start:end]].astype(np.float32, copy=True)
        block += rng.standard_normal((end - start, dimension), dtype=np.float32) * np.float32(noise)
        block /= np.linalg.norm(block, axis=1, keepdims=True)
        vectors[start:end] = block
    return vectors, origins


@dataclass
class SyntheticCorpus:
    """N synthetic clauses: text ``i`` joins ``sentences[picks[i, j]]``; ``vectors[i]`` perturbs
    real vector ``origins[i]``."""

    sentences: list[str]
    picks: np.ndarray
    vectors: np.ndarray
    origins: np.ndarray
    noise: float

    def __len__(self) -> int:
        return len(self.picks)

    def text(self, row: int) -> str:
        return " ".join(self.sentences[j] for j in self.picks[row])

    def token_lists(self, tokenize) -> list[list[str]]:
        """Every text's tokens, tokenizing each distinct sentence once (a text's tokens are its
        sentences' tokens in order, for a tokenizer that works word by word)."""
        by_sentence = [tokenize(s) for s in self.sentences]
        return [[t for j in row for t in by_sentence[j]] for row in self.picks.tolist()]


def synthetic_corpus(
    texts: list[str],
    base_vectors: np.ndarray,
    n: int,
    noise: float = DEFAULT_NOISE,
    sentences_per_text: int = 2,
    seed: int = 0,
) -> SyntheticCorpus:
    """A corpus of ``n`` synthetic clauses from real ``texts`` and their ``base_vectors``."""
    sentences = split_sentences(texts)
    if not sentences:
        raise ValueError("the texts hold no sentence to recombine")
    rng = np.random.default_rng(seed + 1)
    picks = rng.integers(0, len(sentences), (n, sentences_per_text), dtype=np.int32)
    vectors, origins = perturbed_vectors(base_vectors, n, noise, seed)
    return SyntheticCorpus(sentences, picks, vectors, origins, noise)


def gdpr_sample(path: Path, n: int, seed: int = 0) -> list:
    """A fixed random sample of ``n`` evaluation records whose labels are all GDPR articles (the
    same sample for every system compared), in file order."""
    from kb.evaluation import load_queries

    gdpr = [q for q in load_queries(path) if all(label.startswith("gdpr:") for label in q.expected)]
    chosen = sorted(random.Random(seed).sample(range(len(gdpr)), min(n, len(gdpr))))
    return [gdpr[i] for i in chosen]


def short_query(text: str, words: int = 25) -> str:
    """The first ``words`` words of a case summary: a query of the length people type."""
    return " ".join(text.split()[:words])
