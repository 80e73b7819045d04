"""``GET /v1/changes.atom`` (and per source, and per stored mapping): the change feed, Atom 1.0."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import Response

from api.deps import get_service
from api.schemas import ErrorResponse
from kb.feed import MEDIA_TYPE, FeedLinks, change_feed
from kb.service import ClauseMap

router = APIRouter(prefix="/v1", tags=["changes"])
ATOM_RESPONSE = {200: {"content": {MEDIA_TYPE: {}}, "description": "an Atom 1.0 feed"}}


class AtomResponse(Response):
    media_type = f"{MEDIA_TYPE}; charset=utf-8"


def feed_links(request: Request, page: str) -> FeedLinks:
    """Absolute links on the server the reader asked (a feed reader needs them absolute); never the
    query string, which may carry the read token."""
    base = str(request.base_url).rstrip("/")
    return FeedLinks(
        self_url=base + request.url.path,
        site_url=base + page,
        clause_page=lambda cid: f"{base}/clauses/{quote(cid, safe=':()-.')}#history",
        clause_history=lambda cid: f"{base}/v1/clauses/{quote(cid, safe=':()-.')}/history",
    )


@router.get(
    "/changes.atom",
    response_class=AtomResponse,
    responses=ATOM_RESPONSE,
    summary="Every source's changes as an Atom feed: an entry per clause added, amended or repealed",
)
def all_changes_feed(request: Request, service: Annotated[ClauseMap, Depends(get_service)]) -> AtomResponse:
    return AtomResponse(change_feed(service, feed_links(request, "/changes")))


@router.get(
    "/sources/{source_id}/changes.atom",
    response_class=AtomResponse,
    responses={**ATOM_RESPONSE, 404: {"model": ErrorResponse}},
    summary="One source's changes as an Atom feed",
)
def source_changes_feed(
    request: Request,
    service: Annotated[ClauseMap, Depends(get_service)],
    source_id: Annotated[str, Path(max_length=64, examples=["gdpr"])],
) -> AtomResponse:
    links = feed_links(request, f"/changes?source={quote(source_id)}")
    return AtomResponse(change_feed(service, links, source=source_id))


@router.get(
    "/map/{mapping_id}/changes.atom",
    response_class=AtomResponse,
    responses={**ATOM_RESPONSE, 404: {"model": ErrorResponse}},
    summary="Changes to the clauses a stored mapping cites, as an Atom feed",
)
def mapping_changes_feed(
    request: Request,
    service: Annotated[ClauseMap, Depends(get_service)],
    mapping_id: Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="the id returned by POST /v1/map")],
) -> AtomResponse:
    return AtomResponse(change_feed(service, feed_links(request, f"/v1/map/{mapping_id}"), mapping_id=mapping_id))
