"""The HTTP API fuzzed from its own OpenAPI schema (schemathesis) against a real server: whatever
the input, no 500, and every error uses the one JSON error shape. Bounded for CI; for a longer run:
``KB_FUZZ_EXAMPLES=500 pytest tests/test_fuzz_api.py``."""

from __future__ import annotations

import os
from collections.abc import Iterator

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from kb.settings import Settings
from tests.test_api import start_server, stop_server

pytestmark = pytest.mark.slow
EXAMPLES = int(os.environ.get("KB_FUZZ_EXAMPLES", "25"))


@pytest.fixture(scope="module")
def live(ingested: Settings) -> Iterator[str]:
    process, base = start_server(ingested)
    yield base
    stop_server(process)


def test_no_input_makes_the_server_fail(live: str) -> None:
    schema = schemathesis.openapi.from_url(f"{live}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    checked, calls = 0, []
    for operation in operations:
        if operation.path.startswith("/v1/admin/"):
            continue  # state-changing: covered by tests/test_security.py

        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
        @given(case=operation.as_strategy())
        def check(case: schemathesis.Case) -> None:
            response = case.call(timeout=60)
            calls.append(response.status_code)
            where = f"{case.method} {case.formatted_path}"
            assert response.status_code < 500, f"{where}: {response.status_code} {response.text[:300]}"
            content_type = str(response.headers.get("content-type", ""))
            if response.status_code >= 400 and "application/json" in content_type:
                error = response.json().get("error", {})
                assert error.get("code") and error.get("message"), f"{where}: {response.text[:300]}"

        check()
        checked += 1
    assert checked >= 8
    print(f"fuzz: {len(calls)} requests over {checked} operations, statuses {sorted(set(calls))}")


@pytest.mark.parametrize(
    "params",
    [
        {"q": "\x00\x01\x02 control characters"},
        {"q": "ｆｕｌｌ ｗｉｄｔｈ 顔認証 مرحبا שלום Ελληνικά 🙂 ∑"},
        {"q": "x" * 2000},
        {"q": "consent", "k": "-1"},
        {"q": "consent", "as_of": "not-a-date"},
        {"q": "consent", "binding": "maybe"},
    ],
)
def test_odd_queries_get_an_answer_or_a_clear_error(live: str, params: dict) -> None:
    response = httpx.get(f"{live}/v1/search", params=params, timeout=60)
    assert response.status_code in (200, 422), response.text[:300]


def test_invalid_utf8_in_the_query_string(live: str) -> None:
    response = httpx.get(f"{live}/v1/search?q=%ff%fe%00abc", timeout=60)
    assert response.status_code in (200, 422), response.text[:300]


def test_malformed_json_and_invalid_utf8_bodies(live: str) -> None:
    for body in (b"{not json", b'{"description": "\xff\xfe"}', b"\x00" * 100, b"[]"):
        response = httpx.post(f"{live}/v1/map", content=body, headers={"Content-Type": "application/json"}, timeout=60)
        assert response.status_code in (400, 422), (body, response.text[:300])
        assert response.json()["error"]["message"]
