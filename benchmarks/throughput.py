"""(b) Throughput: a separate load-generator process drives ``/v1/search`` over loopback with 1, 8
and 32 concurrent clients against ``kb serve`` with 1 and 2 uvicorn workers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks import servers
from benchmarks.stats import load_average

REPO_ROOT = Path(__file__).resolve().parent.parent


def measure(
    data_dir: Path, queries: list[str], workers: tuple[int, ...], clients: tuple[int, ...], seconds: float
) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(queries, handle)
    runs = []
    for count in workers:
        server = servers.start(data_dir, workers=count)
        position = 0  # each run goes on where the last stopped: no query repeats within the cache's reach
        try:
            for c in clients:
                load = load_average()
                cpu = server.cpu_seconds()
                result = _generate(server.base, Path(handle.name), c, seconds, position)
                position += result["sent"]
                cpu = server.cpu_seconds() - cpu  # includes the warm-up's requests: an upper bound
                per_request = cpu / result["requests"] * 1000 if result["requests"] else float("nan")
                runs.append(
                    {
                        "workers": count,
                        **result,
                        "load_before": load,
                        "server_cpu_ms_per_request": round(per_request, 2),
                        "server_cpu_share": round(cpu / result["seconds"], 2),  # cores busy serving
                    }
                )
        finally:
            server.stop()
    return {"seconds_per_run": seconds, "cores": os.cpu_count(), "distinct_queries": len(queries), "runs": runs}


def _generate(base: str, queries_file: Path, clients: int, seconds: float, start: int) -> dict:
    warm_up = min(2.0, seconds / 4)
    command = [sys.executable, "-m", "benchmarks.loadgen", base, str(queries_file), "-c", str(clients)]
    done = subprocess.run(
        [*command, "-d", str(seconds), "-w", str(warm_up), "-s", str(start)],
        capture_output=True,
        text=True,
        timeout=seconds + warm_up + 120,
        check=True,
        cwd=REPO_ROOT,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])
