"""``POST /v1/map``: what applies to a described use case; ``GET /v1/map/{id}`` (.md, .csv) to fetch
and export a mapping for the review record."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path
from fastapi.responses import PlainTextResponse

from api.deps import get_service
from api.schemas import ErrorResponse, MapIn, MapOut
from kb.export import mapping_csv, mapping_markdown, review_csv, review_markdown
from kb.review import mapping_review
from kb.service import ClauseMap

router = APIRouter(prefix="/v1", tags=["mapping"])
MappingId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="the id returned by POST /v1/map")]


@router.post(
    "/map",
    response_model=MapOut,
    responses={
        422: {"model": ErrorResponse},
        503: {"model": ErrorResponse},
        507: {"model": ErrorResponse, "description": "the data directory is read-only or full: not stored"},
    },
    summary="Map a use case to the themes, principles, clauses and checks that apply",
)
def map_use_case(body: MapIn, service: Annotated[ClauseMap, Depends(get_service)]) -> MapOut:
    return MapOut.of(service.map_and_store(body.query()))


# The .md and .csv routes come first: "/map/{id}" would otherwise capture "…/abc.md" and refuse it.


def _stored(service: ClauseMap, mapping_id: str) -> MapOut:
    return MapOut.of(service.mapping(mapping_id))


@router.get("/map/{mapping_id}.md", response_class=PlainTextResponse, responses={404: {"model": ErrorResponse}})
def get_mapping_markdown(
    mapping_id: MappingId, service: Annotated[ClauseMap, Depends(get_service)]
) -> PlainTextResponse:
    text = mapping_markdown(_stored(service, mapping_id)) + review_markdown(mapping_review(service, mapping_id))
    return PlainTextResponse(text, media_type="text/markdown; charset=utf-8")


@router.get("/map/{mapping_id}.csv", response_class=PlainTextResponse, responses={404: {"model": ErrorResponse}})
def get_mapping_csv(mapping_id: MappingId, service: Annotated[ClauseMap, Depends(get_service)]) -> PlainTextResponse:
    return PlainTextResponse(
        review_csv(mapping_csv(_stored(service, mapping_id)), mapping_review(service, mapping_id)),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="mapping-{mapping_id}.csv"'},
    )


@router.get("/map/{mapping_id}", response_model=MapOut, responses={404: {"model": ErrorResponse}})
def get_mapping(mapping_id: MappingId, service: Annotated[ClauseMap, Depends(get_service)]) -> MapOut:
    return _stored(service, mapping_id)
