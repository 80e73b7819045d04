"""``POST /v1/admin/ingest``: a maintainer triggers ingestion (optionally fetching first) over HTTP.

Requires the admin token (off when none is configured); every call is audited. The ingest runs as
a separate ``kb ingest`` process, exactly as from the command line, so the server keeps answering
and picks the new version up when it is published.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi import Path as PathParam
from pydantic import BaseModel, Field

from api.deps import get_service
from api.schemas import ErrorResponse
from api.security import AdminClient
from kb.diskerrors import unwritable
from kb.service import ClauseMap
from kb.settings import Settings
from kb.store import DataDir, IngestRunning

router = APIRouter(prefix="/v1/admin", tags=["admin"])
audit = logging.getLogger("clausemap.audit")


class IngestIn(BaseModel):
    model_config = {"extra": "forbid"}

    sources: list[str] = Field(default_factory=list, max_length=50, description="only these sources (default all)")
    fetch: bool = Field(default=False, description="download from the official URLs first")
    history: bool = Field(default=False, description="ingest earlier official versions of new sources first")


class IngestJob(BaseModel):
    id: str
    status: str = Field(description="running, succeeded or failed")
    started_at: datetime
    finished_at: datetime | None = None
    exit_code: int | None = None
    output: str = Field(default="", description="the last lines `kb ingest` printed")


class _Jobs:
    """At most one ingest process at a time; finished jobs are kept for status queries."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.jobs: dict[str, tuple[IngestJob, subprocess.Popen, Path]] = {}

    def start(self, settings: Settings, body: IngestIn) -> IngestJob:
        with self.lock:
            if any(job.status == "running" for job in self._refresh()):
                raise IngestRunning("an ingest started over the API is still running")
            job = IngestJob(id=uuid.uuid4().hex, status="running", started_at=datetime.now(UTC))
            log_path = settings.data_dir / f"ingest-{job.id}.log"
            args = [sys.executable, "-m", "cli", "ingest", *[f"--source={s}" for s in body.sources]]
            args += ["--fetch"] * body.fetch + ["--history"] * body.history
            try:
                settings.data_dir.mkdir(parents=True, exist_ok=True)
                log = log_path.open("wb")
            except OSError as exc:  # a read-only data directory, a full disk: 507 with what to do
                problem = unwritable(exc, DataDir(settings.data_dir), action="ingest not started")
                if problem is None:
                    raise
                raise problem from exc
            with log:
                process = subprocess.Popen(
                    args,
                    env=_env(settings),
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    cwd=Path(__file__).resolve().parents[2],
                )
            self.jobs[job.id] = (job, process, log_path)
            return job

    def get(self, job_id: str) -> IngestJob | None:
        with self.lock:
            self._refresh()
            entry = self.jobs.get(job_id)
            return entry[0] if entry else None

    def _refresh(self) -> list[IngestJob]:
        for job, process, log_path in self.jobs.values():
            if job.status == "running" and process.poll() is not None:
                job.exit_code = process.returncode
                job.status = "succeeded" if process.returncode == 0 else "failed"
                job.finished_at = datetime.now(UTC)
            job.output = "\n".join(log_path.read_text(errors="replace").splitlines()[-30:]) if log_path.exists() else ""
        return [job for job, _, _ in self.jobs.values()]


def _env(settings: Settings) -> dict[str, str]:
    """The server's environment with its own paths, and without its tokens (the child needs none)."""
    env = {k: v for k, v in os.environ.items() if k not in ("KB_ADMIN_TOKEN", "KB_READ_TOKEN")}
    env.update(
        KB_DATA_DIR=str(settings.data_dir),
        KB_SOURCES_DIR=str(settings.sources_dir),
        KB_REGISTRY_DIR=str(settings.registry_dir),
    )
    return env


JOBS = _Jobs()


@router.post(
    "/ingest",
    response_model=IngestJob,
    status_code=202,
    responses={
        401: {"model": ErrorResponse},
        403: {"model": ErrorResponse},
        409: {"model": ErrorResponse},
        507: {"model": ErrorResponse, "description": "the data directory is read-only or full"},
    },
)
def start_ingest(body: IngestIn, client: AdminClient, service: Annotated[ClauseMap, Depends(get_service)]) -> IngestJob:
    job = JOBS.start(service.settings, body)
    audit.info(
        "admin ingest %s started by %s: sources=%s fetch=%s history=%s",
        job.id,
        client,
        body.sources or "all",
        body.fetch,
        body.history,
    )
    return job


@router.get(
    "/ingest/{job_id}",
    response_model=IngestJob,
    responses={401: {"model": ErrorResponse}, 403: {"model": ErrorResponse}, 404: {"model": ErrorResponse}},
)
def ingest_status(job_id: Annotated[str, PathParam(pattern=r"^[0-9a-f]{32}$")], client: AdminClient) -> IngestJob:
    job = JOBS.get(job_id)
    if job is None:
        from fastapi import HTTPException

        raise HTTPException(status_code=404, detail=f"no ingest job {job_id}")
    return job
