"""The ``kb`` command: ingest the corpus, search it, show a clause, serve the API."""

from __future__ import annotations

import functools
import json
import logging
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

import typer

from cli.output import fail
from kb.errors import KBError
from kb.settings import Settings
from kb.views import ClauseChange, MappingRecord

if TYPE_CHECKING:
    from kb.knowledge import KnowledgeBase

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__, pretty_exceptions_enable=False)


def reporting_errors(command: Callable[..., None]) -> Callable[..., None]:
    """The one place where the CLI translates errors: the knowledge base's own (``KBError``) and an
    unreachable database say what is wrong and what to do, printed as ``error: …`` with exit 1,
    instead of a traceback."""

    @functools.wraps(command)
    def run(*args, **kwargs) -> None:
        from sqlalchemy.exc import OperationalError

        try:
            command(*args, **kwargs)
        except KBError as exc:
            fail(str(exc))
        except OperationalError as exc:
            fail(f"cannot reach the database: {exc.orig}")

    return run


@app.command()
@reporting_errors
def ingest(
    source: Annotated[list[str] | None, typer.Option("--source", "-s", help="only these source ids")] = None,
    history: Annotated[
        bool, typer.Option("--history", help="first ingest each new source's earlier official versions")
    ] = False,
    fetch_first: Annotated[
        bool, typer.Option("--fetch", help="first download the sources from their official URLs (kb fetch)")
    ] = False,
) -> None:
    """Parse, validate, embed and index every registered source, then publish the new version."""
    from ingest.jobs import IngestOrder, run_ingest

    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    logging.getLogger("kb.indexing").setLevel(logging.INFO)  # progress while embedding
    code = run_ingest(Settings(), IngestOrder(tuple(source or ()), fetch_first, history), _say)
    if code:
        raise typer.Exit(code)
    settings = Settings()
    if (settings.registry_dir / "crosswalk.yaml").is_file() and not _crosswalk_sound(settings, warnings=False):
        raise typer.Exit(1)  # published, but the crosswalk links something this version lacks: say so


@app.command()
@reporting_errors
def check() -> None:
    """Check the crosswalk and triggers against the published knowledge base: every link must name a
    clause that exists, is not repealed and is not institutional, with all its qualified fields."""
    if not _crosswalk_sound(Settings()):
        raise typer.Exit(1)


def _crosswalk_sound(settings: Settings, warnings: bool = True) -> bool:
    """Print the crosswalk check's errors (and warnings); True when there is no error."""
    from kb.crosswalk import check_knowledge_base
    from kb.knowledge import Library

    findings = check_knowledge_base(Library(settings).get(), settings.registry_dir)
    errors = [f for f in findings if f.severity == "error"]
    for finding in findings if warnings else errors:
        colour = typer.colors.RED if finding.severity == "error" else typer.colors.YELLOW
        typer.secho(str(finding), fg=colour, err=True)
    typer.echo(f"crosswalk check: {len(errors)} error(s), {len(findings) - len(errors)} warning(s)")
    return not errors


def _say(line: str, failed: bool) -> None:
    typer.secho(line, fg=typer.colors.RED if failed else typer.colors.GREEN)


@app.command()
@reporting_errors
def search(
    query: Annotated[str, typer.Argument(help="the situation, in plain words")],
    k: Annotated[int, typer.Option("-k", help="how many results")] = 10,
    source: Annotated[list[str] | None, typer.Option("--source", "-s", help="only these sources")] = None,
    group: Annotated[str, typer.Option(help="article or clause")] = "article",
    as_json: Annotated[bool, typer.Option("--json", help="print JSON, as the API returns it")] = False,
) -> None:
    """Search the knowledge base (through the server at KB_SERVER_URL when set: no model to load)."""
    settings = Settings()
    if settings.server_url:
        from kb.remote import search as remote_search

        results = remote_search(settings.server_url, query, k, tuple(source or ()), group, settings.read_token)
    else:
        from kb.presenters import search_result
        from kb.search import Filters
        from kb.service import ClauseMap

        outcome = ClauseMap(settings).search(query, k, Filters(sources=tuple(source or ())), group)
        results = [search_result(outcome.kb, hit).model_dump(mode="json") for hit in outcome.hits]
    if as_json:
        typer.echo(json.dumps(results, indent=2, ensure_ascii=False))
        return
    for rank, result in enumerate(results, 1):
        typer.secho(f"{rank:2}. {result['citation']}  {result.get('title') or ''}  [{result['id']}]", bold=True)
        typer.echo(f"    {result['snippet']}")
        typer.secho(f"    {result['url']}", fg=typer.colors.BLUE)


@app.command()
@reporting_errors
def show(
    clause_id: Annotated[str, typer.Argument(help="e.g. gdpr:art-22(1)")],
    as_json: Annotated[bool, typer.Option("--json", help="print JSON, as the API returns it")] = False,
) -> None:
    """Show one clause with its hierarchy and cross-references."""
    from kb.presenters import clause_out
    from kb.service import ClauseMap

    kb, clause = ClauseMap(Settings()).clause(clause_id)
    out = clause_out(kb, clause)
    if as_json:
        typer.echo(out.model_dump_json(indent=2))
        return
    path = " › ".join(h.citation for h in out.hierarchy)
    typer.secho(f"{out.citation}  {out.title or out.title_note or ''}", bold=True)
    if path:
        typer.echo(f"in: {path}")
    if out.text:
        typer.echo(out.text)
    for line in subdivision_lines(kb, clause.id):
        typer.echo(line)
    if out.references:
        typer.echo("cites: " + ", ".join(r.citation for r in out.references))
    if out.referenced_by:
        typer.echo("cited by: " + ", ".join(r.citation for r in out.referenced_by))
    for translation in out.translations:
        typer.secho(f"[{translation.language}] {translation.title or ''}".rstrip(), bold=True)
        typer.echo(translation.text)
        if translation.notice:
            typer.secho(f"({translation.notice})", fg=typer.colors.YELLOW)
    typer.secho(out.url, fg=typer.colors.BLUE)


@app.command(name="map")
@reporting_errors
def map_command(
    description: Annotated[str, typer.Argument(help="the use case, in a few sentences")],
    jurisdiction: Annotated[
        list[str] | None, typer.Option("--jurisdiction", "-j", help="EU, US-CA, JP, OECD, or any code (UK, US-NY)")
    ] = None,
    phase: Annotated[str | None, typer.Option(help="planning, design or operation")] = None,
    data: Annotated[list[str] | None, typer.Option("--data", "-d", help="data category, e.g. biometric")] = None,
    k: Annotated[int, typer.Option("-k", help="how many themes")] = 5,
    output: Annotated[str, typer.Option("--format", "-f", help="text, json, md or csv")] = "text",
    role: Annotated[str | None, typer.Option(help="your AI Act role: provider, deployer, importer or distributor")] = (
        None
    ),
    sector: Annotated[str | None, typer.Option(help="e.g. employment, education, credit, law-enforcement")] = None,
    general_purpose: Annotated[
        bool | None, typer.Option("--general-purpose/--not-general-purpose", help="a general-purpose AI model")
    ] = None,
    eu_market: Annotated[
        bool | None, typer.Option("--eu-market/--no-eu-market", help="placed on the EU market or used in the EU")
    ] = None,
) -> None:
    """Map a use case to its AI Act class and duties, what applies per jurisdiction, the themes, principles,
    clauses and the company's risk checks that apply."""
    from pydantic import ValidationError

    from kb.export import mapping_csv, mapping_markdown
    from kb.service import ClauseMap
    from kb.views import MappingQuery

    if output not in ("text", "json", "md", "csv"):
        fail(f"--format must be text, json, md or csv, not {output!r}")
    try:
        query = MappingQuery(
            description=description,
            jurisdictions=jurisdiction or [],
            phase=phase,
            data_categories=data or [],
            k=k,
            role=role,
            sector=sector,
            general_purpose=general_purpose,
            eu_market=eu_market,
        )
        result = ClauseMap(Settings()).map_and_store(query)
    except ValidationError as exc:
        fail("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()))
    if output == "json":
        typer.echo(result.model_dump_json(indent=2))
    elif output == "md":
        typer.echo(mapping_markdown(result))
    elif output == "csv":
        typer.echo(mapping_csv(result), nl=False)
    else:
        _print_mapping(result)


def _print_mapping(result: MappingRecord) -> None:
    typer.secho(f"mapping {result.id} (knowledge base {result.kb_version})", bold=True)
    if result.classification is not None:
        _print_classification(result.classification)
    for j in result.jurisdictions:
        typer.secho(f"\n{j.title} ({j.code})", bold=True)
        if j.missing:
            typer.secho(f"  {j.missing}", fg=typer.colors.YELLOW)
        for c in j.situation:
            typer.echo(f"  situation      {c.citation:24} {c.why or ''}")
        for c in j.always_applies:
            typer.echo(f"  always applies {c.citation:24} {c.why or ''}")
    for sheet in result.company_sheets:
        typer.echo(f"\ncompany sheet {sheet.source}: {'applies' if sheet.applies else 'does not apply'} — {sheet.why}")
    if result.triggers:
        typer.echo(f"triggers: {', '.join(result.triggers)}")
    for theme in result.themes:
        typer.secho(f"\n{theme.title}  ({theme.score:.2f})", bold=True)
        typer.echo("  principles: " + "; ".join(p.citation for p in theme.principles))
        for group in theme.clauses_by_source:
            typer.echo(f"  {group.short_name}: " + "; ".join(c.citation for c in group.clauses))
    typer.secho("\ndirectly triggered (provisions that oblige someone):", bold=True)
    for clause in result.direct[:15]:
        typer.echo(f"  {clause.citation:24} {clause.kind or '':12} {clause.title or ''}")
        if clause.condition:
            typer.echo(f"  {'':24} {'':12} condition: {clause.condition}")
    if result.checklist:
        typer.secho("\nchecklist:", bold=True)
        for check in result.checklist:
            typer.echo(f"  [ ] {check.citation}: {check.question or check.statement}")


def _print_classification(c) -> None:
    typer.secho(f"\nAI Act: {c.title}  (confidence {c.confidence:.2f}, {c.confidence_label})", bold=True)
    if c.basis:
        typer.echo(f"  decided by: {', '.join(c.basis)}")
    if c.would_be:
        typer.echo(f"  with an EU link it would be: {c.would_be}")
    typer.echo(f"  scope: {c.scope_note}")
    for f in c.findings:
        typer.echo(f"  {f.citation:24} {f.risk_class:12} words: {', '.join(f.words)}")
    for f in c.ruled_out:
        typer.echo(f"  {f.citation:24} {'ruled out':12} words: {', '.join(f.words)}")
    for e in c.exceptions:
        typer.echo(f"  could change it: {e.citation}: {e.text}")
    for q in c.open_questions:
        typer.secho(f"  ? {q}", fg=typer.colors.YELLOW)
    typer.echo(f"  duties (your role: {c.role or 'not known'}):" if c.duties else "  no AI Act duties")
    for d in c.duties:
        mark = "" if d.for_you else "(another role) "
        typer.echo(f"    {d.citation:22} {mark}{d.title} — {d.condition}")


@app.command()
@reporting_errors
def changes(
    source: Annotated[str | None, typer.Option("--source", "-s", help="only this source")] = None,
    since: Annotated[str | None, typer.Option(help="only versions effective on or after YYYY-MM-DD")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON, as the API returns it")] = False,
) -> None:
    """What changed at each ingest: added, amended (with a word-level diff) and repealed clauses."""
    from datetime import date, datetime

    from kb.presenters import source_changes
    from kb.service import ClauseMap

    try:
        start = datetime.combine(date.fromisoformat(since), datetime.min.time()) if since else None
    except ValueError as exc:
        fail(f"--since must be a date like 2024-05-03 ({exc})")
    service = ClauseMap(Settings())
    versions = service.changes(start, source)
    out = [source_changes(service.kb(), v) for v in versions]
    if as_json:
        typer.echo(json.dumps([o.model_dump(mode="json") for o in out], indent=2, ensure_ascii=False))
        return
    for version in out:
        typer.secho(
            f"{version.source} version of {version.version_date} (effective {version.effective_at:%Y-%m-%d}): "
            f"+{version.added} ~{version.amended} -{version.repealed} >{version.moved}",
            bold=True,
        )
        notes = {change.note for change in version.changes}
        shared = notes.pop() if len(notes) == 1 else None
        if shared:  # one note for the whole version (a re-enactment): say it once
            typer.echo(f"  {shared}")
        for change in version.changes if version.amended + version.repealed + version.moved else []:
            shown = change.model_copy(update={"note": None}) if shared else change
            if change.change == "moved":  # renumbered: the old number, then the new one
                typer.echo(f"  {'moved':8} {change.from_citation} → {change.citation}: {render_diff(shown)}")
            else:
                typer.echo(f"  {change.change:8} {change.citation}: {render_diff(shown)}")


def subdivision_lines(kb: KnowledgeBase, clause_id: str, depth: int = 1) -> list[str]:
    """Every subdivision under a clause, indented by level, each with its own words."""
    lines = []
    for child in kb.children(clause_id):
        lines.append(f"{'  ' * depth}{child.number} {child.text}".rstrip())
        lines.extend(subdivision_lines(kb, child.id, depth + 1))
    return lines


def render_diff(change: ClauseChange) -> str:
    """``[-removed-]{+added+}`` inline, as wdiff prints it; unchanged runs shortened. A changed
    title comes first ("title: …; text: …"), and a note on the kind of change last."""
    note = f"  ({change.note})" if change.note else ""
    if change.diff is None:
        return (change.text or "")[:100] + note
    text = _render_runs(change.diff)
    if change.title_diff:
        return f"title: {_render_runs(change.title_diff)}; text: {text or '(no text)'}{note}"
    return text + note


def _render_runs(runs: list[tuple[str, str]]) -> str:
    parts = []
    for op, words in runs:
        if op == "=":
            parts.append(words if len(words) <= 60 else f"{words[:25]} … {words[-25:]}")
        else:
            parts.append(f"[-{words}-]" if op == "-" else f"{{+{words}+}}")
    return " ".join(parts)


@app.command()
@reporting_errors
def serve(
    host: Annotated[str | None, typer.Option(help="bind address (default KB_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="port (default KB_PORT)")] = None,
    workers: Annotated[int, typer.Option(help="worker processes")] = 1,
) -> None:
    """Serve the HTTP API (OpenAPI docs at /docs)."""
    import os

    import uvicorn

    settings = Settings()
    if host:  # the app reads its settings anew: it should know the address it is served on (the MCP guard)
        os.environ["KB_HOST"] = host
    uvicorn.run(
        "api.main:app",  # by name: the CLI does not import the web package; the app reads the same settings
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        http="h11",  # whose request-head limit can be raised, so that an over-long URL gets our JSON 414
        h11_max_incomplete_event_size=settings.max_request_line_bytes,
    )


def main() -> None:  # pragma: no cover - console-script entry
    sys.exit(app())


from cli.fetch_cmd import fetch  # noqa: E402

app.command(name="fetch")(reporting_errors(fetch))

from cli.evaluate import evaluate, train_ranker  # noqa: E402
from cli.update_cmd import update  # noqa: E402

app.command(name="eval")(reporting_errors(evaluate))
app.command(name="train-ranker")(reporting_errors(train_ranker))
app.command(name="update")(reporting_errors(update))

from cli.mcp_cmd import mcp  # noqa: E402
from cli.review_cmd import review  # noqa: E402

app.command(name="mcp")(reporting_errors(mcp))
app.command(name="review")(reporting_errors(review))

from cli.assess_cmd import assess  # noqa: E402

for _command in assess.registered_commands:
    _command.callback = reporting_errors(_command.callback)
app.add_typer(assess, name="assess")
