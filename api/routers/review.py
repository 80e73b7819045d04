"""``GET`` and ``PUT /v1/map/{id}/review``: the reviewer's decision on each item of a stored mapping."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, Field, field_validator

from api.deps import get_service
from api.schemas import ErrorResponse
from kb.review import mapping_review, record_review
from kb.service import ClauseMap
from kb.views import MappingReview, ReviewItemIn

router = APIRouter(prefix="/v1", tags=["mapping"])
MappingId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="the id returned by POST /v1/map")]


class ReviewIn(BaseModel):
    model_config = {"extra": "forbid"}

    reviewer: str | None = Field(default=None, max_length=200, description="who decided (a name or an email)")
    items: list[ReviewItemIn] = Field(min_length=1, max_length=500, description="decisions, one per item")

    @field_validator("reviewer")
    @classmethod
    def _no_nul(cls, value: str | None) -> str | None:
        if value is not None and "\x00" in value:
            raise ValueError("must not contain NUL characters")
        return value


@router.get(
    "/map/{mapping_id}/review",
    response_model=MappingReview,
    responses={404: {"model": ErrorResponse}},
    summary="A mapping's review record: each item's decision, and the clauses amended since it was made",
)
def get_review(mapping_id: MappingId, service: Annotated[ClauseMap, Depends(get_service)]) -> MappingReview:
    return mapping_review(service, mapping_id)


@router.put(
    "/map/{mapping_id}/review",
    response_model=MappingReview,
    responses={404: {"model": ErrorResponse}, 422: {"model": ErrorResponse}},
    summary="Record decisions (applies, does_not_apply, needs_answer) with notes on items of a mapping",
)
def put_review(
    mapping_id: MappingId, body: ReviewIn, service: Annotated[ClauseMap, Depends(get_service)]
) -> MappingReview:
    return record_review(service, mapping_id, body.items, body.reviewer)
