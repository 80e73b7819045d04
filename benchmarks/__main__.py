"""``python -m benchmarks [--quick] [--out benchmarks/results]``: every section, then results.json and results.md.

The full run ingests the corpus into a fresh data directory and measures everything on it (under
30 minutes on two cores); ``--quick`` (a smoke check, under 3 minutes) copies an ingested data
directory (``--data-dir``, default ``KB_DATA_DIR``), ingests one small source fresh, and runs every
section small.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.stats import busiest_processes, distinct, load_average, machine, section_load

SECTIONS = ("ingestion", "latency", "throughput", "baselines", "scale")


@dataclass(frozen=True)
class Plan:
    latency_queries: int
    long_queries: int
    startups: int
    map_reps: int
    throughput_seconds: float
    clients: tuple[int, ...]
    workers: tuple[int, ...]
    baseline_queries: int
    scale_sizes: tuple[int, ...]
    hnsw_sizes: tuple[int, ...]
    bm25_sizes: tuple[int, ...]
    scale_queries: int
    reingest_reps: int
    ingest_only: tuple[str, ...]  # empty: every source


FULL = Plan(
    latency_queries=200,
    long_queries=50,
    startups=5,
    map_reps=50,
    throughput_seconds=20.0,
    clients=(1, 8, 32),
    workers=(1, 2),
    baseline_queries=300,
    scale_sizes=(10_000, 100_000, 1_000_000),
    hnsw_sizes=(100_000,),
    bm25_sizes=(100_000, 1_000_000),
    scale_queries=200,
    reingest_reps=3,
    ingest_only=(),
)
QUICK = Plan(
    latency_queries=30,
    long_queries=5,
    startups=1,
    map_reps=10,
    throughput_seconds=3.0,
    clients=(1, 8, 32),
    workers=(1, 2),
    baseline_queries=30,
    scale_sizes=(10_000,),
    hnsw_sizes=(),
    bm25_sizes=(10_000,),
    scale_queries=50,
    reingest_reps=1,
    ingest_only=("oecd",),
)


def main(argv: list[str] | None = None) -> int:
    from kb.settings import Settings

    defaults = Settings()
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small smoke run (under 3 minutes)")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"), help="where results.* go")
    parser.add_argument("--data-dir", type=Path, default=defaults.data_dir, help="an ingested data dir (--quick)")
    parser.add_argument("--sources-dir", type=Path, default=defaults.sources_dir, help="the official documents")
    parser.add_argument("--eval-file", type=Path, default=defaults.sources_dir.parent / "eval" / "dev.jsonl")
    parser.add_argument("--sections", default=",".join(SECTIONS), help=f"comma-separated subset of {SECTIONS}")
    args = parser.parse_args(argv)
    sections = [s for s in args.sections.split(",") if s]
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown section(s) {sorted(unknown)}; choose from {SECTIONS}")
    plan = QUICK if args.quick else FULL
    results = run(plan, args, sections)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    from benchmarks.report import markdown

    (args.out / "results.md").write_text(markdown(results))
    print(f"wrote {args.out / 'results.json'} and {args.out / 'results.md'} in {results['total_seconds']:.0f} s")
    return 0


def run(plan: Plan, args: argparse.Namespace, sections: list[str]) -> dict:
    from benchmarks.corpus import short_query
    from benchmarks.report import targets
    from kb.database import version_database
    from kb.embedding import Embedder
    from kb.evaluation import load_queries
    from kb.settings import Settings

    started = time.perf_counter()
    results: dict = {
        "quick": plan is QUICK,
        "started": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "database": version_database(Settings()).describe_backend(),
        "load_start": load_average(),
        "other_processes": busiest_processes(),
        "plan": plan.__dict__,
    }
    work = Path(tempfile.mkdtemp(prefix="kb-bench-"))
    data_dir = work / "data"
    try:
        records = load_queries(args.eval_file)
        pool = distinct(short_query(r.query) for r in records)
        random.Random(0).shuffle(pool)  # a fixed random order across the whole file, all its sources
        sets = _query_sets(plan, pool, distinct(r.query for r in records))

        if "ingestion" in sections:
            results["ingestion"] = _ingestion(plan, args, work, data_dir)
        if not data_dir.exists():
            _log(f"copying {args.data_dir}")
            shutil.copytree(args.data_dir, data_dir)
        settings = Settings(data_dir=data_dir)
        query_embedder = Embedder(settings.model_name, threads=settings.query_threads)
        if "latency" in sections:
            _log("latency")
            from benchmarks import latency

            with section_load(record := {}):
                record |= latency.measure(data_dir, sets, plan.startups, query_embedder)
            results["latency"] = record
        if "throughput" in sections:
            _log("throughput")
            from benchmarks import throughput

            with section_load(record := {}):
                record |= throughput.measure(data_dir, pool, plan.workers, plan.clients, plan.throughput_seconds)
            results["throughput"] = record
        if "baselines" in sections:
            _log("baselines")
            from benchmarks import baselines

            with section_load(record := {}):
                record |= baselines.measure(data_dir, args.eval_file, plan.baseline_queries, 0, query_embedder)
            results["baselines"] = record
        if "scale" in sections:
            _log("scale")
            from benchmarks import scale

            with section_load(record := {}):
                record |= scale.measure(
                    data_dir,
                    plan.scale_sizes,
                    plan.scale_queries,
                    plan.hnsw_sizes,
                    plan.bm25_sizes,
                    pool[: plan.scale_queries],  # encoded in one batch there: no cache involved
                    query_embedder,
                )
            results["scale"] = record
    finally:
        shutil.rmtree(work, ignore_errors=True)
    results["load_end"] = load_average()
    results["total_seconds"] = round(time.perf_counter() - started, 1)
    results["targets"] = targets(results)
    return results


def _ingestion(plan: Plan, args: argparse.Namespace, work: Path, data_dir: Path) -> dict:
    from benchmarks import ingestion

    embedder = ingestion.timed_embedder()
    record: dict = {}
    with section_load(record):
        if plan.ingest_only:
            _log(f"ingestion: fresh ingest of {', '.join(plan.ingest_only)}")
            full = ingestion.full_ingest(work / "fresh", args.sources_dir, embedder, list(plan.ingest_only))
            record["full"] = full | {"partial": True, "only": list(plan.ingest_only)}
            shutil.copytree(args.data_dir, data_dir)
        else:
            _log("ingestion: full ingest into a fresh data directory")
            record["full"] = ingestion.full_ingest(data_dir, args.sources_dir, embedder)
            if record["full"]["failed"]:
                raise RuntimeError(f"sources failed to ingest: {record['full']['failed']}")
        _log("ingestion: re-ingests")
        copy = work / "data-reingest"
        shutil.copytree(data_dir, copy)
        record["reingest"] = ingestion.reingests(copy, args.sources_dir, work, plan.reingest_reps, embedder)
        shutil.rmtree(copy, ignore_errors=True)
    return record


def _query_sets(plan: Plan, pool: list[str], long_pool: list[str]):
    """Consecutive, disjoint slices of the shuffled pool of distinct short queries (see
    ``benchmarks.latency.QuerySets``), and whole descriptions for the long ones."""
    from benchmarks.latency import QuerySets

    sizes = {"short": plan.latency_queries, "dense": plan.latency_queries, "maps": plan.map_reps}
    sizes["cold"] = 2 * plan.startups + 15
    if sum(sizes.values()) > len(pool):
        raise ValueError(f"{sum(sizes.values())} distinct queries needed, the evaluation file has {len(pool)}")
    slices, start = {}, 0
    for name, size in sizes.items():
        slices[name], start = pool[start : start + size], start + size
    long_pool = list(long_pool)
    random.Random(1).shuffle(long_pool)
    return QuerySets(long=long_pool[: plan.long_queries], **slices)


def _log(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
