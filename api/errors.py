"""One JSON error shape for every failure: ``{"error": {"code": ..., "message": ...}}``."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.security import AccessDenied
from kb.ids import InvalidClauseId
from kb.index import IndexCorrupt
from kb.search import InvalidQuery
from kb.service import UnknownClause, UnknownMapping, UnknownSource
from kb.store import IngestRunning, NotIngested

log = logging.getLogger(__name__)


def error_response(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse(status_code=status, content={"error": {"code": code, "message": message}})


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(InvalidQuery)
    async def invalid_query(_: Request, exc: InvalidQuery) -> JSONResponse:
        return error_response(422, "invalid_query", str(exc))

    @app.exception_handler(InvalidClauseId)
    async def invalid_id(_: Request, exc: InvalidClauseId) -> JSONResponse:
        return error_response(422, "invalid_clause_id", str(exc))

    @app.exception_handler(UnknownClause)
    async def unknown_clause(_: Request, exc: UnknownClause) -> JSONResponse:
        return error_response(404, "unknown_clause", str(exc))

    @app.exception_handler(AccessDenied)
    async def access_denied(_: Request, exc: AccessDenied) -> JSONResponse:
        return error_response(exc.status, exc.code, str(exc))

    @app.exception_handler(IngestRunning)
    async def ingest_running(_: Request, exc: IngestRunning) -> JSONResponse:
        return error_response(409, "ingest_running", str(exc))

    @app.exception_handler(UnknownMapping)
    async def unknown_mapping(_: Request, exc: UnknownMapping) -> JSONResponse:
        return error_response(404, "unknown_mapping", str(exc))

    @app.exception_handler(UnknownSource)
    async def unknown_source(_: Request, exc: UnknownSource) -> JSONResponse:
        return error_response(404, "unknown_source", str(exc))

    @app.exception_handler(NotIngested)
    async def not_ingested(_: Request, exc: NotIngested) -> JSONResponse:
        return error_response(503, "not_ingested", str(exc))

    @app.exception_handler(IndexCorrupt)
    async def index_corrupt(_: Request, exc: IndexCorrupt) -> JSONResponse:
        return error_response(503, "index_unavailable", str(exc))

    @app.exception_handler(RequestValidationError)
    async def validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ()) if p not in ('query', 'body', 'path'))}: {e.get('msg')}"
            for e in exc.errors()
        )
        return error_response(422, "invalid_request", problems or "invalid request")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {400: "bad_request", 404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return error_response(exc.status_code, code, str(exc.detail))

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error")
        return error_response(500, "internal_error", "an unexpected error occurred; it has been logged")
