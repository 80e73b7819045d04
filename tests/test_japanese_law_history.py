"""A Japanese statute added by a registry entry alone, from the tiny fixtures: two versions (the older
one in the JLT format, without supplementary provisions), the English translation attached clause by
clause, and a clause amended after the translated text marked as such. No real corpus needed."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.pipeline import ingest
from kb.service import ClauseMap
from kb.settings import Settings

FIXTURES = Path(__file__).parent / "fixtures"
REGISTRY = """
[[source]]
id = "mihon"
title = "見本の保護に関する法律 (test fixture)"
short_name = "Mihon"
issuer = "clausemap tests"
jurisdiction = "JP"
kind = "law"
binding = true
language = "ja"
version_date = "2029-01-01"
official_url = "https://example.org/mihon"
parser = "japanese-law-xml"
files = ["japanese_law/tiny-egov.xml"]
expected = { chapter = 2, article = 5, paragraph = 8, item = 2, annex = 1 }
history = [
  { version_date = "2027-04-01", parser = "japanese-law-xml", files = ["japanese_law/tiny-jlt-ja.xml"], omits = ["supplementary", "suppl-article", "suppl-paragraph", "suppl-item"] },
]
translations = [
  { language = "en", parser = "japanese-law-xml", files = ["japanese_law/tiny-jlt-en.xml"], version_date = "2027-04-01", original = ["japanese_law/tiny-jlt-ja.xml"], note = "Test translation." },
]
"""


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory, embedder) -> ClauseMap:
    registry = tmp_path_factory.mktemp("registry")
    (registry / "sources.toml").write_text(REGISTRY, encoding="utf-8")
    settings = Settings(data_dir=tmp_path_factory.mktemp("data"), sources_dir=FIXTURES, registry_dir=registry)
    report = ingest(settings, embedder, history=True)
    assert not report.failed, [f.message for f in report.failed]
    return ClauseMap(settings, embedder)


def test_the_newer_version_reports_exactly_its_amendments(service: ClauseMap) -> None:
    first, second = reversed(service.changes(source="mihon"))
    assert (first.version_date.isoformat(), first.amended, first.repealed) == ("2027-04-01", 0, 0)
    # the older file has no supplementary provisions: they are first recorded, not reported as added
    assert (second.added, second.repealed) == (0, 0)
    assert {c["clause_id"] for c in second.changes} == {"mihon:2(1)(i)", "mihon:4(1)"}
    assert "mihon:suppl-1(1)" in service.kb().clauses


def test_translations_say_they_have_no_legal_effect_and_whether_the_clause_changed(service: ClauseMap) -> None:
    kb = service.kb()
    amended, unchanged = kb.translations[("mihon:2(1)(i)", "en")], kb.translations[("mihon:1(1)", "en")]
    assert amended.outdated is True and unchanged.outdated is False
    assert amended.legal_effect is False and amended.note == "Test translation."
    assert ("mihon:3(1)", "en") not in kb.translations  # the English file has no Art. 3
