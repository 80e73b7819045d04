"""``GET /v1/changes`` and ``GET /v1/sources/{id}/changes``: what changed at each ingest."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from api.deps import get_service
from api.schemas import ErrorResponse
from kb.presenters import source_changes
from kb.service import ClauseMap
from kb.views import SourceChanges

router = APIRouter(prefix="/v1", tags=["changes"])

Since = Annotated[date | None, Query(description="only versions that took effect on or after this date (YYYY-MM-DD)")]


@router.get("/changes", response_model=list[SourceChanges], summary="Added, amended and repealed clauses")
def all_changes(service: Annotated[ClauseMap, Depends(get_service)], since: Since = None) -> list[SourceChanges]:
    kb = service.kb()
    return [source_changes(kb, v) for v in service.changes(_start_of(since))]


@router.get(
    "/sources/{source_id}/changes",
    response_model=list[SourceChanges],
    responses={404: {"model": ErrorResponse}},
    summary="The versions of one source and what each changed",
)
def changes_of_source(
    service: Annotated[ClauseMap, Depends(get_service)],
    source_id: Annotated[str, Path(max_length=64, examples=["gdpr"])],
    since: Since = None,
) -> list[SourceChanges]:
    kb = service.kb()
    return [source_changes(kb, v) for v in service.changes(_start_of(since), source_id)]


def _start_of(day: date | None) -> datetime | None:
    return datetime(day.year, day.month, day.day) if day else None
