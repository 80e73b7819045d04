"""One JSON error shape for every failure: ``{"error": {"code": ..., "message": ...}}``."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.security import AccessDenied
from kb.database import SchemaMismatch
from kb.diskerrors import DataDirUnwritable
from kb.ids import InvalidClauseId
from kb.index import IndexCorrupt
from kb.search import InvalidQuery
from kb.service import UnknownClause, UnknownMapping, UnknownSource
from kb.store import IngestRunning, NotIngested

log = logging.getLogger(__name__)


def error_response(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse(status_code=status, content={"error": {"code": code, "message": message}})


# The knowledge base's own errors, each with the status and code a client sees.
DOMAIN_ERRORS: dict[type[Exception], tuple[int, str]] = {
    InvalidQuery: (422, "invalid_query"),
    InvalidClauseId: (422, "invalid_clause_id"),
    UnknownClause: (404, "unknown_clause"),
    UnknownMapping: (404, "unknown_mapping"),
    UnknownSource: (404, "unknown_source"),
    IngestRunning: (409, "ingest_running"),
    NotIngested: (503, "not_ingested"),
    IndexCorrupt: (503, "index_unavailable"),
    SchemaMismatch: (503, "schema_mismatch"),
    DataDirUnwritable: (507, "data_dir_unwritable"),
}


def _domain_handler(status: int, code: str):
    async def handle(_: Request, exc: Exception) -> JSONResponse:
        return error_response(status, code, str(exc))

    return handle


def install_error_handlers(app: FastAPI) -> None:
    for exception, (status, code) in DOMAIN_ERRORS.items():
        app.add_exception_handler(exception, _domain_handler(status, code))

    @app.exception_handler(AccessDenied)
    async def access_denied(_: Request, exc: AccessDenied) -> JSONResponse:
        return error_response(exc.status, exc.code, str(exc))

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

    @app.exception_handler(OperationalError)
    async def database_unavailable(_: Request, exc: OperationalError) -> JSONResponse:
        log.error("database unavailable: %s", exc.orig)  # the URL's password is never in this text
        message = "the clause database cannot be reached right now; try again shortly"
        return error_response(503, "database_unavailable", message)

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error")
        return error_response(500, "internal_error", "an unexpected error occurred; it has been logged")
