"""``kb review``: a reviewer's decision on an item of a stored mapping, and the review record."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.output import fail
from kb.settings import Settings


def review(
    mapping_id: Annotated[str, typer.Argument(help="the id `kb map` or POST /v1/map gave the mapping")],
    item: Annotated[str | None, typer.Argument(help="an item of the mapping (a clause, principle or check id)")] = None,
    decision: Annotated[
        str | None, typer.Option("--decision", "-d", help="applies, does_not_apply or needs_answer")
    ] = None,
    note: Annotated[str, typer.Option("--note", "-n", help="why, or what must be answered")] = "",
    reviewer: Annotated[str | None, typer.Option(help="who decided")] = None,
    output: Annotated[str, typer.Option("--format", "-f", help="text, json, md or csv")] = "text",
) -> None:
    """Record a decision on an item of a stored mapping, or show its review (with --format md or csv,
    the whole record as exported: the mapping, the decisions, the clauses amended since)."""
    from pydantic import ValidationError

    from kb.export import mapping_csv, mapping_markdown, review_csv, review_markdown
    from kb.review import mapping_review, record_review
    from kb.service import ClauseMap
    from kb.views import ReviewItemIn

    if output not in ("text", "json", "md", "csv"):
        fail(f"--format must be text, json, md or csv, not {output!r}")
    if (item is None) != (decision is None):
        fail("give both an item and --decision to record a decision, or neither to show the review")
    service = ClauseMap(Settings())
    if item is not None:
        try:
            decided = ReviewItemIn(item_id=item, decision=decision, note=note)
        except ValidationError as exc:
            fail("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()))
        review = record_review(service, mapping_id, [decided], reviewer)
    else:
        review = mapping_review(service, mapping_id)
    if output == "json":
        typer.echo(review.model_dump_json(indent=2))
    elif output == "md":
        typer.echo(mapping_markdown(service.mapping(mapping_id)) + review_markdown(review), nl=False)
    elif output == "csv":
        typer.echo(review_csv(mapping_csv(service.mapping(mapping_id)), review), nl=False)
    else:
        typer.secho(f"mapping {review.mapping_id}: made against {review.kb_version}, now {review.current_kb_version}")
        for change in review.amended_since:
            typer.secho(f"  amended since: {change.citation} ({change.change})", fg=typer.colors.YELLOW)
        for entry in review.items:
            mark = "!" if entry.amended_since else " "
            typer.echo(f"{mark} {entry.citation:28} {entry.decision or '-':15} {entry.note}")
        typer.echo(f"{review.pending} of {len(review.items)} items without a decision")
