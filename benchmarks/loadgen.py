"""A load generator in its own process: ``python -m benchmarks.loadgen URL QUERIES_FILE -c 8 -d 20``.

``c`` clients (asyncio tasks sharing one HTTP/1.1 connection pool of ``c`` keep-alive connections)
each send ``GET /v1/search?q=…&k=10`` and wait for the answer before sending the next (closed
loop), cycling through the queries, for ``d`` seconds after a short warm-up. Prints one JSON
object: requests, errors, requests/s, latency percentiles, and the CPU this generator itself used
(on a two-core machine it competes with the server it measures).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import resource
import time
from pathlib import Path

import httpx

from benchmarks.stats import summarise


async def drive(url: str, queries: list[str], clients: int, seconds: float, warm_up: float, start: int = 0) -> dict:
    """Queries are sent in order from ``start``, wrapping around: with more distinct queries than the
    server's query-vector cache holds (512), a query is never a cache hit."""
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    counter = itertools.count(start)
    latencies: list[float] = []
    errors: dict[str, int] = {}
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as client:

        async def one_client(until: float, record: bool) -> None:
            while time.perf_counter() < until:
                query = queries[next(counter) % len(queries)]
                started = time.perf_counter()
                try:
                    response = await client.get("/v1/search", params={"q": query, "k": 10})
                    error = None if response.status_code == 200 else f"http {response.status_code}"
                except httpx.HTTPError as exc:
                    error = type(exc).__name__
                if record:
                    if error:
                        errors[error] = errors.get(error, 0) + 1
                    else:
                        latencies.append(time.perf_counter() - started)

        if warm_up > 0:
            await asyncio.gather(*(one_client(time.perf_counter() + warm_up, False) for _ in range(clients)))
        cpu_before = _cpu_seconds()
        started = time.perf_counter()
        await asyncio.gather(*(one_client(started + seconds, True) for _ in range(clients)))
        elapsed = time.perf_counter() - started
        cpu = _cpu_seconds() - cpu_before
    done = len(latencies)
    return {
        "clients": clients,
        "seconds": round(elapsed, 2),
        "requests": done,
        "errors": sum(errors.values()),
        "error_kinds": errors,
        "requests_per_s": round(done / elapsed, 1) if elapsed else 0.0,
        "latency": summarise(latencies),
        "generator_cpu_share": round(cpu / elapsed, 3) if elapsed else 0.0,  # of one core
        "sent": next(counter) - start,  # every request issued, warm-up included: where the next run starts
    }


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("queries", type=Path, help="JSON list of query strings")
    parser.add_argument("-c", "--clients", type=int, default=1)
    parser.add_argument("-d", "--duration", type=float, default=20.0)
    parser.add_argument("-w", "--warm-up", type=float, default=1.0)
    parser.add_argument("-s", "--start", type=int, default=0, help="position in the query list to start at")
    args = parser.parse_args()
    queries = json.loads(args.queries.read_text())
    print(json.dumps(asyncio.run(drive(args.url, queries, args.clients, args.duration, args.warm_up, args.start))))


if __name__ == "__main__":
    main()
