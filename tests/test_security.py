"""Who may change the knowledge base, and what every response carries, through a real server over
the tiny knowledge base (the point is the server's behaviour, not the corpus)."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from kb.settings import Settings
from tests.conftest import copy_data_dir
from tests.test_api import start_server, stop_server

pytestmark = pytest.mark.slow

ADMIN = "s3cret-admin-token-for-tests"
READER = "reader-token-for-tests"
SERVER_LOGS: list[Path] = []


@pytest.fixture(scope="module")
def private_copy(tiny_kb: Settings, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    data_dir = tmp_path_factory.mktemp("secure") / "data"
    copy_data_dir(tiny_kb.data_dir, data_dir)
    return Settings(data_dir=data_dir, sources_dir=tiny_kb.sources_dir, registry_dir=tiny_kb.registry_dir)


@pytest.fixture(scope="module")
def guarded(private_copy: Settings):
    process, base = start_server(private_copy, {"KB_ADMIN_TOKEN": ADMIN, "KB_READ_TOKEN": READER})
    SERVER_LOGS.append(Path(process.log_path))
    yield base
    stop_server(process)


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_reading_needs_the_read_token_when_one_is_set(guarded: str) -> None:
    assert httpx.get(f"{guarded}/healthz").status_code == 200  # health stays open for load balancers
    denied = httpx.get(f"{guarded}/v1/search", params={"q": "robots"})
    assert denied.status_code == 401 and denied.json()["error"]["code"] == "unauthorized"
    assert httpx.get(f"{guarded}/v1/search", params={"q": "robots"}, headers=_auth(READER)).status_code == 200
    assert httpx.get(f"{guarded}/v1/search", params={"q": "robots"}, headers=_auth(ADMIN)).status_code == 200


def test_admin_ingest_needs_the_admin_token_and_runs(guarded: str) -> None:
    url = f"{guarded}/v1/admin/ingest"
    assert httpx.post(url, json={}, headers=_auth(READER)).status_code == 401
    assert httpx.post(url, json={}, headers=_auth("wrong")).status_code == 401
    started = httpx.post(url, json={"sources": ["oecd"]}, headers=_auth(ADMIN))
    assert started.status_code == 202, started.text
    job_id = started.json()["id"]
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        job = httpx.get(f"{url}/{job_id}", headers=_auth(ADMIN)).json()
        if job["status"] != "running":
            break
        time.sleep(1)
    assert job["status"] == "succeeded", job["output"]
    assert "oecd" in job["output"]


def test_oversized_bodies_are_refused(guarded: str) -> None:
    response = httpx.post(
        f"{guarded}/v1/map",
        content=b"{" + b" " * 200_000 + b"}",
        headers={**_auth(READER), "Content-Type": "application/json"},
    )
    assert response.status_code == 413 and response.json()["error"]["code"] == "too_large"


def test_security_headers_and_no_cors_by_default(guarded: str) -> None:
    response = httpx.get(f"{guarded}/v1/sources", headers={**_auth(READER), "Origin": "https://evil.example"})
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "access-control-allow-origin" not in response.headers


def test_admin_endpoints_are_off_without_a_token(private_copy: Settings) -> None:
    process, base = start_server(private_copy)
    try:
        response = httpx.post(f"{base}/v1/admin/ingest", json={}, headers=_auth("anything"))
        assert response.status_code == 403 and response.json()["error"]["code"] == "admin_disabled"
    finally:
        stop_server(process)


def test_tokens_never_reach_the_log(private_copy: Settings, guarded: str) -> None:
    httpx.post(f"{guarded}/v1/admin/ingest", json={}, headers=_auth("wrong-token-value"))
    paths = [*Path(private_copy.data_dir).glob("*.log"), *SERVER_LOGS]
    logs = " ".join(p.read_text(errors="replace") for p in paths)
    assert "/v1/admin/ingest" in logs  # the server log was read
    assert ADMIN not in logs and "wrong-token-value" not in logs
