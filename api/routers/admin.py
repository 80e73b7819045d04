"""``POST /v1/admin/ingest``: a maintainer triggers ingestion (optionally fetching first) over HTTP.

Requires the admin token (off when none is configured); every call is audited. The ingest runs in
a child process started by the library (ingest/jobs.py), the same work as ``kb ingest``, so the
server keeps answering and picks the new version up when it is published.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi import Path as PathParam
from pydantic import BaseModel, Field

from api.deps import get_service
from api.schemas import ErrorResponse
from api.security import AdminClient
from ingest.jobs import IngestJob, IngestJobs, IngestOrder
from kb.service import ClauseMap

router = APIRouter(prefix="/v1/admin", tags=["admin"])
audit = logging.getLogger("clausemap.audit")


class IngestIn(BaseModel):
    model_config = {"extra": "forbid"}

    sources: list[str] = Field(default_factory=list, max_length=50, description="only these sources (default all)")
    fetch: bool = Field(default=False, description="download from the official URLs first")
    history: bool = Field(default=False, description="ingest earlier official versions of new sources first")


class IngestJobOut(BaseModel):
    id: str
    status: str = Field(description="running, succeeded or failed")
    started_at: datetime
    finished_at: datetime | None = None
    exit_code: int | None = None
    output: str = Field(default="", description="the last lines the job printed (as `kb ingest` prints them)")

    @classmethod
    def of(cls, job: IngestJob) -> IngestJobOut:
        return cls(
            id=job.id,
            status=job.status,
            started_at=job.started_at,
            finished_at=job.finished_at,
            exit_code=job.exit_code,
            output=job.output,
        )


JOBS = IngestJobs()


@router.post(
    "/ingest",
    response_model=IngestJobOut,
    status_code=202,
    responses={
        401: {"model": ErrorResponse},
        403: {"model": ErrorResponse},
        409: {"model": ErrorResponse},
        507: {"model": ErrorResponse, "description": "the data directory is read-only or full"},
    },
)
def start_ingest(
    body: IngestIn, client: AdminClient, service: Annotated[ClauseMap, Depends(get_service)]
) -> IngestJobOut:
    job = JOBS.start(service.settings, IngestOrder(tuple(body.sources), body.fetch, body.history))
    audit.info(
        "admin ingest %s started by %s: sources=%s fetch=%s history=%s",
        job.id,
        client,
        body.sources or "all",
        body.fetch,
        body.history,
    )
    return IngestJobOut.of(job)


@router.get(
    "/ingest/{job_id}",
    response_model=IngestJobOut,
    responses={401: {"model": ErrorResponse}, 403: {"model": ErrorResponse}, 404: {"model": ErrorResponse}},
)
def ingest_status(job_id: Annotated[str, PathParam(pattern=r"^[0-9a-f]{32}$")], client: AdminClient) -> IngestJobOut:
    job = JOBS.get(job_id)
    if job is None:
        from fastapi import HTTPException

        raise HTTPException(status_code=404, detail=f"no ingest job {job_id}")
    return IngestJobOut.of(job)
