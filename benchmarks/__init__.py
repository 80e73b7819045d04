"""Benchmarks: latency, throughput, ingestion, scale to a million clauses, and baselines.

Run with ``python -m benchmarks [--quick] [--out benchmarks/results]``; it writes ``results.json``
(every figure, with the machine and its load) and ``results.md`` (the tables). Not part of the test
run: ``tests/test_benchmarks.py`` only checks the harness's pure pieces on tiny inputs.
"""
