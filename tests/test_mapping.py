"""Use-case mapping: the crosswalk's integrity, the seed use cases, the HTTP endpoint and exports."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from kb.crosswalk import load_crosswalk
from kb.knowledge import Library
from kb.mapping import MapRequest
from kb.search import InvalidQuery
from kb.service import ClauseMap

pytestmark = pytest.mark.slow

FACE_ENTRY = (
    "Face recognition at the entrance of our office building: employees register a photo and the door "
    "opens when the camera matches their face, without a badge."
)
PEDESTRIAN_FLOW = (
    "Cameras in a shopping street count passers-by and analyse pedestrian flows and their movements to plan "
    "shop opening hours; images of people are processed by AI."
)
LOAN_REVIEW = "An AI model reviews loan applications and decides automatically who gets credit, with no human involved."
RESUME_SCREENING = (
    "An AI tool screens the résumés of job applicants and rejects candidates before any recruiter reads them."
)


@pytest.fixture(scope="module")
def service(ingested, embedder) -> ClauseMap:
    return ClauseMap(ingested, embedder)


def _mapping(service: ClauseMap, description: str, **options):
    return service.map(MapRequest(description, **options))[1]


def _all_ids(mapping) -> set[str]:
    ids = {c.clause.id for c in mapping.direct}
    for theme in mapping.themes:
        ids |= {s.clause.unit_id for s in theme.principles + theme.clauses}
    return ids | {c.clause.unit_id for c in mapping.direct}


def test_every_principle_is_in_a_theme_and_every_link_resolves(ingested) -> None:
    kb = Library(ingested).get()
    crosswalk = load_crosswalk(ingested.registry_dir)
    unresolved = [i for i in crosswalk.missing_ids(set(kb.clauses)) if i.split(":")[0] in kb.sources]
    assert unresolved == []  # an id of a source not ingested yet is only a warning (kb check)
    principle_ids = [link.id for theme in crosswalk.themes for link in theme.principles]
    linked = {kb.clauses[i].unit_id for i in principle_ids if i in kb.clauses}  # a paragraph covers its principle
    principles = {
        c.id
        for c in kb.clauses.values()
        if c.id == c.unit_id
        and c.kind in ("principle", "requirement")
        and (
            kb.sources[c.source_id].kind in ("principles", "internal")
            or c.id.startswith(("hleg:req-", "hleg:principle-", "meti:c-"))
        )
    }
    assert principles - linked == set()


@pytest.mark.parametrize("description", [FACE_ENTRY, PEDESTRIAN_FLOW])
def test_camera_cases_bring_privacy_art_9_and_internal_principles_2_and_5(service: ClauseMap, description: str) -> None:
    mapping = _mapping(service, description, phase="design")
    top = [t.theme.id for t in mapping.themes[:3]]
    assert "privacy" in top or "fairness" in top
    ids = _all_ids(mapping)
    assert {"nec:p2", "nec:p5"} <= ids
    # the face-recognition check sheet covers recognising faces, not counting passers-by (its scope)
    assert bool(mapping.checklist) == (description == FACE_ENTRY)
    assert all("design" in c.phases for c in mapping.checklist)


def test_face_recognition_triggers_art_9_and_the_ai_act(service: ClauseMap) -> None:
    mapping = _mapping(service, FACE_ENTRY)
    direct = {c.clause.id: c for c in mapping.direct}
    assert direct["gdpr:art-9(1)"].reason == "data category"  # the crosswalk links the paragraph that applies
    brought = {c.clause.id: c for c in mapping.direct + mapping.context}  # Annex III classifies: context
    assert brought["euaia:annex-3(1)(a)"].link.condition.startswith("remote biometric identification")
    assert brought["euaia:annex-3(1)(a)"].link.applies_from == dt.date(2026, 8, 2)
    assert "law enforcement" in brought["euaia:art-5(1)(h)"].link.condition.lower()  # not 'largely prohibited'


@pytest.mark.parametrize("description", [LOAN_REVIEW, RESUME_SCREENING])
def test_decisions_about_people_bring_art_22(service: ClauseMap, description: str) -> None:
    mapping = _mapping(service, description)
    assert "gdpr:art-22" in _all_ids(mapping)
    assert {"fairness", "human-oversight", "explainability"} & {t.theme.id for t in mapping.themes[:3]}


def test_jurisdictions_limit_the_sources(service: ClauseMap) -> None:
    mapping = _mapping(service, RESUME_SCREENING, jurisdictions=("US-CA",))
    sources = {c.clause.source_id for c in mapping.direct}
    assert sources and sources <= {"ccpa", "cppa-regs", "nec", "acme-frs"}  # the regulations join the Act


@pytest.mark.parametrize(
    "options, message",
    [
        ({"jurisdictions": ("Mars",)}, "malformed jurisdiction"),
        ({"phase": "testing"}, "unknown phase"),
        ({"data_categories": ("dreams",)}, "unknown data categor"),
        ({"k": 0}, "k must be"),
    ],
)
def test_bad_requests_say_what_is_wrong(service: ClauseMap, options: dict, message: str) -> None:
    with pytest.raises(InvalidQuery, match=message):
        _mapping(service, LOAN_REVIEW, **options)


def test_map_over_http_with_exports(ingested) -> None:
    import httpx

    from tests.test_api import start_server, stop_server

    process, base = start_server(ingested)
    try:
        with httpx.Client(base_url=base, timeout=60) as client:
            response = client.post(
                "/v1/map",
                json={
                    "description": LOAN_REVIEW,
                    "jurisdictions": ["EU"],
                    "phase": "planning",
                    "data_categories": ["credit"],
                },
            )
            assert response.status_code == 200, response.text
            body = response.json()
            assert body["themes"] and body["direct"] and body["kb_version"]
            reasons = {c["reason"] for c in body["direct"]}
            assert "data category" in reasons
            for theme in body["themes"]:
                binding = [g["binding"] for g in theme["clauses_by_source"]]
                assert binding == sorted(binding, reverse=True)  # binding law first
            mapping_id = body["id"]
            assert client.get(f"/v1/map/{mapping_id}").json()["id"] == mapping_id
            markdown = client.get(f"/v1/map/{mapping_id}.md")
            assert markdown.status_code == 200 and "# Use-case mapping" in markdown.text
            assert LOAN_REVIEW in markdown.text and "GDPR Art. 22" in markdown.text
            rows = list(csv.DictReader(io.StringIO(client.get(f"/v1/map/{mapping_id}.csv").text)))
            assert rows and {"section", "clause_id", "citation", "reason"} <= rows[0].keys()
            for clause_id in {r["clause_id"] for r in rows}:  # every id resolves in the knowledge base
                assert client.get(f"/v1/clauses/{clause_id}").status_code == 200
            assert client.post("/v1/map", json={"description": ""}).status_code == 422
            assert client.post("/v1/map", json={"description": "x" * 4001}).status_code == 422
            assert client.post("/v1/map", json={"description": "ok", "surprise": 1}).status_code == 422
            assert client.get("/v1/map/" + "0" * 32).status_code == 404
    finally:
        stop_server(process)
