"""(c) Ingestion: a full ingest into a fresh data directory (time per source and in total, embedding
throughput), a re-ingest of the unchanged corpus, and one with one GDPR clause edited."""

from __future__ import annotations

import re
import shutil
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np

from kb.embedding import Embedder

GDPR_EDIT_ANCHOR = '<PARAG IDENTIFIER="022.001">'
GDPR_EDIT_WORDS = "based solely on automated processing"


class TimedEmbedder(Embedder):
    """The ingest's embedder, encoding each source's texts as one call so that each can be timed.

    Texts are told apart by the short name every embedding text starts with ("GDPR Art. 5. …",
    see ``kb.indexing.embedding_text``); the vectors come back in the order asked."""

    def __init__(self, model_name: str, short_names: dict[str, str]) -> None:
        super().__init__(model_name)
        prefixes = [(f"{short} ", source) for source, short in short_names.items()]
        self.prefixes = sorted(prefixes, key=lambda prefix: -len(prefix[0]))  # "GDPR-X " before "GDPR "
        self.calls: list[dict[str, Any]] = []

    def source_of(self, text: str) -> str:
        return next((source for prefix, source in self.prefixes if text.startswith(prefix)), "other")

    def encode_for(self, leg: int, texts: list[str]) -> np.ndarray:
        groups: dict[str, list[int]] = {}
        for i, text in enumerate(texts):
            groups.setdefault(self.source_of(text), []).append(i)
        out = np.zeros((len(texts), self.legs[leg].dimension), dtype=np.float32)
        model = self.legs[leg].model_name
        for source, rows in groups.items():
            started = time.perf_counter()
            out[rows] = super().encode_for(leg, [texts[i] for i in rows])
            seconds = time.perf_counter() - started
            chars = sum(len(texts[i]) for i in rows)
            call = {"source": source, "model": model, "texts": len(rows), "chars": chars, "seconds": round(seconds, 3)}
            self.calls.append(call)
        return out


def timed_embedder() -> TimedEmbedder:
    from kb.registry import load_registry
    from kb.settings import Settings

    settings = Settings()
    return TimedEmbedder(settings.model_name, {e.id: e.short_name for e in load_registry(settings.registry_dir)})


def full_ingest(data_dir: Path, sources_dir: Path, embedder: TimedEmbedder, only: list[str] | None = None) -> dict:
    """Ingest into the empty ``data_dir``; per source: parse+validate+store and embedding seconds."""
    from ingest.pipeline import ingest
    from kb.settings import Settings

    settings = Settings(data_dir=data_dir, sources_dir=sources_dir)
    started = time.perf_counter()
    cpu = time.process_time()
    for leg in range(len(embedder.legs)):
        embedder.encode_for(leg, ["load the model"])  # the models' load is reported on its own line
    model_load_s = time.perf_counter() - started
    embedder.calls.clear()
    report = ingest(settings, embedder, only=only)
    total = time.perf_counter() - started
    cpu = time.process_time() - cpu
    embedded: dict[str, dict] = {}  # per source, every leg's embedding summed
    for call in embedder.calls:
        total_of = embedded.setdefault(call["source"], {"texts": 0, "seconds": 0.0, "chars": 0})
        total_of["texts"] += call["texts"]
        total_of["seconds"] = round(total_of["seconds"] + call["seconds"], 3)
        total_of["chars"] += call["chars"]
    per_model: dict[str, float] = {}
    for call in embedder.calls:
        per_model[call["model"]] = round(per_model.get(call["model"], 0.0) + call["seconds"], 1)
    per_source = []
    for item in report.sources:
        embed = embedded.get(item.source_id, {"texts": 0, "seconds": 0.0, "chars": 0})
        per_source.append(
            {
                "source": item.source_id,
                "status": item.status,
                "clauses": sum(item.counts.values()),
                "parse_store_s": round(item.seconds, 2),
                "texts_embedded": embed["texts"],
                "embed_s": embed["seconds"],
                "texts_per_s": round(embed["texts"] / embed["seconds"], 1) if embed["seconds"] else None,
                "total_s": round(item.seconds + embed["seconds"], 2),
            }
        )
    embed_s = sum(c["seconds"] for c in embedder.calls)
    texts = sum(c["texts"] for c in embedder.calls)
    parse_s = sum(s.seconds for s in report.sources)
    return {
        "failed": [s.source_id for s in report.failed],
        "total_s": round(total, 1),
        "cpu_s": round(cpu, 1),  # all threads; on an idle machine wall ≈ cpu / cores while embedding
        "model_load_s": round(model_load_s, 1),
        "parse_store_s": round(parse_s, 1),
        "embed_s": round(embed_s, 1),
        "embed_s_per_model": per_model,
        "index_links_publish_s": round(total - model_load_s - parse_s - embed_s, 1),
        "texts_indexed": report.indexed,
        "texts_embedded": report.embedded,
        "embed_texts_per_s": round(texts / embed_s, 1) if embed_s else None,
        "embed_chars_per_s": round(sum(c["chars"] for c in embedder.calls) / embed_s) if embed_s else None,
        "per_source": per_source,
    }


def reingests(data_dir: Path, sources_dir: Path, work: Path, repetitions: int, embedder: Embedder) -> dict:
    """Unchanged re-ingests, then re-ingests each after editing GDPR Art. 22(1) in a corpus copy."""
    from ingest.pipeline import ingest
    from kb.registry import load_registry
    from kb.settings import Settings

    settings = Settings(data_dir=data_dir, sources_dir=sources_dir)
    embedder.encode(["load the model"])
    stale = stale_fingerprints(settings)
    unchanged = []
    for _ in range(repetitions):
        started = time.perf_counter()
        report = ingest(settings, embedder)
        unchanged.append(time.perf_counter() - started)
        if report.embedded or report.published:
            raise RuntimeError(f"an unchanged re-ingest embedded {report.embedded} texts")
    corpus = work / "corpus"
    shutil.copytree(sources_dir, corpus, dirs_exist_ok=True)
    gdpr_file = corpus / next(e for e in load_registry(settings.registry_dir) if e.id == "gdpr").files[0]
    gdpr_file.chmod(0o644)
    edited = Settings(data_dir=data_dir, sources_dir=corpus)
    changed = []
    embedded = []
    for i in range(repetitions):
        edit_one_clause(gdpr_file, f"(benchmark edit {i})")
        started = time.perf_counter()
        report = ingest(edited, embedder, only=["gdpr"])
        changed.append(time.perf_counter() - started)
        embedded.append(report.embedded)
        (gdpr,) = report.sources
        if gdpr.amended != ["gdpr:art-22(1)"]:
            raise RuntimeError(f"the edit amended {gdpr.amended}, not gdpr:art-22(1)")
    return {
        "reparsed_sources": stale,
        "unchanged_s": [round(s, 3) for s in unchanged],
        "unchanged_median_s": round(statistics.median(unchanged), 3),
        "one_clause_changed_s": [round(s, 2) for s in changed],
        "one_clause_changed_median_s": round(statistics.median(changed), 2),
        "one_clause_changed_texts_embedded": embedded,
    }


def stale_fingerprints(settings) -> list[str]:
    """Sources whose stored parser fingerprint is not the current code's: an "unchanged" re-ingest
    parses them again (and, publishing nothing when nothing changed, does not store the new one)."""
    from sqlmodel import Session, select

    from ingest.formats import parser_fingerprint
    from kb.database import open_version
    from kb.models import Source
    from kb.registry import load_registry
    from kb.store import DataDir

    parsers = {entry.id: entry.parser for entry in load_registry(settings.registry_dir)}
    data = DataDir.of(settings)
    engine = open_version(data.database, data.require_current())
    try:
        with Session(engine) as session:
            return sorted(
                source.id
                for source in session.exec(select(Source))
                if source.id in parsers and source.parser_fingerprint != parser_fingerprint(parsers[source.id])
            )
    finally:
        engine.dispose()


def edit_one_clause(path: Path, marker: str) -> None:
    """Rewrite GDPR Art. 22(1) in place to end its first sentence's key phrase with ``marker``
    (replacing any earlier marker), so each call changes that one clause."""
    data = path.read_text(encoding="utf-8")
    start = data.index(GDPR_EDIT_ANCHOR)
    end = data.index("</PARAG>", start)
    pattern = re.escape(GDPR_EDIT_WORDS) + r"(?: \(benchmark edit \d+\))?"
    paragraph = re.sub(pattern, f"{GDPR_EDIT_WORDS} {marker}", data[start:end], count=1)
    path.write_text(data[:start] + paragraph + data[end:], encoding="utf-8")
