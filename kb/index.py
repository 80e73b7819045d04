"""The vector index: a FAISS index in a self-describing directory.

The directory holds ``vectors.faiss``, ``keys.json`` (row -> clause id, language, text and its hash) and
``meta.json`` (model name, dimension, count, corpus hash, checksum of the vectors file), so a
reader can tell what it is looking at and refuse a corrupt or mismatched index.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import faiss
import numpy as np


class IndexCorrupt(RuntimeError):
    """The index directory is missing, corrupt, or was built with another model."""


@dataclass(frozen=True)
class IndexKey:
    """What row N of the index stands for: a clause (in a language) and the text that was embedded."""

    clause_id: str
    language: str
    text_hash: str
    text: str = ""
    valid_from: str = ""  # ISO time the clause version took effect ("" for translations)
    valid_to: str = ""  # ISO time it was amended or repealed; "" while current


@dataclass(frozen=True)
class IndexMeta:
    model_name: str
    dimension: int
    count: int
    corpus_hash: str
    vectors_sha256: str
    kind: str = "flat-ip"


class VectorIndex:
    """Exact inner-product search over normalised vectors, with an optional allow-mask."""

    def __init__(self, index: faiss.Index, keys: list[IndexKey], meta: IndexMeta) -> None:
        self.index = index
        self.keys = keys
        self.meta = meta

    @classmethod
    def build(cls, vectors: np.ndarray, keys: list[IndexKey], model_name: str) -> VectorIndex:
        if len(vectors) != len(keys):
            raise ValueError("one key per vector is required")
        dimension = vectors.shape[1]
        index = faiss.IndexFlatIP(dimension)
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
        corpus_hash = hashlib.sha256(
            "\n".join(f"{k.clause_id}|{k.language}|{k.text_hash}" for k in keys).encode()
        ).hexdigest()
        meta = IndexMeta(model_name, dimension, len(keys), corpus_hash, vectors_sha256="")
        return cls(index, keys, meta)

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        vectors_path = directory / "vectors.faiss"
        faiss.write_index(self.index, str(vectors_path))
        (directory / "keys.json").write_text(json.dumps([asdict(k) for k in self.keys]))
        meta = IndexMeta(**{**asdict(self.meta), "vectors_sha256": _sha256(vectors_path)})
        (directory / "meta.json").write_text(json.dumps(asdict(meta), indent=2))
        self.meta = meta

    @classmethod
    def load(cls, directory: Path, expected_model: str | None = None) -> VectorIndex:
        try:
            meta = IndexMeta(**json.loads((directory / "meta.json").read_text()))
            keys = [IndexKey(**k) for k in json.loads((directory / "keys.json").read_text())]
        except (OSError, ValueError, TypeError) as exc:
            raise IndexCorrupt(f"index at {directory} is missing or unreadable: {exc}") from exc
        vectors_path = directory / "vectors.faiss"
        if not vectors_path.is_file() or _sha256(vectors_path) != meta.vectors_sha256:
            raise IndexCorrupt(f"index at {directory} is corrupt: vectors file checksum mismatch")
        if expected_model and meta.model_name != expected_model:
            raise IndexCorrupt(
                f"index at {directory} was built with {meta.model_name!r}, "
                f"not the configured {expected_model!r}: re-run `kb ingest`"
            )
        index = faiss.read_index(str(vectors_path))
        if index.ntotal != len(keys) or index.ntotal != meta.count:
            raise IndexCorrupt(f"index at {directory} is inconsistent: {index.ntotal} vectors, {len(keys)} keys")
        return cls(index, keys, meta)

    def vectors(self) -> np.ndarray:
        return self.index.reconstruct_n(0, self.index.ntotal)

    def search(self, query: np.ndarray, k: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """Top-``k`` rows by cosine similarity; ``allowed`` (bool per row) filters *before* ranking."""
        if self.index.ntotal == 0 or k <= 0:
            return []
        query = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
        params = None
        if allowed is not None:
            rows = np.flatnonzero(allowed).astype(np.int64)
            if rows.size == 0:
                return []
            params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(rows))
        scores, rows = self.index.search(query, min(k, self.index.ntotal), params=params)
        return [(int(r), float(s)) for r, s in zip(rows[0], scores[0], strict=True) if r >= 0]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
