"""Reviewers' decisions on a stored mapping: through the API and the CLI, kept beside the mapping,
carried by the Markdown and CSV exports with the version the mapping was made against; a clause
amended by a later ingest is flagged (on a private copy of the tiny knowledge base)."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from cli.main import app
from ingest.pipeline import ingest
from kb.review import mapping_items, mapping_review, record_review
from kb.service import ClauseMap
from kb.settings import Settings
from kb.views import MappingQuery, ReviewItemIn
from tests.conftest import FIXTURES, copy_data_dir

DESCRIPTION = "Small exact tests of an AI system, with clear reasons said to people"


@pytest.fixture
def mapping(tiny_client: TestClient) -> dict:
    return tiny_client.post("/v1/map", json={"description": DESCRIPTION, "k": 3}).json()


def test_decisions_through_the_api_and_in_the_exports(tiny_client: TestClient, mapping: dict) -> None:
    url = f"/v1/map/{mapping['id']}/review"
    before = tiny_client.get(url).json()
    assert before["kb_version"] == mapping["kb_version"] == before["current_kb_version"]
    assert before["pending"] == len(before["items"]) > 3 and before["amended_since"] == []
    first, second, third = (item["item_id"] for item in before["items"][:3])
    body = {
        "reviewer": "Aiko Sato",
        "items": [
            {"item_id": first, "decision": "applies", "note": "the model decides | without a person"},
            {"item_id": second, "decision": "does_not_apply", "note": "no personal data"},
            {"item_id": third, "decision": "needs_answer", "note": "顔画像を保存しますか？"},
        ],
    }
    after = tiny_client.put(url, json=body)
    assert after.status_code == 200, after.text
    decided = {i["item_id"]: i for i in after.json()["items"] if i["decision"]}
    assert {k: v["decision"] for k, v in decided.items()} == {
        first: "applies",
        second: "does_not_apply",
        third: "needs_answer",
    }
    assert decided[first]["reviewer"] == "Aiko Sato" and after.json()["pending"] == before["pending"] - 3
    assert tiny_client.get(url).json() == after.json()  # stored
    changed = tiny_client.put(url, json={"items": [{"item_id": second, "decision": "applies"}]}).json()
    assert next(i for i in changed["items"] if i["item_id"] == second)["decision"] == "applies"  # replaced

    markdown = tiny_client.get(f"/v1/map/{mapping['id']}.md").text
    assert f"- **Made against knowledge-base version:** {mapping['kb_version']}" in markdown
    assert "| applies | the model decides \\| without a person | Aiko Sato |" in markdown
    assert "| needs an answer | 顔画像を保存しますか？ |" in markdown
    assert "No clause of this mapping has been amended since it was made." in markdown
    rows = list(csv.DictReader(io.StringIO(tiny_client.get(f"/v1/map/{mapping['id']}.csv").text)))
    by_id = {row["clause_id"]: row for row in rows}
    assert by_id[first]["decision"] == "applies" and by_id[first]["note"] == "the model decides | without a person"
    assert by_id[third]["note"] == "顔画像を保存しますか？"
    assert {row["kb_version"] for row in rows} == {mapping["kb_version"]}


@pytest.mark.parametrize(
    ("items", "status", "code"),
    [
        ([{"item_id": "gdpr:art-99", "decision": "applies"}], 422, "unknown_item"),
        ([{"item_id": "{first}", "decision": "maybe"}], 422, "invalid_request"),
        ([{"item_id": "{first}", "decision": "applies", "extra": 1}], 422, "invalid_request"),
        ([{"item_id": "{first}", "decision": "applies", "note": "a\x00b"}], 422, "invalid_request"),  # PostgreSQL: no NUL
        (None, 422, "invalid_request"),  # no items at all
    ],
)
def test_bad_reviews_are_refused_whole(tiny_client: TestClient, mapping: dict, items, status, code) -> None:
    url = f"/v1/map/{mapping['id']}/review"
    first = tiny_client.get(url).json()["items"][0]["item_id"]
    good = {"item_id": first, "decision": "applies"}
    bad = [{**item, "item_id": item["item_id"].replace("{first}", first)} for item in items or []]
    answer = tiny_client.put(url, json={"items": [good, *bad] if items else []})
    assert (answer.status_code, answer.json()["error"]["code"]) == (status, code)
    review = tiny_client.get(url).json()
    assert review["pending"] == len(review["items"])  # the good item was not stored either


def test_an_unknown_mapping_is_404(tiny_client: TestClient) -> None:
    answer = tiny_client.put(
        "/v1/map/" + "0" * 32 + "/review", json={"items": [{"item_id": "x", "decision": "applies"}]}
    )
    assert answer.status_code == 404 and answer.json()["error"]["code"] == "unknown_mapping"


def test_the_cli_records_and_exports(tiny_kb: Settings, tiny_service, monkeypatch: pytest.MonkeyPatch) -> None:
    record = tiny_service.map_and_store(MappingQuery(description=DESCRIPTION, k=3))
    item = next(iter(mapping_items(record)))
    for name, value in (
        ("DATA_DIR", tiny_kb.data_dir),
        ("SOURCES_DIR", FIXTURES),
        ("REGISTRY_DIR", tiny_kb.registry_dir),
    ):
        monkeypatch.setenv(f"KB_{name}", str(value))
    runner = CliRunner()
    done = runner.invoke(
        app, ["review", record.id, item, "-d", "needs_answer", "-n", "ask the vendor", "--reviewer", "ken"]
    )
    assert done.exit_code == 0, done.output
    assert "needs_answer    ask the vendor" in done.output
    md = runner.invoke(app, ["review", record.id, "--format", "md"])
    assert "| needs an answer | ask the vendor | ken |" in md.output and md.output.startswith("# Use-case mapping")
    bad = runner.invoke(app, ["review", record.id, "nosuch:item", "-d", "applies"])
    assert bad.exit_code == 1 and "lists no item 'nosuch:item'" in bad.output
    wrong = runner.invoke(app, ["review", record.id, item, "-d", "perhaps"])
    assert wrong.exit_code == 1 and "decision" in wrong.output


def test_a_clause_amended_after_the_mapping_is_flagged(tiny_kb: Settings, embedder, tmp_path: Path) -> None:
    sources = tmp_path / "sources"
    shutil.copytree(FIXTURES, sources, ignore=shutil.ignore_patterns("tiny-kb"))
    settings = Settings(
        data_dir=copy_data_dir(tiny_kb.data_dir, tmp_path / "data"),
        sources_dir=sources,
        registry_dir=tiny_kb.registry_dir,
    )
    service = ClauseMap(settings, embedder)
    record = service.map_and_store(MappingQuery(description=DESCRIPTION, k=3))
    assert "oecd:1.1" in mapping_items(record)  # "Small inputs": (a) "Tests should be small."
    record_review(service, record.id, [ReviewItemIn(item_id="oecd:1.1", decision="applies", note="funded")], "ken")

    path = sources / "oecd" / "tiny-2024.md"
    path.write_bytes(path.read_bytes().replace(b"should be small", b"should be very small", 1))
    assert ingest(settings, embedder, only=["oecd"]).published

    review = mapping_review(ClauseMap(settings, embedder), record.id)
    assert review.kb_version == record.kb_version != review.current_kb_version
    assert [(c.clause_id, c.change) for c in review.amended_since] == [("oecd:1.1(a)", "amended")]
    flagged = {i.item_id for i in review.items if i.amended_since}
    assert flagged == {"oecd:1.1"}
    from kb.export import mapping_csv, mapping_markdown, review_csv, review_markdown

    markdown = review_markdown(review)
    assert "### Amended since the mapping was made: re-check" in markdown and "(newer)" in markdown
    assert "| applies | funded | ken | **yes** |" in markdown
    rows = list(csv.DictReader(io.StringIO(review_csv(mapping_csv(service.mapping(record.id)), review))))
    assert {r["clause_id"] for r in rows if r["amended_since"] == "yes"} == {"oecd:1.1"}
    assert mapping_markdown(service.mapping(record.id)).startswith("# Use-case mapping")
