"""(a) Query latency: search (k=10) and map, in-process and over HTTP, cold and warm; start-up time
of ``kb serve``; the query-embedding cost alone (the floor) and our latency as a multiple of it.

The embedder caches the vectors of recent queries (``Embedder.encode_query``), so every timed phase
uses queries its process has not seen (disjoint ``QuerySets``; in-process the cache is also
emptied between phases) and a repeated query is timed on its own row."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from benchmarks import servers
from benchmarks.stats import forget_cached_queries, summarise, time_calls, time_calls_cpu


@dataclass(frozen=True)
class QuerySets:
    """Disjoint sets of short queries, so that no timed phase meets a cached query vector."""

    short: list[str]  # the floor, search, lexical search, and GET /v1/search (another process)
    dense: list[str]  # dense-only search in-process; the server's own took_ms
    maps: list[str]  # map in-process and POST /v1/map
    cold: list[str]  # first queries after a start
    long: list[str]  # whole case descriptions


def measure(data_dir: Path, sets: QuerySets, startups: int, embedder=None) -> dict:
    """Every latency figure on the knowledge base in ``data_dir`` (left unchanged but for stored mappings)."""
    out: dict[str, Any] = {"queries": len(sets.short), "long_queries": len(sets.long), "map_queries": len(sets.maps)}
    out["in_process_cold"] = [_cold_in_process(data_dir, sets.cold[-1 - i]) for i in range(min(startups, 3))]
    out["in_process"] = _warm_in_process(data_dir, sets, embedder)
    out["http"] = _http(data_dir, sets, startups)
    floor = out["in_process"]["embed_short"]["median_ms"]
    floor_long = out["in_process"]["embed_long"]["median_ms"]
    out["multiple_of_embedding"] = {
        "search_in_process": _ratio(out["in_process"]["search_short"]["median_ms"], floor),
        "search_in_process_long": _ratio(out["in_process"]["search_long"]["median_ms"], floor_long),
        "search_http": _ratio(out["http"]["search_warm"]["median_ms"], floor),
        "map_in_process": _ratio(out["in_process"]["map"]["median_ms"], floor),
        "map_http": _ratio(out["http"]["map_warm"]["median_ms"], floor),
    }
    return out


def _ratio(a: float, b: float) -> float:
    return round(a / b, 2) if b else float("nan")


def _warm_in_process(data_dir: Path, sets: QuerySets, embedder=None) -> dict:
    """``ClauseMap`` as the API holds it (``embedder``: one configured as ``ClauseMap`` would, shared to
    load the model once per run)."""
    from kb.mapping import MapRequest
    from kb.service import ClauseMap
    from kb.settings import Settings

    service = ClauseMap(Settings(data_dir=data_dir), embedder)
    started = time.perf_counter()
    service.warm_up()
    warm_up_s = time.perf_counter() - started
    embed = service.embedder.encode  # never cached
    started = time.perf_counter()
    service.map(MapRequest(sets.cold[0]))  # first map: computes the theme vectors once
    first_map_s = time.perf_counter() - started
    for query in sets.cold[1:6]:  # settle the other caches (filter masks, tokenizer) before timing
        service.search(query, 10)

    def phase(call, queries: list[str]) -> dict:
        forget_cached_queries(service.embedder)
        return time_calls_cpu(call, queries)

    out = {
        "warm_up_seconds": round(warm_up_s, 3),
        "first_map_seconds": round(first_map_s, 3),
        "embed_short": phase(lambda q: embed([q]), sets.short),
        "embed_long": phase(lambda q: embed([q]), sets.long),
        "search_short": phase(lambda q: service.search(q, 10), sets.short),
        "search_long": phase(lambda q: service.search(q, 10), sets.long),
        "search_dense_only": phase(lambda q: service.search(q, 10, method="dense"), sets.dense),
        "search_lexical_only": phase(lambda q: service.search(q, 10, method="lexical"), sets.short),
        "map": phase(lambda q: service.map(MapRequest(q)), sets.maps),
    }
    repeated = sets.short[: max(1, len(sets.short) // 4)]
    forget_cached_queries(service.embedder)
    for query in repeated:
        service.search(query, 10)
    out["search_repeated"] = time_calls_cpu(lambda q: service.search(q, 10), repeated)  # vectors cached
    return out


def _cold_in_process(data_dir: Path, query: str) -> dict:
    """A fresh interpreter: import, open the knowledge base, load the model, first and second search."""
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.cold", str(data_dir), query],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def _http(data_dir: Path, sets: QuerySets, startups: int) -> dict:
    startup_s: list[float] = []
    first_search_s: list[float] = []
    first_map_s: list[float] = []
    server = None
    try:
        for i in range(startups):
            server = servers.start(data_dir)
            startup_s.append(server.startup_seconds)
            search_query, map_query = sets.cold[2 * i], sets.cold[2 * i + 1]
            with httpx.Client(base_url=server.base, timeout=60) as client:
                first_search_s.append(_timed(lambda c=client, q=search_query: _search(c, q)))
                first_map_s.append(_timed(lambda c=client, q=map_query: _map(c, q)))
            if i < startups - 1:
                server.stop()
                server = None
        with httpx.Client(base_url=server.base, timeout=60) as client:
            for query in sets.cold[2 * startups : 2 * startups + 5]:
                _search(client, query)
            cpu = server.cpu_seconds()
            search_warm = time_calls(lambda q: _search(client, q), sets.short)
            search_cpu = (server.cpu_seconds() - cpu) / len(sets.short) * 1000
            cpu = server.cpu_seconds()
            map_warm = time_calls(lambda q: _map(client, q), sets.maps)
            map_cpu = (server.cpu_seconds() - cpu) / len(sets.maps) * 1000
            took = [client.get("/v1/search", params={"q": q, "k": 10}).json()["took_ms"] for q in sets.dense[:50]]
    finally:
        if server is not None:
            server.stop()
    return {
        "startup": summarise(startup_s),
        "search_cold": summarise(first_search_s),
        "map_cold": summarise(first_map_s),
        "search_warm": summarise(search_warm) | {"server_cpu_ms_per_request": round(search_cpu, 2)},
        "map_warm": summarise(map_warm) | {"server_cpu_ms_per_request": round(map_cpu, 2)},
        "search_server_took_ms_median": round(sorted(took)[len(took) // 2], 2),
    }


def _timed(call) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def _search(client: httpx.Client, query: str) -> None:
    response = client.get("/v1/search", params={"q": query, "k": 10})
    if response.status_code != 200:
        raise RuntimeError(f"/v1/search answered {response.status_code}: {response.text[:300]}")


def _map(client: httpx.Client, query: str) -> None:
    response = client.post("/v1/map", json={"description": query})
    if response.status_code != 200:
        raise RuntimeError(f"/v1/map answered {response.status_code}: {response.text[:300]}")
