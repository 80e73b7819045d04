"""The FastAPI application factory."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import OperationalError
from starlette.routing import Route

from api.docs import install_docs
from api.errors import install_error_handlers
from api.routers import admin, assessments, changes, clauses, feeds, health, mapping, review, search, sources
from api.security import install_security
from api.web import STATIC_DIR, assess_routes
from api.web import routes as web
from kb.database import SchemaMismatch
from kb.index import IndexCorrupt
from kb.service import ClauseMap
from kb.settings import Settings
from kb.store import NotIngested
from mcp_server.http import PATH as MCP_PATH
from mcp_server.http import MountedMCP

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, service: ClauseMap | None = None) -> FastAPI:
    settings = settings or Settings()
    service = service or ClauseMap(settings)
    mcp = MountedMCP(service)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        try:
            service.warm_up()
        except NotIngested as exc:
            log.warning("%s", exc)
        except (IndexCorrupt, SchemaMismatch) as exc:  # serve 503 with the reason, never wrong results
            log.error("refusing to search: %s", exc)
        except OperationalError as exc:  # the database is down: start anyway, answer 503 until it is back
            log.error("database unavailable at start-up: %s", exc.orig)
        async with mcp.running():
            yield

    app = FastAPI(
        title="clausemap",
        version="0.1.0",
        description="Clause-level search over laws, guidelines and internal principles on AI and data.",
        lifespan=lifespan,
        docs_url=None,  # served by install_docs from packaged assets, not from a CDN
        redoc_url=None,
    )
    app.state.service = service
    install_error_handlers(app, settings)
    install_security(app, settings)
    install_docs(app)
    for module in (search, feeds, review, mapping, clauses, sources, changes, health, admin, assessments):
        app.include_router(module.router)
    app.router.routes.append(Route(MCP_PATH, endpoint=mcp, include_in_schema=False))  # tools for AI assistants
    app.include_router(web.router)
    app.include_router(assess_routes.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
