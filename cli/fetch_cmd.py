"""``kb fetch``: download the registered sources from their official URLs into the sources directory."""

from __future__ import annotations

from typing import Annotated

import typer

from kb.settings import Settings

_COLOURS = {"downloaded": typer.colors.GREEN, "failed": typer.colors.RED, "skipped": typer.colors.YELLOW}


def fetch(
    source: Annotated[list[str] | None, typer.Option("--source", "-s", help="only these source ids")] = None,
    timeout: Annotated[float, typer.Option(help="seconds to wait for a connection or for data")] = 30.0,
) -> None:
    """Download each source's files from its official URLs; a file is replaced only after a complete,
    verified download, and an unchanged one is not downloaded again. Exit code 2 if any source failed."""
    from ingest.fetch import fetch_registered

    reports = fetch_registered(Settings(), only=source, timeout=timeout)
    for report in reports:
        typer.secho(f"{report.source_id:10} {report.status:12} {report.message}", fg=_COLOURS.get(report.status))
    if any(report.failed for report in reports):
        raise typer.Exit(2)
