"""Score the use-case mapping on a labelled set of use cases (``tests/eval/usecases.jsonl``): the AI Act
class, key-provision recall@15 and precision, the noise rate (provisions that oblige no one among the
"directly triggered"), company sheets returned out of their scope, theme recall, the statement that a
named jurisdiction's binding law is missing, and the time of a mapping.

Each case is mapped through ``ClauseMap.map`` (what ``POST /v1/map`` runs) with the structured answers a
caller would give (jurisdictions, role, sector, phase, data categories); ``answers=False`` gives the
description and jurisdictions only. A returned provision counts for an expected one when it is that
provision or inside it (``gdpr:art-6(1)(b)`` counts for ``gdpr:art-6``; ``euaia:art-5`` does not count for
``euaia:art-5(1)(f)``).
"""

from __future__ import annotations

import json
import statistics
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from kb.evaluation import EvalFileError
from kb.mapping import MapRequest
from kb.provisions import load_provision_kinds

if TYPE_CHECKING:
    from kb.service import ClauseMap

CLASS_ALIASES = {"limited": "transparency", "none": "minimal", "unacceptable": "prohibited"}
INSTITUTIONAL = ("institutional", "enforcement", "final")
RECALL_AT = 15


@dataclass(frozen=True)
class UseCase:
    id: str
    query: str
    jurisdictions: tuple[str, ...]
    klass: str
    expected: tuple[str, ...]
    principles: tuple[str, ...] = ()
    sheets: dict[str, bool] = field(default_factory=dict)
    not_in_kb: tuple[str, ...] = ()
    role: str | None = None
    sector: str | None = None
    phase: str | None = None
    data_categories: tuple[str, ...] = ()
    lang: str = "en"


def is_use_case_file(path: Path) -> bool:
    """A use-case file labels each line with its AI Act class (``aiact``); a query file does not."""
    try:
        with Path(path).open(encoding="utf-8") as lines:
            first = next((line for line in lines if line.strip()), "")
        return "aiact" in json.loads(first)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, TypeError):
        return False


def load_use_cases(path: Path) -> list[UseCase]:
    """Read a use-case file; raise ``EvalFileError`` naming the first bad line."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise EvalFileError(f"cannot read {path}: {exc}") from exc
    cases = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            klass = str(raw["aiact"]["class"])
            cases.append(
                UseCase(
                    id=str(raw["id"]),
                    query=str(raw["query"]),
                    jurisdictions=tuple(raw.get("jurisdictions", [])),
                    klass=CLASS_ALIASES.get(klass, klass),
                    expected=tuple(raw["expected"]),
                    principles=tuple(raw.get("principles", [])),
                    sheets=dict(raw.get("internal_sheets", {})),
                    not_in_kb=tuple(raw.get("not_in_kb", [])),
                    role=raw.get("role"),
                    sector=raw.get("sector"),
                    phase=raw.get("phase"),
                    data_categories=tuple(raw.get("data_categories", [])),
                    lang=str(raw.get("lang", "en")),
                )
            )
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise EvalFileError(f"{path}, line {number}: not a use case ({exc!r})") from exc
    if not cases:
        raise EvalFileError(f"{path}: no use cases")
    return cases


def covers(returned: str, expected: str) -> bool:
    """A returned provision answers an expected one when it is it or lies inside it."""
    return returned == expected or returned.startswith(expected + "(")


@dataclass
class CaseResult:
    id: str
    expected_class: str
    got_class: str
    recall: float
    recall_in_kb: float | None  # over the expected provisions of sources the knowledge base holds
    precision: float
    r_precision: float  # precision of the first |expected| provisions returned
    missed: list[str]
    noise: list[str]  # institutional provisions among "directly triggered"
    sheet_false: list[str]  # sheets returned out of their scope
    sheet_missed: list[str]
    theme_recall: float | None
    missing_law_said: bool | None
    ms: float


@dataclass
class MapReport:
    file: str
    kb_version: str
    answers: bool
    cases: list[CaseResult]
    class_accuracy: float
    recall: float
    recall_in_kb: float
    precision: float
    r_precision: float
    noise_rate: float
    noisy_cases: int
    sheet_false_inclusions: int
    sheet_misses: int
    theme_recall: float
    missing_law_said: float | None
    median_ms: float
    p90_ms: float
    by_class: dict[str, tuple[int, int]]  # expected class -> (correct, total)

    def to_dict(self) -> dict:
        return asdict(self)


def evaluate_mapping(service: ClauseMap, cases: list[UseCase], file: str, answers: bool = True) -> MapReport:
    kb = service.kb()
    kinds = load_provision_kinds(service.settings.registry_dir)
    triggers = {t.id for t in service.crosswalk.triggers}
    results = []
    for case in cases:
        request = MapRequest(
            case.query,
            jurisdictions=case.jurisdictions,
            phase=case.phase if answers else None,
            data_categories=tuple(c for c in case.data_categories if c in triggers) if answers else (),
            role=case.role if answers else None,
            sector=case.sector if answers else None,
        )
        start = time.perf_counter()
        _, mapping = service.map(request)
        ms = (time.perf_counter() - start) * 1000
        results.append(_score(case, mapping, kb, kinds, ms))
    return _report(file, kb.version, answers, results)


def _score(case: UseCase, mapping, kb, kinds, ms: float) -> CaseResult:
    returned = mapping.provisions()[:RECALL_AT]
    found = [e for e in case.expected if any(covers(r, e) for r in returned)]
    in_kb = [e for e in case.expected if e.split(":", 1)[0] in kb.sources]
    relevant = [r for r in returned if any(covers(r, e) for e in case.expected)]
    first = returned[: len(case.expected)]
    r_precision = len([r for r in first if any(covers(r, e) for e in case.expected)]) / len(first) if first else 0.0
    noise = [s.clause.id for s in mapping.direct if kinds.kind_of(kb, s.clause).id in INSTITUTIONAL]
    applied = {s.source_id: s.applies for s in mapping.sheets}
    sheet_false = [sid for sid, want in case.sheets.items() if applied.get(sid) and not want]
    sheet_missed = [sid for sid, want in case.sheets.items() if want and sid in applied and not applied[sid]]
    themes = {t.theme.id for t in mapping.themes}
    said = None
    if case.not_in_kb:
        missing = {j.code for j in mapping.jurisdictions if j.missing}
        said = set(case.not_in_kb) <= missing
    classification = mapping.classification
    return CaseResult(
        id=case.id,
        expected_class=case.klass,
        got_class=classification.klass if classification else "none",
        recall=len(found) / len(case.expected) if case.expected else 1.0,
        recall_in_kb=len([e for e in found if e in in_kb]) / len(in_kb) if in_kb else None,
        precision=len(relevant) / len(returned) if returned else 0.0,
        r_precision=r_precision,
        missed=[e for e in case.expected if e not in found],
        noise=noise,
        sheet_false=sheet_false,
        sheet_missed=sheet_missed,
        theme_recall=len(themes & set(case.principles)) / len(case.principles) if case.principles else None,
        missing_law_said=said,
        ms=round(ms, 1),
    )


def _report(file: str, version: str, answers: bool, results: list[CaseResult]) -> MapReport:
    def mean(values: list[float]) -> float:
        return round(statistics.fmean(values), 3) if values else 0.0

    times = sorted(r.ms for r in results)
    by_class: dict[str, tuple[int, int]] = {}
    for r in results:
        good, total = by_class.get(r.expected_class, (0, 0))
        by_class[r.expected_class] = (good + (r.got_class == r.expected_class), total + 1)
    said = [r.missing_law_said for r in results if r.missing_law_said is not None]
    return MapReport(
        file=file,
        kb_version=version,
        answers=answers,
        cases=results,
        class_accuracy=mean([float(r.got_class == r.expected_class) for r in results]),
        recall=mean([r.recall for r in results]),
        recall_in_kb=mean([r.recall_in_kb for r in results if r.recall_in_kb is not None]),
        precision=mean([r.precision for r in results]),
        r_precision=mean([r.r_precision for r in results]),
        noise_rate=mean([float(bool(r.noise)) for r in results]),
        noisy_cases=sum(bool(r.noise) for r in results),
        sheet_false_inclusions=sum(len(r.sheet_false) for r in results),
        sheet_misses=sum(len(r.sheet_missed) for r in results),
        theme_recall=mean([r.theme_recall for r in results if r.theme_recall is not None]),
        missing_law_said=mean([float(s) for s in said]) if said else None,
        median_ms=round(statistics.median(times), 1),
        p90_ms=round(times[int(0.9 * (len(times) - 1))], 1),
        by_class=by_class,
    )
