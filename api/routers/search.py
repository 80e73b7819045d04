"""``GET /v1/search``: the reviewers' search."""

from __future__ import annotations

import time
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query

from api.deps import get_service
from api.routers.clauses import end_of
from api.schemas import ErrorResponse, SearchResponse
from kb.presenters import search_answer
from kb.search import Filters
from kb.service import ClauseMap

router = APIRouter(prefix="/v1", tags=["search"])


@router.get(
    "/search",
    response_model=SearchResponse,
    responses={422: {"model": ErrorResponse}, 503: {"model": ErrorResponse}},
    summary="Search the clauses of every source with a plain-language description",
)
def search_clauses(
    service: Annotated[ClauseMap, Depends(get_service)],
    q: Annotated[
        str,
        Query(
            min_length=1,
            max_length=2000,
            description="what the situation is",
            examples=["decision about a loan made only by an algorithm"],
        ),
    ],
    k: Annotated[int, Query(ge=1, le=100, description="how many results")] = 10,
    group: Annotated[
        Literal["article", "clause"], Query(description="one result per article or per clause")
    ] = "article",
    source: Annotated[list[str] | None, Query(description="only these sources, e.g. gdpr")] = None,
    jurisdiction: Annotated[list[str] | None, Query(description="EU, US-CA, JP, OECD, internal")] = None,
    kind: Annotated[list[str] | None, Query(description="law, regulation, guideline, principles, internal")] = None,
    binding: Annotated[bool | None, Query(description="only binding (true) or non-binding (false) sources")] = None,
    language: Annotated[list[str] | None, Query(description="en, ja")] = None,
    as_of: Annotated[date | None, Query(description="search the texts in force on this date (YYYY-MM-DD)")] = None,
) -> SearchResponse:
    started = time.perf_counter()
    filters = Filters(
        tuple(source or ()), tuple(jurisdiction or ()), tuple(kind or ()), binding, tuple(language or ()), end_of(as_of)
    )
    answer = search_answer(service.search(q, k, filters, group), k, group)
    took = (time.perf_counter() - started) * 1000
    return SearchResponse(**dict(answer), took_ms=round(took, 2))
