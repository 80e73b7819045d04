"""Measured retrieval quality: run a labelled query file through search and score the rankings.

A query file is JSON Lines, one ``{"id", "query", "expected": [clause ids], "source", ...}`` per
line (``source`` names where the label came from; other fields are ignored). Scores are taken at
two levels:

- *article*: a returned clause counts for its top-level unit (``gdpr:art-22(1)(a)`` for
  ``gdpr:art-22``) and so does an expected id;
- *id*: exact clause ids; a search hit stands for its clause and the clause ids it matched.

The labels are concentrated on a few articles, so a fixed list of the most frequent ones scores
well without reading the query. Every evaluation is therefore reported beside that fixed-list
baseline, with metrics it cannot game: MRR, recall@1/@3, recall@10 macro-averaged over articles
and recall@10 on the labels other than the frequent ones.

Anything that ranks labels for a query can be scored: ``score`` takes a ``Ranker``, and
``rank_ids`` turns a plain ``query -> ranked ids`` callable (a mapping endpoint returning
principle ids or themes) into one. ``search_ranker`` is the retrieval path, the same call the API
makes.
"""

from __future__ import annotations

import json
import math
import time
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from kb.errors import KBError
from kb.ids import ClauseId, InvalidClauseId, is_valid

if TYPE_CHECKING:
    from kb.knowledge import CatalogEntry
    from kb.service import ClauseMap

RECALL_KS = (1, 3, 5, 10, 20)
NDCG_K = 10
BASELINE_SIZE = 10
# The "frequent labels": recall@10 is also reported on the labels other than these.
FREQUENT_LABELS = ("gdpr:art-5", "gdpr:art-6", "gdpr:art-32", "gdpr:art-58", "gdpr:art-83")
SCOPES = ("labels", "all")


class EvalFileError(KBError, ValueError):
    """The query file cannot be read; the message names the line and what is wrong with it."""

    code = "eval_file_invalid"
    http_status = 422


@dataclass(frozen=True)
class EvalQuery:
    id: str
    query: str
    expected: tuple[str, ...]
    source: str
    line: int = 0


@dataclass(frozen=True)
class Returned:
    """One ranked answer: the unit it counts for at article level and the exact ids it stands for."""

    unit: str
    ids: tuple[str, ...]


Ranker = Callable[[EvalQuery], Sequence[Returned]]
UnitOf = Callable[[str], str]


# --- loading -------------------------------------------------------------------------------------


def load_queries(path: Path, clause_ids: bool = True) -> list[EvalQuery]:
    """Read a query file; raise ``EvalFileError`` naming the first bad line. With ``clause_ids``
    every expected label must be a clause id (``ClauseId.parse``); without, any non-empty string
    (themes, for scoring a mapping)."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise EvalFileError(f"cannot read {path}: {exc}") from exc
    queries: list[EvalQuery] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            query = _parse_line(line, number, clause_ids)
        except ValueError as exc:
            raise EvalFileError(f"{path}:{number}: {exc}") from None
        if query.id in seen:
            raise EvalFileError(f"{path}:{number}: duplicate id {query.id!r} (first on line {seen[query.id]})")
        seen[query.id] = number
        queries.append(query)
    if not queries:
        raise EvalFileError(f"{path}: no queries (expected one JSON object per line)")
    return queries


def _parse_line(line: str, number: int, clause_ids: bool) -> EvalQuery:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(record, dict):
        raise ValueError(f"expected a JSON object, got {type(record).__name__}")
    for name in ("id", "query", "source"):
        value = record.get(name)
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"field {name!r} must be a non-empty string, got {value!r}")
    expected = record.get("expected")
    if not isinstance(expected, list) or not expected:
        raise ValueError(f"field 'expected' must be a non-empty list of ids, got {expected!r}")
    for label in expected:
        if not isinstance(label, str) or not label.strip():
            raise ValueError(f"field 'expected' holds {label!r}, not a non-empty string")
        if clause_ids and not is_valid(label):
            raise ValueError(f"expected id {label!r} is not a clause id like 'gdpr:art-6(1)(f)'")
    labels = tuple(dict.fromkeys(label.strip() for label in expected))
    return EvalQuery(record["id"], record["query"], labels, record["source"], number)


# --- metrics (pure) ------------------------------------------------------------------------------
# ``ranked`` is a ranking, best first; each position is one label or a collection of labels (a
# search hit at id level stands for its clause and the clause ids it matched). A position hits an
# expected label when it holds it.


def _labels(position: str | Collection[str]) -> Collection[str]:
    return (position,) if isinstance(position, str) else position


def first_ranks(ranked: Sequence[str | Collection[str]], expected: Iterable[str]) -> dict[str, int]:
    """The 1-based rank at which each expected label first appears; labels not returned are absent."""
    wanted = set(expected)
    ranks: dict[str, int] = {}
    for rank, position in enumerate(ranked, 1):
        for label in _labels(position):
            if label in wanted and label not in ranks:
                ranks[label] = rank
    return ranks


def recall_at_k(ranked: Sequence[str | Collection[str]], expected: Collection[str], k: int) -> float:
    """The fraction of the expected labels found in the top ``k``."""
    if not expected:
        return 0.0
    return len(first_ranks(ranked[:k], expected)) / len(set(expected))


def ndcg_at_k(ranked: Sequence[str | Collection[str]], expected: Collection[str], k: int = NDCG_K) -> float:
    """Normalised discounted cumulative gain with binary relevance: a position is relevant when it
    returns an expected label not returned higher up; the ideal puts all expected labels first."""
    wanted = set(expected)
    if not wanted:
        return 0.0
    relevant_ranks = sorted(set(first_ranks(ranked[:k], wanted).values()))
    gain = sum(1.0 / math.log2(rank + 1) for rank in relevant_ranks)
    ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, min(len(wanted), k) + 1))
    return gain / ideal


def reciprocal_rank(ranked: Sequence[str | Collection[str]], expected: Collection[str]) -> float:
    """1 / the rank of the first position returning any expected label; 0 when none does."""
    ranks = first_ranks(ranked, expected)
    return 1.0 / min(ranks.values()) if ranks else 0.0


def macro_recall_at_k(rankings: Sequence[tuple[Sequence[str], Collection[str]]], k: int = 10) -> float:
    """Recall@k per expected label (the share of the queries expecting it that find it in the top
    ``k``), averaged over labels: a rare article weighs as much as a frequent one."""
    asked: Counter[str] = Counter()
    found: Counter[str] = Counter()
    for ranked, expected in rankings:
        ranks = first_ranks(ranked[:k], expected)
        for label in set(expected):
            asked[label] += 1
            found[label] += label in ranks
    return sum(found[label] / asked[label] for label in asked) / len(asked) if asked else 0.0


def most_frequent(label_sets: Iterable[Collection[str]], n: int = BASELINE_SIZE) -> list[str]:
    """The ``n`` labels expected by the most queries (ties: first seen first)."""
    counts = Counter(label for labels in label_sets for label in set(labels))
    return [label for label, _ in counts.most_common(n)]


# --- scoring -------------------------------------------------------------------------------------


def clause_unit(label: str, clauses: Mapping[str, CatalogEntry] | None = None) -> str:
    """The unit a label counts for at article level: the catalogue's unit when the knowledge base
    holds the clause, else the id's own unit (``gdpr:art-6(1)(f)`` -> ``gdpr:art-6``); a label
    that is not a clause id (a theme) counts for itself."""
    entry = clauses.get(label) if clauses is not None else None
    if entry is not None:
        return entry.unit_id
    try:
        return str(ClauseId.parse(label).unit)
    except InvalidClauseId:
        return label


@dataclass
class Outcome:
    """One query's ranking, reduced to what the metrics read."""

    query: EvalQuery
    units: list[str]  # returned units, best first, each once
    ids: list[tuple[str, ...]]  # per returned position, the exact ids it stands for
    expected_units: tuple[str, ...]
    seconds: float


@dataclass
class Scores:
    """Averages over a group of queries (one ``source`` of the file, or all of them)."""

    queries: int
    recall: dict[int, float]  # k -> article-level recall@k
    ndcg10: float
    mrr: float
    macro_recall10: float  # article-level recall@10 averaged over expected articles
    rare_recall10: float | None  # article-level recall@10 on the labels other than the frequent ones
    rare_queries: int  # queries expecting at least one such label
    id_recall10: float
    id_mrr: float
    mean_latency_ms: float


@dataclass
class Evaluation:
    overall: Scores
    by_source: dict[str, Scores]
    failures: list[dict]  # queries with no expected unit in the top 10, with the units returned


def score(
    queries: Sequence[EvalQuery],
    ranker: Ranker,
    unit_of: UnitOf = clause_unit,
    frequent: Collection[str] = FREQUENT_LABELS,
) -> Evaluation:
    """Run every query through ``ranker`` and score the rankings, overall and per ``source``."""
    outcomes = []
    for query in queries:
        started = time.perf_counter()
        returned = list(ranker(query))
        seconds = time.perf_counter() - started
        units = list(dict.fromkeys(r.unit for r in returned))
        expected_units = tuple(dict.fromkeys(unit_of(label) for label in query.expected))
        outcomes.append(Outcome(query, units, [r.ids for r in returned], expected_units, seconds))
    by_source: dict[str, list[Outcome]] = {}
    for outcome in outcomes:
        by_source.setdefault(outcome.query.source, []).append(outcome)
    ordered = sorted(by_source.items(), key=lambda item: (-len(item[1]), item[0]))
    return Evaluation(
        overall=aggregate(outcomes, frequent),
        by_source={source: aggregate(group, frequent) for source, group in ordered},
        failures=[_failure(o) for o in outcomes if not first_ranks(o.units[:10], o.expected_units)],
    )


def aggregate(outcomes: Sequence[Outcome], frequent: Collection[str] = FREQUENT_LABELS) -> Scores:
    """The metrics of each query, averaged (macro recall: averaged over labels instead)."""
    n = len(outcomes)

    def mean(values: Iterable[float]) -> float:
        values = list(values)
        return sum(values) / len(values) if values else 0.0

    rare = [(o.units, [u for u in o.expected_units if u not in frequent]) for o in outcomes]
    rare = [(units, expected) for units, expected in rare if expected]
    return Scores(
        queries=n,
        recall={k: mean(recall_at_k(o.units, o.expected_units, k) for o in outcomes) for k in RECALL_KS},
        ndcg10=mean(ndcg_at_k(o.units, o.expected_units, NDCG_K) for o in outcomes),
        mrr=mean(reciprocal_rank(o.units, o.expected_units) for o in outcomes),
        macro_recall10=macro_recall_at_k([(o.units, o.expected_units) for o in outcomes], 10),
        rare_recall10=mean(recall_at_k(units, expected, 10) for units, expected in rare) if rare else None,
        rare_queries=len(rare),
        id_recall10=mean(recall_at_k(o.ids, o.query.expected, 10) for o in outcomes),
        id_mrr=mean(reciprocal_rank(o.ids, o.query.expected) for o in outcomes),
        mean_latency_ms=mean(o.seconds * 1000 for o in outcomes),
    )


def _failure(outcome: Outcome) -> dict:
    query = outcome.query
    top = outcome.units[:10]
    return {"id": query.id, "source": query.source, "expected": list(outcome.expected_units), "returned": top}


# --- rankers -------------------------------------------------------------------------------------


def rank_ids(rank: Callable[[str], Sequence[str]], unit_of: UnitOf = clause_unit) -> Ranker:
    """A ranker from a plain ``query text -> ranked ids`` callable (clause ids, principle ids or
    themes): each id is one position, counting for its unit at article level."""
    return lambda query: [Returned(unit_of(label), (label,)) for label in rank(query.query)]


def fixed_list_ranker(labels: Sequence[str]) -> Ranker:
    """The baseline that ignores the query: the same list for every query."""
    returned = [Returned(label, (label,)) for label in labels]
    return lambda query: returned


def label_sources(query: EvalQuery) -> tuple[str, ...]:
    """The sources a query's expected ids belong to (a GDPR case is judged on GDPR clauses)."""
    return tuple(sorted({ClauseId.parse(label).source for label in query.expected}))


def search_ranker(service: ClauseMap, method: str = "ranked", k: int = 20, scope: str = "labels") -> Ranker:
    """The retrieval path, through ``ClauseMap.search`` exactly as the API calls it, articles grouped.

    ``scope="labels"`` searches only the sources of the query's expected ids (those the knowledge
    base holds: a query none of whose sources is held returns nothing); ``"all"`` searches all.
    """
    from kb.search import Filters, InvalidQuery

    if scope not in SCOPES:
        raise ValueError(f"scope must be one of {SCOPES}, not {scope!r}")

    def rank(query: EvalQuery) -> list[Returned]:
        filters = Filters()
        if scope == "labels":
            held = tuple(s for s in label_sources(query) if s in service.kb().sources)
            if not held:
                return []
            filters = Filters(sources=held)
        try:
            hits = service.search(query.query, k=k, filters=filters, group="article", method=method).hits
        except InvalidQuery as exc:
            raise InvalidQuery(f"query {query.id!r} (line {query.line}): {exc}") from exc
        return [Returned(hit.unit.id, tuple(dict.fromkeys([hit.clause.id, *hit.matched]))) for hit in hits]

    return rank


def map_ranker(service: ClauseMap) -> Ranker:
    """The use-case mapping path (``POST /v1/map``): the principles and clauses of every theme in
    theme order, then the directly triggered clauses, each unit once."""
    from kb.mapping import MAX_DESCRIPTION_CHARS, MapRequest

    def ranked(text: str) -> list[str]:
        request = MapRequest(text[:MAX_DESCRIPTION_CHARS], k=len(service.crosswalk.themes))
        _, mapping = service.map(request)
        ids = [s.clause.unit_id for t in mapping.themes for s in t.principles + t.clauses]
        return list(dict.fromkeys([*ids, *(d.clause.unit_id for d in mapping.direct)]))

    return rank_ids(ranked)


# --- the whole run -------------------------------------------------------------------------------


@dataclass
class Report:
    file: str
    method: str
    scope: str
    k: int
    kb_version: str
    seconds: float
    retrieval: Evaluation
    baseline: Evaluation
    baseline_labels: list[str]
    frequent_labels: list[str]
    missing_sources: list[str] = field(default_factory=list)  # expected by the file, not in the knowledge base

    def to_dict(self) -> dict:
        return asdict(self)


def evaluate_search(
    service: ClauseMap,
    queries: Sequence[EvalQuery],
    file: str = "",
    method: str = "ranked",
    k: int = 20,
    scope: str = "labels",
    frequent: Collection[str] = FREQUENT_LABELS,
    held_only: bool = False,
) -> Report:
    """Score search on ``queries`` beside the fixed list of their ten most frequent expected units.
    ``held_only`` scores only the queries all of whose expected sources the knowledge base holds
    (a question set may name sources not ingested yet); the others are listed as missing anyway."""
    kb = service.kb()
    missing = sorted({s for q in queries for s in label_sources(q)} - set(kb.sources))
    if held_only:
        queries = [q for q in queries if set(label_sources(q)) <= set(kb.sources)]
    unit_of: UnitOf = lambda label: clause_unit(label, kb.clauses)  # noqa: E731
    started = time.perf_counter()
    ranker = map_ranker(service) if method == "map" else search_ranker(service, method, k, scope)
    retrieval = score(queries, ranker, unit_of, frequent)
    seconds = time.perf_counter() - started
    top = most_frequent(tuple(unit_of(label) for label in q.expected) for q in queries)
    baseline = score(queries, fixed_list_ranker(top), unit_of, frequent)
    return Report(file, method, scope, k, kb.version, seconds, retrieval, baseline, top, list(frequent), missing)
