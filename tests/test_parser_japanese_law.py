"""Japanese statutes in e-Gov 法令標準XML and Japanese Law Translation XML: one parser for both.

Tiny fixtures written for these tests (a made-up 見本の保護に関する法律 in both formats) with their
golden outputs beside them; then the real APPI and AI Promotion Act files (marked ``corpus``).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from ingest.history import clause_hash
from ingest.parsers import ParseError
from ingest.parsers.japanese_law_xml import parse_japanese_law_xml
from ingest.parsers.japanese_numbers import int_to_kanji, kanji_to_int, letter, roman
from kb.ids import ClauseId
from kb.records import ClauseRecord

FIXTURES = Path(__file__).parent / "fixtures" / "japanese_law"
APPI_EGOV = "appi/egov-xml-2026-07-17/415AC0000000057_20260717_508AC0000000062.xml"
APPI_JLT_JA = "appi/jlt-2021/h15Aa000570305ja14.0_r3A37.xml"
APPI_JLT_EN = "appi/jlt-2021/h15Aa000570305en14.0_r3A37.xml"
AI_ACT_EGOV = "jp-ai-act/egov-xml-2025-09-01/507AC0000000053_20250901_000000000000000.xml"
AI_ACT_JLT_EN = "jp-ai-act/jlt-en-2025/r07Aa000530105en18.0.xml"
# the units whose text differs between the 2021 text JLT translated and the 2026 e-Gov text (SOURCE.md)
CHANGED_2021_2026 = {
    *(f"appi:{n}" for n in (48, 113, 132, 136, 150, 162, 164, 176, 177, 178, 179, 180, 181)),
    "appi:table-1",
    "appi:table-2",
}


def _parse(name: str, source: str = "mihon") -> list[ClauseRecord]:
    return parse_japanese_law_xml((FIXTURES / name).read_bytes(), source)


def _as_json(records: list[ClauseRecord]) -> list[dict]:
    return [
        {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(r).items()} for r in records
    ]


def _assert_contract(records: list[ClauseRecord]) -> None:
    """Ids valid and unique, positions in order, parents and units emitted before, refs to emitted ids."""
    ids = [r.id for r in records]
    assert len(ids) == len(set(ids))
    seen: set[str] = set()
    for position, record in enumerate(records):
        assert str(ClauseId.parse(record.id)) == record.id
        assert record.position == position
        assert record.parent is None or record.parent in seen
        assert record.unit == record.id or record.unit in seen
        assert set(record.refs) <= set(ids) and record.id not in record.refs
        seen.add(record.id)


def _real(corpus_dir: Path, relative: str) -> bytes:
    path = corpus_dir / relative
    if not path.is_file():
        pytest.skip(f"corpus file not available: {path}")
    return path.read_bytes()


# --- numbers ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kanji", "number"),
    [("一", 1), ("十", 10), ("十五", 15), ("二十七", 27), ("百", 100), ("百八十五", 185), ("千二", 1002),
     ("一五", 15), ("六一", 61), ("三〇", 30), ("一〇", 10)],
)
def test_kanji_numerals_read_both_styles(kanji: str, number: int) -> None:
    assert kanji_to_int(kanji) == number


def test_numbers_are_written_as_citations_write_them() -> None:
    assert [int_to_kanji(n) for n in (1, 10, 27, 100, 105, 185, 1002)] == [
        "一", "十", "二十七", "百", "百五", "百八十五", "千二"
    ]
    assert [roman(n) for n in (1, 2, 4, 9, 14, 40)] == ["i", "ii", "iv", "ix", "xiv", "xl"]
    assert [letter(n) for n in (1, 2, 26, 27)] == ["a", "b", "z", "aa"]
    with pytest.raises(ValueError, match="not a kanji numeral"):
        kanji_to_int("二a")


# --- tiny fixtures ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["tiny-egov", "tiny-jlt-en"])
def test_tiny_fixture_parses_to_its_golden_output(name: str) -> None:
    records = _parse(f"{name}.xml")
    _assert_contract(records)
    expected = json.loads((FIXTURES / f"{name}.expected.json").read_text(encoding="utf-8"))
    assert _as_json(records) == expected


def test_ids_labels_and_titles_of_the_japanese_text() -> None:
    by_id = {r.id: r for r in _parse("tiny-egov.xml")}
    item = by_id["mihon:2(1)(ii)(a)"]
    assert (item.kind, item.label, item.unit) == ("subitem", "Art. 2(1)(ii)(a) (第二条第一項第二号イ)", "mihon:2")
    # a sole paragraph is not named in the Japanese citation, as Japanese drafting cites it
    assert by_id["mihon:1(1)"].label == "Art. 1(1) (第一条)"
    # a branch article (第三条の二) without a caption shares the caption of the article before it
    assert (by_id["mihon:3-2"].label, by_id["mihon:3-2"].title) == ("Art. 3-2 (第三条の二)", "提供の制限")
    assert by_id["mihon:chapter-2.section-1"].label == "Chapter 2, Section 1 (第二章第一節)"
    # columns of an item are kept apart; furigana is left out
    assert by_id["mihon:2(1)(ii)"].text == "電子の見本 前号に掲げるものを除く。"
    assert by_id["mihon:4(1)"].text == "事業者は、見本の漏えいが生じたときは、委員会に報告しなければならない。"
    assert by_id["mihon:table-1"].label == "Appended Table 1 (別表第一)"


def test_supplementary_provisions_have_kinds_and_ids_of_their_own() -> None:
    records = _parse("tiny-egov.xml")
    kinds = {r.id: r.kind for r in records}
    assert list(kinds.values()).count("article") == 5  # 1, 2, 3, 3-2, 4: none of the supplementary ones
    assert kinds["mihon:suppl"] == "supplementary" and kinds["mihon:suppl-2"] == "suppl-article"
    by_id = {r.id: r for r in records}
    bare = by_id["mihon:suppl-r10-2(2)"]  # an amending act's block of bare paragraphs
    assert (bare.kind, bare.unit) == ("suppl-paragraph", "mihon:suppl-r10-2")
    assert bare.label == "Suppl. (Act No. 2 of 2028) para. 2 (附則（令和一〇年四月一日法律第二号）第二項)"


def test_cross_references_are_resolved_to_ids() -> None:
    refs = {r.id: r.refs for r in _parse("tiny-egov.xml")}
    assert refs["mihon:2(1)(ii)"] == ("mihon:2(1)(i)",)  # 前号
    assert refs["mihon:2(2)"] == ("mihon:2(1)(ii)(a)", "mihon:2(1)(i)")  # 前項第二号イ, 同項第一号
    assert refs["mihon:3(1)"] == ("mihon:2(1)",)  # 第二条第一項各号
    # 前項; 行政手続法（…第八十八号）第九条第一項及び第二項, and 同条第三項 after them, are another act's
    assert refs["mihon:3(2)"] == ("mihon:3(1)",)
    assert refs["mihon:3-2(1)"] == ("mihon:3(1)", "mihon:3(2)")  # 前条第一項又は第二項, 同条第二項
    assert refs["mihon:4(2)"] == ("mihon:1", "mihon:2", "mihon:3", "mihon:4(1)")  # 第一条から第三条まで, 前項
    # inside supplementary provisions: relative references only (前条), not the act's article numbers
    assert refs["mihon:suppl-2(1)"] == ("mihon:suppl-1",)
    assert refs["mihon:suppl-r10-2(2)(i)"] == ()


def test_the_english_translation_gets_the_same_ids_and_no_japanese_citation() -> None:
    japanese = {r.id for r in _parse("tiny-egov.xml")}
    english = _parse("tiny-jlt-en.xml")
    assert {r.id for r in english} <= japanese
    assert all(r.language == "en" and "第" not in r.label for r in english)
    assert {r.id: r.title for r in english}["mihon:2"] == "Definitions"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"<Law><LawBody>", "not well-formed XML"),
        (b"<Statute/>", "not <Law>"),
        (b"<Law Lang='ja'><LawBody><LawTitle>x</LawTitle></LawBody></Law>", "no <MainProvision>"),
        (b"<Law><LawBody><MainProvision><Article Num='x'/></MainProvision></LawBody></Law>", "no usable Num"),
        (b"<Law><LawBody><MainProvision/></LawBody></Law>", "holds no <Article>"),
        ("not bytes", "expected the document as bytes"),
    ],
)
def test_bad_input_is_a_parse_error_that_says_why(data: bytes, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        parse_japanese_law_xml(data, "mihon")  # type: ignore[arg-type]


def test_a_dtd_is_never_loaded_and_entities_are_not_expanded() -> None:
    data = (
        b'<?xml version="1.0"?><!DOCTYPE Law [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b"<Law Lang='en'><LawBody><MainProvision><Article Num='1'><Paragraph Num='1'><ParagraphSentence>"
        b"<Sentence>a &x; b</Sentence></ParagraphSentence></Paragraph></Article></MainProvision></LawBody></Law>"
    )
    records = parse_japanese_law_xml(data, "mihon")
    assert "root:" not in records[1].text


# --- the real files -----------------------------------------------------------------------------


@pytest.mark.corpus
def test_appi_counts_match_the_registry_in_all_three_files(corpus_dir: Path) -> None:
    for relative in (APPI_EGOV, APPI_JLT_JA, APPI_JLT_EN):
        records = parse_japanese_law_xml(_real(corpus_dir, relative), "appi")
        _assert_contract(records)
        kinds = [r.kind for r in records]
        counts = {k: kinds.count(k) for k in ("chapter", "article", "paragraph", "item", "annex", "section")}
        assert counts == {"chapter": 8, "article": 185, "paragraph": 417, "item": 249, "annex": 2, "section": 28}
    egov = parse_japanese_law_xml(_real(corpus_dir, APPI_EGOV), "appi")
    assert sum(r.kind == "supplementary" for r in egov) == 21


@pytest.mark.corpus
def test_appi_2021_and_2026_texts_differ_in_exactly_the_amended_units(corpus_dir: Path) -> None:
    old = {r.id: r for r in parse_japanese_law_xml(_real(corpus_dir, APPI_JLT_JA), "appi")}
    new = {r.id: r for r in parse_japanese_law_xml(_real(corpus_dir, APPI_EGOV), "appi")}
    assert set(old) <= set(new)
    changed = {
        new[i].unit for i in old if clause_hash(old[i].title, old[i].text) != clause_hash(new[i].title, new[i].text)
    }
    assert changed == CHANGED_2021_2026


@pytest.mark.corpus
def test_appi_key_clauses_citations_and_references(corpus_dir: Path) -> None:
    by_id = {r.id: r for r in parse_japanese_law_xml(_real(corpus_dir, APPI_EGOV), "appi")}
    assert by_id["appi:27(1)(ii)"].label == "Art. 27(1)(ii) (第二十七条第一項第二号)"
    assert by_id["appi:27"].title == "第三者提供の制限" and by_id["appi:28"].title == "外国にある第三者への提供の制限"
    assert "個人識別符号" in by_id["appi:2(2)"].text and "要配慮個人情報" in by_id["appi:2(3)"].text
    assert by_id["appi:27(2)"].refs == ("appi:27(1)", "appi:20(1)")  # 前項, 第二十条第一項
    assert by_id["appi:26(2)"].refs == ("appi:26(1)",)  # 前項, 同項ただし書
    assert by_id["appi:30(1)"].refs == ("appi:27(1)", "appi:27(5)")  # 第二十七条第一項各号又は第五項各号
    assert {"appi:27", "appi:27(1)"} <= set(by_id["appi:28(1)"].refs)  # 前条第一項各号, 同条
    assert by_id["appi:106(2)"].refs == ()  # its table reads another act's articles
    english = {r.id: r for r in parse_japanese_law_xml(_real(corpus_dir, APPI_JLT_EN), "appi")}
    assert english["appi:27"].title == "Restrictions on Provision of Personal Data to Third Parties"


@pytest.mark.corpus
def test_ai_promotion_act_counts_and_its_english_translation(corpus_dir: Path) -> None:
    records = parse_japanese_law_xml(_real(corpus_dir, AI_ACT_EGOV), "jp-ai-act")
    _assert_contract(records)
    kinds = [r.kind for r in records]
    assert [kinds.count(k) for k in ("chapter", "article", "paragraph", "item")] == [4, 28, 43, 5]
    by_id = {r.id: r for r in records}
    assert by_id["jp-ai-act:18"].title is None  # the chapter title is its heading
    assert by_id["jp-ai-act:18(1)"].refs == ("jp-ai-act:chapter-2",)  # 前章
    english = parse_japanese_law_xml(_real(corpus_dir, AI_ACT_JLT_EN), "jp-ai-act")
    _assert_contract(english)  # the JLT quirk (a repeated supplementary Art. 4) keeps the first
    assert {r.id for r in english if r.kind == "article"} == {r.id for r in records if r.kind == "article"}
