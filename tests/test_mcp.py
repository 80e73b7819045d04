"""The MCP server with the SDK's own client, on the tiny knowledge base: over stdio (``python -m cli
mcp`` spawned with the knowledge base's settings in its environment) and over streamable HTTP (a real
``kb serve`` on 127.0.0.1, behind the read token). Every answer is compared with the HTTP API's."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError

from kb.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
TOOLS = {"search_clauses", "show_clause", "clause_history", "map_use_case", "list_changes", "list_sources"}
AMENDED = "oecd:op-4(a)"  # amended between the tiny OECD fixture's 2019 and 2024 versions
TOKEN = "read-secret-for-the-mcp-test"


def kb_env(settings: Settings) -> dict[str, str]:
    """The stdio server starts with a bare environment: it is told where the knowledge base is, and on
    PostgreSQL which database holds it."""
    env = {
        "KB_DATA_DIR": str(settings.data_dir),
        "KB_SOURCES_DIR": str(settings.sources_dir),
        "KB_REGISTRY_DIR": str(settings.registry_dir),
        "PYTHONPATH": str(ROOT),
    }
    if settings.database_url is not None:
        env["KB_DATABASE_URL"] = settings.database_url
    return env


def tool_error(result: Any) -> dict:
    """The API's error shape carried in a tool's error text."""
    assert result.is_error
    text = result.content[0].text
    return json.loads(text[text.index("{") :])


async def exercise(client: Client) -> dict[str, Any]:
    """What one MCP session answers: the tools listed, each tool called, a clause read as a resource."""
    listed = await client.list_tools()
    answers: dict[str, Any] = {"tools": {t.name: t for t in listed.tools}}
    call = client.call_tool
    answers["search"] = (await call("search_clauses", {"query": "tests should be small", "k": 3})).structured_content
    answers["search_filtered"] = (
        await call("search_clauses", {"query": "clear reasons", "k": 5, "jurisdictions": ["oecd"], "group": "clause"})
    ).structured_content
    answers["show"] = (await call("show_clause", {"clause_id": AMENDED})).structured_content
    answers["history"] = (await call("clause_history", {"clause_id": AMENDED})).structured_content
    answers["changes"] = (await call("list_changes", {"source": "oecd"})).structured_content
    answers["map"] = (
        await call("map_use_case", {"description": "A camera system recognises visitors' faces at the door", "k": 2})
    ).structured_content
    answers["unknown_clause"] = tool_error(await call("show_clause", {"clause_id": "oecd:no-such-clause"}))
    answers["k_too_large"] = tool_error(await call("search_clauses", {"query": "tests", "k": 500}))
    answers["bad_map"] = tool_error(await call("map_use_case", {"description": "a chatbot", "jurisdictions": ["mars"]}))
    answers["bad_filter"] = tool_error(await call("search_clauses", {"query": "tests", "jurisdictions": ["mars"]}))
    resources = await client.list_resources()
    answers["resources"] = {r.name: r for r in resources.resources}
    read = await client.read_resource(f"clausemap://clause/{AMENDED}")
    answers["resource"] = json.loads(read.contents[0].text)
    try:
        await client.read_resource("clausemap://clause/oecd:no-such-clause")
        answers["resource_error"] = None
    except MCPError as exc:
        answers["resource_error"] = json.loads(str(exc)[str(exc).index("{") :])
    return answers


def check_against_api(answers: dict[str, Any], api: httpx.Client | Any) -> None:
    """The MCP answers equal the HTTP API's, field for field (the timing and the stored mapping's
    id and time aside)."""
    assert set(answers["tools"]) == TOOLS
    for tool in answers["tools"].values():
        assert len(tool.description) > 80, tool.name  # written for a model to choose by
    search = api.get("/v1/search", params={"q": "tests should be small", "k": 3}).json()
    search.pop("took_ms")
    assert answers["search"] == search and search["results"]
    filtered = api.get(
        "/v1/search", params={"q": "clear reasons", "k": 5, "jurisdiction": "oecd", "group": "clause"}
    ).json()
    assert answers["search_filtered"]["results"] == filtered["results"]
    assert {r["source"] for r in filtered["results"]} == {"oecd"}
    assert answers["show"] == api.get(f"/v1/clauses/{AMENDED}").json()
    history = api.get(f"/v1/clauses/{AMENDED}/history").json()
    assert answers["history"] == {"clause_id": AMENDED, "versions": history} and len(history) == 2
    assert answers["changes"]["versions"] == api.get("/v1/sources/oecd/changes").json()
    mapped = api.post(
        "/v1/map", json={"description": "A camera system recognises visitors' faces at the door", "k": 2}
    ).json()
    for key in ("id", "created_at"):
        mapped.pop(key), answers["map"].pop(key)
    assert answers["map"] == mapped and mapped["themes"]
    unknown = api.get("/v1/clauses/oecd:no-such-clause")
    assert unknown.status_code == 404 and answers["unknown_clause"] == unknown.json()
    assert answers["resource_error"] == unknown.json()
    too_large = api.get("/v1/search", params={"q": "tests", "k": 500})
    assert too_large.status_code == 422
    assert answers["k_too_large"]["error"]["code"] == too_large.json()["error"]["code"] == "invalid_request"
    bad_filter = api.get("/v1/search", params={"q": "tests", "jurisdiction": "mars"})
    assert bad_filter.status_code == 422 and answers["bad_filter"] == bad_filter.json()
    bad_map = api.post("/v1/map", json={"description": "a chatbot", "jurisdictions": ["mars"]})
    assert bad_map.status_code == 422
    assert answers["bad_map"]["error"]["code"] == bad_map.json()["error"]["code"] == "invalid_request"
    resource = answers["resources"][AMENDED.split("(")[0]]
    assert resource.meta["official_url"].startswith("https://example.org/oecd")
    assert answers["resource"] == api.get(f"/v1/clauses/{AMENDED}").json()


@pytest.mark.slow
def test_stdio(tiny_kb: Settings, tiny_client) -> None:
    params = StdioServerParameters(command=sys.executable, args=["-m", "cli", "mcp"], env=kb_env(tiny_kb), cwd=ROOT)

    async def session() -> dict[str, Any]:
        async with Client(params, read_timeout_seconds=120) as client:
            return await exercise(client)

    check_against_api(asyncio.run(session()), tiny_client)


@pytest.fixture
def served(tiny_kb: Settings) -> Iterator[str]:
    from tests.test_api import start_server, stop_server

    process, base = start_server(tiny_kb, {"KB_READ_TOKEN": TOKEN})
    try:
        yield base
    finally:
        stop_server(process)


@pytest.mark.slow
def test_streamable_http_behind_the_read_token(served: str) -> None:
    headers = {"Authorization": f"Bearer {TOKEN}"}

    async def session() -> dict[str, Any]:
        async with (
            httpx2.AsyncClient(headers=headers, timeout=120) as http,
            Client(streamable_http_client(f"{served}/mcp", http_client=http)) as client,
        ):
            return await exercise(client)

    refused = httpx.post(f"{served}/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "unauthorized"
    with httpx.Client(base_url=served, headers=headers, timeout=120) as api:
        check_against_api(asyncio.run(session()), api)


def test_in_process(tiny_service, tiny_client) -> None:
    """The same checks with the server in this process (the fast tier's cover of the MCP tools)."""
    from mcp_server.server import build_server

    async def session() -> dict[str, Any]:
        async with Client(build_server(tiny_service)) as client:
            return await exercise(client)

    check_against_api(asyncio.run(session()), tiny_client)


def test_the_mcp_interface_depends_on_the_library_only() -> None:
    """mcp_server/ is an interface beside api/ and cli/: it calls kb/, never the other two."""
    from tests.test_layers import imported_modules

    for path in sorted((ROOT / "mcp_server").glob("*.py")):
        assert not {m for m in imported_modules(path) if m.split(".")[0] in ("api", "cli")}, path.name
