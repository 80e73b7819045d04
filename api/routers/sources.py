"""``GET /v1/sources``: what the knowledge base holds, and the state of each source."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from api.deps import get_service
from kb.presenters import source_out
from kb.service import ClauseMap
from kb.views import SourceOut

router = APIRouter(prefix="/v1", tags=["sources"])


@router.get("/sources", response_model=list[SourceOut], summary="Every source with its status")
def list_sources(service: Annotated[ClauseMap, Depends(get_service)]) -> list[SourceOut]:
    return [source_out(s) for s in service.kb().sources.values()]
