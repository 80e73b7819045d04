"""The mapping a risk reviewer signs (issue 15), on the real knowledge base: the three use cases of the issue,
the AI Act class with its duties, conditions, only obliging provisions directly triggered, the company
sheet only in its scope, what always applies per jurisdiction, a missing binding law said, the
evaluation on a labelled set, and the web page."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.map_evaluation import evaluate_mapping, load_use_cases
from kb.mapping import MapRequest
from kb.provisions import load_provision_kinds
from kb.service import ClauseMap

pytestmark = pytest.mark.slow

CHATBOT = (
    "An LLM customer-support chatbot on our EU web shop answers customers' questions about their orders and "
    "returns; the model is hosted by a US vendor."
)
CREDIT_CA = "A credit-scoring model in California scores consumers' loan applications and decides who gets credit."
FACE_ENTRY = (
    "Face recognition at the entrance of our office building: employees register a photo and the door "
    "opens when the camera matches their face, without a badge."
)
# what the issue found wrongly "directly triggered" for the chatbot: institutional and final provisions
INSTITUTIONAL = ("gdpr:art-70", "gdpr:art-76", "gdpr:art-93", "euaia:art-56", "euaia:art-57", "euaia:art-71",
                 "euaia:art-98", "euaia:art-112")  # fmt: skip


@pytest.fixture(scope="module")
def service(ingested, embedder) -> ClauseMap:
    return ClauseMap(ingested, embedder)


def _map(service: ClauseMap, description: str, **options):
    return service.map(MapRequest(description, **options))[1]


def _units(items) -> set[str]:
    return {s.clause.unit_id for s in items}


def test_chatbot_transparency_no_face_sheet_no_institutional_noise_and_what_plainly_applies(service) -> None:
    m = _map(service, CHATBOT, jurisdictions=("EU",), role="deployer")
    assert m.classification.klass == "transparency" and "euaia:art-50(1)" in m.classification.basis
    assert not m.checklist and not any(s.applies for s in m.sheets)
    assert not any(c.clause.source_id == "acme-frs" for t in m.themes for c in t.principles)
    direct = {s.clause.id for s in m.direct} | _units(m.direct)
    assert not direct & set(INSTITUTIONAL)
    kinds = load_provision_kinds(service.settings.registry_dir)
    kb = service.kb()
    assert all(kinds.kind_of(kb, s.clause).directly_triggered for s in m.direct)
    for item in [*m.direct, *(c for t in m.themes for c in t.clauses)]:  # high-risk duties never unconditional
        if item.clause.unit_id in ("euaia:art-14", "euaia:art-26", "euaia:art-27"):
            assert item.condition and "high-risk" in item.condition
    assert not {"euaia:art-14", "euaia:art-26", "euaia:art-27"} & _units(m.direct)
    eu = next(j for j in m.jurisdictions if j.code == "EU")
    brought = {s.clause.id for s in eu.always + eu.situational}
    assert {"gdpr:art-6(1)(b)", "gdpr:art-28", "gdpr:art-32", "gdpr:art-44"} <= brought
    assert all(s.why for s in eu.always + eu.situational)


def test_credit_scoring_in_california_ccpa_automated_decisions_exemptions_and_every_framework(service) -> None:
    m = _map(service, CREDIT_CA, jurisdictions=("US-CA",))
    assert m.classification.klass == "out-of-scope" and m.classification.would_be == "high-risk"
    assert not m.checklist and not any(s.applies for s in m.sheets)
    ca = next(j for j in m.jurisdictions if j.code == "US-CA")
    assert ca.binding[0] == "ccpa" and ca.missing is None and "1798.140(d)" in ca.condition  # the Act first
    brought = {s.clause.id for s in ca.situational}
    assert {"ccpa:1798.185(a)(15)", "ccpa:1798.185(a)(14)"} <= brought  # ADMT and risk assessments
    assert {"ccpa:1798.145(d)", "ccpa:1798.145(e)"} <= brought  # FCRA and GLBA exemptions, said
    frameworks = {p.clause.source_id for t in m.themes for p in t.principles}
    assert frameworks - {"nec", "acme-frs"}  # not only NEC's and the company's own


def test_face_entry_brings_the_sheet_and_its_checks_in_scope(service) -> None:
    m = _map(service, FACE_ENTRY, jurisdictions=("EU",), phase="design")
    sheet = next(s for s in m.sheets if s.source_id == "acme-frs")
    assert sheet.applies and "face" in sheet.why
    assert m.checklist and all("design" in c.phases for c in m.checklist)
    assert m.classification.klass == "minimal"  # verification at a door: Annex III(1)(a) excludes it
    assert "euaia:annex-3(1)(a)" in m.classification.basis


def test_a_jurisdiction_whose_binding_law_is_missing_is_said(service) -> None:
    m = _map(service, "A chatbot answers questions from customers.", jurisdictions=("JP", "UK"))
    said = {j.code: j.missing for j in m.jurisdictions}
    kb = service.kb()
    if "appi" not in kb.sources:
        assert "APPI" in said["JP"] and "not in the knowledge base" in said["JP"]
    assert "not" in said["UK"] or "no binding law" in said["UK"]


def test_the_labelled_use_cases_score(service) -> None:
    path = Path(__file__).parent / "fixtures" / "usecases" / "three.jsonl"
    report = evaluate_mapping(service, load_use_cases(path), path.name)
    assert report.class_accuracy == 1.0
    assert report.noisy_cases == 0 and report.sheet_false_inclusions == 0 and report.sheet_misses == 0
    assert report.recall >= 0.85 and report.missing_law_said == 1.0


def test_map_page_shows_the_classification_its_reasons_and_open_questions(ingested) -> None:
    import httpx

    from tests.test_api import start_server, stop_server

    process, base = start_server(ingested)
    try:
        with httpx.Client(base_url=base, timeout=60) as client:
            page = client.get("/map", params={"description": CREDIT_CA.replace(" in California", ""), "role": ""})
            assert page.status_code == 200
            html = page.text
            assert "EU AI Act: High-risk AI system" in html
            assert "Annex III(5)(b)" in html and "<mark>credit</mark>" in html  # the words that led there
            assert "Open questions" in html and "EU market" in html
            assert "No internal check sheet applies" in html
            body = client.post(
                "/v1/map", json={"description": CHATBOT, "jurisdictions": ["EU", "UK"], "role": "deployer"}
            ).json()
            assert body["classification"]["class"] == "transparency"
            assert body["classification"]["duties"][0]["for_you"] is True
            assert any(j["code"] == "UK" and j["missing"] for j in body["jurisdictions"])
            assert all(c["kind"] in ("obligation", "right", "prohibition") for c in body["direct"])
    finally:
        stop_server(process)


def test_the_labelled_use_case_set_meets_the_targets(service) -> None:
    """tests/eval/usecases.jsonl (the issue's measure): class, recall over the ingested sources' ids, no
    institutional noise, no company sheet out of its scope, the missing binding law always said."""
    path = Path(__file__).parent / "eval" / "usecases.jsonl"
    report = evaluate_mapping(service, load_use_cases(path), path.name)
    assert report.class_accuracy >= 0.90
    assert report.recall_in_kb >= 0.85
    assert report.noisy_cases == 0 and report.sheet_false_inclusions == 0
    assert report.missing_law_said == 1.0
