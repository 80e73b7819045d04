"""A Japanese statute added by a registry entry alone (the tiny knowledge base's ``mihon``, from the
parser fixtures): two versions, the older one in the JLT format without supplementary provisions;
the English translation attached clause by clause, marked as without legal effect, and as outdated
where the clause changed after the translated text, in the API, the clause page and ``kb show``."""

from __future__ import annotations

from typer.testing import CliRunner

from cli.main import app
from kb.service import ClauseMap
from kb.settings import Settings

AMENDED = "mihon:2(1)(i)"  # 紙に記録された見本 (2027) -> 紙の見本 (2029); the English translates 2027


def test_the_newer_version_reports_exactly_its_amendments(tiny_service: ClauseMap) -> None:
    first, second = reversed(tiny_service.changes(source="mihon"))
    assert (first.version_date.isoformat(), first.amended, first.repealed) == ("2027-04-01", 0, 0)
    # the older file has no supplementary provisions: first recorded now, not reported as added
    assert (second.added, second.repealed) == (0, 0)
    assert {c["clause_id"] for c in second.changes} == {AMENDED, "mihon:4(1)"}
    assert "mihon:suppl-1(1)" in tiny_service.kb().clauses


def test_translations_say_whether_the_clause_changed_since(tiny_service: ClauseMap) -> None:
    kb = tiny_service.kb()
    amended, unchanged = kb.translations[(AMENDED, "en")], kb.translations[("mihon:1(1)", "en")]
    assert amended.outdated is True and unchanged.outdated is False
    assert amended.legal_effect is False and amended.note == "Test translation."
    assert ("mihon:3(1)", "en") not in kb.translations  # the English file has no Art. 3


def test_the_api_and_the_page_show_the_notice(tiny_client) -> None:
    clause = tiny_client.get(f"/v1/clauses/{AMENDED}").json()
    assert clause["citation"] == "Mihon Art. 2(1)(i) (第二条第一項第一号)"
    [english] = clause["translations"]
    assert (english["legal_effect"], english["outdated"], english["version_date"]) == (False, True, "2027-04-01")
    assert "no legal effect" in english["notice"] and "amended since" in english["notice"]
    page = tiny_client.get(f"/clauses/{AMENDED}").text
    assert "no legal effect" in page and "amended since" in page


def test_kb_show_prints_the_translation_with_its_notice(tiny_kb: Settings, monkeypatch) -> None:
    monkeypatch.setenv("KB_DATA_DIR", str(tiny_kb.data_dir))
    monkeypatch.setenv("KB_SOURCES_DIR", str(tiny_kb.sources_dir))
    monkeypatch.setenv("KB_REGISTRY_DIR", str(tiny_kb.registry_dir))
    result = CliRunner().invoke(app, ["show", "mihon:1(1)"])
    assert result.exit_code == 0, result.output
    assert "[en]" in result.output and "The purpose of this Act is to protect samples." in result.output
    assert "no legal effect" in result.output and "reads the same in both" in result.output
