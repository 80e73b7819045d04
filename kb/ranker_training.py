"""Training the ranking stage (``kb train-ranker``): features of the first stage's candidates for
labelled queries, a listwise logistic model fitted to them, cross-validated by group.

The model is a softmax over each query's candidates (the probability that a candidate is an
expected article), linear in standardised features, with an L2 penalty, fitted by L-BFGS: the fit
is deterministic, and the only randomness, the assignment of groups to folds, is seeded. Rows are
never split from their group: the same case appears in several sources with other words, and a
split by row would let the model recognise the case instead of ranking it.

Training reads the labelled texts; what it writes is parameters only (``RankingModel``).
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from kb.evaluation import EvalQuery, Returned, clause_unit, label_sources, score
from kb.ranking import (
    FEATURES,
    MIN_PROFILE_CASES,
    RankingModel,
    candidates,
    case_damping,
    features,
    profile_gaps,
)
from kb.search import Filters, allowed_rows, reading_legs, run_rankers, stage_input

if TYPE_CHECKING:
    from kb.embedding import Embedder
    from kb.evaluation import Scores
    from kb.knowledge import KnowledgeBase

DEPTH = 200  # rows each first-stage ranker returns, as a search for ten results asks
L2 = 1.0
PRIOR_SMOOTHING = 1.0  # add-one: an article never labelled keeps a finite, low prior
EVAL_K = 20
PRIOR = FEATURES.index("prior")
PROFILE = FEATURES.index("profile")
# Each expected article's weight in the loss is count^-BALANCE (count: the training cases expecting
# it): 0 treats every label alike, so the frequent articles dominate; 1 weighs every article alike.
BALANCE = 0.5


@dataclass
class QueryCandidates:
    """One labelled query's candidates: their features (prior column left at 0), and which are expected."""

    query: EvalQuery
    group: str
    units: list[str]
    matrix: np.ndarray
    relevant: np.ndarray  # bool per unit
    damping: float  # the share of the prior this query's length gives
    hybrid: list[str]  # the first stage's own order, for comparison
    vector: np.ndarray  # the query's embedding (for the profiles)
    expected: frozenset[str]  # the expected articles


def collect(
    kb: KnowledgeBase,
    embedder: Embedder,
    queries: Sequence[EvalQuery],
    groups: Sequence[str],
    progress: Callable[[int, int], None] | None = None,
) -> list[QueryCandidates]:
    """Run the first stage for each query over the sources of its labels, as ``kb eval`` does."""
    texts = [" ".join(q.query.split()) for q in queries]
    legs_of = [reading_legs(embedder, text) for text in texts]
    leg_vectors = [dict(enumerate(embedder.legs[0].encode_queries(texts)))]  # all: the profiles live there
    for number, leg in enumerate(embedder.legs[1:], 1):
        leg_vectors.append(_encode_where(leg, texts, [number in legs for legs in legs_of]))
    collected = []
    for number, (query, group) in enumerate(zip(queries, groups, strict=True), 1):
        vector = leg_vectors[0][number - 1]
        held = tuple(s for s in label_sources(query) if s in kb.sources)
        if not held:
            continue
        text = texts[number - 1]
        allowed = allowed_rows(kb, Filters(sources=held))
        depth = min(kb.index.index.ntotal, DEPTH)
        vectors = {leg: leg_vectors[leg][number - 1] for leg in legs_of[number - 1]}
        stage = stage_input(kb, run_rankers(kb, vectors, text, depth, allowed, "hybrid", True))
        units = candidates(stage)
        expected = {clause_unit(label, kb.clauses) for label in query.expected}
        relevant = np.array([u in expected for u in units], dtype=bool)
        damping = case_damping(text)
        matrix = features(kb, stage, text, units, {})
        hybrid = [u for u, _ in stage.fused]
        collected.append(
            QueryCandidates(query, group, units, matrix, relevant, damping, hybrid, vector, frozenset(expected))
        )
        if progress:
            progress(number, len(queries))
    return collected


def _encode_where(leg: Embedder, texts: list[str], wanted: list[bool]) -> dict[int, np.ndarray]:
    """The query vectors of ``leg`` for the texts that are searched with it, by position."""
    positions = [i for i, flag in enumerate(wanted) if flag]
    vectors = leg.encode_queries([texts[i] for i in positions]) if positions else []
    return dict(zip(positions, vectors, strict=True))


def label_prior(kb: KnowledgeBase, labelled: Sequence[QueryCandidates]) -> dict[str, float]:
    """How often each article is expected, as log-odds against a uniform choice among its source's
    articles (add-one smoothed); only articles of sources that have labels get a value."""
    counts = label_counts(labelled)
    per_source: dict[str, list[str]] = {}
    for unit in kb.unit_ids:
        per_source.setdefault(kb.clauses[unit].source_id if unit in kb.clauses else unit.split(":")[0], []).append(unit)
    prior: dict[str, float] = {}
    for units in per_source.values():
        total = sum(counts[u] for u in units)
        if not total:
            continue
        n = len(units)
        for unit in units:
            share = (counts[unit] + PRIOR_SMOOTHING) / (total + PRIOR_SMOOTHING * n)
            prior[unit] = math.log(share * n)
    return prior


def label_counts(labelled: Sequence[QueryCandidates]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for item in labelled:
        counts.update(item.expected)
    return counts


def label_profiles(labelled: Sequence[QueryCandidates]) -> dict[str, np.ndarray]:
    """Each article's mean case vector (unit length), for articles with enough cases that the mean
    is a profile and not one case's text."""
    sums: dict[str, np.ndarray] = {}
    counts = label_counts(labelled)
    for item in labelled:
        for unit in item.expected:
            if counts[unit] >= MIN_PROFILE_CASES:
                sums[unit] = sums.get(unit, 0.0) + item.vector
    return {unit: (v / np.linalg.norm(v)).astype(np.float32) for unit, v in sorted(sums.items())}


def with_learned(kb: KnowledgeBase, item: QueryCandidates, model: RankingModel) -> np.ndarray:
    """The item's features with the columns that depend on the training labels filled in."""
    matrix = item.matrix.copy()
    matrix[:, PRIOR] = [model.prior.get(u, 0.0) * item.damping for u in item.units]
    matrix[:, PROFILE] = [g * item.damping for g in profile_gaps(kb, item.vector, item.units, model.profiles)]
    return matrix


def targets(labelled: Sequence[QueryCandidates], balance: float) -> list[np.ndarray]:
    """Per query, the weight of each candidate in the loss: expected ones by count^-balance."""
    counts = label_counts(labelled)
    return [
        np.array([counts[u] ** -balance if r else 0.0 for u, r in zip(item.units, item.relevant, strict=True)])
        for item in labelled
    ]


def fit(
    matrices: Sequence[np.ndarray], relevant: Sequence[np.ndarray], names: Sequence[str], l2: float = L2
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(mean, scale, weights) of the listwise softmax model over ``names`` columns. ``relevant``
    holds each candidate's weight as a target (0: not expected)."""
    from scipy.optimize import minimize  # training only: serving is numpy

    columns = [FEATURES.index(n) for n in names]
    usable = [(m[:, columns], r) for m, r in zip(matrices, relevant, strict=True) if r.any()]
    stacked = np.vstack([m for m, _ in usable])
    mean = stacked.mean(axis=0)
    scale = stacked.std(axis=0)
    scale[scale < 1e-9] = 1.0
    lists = [((m - mean) / scale, r) for m, r in usable]
    count = len(lists)

    def loss(weights: np.ndarray) -> tuple[float, np.ndarray]:
        total, gradient = 0.0, np.zeros_like(weights)
        for x, r in lists:
            s = x @ weights
            s -= s.max()
            p = np.exp(s)
            p /= p.sum()
            mass = r.sum()  # the query weighs as much as its expected articles do
            total -= float(r @ np.log(p + 1e-12))
            gradient += x.T @ (mass * p - r)
        total = total / count + 0.5 * l2 * float(weights @ weights) / count
        return total, gradient / count + l2 * weights / count

    result = minimize(loss, np.zeros(len(columns)), jac=True, method="L-BFGS-B", options={"maxiter": 500})
    return mean, scale, result.x


def train(
    kb: KnowledgeBase,
    labelled: Sequence[QueryCandidates],
    names: Sequence[str] = FEATURES,
    about: dict | None = None,
    balance: float = BALANCE,
) -> RankingModel:
    prior = label_prior(kb, labelled) if "prior" in names else {}
    profiles = label_profiles(labelled) if "profile" in names else {}
    empty = np.zeros(len(names))
    model = RankingModel(tuple(names), empty, empty + 1, empty, prior, profiles, about or {})
    matrices = [with_learned(kb, item, model) for item in labelled]
    model.mean, model.scale, model.weights = fit(matrices, targets(labelled, balance), names)
    return model


def folds_by_group(groups: Sequence[str], count: int, seed: int) -> list[int]:
    """A fold for each record: its group's, so that no group is split; groups are dealt out in a
    seeded order of their hashes (independent of the file's order)."""
    distinct = sorted(set(groups), key=lambda g: hashlib.sha256(g.encode()).hexdigest())
    order = np.random.default_rng(seed).permutation(len(distinct))
    fold_of = {distinct[i]: position % count for position, i in enumerate(order)}
    return [fold_of[g] for g in groups]


def ranked_units(kb: KnowledgeBase, model: RankingModel, item: QueryCandidates) -> list[str]:
    from kb.ranking import select_columns

    scores = model.score(select_columns(with_learned(kb, item, model), model.features))
    return [item.units[i] for i in np.argsort(-scores, kind="stable")]


def evaluate_rankings(kb: KnowledgeBase, labelled: Sequence[QueryCandidates], rankings: dict[str, list[str]]) -> Scores:
    unit_of = lambda label: clause_unit(label, kb.clauses)  # noqa: E731
    ranker = lambda q: [Returned(u, (u,)) for u in rankings[q.id][:EVAL_K]]  # noqa: E731
    return score([item.query for item in labelled], ranker, unit_of).overall


def cross_validate(
    kb: KnowledgeBase,
    labelled: Sequence[QueryCandidates],
    names: Sequence[str] = FEATURES,
    folds: int = 5,
    seed: int = 0,
    balance: float = BALANCE,
) -> Scores:
    """Scores of rankings each made by a model that never saw the query's group."""
    fold = folds_by_group([item.group for item in labelled], folds, seed)
    rankings: dict[str, list[str]] = {}
    for held_out in range(folds):
        training = [item for item, f in zip(labelled, fold, strict=True) if f != held_out]
        model = train(kb, training, names, balance=balance)
        for item, f in zip(labelled, fold, strict=True):
            if f == held_out:
                rankings[item.query.id] = ranked_units(kb, model, item)
    return evaluate_rankings(kb, labelled, rankings)


def hybrid_scores(kb: KnowledgeBase, labelled: Sequence[QueryCandidates]) -> Scores:
    return evaluate_rankings(kb, labelled, {item.query.id: item.hybrid for item in labelled})


def read_groups(path: Path, queries: Sequence[EvalQuery]) -> list[str]:
    """Each query's ``group`` field (its own id when it has none)."""
    import json

    by_id = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.strip():
            record = json.loads(line)
            by_id[record["id"]] = str(record.get("group") or record["id"])
    return [by_id.get(q.id, q.id) for q in queries]


@dataclass
class TrainingReport:
    model: RankingModel
    queries: int
    hybrid: Scores
    cross_validated: Scores
    ablation: dict[str, Scores]  # feature left out -> cross-validated scores without it


def _metrics(scores: Scores) -> dict[str, float]:
    return {
        "mrr": round(scores.mrr, 4),
        "recall@1": round(scores.recall[1], 4),
        "recall@10": round(scores.recall[10], 4),
        "macro_recall@10": round(scores.macro_recall10, 4),
        "recall@10_other": round(scores.rare_recall10 or 0.0, 4),
        "ndcg@10": round(scores.ndcg10, 4),
    }


def train_ranker(
    kb: KnowledgeBase,
    embedder: Embedder,
    path: Path,
    folds: int = 5,
    seed: int = 0,
    ablation: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> TrainingReport:
    """Collect the first stage's candidates for the labelled file at ``path``, cross-validate by
    group, and train the model on all of it; the model's ``about`` records how."""
    from kb.evaluation import load_queries

    queries = load_queries(path)
    groups = read_groups(path, queries)
    labelled = collect(kb, embedder, queries, groups, progress)
    hybrid = hybrid_scores(kb, labelled)
    validated = cross_validate(kb, labelled, FEATURES, folds, seed)
    left_out = {}
    if ablation:
        for name in FEATURES:
            left_out[name] = cross_validate(kb, labelled, [f for f in FEATURES if f != name], folds, seed)
    about = {
        "trained_on": path.name,
        "file_sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "queries": len(labelled),
        "groups": len({item.group for item in labelled}),
        "embedding_model": embedder.legs[0].model_name,  # the space of the profiles
        "dense_legs": embedder.leg_models,
        "knowledge_base": kb.version,
        "loss": f"listwise softmax, label weight count^-{BALANCE}, L2 {L2}",
        "folds": folds,
        "seed": seed,
        "first_stage_depth": DEPTH,
        "hybrid": _metrics(hybrid),
        "cross_validated": _metrics(validated),
    }
    model = train(kb, labelled, FEATURES, about)
    return TrainingReport(model, len(labelled), hybrid, validated, left_out)
