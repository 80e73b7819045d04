"""Search latency beside its floor, the query embedding: ``python scripts/search_latency.py [DATA_DIR]``.

In process, one query thread (as the server encodes), on an ingested data directory with the
configured ``KB_MODEL_NAME``: 150 short distinct queries cut from dev.jsonl (as the benchmarks cut
them) and the Japanese questions of tests/eval/questions.jsonl, each searched once (k=10). The floor
is the time to embed the same queries with every leg that search would use, measured first on a
fresh embedder; the ratio says what search adds to it.
"""

from __future__ import annotations

import json
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.corpus import short_query  # noqa: E402
from kb.embedding import Embedder  # noqa: E402
from kb.search import reading_legs  # noqa: E402
from kb.service import ClauseMap  # noqa: E402
from kb.settings import Settings  # noqa: E402


def _median_ms(call, items) -> float:
    times = []
    for item in items:
        started = time.perf_counter()
        call(item)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main(data_dir: str | None = None) -> None:
    settings = Settings(**({"data_dir": Path(data_dir)} if data_dir else {}))
    dev = [json.loads(line) for line in (settings.sources_dir.parent / "eval" / "dev.jsonl").open(encoding="utf-8")]
    english = list(dict.fromkeys(short_query(record["query"]) for record in dev))
    random.Random(0).shuffle(english)
    questions = (ROOT / "tests" / "eval" / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    japanese = [r["query"] for r in map(json.loads, questions) if r["lang"] == "ja"]
    floor_embedder = Embedder(settings.model_name, threads=settings.query_threads)
    service = ClauseMap(settings, Embedder(settings.model_name, threads=settings.query_threads))
    service.warm_up()
    for leg in floor_embedder.legs:
        leg.encode_queries(["warm up"])
    service.search("warm up", k=10)
    print(f"{settings.model_name}, version {service.kb().version}")
    for name, queries in (("English, short", english[:150]), ("Japanese", japanese)):
        floor = _median_ms(
            lambda q: [floor_embedder.legs[leg].encode_queries([q]) for leg in reading_legs(floor_embedder, q)],
            queries,
        )
        searched = _median_ms(lambda q: service.search(q, k=10), queries)
        ratio = f"{searched / floor:.1f}x" if floor > 0.5 else "no embedding (lexical only)"
        print(f"  {name} ({len(queries)}): embedding median {floor:.1f} ms, search median {searched:.1f} ms, {ratio}")


if __name__ == "__main__":
    main(*sys.argv[1:2])
