"""``GET /healthz``: is the service up, and which version does it serve."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from api.deps import get_service
from api.schemas import Health
from kb.index import IndexCorrupt
from kb.service import ClauseMap
from kb.store import NotIngested

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health, responses={503: {"model": Health}})
def health(service: Annotated[ClauseMap, Depends(get_service)]) -> Health | JSONResponse:
    try:
        kb = service.kb()
    except NotIngested:
        return JSONResponse(status_code=503, content=Health(status="not_ingested").model_dump())
    except IndexCorrupt as exc:
        return JSONResponse(status_code=503, content=Health(status="index_unavailable", detail=str(exc)).model_dump())
    return Health(status="ok", version=kb.version, clauses=len(kb.clauses))
