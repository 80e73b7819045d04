"""APPI and the AI Promotion Act in the knowledge base, from the real files: two versions with a
true diff, the English translation attached clause by clause and marked as without legal effect
(and as older than the Japanese where it is), and search in English and in Japanese."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import httpx
import pytest

from kb.presenters import clause_out
from kb.search import Filters
from kb.service import ClauseMap
from kb.settings import Settings
from tests.test_api import start_server, stop_server
from tests.test_parser_japanese_law import CHANGED_2021_2026

pytestmark = [pytest.mark.corpus, pytest.mark.slow]


@pytest.fixture(scope="module")
def service(ingested: Settings, embedder) -> ClauseMap:
    return ClauseMap(ingested, embedder)


def _units(service: ClauseMap, ids: set[str]) -> set[str]:
    clauses = service.kb().clauses
    return {clauses[i].unit_id for i in ids}


def test_appi_2021_to_2026_reports_exactly_the_amended_articles_and_tables(service: ClauseMap) -> None:
    first, second = reversed(service.changes(source="appi"))
    assert (first.version_date.isoformat(), first.added, first.amended, first.repealed) == ("2021-05-19", 905, 0, 0)
    assert second.version_date.isoformat() == "2026-07-17"
    # supplementary provisions are not in the 2021 file: first recorded in 2026, not reported as added
    assert (second.added, second.repealed) == (0, 0)
    assert {c["change"] for c in second.changes} == {"amended"}
    assert _units(service, {c["clause_id"] for c in second.changes}) == CHANGED_2021_2026
    art_177 = next(c for c in second.changes if c["clause_id"] == "appi:177(1)")
    assert ["-", "懲役"] in art_177["diff"] or any(op == "-" and "懲役" in w for op, w in art_177["diff"])


def test_as_of_2022_reads_the_2021_text(service: ClauseMap) -> None:
    _, before = service.clause("appi:177(1)", datetime(2022, 1, 1))
    _, now = service.clause("appi:177(1)")
    assert "懲役" in before.text and "拘禁刑" in now.text


def test_every_clause_carries_the_english_translation_marked_without_legal_effect(service: ClauseMap) -> None:
    kb, clause = service.clause("appi:27(1)(ii)")
    out = clause_out(kb, clause)
    assert out.citation == "APPI Art. 27(1)(ii) (第二十七条第一項第二号)" and out.language == "ja"
    [english] = out.translations
    assert english.language == "en" and english.legal_effect is False and not english.outdated
    assert "consent" in english.text
    assert "no legal effect" in english.notice and "reads the same" in english.notice
    translated = {cid for (cid, lang) in kb.translations if lang == "en" and cid.startswith("appi:")}
    paragraphs = {c.id for c in kb.clauses.values() if c.source_id == "appi" and c.kind in ("paragraph", "item")}
    assert len(paragraphs) == 417 + 249 and paragraphs <= translated


def test_a_clause_amended_after_the_translation_says_so(service: ClauseMap) -> None:
    kb, clause = service.clause("appi:48(1)(iii)(a)")
    [english] = clause_out(kb, clause).translations
    assert english.outdated and english.version_date.isoformat() == "2021-05-19"
    assert "amended since" in english.notice and "does not match" in english.notice
    outdated = {cid for (cid, lang), t in kb.translations.items() if t.outdated}
    assert outdated and _units(service, outdated) <= CHANGED_2021_2026


def test_ai_promotion_act_is_in_with_its_translation(service: ClauseMap) -> None:
    kb = service.kb()
    assert kb.sources["jp-ai-act"].jurisdiction == "JP" and kb.sources["jp-ai-act"].binding
    _, article = service.clause("jp-ai-act:13")
    assert article.title == "適正性の確保"
    assert kb.translations[("jp-ai-act:13", "en")].title == "Ensuring Appropriateness"
    [english] = clause_out(*service.clause("jp-ai-act:13(1)")).translations
    assert english.outdated is None  # no Japanese text of 2025-06-04 to compare with: not claimed either way
    assert "no legal effect" in english.notice and english.notice.endswith("the current text is of 2025-09-01.")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("consent of the person before providing personal data to a third party", "appi:27"),
        ("providing personal data to a third party in a foreign country", "appi:28"),
        ("report a leak of personal data to the commission", "appi:26"),
        ("本人の同意を得ないで個人データを第三者に提供", "appi:27"),
        ("外国にある第三者への個人データの提供", "appi:28"),
        ("漏えい等が生じたときの個人情報保護委員会への報告", "appi:26"),
    ],
)
def test_english_and_japanese_questions_find_appi(service: ClauseMap, query: str, expected: str) -> None:
    hits = service.search(query, k=3, filters=Filters(sources=("appi",))).hits
    assert expected in [h.unit.id for h in hits]


def test_english_questions_reach_appi_among_all_sources(service: ClauseMap) -> None:
    hits = service.search("transfer of personal data to a third party in a foreign country", k=10).hits
    assert "appi:28" in [h.unit.id for h in hits]


@pytest.fixture(scope="module")
def server(ingested: Settings) -> Iterator[str]:
    process, url = start_server(ingested)
    try:
        yield url
    finally:
        stop_server(process)


def test_the_api_and_the_web_page_say_the_translation_has_no_legal_effect(server: str) -> None:
    with httpx.Client(base_url=server, timeout=30) as client:
        body = client.get("/v1/clauses/appi:48(1)(iii)(a)").json()
        [english] = body["translations"]
        assert english["legal_effect"] is False and english["outdated"] is True
        assert "no legal effect" in english["notice"]
        page = client.get("/clauses/appi:48(1)(iii)(a)").text
        assert "no legal effect" in page and "amended since" in page
