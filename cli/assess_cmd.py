"""``kb assess …``: governance self-assessments against a framework (METI's action targets by
default): create and revise from a YAML or CSV file, show, compare two dates, the gaps, export."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from cli.output import fail

assess = typer.Typer(no_args_is_help=True, help=__doc__)

Json = Annotated[bool, typer.Option("--json", help="print the record the API returns")]


def _service():
    from kb.service import ClauseMap
    from kb.settings import Settings

    return ClauseMap(Settings())


def _day(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        fail(f"{value!r} is not a date (YYYY-MM-DD)")


def _validated(model, data: dict):
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        fail(problems)


def _print_json(record) -> None:
    typer.echo(json.dumps(record.model_dump(mode="json"), ensure_ascii=False, indent=2))


def _print_assessment(record) -> None:
    typer.echo(f"{record.id}  {record.organisation}" + (f" / {record.business_unit}" if record.business_unit else ""))
    typer.echo(f"framework {record.framework}, version {record.version}, assessed on {record.assessed_on:%Y-%m-%d}")
    for entry in record.entries:
        current = "–" if entry.current is None else entry.current
        target = "–" if entry.target is None else entry.target
        gap = "" if entry.gap is None or entry.gap <= 0 else f"  gap {entry.gap}"
        typer.echo(f"  {entry.item:8} Lv.{current} → Lv.{target}{gap}  {entry.title}")
        if entry.evidence or entry.links:
            typer.echo(f"           {entry.evidence} {' '.join(f'[{link}]' for link in entry.links)}".rstrip())


@assess.command()
def frameworks(as_json: Json = False) -> None:
    """The frameworks an assessment can use."""
    service = _service()
    records = [service.assessments.framework_out(f) for f in service.assessments.frameworks()]
    if as_json:
        typer.echo(json.dumps([r.model_dump(mode="json") for r in records], ensure_ascii=False, indent=2))
        return
    for record in records:
        typer.echo(
            f"{record.id:20} {len(record.items):3} items, "
            f"levels {record.scale[0].level}–{record.scale[-1].level}  {record.title}"
        )


@assess.command()
def create(
    file: Annotated[Path, typer.Argument(help="YAML (all fields) or CSV (item,current,target,evidence,links)")],
    assessment_id: Annotated[str | None, typer.Option("--id", help="the assessment's id, e.g. acme-ai-office")] = None,
    framework: Annotated[str | None, typer.Option(help="framework id (default: the file's, else meti-gg)")] = None,
    organisation: Annotated[str | None, typer.Option(help="who is assessed")] = None,
    unit: Annotated[str | None, typer.Option("--unit", help="the business unit, if not the whole organisation")] = None,
    on: Annotated[str | None, typer.Option("--date", help="assessed on YYYY-MM-DD (default: the file's)")] = None,
    author: Annotated[str | None, typer.Option(help="who recorded it")] = None,
    as_json: Json = False,
) -> None:
    """Record a new assessment (version 1)."""
    from kb.assessment_input import read_assessment_file
    from kb.assessment_views import AssessmentIn

    data = read_assessment_file(file)
    options = {
        "id": assessment_id,
        "framework": framework,
        "organisation": organisation,
        "business_unit": unit,
        "assessed_on": _day(on),
        "author": author,
    }
    data.update({k: v for k, v in options.items() if v is not None})
    data.setdefault("framework", "meti-gg")
    record = _service().assessments.create(_validated(AssessmentIn, data))
    _print_json(record) if as_json else _print_assessment(record)


@assess.command()
def revise(
    assessment_id: Annotated[str, typer.Argument(help="the assessment's id")],
    file: Annotated[Path, typer.Argument(help="YAML (assessed_on, entries) or CSV; the items not given carry over")],
    on: Annotated[str | None, typer.Option("--date", help="assessed on YYYY-MM-DD (default: the file's)")] = None,
    author: Annotated[str | None, typer.Option(help="who recorded it")] = None,
    as_json: Json = False,
) -> None:
    """Save a new dated version of an assessment (earlier versions are kept)."""
    from kb.assessment_input import read_assessment_file
    from kb.assessment_views import RevisionIn

    data = read_assessment_file(file)
    for field in ("id", "framework", "organisation", "business_unit"):
        data.pop(field, None)  # a revision keeps who and what; a full YAML may be reused as is
    data.update({k: v for k, v in {"assessed_on": _day(on), "author": author}.items() if v is not None})
    record = _service().assessments.revise(assessment_id, _validated(RevisionIn, data))
    _print_json(record) if as_json else _print_assessment(record)


@assess.command()
def show(
    assessment_id: Annotated[str | None, typer.Argument(help="the assessment's id; none: list them all")] = None,
    version: Annotated[int | None, typer.Option(help="a version number (default: the latest)")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="the version in force on YYYY-MM-DD")] = None,
    as_json: Json = False,
) -> None:
    """An assessment (the latest version, a numbered one, or the one in force on a date), or the list."""
    assessments = _service().assessments
    if assessment_id is None:
        for summary in assessments.list():
            last = summary.versions[-1]
            typer.echo(
                f"{summary.id:24} {summary.framework:18} {len(summary.versions)} version(s), "
                f"last {last.assessed_on:%Y-%m-%d}  {summary.organisation}"
            )
        return
    record = assessments.get(assessment_id, version, _day(as_of))
    _print_json(record) if as_json else _print_assessment(record)


@assess.command()
def compare(
    assessment_id: Annotated[str, typer.Argument()],
    before: Annotated[str, typer.Argument(help="the earlier date, YYYY-MM-DD")],
    after: Annotated[str, typer.Argument(help="the later date, YYYY-MM-DD")],
    as_json: Json = False,
) -> None:
    """The assessment as it stood on two dates, item by item."""
    record = _service().assessments.compare(assessment_id, _day(before), _day(after))
    if as_json:
        _print_json(record)
        return
    typer.echo(
        f"{record.id}: version {record.before.version} ({record.before.assessed_on:%Y-%m-%d}) → "
        f"version {record.after.version} ({record.after.assessed_on:%Y-%m-%d})"
    )
    for item in record.items:
        a = "–" if item.before_current is None else item.before_current
        b = "–" if item.after_current is None else item.after_current
        change = "" if not item.change else f"  {item.change:+d}"
        typer.echo(f"  {item.item:8} Lv.{a} → Lv.{b}{change}  {item.title}")


@assess.command()
def gaps(
    assessment_id: Annotated[str, typer.Argument()],
    suggestions: Annotated[int, typer.Option(min=0, max=10, help="suggested clauses per group of sources")] = 3,
    as_json: Json = False,
) -> None:
    """The plan: items below target, the largest gap first, with practice points and suggested evidence."""
    plan = _service().assessments.plan(assessment_id, suggestions=suggestions)
    if as_json:
        _print_json(plan)
        return
    for gap in plan.gaps:
        now = "–" if gap.current is None else gap.current
        typer.echo(f"{gap.item:8} Lv.{now} → Lv.{gap.target} (gap {gap.gap})  {gap.title}  {gap.title_ja or ''}")
        for point in gap.practice_points:
            typer.echo(f"    point: {point.text}")
        for s in gap.suggestions:
            typer.echo(f"    see {s.citation} [{s.id}] {s.title or _excerpt(s.snippet)}")


@assess.command()
def export(
    assessment_id: Annotated[str, typer.Argument()],
    out: Annotated[Path, typer.Option("--out", "-o", help="folder to write into")] = Path("."),
    suggestions: Annotated[int, typer.Option(min=0, max=10)] = 3,
) -> None:
    """Write the report (Markdown, CSV) and the pictures (SVG, PNG) of the latest version."""
    from kb.assessment_export import export_assessment

    for path in export_assessment(_service().assessments, assessment_id, out, suggestions):
        typer.echo(str(path))


def _excerpt(text: str, length: int = 70) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"
