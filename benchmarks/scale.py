"""(d) Scale: synthetic corpora of 10k, 100k and 1M clauses (see ``benchmarks.corpus``).

Each size runs in a fresh process (``python -m benchmarks.scale N INPUTS OUT``) so that its memory
figures are its own: index build time, resident memory added by the index, file size, save/load
(start-up) time, search latency at k=10 and at the depth search asks of it (200), recall@10
against exact search, unfiltered and with allow-masks, an ``nprobe`` sweep, and optionally HNSW
(the rejected alternative) and BM25 with bm25s over the synthetic texts.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.stats import exact_top_k, load_average, recall_at_k, rss_bytes, summarise

REPO_ROOT = Path(__file__).resolve().parent.parent
SEARCH_DEPTH = 200  # what kb.search asks of the vector index for k=10
LATENCY_QUERIES = 100


def measure(
    data_dir: Path,
    sizes: tuple[int, ...],
    n_queries: int,
    hnsw_sizes: tuple[int, ...],
    bm25_sizes: tuple[int, ...],
    query_texts: list[str],
    embedder,
    timeout: float = 1500,
) -> dict:
    """Prepare the inputs from the ingested corpus, then one worker process per size."""
    from kb.knowledge import Library
    from kb.lexical import tokenize
    from kb.settings import Settings

    settings = Settings(data_dir=data_dir)
    kb = Library(settings).get()
    work = Path(tempfile.mkdtemp(prefix="kb-bench-scale-"))
    try:
        np.save(work / "base.npy", kb.index.vectors())
        (work / "texts.json").write_text(json.dumps([k.text for k in kb.index.keys]))
        queries = query_texts[:n_queries]
        np.save(work / "queries.npy", embedder.encode(queries))
        (work / "query_tokens.json").write_text(json.dumps([tokenize(q) for q in queries]))
        runs = []
        for n in sizes:
            flags = (["--hnsw"] if n in hnsw_sizes else []) + (["--bm25"] if n in bm25_sizes else [])
            out = work / f"scale-{n}.json"
            load = load_average()
            done = subprocess.run(
                [sys.executable, "-m", "benchmarks.scale", str(n), str(work), str(out), *flags],
                capture_output=True,
                text=True,
                timeout=timeout,
                cwd=REPO_ROOT,
                check=False,
            )
            if done.returncode != 0:
                runs.append({"n": n, "error": done.stderr[-2000:]})
                continue
            runs.append({**json.loads(out.read_text()), "load_before": load})
        return {"queries": len(queries), "runs": runs}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run_size(n: int, inputs: Path, hnsw: bool, bm25: bool) -> dict[str, Any]:
    from benchmarks.corpus import DEFAULT_NOISE, synthetic_corpus
    from kb.index import FLAT, IndexKey, VectorIndex

    base = np.load(inputs / "base.npy")
    texts = json.loads((inputs / "texts.json").read_text())
    queries = np.load(inputs / "queries.npy")
    result: dict[str, Any] = {"n": n, "noise_sigma": DEFAULT_NOISE, "dimension": int(base.shape[1])}

    started = time.perf_counter()
    corpus = synthetic_corpus(texts, base, n, DEFAULT_NOISE)
    result["generate_s"] = round(time.perf_counter() - started, 2)
    vectors = corpus.vectors
    started = time.perf_counter()
    truth = exact_top_k(vectors, queries, 10)
    result["exact_ground_truth_s"] = round(time.perf_counter() - started, 2)
    keys = [IndexKey(f"syn:{i}", "en", "") for i in range(n)]

    gc.collect()
    before = rss_bytes()
    started = time.perf_counter()
    index = VectorIndex.build(vectors, keys, "synthetic")
    result["build_s"] = round(time.perf_counter() - started, 2)
    gc.collect()
    result["index_rss_delta_mib"] = round((rss_bytes() - before) / 2**20, 1)
    result["kind"] = index.meta.kind
    result["nlist"] = index.meta.nlist
    result["nprobe"] = index.meta.nprobe
    result |= _save_and_load(index)
    result |= _latency_and_recall(index, queries, truth, "")
    if index.approximate:
        result["nprobe_sweep"] = _nprobe_sweep(index, queries, truth)
    result["filtered"] = _filtered(index, vectors, queries)
    if index.approximate:
        flat = VectorIndex.build(vectors, keys, "synthetic", kind=FLAT)
        result["exact_flat_search_k10"] = summarise(_search_times(flat, queries, 10, limit=30))
        del flat
    del index
    gc.collect()
    if hnsw:
        result["hnsw"] = _hnsw(vectors, queries, truth)
    if bm25:
        del vectors
        gc.collect()
        result["bm25"] = _bm25(corpus, json.loads((inputs / "query_tokens.json").read_text()))
    return result


def _save_and_load(index) -> dict[str, Any]:
    from kb.index import VectorIndex

    directory = Path(tempfile.mkdtemp(prefix="kb-bench-index-"))
    try:
        started = time.perf_counter()
        index.save(directory)
        saved = time.perf_counter() - started
        size = (directory / "vectors.faiss").stat().st_size
        started = time.perf_counter()
        VectorIndex.load(directory)
        loaded = time.perf_counter() - started
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    return {"index_file_mib": round(size / 2**20, 1), "save_s": round(saved, 2), "load_s": round(loaded, 2)}


def _search_times(index, queries: np.ndarray, k: int, allowed=None, limit: int = LATENCY_QUERIES) -> list[float]:
    times = []
    for query in queries[:limit]:
        started = time.perf_counter()
        index.search(query, k, allowed)
        times.append(time.perf_counter() - started)
    return times


def _latency_and_recall(index, queries: np.ndarray, truth: np.ndarray, prefix: str) -> dict[str, Any]:
    found = [[row for row, _ in index.search(q, 10)] for q in queries]
    return {
        f"{prefix}recall_at_10": round(recall_at_k(found, truth.tolist(), 10), 4),
        f"{prefix}search_k10": summarise(_search_times(index, queries, 10)),
        f"{prefix}search_k{SEARCH_DEPTH}": summarise(_search_times(index, queries, SEARCH_DEPTH)),
    }


def _nprobe_sweep(index, queries: np.ndarray, truth: np.ndarray) -> list[dict[str, Any]]:
    default = index.nprobe
    sweep = []
    for nprobe in sorted({max(1, default // 4), max(1, default // 2), default, default * 2}):
        index.nprobe = min(nprobe, index.meta.nlist)
        found = [[row for row, _ in index.search(q, 10)] for q in queries]
        sweep.append(
            {
                "nprobe": index.nprobe,
                "recall_at_10": round(recall_at_k(found, truth.tolist(), 10), 4),
                "search_k10": summarise(_search_times(index, queries, 10)),
            }
        )
    index.nprobe = default
    return sweep


def _filtered(index, vectors: np.ndarray, queries: np.ndarray) -> list[dict[str, Any]]:
    """Allow-masks keeping 30 %, 1 % and 0.3 % of the rows (a source filter): recall against exact
    search over the allowed rows, and latency at k=10."""
    rng = np.random.default_rng(7)
    out = []
    for share in (0.3, 0.01, 0.003):
        allowed = rng.random(len(vectors)) < share
        rows = np.flatnonzero(allowed)
        truth = rows[exact_top_k(vectors[rows], queries, 10)]
        found = [[row for row, _ in index.search(q, 10, allowed)] for q in queries]
        out.append(
            {
                "allowed_share": share,
                "allowed_rows": int(rows.size),
                "recall_at_10": round(recall_at_k(found, truth.tolist(), 10), 4),
                "search_k10": summarise(_search_times(index, queries, 10, allowed)),
            }
        )
    return out


def _hnsw(vectors: np.ndarray, queries: np.ndarray, truth: np.ndarray, m: int = 32) -> dict[str, Any]:
    import faiss

    before = rss_bytes()
    started = time.perf_counter()
    index = faiss.IndexHNSWFlat(vectors.shape[1], m, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = 40
    index.add(vectors)
    out: dict[str, Any] = {
        "M": m,
        "efConstruction": 40,
        "build_s": round(time.perf_counter() - started, 2),
        "rss_delta_mib": round((rss_bytes() - before) / 2**20, 1),
        "sweep": [],
    }
    for ef in (64, 128, 256):
        params = faiss.SearchParametersHNSW(efSearch=ef)
        _, rows = index.search(queries, 10, params=params)
        times = []
        faiss.omp_set_num_threads(1)  # one query on one thread, as VectorIndex.search does
        for query in queries[:LATENCY_QUERIES]:
            t = time.perf_counter()
            index.search(query[None, :], 10, params=params)
            times.append(time.perf_counter() - t)
        faiss.omp_set_num_threads(os.cpu_count() or 1)
        out["sweep"].append(
            {"efSearch": ef, "recall_at_10": round(recall_at_k(rows.tolist(), truth.tolist(), 10), 4)}
            | {"search_k10": summarise(times)}
        )
    return out


def _bm25(corpus, query_tokens: list[list[str]]) -> dict[str, Any]:
    """bm25s over the synthetic texts, queried through our ``LexicalIndex.search``."""
    import bm25s

    from kb.lexical import LexicalIndex, tokenize

    sample = min(len(corpus), 5_000)
    started = time.perf_counter()
    for row in range(sample):
        tokenize(corpus.text(row))
    tokenize_rate = sample / (time.perf_counter() - started)
    started = time.perf_counter()
    tokens = corpus.token_lists(tokenize)
    tokens_s = time.perf_counter() - started
    gc.collect()
    before = rss_bytes()
    started = time.perf_counter()
    lexical = LexicalIndex.__new__(LexicalIndex)  # LexicalIndex(texts) minus tokenizing each text again
    lexical.size = len(tokens)
    lexical.bm25 = bm25s.BM25()
    lexical.bm25.index([t or ["\u2205"] for t in tokens], show_progress=False)
    lexical.vocabulary = set(lexical.bm25.vocab_dict)
    build_s = time.perf_counter() - started
    gc.collect()
    delta = rss_bytes() - before  # the token lists exist before and after: this is the index
    del tokens
    queries = [q for q in query_tokens if q][:LATENCY_QUERIES]
    ours, scores_only = [], []
    for terms in queries:
        started = time.perf_counter()
        lexical.search(terms, SEARCH_DEPTH)
        ours.append(time.perf_counter() - started)
        started = time.perf_counter()
        scores = lexical.scores(terms)
        top = np.argpartition(-scores, SEARCH_DEPTH)[:SEARCH_DEPTH]
        top[np.argsort(-scores[top])]
        scores_only.append(time.perf_counter() - started)
    return {
        "tokenize_texts_per_s": round(tokenize_rate),
        "tokenize_all_estimated_s": round(len(corpus) / tokenize_rate, 1),
        "token_lists_from_sentences_s": round(tokens_s, 1),
        "index_build_s": round(build_s, 1),
        "rss_delta_mib": round(delta / 2**20, 1),
        "search_depth200_ours": summarise(ours),
        "scores_plus_argpartition": summarise(scores_only),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="one scale run, in its own process")
    parser.add_argument("n", type=int)
    parser.add_argument("inputs", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--hnsw", action="store_true")
    parser.add_argument("--bm25", action="store_true")
    args = parser.parse_args()
    result = run_size(args.n, args.inputs, args.hnsw, args.bm25)
    result["peak_rss_mib"] = round(_peak_rss() / 2**20, 1)
    args.out.write_text(json.dumps(result))


def _peak_rss() -> int:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


if __name__ == "__main__":
    main()
