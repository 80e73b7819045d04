"""The service, the API, the CLI and the pages over the tiny knowledge base (tests/fixtures/tiny-kb):
what does not depend on the real corpus, in the fast tier."""

from __future__ import annotations

import json
import uuid

import pytest
from sqlmodel import Session
from typer.testing import CliRunner

from cli.main import app as cli_app
from kb.models import StoredMapping
from kb.views import MappingRecord

FACE = "Face recognition at the entrance of our office lets employees in without a badge."


@pytest.fixture
def run(tiny_kb, monkeypatch):
    """``kb …`` in process, on the tiny knowledge base."""
    monkeypatch.setenv("KB_DATA_DIR", str(tiny_kb.data_dir))
    monkeypatch.setenv("KB_SOURCES_DIR", str(tiny_kb.sources_dir))
    monkeypatch.setenv("KB_REGISTRY_DIR", str(tiny_kb.registry_dir))
    runner = CliRunner()
    return lambda *args: runner.invoke(cli_app, list(args))


# --- API --------------------------------------------------------------------------------------


def test_health_and_search(tiny_client) -> None:
    assert tiny_client.get("/healthz").json()["status"] == "ok"
    body = tiny_client.get("/v1/search", params={"q": "duties of robots", "k": 3}).json()
    assert body["results"] and body["results"][0]["source"] == "mini"


@pytest.mark.parametrize(
    "path, params, status, code",
    [
        ("/v1/search", {"q": ""}, 422, "invalid_request"),
        ("/v1/search", {"q": "   "}, 422, "invalid_query"),
        ("/v1/search", {"q": "x" * 2001}, 422, "invalid_request"),
        ("/v1/search", {}, 422, "invalid_request"),
        ("/v1/search", {"q": "robots", "k": 0}, 422, "invalid_request"),
        ("/v1/search", {"q": "robots", "k": 101}, 422, "invalid_request"),
        ("/v1/search", {"q": "robots", "k": "ten"}, 422, "invalid_request"),
        ("/v1/search", {"q": "robots", "group": "chapter"}, 422, "invalid_request"),
        ("/v1/search", {"q": "robots", "source": "nope"}, 422, "invalid_query"),
        ("/v1/clauses/mini:art-999", {}, 404, "unknown_clause"),
        ("/v1/clauses/not an id", {}, 422, "invalid_clause_id"),
        ("/v1/map/" + "0" * 32, {}, 404, "unknown_mapping"),
        ("/v1/sources/nope/changes", {}, 404, "unknown_source"),
        ("/v1/nothing", {}, 404, "not_found"),
    ],
)
def test_errors_have_one_shape_and_never_500(tiny_client, path: str, params: dict, status: int, code: str) -> None:
    response = tiny_client.get(path, params=params)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code and error["message"]


def test_a_clause_with_its_hierarchy_and_references(tiny_client) -> None:
    clause = tiny_client.get("/v1/clauses/mini:art-2").json()
    assert clause["citation"] and clause["children"]
    annex = tiny_client.get("/v1/clauses/mini:annex-1").json()
    assert "mini:art-2" in {r["id"].split("(")[0] for r in annex["references"]}


def test_changes_record_the_history(tiny_client) -> None:
    versions = tiny_client.get("/v1/sources/oecd/changes").json()
    assert [v["version_date"] for v in versions][-1] == "2019-05-22"
    newest = versions[0]
    assert newest["amended"] >= 1 and any(c["diff"] for c in newest["changes"] if c["change"] == "amended")


# --- mappings: stored in kb's own shape -------------------------------------------------------


def test_a_mapping_is_stored_and_exported(tiny_client) -> None:
    body = {"description": FACE, "jurisdictions": ["EU", "US-CA"], "phase": "design", "k": 3}
    mapping = tiny_client.post("/v1/map", json=body).json()
    assert "biometric" in mapping["triggers"] and len(mapping["themes"]) == 3
    assert tiny_client.get(f"/v1/map/{mapping['id']}").json() == mapping
    markdown = tiny_client.get(f"/v1/map/{mapping['id']}.md").text
    assert markdown.startswith("# Use-case mapping") and FACE in markdown
    csv = tiny_client.get(f"/v1/map/{mapping['id']}.csv").text
    assert csv.splitlines()[0].startswith("section,theme,clause_id")


def test_a_mapping_stored_before_the_record_had_a_name_still_reads(tiny_client, tiny_service) -> None:
    """Rows stored by earlier code (the API's MapOut dumped as JSON) have the record's fields."""
    old_response = {
        "id": "0" * 32,
        "created_at": "2026-11-23T11:25:20.549597Z",
        "kb_version": "v20261123T103122402805Z",
        "request": {"description": "old", "jurisdictions": ["EU"], "phase": None, "data_categories": [], "k": 5,
                    "as_of": None},
        "triggers": ["biometric"],
        "themes": [],
        "direct": [
            {"id": "mini:art-2", "citation": "Art. 2", "title": None, "source": "mini", "binding": True,
             "url": "https://example.org", "reason": "data category", "why": None, "highlights": []}
        ],
        "checklist": [],
    }
    mapping_id = uuid.uuid4().hex
    with Session(tiny_service._mappings) as session:
        session.add(StoredMapping(id=mapping_id, kb_version="v1", request=old_response["request"], response=old_response))
        session.commit()
    record = tiny_service.mapping(mapping_id)
    assert isinstance(record, MappingRecord) and record.id == mapping_id and record.direct[0].id == "mini:art-2"
    assert tiny_client.get(f"/v1/map/{mapping_id}.md").status_code == 200


# --- CLI --------------------------------------------------------------------------------------


def test_cli_search_show_and_map(run) -> None:
    found = run("search", "duties of robots", "-k", "2", "--json")
    assert found.exit_code == 0, found.output
    assert json.loads(found.stdout)[0]["source"] == "mini"
    shown = run("show", "mini:art-2")
    assert shown.exit_code == 0 and "https://example.org/mini-act" in shown.stdout
    mapped = run("map", FACE, "-j", "eu", "-k", "2", "--format", "md")
    assert mapped.exit_code == 0, mapped.output
    assert mapped.stdout.startswith("# Use-case mapping") and "EU" in mapped.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (("search", "  "), "the query is empty"),
        (("show", "mini:art-999"), "no clause 'mini:art-999'"),
        (("show", "nonsense"), "invalid clause id"),
        (("map", "robots", "--phase", "testing"), "unknown phase"),
        (("map", "robots", "-j", "Mars"), "valid values: EU"),
        (("changes", "--source", "nope"), "no source 'nope'"),
    ],
)
def test_cli_errors_are_one_clear_line(run, args, message: str) -> None:
    result = run(*args)
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output


def test_cli_missing_sources_directory(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("KB_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("KB_SOURCES_DIR", str(tmp_path / "missing"))
    result = CliRunner().invoke(cli_app, ["ingest"])
    assert result.exit_code == 1 and "does not exist" in result.output


# --- pages ------------------------------------------------------------------------------------


def test_pages_render(tiny_client) -> None:
    for path in ("/", "/search?q=robots", "/clauses/mini:art-2", "/sources", "/changes", "/map"):
        response = tiny_client.get(path)
        assert response.status_code == 200, path
        assert response.headers["content-type"] == "text/html; charset=utf-8"


def test_search_page_counts_facets_through_the_service(tiny_client) -> None:
    page = tiny_client.get("/search", params={"q": "robots", "source": "mini"}).text
    assert 'name="source" value="hleg"' in page and "<mark>" in page


@pytest.mark.parametrize(
    "path, status, text",
    [
        ("/search?q=" + "x" * 2001, 422, "the limit is 2000"),
        ("/search?q=robots&source=nope", 422, "unknown source"),
        ("/search?q=robots&jurisdiction=Mars", 422, "valid values"),
        ("/clauses/mini:art-999", 404, "no clause"),
        ("/clauses/not%20an%20id", 422, "invalid clause id"),
        ("/map?description=" + "x" * 4001, 422, "description"),
        ("/map?description=robots&phase=testing", 422, "phase"),
    ],
)
def test_problems_are_messages_on_the_page(tiny_client, path: str, status: int, text: str) -> None:
    response = tiny_client.get(path)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    assert 'role="alert"' in response.text and text in response.text.lower()


def test_the_map_page_maps_and_links_the_exports(tiny_client) -> None:
    page = tiny_client.get("/map", params=[("description", FACE), ("phase", "design"), ("jurisdiction", "eu")])
    assert page.status_code == 200 and 'href="/v1/map/' in page.text
