"""The MCP server on the HTTP app: streamable HTTP at ``/mcp``, stateless with JSON answers, so that
any worker of ``kb serve --workers N`` answers any request and the app's middleware (read token,
body size, security headers) applies as to every other route."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.types import Receive, Scope, Send

from kb.service import ClauseMap
from mcp_server.server import build_server

PATH = "/mcp"


class MountedMCP:
    """An ASGI endpoint for ``/mcp``. The SDK's session manager runs once per app lifespan, so a new
    one is made each time the app starts (a test client may start the same app twice)."""

    def __init__(self, service: ClauseMap) -> None:
        self.server = build_server(service)
        self.host = service.settings.host
        self._app: Starlette | None = None

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        # the SDK enables its DNS-rebinding guard (Host and Origin checks) when host is loopback
        app = self.server.streamable_http_app(
            streamable_http_path=PATH, stateless_http=True, json_response=True, host=self.host
        )
        async with self.server.session_manager.run():
            self._app = app
            try:
                yield
            finally:
                self._app = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._app is None:
            message = "the MCP endpoint is starting or stopping; try again shortly"
            response = JSONResponse({"error": {"code": "unavailable", "message": message}}, status_code=503)
            await response(scope, receive, send)
            return
        await self._app(scope, receive, send)
