"""Small pure helpers shared by every section: latency summaries, recall against exact search,
and what the machine was and how busy it was while a figure was taken."""

from __future__ import annotations

import os
import platform
import subprocess
import time
from collections.abc import Callable, Iterable, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np


def summarise(seconds: Sequence[float]) -> dict[str, float | int]:
    """Median, p95, p99, mean and max in milliseconds, and the number of samples.

    Percentiles use the nearest-rank definition (the value at rank ⌈p·n⌉), so p99 of fewer than
    100 samples is the maximum, never an interpolation between two samples."""
    if not seconds:
        return {"n": 0, "median_ms": float("nan"), "p95_ms": float("nan"), "p99_ms": float("nan")}
    ms = np.sort(np.asarray(seconds, dtype=np.float64) * 1000.0)
    return {
        "n": int(ms.size),
        "median_ms": round(float(np.median(ms)), 3),
        "p95_ms": round(nearest_rank(ms, 95), 3),
        "p99_ms": round(nearest_rank(ms, 99), 3),
        "mean_ms": round(float(ms.mean()), 3),
        "max_ms": round(float(ms[-1]), 3),
    }


def nearest_rank(sorted_values: np.ndarray, percentile: float) -> float:
    """The nearest-rank percentile of an ascending array."""
    if sorted_values.size == 0:
        return float("nan")
    rank = max(1, int(np.ceil(percentile / 100.0 * sorted_values.size)))
    return float(sorted_values[rank - 1])


def time_calls(call: Callable[[Any], Any], inputs: Iterable[Any]) -> list[float]:
    """Wall seconds of ``call(x)`` for each input, one after another."""
    out = []
    for item in inputs:
        started = time.perf_counter()
        call(item)
        out.append(time.perf_counter() - started)
    return out


def time_calls_cpu(call: Callable[[Any], Any], inputs: Iterable[Any]) -> dict[str, float | int]:
    """``summarise`` of the wall times of ``call(x)``, plus the CPU milliseconds this process spent
    per call (all its threads): unlike wall time, barely moved by other processes' load."""
    cpu = time.process_time()
    walls = time_calls(call, inputs)
    per_call = (time.process_time() - cpu) / len(walls) * 1000.0 if walls else float("nan")
    return summarise(walls) | {"cpu_ms_per_call": round(per_call, 2)}


def forget_cached_queries(embedder: Any) -> None:
    """Empty the embedder's cache of query vectors, where it has one (``Embedder.encode_query``), so
    that a timed phase pays for embedding its queries as a new query does."""
    cached = getattr(type(embedder), "_cached_query", None)
    if cached is not None and hasattr(cached, "cache_clear"):
        cached.cache_clear()


def distinct(items: Iterable[str]) -> list[str]:
    """The items once each, in first-seen order."""
    return list(dict.fromkeys(items))


def recall_at_k(approximate: Sequence[Sequence[int]], exact: Sequence[Sequence[int]], k: int = 10) -> float:
    """Mean share of each query's exact top-``k`` rows that the approximate top-``k`` also returns."""
    if len(approximate) != len(exact):
        raise ValueError("one approximate ranking per exact ranking is required")
    if not exact:
        return float("nan")
    shares = []
    for found, truth in zip(approximate, exact, strict=True):
        wanted = set(list(truth)[:k])
        shares.append(len(wanted & set(list(found)[:k])) / len(wanted) if wanted else 1.0)
    return float(np.mean(shares))


def exact_top_k(vectors: np.ndarray, queries: np.ndarray, k: int, block: int = 65_536) -> np.ndarray:
    """Exact inner-product top-``k`` row ids per query (best first), in row blocks to bound memory."""
    best_scores = np.full((len(queries), 0), -np.inf, dtype=np.float32)
    best_rows = np.zeros((len(queries), 0), dtype=np.int64)
    for start in range(0, len(vectors), block):
        scores = queries @ vectors[start : start + block].T
        take = min(k, scores.shape[1])
        part = np.argpartition(-scores, take - 1, axis=1)[:, :take]
        best_scores = np.concatenate([best_scores, np.take_along_axis(scores, part, axis=1)], axis=1)
        best_rows = np.concatenate([best_rows, part + start], axis=1)
        if best_scores.shape[1] > k:
            keep = np.argpartition(-best_scores, k - 1, axis=1)[:, :k]
            best_scores = np.take_along_axis(best_scores, keep, axis=1)
            best_rows = np.take_along_axis(best_rows, keep, axis=1)
    order = np.lexsort((best_rows, -best_scores), axis=1) if best_rows.size else best_rows
    return np.take_along_axis(best_rows, order, axis=1)


def machine() -> dict[str, Any]:
    """CPU model, cores, RAM, OS and library versions: what a reader needs to compare figures."""
    info: dict[str, Any] = {
        "cpu_model": _cpu_model(),
        "cores": os.cpu_count(),
        "ram_gib": round(_meminfo_kib("MemTotal") / 1024**2, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
    }
    for name in ("numpy", "faiss", "torch", "sentence_transformers", "bm25s", "uvicorn", "fastapi"):
        try:
            module = __import__(name)
            info[f"{name}_version"] = getattr(module, "__version__", "?")
        except ImportError:
            info[f"{name}_version"] = None
    return info


def load_average() -> list[float]:
    """The 1, 5 and 15 minute load averages (runnable processes; 2.0 saturates two cores)."""
    return [round(x, 2) for x in os.getloadavg()]


def busiest_processes(limit: int = 5) -> list[str]:
    """The other processes using the CPU right now (what the load average is made of)."""
    try:
        out = subprocess.run(
            ["ps", "-eo", "pcpu,comm,args", "--sort=-pcpu", "--no-headers"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    own = str(os.getpid())
    rows = [line.strip()[:120] for line in out.splitlines() if own not in line.split()[:2]]
    return rows[:limit]


def rss_bytes() -> int:
    """This process's resident set size now."""
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@contextmanager
def section_load(record: dict[str, Any]) -> Any:
    """Record the load average before and after a block, and how long the block took."""
    record["load_before"] = load_average()
    started = time.perf_counter()
    try:
        yield record
    finally:
        record["load_after"] = load_average()
        record["section_seconds"] = round(time.perf_counter() - started, 1)


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _meminfo_kib(field: str) -> int:
    try:
        with open("/proc/meminfo") as handle:
            for line in handle:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0
