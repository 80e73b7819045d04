"""``kb update``: fetch every source, ingest what changed, say what changed; exit 0, 10 or 1 for schedulers."""

from __future__ import annotations

import json
import logging
from typing import Annotated

import typer

from kb.settings import Settings


def update(
    source: Annotated[list[str] | None, typer.Option("--source", "-s", help="only these source ids")] = None,
    timeout: Annotated[float, typer.Option(help="seconds to wait for a connection or for data")] = 30.0,
    as_json: Annotated[bool, typer.Option("--json", help="print the outcome as JSON")] = False,
) -> None:
    """Fetch every source from its official URL, ingest what changed and print what changed.
    Exit code: 0 nothing changed, 10 changes published, 1 an error (for cron, systemd timers and CI)."""
    from ingest.update import update as run_update

    logging.basicConfig(level=logging.ERROR, format="%(message)s")
    outcome = run_update(Settings(), only=source, timeout=timeout)
    if as_json:
        typer.echo(json.dumps(outcome.as_json(), indent=2, ensure_ascii=False))
    else:
        for line, failed in outcome.lines():
            typer.secho(line, fg=typer.colors.RED if failed else None, err=failed)
    raise typer.Exit(outcome.exit_code)
