"""The two labelled sets of tests/eval/ (see its README): the reviewer questions that ``kb eval`` scores
search on, and the use cases that ``kb eval --method map`` scores the mapping on.

The fast tests check each file's schema and the coverage the issues ask for (sources, languages,
cross-lingual questions, AI Act classes); the ``corpus`` test checks that every expected id exists in
the real knowledge base, so that a label can never silently point at nothing. Ids of the sources that
are still being added (APPI, the Japanese AI Promotion Act, the NIST AI RMF, the Colorado act and the
CCPA regulations) are checked there only once their source is in the knowledge base."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

from kb.evaluation import load_queries
from kb.ids import ClauseId, is_valid
from kb.settings import Settings

EVAL_DIR = Path(__file__).parent / "eval"
QUESTIONS = EVAL_DIR / "questions.jsonl"
USECASES = EVAL_DIR / "usecases.jsonl"
REGISTRY = Path(__file__).parent.parent / "corpus"

# Sources in the knowledge base when the sets were written, and those being added.
EXISTING_SOURCES = ("gdpr", "euaia", "ccpa", "oecd", "hleg", "meti", "nec", "acme-frs")
NEW_SOURCES = ("appi", "jp-ai-act", "nist-ai-rmf", "co-ai-act", "cppa-regs")
LANGUAGES = ("en", "ja")
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")

AIACT_CLASSES = ("prohibited", "high-risk", "transparency", "gpai", "minimal", "out-of-scope")
ROLES = ("provider", "deployer", "importer", "distributor")
JURISDICTIONS = ("EU", "US-CA", "US-CO", "JP", "OECD", "internal")
PHASES = ("planning", "design", "operation")
INTERNAL_SHEETS = ("acme-frs",)


def read_records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def registry_ids(file: str, key: str) -> set[str]:
    """The ids of a registry file's list (``themes`` of the crosswalk, ``triggers``)."""
    return {item["id"] for item in yaml.safe_load((REGISTRY / file).read_text(encoding="utf-8"))[key]}


def source_of(clause_id: str) -> str:
    return ClauseId.parse(clause_id).source


def all_ids(record: dict) -> list[str]:
    """Every clause id a record names: its expected ids and, for a use case, the AI Act basis."""
    aiact = record.get("aiact", {})
    return [*record["expected"], *aiact.get("basis", ()), *aiact.get("transparency", ())]


@pytest.fixture(scope="module")
def questions() -> list[dict]:
    return read_records(QUESTIONS)


@pytest.fixture(scope="module")
def usecases() -> list[dict]:
    return read_records(USECASES)


# --- the question set ------------------------------------------------------------------------------


def test_kb_eval_reads_the_question_set() -> None:
    assert len(load_queries(QUESTIONS)) >= 150


def test_each_question_has_the_documented_fields(questions: list[dict]) -> None:
    allowed = {"id", "query", "expected", "lang", "source", "answer_lang", "note"}
    for record in questions:
        assert set(record) <= allowed, (record["id"], set(record) - allowed)
        assert record["id"].startswith(f"q-{record['source']}-"), record["id"]
        assert record["lang"] in LANGUAGES and record["answer_lang"] in LANGUAGES, record["id"]
        assert record["source"] in EXISTING_SOURCES + NEW_SOURCES, record["id"]
        assert record["expected"] and all(is_valid(label) for label in record["expected"]), record["id"]
        assert record["source"] in {source_of(label) for label in record["expected"]}, record["id"]


def test_a_question_is_written_in_its_language(questions: list[dict]) -> None:
    for record in questions:
        assert bool(JAPANESE.search(record["query"])) == (record["lang"] == "ja"), record["id"]


def test_every_source_has_its_share_of_questions(questions: list[dict]) -> None:
    per_source = Counter(record["source"] for record in questions)
    for source in EXISTING_SOURCES:
        assert per_source[source] >= 10, source
    for source in NEW_SOURCES:
        assert per_source[source] >= 8, source


def test_japanese_and_cross_lingual_questions_are_there(questions: list[dict]) -> None:
    assert sum(record["lang"] == "ja" for record in questions) >= 40
    japanese_to_english = {r["source"] for r in questions if r["lang"] == "ja" and r["answer_lang"] == "en"}
    english_to_japanese = {r["source"] for r in questions if r["lang"] == "en" and r["answer_lang"] == "ja"}
    assert {"gdpr", "euaia", "ccpa"} <= japanese_to_english
    assert {"nec", "appi"} <= english_to_japanese
    assert any(r["source"] == "meti" and r["lang"] == "ja" for r in questions)


# --- the use-case set ------------------------------------------------------------------------------


def test_kb_eval_reads_the_use_case_set() -> None:
    assert len(load_queries(USECASES)) >= 60


def test_each_use_case_has_the_documented_fields(usecases: list[dict]) -> None:
    themes = registry_ids("crosswalk.yaml", "themes")
    triggers = registry_ids("triggers.yaml", "triggers")
    required = {"id", "query", "lang", "jurisdictions", "aiact", "expected", "principles", "internal_sheets"}
    required |= {"source", "written_from"}
    optional = {"role", "sector", "phase", "data_categories", "not_in_kb", "note"}
    for record in usecases:
        name = record["id"]
        assert required <= set(record) <= required | optional, (name, set(record) ^ required)
        assert record["lang"] in LANGUAGES and bool(JAPANESE.search(record["query"])) == (record["lang"] == "ja"), name
        assert record["jurisdictions"], name
        assert set(record["jurisdictions"]) - set(JURISDICTIONS) == set(record.get("not_in_kb", ())), name
        assert record.get("role", "provider") in ROLES, name
        assert record.get("phase", "planning") in PHASES, name
        assert set(record.get("data_categories", ())) <= triggers, name
        assert record["expected"] and all(is_valid(label) for label in record["expected"]), name
        assert record["principles"] and set(record["principles"]) <= themes, name
        assert set(record["internal_sheets"]) == set(INTERNAL_SHEETS), name
        assert all(isinstance(value, bool) for value in record["internal_sheets"].values()), name


def test_the_ai_act_class_names_its_basis(usecases: list[dict]) -> None:
    """The basis is the provision that decides the class: an Art. 5(1) point for a prohibited
    practice, an Annex III point (or Art. 6(1) with Annex I) for high-risk, an Art. 50 paragraph for
    transparency, Art. 51-55 for a general-purpose model."""
    patterns = {
        "prohibited": r"euaia:art-5\(1\)\([a-h]\)",
        "high-risk": r"euaia:(annex-3\(\d\)(\([a-e]\))?|art-6\(1\)|annex-1)",
        "transparency": r"euaia:art-50\([1-4]\)",
        "gpai": r"euaia:art-5[1-5]",
        "minimal": r"euaia:(annex-3\(\d\)\([a-e]\)|art-6\(3\))",
        "out-of-scope": r"euaia:art-[23]\(\d+\)",
    }
    for record in usecases:
        aiact = record["aiact"]
        assert aiact["class"] in AIACT_CLASSES, record["id"]
        assert all(re.fullmatch(patterns[aiact["class"]], basis) for basis in aiact["basis"]), record["id"]
        assert all(re.fullmatch(r"euaia:art-50\([1-4]\)", t) for t in aiact["transparency"]), record["id"]
        if aiact["class"] in ("prohibited", "high-risk", "transparency", "gpai"):
            assert aiact["basis"], record["id"]
            assert "EU" in record["jurisdictions"], record["id"]
        if "EU" not in record["jurisdictions"]:
            assert aiact["class"] == "out-of-scope", record["id"]


def test_the_use_cases_cover_every_class_role_and_jurisdiction(usecases: list[dict]) -> None:
    classes = Counter(record["aiact"]["class"] for record in usecases)
    assert all(classes[name] >= 2 for name in AIACT_CLASSES), classes
    assert {record.get("role") for record in usecases} >= set(ROLES)
    assert {j for record in usecases for j in record["jurisdictions"]} >= {"EU", "US-CA", "US-CO", "JP"}
    assert sum(record["lang"] == "ja" for record in usecases) >= 5
    in_scope = [record["internal_sheets"]["acme-frs"] for record in usecases]
    assert 5 <= sum(in_scope) < len(in_scope) - 5  # both answers are tested, not one


def test_ids_are_unique_across_the_sets(questions: list[dict], usecases: list[dict]) -> None:
    ids = [record["id"] for record in questions + usecases]
    assert len(ids) == len(set(ids))


# --- against the real knowledge base ---------------------------------------------------------------


@pytest.mark.corpus
@pytest.mark.slow
def test_every_expected_id_exists_in_the_knowledge_base(
    ingested: Settings, questions: list[dict], usecases: list[dict]
) -> None:
    from kb.knowledge import Library

    kb = Library(ingested).get()
    present = set(kb.sources)
    assert set(EXISTING_SOURCES) <= present
    missing = [
        (record["id"], label)
        for record in questions + usecases
        for label in all_ids(record)
        if source_of(label) in present and label not in kb.clauses
    ]
    assert not missing
