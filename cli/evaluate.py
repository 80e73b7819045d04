"""``kb eval``: score search on a labelled query file, beside the fixed-list baseline."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cli.output import fail
from kb.settings import Settings

if TYPE_CHECKING:
    from kb.evaluation import Report, Scores

_COLUMNS = (("n", 5), ("R@1", 6), ("R@3", 6), ("R@5", 6), ("R@10", 6), ("R@20", 6), ("nDCG10", 7), ("MRR", 6))
_COLUMNS += (("macR@10", 8), ("R@10-fq", 8), ("idR@10", 7), ("idMRR", 6), ("ms", 6))
_NAME_WIDTH = 26


def evaluate(
    file: Annotated[Path, typer.Argument(help="JSON Lines: {id, query, expected: [clause ids], source} per line")],
    as_json: Annotated[bool, typer.Option("--json", help="print every number (and the failures) as JSON")] = False,
    method: Annotated[
        str, typer.Option(help="ranked (the learned stage), hybrid, dense or lexical search, or map (POST /v1/map)")
    ] = "ranked",
    k: Annotated[int, typer.Option("--k", "-k", help="results asked of each search (R@20 needs 20)")] = 20,
    scope: Annotated[
        str, typer.Option(help="labels: search only the sources of each query's expected ids; all: everything")
    ] = "labels",
    limit: Annotated[int | None, typer.Option(help="only the first N queries, for a quick run")] = None,
    description_only: Annotated[
        bool, typer.Option("--description-only", help="map: leave out the use cases' answers (role, sector, …)")
    ] = False,
    held_only: Annotated[
        bool, typer.Option("--held-only", help="score only the queries whose expected sources are all ingested")
    ] = False,
    failures: Annotated[
        Path | None,
        typer.Option(help="where to write the failed queries (default <data dir>/eval/<file stem>-failures.jsonl)"),
    ] = None,
) -> None:
    """Run each query through search (as the API does) and report recall@k, nDCG@10 and MRR at article and
    id level, per source of the labels and overall, beside a fixed list of the ten most frequent expected
    articles; write the queries that found no expected article in the top 10 to the failures file."""
    from kb.evaluation import SCOPES, evaluate_search, load_queries
    from kb.search import METHODS
    from kb.service import ClauseMap

    settings = Settings()
    if method not in (*METHODS, "map"):
        fail(f"--method must be one of {', '.join(METHODS)} or map, not {method!r}")
    if scope not in SCOPES:
        fail(f"--scope must be one of {', '.join(SCOPES)}, not {scope!r}")
    if not 1 <= k <= settings.max_k:
        fail(f"--k must be between 1 and {settings.max_k}, not {k}")
    if limit is not None and limit < 1:
        fail(f"--limit must be at least 1, not {limit}")
    if method == "map":
        from kb.map_evaluation import is_use_case_file

        if is_use_case_file(file):  # a labelled use-case set: class, provisions, noise, sheets (cli/evaluate_map.py)
            from cli.evaluate_map import evaluate_use_cases

            evaluate_use_cases(file, as_json, limit, description_only)
            return
    queries = load_queries(file)[:limit]
    service = ClauseMap(settings)
    service.warm_up()
    report = evaluate_search(service, queries, file.name, method, k, scope, held_only=held_only)
    failures_path = failures or settings.data_dir / "eval" / f"{file.stem}-failures.jsonl"
    failures_path.parent.mkdir(parents=True, exist_ok=True)
    failures_path.write_text("".join(json.dumps(f, ensure_ascii=False) + "\n" for f in report.retrieval.failures))
    if as_json:
        typer.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
        return
    print_report(report, failures_path)


def print_report(report: Report, failures_path: Path) -> None:
    """The table: one row per source of the labels, overall, and the fixed-list baseline overall."""
    if report.missing_sources:
        missing = ", ".join(report.missing_sources)
        typer.secho(
            f"warning: the file expects clauses of sources not in the knowledge base: {missing} "
            "(their queries find nothing; --held-only leaves them out)",
            fg=typer.colors.YELLOW,
            err=True,
        )
    n = report.retrieval.overall.queries
    typer.echo(
        f"{report.file}: {n} queries, method {report.method}, scope {report.scope}, k {report.k}, "
        f"knowledge base {report.kb_version}; {report.seconds:.1f}s"
    )
    frequent = ", ".join(report.frequent_labels)
    typer.echo(
        f"article level: R@k nDCG10 MRR, macR@10 (mean over articles), R@10-fq (labels other than {frequent}); "
        "id level: idR@10 idMRR; ms: mean per query"
    )
    header = "".ljust(_NAME_WIDTH) + "".join(name.rjust(width) for name, width in _COLUMNS)
    typer.secho(header, bold=True)
    for source, scores in report.retrieval.by_source.items():
        typer.echo(_row(source, scores))
    typer.secho(_row("overall", report.retrieval.overall), bold=True)
    typer.echo(_row("fixed-list baseline", report.baseline.overall))
    typer.echo(f"baseline list: {', '.join(report.baseline_labels)}")
    typer.echo(f"{len(report.retrieval.failures)} queries with no expected article in the top 10: {failures_path}")


def _row(name: str, scores: Scores) -> str:
    values = [
        str(scores.queries),
        *(f"{scores.recall[k]:.3f}" for k in (1, 3, 5, 10, 20)),
        f"{scores.ndcg10:.3f}",
        f"{scores.mrr:.3f}",
        f"{scores.macro_recall10:.3f}",
        "-" if scores.rare_recall10 is None else f"{scores.rare_recall10:.3f}",
        f"{scores.id_recall10:.3f}",
        f"{scores.id_mrr:.3f}",
        f"{scores.mean_latency_ms:.0f}",
    ]
    return name[: _NAME_WIDTH - 1].ljust(_NAME_WIDTH) + "".join(
        value.rjust(width) for value, (_, width) in zip(values, _COLUMNS, strict=True)
    )


def train_ranker(
    file: Annotated[
        Path | None, typer.Argument(help="labelled cases with a group field (default ../shared/eval/dev.jsonl)")
    ] = None,
    out: Annotated[Path | None, typer.Option(help="where to write the model (default KB_RANKER_FILE)")] = None,
    folds: Annotated[int, typer.Option(help="cross-validation folds, split by group")] = 5,
    seed: Annotated[int, typer.Option(help="seed of the assignment of groups to folds")] = 0,
    ablation: Annotated[bool, typer.Option(help="also cross-validate without each feature in turn")] = False,
) -> None:
    """Train the learned ranking stage on labelled cases and write its parameters (never the texts);
    print the cross-validated scores beside the hybrid order's."""
    from kb.ranker_training import train_ranker as train
    from kb.service import ClauseMap

    settings = Settings()
    path = file or settings.sources_dir.parent / "eval" / "dev.jsonl"
    if not path.is_file():
        fail(f"no labelled file at {path}")
    if folds < 2:
        fail(f"--folds must be at least 2, not {folds}")
    target = out or settings.ranker_file or settings.registry_dir / "ranker.json"
    service = ClauseMap(settings)

    def progress(done: int, total: int) -> None:
        if done % 250 == 0 or done == total:
            typer.echo(f"  first stage: {done}/{total} queries", err=True)

    typer.echo(f"embedding {path.name} …", err=True)
    report = train(service.kb(), service.embedder, path, folds, seed, ablation, progress)
    report.model.save(target)
    typer.echo(f"{report.queries} queries; wrote {target}")
    typer.echo(f"{'':24}{'MRR':>7}{'R@1':>7}{'R@10':>7}{'macR@10':>9}{'R@10-fq':>9}{'nDCG10':>8}")
    typer.echo(_training_row("hybrid (first stage)", report.hybrid))
    typer.echo(_training_row(f"ranked ({folds}-fold CV)", report.cross_validated))
    for name, scores in report.ablation.items():
        typer.echo(_training_row(f"  without {name}", scores))


def _training_row(name: str, scores: Scores) -> str:
    return (
        f"{name:24}{scores.mrr:7.3f}{scores.recall[1]:7.3f}{scores.recall[10]:7.3f}"
        f"{scores.macro_recall10:9.3f}{scores.rare_recall10 or 0.0:9.3f}{scores.ndcg10:8.3f}"
    )
