"""The vector index: a FAISS index in a self-describing directory.

The directory holds ``vectors.faiss``, ``keys.json`` (row -> clause id, language, text and its hash) and
``meta.json`` (model name, dimension, count, corpus hash, checksum of the vectors file, and the kind of
index with its parameters), so a reader can tell what it is looking at and refuse a corrupt or
mismatched index.

Two kinds, chosen by size (``choose_kind``):

- ``flat-ip`` below ``EXACT_MAX_ROWS`` rows: exact inner product, every row scored (0.2 ms at the
  corpus's few thousand rows, ~10 ms at 100k, ~100 ms at 1M on one core);
- ``ivf-flat-ip`` from there on: an inverted file of √N k-means lists over the same full-precision
  vectors; a query scans the ``nprobe`` lists nearest to it (1/16 of them, at least 32). Measured on
  1M synthetic clause vectors (``python -m benchmarks``): recall@10 against exact search ≈ 0.99 in
  a few milliseconds, 1.5 GiB, built in about half a minute on two cores. HNSW was measured too and
  not chosen: its graph build takes minutes per million rows on two cores and its recall collapsed
  (0.5–0.7 at efSearch 64–256) on clusters of near-duplicate clauses, which legal corpora are full
  of (amended versions, translations, boilerplate). Vectors stay unquantised, so an incremental
  ingest reuses them exactly (``vectors()``) and 1M × 384 floats still fit in 2 GiB.

Filtered search keeps its promise on both kinds: rows outside the allow-mask are skipped *inside*
the search (a FAISS ID selector), an IVF search that comes back short probes more lists, and a
filter that leaves only a small subset scores that subset exactly.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import faiss
import numpy as np

from kb.errors import KBError

FLAT = "flat-ip"
IVF = "ivf-flat-ip"
KINDS = (FLAT, IVF)
EXACT_MAX_ROWS = 50_000  # below this an exact scan is fast enough (≤ ~5 ms) and needs no training
IVF_LISTS_PER_SQRT_ROW = 1  # nlist ≈ √N: 1,000 lists of ~1,000 rows at 1M
IVF_TRAIN_POINTS_PER_LIST = 40  # FAISS warns below 39 training points per centroid
IVF_TRAIN_ITERATIONS = 10
IVF_PROBE_FRACTION = 16  # nprobe = nlist / 16: ~6 % of the rows scanned per query at 1M
IVF_MIN_PROBES = 32  # (~10 % at 100k rows, where the lists are fewer and recall needs a wider scan)
EXACT_SUBSET_ROWS = 5_000  # filters leaving at most this many rows are scored exactly (~1-8 ms at 1M rows: a
# cache miss per row read back); larger ones use the selector (recall@10 ≈ 0.96 when 1 % of 1M rows pass)


class IndexCorrupt(KBError, RuntimeError):
    """The index directory is missing, corrupt, or was built with another model."""

    code = "index_unavailable"
    http_status = 503


@dataclass(frozen=True)
class IndexKey:
    """What row N of the index stands for: a clause (in a language) and the text that was embedded."""

    clause_id: str
    language: str
    text_hash: str
    text: str = ""
    valid_from: str = ""  # ISO time the clause version took effect ("" for translations)
    valid_to: str = ""  # ISO time it was amended or repealed; "" while current

    @classmethod
    def of(cls, clause_id: str, language: str, text: str, valid_from: str = "", valid_to: str = "") -> IndexKey:
        """The key of a text to index: its hash says whether the previous index has its vector."""
        return cls(clause_id, language, text_hash(text), text, valid_from, valid_to)


def corpus_hash(keys: list[IndexKey]) -> str:
    """What an index holds, in one hash: an ingest whose texts hash the same has nothing to re-index."""
    return hashlib.sha256("\n".join(f"{k.clause_id}|{k.language}|{k.text_hash}" for k in keys).encode()).hexdigest()


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class IndexMeta:
    model_name: str
    dimension: int
    count: int
    corpus_hash: str
    vectors_sha256: str
    kind: str = FLAT
    nlist: int = 0  # IVF only: number of k-means lists
    nprobe: int = 0  # IVF only: lists scanned per query


def choose_kind(rows: int, exact_max_rows: int = EXACT_MAX_ROWS) -> str:
    """Exact search while it is cheap; an inverted file once a full scan would dominate a query."""
    return FLAT if rows < exact_max_rows else IVF


def ivf_lists(rows: int) -> int:
    """~√N lists, but never fewer training points per list than FAISS asks for."""
    return max(1, min(int(IVF_LISTS_PER_SQRT_ROW * math.sqrt(rows)), rows // IVF_TRAIN_POINTS_PER_LIST))


def ivf_probes(nlist: int) -> int:
    return min(nlist, max(IVF_MIN_PROBES, math.ceil(nlist / IVF_PROBE_FRACTION)))


class VectorIndex:
    """Inner-product search over normalised vectors (cosine), exact or IVF, with an optional allow-mask."""

    def __init__(self, index: faiss.Index, keys: list[IndexKey], meta: IndexMeta) -> None:
        self.index = index
        self.keys = keys
        self.meta = meta
        self.nprobe = meta.nprobe  # may be raised per instance, e.g. to trade latency for recall

    @property
    def approximate(self) -> bool:
        return self.meta.kind != FLAT

    @classmethod
    def build(cls, vectors: np.ndarray, keys: list[IndexKey], model_name: str, kind: str | None = None) -> VectorIndex:
        """An index over ``vectors`` (one row per key); ``kind`` defaults to ``choose_kind(len(keys))``."""
        if len(vectors) != len(keys):
            raise ValueError("one key per vector is required")
        kind = kind or choose_kind(len(keys))
        if kind not in KINDS:
            raise ValueError(f"index kind must be one of {KINDS}, not {kind!r}")
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        dimension = vectors.shape[1]
        nlist = nprobe = 0
        if kind == IVF and len(vectors) > 0:
            index, nlist = _build_ivf(vectors)
            nprobe = ivf_probes(nlist)
        else:
            kind = FLAT  # an empty index has nothing to train on
            index = faiss.IndexFlatIP(dimension)
            index.add(vectors)
        meta = IndexMeta(model_name, dimension, len(keys), corpus_hash(keys), "", kind, nlist, nprobe)
        return cls(index, keys, meta)

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        vectors_path = directory / "vectors.faiss"
        # Through a Python file, not faiss.write_index(path): FAISS only prints (and drops) an error
        # from the final flush, so a full disk could leave a truncated file whose checksum matches.
        try:
            with vectors_path.open("wb") as handle:
                faiss.write_index(self.index, faiss.PyCallbackIOWriter(handle.write))
        except OSError as exc:
            exc.filename = exc.filename or str(vectors_path)
            raise
        (directory / "keys.json").write_text(json.dumps([asdict(k) for k in self.keys]))
        meta = IndexMeta(**{**asdict(self.meta), "vectors_sha256": _sha256(vectors_path)})
        (directory / "meta.json").write_text(json.dumps(asdict(meta), indent=2))
        self.meta = meta

    @classmethod
    def load(
        cls, directory: Path, expected_model: str | None = None, keys_of: VectorIndex | None = None
    ) -> VectorIndex:
        """The index in ``directory``; with ``keys_of`` (an index over the same texts: same corpus
        hash, else refused) its keys are shared rather than read again."""
        try:
            meta = IndexMeta(**json.loads((directory / "meta.json").read_text()))
            if keys_of is not None and meta.corpus_hash == keys_of.meta.corpus_hash:
                keys = keys_of.keys
            else:
                keys = [IndexKey(**k) for k in json.loads((directory / "keys.json").read_text())]
        except (OSError, ValueError, TypeError) as exc:
            raise IndexCorrupt(
                f"index at {directory} is missing or unreadable ({exc}): run `kb ingest` to rebuild it"
            ) from exc
        if meta.kind not in KINDS:
            raise IndexCorrupt(f"index at {directory} is of unknown kind {meta.kind!r}")
        vectors_path = directory / "vectors.faiss"
        if not vectors_path.is_file() or _sha256(vectors_path) != meta.vectors_sha256:
            raise IndexCorrupt(
                f"index at {directory} is corrupt (vectors file checksum mismatch): run `kb ingest` to rebuild it"
            )
        if expected_model and meta.model_name != expected_model:
            raise IndexCorrupt(
                f"index at {directory} was built with {meta.model_name!r}, "
                f"not the configured {expected_model!r}: re-run `kb ingest`"
            )
        index = faiss.read_index(str(vectors_path))
        if index.ntotal != len(keys) or index.ntotal != meta.count:
            raise IndexCorrupt(f"index at {directory} is inconsistent: {index.ntotal} vectors, {len(keys)} keys")
        if meta.kind == IVF:
            _ensure_direct_map(index)
        return cls(index, keys, meta)

    def vectors(self) -> np.ndarray:
        """Every row's vector, in row order (exact: IVF lists hold unquantised vectors)."""
        return self.index.reconstruct_n(0, self.index.ntotal)

    def search(self, query: np.ndarray, k: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """Top-``k`` rows by cosine similarity; ``allowed`` (bool per row) filters *before* ranking."""
        if self.index.ntotal == 0 or k <= 0:
            return []
        query = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
        with _one_thread():
            return self._search_filtered(query, min(k, self.index.ntotal), allowed)

    def _search_filtered(self, query: np.ndarray, k: int, allowed: np.ndarray | None) -> list[tuple[int, float]]:
        if allowed is None:
            return self._search(query, k, None, k)
        allowed = np.asarray(allowed, dtype=bool)
        count = int(np.count_nonzero(allowed))
        if count == 0:
            return []
        if self.approximate and count <= EXACT_SUBSET_ROWS:
            return self._exact_subset(query, k, np.flatnonzero(allowed))
        bitmap = np.packbits(allowed, bitorder="little")  # kept alive for the duration of the search
        selector = faiss.IDSelectorBitmap(len(allowed), faiss.swig_ptr(bitmap))
        return self._search(query, k, selector, min(k, count))

    def _search(self, query: np.ndarray, k: int, selector, wanted: int) -> list[tuple[int, float]]:
        """One FAISS search; an IVF search that found fewer than ``wanted`` rows (the allowed ones
        are rare in the nearest lists) probes four times as many lists, up to all of them."""
        nprobe = self.nprobe
        while True:
            params = faiss.SearchParametersIVF(nprobe=nprobe) if self.approximate else faiss.SearchParameters()
            if selector is not None:
                params.sel = selector
            scores, rows = self.index.search(query, k, params=params)
            hits = [(int(r), float(s)) for r, s in zip(rows[0], scores[0], strict=True) if r >= 0]
            if len(hits) >= wanted or not self.approximate or nprobe >= self.meta.nlist:
                return hits
            nprobe = min(self.meta.nlist, nprobe * 4)

    def _exact_subset(self, query: np.ndarray, k: int, rows: np.ndarray) -> list[tuple[int, float]]:
        scores = self.index.reconstruct_batch(rows.astype(np.int64)) @ query[0]
        top = np.argsort(-scores, kind="stable")[:k] if len(rows) <= k else _top_k(scores, k)
        return [(int(rows[i]), float(scores[i])) for i in top]


@contextmanager
def _one_thread() -> Iterator[None]:
    """Search one query on the calling thread only. FAISS's OpenMP threads pay off for batches; for
    one query on busy cores a parallel region waits for a descheduled thread (measured: 0.6 ms
    single-threaded, 35 ms with two threads on two loaded cores). The setting is per thread, so
    concurrent requests and an ingest's multi-threaded build elsewhere are unaffected."""
    previous = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(previous)


def _top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Positions of the ``k`` highest scores, best first (ties: lower position first)."""
    part = np.argpartition(-scores, k - 1)[:k]
    return part[np.lexsort((part, -scores[part]))]


def _build_ivf(vectors: np.ndarray) -> tuple[faiss.Index, int]:
    """Train k-means lists on a fixed sample (deterministic: same vectors, same index), then add all."""
    count, dimension = vectors.shape
    nlist = ivf_lists(count)
    quantizer = faiss.IndexFlatIP(dimension)
    index = faiss.IndexIVFFlat(quantizer, dimension, nlist, faiss.METRIC_INNER_PRODUCT)
    index.cp.niter = IVF_TRAIN_ITERATIONS
    sample_size = min(count, nlist * IVF_TRAIN_POINTS_PER_LIST)
    sample = np.sort(np.random.default_rng(0).choice(count, sample_size, replace=False))
    index.train(vectors[sample])
    index.add(vectors)
    _ensure_direct_map(index)
    return index, nlist


def _ensure_direct_map(index: faiss.Index) -> None:
    """Row -> position in its list, so that rows can be read back (``vectors()``, exact subsets)."""
    ivf = faiss.extract_index_ivf(index)
    if ivf.direct_map.no():
        ivf.make_direct_map()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
