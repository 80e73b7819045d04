"""``results.md``: the figures of ``results.json`` as Markdown tables, targets first."""

from __future__ import annotations

from typing import Any

GIB = 1024


def markdown(results: dict[str, Any]) -> str:
    parts = [_header(results), _targets(results)]
    for name, render in (
        ("latency", _latency),
        ("throughput", _throughput),
        ("ingestion", _ingestion),
        ("scale", _scale),
        ("baselines", _baselines),
    ):
        if name in results:
            parts.append(render(results[name]))
    return "\n\n".join(p for p in parts if p) + "\n"


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target with its measured value and whether it was met (None: not measured in this run)."""
    rows: list[dict[str, Any]] = []

    def add(what: str, value: float | None, limit: float, unit: str, at_least: bool = False) -> None:
        met = None if value is None else (value >= limit if at_least else value <= limit)
        rows.append({"target": what, "value": value, "limit": limit, "unit": unit, "met": met})

    http = _get(results, "latency", "http") or {}
    add("/v1/search k=10 over HTTP, 1 client: median", _get(http, "search_warm", "median_ms"), 20, "ms")
    add("/v1/search k=10 over HTTP, 1 client: p99", _get(http, "search_warm", "p99_ms"), 60, "ms")
    run = next((r for r in _get(results, "throughput", "runs") or [] if r["workers"] == 2 and r["clients"] == 8), None)
    add("/v1/search, 8 clients, 2 workers: requests/s", run and run["requests_per_s"], 100, "req/s", at_least=True)
    add("/v1/search, 8 clients, 2 workers: errors", run and run["errors"], 0, "")
    add("/v1/map over HTTP: median", _get(http, "map_warm", "median_ms"), 60, "ms")
    full = _get(results, "ingestion", "full")
    add("full ingest, fresh data dir", full["total_s"] if full and not full.get("partial") else None, 180, "s")
    add("unchanged re-ingest", _get(results, "ingestion", "reingest", "unchanged_median_s"), 10, "s")
    million = next((r for r in _get(results, "scale", "runs") or [] if r.get("n") == 1_000_000), None)
    add("1M: recall@10 vs exact", million and million.get("recall_at_10"), 0.95, "", at_least=True)
    add("1M: vector search median (k=10)", _get(million or {}, "search_k10", "median_ms"), 30, "ms")
    add("1M: index size", million and million.get("index_file_mib"), 2 * GIB, "MiB")
    return rows


def _get(data: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def _header(results: dict[str, Any]) -> str:
    m = results["machine"]
    lines = [
        f"# clausemap benchmarks ({'quick' if results['quick'] else 'full'} run, {results['started']})",
        "",
        f"Machine: {m['cpu_model']}, {m['cores']} cores, {m['ram_gib']} GiB RAM; {m['os']}; Python {m['python']}, "
        f"torch {m.get('torch_version')}, faiss {m.get('faiss_version')}, numpy {m.get('numpy_version')}. "
        f"Clause store: {results.get('database', 'SQLite')}.",
        f"Load average (1/5/15 min) at start {results['load_start']}, at end {results['load_end']}; "
        f"whole run {results['total_seconds']:.0f} s. Other processes at start:",
        "",
        *[f"    {p}" for p in results.get("other_processes", [])],
    ]
    return "\n".join(lines)


def _targets(results: dict[str, Any]) -> str:
    rows = ["## Targets", "", "| target | limit | measured | met |", "|---|---|---|---|"]
    for t in results.get("targets", []):
        sign = "≥" if t["target"].endswith("requests/s") or "recall" in t["target"] else "≤"
        value = "not measured" if t["value"] is None else f"{_fmt(t['value'])} {t['unit']}".strip()
        met = {True: "yes", False: "**no**", None: "–"}[t["met"]]
        rows.append(f"| {t['target']} | {sign} {_fmt(t['limit'])} {t['unit']} | {value} | {met} |")
    return "\n".join(rows)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.3f}".rstrip("0").rstrip(".") if abs(value) < 10 else f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _latency_row(name: str, s: dict | None, floor: float | None = None, unit_s: bool = False) -> str:
    if not s or not s.get("n"):
        return f"| {name} | – | – | – | – | – |"
    scale = 1000.0 if unit_s else 1.0
    multiple = f"{s['median_ms'] / floor:.1f}×" if floor else ""
    median, p99 = s["median_ms"] / scale, s["p99_ms"] / scale
    unit = " s" if unit_s else ""
    cpu = s.get("cpu_ms_per_call", s.get("server_cpu_ms_per_request"))
    cpu = "" if cpu is None else _fmt(cpu)
    return f"| {name} | {s['n']} | {_fmt(median)}{unit} | {_fmt(p99)}{unit} | {multiple} | {cpu} |"


def _latency(data: dict[str, Any]) -> str:
    ip, http = data["in_process"], data["http"]
    floor, floor_long = ip["embed_short"]["median_ms"], ip["embed_long"]["median_ms"]
    rows = [
        "## (a) Latency",
        "",
        f"Short queries: the first 25 words of {data['queries']} evaluation records; "
        f"long: {data['long_queries']} whole "
        "records (truncated by the model at 256 tokens). Each timed phase uses queries its process has not seen "
        "(the embedder caches recent query vectors), except the row that times a repeated query. "
        "In-process is `ClauseMap` as the API holds it; HTTP is a "
        "real `kb serve` on 127.0.0.1, one keep-alive client, client-side time. Median and p99 (nearest rank: the "
        "maximum under 100 samples); ×: median as a multiple of embedding the query alone; CPU: milliseconds of "
        "CPU per call (in-process: this process; HTTP: the server's), which the other processes' load barely moves.",
        "",
        "| what | n | median ms | p99 ms | × embedding | CPU ms |",
        "|---|---|---|---|---|---|",
        _latency_row("embed one short query (the floor)", ip["embed_short"], floor),
        _latency_row("embed one long query", ip["embed_long"], floor_long),
        _latency_row("search k=10, in-process, warm", ip["search_short"], floor),
        _latency_row("search k=10, in-process, long query", ip["search_long"], floor_long),
        _latency_row("search k=10, dense only, in-process", ip["search_dense_only"], floor),
        _latency_row("search k=10, in-process, repeated query (vector cached)", ip.get("search_repeated"), floor),
        _latency_row("search k=10, lexical only, in-process", ip["search_lexical_only"], floor),
        _latency_row("map, in-process, warm", ip["map"], floor),
        _latency_row("GET /v1/search k=10, warm", http["search_warm"], floor),
        _latency_row("POST /v1/map, warm", http["map_warm"], floor),
        _latency_row("GET /v1/search, first query after start", http["search_cold"], floor),
        _latency_row("POST /v1/map, first after start", http["map_cold"], floor),
        _latency_row("`kb serve` start until /healthz 200", http["startup"], unit_s=True),
        "",
        f"Server-side `took_ms` of /v1/search (median): {http['search_server_took_ms_median']} ms. "
        f"In-process `warm_up()` (open the knowledge base, load the model): {ip['warm_up_seconds']} s; "
        f"first map (computes the theme vectors): {ip['first_map_seconds']} s.",
    ]
    if data.get("in_process_cold"):
        rows += ["", "Cold in a fresh interpreter (import, open, load the model on the first search):", ""]
        rows += ["| import s | open kb s | first search s | second search s | to first result s |"]
        rows += ["|---|---|---|---|---|"]
        for c in data["in_process_cold"]:
            rows.append(
                f"| {c['import_s']} | {c['open_kb_s']} | {c['first_search_s']} | {c['second_search_s']} "
                f"| {c['total_to_first_result_s']} |"
            )
    return "\n".join(rows)


def _throughput(data: dict[str, Any]) -> str:
    rows = [
        "## (b) Throughput",
        "",
        f"A separate asyncio + httpx process drives GET /v1/search?k=10 (closed loop, cycling through "
        f"{data.get('distinct_queries')} distinct short queries, more than the server caches: no query repeats) for "
        f"{data['seconds_per_run']} s per run after a warm-up. Generator CPU: share of one core the load generator "
        "itself used (it shares the two cores with the server). Server CPU: CPU ms the server spent per request "
        "and cores it kept busy; ceiling: the requests/s that CPU cost allows on an otherwise idle machine "
        "(min(workers, cores) × 1000 / CPU ms).",
        "",
        "| workers | clients | req/s | p50 ms | p95 ms | p99 ms | errors | requests | server CPU ms/req "
        "| server cores busy | ceiling req/s | generator CPU | load avg |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    cores = data.get("cores") or 2
    for r in data["runs"]:
        lat = r["latency"]
        cpu = r.get("server_cpu_ms_per_request")
        ceiling = round(min(r["workers"], cores) * 1000 / cpu, 1) if cpu else "–"
        rows.append(
            f"| {r['workers']} | {r['clients']} | {r['requests_per_s']} | {_ms(lat)} | {_ms(lat, 'p95_ms')} "
            f"| {_ms(lat, 'p99_ms')} | {r['errors']} | {r['requests']} | {cpu} | {r.get('server_cpu_share')} "
            f"| {ceiling} | {r['generator_cpu_share']} | {r['load_before'][0]} |"
        )
    return "\n".join(rows)


def _ingestion(data: dict[str, Any]) -> str:
    rows = ["## (c) Ingestion", ""]
    full = data.get("full")
    if full:
        scope = "only " + ", ".join(full["only"]) + " (quick run)" if full.get("partial") else "every source"
        rows += [
            f"Fresh data directory, {scope}. Embedding: each source's texts encoded in one call, timed.",
            "",
            "| source | status | clauses | parse+validate+store s | texts embedded | embed s | texts/s | total s |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for s in full["per_source"]:
            rows.append(
                f"| {s['source']} | {s['status']} | {s['clauses']} | {s['parse_store_s']} | {s['texts_embedded']} "
                f"| {s['embed_s']} | {s['texts_per_s'] or '–'} | {s['total_s']} |"
            )
        rows += [
            "",
            f"Total {full['total_s']} s wall, {full.get('cpu_s')} s CPU = model load {full['model_load_s']} s "
            "+ parse/validate/store "
            f"{full['parse_store_s']} s + embedding {full['embed_s']} s ({full['texts_embedded']} texts, "
            f"{full['embed_texts_per_s']} texts/s, {full['embed_chars_per_s']} chars/s) + index, recital links "
            f"and publish {full['index_links_publish_s']} s; {full['texts_indexed']} texts indexed.",
        ]
    again = data.get("reingest")
    if again:
        rows += [
            "",
            f"Unchanged re-ingest: median {again['unchanged_median_s']} s (runs: {again['unchanged_s']}; sources "
            f"parsed again because their parser code changed since they were stored: "
            f"{', '.join(again.get('reparsed_sources') or []) or 'none'}). "
            f"One clause changed (GDPR Art. 22(1) edited in a copy of the corpus, `--source gdpr`): median "
            f"{again['one_clause_changed_median_s']} s (runs: {again['one_clause_changed_s']}; texts embedded: "
            f"{again['one_clause_changed_texts_embedded']}).",
        ]
    return "\n".join(rows)


def _ms(summary: dict | None, key: str = "median_ms") -> str:
    return "–" if not summary or not summary.get("n") else _fmt(summary[key])


def _scale(data: dict[str, Any]) -> str:
    runs = [r for r in data["runs"] if "error" not in r]
    noise = runs[0]["noise_sigma"] if runs else "?"
    rows = [
        "## (d) Scale",
        "",
        f"Synthetic corpora: texts recombine two real clause sentences; vectors are a random real clause vector + "
        f"N(0, {noise}²) per dimension, renormalised (cosine ≈ 0.90 to its origin). Queries: {data['queries']} real "
        "short queries, embedded. Vector search through `VectorIndex.search` (one thread); recall@10 against exact "
        "search; RSS Δ: resident memory the built index added; k=200 is the depth `kb.search` asks for.",
        "",
        "| N | kind | nlist / nprobe | build s | RSS Δ MiB | file MiB | save s | load s | recall@10 | median k=10 ms "
        "| p99 k=10 ms | median k=200 ms | exact scan median ms | peak RSS MiB |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        probes = f"{r['nlist']} / {r['nprobe']}" if r["nlist"] else "–"
        exact = _ms(r.get("exact_flat_search_k10")) if r.get("exact_flat_search_k10") else _ms(r["search_k10"])
        rows.append(
            f"| {r['n']:,} | {r['kind']} | {probes} | {r['build_s']} | {r['index_rss_delta_mib']} "
            f"| {r['index_file_mib']} "
            f"| {r['save_s']} | {r['load_s']} | {r['recall_at_10']} | {_ms(r['search_k10'])} "
            f"| {_ms(r['search_k10'], 'p99_ms')} | {_ms(r['search_k200'])} | {exact} | {r['peak_rss_mib']} |"
        )
    for r in data["runs"]:
        if "error" in r:
            rows.append(f"| {r['n']:,} | failed: {r['error'][-200:]!r} |")
    sweeps = [(r["n"], s) for r in runs for s in r.get("nprobe_sweep", [])]
    if sweeps:
        rows += ["", "IVF nprobe sweep:", "", "| N | nprobe | recall@10 | median ms | p99 ms |"]
        rows += ["|---|---|---|---|---|"]
        for n, s in sweeps:
            latency = f"{_ms(s['search_k10'])} | {_ms(s['search_k10'], 'p99_ms')}"
            rows.append(f"| {n:,} | {s['nprobe']} | {s['recall_at_10']} | {latency} |")
    rows += [
        "",
        "Filtered search (allow-mask of random rows; recall against exact search over the allowed rows):",
        "",
        "| N | allowed | rows | recall@10 | median ms | p99 ms |",
        "|---|---|---|---|---|---|",
    ]
    for r in runs:
        for f in r["filtered"]:
            rows.append(
                f"| {r['n']:,} | {f['allowed_share'] * 100:g} % | {f['allowed_rows']:,} | {f['recall_at_10']} "
                f"| {_ms(f['search_k10'])} | {_ms(f['search_k10'], 'p99_ms')} |"
            )
    hnsw = [(r["n"], r["hnsw"]) for r in runs if r.get("hnsw")]
    if hnsw:
        rows += [
            "",
            "HNSW (`IndexHNSWFlat`, inner product), the alternative not chosen:",
            "",
            "| N | M | efConstruction | build s | RSS Δ MiB | efSearch | recall@10 | median ms |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for n, h in hnsw:
            for s in h["sweep"]:
                rows.append(
                    f"| {n:,} | {h['M']} | {h['efConstruction']} | {h['build_s']} | {h['rss_delta_mib']} "
                    f"| {s['efSearch']} | {s['recall_at_10']} | {_ms(s['search_k10'])} |"
                )
    bm25 = [(r["n"], r["bm25"]) for r in runs if r.get("bm25")]
    if bm25:
        rows += [
            "",
            "BM25 (bm25s) over the synthetic texts, queried through `kb.lexical.LexicalIndex.search` (depth 200):",
            "",
            "| N | tokenize texts/s | tokenize all (est.) s | index build s | RSS Δ MiB | search median ms "
            "| search p99 ms "
            "| bm25s scores + argpartition median ms |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for n, b in bm25:
            rows.append(
                f"| {n:,} | {b['tokenize_texts_per_s']:,} | {b['tokenize_all_estimated_s']} | {b['index_build_s']} "
                f"| {b['rss_delta_mib']} | {_ms(b['search_depth200_ours'])} "
                f"| {_ms(b['search_depth200_ours'], 'p99_ms')} "
                f"| {_ms(b['scores_plus_argpartition'])} |"
            )
    return "\n".join(rows)


def _baselines(data: dict[str, Any]) -> str:
    rows = [
        "## (e) Baselines",
        "",
        f"{data['queries']} GDPR records of the evaluation file (fixed random sample, the same for all), "
        f"{data['rows']} GDPR clause rows, the same model and vectors. Article-level metrics (`kb.evaluation`); "
        "dense baselines' latency includes embedding the query "
        f"(median {data['query_embedding']['median_ms']} ms).",
        "",
        "| system | recall@10 | recall@1 | MRR | macro recall@10 | recall@10 rare labels | median ms | p99 ms "
        "| latency ÷ ours | setup s |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, s in data["systems"].items():
        if "error" in s:
            rows.append(f"| {name} | {s['error']} |")
            continue
        rows.append(
            f"| {name} | {s['recall@10']} | {s['recall@1']} | {s['mrr']} | {s['macro_recall@10']} "
            f"| {s['rare_recall@10']} "
            f"| {_ms(s['latency'])} | {_ms(s['latency'], 'p99_ms')} | {s.get('latency_vs_ours')} | {s['setup_s']} |"
        )
    return "\n".join(rows)
