"""The benchmark harness's pure pieces on tiny inputs (no timing is asserted), and the IVF kind of
the vector index that the scale benchmark chose."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.corpus import perturbed_vectors, split_sentences, synthetic_corpus
from benchmarks.ingestion import TimedEmbedder, edit_one_clause
from benchmarks.report import markdown, targets
from benchmarks.stats import exact_top_k, nearest_rank, recall_at_k, summarise
from kb.index import FLAT, IVF, IndexKey, VectorIndex, choose_kind, ivf_lists, ivf_probes
from kb.lexical import tokenize


def unit_rows(n: int, d: int = 16, seed: int = 0) -> np.ndarray:
    x = np.random.default_rng(seed).standard_normal((n, d)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_summarise_uses_nearest_rank_percentiles_in_milliseconds() -> None:
    summary = summarise([i / 1000 for i in range(1, 101)])  # 1 … 100 ms
    assert summary["n"] == 100
    assert summary["median_ms"] == pytest.approx(50.5)
    assert summary["p95_ms"] == pytest.approx(95) and summary["p99_ms"] == pytest.approx(99)
    assert summarise([0.002, 0.001])["p99_ms"] == pytest.approx(2)  # under 100 samples: the maximum
    assert summarise([])["n"] == 0
    assert nearest_rank(np.array([1.0, 2.0, 3.0]), 50) == 2.0


def test_recall_against_exact() -> None:
    assert recall_at_k([[1, 2, 3]], [[3, 2, 1]], k=3) == 1.0
    assert recall_at_k([[1, 9], [5, 6]], [[1, 2], [7, 8]], k=2) == pytest.approx(0.25)
    with pytest.raises(ValueError):
        recall_at_k([[1]], [[1], [2]])


def test_exact_top_k_matches_a_full_sort_across_blocks() -> None:
    vectors, queries = unit_rows(500), unit_rows(7, seed=1)
    expected = np.argsort(-(queries @ vectors.T), axis=1, kind="stable")[:, :10]
    assert np.array_equal(exact_top_k(vectors, queries, 10, block=64), expected)


def test_sentences_are_split_and_deduplicated() -> None:
    texts = ["GDPR Art. 1. Subject-matter. This Regulation lays down rules. It protects rights.", "It protects rights."]
    assert split_sentences(texts, min_chars=15) == [
        "Subject-matter.",
        "This Regulation lays down rules.",
        "It protects rights.",
    ]  # "GDPR Art. 1." is too short; "Art. 1" is not a sentence end (no capital follows)


def test_synthetic_corpus_is_deterministic_and_unit_length() -> None:
    texts = ["The controller shall keep records. The processor shall assist the controller.", "Data must be accurate."]
    base = unit_rows(2, d=32)
    one = synthetic_corpus(texts, base, 50, noise=0.01, seed=3)
    two = synthetic_corpus(texts, base, 50, noise=0.01, seed=3)
    assert len(one) == 50 and one.vectors.shape == (50, 32)
    assert np.array_equal(one.vectors, two.vectors) and np.array_equal(one.picks, two.picks)
    assert np.allclose(np.linalg.norm(one.vectors, axis=1), 1.0, atol=1e-5)
    cosine_to_origin = np.sum(one.vectors * base[one.origins], axis=1)
    assert cosine_to_origin.min() > 0.9  # σ = 0.01 in 32 dimensions barely moves a vector
    assert one.token_lists(tokenize)[:5] == [tokenize(one.text(i)) for i in range(5)]


def test_perturbed_vectors_need_a_base() -> None:
    with pytest.raises(ValueError):
        perturbed_vectors(np.zeros((0, 4), dtype=np.float32), 3)


def test_one_clause_edit_replaces_its_own_marker(tmp_path) -> None:
    path = tmp_path / "gdpr.xml"
    path.write_text(
        '<ARTICLE><PARAG IDENTIFIER="022.001"><ALINEA>a decision based solely on automated processing, '
        "including profiling</ALINEA></PARAG><PARAG>based solely on automated processing</PARAG></ARTICLE>",
        encoding="utf-8",
    )
    edit_one_clause(path, "(benchmark edit 0)")
    edit_one_clause(path, "(benchmark edit 1)")
    text = path.read_text(encoding="utf-8")
    assert text.count("(benchmark edit") == 1 and "automated processing (benchmark edit 1), including" in text
    assert text.endswith("<PARAG>based solely on automated processing</PARAG></ARTICLE>")  # the next one untouched


def test_texts_are_attributed_to_sources_by_their_short_name() -> None:
    embedder = TimedEmbedder("unused", {"gdpr": "GDPR", "euaia": "EU AI Act", "eu": "EU"})
    assert embedder.source_of("GDPR Art. 5. Principles.") == "gdpr"
    assert embedder.source_of("EU AI Act Art. 3. Definitions.") == "euaia"
    assert embedder.source_of("Something else") == "other"


def test_report_renders_without_measurements() -> None:
    results = {
        "quick": True,
        "started": "now",
        "machine": {"cpu_model": "cpu", "cores": 2, "ram_gib": 1.0, "os": "os", "python": "3.11"},
        "load_start": [0.0, 0.0, 0.0],
        "load_end": [0.0, 0.0, 0.0],
        "total_seconds": 1.0,
    }
    results["targets"] = targets(results)
    assert all(t["met"] is None for t in results["targets"])
    assert "| /v1/search k=10 over HTTP, 1 client: median | ≤ 20 ms | not measured | – |" in markdown(results)


def test_index_kind_follows_size() -> None:
    assert choose_kind(49_999) == FLAT and choose_kind(50_000) == IVF
    assert ivf_lists(1_000_000) == 1000 and ivf_probes(1000) == 63 and ivf_probes(100) == 32
    assert ivf_lists(100) == 2  # never fewer than 40 training points per list


def test_ivf_index_searches_filters_and_round_trips(tmp_path) -> None:
    vectors = unit_rows(3000)
    keys = [IndexKey(f"x:{i}", "en", f"h{i}") for i in range(len(vectors))]
    index = VectorIndex.build(vectors, keys, "m", kind=IVF)
    exact = VectorIndex.build(vectors, keys, "m")
    assert index.meta.kind == IVF and index.meta.nlist == ivf_lists(3000) and exact.meta.kind == FLAT
    assert np.array_equal(index.vectors(), vectors)  # unquantised: an incremental ingest reuses them as they were
    query = vectors[17]
    assert index.search(query, 1)[0][0] == 17
    few = np.zeros(len(vectors), dtype=bool)
    few[[5, 6, 7]] = True  # a small subset is scored exactly
    assert [r for r, _ in index.search(query, 10, few)] == [r for r, _ in exact.search(query, 10, few)]
    many = np.arange(len(vectors)) % 2 == 0  # a large one goes through the ID selector
    found = [r for r, _ in index.search(query, 20, many)]
    assert len(found) == 20 and all(r % 2 == 0 for r in found)
    assert index.search(query, 5, np.zeros(len(vectors), dtype=bool)) == []
    index.save(tmp_path)
    loaded = VectorIndex.load(tmp_path)
    assert loaded.meta == index.meta and loaded.search(query, 3) == index.search(query, 3)
    assert np.array_equal(loaded.vectors()[:10], vectors[:10])
