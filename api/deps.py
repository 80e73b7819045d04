"""Dependencies shared by the routers."""

from __future__ import annotations

from fastapi import Request

from kb.service import ClauseMap


def get_service(request: Request) -> ClauseMap:
    return request.app.state.service
