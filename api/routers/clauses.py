"""``GET /v1/clauses/{id}``: one clause with its place in the document and its references."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from api.deps import get_service
from api.schemas import ErrorResponse
from kb.presenters import clause_history, clause_out
from kb.service import ClauseMap
from kb.views import ClauseOut, ClauseVersionOut

router = APIRouter(prefix="/v1", tags=["clauses"])


@router.get(
    "/clauses/{clause_id}",
    response_model=ClauseOut,
    responses={404: {"model": ErrorResponse}, 422: {"model": ErrorResponse}},
    summary="A clause: text, hierarchy, children and cross-references both ways",
)
def get_clause(
    service: Annotated[ClauseMap, Depends(get_service)],
    clause_id: Annotated[str, Path(max_length=200, examples=["gdpr:art-22(1)"])],
    as_of: Annotated[date | None, Query(description="the clause as it read on this date (YYYY-MM-DD)")] = None,
) -> ClauseOut:
    kb, clause = service.clause(clause_id, end_of(as_of))
    return clause_out(kb, clause)


@router.get(
    "/clauses/{clause_id}/history",
    response_model=list[ClauseVersionOut],
    responses={404: {"model": ErrorResponse}, 422: {"model": ErrorResponse}},
    summary="Every version of a clause, oldest first, each with its word-level diff from the one before",
)
def get_clause_history(
    service: Annotated[ClauseMap, Depends(get_service)],
    clause_id: Annotated[str, Path(max_length=200, examples=["gdpr:art-43(3)"])],
) -> list[ClauseVersionOut]:
    kb, clause = service.clause(clause_id)
    return clause_history(kb.history(clause.id))


def end_of(day: date | None) -> datetime | None:
    """``as_of`` a day means as the knowledge base stood at the end of that day (UTC)."""
    return datetime.combine(day, time.max, tzinfo=UTC) if day else None
