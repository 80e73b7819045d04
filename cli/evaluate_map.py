"""``kb eval USECASES.jsonl --method map``: score the use-case mapping on a labelled use-case set (the AI Act
class, key-provision recall@15 and precision, noise in "directly triggered", company sheets out of scope,
themes, the statement that a named jurisdiction's binding law is missing, and time)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from kb.settings import Settings

TARGETS = (
    ("AI Act class correct", "class_accuracy", "≥ 0.90"),
    ("key-provision recall@15", "recall", "≥ 0.85"),
    ("key-provision recall@15, ids of ingested sources", "recall_in_kb", "≥ 0.85"),
    ("key-provision precision@15", "precision", ""),
    ("key-provision R-precision (first |expected| returned)", "r_precision", ""),
    ("use cases with an institutional provision directly triggered", "noisy_cases", "0"),
    ("company sheets returned out of their scope", "sheet_false_inclusions", "0"),
    ("company sheets missed in their scope", "sheet_misses", ""),
    ("expected themes in the top 5", "theme_recall", ""),
    ("missing binding law said, where named", "missing_law_said", "1.00"),
    ("map median (ms)", "median_ms", "≤ 80"),
    ("map p90 (ms)", "p90_ms", ""),
)


def evaluate_use_cases(file: Path, as_json: bool, limit: int | None, description_only: bool) -> None:
    from kb.map_evaluation import evaluate_mapping, load_use_cases
    from kb.service import ClauseMap

    cases = load_use_cases(file)[:limit]
    service = ClauseMap(Settings())
    service.warm_up()
    report = evaluate_mapping(service, cases, file.name, answers=not description_only)
    if as_json:
        typer.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
        return
    given = "description and jurisdictions only" if description_only else "with the cases' answers (role, sector, …)"
    typer.echo(f"{report.file}: {len(cases)} use cases, {given}, knowledge base {report.kb_version}")
    typer.secho(f"{'measure':64}{'value':>8}  target", bold=True)
    for label, key, target in TARGETS:
        value = getattr(report, key)
        shown = "-" if value is None else f"{value:.3f}" if isinstance(value, float) and "ms" not in key else str(value)
        typer.echo(f"{label:64}{shown:>8}  {target}")
    typer.secho("class correct, per expected class:", bold=True)
    for klass, (good, total) in sorted(report.by_class.items()):
        typer.echo(f"  {klass:16}{good:>4} / {total}")
    wrong = [c for c in report.cases if c.got_class != c.expected_class]
    for case in wrong:
        typer.echo(f"  {case.id}: expected {case.expected_class}, got {case.got_class}")
