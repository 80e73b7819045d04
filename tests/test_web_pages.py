"""The mapping form and the changes page: rendered by the real server from the public API's data."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from kb.settings import Settings
from tests.test_api import start_server, stop_server

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def http(ingested: Settings) -> Iterator[httpx.Client]:
    process, base = start_server(ingested)
    with httpx.Client(base_url=base, timeout=60) as client:
        yield client
    stop_server(process)


def test_mapping_form_is_a_shareable_link_with_exports(http: httpx.Client) -> None:
    empty = http.get("/map")
    assert empty.status_code == 200 and '<textarea id="description"' in empty.text
    params = [
        ("description", "Face recognition at the entrance of our office building."),
        ("phase", "design"),
        ("jurisdiction", "EU"),
        ("data", "biometric"),
    ]
    page = http.get("/map", params=params)
    assert page.status_code == 200
    html = page.text
    assert "Privacy and data protection" in html and "GDPR Art. 9" in html
    assert 'href="/clauses/nec:p2"' in html  # each framework's principle, side by side
    assert "Checklist for the design phase" in html
    markdown_link = html.split('href="/v1/map/')[1].split('"')[0]
    export = http.get(f"/v1/map/{markdown_link}")
    assert export.status_code == 200 and "# Use-case mapping" in export.text


def test_mapping_form_errors_are_messages(http: httpx.Client) -> None:
    page = http.get("/map", params={"description": "x" * 4001})
    assert page.status_code == 422 and 'role="alert"' in page.text
    assert http.get("/map", params={"description": "loans", "phase": "testing"}).status_code == 422


def test_changes_page_shows_word_level_diffs(http: httpx.Client) -> None:
    page = http.get("/changes", params={"source": "gdpr"})
    assert page.status_code == 200
    assert "GDPR Art. 43(3)" in page.text and "<del>" in page.text and "<ins>" in page.text
    assert http.get("/changes").status_code == 200
