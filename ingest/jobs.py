"""Ingest jobs: ``kb ingest``'s work (optionally fetching first) as lines of text, and the same run
in a child process for the admin endpoint, so that the server keeps answering while it runs and
picks the new version up when it is published. The API starts jobs here, never the CLI."""

from __future__ import annotations

import logging
import multiprocessing
import os
import sys
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing.process import BaseProcess
from pathlib import Path

from kb.diskerrors import unwritable
from kb.errors import KBError
from kb.settings import Settings
from kb.store import DataDir, IngestRunning

SECRETS = ("admin_token", "read_token")  # a job needs neither; they never reach the child


@dataclass(frozen=True)
class IngestOrder:
    sources: tuple[str, ...] = ()
    fetch: bool = False
    history: bool = False


def fetch_lines(settings: Settings, order: IngestOrder, say: Callable[[str, bool], None]) -> bool:
    """Download the sources (``kb fetch``); say one line per source. True if one failed (its local
    copy is ingested all the same)."""
    from ingest.fetch import fetch_registered

    reports = fetch_registered(settings, only=list(order.sources) or None)
    for report in reports:
        say(f"{report.source_id:10} {report.status:12} {report.message}", report.failed)
    return any(report.failed for report in reports)


def run_ingest(settings: Settings, order: IngestOrder, say: Callable[[str, bool], None]) -> int:
    """Ingest as ``kb ingest`` does, saying each line (text, whether it reports a failure); the exit
    code: 0, or 2 when a source failed and the others went ahead."""
    from ingest.pipeline import ingest

    if order.fetch and fetch_lines(settings, order, say):
        say("some downloads failed: their local copies are ingested", True)
    report = ingest(settings, only=list(order.sources) or None, history=order.history)
    for item in report.sources:
        counts = ", ".join(f"{n} {kind}" for kind, n in sorted(item.counts.items()))
        changes = f"+{len(item.added)} ~{len(item.amended)} -{len(item.repealed)}"
        detail = item.message or f"{counts} ({changes})"
        failed = item.status in ("failed", "unavailable")
        say(f"{item.source_id:10} {item.status:11} {item.seconds:6.1f}s  {detail}", failed)
    if report.schema_upgraded_from:
        say(f"database schema upgraded from revision {report.schema_upgraded_from}", False)
    if report.published:
        say(
            f"published {report.version}: {report.indexed} texts indexed, {report.embedded} embedded, "
            f"{report.seconds:.1f}s",
            False,
        )
    else:
        say(f"nothing changed: {report.version} stays published ({report.seconds:.1f}s)", False)
    return 2 if report.failed else 0


def _child(settings_values: dict, order: IngestOrder, log_path: str) -> None:
    """The job's process: everything it prints (and its log records) goes to the job's log file."""
    with open(log_path, "ab", buffering=0) as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
    for name in SECRETS:
        os.environ.pop(f"KB_{name.upper()}", None)
    logging.basicConfig(level=logging.WARNING, format="%(message)s", stream=sys.stderr, force=True)

    def say(line: str, _failed: bool) -> None:
        print(line, flush=True)

    try:
        code = run_ingest(Settings(**settings_values), order, say)
    except KBError as exc:
        print(f"error: {exc}", flush=True)
        code = 1
    sys.exit(code)


@dataclass
class IngestJob:
    id: str
    started_at: datetime
    status: str = "running"  # running, succeeded or failed
    finished_at: datetime | None = None
    exit_code: int | None = None
    output: str = ""
    log_path: Path | None = field(default=None, repr=False)


class IngestJobs:
    """At most one ingest process at a time; finished jobs are kept for status queries."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.jobs: dict[str, tuple[IngestJob, BaseProcess]] = {}

    def start(self, settings: Settings, order: IngestOrder) -> IngestJob:
        with self.lock:
            if any(job.status == "running" for job in self._refresh()):
                raise IngestRunning("an ingest started over the API is still running")
            job = IngestJob(id=uuid.uuid4().hex, started_at=datetime.now(UTC))
            job.log_path = settings.data_dir / f"ingest-{job.id}.log"
            try:
                settings.data_dir.mkdir(parents=True, exist_ok=True)
                job.log_path.touch()
            except OSError as exc:  # a read-only data directory, a full disk: 507 with what to do
                problem = unwritable(exc, DataDir(settings.data_dir), action="ingest not started")
                if problem is None:
                    raise
                raise problem from exc
            values = settings.model_dump(exclude=set(SECRETS))
            # spawn: a fresh interpreter, not a fork of the serving process and its threads
            process = multiprocessing.get_context("spawn").Process(
                target=_child, args=(values, order, str(job.log_path)), name=f"ingest-{job.id}", daemon=False
            )
            process.start()
            self.jobs[job.id] = (job, process)
            return job

    def get(self, job_id: str) -> IngestJob | None:
        with self.lock:
            self._refresh()
            entry = self.jobs.get(job_id)
            return entry[0] if entry else None

    def _refresh(self) -> list[IngestJob]:
        for job, process in self.jobs.values():
            if job.status == "running" and process.exitcode is not None:
                process.join()
                job.exit_code = process.exitcode
                job.status = "succeeded" if process.exitcode == 0 else "failed"
                job.finished_at = datetime.now(UTC)
            if job.log_path is not None and job.log_path.exists():
                job.output = "\n".join(job.log_path.read_text(errors="replace").splitlines()[-30:])
        return [job for job, _ in self.jobs.values()]
