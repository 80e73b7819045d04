"""``kb search`` through a running server (KB_SERVER_URL): the same results as the API, no model
loaded in the command's process, and a clear error when the server is not there."""

from __future__ import annotations

import json
import socket
import sys

import pytest
from typer.testing import CliRunner

from cli.main import app


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_an_unreachable_server_is_reported_in_one_line(monkeypatch) -> None:
    monkeypatch.setenv("KB_SERVER_URL", f"http://127.0.0.1:{free_port()}")
    result = CliRunner().invoke(app, ["search", "erasure of personal data"])
    assert result.exit_code == 1 and "cannot reach the search server" in result.output
    assert "Traceback" not in result.output


@pytest.mark.slow
def test_cli_search_through_the_server_matches_the_api(ingested, monkeypatch) -> None:
    import httpx

    from tests.test_api import start_server, stop_server

    process, base = start_server(ingested)
    try:
        monkeypatch.setenv("KB_SERVER_URL", base)
        monkeypatch.delitem(sys.modules, "sentence_transformers", raising=False)
        result = CliRunner().invoke(app, ["search", "right to have my data erased", "-s", "gdpr", "--json"])
        assert result.exit_code == 0, result.output
        via_cli = [r["id"] for r in json.loads(result.stdout)]
        api = httpx.get(f"{base}/v1/search", params={"q": "right to have my data erased", "source": "gdpr"}).json()
        assert via_cli == [r["id"] for r in api["results"]] and len(via_cli) == 10
        assert "sentence_transformers" not in sys.modules  # the command loaded no model
        bad = CliRunner().invoke(app, ["search", "x", "-k", "1000"])
        assert bad.exit_code == 1 and "answered 422" in bad.output
    finally:
        stop_server(process)
