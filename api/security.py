"""What protects the service: an admin token for everything that changes state, an optional read
token, bounded request bodies, security headers on every response, CORS off unless configured.
See docs/security.md for the model."""

from __future__ import annotations

import hmac
import logging
from typing import Annotated

from fastapi import Depends, FastAPI, Header, Request
from fastapi.middleware.cors import CORSMiddleware
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.responses import JSONResponse, Response

from kb.errors import KBError
from kb.settings import Settings

audit = logging.getLogger("clausemap.audit")

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
DOCS_PATHS = ("/docs", "/redoc")  # Swagger UI loads its own scripts and styles inline


class AccessDenied(KBError, PermissionError):
    """The request lacks the token this endpoint requires."""

    code = "unauthorized"
    http_status = 401

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.http_status, self.code = status, code


def token_matches(given: str | None, expected: str) -> bool:
    """Constant-time comparison, so the time taken says nothing about how much of a token was right."""
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


def bearer(authorization: str | None) -> str | None:
    if authorization and authorization.lower().startswith("bearer "):
        return authorization[7:].strip()
    return None


def require_admin(
    request: Request, authorization: Annotated[str | None, Header(include_in_schema=False)] = None
) -> str:
    """Admin endpoints are off when KB_ADMIN_TOKEN is unset; with it, they need ``Bearer <token>``."""
    settings: Settings = request.app.state.service.settings
    client = request.client.host if request.client else "unknown"
    if not settings.admin_token:
        raise AccessDenied(403, "admin_disabled", "admin endpoints are disabled: set KB_ADMIN_TOKEN to enable them")
    if not token_matches(bearer(authorization), settings.admin_token):
        audit.warning("denied %s %s from %s: bad or missing admin token", request.method, request.url.path, client)
        raise AccessDenied(401, "unauthorized", "this endpoint needs 'Authorization: Bearer <admin token>'")
    return client


AdminClient = Annotated[str, Depends(require_admin)]


class GuardMiddleware(BaseHTTPMiddleware):
    """Size limit, optional read token and security headers, applied before any route runs."""

    def __init__(self, app: FastAPI, settings: Settings) -> None:
        super().__init__(app)
        self.settings = settings

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        declared = request.headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.settings.max_body_bytes):
            return _error(413, "too_large", f"request bodies are limited to {self.settings.max_body_bytes} bytes")
        if self.settings.read_token and not _is_open(request.url.path):
            given = bearer(request.headers.get("authorization")) or request.query_params.get("token")
            if not (token_matches(given, self.settings.read_token) or _is_admin(given, self.settings)):
                return _error(401, "unauthorized", "this service needs 'Authorization: Bearer <read token>'")
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if response.headers.get("content-type", "").startswith("text/html") and not request.url.path.startswith(
            DOCS_PATHS
        ):
            response.headers.setdefault("Content-Security-Policy", PAGE_POLICY)
        return response


def _is_open(path: str) -> bool:
    return path == "/healthz" or path.startswith(("/static/", "/docs-assets/"))


def _is_admin(given: str | None, settings: Settings) -> bool:
    return bool(settings.admin_token) and token_matches(given, settings.admin_token)


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse(status_code=status, content={"error": {"code": code, "message": message}})


def install_security(app: FastAPI, settings: Settings) -> None:
    app.add_middleware(GuardMiddleware, settings=settings)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type"],
        )
