"""``kb update`` against a real HTTP server on 127.0.0.1 (never the internet), on a copy of the tiny
knowledge base whose OECD source is registered with a download URL on that server: an unchanged file
exits 0, a changed one 10 (published, the amended clause named), a failing server 1."""

from __future__ import annotations

import hashlib
import json
import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from kb.knowledge import Library
from kb.settings import Settings
from tests.conftest import FIXTURES, TINY_REGISTRY, copy_data_dir

OECD_FILE = "oecd/tiny-2024.md"


class Served:
    """What the test server answers for /oecd.md: a body (with an ETag, 304 when it matches), or a status."""

    def __init__(self, body: bytes) -> None:
        self.body, self.status, self.requests = body, 200, 0

    def handler(self) -> type[BaseHTTPRequestHandler]:
        served = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                served.requests += 1
                etag = '"' + hashlib.sha256(served.body).hexdigest()[:16] + '"'
                if served.status != 200 or self.path != "/oecd.md":
                    status = served.status if self.path == "/oecd.md" else 404
                    self.send_response(status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                elif self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                else:
                    self.send_response(200)
                    self.send_header("ETag", etag)
                    self.send_header("Content-Length", str(len(served.body)))
                    self.end_headers()
                    self.wfile.write(served.body)

        return Handler


@pytest.fixture
def served() -> Iterator[tuple[Served, str]]:
    site = Served((FIXTURES / OECD_FILE).read_bytes())
    server = ThreadingHTTPServer(("127.0.0.1", 0), site.handler())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site, f"http://127.0.0.1:{server.server_address[1]}/oecd.md"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def scheduled(tiny_kb: Settings, served, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Served, Settings]:
    """A private copy of the tiny knowledge base, its registry giving the OECD file a download URL on
    the local server; the CLI reads these settings from the environment, as under cron."""
    site, url = served
    registry = tmp_path / "registry"
    shutil.copytree(TINY_REGISTRY, registry)
    toml = registry / "sources.toml"
    text = toml.read_text(encoding="utf-8")
    anchor = 'files = ["oecd/tiny-2024.md"]\n'
    assert text.count(anchor) == 1
    toml.write_text(text.replace(anchor, f'{anchor}download = ["{url}"]\n'), encoding="utf-8")
    sources = tmp_path / "sources"
    shutil.copytree(FIXTURES, sources, ignore=shutil.ignore_patterns("tiny-kb"))
    settings = Settings(
        data_dir=copy_data_dir(tiny_kb.data_dir, tmp_path / "data"), sources_dir=sources, registry_dir=registry
    )
    for name, value in (("DATA_DIR", settings.data_dir), ("SOURCES_DIR", sources), ("REGISTRY_DIR", registry)):
        monkeypatch.setenv(f"KB_{name}", str(value))
    return site, settings


def _update(*args: str):
    return CliRunner().invoke(app, ["update", "-s", "oecd", *args])


def test_unchanged_then_changed_then_unchanged(scheduled: tuple[Served, Settings]) -> None:
    site, settings = scheduled
    live = Library(settings).get().version

    first = _update()  # the same bytes as the ingested file: downloaded, recognised, nothing published
    assert first.exit_code == 0, first.output
    assert "nothing changed" in first.output and Library(settings).get().version == live

    site.body = site.body.replace(b"should fund", b"should generously fund", 1)
    assert site.body != (FIXTURES / OECD_FILE).read_bytes()
    second = _update("--json")
    assert second.exit_code == 10, second.output
    outcome = json.loads(second.output)
    assert outcome["status"] == "published" and outcome["published"] and outcome["errors"] == []
    assert [c["source"] for c in outcome["changed"]] == ["oecd"]
    amended = outcome["changed"][0]["amended"]
    assert amended, outcome
    now = Library(settings).get()
    assert now.version == outcome["version"] != live
    assert any("should generously fund" in now.clauses[cid].text for cid in amended)

    third = _update()  # the server says 304: nothing downloaded, nothing published
    assert third.exit_code == 0, third.output
    assert "not_modified" in third.output and Library(settings).get().version == now.version


def test_changed_file_is_printed_by_clause(scheduled: tuple[Served, Settings]) -> None:
    site, settings = scheduled
    site.body = site.body.replace(b"should fund", b"should generously fund", 1)
    result = _update()
    assert result.exit_code == 10, result.output
    assert "changed oecd" in result.output and "amended  oecd:" in result.output
    assert f"published {Library(settings).get().version}" in result.output


def test_a_failing_server_exits_1_and_keeps_the_version(scheduled: tuple[Served, Settings]) -> None:
    site, settings = scheduled
    live = Library(settings).get().version
    site.status = 503
    result = _update("--json")
    assert result.exit_code == 1, result.output
    outcome = json.loads(result.output)
    assert outcome["status"] == "error" and "HTTP 503" in outcome["errors"][0]
    assert Library(settings).get().version == live


def test_an_unknown_source_exits_1() -> None:
    result = CliRunner().invoke(app, ["update", "-s", "nosuch", "--json"])
    assert result.exit_code == 1
    assert "nosuch" in json.loads(result.output)["errors"][0]
