"""One error base class, one table per interface: every ``KBError`` leaves the API as its own 4xx/5xx
in the one JSON shape (never the 500 of an unexpected error), the CLI as ``error: …`` with exit 1,
and the pages as a message page with its status. Plus the edges a new user hit: unknown filter
values, a wrong content type, a very long URL (against a real server), /docs without internet."""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import socket

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

import api
import ingest
import kb
from api.app import create_app
from kb.errors import KBError, all_error_classes
from kb.settings import Settings


def _import_everything() -> None:
    for package in (kb, ingest, api):
        for info in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
            if ".migrations" not in info.name and info.name != "api.main":  # api.main builds an app at import
                importlib.import_module(info.name)


_import_everything()
ERRORS = all_error_classes()


def make(cls: type[KBError]) -> KBError:
    """An instance of any of the error classes, whatever its constructor asks for."""
    parameters = [
        p
        for p in list(inspect.signature(cls.__init__).parameters.values())[1:]
        if p.default is inspect.Parameter.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    if not parameters:
        return cls(f"something about {cls.__name__} went wrong")
    values = {"status": cls.http_status, "code": cls.code}
    return cls(*(values.get(p.name, f"{p.name} of {cls.__name__}") for p in parameters))


def test_every_domain_error_derives_from_the_base_and_has_its_own_code() -> None:
    names = {cls.__name__ for cls in ERRORS}
    assert {"InvalidQuery", "UnknownClause", "CrosswalkError", "DatabaseError", "ParseError", "FetchError"} <= names
    for cls in ERRORS:
        assert cls.code != KBError.code and 400 <= cls.http_status < 600, cls


@pytest.fixture(scope="module")
def raising_app(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    """The real app with one extra route that raises the named error class."""
    empty = tmp_path_factory.mktemp("empty")
    app: FastAPI = create_app(Settings(data_dir=empty, sources_dir=empty))
    by_name = {f"{cls.__module__}.{cls.__qualname__}": cls for cls in ERRORS}

    @app.get("/raise/{name}")
    def raise_it(name: str) -> None:
        raise make(by_name[name])

    return TestClient(app, raise_server_exceptions=False)


@pytest.mark.parametrize("cls", ERRORS, ids=lambda c: c.__name__)
def test_no_domain_error_becomes_a_500_over_http(raising_app: TestClient, cls: type[KBError]) -> None:
    response = raising_app.get(f"/raise/{cls.__module__}.{cls.__qualname__}")
    error = make(cls)
    assert response.status_code == error.http_status != 500
    assert response.json()["error"] == {"code": error.code, "message": str(error)}


@pytest.mark.parametrize("cls", ERRORS, ids=lambda c: c.__name__)
def test_the_cli_reports_every_domain_error_in_one_line(cls: type[KBError], capsys) -> None:
    import typer

    from cli.main import reporting_errors

    def command() -> None:
        raise make(cls)

    with pytest.raises(typer.Exit) as exit_:
        reporting_errors(command)()
    assert exit_.value.exit_code == 1
    assert capsys.readouterr().err.strip() == f"error: {make(cls)}"


@pytest.mark.parametrize("cls", ERRORS, ids=lambda c: c.__name__)
def test_the_pages_show_every_domain_error_as_a_message(cls: type[KBError]) -> None:
    from fastapi import APIRouter

    from api.web.routes import PageRoute

    router = APIRouter(route_class=PageRoute)  # the pages' one translation

    @router.get("/page")
    def page() -> None:
        raise make(cls)

    app = FastAPI()
    app.include_router(router)
    response = TestClient(app, raise_server_exceptions=False).get("/page")
    assert response.status_code == make(cls).http_status
    assert response.headers["content-type"].startswith("text/html")
    assert str(make(cls))[1:].replace("'", "&#39;") in response.text  # capitalised on the page


# --- the edges --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "param, value, listed",
    [("jurisdiction", "Mars", "US-CA"), ("kind", "treaty", "regulation"), ("language", "fr", "ja")],
)
def test_unknown_filter_values_are_422_listing_the_valid_ones(tiny_client, param, value, listed) -> None:
    response = tiny_client.get("/v1/search", params={"q": "robots", param: value})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_query" and value in error["message"] and listed in error["message"]


def test_filter_values_match_without_regard_to_case(tiny_client) -> None:
    lower = tiny_client.get("/v1/search", params={"q": "robots", "jurisdiction": "eu", "language": "EN"})
    upper = tiny_client.get("/v1/search", params={"q": "robots", "jurisdiction": "EU", "language": "en"})
    assert lower.status_code == upper.status_code == 200
    assert [r["id"] for r in lower.json()["results"]] == [r["id"] for r in upper.json()["results"]]
    assert lower.json()["results"] and {r["source"] for r in lower.json()["results"]} <= {"mini", "hleg"}


def test_the_mapping_accepts_jurisdictions_in_any_case_and_lists_the_valid_ones(tiny_client) -> None:
    ok = tiny_client.post("/v1/map", json={"description": "a robot decides on job applicants", "jurisdictions": ["eu"]})
    assert ok.status_code == 200 and ok.json()["request"]["jurisdictions"] == ["EU"]
    bad = tiny_client.post("/v1/map", json={"description": "a robot", "jurisdictions": ["Mars"]})
    assert bad.status_code == 422 and "US-CA" in bad.json()["error"]["message"]


@pytest.mark.parametrize(
    "content_type, body",
    [("application/x-www-form-urlencoded", "description=robots"), ("text/plain", '{"description": "robots"}'), (None, "")],
)
def test_a_body_that_is_not_json_is_415(tiny_client, content_type, body) -> None:
    headers = {"content-type": content_type} if content_type else {}
    response = tiny_client.post("/v1/map", content=body, headers=headers)
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"


def test_docs_work_without_internet(tiny_client) -> None:
    page = tiny_client.get("/docs")
    assert page.status_code == 200
    scripts = [part.split('"')[1] for part in page.text.split("src=")[1:]]
    assert scripts and all(src.startswith("/docs-assets/") for src in scripts), scripts
    assert "//" not in page.text.split("<link")[1].split(">")[0]  # the stylesheet is ours too
    for src in scripts:
        asset = tiny_client.get(src)
        assert asset.status_code == 200 and len(asset.content) > 100_000
    redoc = tiny_client.get("/redoc")
    assert redoc.status_code == 200 and "/docs-assets/redoc.standalone.js" in redoc.text
    assert "fonts.googleapis" not in redoc.text
    assert tiny_client.get("/openapi.json").json()["openapi"].startswith("3.")


def _raw_get(base: str, target: str) -> tuple[int, dict]:
    """A GET with an arbitrary request target (HTTP clients refuse URLs this long)."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(f"GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body)


def test_a_100k_character_url_is_414_in_our_shape_from_a_real_server(tiny_kb) -> None:
    from tests.test_api import start_server, stop_server

    process, base = start_server(tiny_kb, {"KB_REGISTRY_DIR": str(tiny_kb.registry_dir)})
    try:
        status, body = _raw_get(base, "/v1/search?q=" + "a" * 100_000)
        assert status == 414 and body["error"]["code"] == "uri_too_long"
        status, body = _raw_get(base, "/v1/search?q=robots")
        assert status == 200 and body["results"]
    finally:
        stop_server(process)
