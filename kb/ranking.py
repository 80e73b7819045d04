"""The learned ranking stage: re-orders the articles the hybrid search found, by features the field
knows, with weights learned from labelled cases (``kb train-ranker``; docs/ranking.md).

The first stage (dense and BM25 rankings of clauses and articles, recitals) proposes candidates;
this stage scores each candidate article with a linear model over its features and sorts by that
score. Only the model's parameters ship (``corpus/ranker.json``): the feature names, their
standardisation, the weights and a prior of how often each provision is applied at all. Serving is
numpy only.

Features (one row per candidate article; ranks are 1-based, a candidate absent from a ranking gets
``MISSING_RANK``):

- ``dense_rank``, ``dense_gap``: the article's rank in the dense ranking of its best clause, and
  how far that clause's cosine is below the best one of the query;
- ``recital_rank``: the rank of the best recital that explains the article;
- ``lexical_rank``, ``lexical_score``: BM25 of its best clause (rank; score over the query's best);
- ``article_rank``, ``article_score``: BM25 over the article as a whole;
- ``fused_rank``: the article's rank in the hybrid (reciprocal rank fusion) order;
- ``title_match``: the share of the article title's words that the query holds;
- ``neighbour``: the best fused rank among the articles it cites or that cite it (1/rank);
- ``cited_by``: how many other articles refer to it (log);
- ``length``, ``clauses``: the article's length in characters and its number of clauses (log);
- ``definitions``: 1 for a definitions article;
- ``profile``: the cosine between the query and the article's *profile*, the mean vector of the
  labelled cases that applied it (only articles with at least ``MIN_PROFILE_CASES`` cases have one;
  the others get the query's median), relative to the query's best, damped like the prior;
- ``prior``: the log-odds that a case applies the provision, against a uniform choice within its
  source (0 where no labels are known), damped for short queries: a question of ten words should be
  answered by what it says, not by what cases usually cite.
"""

from __future__ import annotations

import base64
import json
import math
import re
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from kb.errors import KBError
from kb.lexical import tokenize

if TYPE_CHECKING:
    from kb.knowledge import KnowledgeBase

MISSING_RANK = 300
# Queries this long (in words) or longer get the full prior and profile; shorter, a proportional share.
PRIOR_FULL_WORDS = 150
FEATURES = (
    "dense_rank",
    "dense_gap",
    "recital_rank",
    "lexical_rank",
    "lexical_score",
    "article_rank",
    "article_score",
    "fused_rank",
    "title_match",
    "neighbour",
    "cited_by",
    "length",
    "clauses",
    "definitions",
    "profile",
    "prior",
)
MIN_PROFILE_CASES = 3
_DEFINITIONS = re.compile(r"\bdefinition|定義", re.IGNORECASE)


class RankerFileError(KBError, ValueError):
    """The ranker file cannot be read or does not fit this code; the message says why."""

    code = "ranker_invalid"
    http_status = 503


@dataclass(frozen=True)
class StageInput:
    """What the first stage found for one query, at article level, best first, each with a score."""

    dense: list[tuple[str, float]]  # article, cosine of its best clause
    recitals: list[str]  # articles in the order their explaining recitals rank
    lexical: list[tuple[str, float]]  # article, BM25 of its best clause
    articles: list[tuple[str, float]]  # article, BM25 of the article as a whole
    fused: list[tuple[str, float]]  # the hybrid order, with the fused (reciprocal rank) scores


@dataclass
class RankingModel:
    """A linear scorer over standardised features, plus the prior it reads one feature from."""

    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    prior: dict[str, float] = field(default_factory=dict)
    profiles: dict[str, np.ndarray] = field(default_factory=dict)  # article -> unit vector
    about: dict = field(default_factory=dict)  # what it was trained on, how, and its cross-validated scores

    def score(self, matrix: np.ndarray) -> np.ndarray:
        """One score per row of ``matrix`` (columns in ``self.features`` order); higher is better."""
        return ((matrix - self.mean) / self.scale) @ self.weights

    def profiles_fit(self, model_name: str) -> bool:
        """Whether the profiles live in ``model_name``'s vector space (another model's vectors of the
        same size would be compared as if they did)."""
        return self.about.get("embedding_model", model_name) == model_name

    def to_dict(self) -> dict:
        return {
            "features": list(self.features),
            "mean": [round(float(v), 6) for v in self.mean],
            "scale": [round(float(v), 6) for v in self.scale],
            "weights": [round(float(v), 6) for v in self.weights],
            "prior": {unit: round(value, 4) for unit, value in sorted(self.prior.items())},
            "profiles": {unit: _pack(vector) for unit, vector in sorted(self.profiles.items())},
            "about": self.about,
        }

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_dict(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")

    @classmethod
    def from_dict(cls, document: dict) -> RankingModel:
        features = tuple(document["features"])
        unknown = set(features) - set(FEATURES)
        if unknown:
            raise RankerFileError(f"the ranker uses features this code does not compute: {sorted(unknown)}")
        arrays = [np.asarray(document[name], dtype=np.float64) for name in ("mean", "scale", "weights")]
        if any(a.shape != (len(features),) for a in arrays):
            raise RankerFileError("the ranker's mean, scale and weights must each hold one number per feature")
        prior = {str(k): float(v) for k, v in (document.get("prior") or {}).items()}
        profiles = {str(k): _unpack(v) for k, v in (document.get("profiles") or {}).items()}
        return cls(features, *arrays, prior=prior, profiles=profiles, about=document.get("about") or {})

    @classmethod
    def load(cls, path: Path) -> RankingModel:
        try:
            document = json.loads(Path(path).read_text(encoding="utf-8"))
            return cls.from_dict(document)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            if isinstance(exc, RankerFileError):
                raise
            raise RankerFileError(f"cannot read the ranker {path}: {exc}") from exc


def _pack(vector: np.ndarray) -> str:
    """A unit vector as base64 float16: a profile is a direction, three decimals are plenty."""
    return base64.b64encode(np.asarray(vector, dtype="<f2").tobytes()).decode("ascii")


def _unpack(text: str) -> np.ndarray:
    vector = np.frombuffer(base64.b64decode(text), dtype="<f2").astype(np.float32)
    return vector / (np.linalg.norm(vector) or 1.0)


@dataclass
class _UnitFacts:
    """Query-independent facts of every article, computed once per knowledge base version."""

    title_terms: dict[str, frozenset[str]]
    neighbours: dict[str, set[str]]
    cited_by: dict[str, int]
    length: dict[str, int]
    clauses: dict[str, int]
    definitions: set[str]


_facts_cache: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def unit_facts(kb: KnowledgeBase) -> _UnitFacts:
    facts = _facts_cache.get(kb)
    if facts is None:
        facts = _facts_cache[kb] = _compute_unit_facts(kb)
    return facts


def _compute_unit_facts(kb: KnowledgeBase) -> _UnitFacts:
    title_terms: dict[str, frozenset[str]] = {}
    length: dict[str, int] = {}
    clauses: dict[str, int] = {}
    definitions: set[str] = set()
    for clause in kb.clauses.values():
        if clause.repealed or clause.kind == "recital":
            continue
        unit = clause.unit_id
        length[unit] = length.get(unit, 0) + len(clause.text or "")
        clauses[unit] = clauses.get(unit, 0) + 1
        if clause.id == unit:
            title = clause.title or ""
            title_terms[unit] = frozenset(tokenize(title))
            if _DEFINITIONS.search(title):
                definitions.add(unit)
    neighbours: dict[str, set[str]] = {}
    citing: dict[str, set[str]] = {}
    for clause_id, entry in kb.clauses.items():
        cites, _ = kb.references(clause_id)
        for target in cites:
            target_entry = kb.clauses.get(target)
            if target_entry is None or target_entry.unit_id == entry.unit_id:
                continue
            neighbours.setdefault(entry.unit_id, set()).add(target_entry.unit_id)
            neighbours.setdefault(target_entry.unit_id, set()).add(entry.unit_id)
            citing.setdefault(target_entry.unit_id, set()).add(entry.unit_id)
    cited_by = {unit: len(units) for unit, units in citing.items()}
    return _UnitFacts(title_terms, neighbours, cited_by, length, clauses, definitions)


def _ranks(ranking: Sequence[str]) -> dict[str, int]:
    ranks: dict[str, int] = {}
    for rank, unit in enumerate(ranking, 1):
        ranks.setdefault(unit, rank)
    return ranks


def candidates(stage: StageInput) -> list[str]:
    """Every article any ranking proposed, in hybrid order first."""
    units: dict[str, None] = {}
    for ranking in (stage.fused, stage.dense, stage.lexical, stage.articles):
        units.update(dict.fromkeys(u for u, _ in ranking))
    units.update(dict.fromkeys(stage.recitals))
    return list(units)


def profile_gaps(
    kb: KnowledgeBase, vector: np.ndarray | None, units: Sequence[str], profiles: dict[str, np.ndarray]
) -> list[float]:
    """Each unit's profile similarity to the query minus the query's best (see ``profile``); a unit
    without a profile gets the median of the query's: no evidence either way."""
    names = list(profiles)
    if vector is None or not names or profiles[names[0]].shape != vector.shape:
        return [0.0] * len(units)  # no profiles, or made with another embedding model
    similarity = dict(zip(names, (np.stack([profiles[n] for n in names]) @ vector).tolist(), strict=True))
    best = max(similarity.values())
    neutral = float(np.median(list(similarity.values())))
    return [similarity.get(unit, neutral) - best for unit in units]


def case_damping(query: str) -> float:
    """The share of the case-derived features (prior, profile) a query gets: full for a case-length
    description, proportionally less for a short question, which should be answered by its words."""
    return min(1.0, len(query.split()) / PRIOR_FULL_WORDS)


def features(
    kb: KnowledgeBase,
    stage: StageInput,
    query: str,
    units: Sequence[str],
    prior: dict[str, float],
    vector: np.ndarray | None = None,
    profiles: dict[str, np.ndarray] | None = None,
) -> np.ndarray:
    """The feature matrix of ``units`` for one query, columns in ``FEATURES`` order."""
    facts = unit_facts(kb)
    damping = case_damping(query)
    profile = [gap * damping for gap in profile_gaps(kb, vector, units, profiles or {})]
    terms = set(tokenize(query))
    dense_rank, dense_score = _ranks([u for u, _ in stage.dense]), dict(stage.dense[::-1])
    top_cosine = stage.dense[0][1] if stage.dense else 0.0
    floor_cosine = stage.dense[-1][1] if stage.dense else 0.0
    recital_rank = _ranks(stage.recitals)
    lexical_rank, lexical_score = _ranks([u for u, _ in stage.lexical]), dict(stage.lexical[::-1])
    top_lexical = stage.lexical[0][1] if stage.lexical else 1.0
    article_rank, article_score = _ranks([u for u, _ in stage.articles]), dict(stage.articles[::-1])
    top_article = stage.articles[0][1] if stage.articles else 1.0
    fused_rank = _ranks([u for u, _ in stage.fused])

    def log_rank(ranks: dict[str, int], unit: str) -> float:
        return math.log(ranks.get(unit, MISSING_RANK))

    rows = []
    for unit, gap in zip(units, profile, strict=True):
        title = facts.title_terms.get(unit, frozenset())
        near = [fused_rank[n] for n in facts.neighbours.get(unit, ()) if n in fused_rank]
        rows.append(
            (
                log_rank(dense_rank, unit),
                dense_score.get(unit, floor_cosine) - top_cosine,
                log_rank(recital_rank, unit),
                log_rank(lexical_rank, unit),
                lexical_score.get(unit, 0.0) / top_lexical if top_lexical else 0.0,
                log_rank(article_rank, unit),
                article_score.get(unit, 0.0) / top_article if top_article else 0.0,
                log_rank(fused_rank, unit),
                len(title & terms) / len(title) if title else 0.0,
                1.0 / min(near) if near else 0.0,
                math.log1p(facts.cited_by.get(unit, 0)),
                math.log1p(facts.length.get(unit, 0)),
                math.log1p(facts.clauses.get(unit, 0)),
                float(unit in facts.definitions),
                gap,
                prior.get(unit, 0.0) * damping,
            )
        )
    return np.asarray(rows, dtype=np.float64).reshape(len(units), len(FEATURES))


def select_columns(matrix: np.ndarray, names: Sequence[str]) -> np.ndarray:
    """The columns of a full feature matrix that a model reads, in its order."""
    return matrix[:, [FEATURES.index(name) for name in names]]


def rerank(
    kb: KnowledgeBase, stage: StageInput, query: str, model: RankingModel, vector: np.ndarray | None = None
) -> list[tuple[str, float]]:
    """Every candidate article with the model's score, best first (ties keep the hybrid order)."""
    units = candidates(stage)
    if not units:
        return []
    matrix = features(kb, stage, query, units, model.prior, vector, model.profiles)
    scores = model.score(select_columns(matrix, model.features))
    order = np.argsort(-scores, kind="stable")
    return [(units[i], float(scores[i])) for i in order]
