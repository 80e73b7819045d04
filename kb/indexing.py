"""What each clause contributes to the vector index, and building the index incrementally.

A clause is embedded with its context: the source's short name and citation, the article's
title, and the intro of its parent ("Paragraph 1 shall not apply if the decision:"), so that a
point like "(a) is based on the data subject's explicit consent" still says what it is about.
Vectors are reused from the previous index for every text whose hash is unchanged.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import numpy as np

from kb.embedding import Embedder
from kb.index import IndexKey, VectorIndex

log = logging.getLogger(__name__)
EMBED_CHUNK = 512  # texts per progress report while embedding

STRUCTURAL_KINDS = frozenset({"part", "chapter", "section", "supplementary"})
MAX_CONTEXT_CHARS = 300


@dataclass(frozen=True)
class ClauseContext:
    """The minimum a clause needs to describe itself for embedding."""

    id: str
    kind: str
    label: str
    title: str | None
    text: str
    parent_id: str | None
    unit_id: str
    language: str


def embedding_text(
    clause: ClauseContext,
    by_id: dict[str, ClauseContext],
    short_name: str,
    text: str | None = None,
    title: str | None = None,
) -> str:
    """The clause as the embedding model should see it: citation, unit title, parent intro, text."""
    unit = by_id.get(clause.unit_id)
    parts = [f"{short_name} {clause.label}."]
    unit_title = title if clause.id == clause.unit_id and title else (unit.title if unit else None)
    if unit_title:
        parts.append(f"{unit_title}.")
    elif clause.title:
        parts.append(f"{clause.title}.")
    parent = by_id.get(clause.parent_id) if clause.parent_id else None
    if parent is not None and parent.kind not in STRUCTURAL_KINDS:
        parts.append(parent.text[:MAX_CONTEXT_CHARS])
    parts.append(text if text is not None else clause.text)
    return " ".join(p for p in parts if p).strip()


def build_indexes(
    texts: list[IndexKey], embedder: Embedder, previous: list[VectorIndex | None]
) -> tuple[list[VectorIndex], int]:
    """One index per dense leg of ``embedder`` over the same ``texts`` (``previous``: the last
    version's index of each leg, or None); returns them with the number of texts that had to be
    embedded (in the leg that embedded most: a changed clause counts once, not once per model)."""
    built = [build_index(texts, embedder, old, leg) for leg, old in enumerate(previous)]
    return [index for index, _ in built], max((count for _, count in built), default=0)


def build_index(
    texts: list[IndexKey], embedder: Embedder, previous: VectorIndex | None, leg: int = 0
) -> tuple[VectorIndex, int]:
    """An index over ``texts`` in leg ``leg``'s space (keys made with ``IndexKey.of``:
    ``valid_from``/``valid_to``, ISO or "" for open, bound the clause version); returns it with the
    number of texts that had to be embedded."""
    model_name = embedder.legs[leg].model_name
    reusable: dict[str, np.ndarray] = {}
    if previous is not None and previous.meta.model_name == model_name:
        old_vectors = previous.vectors()
        for row, key in enumerate(previous.keys):
            reusable[key.text_hash] = old_vectors[row]
    missing = [t for t in texts if t.text_hash not in reusable]
    if missing:
        fresh = embed_reporting_progress(embedder, [t.text for t in missing], leg)
        reusable.update({t.text_hash: v for t, v in zip(missing, fresh, strict=True)})
    if texts:
        vectors = np.stack([reusable[t.text_hash] for t in texts])
    else:
        vectors = np.zeros((0, embedder.legs[leg].dimension), dtype=np.float32)
    return VectorIndex.build(vectors, texts, model_name), len(missing)


def embed_reporting_progress(embedder: Embedder, texts: list[str], leg: int = 0) -> np.ndarray:
    """``embedder.encode_for(leg, texts)`` in chunks, logging how far it got: embedding a whole
    corpus takes minutes on a small machine, and a silent command looks hung."""
    started = time.perf_counter()
    parts = []
    model_name = embedder.legs[leg].model_name
    for start in range(0, len(texts), EMBED_CHUNK):
        parts.append(embedder.encode_for(leg, texts[start : start + EMBED_CHUNK]))
        done = min(start + EMBED_CHUNK, len(texts))
        seconds = time.perf_counter() - started
        log.info("embedded %d/%d texts (%.0f s, %s)", done, len(texts), seconds, model_name)
    return np.vstack(parts)


RECITAL_LINKS_PER_RECITAL = 2


def recital_links(index: VectorIndex, kinds: dict[str, str], units: dict[str, str]) -> list[tuple[str, str, float]]:
    """(recital, article, similarity) for the articles of the same source closest to each recital.

    An article's similarity to a recital is the best cosine between the recital and any of the
    article's clauses; each recital is linked to its ``RECITAL_LINKS_PER_RECITAL`` closest articles.
    """
    vectors = index.vectors()
    rows_by_source: dict[str, tuple[list[int], list[int]]] = {}
    for row, key in enumerate(index.keys):
        kind = kinds.get(key.clause_id)
        if kind is None or key.language != "en" or key.valid_to:
            continue
        recitals, articles = rows_by_source.setdefault(key.clause_id.split(":")[0], ([], []))
        (recitals if kind == "recital" else articles).append(row)
    links: list[tuple[str, str, float]] = []
    for recitals, articles in rows_by_source.values():
        if not recitals or not articles:
            continue
        article_units = [units[index.keys[r].clause_id] for r in articles]
        similarity = vectors[recitals] @ vectors[articles].T
        for i, recital_row in enumerate(recitals):
            best: dict[str, float] = {}
            for unit, score in zip(article_units, similarity[i], strict=True):
                if score > best.get(unit, -1.0):
                    best[unit] = float(score)
            top = sorted(best.items(), key=lambda item: -item[1])[:RECITAL_LINKS_PER_RECITAL]
            links.extend((index.keys[recital_row].clause_id, unit, score) for unit, score in top)
    return links
