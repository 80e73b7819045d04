"""The HTTP API through a real ``kb serve`` process on a free loopback port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from kb.settings import Settings

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(settings: Settings, extra_env: dict[str, str] | None = None) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {
        **os.environ,
        "KB_DATA_DIR": str(settings.data_dir),
        "KB_SOURCES_DIR": str(settings.sources_dir),
        "KB_REGISTRY_DIR": str(settings.registry_dir),
        **(extra_env or {}),
    }
    log = tempfile.NamedTemporaryFile(prefix="kb-serve-", suffix=".log", delete=False)  # noqa: SIM115
    # a file, not a pipe: nobody reads a pipe while tests run, and a full pipe blocks the server
    process = subprocess.Popen(
        [sys.executable, "-m", "cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    process.log_path = log.name  # type: ignore[attr-defined]
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {server_log(process)}")
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code in (200, 503):
                return process, base
        except httpx.TransportError:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError("server did not start in 120 s")


def server_log(process: subprocess.Popen) -> str:
    return Path(process.log_path).read_text(errors="replace")[-2000:]  # type: ignore[attr-defined]


def stop_server(process: subprocess.Popen) -> None:
    """Ask for a graceful shutdown; kill if it takes too long, and say so."""
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        pytest.fail(f"server did not stop within 15 s of SIGTERM: {server_log(process)}")


@pytest.fixture(scope="module")
def server(ingested: Settings) -> Iterator[str]:
    process, base = start_server(ingested)
    yield base
    stop_server(process)


@pytest.fixture
def client(server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server, timeout=30) as c:
        yield c


def test_health(client: httpx.Client) -> None:
    body = client.get("/healthz").json()
    assert body["status"] == "ok" and body["clauses"] > 1000 and body["version"]


def test_search_over_http(client: httpx.Client) -> None:
    response = client.get(
        "/v1/search",
        params={"q": "decision about a loan made only by an algorithm, no human involved", "k": 10, "source": "gdpr"},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["k"] == 10 and len(body["results"]) == 10
    top3 = [r["unit_id"] for r in body["results"][:3]]
    assert "gdpr:art-22" in top3
    first = body["results"][0]
    assert {"id", "citation", "title", "snippet", "url", "score", "source", "binding"} <= first.keys()


def test_clause_with_hierarchy_and_references_both_ways(client: httpx.Client) -> None:
    body = client.get("/v1/clauses/gdpr:art-22(4)").json()
    assert body["citation"] == "GDPR Art. 22(4)"
    assert [h["id"] for h in body["hierarchy"]] == ["gdpr:chapter-3", "gdpr:chapter-3.section-4", "gdpr:art-22"]
    assert "gdpr:art-9(1)" in [r["id"] for r in body["references"]]
    cited = client.get("/v1/clauses/gdpr:art-9(1)").json()
    assert "gdpr:art-22(4)" in [r["id"] for r in cited["referenced_by"]]


def test_clause_passages_read_in_the_documents_order(client: httpx.Client) -> None:
    passages = client.get("/v1/clauses/euaia:art-5(2)").json()["passages"]
    assert [(p["id"], p["depth"]) for p in passages] == [
        ("euaia:art-5(2)", 0),
        ("euaia:art-5(2)(a)", 1),
        ("euaia:art-5(2)(b)", 1),
        ("euaia:art-5(2)(sub2)", 1),
    ]
    assert passages[0]["text"].endswith("shall take into account the following elements:")
    assert passages[-1]["text"].startswith("In addition, the use of ‘real-time’ remote biometric")


def test_a_moved_clauses_history_starts_at_its_old_number(client: httpx.Client) -> None:
    history = client.get("/v1/clauses/oecd:1.5(b)/history").json()
    assert [v["clause_id"] for v in history] == ["oecd:1.4(b)", "oecd:1.5(b)"]


def test_sources(client: httpx.Client) -> None:
    sources = {s["id"]: s for s in client.get("/v1/sources").json()}
    gdpr = sources["gdpr"]
    assert gdpr["status"] == "ingested" and gdpr["binding"] and gdpr["jurisdiction"] == "EU"
    assert gdpr["clause_count"] > 1000 and gdpr["official_url"].startswith("https://eur-lex")


def test_a_server_without_data_says_so(tmp_path) -> None:
    process, base = start_server(Settings(data_dir=tmp_path / "empty", sources_dir=tmp_path))
    try:
        assert httpx.get(f"{base}/healthz").status_code == 503
        response = httpx.get(f"{base}/v1/search", params={"q": "consent"})
        assert response.status_code == 503 and "kb ingest" in response.json()["error"]["message"]
    finally:
        stop_server(process)
