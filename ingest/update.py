"""``kb update``: what a scheduler (cron, a systemd timer, CI) runs to keep the knowledge base current.

Fetch every source from its official URL (``kb fetch``: conditional requests, verified downloads),
then ingest: a source whose files did not change is recognised by its content hash and costs
nothing, so ingesting all of them also publishes a download an earlier run fetched but failed to
ingest. The outcome is one of three, as an exit code a scheduler can act on:

- ``0``  nothing changed: the published version stays;
- ``10`` changes published: a new version serves, and the report says which clauses changed;
- ``1``  an error: a download or a source failed, or the ingest could not run (whatever did go
  through is published all the same, and the report says so).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ingest.fetch import FetchReport, fetch_registered
from ingest.pipeline import IngestReport, SourceReport, ingest
from kb.embedding import Embedder
from kb.errors import KBError
from kb.settings import Settings

NOTHING_CHANGED, CHANGES_PUBLISHED, FAILED = 0, 10, 1


@dataclass
class UpdateOutcome:
    fetched: list[FetchReport] = field(default_factory=list)
    ingested: IngestReport | None = None
    error: str | None = None

    @property
    def published(self) -> bool:
        return self.ingested is not None and self.ingested.published

    @property
    def failures(self) -> list[str]:
        found = [f"{r.source_id}: {r.message}" for r in self.fetched if r.failed]
        if self.ingested is not None:
            found += [f"{r.source_id}: {r.message}" for r in self.ingested.failed]
        if self.error:
            found.append(self.error)
        return found

    @property
    def exit_code(self) -> int:
        if self.failures:
            return FAILED
        return CHANGES_PUBLISHED if self.published else NOTHING_CHANGED

    @property
    def changed(self) -> list[SourceReport]:
        """The sources whose clauses changed (added, amended or repealed)."""
        if self.ingested is None:
            return []
        return [r for r in self.ingested.sources if r.added or r.amended or r.repealed]

    def as_json(self) -> dict:
        status = {NOTHING_CHANGED: "unchanged", CHANGES_PUBLISHED: "published", FAILED: "error"}[self.exit_code]
        return {
            "status": status,
            "exit_code": self.exit_code,
            "version": self.ingested.version if self.ingested else None,
            "published": self.published,
            "fetched": [{"source": r.source_id, "status": r.status, "message": r.message} for r in self.fetched],
            "changed": [
                {"source": r.source_id, "added": r.added, "amended": r.amended, "repealed": r.repealed}
                for r in self.changed
            ],
            "errors": self.failures,
        }

    def lines(self) -> list[tuple[str, bool]]:
        """What the command prints: one line per download, per changed source, and the outcome."""
        out = [(f"fetch  {r.source_id:10} {r.status:12} {r.message}", r.failed) for r in self.fetched]
        if self.ingested is not None:
            for report in self.ingested.failed:
                out.append((f"ingest {report.source_id:10} {report.status:12} {report.message}", True))
            for report in self.changed:
                counts = f"+{len(report.added)} ~{len(report.amended)} -{len(report.repealed)}"
                out.append((f"changed {report.source_id:9} {counts}", False))
                for kind, ids in (("added", report.added), ("amended", report.amended), ("repealed", report.repealed)):
                    out += [(f"  {kind:8} {clause_id}", False) for clause_id in ids]
        if self.error:
            out.append((f"error: {self.error}", True))
        if self.published:
            out.append((f"published {self.ingested.version}", False))
        elif self.ingested is not None:
            out.append((f"nothing changed: {self.ingested.version} stays published", False))
        return out


def update(
    settings: Settings,
    only: Sequence[str] | None = None,
    *,
    timeout: float = 30.0,
    embedder: Embedder | None = None,
) -> UpdateOutcome:
    """Fetch, then ingest what changed; never raises a ``KBError`` (it becomes the outcome's error)."""
    outcome = UpdateOutcome()
    try:
        outcome.fetched = fetch_registered(settings, only=only, timeout=timeout)
        outcome.ingested = ingest(settings, embedder, only=list(only) if only else None)
    except KBError as exc:
        outcome.error = str(exc)
    return outcome
