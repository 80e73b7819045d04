"""One JSON error shape for every failure: ``{"error": {"code": ..., "message": ...}}``.

The knowledge base's own errors all derive from ``kb.errors.KBError`` and carry their code and
HTTP status, so one handler translates them all; the others here are the framework's (validation,
routing, content type, URL length) and the database driver's.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.responses import Response

from kb.errors import KBError
from kb.settings import Settings

log = logging.getLogger(__name__)

HTTP_CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    414: "uri_too_long",
    415: "unsupported_media_type",
}


def error_response(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse(status_code=status, content={"error": {"code": code, "message": message}})


def _wants_json_but_got_other(request: Request) -> bool:
    """A JSON endpoint's body sent with another content type (a form, plain text)."""
    if request.method not in ("POST", "PUT", "PATCH") or not request.url.path.startswith("/v1/"):
        return False
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return content_type != "application/json" and not content_type.endswith("+json")


class LongUrlGuard(BaseHTTPMiddleware):
    """A request target longer than ``max_url_chars`` gets 414 in our shape (``kb serve`` raises the
    server's own limit, whose answer would be a plain-text 400, above this one)."""

    def __init__(self, app, max_url_chars: int) -> None:
        super().__init__(app)
        self.max_url_chars = max_url_chars

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        target = request.scope.get("raw_path", b"") + b"?" + request.scope.get("query_string", b"")
        if len(target) > self.max_url_chars:
            message = f"the URL is {len(target)} characters long; at most {self.max_url_chars} are accepted"
            return error_response(414, "uri_too_long", message)
        return await call_next(request)


def install_error_handlers(app: FastAPI, settings: Settings) -> None:
    app.add_middleware(LongUrlGuard, max_url_chars=settings.max_url_chars)

    @app.exception_handler(KBError)
    async def domain_error(_: Request, exc: KBError) -> JSONResponse:
        if exc.http_status >= 500:
            log.error("%s: %s", exc.code, exc)
        return error_response(exc.http_status, exc.code, str(exc))

    @app.exception_handler(RequestValidationError)
    async def validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        if _wants_json_but_got_other(request):
            given = request.headers.get("content-type") or "none"
            message = f"send the body as JSON with 'Content-Type: application/json' (got content type {given})"
            return error_response(415, "unsupported_media_type", message)
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ()) if p not in ('query', 'body', 'path'))}: {e.get('msg')}"
            for e in exc.errors()
        )
        return error_response(422, "invalid_request", problems or "invalid request")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = HTTP_CODES.get(exc.status_code, "http_error")
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
