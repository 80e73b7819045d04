"""``GET /v1/clauses/{id}``: one clause with its place in the document and its references."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path

from api.deps import get_service
from api.presenters import clause_out
from api.schemas import ClauseOut, ErrorResponse
from kb.service import ClauseMap

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
) -> ClauseOut:
    kb, clause = service.clause(clause_id)
    return clause_out(kb, clause)
