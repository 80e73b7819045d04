"""``kb fetch`` against a real HTTP server on 127.0.0.1 (never the internet).

The server serves temporary copies of two small corpus files (the OECD markdown, the NEC text) on
routes that answer 200 with validators, 304, 404, 503, too slowly, with a truncated body, an HTML
page, a redirect or a redirect loop. Every failure must leave the previous file byte-for-byte and no
temporary file behind.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from ingest.fetch import NO_URL, fetch_sources
from kb.registry import SourceEntry, load_registry

OECD = "oecd-ai/legalinstruments-2024/51a29205-OECD_Legal_Instruments.md"
NEC = "nec/nec-ai-human-rights-principles-2019.ja.txt"
SLOW_SECONDS = 2.0
TIMEOUT = 0.5


@dataclass
class Site:
    """What the test server serves, and what it was asked."""

    documents: dict[str, bytes]
    base: str = ""
    last_modified: str = field(default_factory=lambda: formatdate(1_700_000_000, usegmt=True))
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)

    def url(self, route: str) -> str:
        return f"{self.base}{route}"

    def etag(self, name: str) -> str:
        return '"' + hashlib.sha256(self.documents[name]).hexdigest()[:16] + '"'

    def asked(self, route: str) -> list[dict[str, str]]:
        return [headers for path, headers in self.requests if path == route]


def make_handler(site: Site) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # keep pytest's output clean
            pass

        def do_GET(self) -> None:
            site.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
            route, _, name = self.path.lstrip("/").partition("/")
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up (timeout test)
                getattr(self, f"route_{route}", self.route_missing)(name)

        def send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None, length: int = -1):
            self.send_response(status)
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body) if length < 0 else length))
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()

        def route_doc(self, name: str) -> None:
            """200 with ETag and Last-Modified, or 304 when the client's validators match."""
            if name not in site.documents:
                return self.route_missing(name)
            etag = site.etag(name)
            validators = {"ETag": etag, "Last-Modified": site.last_modified}
            if self.headers.get("If-None-Match") == etag:
                return self.send(304, headers=validators, length=0)
            since = self.headers.get("If-Modified-Since")
            fresh = since and parsedate_to_datetime(since) >= parsedate_to_datetime(site.last_modified)
            if fresh and not self.headers.get("If-None-Match"):
                return self.send(304, headers=validators, length=0)
            self.send(200, site.documents[name], validators)

        def route_plain(self, name: str) -> None:
            """200 without validators."""
            self.send(200, site.documents[name])

        def route_missing(self, name: str) -> None:
            self.send(404, b"not here")

        def route_unavailable(self, name: str) -> None:
            self.send(503, b"try later")

        def route_slow(self, name: str) -> None:
            site.release.wait(SLOW_SECONDS)  # the fixture sets it at teardown, so the thread ends at once
            self.send(200, site.documents[name])

        def route_truncated(self, name: str) -> None:
            """Promise the whole document, send half of it, close the connection."""
            body = site.documents[name]
            self.send(200, body[: len(body) // 2], length=len(body))
            self.close_connection = True

        def route_html(self, name: str) -> None:
            self.send(200, b"<!DOCTYPE html><html><body>Please accept cookies</body></html>")

        def route_pdf(self, name: str) -> None:
            self.send(200, b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n")

        def route_unsized(self, name: str) -> None:
            """No Content-Length: the body ends when the connection closes (HTTP/1.0)."""
            self.send_response(200)
            self.end_headers()
            self.wfile.write(site.documents[name])
            self.close_connection = True

        def route_redirect(self, name: str) -> None:
            self.send(302, headers={"Location": f"/doc/{name}"})

        def route_loop(self, name: str) -> None:
            self.send(302, headers={"Location": f"/loop/{name}"})

    return Handler


@pytest.fixture
def site(corpus_dir: Path, tmp_path: Path) -> Iterator[Site]:
    """A server on a free port of 127.0.0.1, serving copies of two small corpus files."""
    served = tmp_path / "served"
    served.mkdir()
    documents = {}
    for name, relpath in (("oecd.md", OECD), ("nec.txt", NEC)):
        shutil.copyfile(corpus_dir / relpath, served / name)
        documents[name] = (served / name).read_bytes()
    site = Site(documents)
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(site))
    server.daemon_threads = False  # so server_close() joins every handler thread
    site.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield site
    finally:
        site.release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        assert not thread.is_alive()


@pytest.fixture
def sources(tmp_path: Path) -> Path:
    path = tmp_path / "sources"
    path.mkdir()
    return path


@pytest.fixture
def state(tmp_path: Path) -> Path:
    return tmp_path / "data" / "fetch-state.json"


def entry(source_id: str, files: list[str], download: list[str], sha256: list[str] | None = None) -> SourceEntry:
    return SourceEntry(
        id=source_id,
        title=source_id,
        short_name=source_id.upper(),
        issuer="test",
        jurisdiction="test",
        kind="guideline",
        binding=False,
        language="en",
        version_date=None,
        official_url="http://127.0.0.1/",
        clause_url="http://127.0.0.1/",
        parser="oecd-markdown",
        files=tuple(files),
        download=tuple(download),
        sha256=tuple(sha256 or ()),
    )


def all_files(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` (hidden temporary files included) with its bytes."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


OLD = b"the previous copy, which must survive every failed fetch\n"


def with_old_copy(sources: Path, relpath: str = OECD) -> dict[str, bytes]:
    target = sources / relpath
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(OLD)
    return all_files(sources)


def test_download_then_not_modified(site: Site, sources: Path, state: Path) -> None:
    oecd = entry("oecd", [OECD], [site.url("/doc/oecd.md")])
    [report] = fetch_sources([oecd], sources, state, timeout=TIMEOUT)
    body = site.documents["oecd.md"]
    digest = hashlib.sha256(body).hexdigest()
    assert (report.status, report.files, report.bytes, report.sha256s) == ("downloaded", (OECD,), len(body), (digest,))
    assert report.message.startswith(f"downloaded 51a29205-OECD_Legal_Instruments.md ({len(body):,} bytes")
    assert all_files(sources) == {OECD: body}  # in place, nothing else written
    saved = json.loads(state.read_text())[OECD]
    assert saved["etag"] == site.etag("oecd.md") and saved["last_modified"] == site.last_modified
    assert (saved["sha256"], saved["bytes"], saved["source"]) == (digest, len(body), "oecd")
    assert "user-agent" in site.asked("/doc/oecd.md")[0]
    assert site.asked("/doc/oecd.md")[0]["user-agent"] == "clausemap/0.1"
    assert "if-none-match" not in site.asked("/doc/oecd.md")[0]

    [again] = fetch_sources([oecd], sources, state, timeout=TIMEOUT)
    conditional = site.asked("/doc/oecd.md")[1]
    assert conditional["if-none-match"] == site.etag("oecd.md")
    assert conditional["if-modified-since"] == site.last_modified
    assert (again.status, again.message) == ("not_modified", "not modified (kept the local copy)")
    assert (again.bytes, again.sha256s) == (0, (digest,))
    assert all_files(sources) == {OECD: body}
    assert json.loads(state.read_text())[OECD]["sha256"] == digest


def test_changed_document_is_downloaded_again(site: Site, sources: Path, state: Path) -> None:
    oecd = entry("oecd", [OECD], [site.url("/doc/oecd.md")])
    fetch_sources([oecd], sources, state, timeout=TIMEOUT)
    site.documents["oecd.md"] += b"\nAmended.\n"
    site.last_modified = formatdate(1_800_000_000, usegmt=True)
    [report] = fetch_sources([oecd], sources, state, timeout=TIMEOUT)
    assert report.status == "downloaded"
    assert (sources / OECD).read_bytes() == site.documents["oecd.md"]
    assert json.loads(state.read_text())[OECD]["etag"] == site.etag("oecd.md")


def test_a_locally_edited_file_is_not_trusted_to_a_304(site: Site, sources: Path, state: Path) -> None:
    oecd = entry("oecd", [OECD], [site.url("/doc/oecd.md")])
    fetch_sources([oecd], sources, state, timeout=TIMEOUT)
    (sources / OECD).write_bytes(b"edited by hand")
    [report] = fetch_sources([oecd], sources, state, timeout=TIMEOUT)
    assert "if-none-match" not in site.asked("/doc/oecd.md")[1]
    assert report.status == "downloaded" and (sources / OECD).read_bytes() == site.documents["oecd.md"]


def test_last_modified_alone_gives_a_304(site: Site, sources: Path, state: Path) -> None:
    oecd = entry("oecd", [OECD], [site.url("/doc/oecd.md")])
    fetch_sources([oecd], sources, state, timeout=TIMEOUT)
    saved = json.loads(state.read_text())
    saved[OECD]["etag"] = None
    state.write_text(json.dumps(saved))
    [report] = fetch_sources([oecd], sources, state, timeout=TIMEOUT)
    assert site.asked("/doc/oecd.md")[1]["if-modified-since"] == site.last_modified
    assert report.status == "not_modified"


@pytest.mark.parametrize(
    "route, message",
    [
        ("/missing/oecd.md", "/missing/oecd.md: HTTP 404 Not Found (kept the previous file)"),
        ("/unavailable/oecd.md", "/unavailable/oecd.md: HTTP 503 Service Unavailable (kept the previous file)"),
        ("/slow/oecd.md", f"/slow/oecd.md: timed out after {TIMEOUT:g} s waiting for the server to send data"),
        ("/truncated/oecd.md", "/truncated/oecd.md: the response broke off or was malformed"),
        ("/html/oecd.md", "/html/oecd.md: the response is an HTML page, not the .md file"),
        ("/pdf/oecd.md", "/pdf/oecd.md: the response is a PDF, not the .md file"),
        ("/loop/oecd.md", "/loop/oecd.md: more than 5 redirects (kept the previous file)"),
    ],
)
def test_failures_keep_the_previous_file(site: Site, sources: Path, state: Path, route: str, message: str) -> None:
    before = with_old_copy(sources)
    [report] = fetch_sources([entry("oecd", [OECD], [site.url(route)])], sources, state, timeout=TIMEOUT)
    assert report.status == "failed" and report.failed
    assert message in report.message and report.message.startswith(site.url(route))
    assert report.message.endswith("(kept the previous file)")
    assert (report.files, report.bytes, report.sha256s) == ((), 0, ())
    assert all_files(sources) == before  # old bytes intact, no temporary file left
    assert not state.exists()


def test_truncated_body_says_how_much_arrived(site: Site, sources: Path, state: Path) -> None:
    [report] = fetch_sources([entry("oecd", [OECD], [site.url("/truncated/oecd.md")])], sources, state)
    size = len(site.documents["oecd.md"])
    assert f"received {size // 2} bytes, expected {size}" in report.message
    assert report.message.endswith("(nothing written)")
    assert all_files(sources) == {}


def test_checksum_mismatch_is_refused(site: Site, sources: Path, state: Path) -> None:
    before = with_old_copy(sources)
    wrong = "0" * 64
    [report] = fetch_sources([entry("oecd", [OECD], [site.url("/doc/oecd.md")], [wrong])], sources, state)
    actual = hashlib.sha256(site.documents["oecd.md"]).hexdigest()
    assert report.status == "failed"
    assert f"sha256 {actual} differs from the pinned {wrong} (kept the previous file)" in report.message
    assert all_files(sources) == before and not state.exists()


def test_matching_checksum_is_accepted(site: Site, sources: Path, state: Path) -> None:
    pin = hashlib.sha256(site.documents["oecd.md"]).hexdigest().upper()
    [report] = fetch_sources([entry("oecd", [OECD], [site.url("/doc/oecd.md")], [pin])], sources, state)
    assert report.status == "downloaded" and report.sha256s == (pin.lower(),)


def test_too_large_is_refused(site: Site, sources: Path, state: Path) -> None:
    before = with_old_copy(sources)
    oecd = entry("oecd", [OECD], [site.url("/doc/oecd.md")])
    [report] = fetch_sources([oecd], sources, state, max_bytes=1000)
    assert report.status == "failed" and "over the 1,000-byte limit" in report.message
    assert all_files(sources) == before


def test_too_large_without_content_length_is_refused_while_streaming(site: Site, sources: Path, state: Path) -> None:
    before = with_old_copy(sources)
    oecd = entry("oecd", [OECD], [site.url("/unsized/oecd.md")])
    [report] = fetch_sources([oecd], sources, state, max_bytes=1000)
    assert report.status == "failed" and "larger than the 1,000-byte limit" in report.message
    assert all_files(sources) == before
    [report] = fetch_sources([oecd], sources, state)
    assert report.status == "downloaded" and (sources / OECD).read_bytes() == site.documents["oecd.md"]


def test_unwritable_sources_directory(site: Site, sources: Path, state: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """As on our machines, where the shared corpus is read-only (simulated: the tests may run as root)."""
    before = with_old_copy(sources)

    def refuse(**_: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("ingest.fetch.tempfile.mkstemp", refuse)
    [report] = fetch_sources([entry("oecd", [OECD], [site.url("/doc/oecd.md")])], sources, state)
    folder = (sources / OECD).parent
    assert report.status == "failed"
    assert report.message.endswith(f"cannot write in {folder}: Permission denied (kept the previous file)")
    assert all_files(sources) == before


def test_redirect_is_followed(site: Site, sources: Path, state: Path) -> None:
    [report] = fetch_sources([entry("nec", [NEC], [site.url("/redirect/nec.txt")])], sources, state)
    assert report.status == "downloaded" and f"via {site.url('/doc/nec.txt')}" in report.message
    assert all_files(sources) == {NEC: site.documents["nec.txt"]}
    assert json.loads(state.read_text())[NEC]["final_url"] == site.url("/doc/nec.txt")


def test_one_failure_does_not_stop_the_others(site: Site, sources: Path, state: Path) -> None:
    entries = [
        entry("oecd", [OECD], [site.url("/missing/oecd.md")]),
        entry("local", [NEC], []),
        entry("nec", [NEC], [site.url("/plain/nec.txt")]),
    ]
    reports = fetch_sources(entries, sources, state, timeout=TIMEOUT)
    assert [(r.source_id, r.status) for r in reports] == [
        ("oecd", "failed"),
        ("local", "skipped"),
        ("nec", "downloaded"),
    ]
    assert reports[0].message.endswith("(nothing written)") and reports[1].message == NO_URL
    assert all_files(sources) == {NEC: site.documents["nec.txt"]}
    saved = json.loads(state.read_text())
    assert list(saved) == [NEC] and saved[NEC]["etag"] is None  # no validators: next time in full


def test_a_source_is_replaced_whole_or_not_at_all(site: Site, sources: Path, state: Path) -> None:
    with_old_copy(sources, OECD)
    before = with_old_copy(sources, NEC)
    both = entry("both", [OECD, NEC], [site.url("/doc/oecd.md"), site.url("/truncated/nec.txt")])
    [report] = fetch_sources([both], sources, state, timeout=TIMEOUT)
    assert report.status == "failed" and report.message.endswith("(kept the previous files)")
    assert all_files(sources) == before  # the OECD file arrived intact but was not put in place alone


@pytest.mark.parametrize(
    "files, download, sha256, message",
    [
        ([OECD, NEC], ["http://127.0.0.1:9/a"], [], "1 download URL(s) for 2 file(s)"),
        ([OECD], ["http://127.0.0.1:9/a"], ["abc"], "sha256 #1 ('abc') is not 64 hex digits"),
        ([OECD], ["file:///etc/passwd"], [], "is not http(s)"),
        (["../outside.md"], ["http://127.0.0.1:9/a"], [], "is outside the sources directory"),
    ],
)
def test_registry_mistakes_are_reported(sources: Path, state: Path, files, download, sha256, message) -> None:
    [report] = fetch_sources([entry("bad", files, download, sha256)], sources, state)
    assert report.status == "failed" and report.message.startswith("registry: ") and message in report.message
    assert all_files(sources.parent) == {}


def test_unreachable_server(sources: Path, state: Path) -> None:
    import socket

    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    [report] = fetch_sources([entry("oecd", [OECD], [f"http://127.0.0.1:{port}/x.md"])], sources, state)
    assert report.status == "failed" and "ConnectError" in report.message


def test_cli(site: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    registry = tmp_path / "registry"
    registry.mkdir()
    common = 'issuer = "t"\njurisdiction = "t"\nkind = "guideline"\nbinding = false\nofficial_url = "http://x/"\n'
    registry.joinpath("sources.toml").write_text(
        f'[[source]]\nid = "oecd"\ntitle = "O"\n{common}parser = "oecd-markdown"\nfiles = ["{OECD}"]\n'
        f'download = ["{site.url("/doc/oecd.md")}"]\n'
        f'sha256 = ["{hashlib.sha256(site.documents["oecd.md"]).hexdigest()}"]\n\n'
        f'[[source]]\nid = "nec"\ntitle = "N"\n{common}parser = "principles-text"\nfiles = ["{NEC}"]\n'
        f'download = ["{site.url("/missing/nec.txt")}"]\n'
    )
    assert load_registry(registry)[0].sha256 == (hashlib.sha256(site.documents["oecd.md"]).hexdigest(),)
    monkeypatch.setenv("KB_REGISTRY_DIR", str(registry))
    monkeypatch.setenv("KB_SOURCES_DIR", str(tmp_path / "sources"))
    monkeypatch.setenv("KB_DATA_DIR", str(tmp_path / "data"))
    runner = CliRunner()

    result = runner.invoke(app, ["fetch"])
    assert result.exit_code == 2, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("oecd       downloaded   downloaded 51a29205-OECD_Legal_Instruments.md")
    assert lines[1] == f"nec        failed       {site.url('/missing/nec.txt')}: HTTP 404 Not Found (nothing written)"
    assert (tmp_path / "data" / "fetch-state.json").is_file()

    result = runner.invoke(app, ["fetch", "--source", "oecd"])
    assert result.exit_code == 0, result.output
    assert result.output == "oecd       not_modified not modified (kept the local copy)\n"

    result = runner.invoke(app, ["fetch", "-s", "nope"])
    assert result.exit_code == 1 and "unknown source(s) ['nope']" in result.output
