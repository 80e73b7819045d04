"""(e) Baselines on the same machine, corpus, model and queries, in the same run.

Quality is article-level recall@10 (and MRR, macro recall@10, recall@10 on the rarer labels) on a
fixed random sample of GDPR records of the evaluation file, with ``kb.evaluation``'s metric code.
Every system ranks the same rows: the current English GDPR clause texts our index holds (the texts
that were embedded, with their citation and context), recitals left out of the results because the
labels are articles (ours uses recitals only as evidence for the articles they explain). A
baseline's clause ranking becomes an article ranking by keeping each article's first clause.
Dense baselines use our stored vectors and the same model for the query; their latency is the
query's embedding time plus their own search time.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.stats import forget_cached_queries, summarise

CANDIDATES = 100  # clause rows asked of a baseline before grouping them into articles


def measure(data_dir: Path, eval_file: Path, sample: int, seed: int = 0, embedder=None) -> dict:
    from benchmarks.corpus import gdpr_sample
    from kb.evaluation import Returned, clause_unit, score, search_ranker
    from kb.lexical import tokenize
    from kb.service import ClauseMap
    from kb.settings import Settings

    service = ClauseMap(Settings(data_dir=data_dir), embedder)
    service.warm_up()
    kb = service.kb()
    queries = gdpr_sample(eval_file, sample, seed)
    rows = [
        r
        for r, key in enumerate(kb.index.keys)
        if key.clause_id.startswith("gdpr:")
        and key.language == "en"
        and not key.valid_to
        and kb.clauses[key.clause_id].kind != "recital"
    ]
    units = [kb.clauses[kb.index.keys[r].clause_id].unit_id for r in rows]
    ids = [kb.index.keys[r].clause_id for r in rows]
    texts = [kb.index.keys[r].text for r in rows]
    vectors = kb.index.vectors()[rows]
    unit_of = lambda label: clause_unit(label, kb.clauses)  # noqa: E731

    embed_s: dict[str, float] = {}
    query_vectors: dict[str, np.ndarray] = {}
    for query in queries:
        started = time.perf_counter()
        query_vectors[query.id] = service.embedder.encode([query.query])[0]
        embed_s[query.id] = time.perf_counter() - started

    def ranked(positions: Sequence[int]) -> list[Returned]:
        return [Returned(units[p], (ids[p],)) for p in positions]

    systems: dict[str, dict[str, Any]] = {}

    def run(name: str, rank: Callable, setup_s: float = 0.0, adds_embedding: bool = False, note: str = "") -> None:
        latencies: list[float] = []

        def timed(query):
            started = time.perf_counter()
            out = rank(query)
            latencies.append(time.perf_counter() - started + (embed_s[query.id] if adds_embedding else 0.0))
            return out

        forget_cached_queries(service.embedder)  # each system embeds its queries afresh
        evaluation = score(queries, timed, unit_of)
        systems[name] = _scores(evaluation.overall) | {
            "latency": summarise(latencies),
            "setup_s": round(setup_s, 2),
            "note": note,
        }

    run("clausemap (hybrid, ours)", search_ranker(service, "hybrid", 10, "labels"), note="ClauseMap.search, articles")
    run("clausemap dense only", search_ranker(service, "dense", 10, "labels"), note="method=dense")
    run("clausemap lexical only", search_ranker(service, "lexical", 10, "labels"), note="method=lexical (bm25s)")

    import torch
    from sentence_transformers import util

    corpus_tensor = torch.from_numpy(np.ascontiguousarray(vectors))

    def semantic_search(query):
        hits = util.semantic_search(torch.from_numpy(query_vectors[query.id][None, :]), corpus_tensor, top_k=CANDIDATES)
        return ranked([h["corpus_id"] for h in hits[0]])

    run("sentence-transformers semantic_search", semantic_search, adds_embedding=True, note="exact, torch tensor")

    from rank_bm25 import BM25Okapi

    started = time.perf_counter()
    bm25 = BM25Okapi([tokenize(t) or ["\u2205"] for t in texts])
    bm25_setup = time.perf_counter() - started

    def rank_bm25(query):
        scores = bm25.get_scores(tokenize(query.query))
        return ranked(np.argsort(-scores, kind="stable")[:CANDIDATES].tolist())

    run("rank-bm25 (BM25Okapi)", rank_bm25, bm25_setup, note="our tokenizer (stemmed, stop words dropped)")

    chroma = _chroma(vectors)
    if isinstance(chroma, str):
        systems["chromadb"] = {"error": chroma}
    else:
        collection, chroma_setup = chroma

        def chroma_query(query):
            answer = collection.query(query_embeddings=query_vectors[query.id][None, :], n_results=CANDIDATES)
            return ranked([int(i) for i in answer["ids"][0]])

        run("chromadb (in-process, HNSW)", chroma_query, chroma_setup, adds_embedding=True, note="same vectors")

    from kb.evaluation import fixed_list_ranker, most_frequent

    top = most_frequent(tuple(unit_of(label) for label in q.expected) for q in queries)
    run("fixed list (ignores the query)", fixed_list_ranker(top), note="the 10 most frequent labels")

    ours = systems["clausemap (hybrid, ours)"]["latency"]["median_ms"]
    for system in systems.values():
        if "latency" in system:
            system["latency_vs_ours"] = round(system["latency"]["median_ms"] / ours, 3) if ours else None
    return {
        "queries": len(queries),
        "rows": len(rows),
        "query_embedding": summarise(list(embed_s.values())),
        "systems": systems,
    }


def _scores(scores) -> dict[str, Any]:
    return {
        "recall@10": round(scores.recall[10], 3),
        "recall@1": round(scores.recall[1], 3),
        "mrr": round(scores.mrr, 3),
        "macro_recall@10": round(scores.macro_recall10, 3),
        "rare_recall@10": round(scores.rare_recall10, 3) if scores.rare_recall10 is not None else None,
    }


def _chroma(vectors: np.ndarray):
    """An in-process Chroma collection over ``vectors`` (ids = positions), or why there is none."""
    try:
        import chromadb
        from chromadb.config import Settings as ChromaSettings
    except ImportError as exc:
        return f"chromadb is not installed ({exc}); pip install 'clausemap[bench]'"
    started = time.perf_counter()
    client = chromadb.EphemeralClient(settings=ChromaSettings(anonymized_telemetry=False))
    name = f"clausemap-bench-{time.time_ns()}"
    collection = client.create_collection(name, metadata={"hnsw:space": "ip"}, embedding_function=None)
    for start in range(0, len(vectors), 4096):
        block = vectors[start : start + 4096]
        collection.add(ids=[str(i) for i in range(start, start + len(block))], embeddings=block)
    return collection, time.perf_counter() - started
