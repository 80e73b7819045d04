"""``kb mcp``: the MCP server for AI assistants, over stdio (an assistant starts it as a subprocess)."""

from __future__ import annotations

from kb.settings import Settings


def mcp() -> None:
    """Serve the MCP server (tools for AI assistants: search, show, map, changes) over stdio."""
    from kb.service import ClauseMap
    from mcp_server.server import build_server

    build_server(ClauseMap(Settings())).run("stdio")
