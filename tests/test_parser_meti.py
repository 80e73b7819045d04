"""METI/MIC AI Guidelines for Business Ver1.0: the English and Japanese PDF parsers."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from ingest.parsers import ParseError
from ingest.parsers.meti_pdf import (
    PdfLine,
    join_english,
    join_japanese,
    parse_meti_pdf_en,
    parse_meti_pdf_ja,
    structure_lines,
)
from kb.ids import ClauseId
from kb.records import ClauseRecord

FIXTURES = Path(__file__).parent / "fixtures" / "meti"
MINI_EN = FIXTURES / "mini_meti_en.pdf"
MINI_JA = FIXTURES / "mini_meti_ja.pdf"
REAL_EN = Path("meti") / "aigfb_v1.0_en_main_provisional-translation_2024-04-19.pdf"
REAL_JA = Path("meti") / "aigfb_v1.0_ja_main_DRAFT_2024-04.pdf"

COMMON_TITLES_EN = [
    "Human-Centric",
    "Safety",
    "Fairness",
    "Privacy protection",
    "Ensuring security",
    "Transparency",
    "Accountability",
    "Education/literacy",
    "Ensuring fair competition",
    "Innovation",
]
COMMON_TITLES_JA = [
    "人間中心",
    "安全性",
    "公平性",
    "プライバシー保護",
    "セキュリティ確保",
    "透明性",
    "アカウンタビリティ",
    "教育・リテラシー",
    "公正競争確保",
    "イノベーション",
]
ITEMS_PER_COMMON_PRINCIPLE = {1: 6, 2: 3, 3: 2, 4: 1, 5: 2, 6: 4, 7: 6, 8: 3, 9: 0, 10: 3}

# The "30 D/P/U actor items" of SOURCE.md: the distinct roman items under the D-N) / P-N) /
# U-N) headings of Parts 3-5, in document order. They are Table 1's entries less "D-4) i."
# (only in the table, as "Repeat of D-2) i."); "P-2) ii." is listed under two stages in Part 4
# and counts once.
ACTOR_ITEMS = [
    "meti:d-2(i)", "meti:d-3(i)", "meti:d-2(ii)", "meti:d-2(iii)", "meti:d-3(ii)",
    "meti:d-5(i)", "meti:d-6(i)", "meti:d-5(ii)", "meti:d-6(ii)", "meti:d-7(i)",
    "meti:d-7(ii)", "meti:d-10(i)",
    "meti:p-2(i)", "meti:p-2(ii)", "meti:p-3(i)", "meti:p-4(i)", "meti:p-5(i)", "meti:p-6(i)",
    "meti:p-4(ii)", "meti:p-5(ii)", "meti:p-6(ii)", "meti:p-7(i)", "meti:p-7(ii)",
    "meti:u-2(i)", "meti:u-3(i)", "meti:u-4(i)", "meti:u-5(i)", "meti:u-6(i)", "meti:u-7(i)",
    "meti:u-7(ii)",
]  # fmt: skip


def _by_id(records: list[ClauseRecord]) -> dict[str, ClauseRecord]:
    return {r.id: r for r in records}


def _check_contract(records: list[ClauseRecord], language: str) -> None:
    """Ids valid and unique, positions in order, parents known and earlier, units valid."""
    ids = [r.id for r in records]
    assert len(ids) == len(set(ids))
    assert [r.position for r in records] == list(range(len(records)))
    seen: set[str] = set()
    for record in records:
        assert str(ClauseId.parse(record.id)) == record.id
        assert record.id.startswith("meti:")
        assert record.language == language
        assert record.anchor is None
        assert record.parent is None or record.parent in seen
        assert record.unit in seen | {record.id}
        assert set(record.refs) <= set(ids) and record.id not in record.refs
        assert record.text == " ".join(record.text.split())
        seen.add(record.id)


# --- tiny fixtures ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mini_en() -> list[ClauseRecord]:
    return parse_meti_pdf_en(MINI_EN.read_bytes())


@pytest.fixture(scope="module")
def mini_ja() -> list[ClauseRecord]:
    return parse_meti_pdf_ja(MINI_JA.read_bytes())


def test_fixtures_are_tiny() -> None:
    assert MINI_EN.stat().st_size < 20_000
    assert MINI_JA.stat().st_size < 20_000


def test_mini_en_records(mini_en: list[ClauseRecord]) -> None:
    _check_contract(mini_en, "en")
    got = [
        (r.id, r.kind, r.number, r.label, r.parent, r.unit, r.title, r.text, r.refs)
        for r in mini_en
    ]
    assert got == [
        ("meti:preface", "preamble", "", "Preface", None, "meti:preface", "Preface",
         "These guidelines help businesses use AI safely, well-being included.", ()),
        ("meti:part-1", "part", "1", "Part 1", None, "meti:part-1", "Definitions",
         "Terms are defined as follows.", ()),
        ("meti:def-1", "definition", "", "Part 1 (AI widget)", "meti:part-1", "meti:def-1",
         "AI widget", "A widget that learns, such as y = θ0 + θ1x.", ()),
        ("meti:part-2", "part", "2", "Part 2", None, "meti:part-2",
         "Society to aim for with AI, and matters each actor works on",
         "Part 2 sets out principles.", ()),
        ("meti:part-2.c", "section", "C", "Part 2 C.", "meti:part-2", "meti:part-2.c",
         "Common Guiding Principles", 'Each actor should respect "1) Human-centric" below.',
         ("meti:c-1",)),
        ("meti:c-1", "principle", "1)", "C-1", "meti:part-2.c", "meti:c-1", "Human-Centric",
         "Each actor should respect human rights.", ()),
        ("meti:c-1(1)", "item", "(1)", "C-1(1)", "meti:c-1", "meti:c-1",
         "Dignity of people and machines",
         "Respect the dignity of individuals. Including children.", ()),
        ("meti:c-1(2)", "item", "(2)", "C-1(2)", "meti:c-1", "meti:c-1",
         "Attention to manipulation",
         'Do not manipulate; see "(1) Dignity of people and machines".', ("meti:c-1(1)",)),
        # the principle's words after its items: a note after them (lead-in, items, tail)
        ("meti:c-1(note1)", "statement", "", "C-1, note 1", "meti:c-1", "meti:c-1", None,
         "Each actor is expected to do all this.", ()),
        ("meti:c-2", "principle", "2)", "C-2", "meti:part-2.c", "meti:c-2", "Safety",
         "Each actor should avoid harm.", ()),
        ("meti:c-2(1)", "item", "(1)", "C-2(1)", "meti:c-2", "meti:c-2", "Proper use",
         "Use AI as intended.", ()),
        # margin prose after the principles: the section's note, not the end of its lead-in
        ("meti:part-2.c(note1)", "statement", "", "Part 2 C., note 1", "meti:part-2.c",
         "meti:part-2.c", None, '"D-2) i." refers to proper data training.', ("meti:d-2(i)",)),
        ("meti:part-2.d", "section", "D", "Part 2 D.", "meti:part-2", "meti:part-2.d",
         "Common Guiding Principles for advanced AI",
         "Advanced AI actors should comply with the following.", ()),
        ("meti:adv-1", "principle", "I)", "Adv. I", "meti:part-2.d", "meti:adv-1", None,
         'Identify and mitigate risks across the lifecycle. ("2) Safety") Test with red teams.',
         ("meti:c-2",)),
        ("meti:adv-2", "principle", "II)", "Adv. II", "meti:part-2.d", "meti:adv-2", None,
         'Report incidents. ("1) Human-centric")', ("meti:c-1",)),
        ("meti:part-2.e", "section", "E", "Part 2 E.", "meti:part-2", "meti:part-2.e",
         "Building AI governance", "Run an agile governance cycle.", ()),
        ("meti:part-3", "part", "3", "Part 3", None, "meti:part-3",
         "Matters Related to AI Developers", "Developers shape AI models.", ()),
        ("meti:d-2", "principle", "D-2)", "D-2", "meti:part-3", "meti:d-2", "Safety", "", ()),
        ("meti:d-2(i)", "item", "i.", "D-2) i.", "meti:d-2", "meti:d-2", "Proper data training",
         'Collect data lawfully ("2) Safety," "4) Privacy protection").', ("meti:c-2",)),
        ("meti:d-2(ii)", "item", "ii.", "D-2) ii.", "meti:d-2", "meti:d-2",
         "Development that takes into account lives and property",
         'Set a clear policy ("2) Safety"). Requirements for robustness', ("meti:c-2",)),
        ("meti:part-3.coc", "section", "", "Part 3 CoC", "meti:part-3", "meti:part-3.coc",
         'Additional matters described in "Code of Conduct"',
         "Developers of advanced AI should also comply with the Code.", ()),
        ("meti:part-3.coc(1)", "item", "I.", "Part 3 CoC I.", "meti:part-3.coc",
         "meti:part-3.coc", None, "Identify and mitigate risks. Document mitigation measures.",
         ()),
        ("meti:part-4", "part", "4", "Part 4", None, "meti:part-4",
         "Matters Related to AI Providers", "Providers add value to AI systems.", ()),
        ("meti:p-2", "principle", "P-2)", "P-2", "meti:part-4", "meti:p-2", "Safety", "", ()),
        ("meti:p-2(i)", "item", "i.", "P-2) i.", "meti:p-2", "meti:p-2",
         "Provision contributing to proper use", "State how to use the system.", ()),
        # the same item under the second stage: its own clause, where the document prints it
        ("meti:p-2(i)(stage2)", "item", "i.", "P-2) i., stage 2", "meti:p-2(i)", "meti:p-2",
         "Provision contributing to proper use", "Check the use periodically (see D-2) i.).",
         ("meti:d-2(i)",)),
        # the prose after the part's last item: the part's closing note, after the items
        ("meti:part-4(note1)", "statement", "", "Part 4, note 1", "meti:part-4",
         "meti:part-4", None,
         "Providers of advanced AI comply as follows: I): Comply within the appropriate scope.", ()),
    ]  # fmt: skip


def test_mini_en_drops_page_furniture(mini_en: list[ClauseRecord]) -> None:
    """Cover, contents, page numbers, footnotes, footnote markers, caption, table cell, stages."""
    everything = " ".join(f"{r.title} {r.text}" for r in mini_en)
    for furniture in ("Mini Guidelines", "Contents", "footnote", "A note on safety", "Figure 1",
                      "(1) Proper use i.", "During data", "When developing", "After provision",
                      "safely1", "harm3", "Safety2"):  # fmt: skip
        assert furniture not in everything


def test_mini_ja_records(mini_ja: list[ClauseRecord]) -> None:
    _check_contract(mini_ja, "ja")
    got = [(r.id, r.kind, r.parent, r.title, r.text, r.refs) for r in mini_ja]
    assert got == [
        ("meti:preface", "preamble", None, "はじめに",
         "本ガイドラインはAIの安全安心な活用を促進する。", ()),
        ("meti:part-2", "part", None, "AIにより目指すべき社会", "", ()),
        ("meti:part-2.c", "section", "meti:part-2", "共通の指針",
         "各主体は「1）人間中心」に照らし行動する。", ("meti:c-1",)),
        ("meti:c-1", "principle", "meti:part-2.c", "人間中心", "各主体は人権を侵さない。", ()),
        ("meti:c-1(1)", "item", "meti:c-1", "人間の尊厳及び個人の自律",
         "AIシステム・サービスの開発において、人間の尊厳を尊重する"
         " Society 5.0の実現に寄与する", ()),
        ("meti:c-2", "principle", "meti:part-2.c", "安全性", "各主体は危害を及ぼさない。", ()),
        ("meti:part-2.d", "section", "meti:part-2",
         "高度なAIシステムに関係する事業者に共通の指針", "", ()),
        ("meti:adv-1", "principle", "meti:part-2.d", None,
         "リスクを特定し、緩和する（「2）安全性」） レッドチームを活用する", ("meti:c-2",)),
        ("meti:part-3", "part", None, "AI開発者に関する事項", "AI開発者はAIモデルを設計する。", ()),
        ("meti:d-2", "principle", "meti:part-3", "安全性", "", ()),
        ("meti:d-2(i)", "item", "meti:d-2", "適切なデータの学習",
         "学習データを適正に収集する（「2）安全性」）", ("meti:c-2",)),
    ]  # fmt: skip


def test_mini_ja_uses_the_english_ids_and_labels(
    mini_en: list[ClauseRecord], mini_ja: list[ClauseRecord]
) -> None:
    english = _by_id(mini_en)
    for record in mini_ja:
        assert record.id in english
        assert (record.kind, record.label, record.number) == (
            english[record.id].kind,
            english[record.id].label,
            english[record.id].number,
        )


def test_join_japanese_adds_no_space_between_cjk() -> None:
    assert (
        join_japanese(["AI システム・サービスの開発にお", "いて、2024 年に"])
        == "AIシステム・サービスの開発において、2024年に"
    )
    assert (
        join_japanese(["Society 5.0 の", "Data Free Flow", "with Trust"])
        == "Society 5.0のData Free Flow with Trust"
    )
    assert (
        join_japanese(["\uf0b2  一つ目の項目", "\uf0b2  二つ目の項目"])
        == "一つ目の項目 二つ目の項目"
    )


def test_join_english_keeps_compound_hyphens() -> None:
    assert join_english(["diverse well-", "being and", "\uf0b2  risk -", "based"]) == (
        "diverse well-being and risk - based"
    )
    assert join_english(["in some ways , AI business"]) == "in some ways, AI business"


# --- malformed input --------------------------------------------------------------------------


@pytest.mark.parametrize("data", [b"", b"hello, world", b"<html><body>not a pdf</body></html>"])
def test_not_a_pdf_raises(data: bytes) -> None:
    with pytest.raises(ParseError, match="not a PDF"):
        parse_meti_pdf_en(data)
    with pytest.raises(ParseError, match="not a PDF"):
        parse_meti_pdf_ja(data)


@pytest.mark.parametrize("keep", [0.1, 0.5, 0.9, 0.99])
def test_truncated_pdf_raises(keep: float) -> None:
    data = MINI_EN.read_bytes()
    with pytest.raises(ParseError):
        parse_meti_pdf_en(data[: int(len(data) * keep)])


def test_garbage_after_header_raises() -> None:
    with pytest.raises(ParseError):
        parse_meti_pdf_en(b"%PDF-1.7\n" + b"\x00garbage" * 100)


def _line(text: str, x: float = 70.8, size: float = 10.56) -> PdfLine:
    return PdfLine(page=0, x=x, y=700.0, size=size, text=text)


def test_document_without_the_guidelines_structure_raises() -> None:
    with pytest.raises(ParseError, match="no preface"):
        structure_lines([_line("Some other document"), _line("with text")], 10.56, "en")
    with pytest.raises(ParseError, match="no common guiding principles"):
        structure_lines([_line("Preface", size=18.0), _line("Only a preface.")], 10.56, "en")
    with pytest.raises(ParseError, match="unsupported language"):
        structure_lines([], 10.56, "fr")


def test_principles_out_of_sequence_raise() -> None:
    lines = [
        _line("Preface", size=18.0),
        _line("Part 2 Society", size=18.0),
        _line("C. Common Guiding Principles", size=13.9),
        _line("1) Human-Centric", size=12.0),
        _line("Text.", x=92.9),
        _line("3) Fairness", size=12.0),
        _line("Text.", x=92.9),
    ]
    with pytest.raises(ParseError, match="out of sequence"):
        structure_lines(lines, 10.56, "en")


def test_item_heading_without_text_raises() -> None:
    lines = [
        _line("Preface", size=18.0),
        _line("Part 2 Society", size=18.0),
        _line("C. Common Guiding Principles", size=13.9),
        _line("1) Human-Centric", size=12.0),
        _line("(1) Dignity", x=92.9),
    ]
    with pytest.raises(ParseError, match="no text"):
        structure_lines(lines, 10.56, "en")


# --- the real files ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_en(corpus_dir: Path) -> list[ClauseRecord]:
    path = corpus_dir / REAL_EN
    if not path.is_file():
        pytest.skip(f"{path} not available")
    return parse_meti_pdf_en(path.read_bytes())


@pytest.fixture(scope="module")
def real_ja(corpus_dir: Path) -> list[ClauseRecord]:
    path = corpus_dir / REAL_JA
    if not path.is_file():
        pytest.skip(f"{path} not available")
    return parse_meti_pdf_ja(path.read_bytes())


def _common_principles(records: list[ClauseRecord]) -> list[ClauseRecord]:
    return [r for r in records if r.kind == "principle" and r.id.startswith("meti:c-")]


def _actor_items(records: list[ClauseRecord]) -> list[str]:
    """The distinct actor items (a second stage's passage of an item is not another item)."""
    return [
        r.id
        for r in records
        if r.kind == "item" and r.id[5] in "dpu" and r.id[6] == "-" and "(stage" not in r.id
    ]


@pytest.mark.corpus
def test_real_en_counts(real_en: list[ClauseRecord]) -> None:
    _check_contract(real_en, "en")
    assert Counter(r.kind for r in real_en) == {
        "preamble": 1,
        "part": 5,
        "section": 6,  # Part 2 A.-E. and Part 3's Code-of-Conduct additions
        "definition": 7,
        "principle": 40,  # 10 common + 12 advanced-AI + 18 D/P/U groups
        # 30 common items + 3 basic philosophies + 30 actor items + P-2) ii.'s second stage
        # + 11 CoC items
        "item": 75,
        # prose after items: Part 2 A.'s and C-1's closing words, the two notes between and after
        # the common guiding principles, the closing notes of Parts 4 and 5
        "statement": 6,
    }
    assert len(real_en) == 140


@pytest.mark.corpus
def test_real_en_common_principles(real_en: list[ClauseRecord]) -> None:
    principles = _common_principles(real_en)
    assert [r.id for r in principles] == [f"meti:c-{n}" for n in range(1, 11)]
    assert [r.title for r in principles] == COMMON_TITLES_EN
    assert [r.label for r in principles] == [f"C-{n}" for n in range(1, 11)]
    for number, count in ITEMS_PER_COMMON_PRINCIPLE.items():
        items = [r for r in real_en if r.parent == f"meti:c-{number}" and r.kind == "item"]
        assert [r.id for r in items] == [f"meti:c-{number}({k})" for k in range(1, count + 1)]
        assert all(r.kind == "item" and r.unit == f"meti:c-{number}" and r.text for r in items)
    records = _by_id(real_en)
    assert records["meti:c-1(1)"].title == "Human dignity and autonomy of individuals"
    assert records["meti:c-2(1)"].title == (
        "Taking into consideration the lives, bodies, properties and minds of humans and the "
        "environment"
    )
    # C-1's closing sentence follows its six items: a note after them, not the end of C-1's lead-in
    assert records["meti:c-1(note1)"].text.endswith(
        "provide people with benefits and richness and achieve well-being."
    )
    order = [r.id for r in real_en]
    assert order.index("meti:c-1(6)") < order.index("meti:c-1(note1)") < order.index("meti:c-2")
    assert records["meti:part-2.c(note1)"].text == (
        "The specific activities expected to be implemented by each AI business actor in cooperation with "
        "society are organized as follows."
    )
    assert order.index("meti:c-7(6)") < order.index("meti:part-2.c(note1)") < order.index("meti:c-8")
    assert (
        "such as automated biases. Pay attention" in records["meti:c-1(2)"].text
    )  # marker 11 gone
    assert records["meti:c-6(3)"].refs == ("meti:c-6(2)",)


@pytest.mark.corpus
def test_real_en_actor_items(real_en: list[ClauseRecord]) -> None:
    assert _actor_items(real_en) == ACTOR_ITEMS
    assert len(ACTOR_ITEMS) == 30
    records = _by_id(real_en)
    assert records["meti:d-2"].kind == "principle"
    assert records["meti:d-2"].title == "Safety"
    assert records["meti:d-2"].parent == "meti:part-3"
    assert records["meti:d-2(i)"].label == "D-2) i."
    assert records["meti:d-2(i)"].title == "Proper data training"
    assert records["meti:d-2(i)"].refs == ("meti:c-2", "meti:c-4", "meti:c-5")
    assert records["meti:p-6(ii)"].title == "Providing relevant stakeholders with information"
    assert (
        records["meti:u-7(ii)"].title
        == "Effective use of provided documents and conformity to agreements"
    )
    assert records["meti:d-2(ii)"].title == (
        "Development that takes into consideration the lives, bodies, properties and minds of "
        "humans and the environment"
    )
    # P-2) ii. appears under both Part 4 stages, four items apart: each passage where it stands
    assert records["meti:p-2(ii)"].text.endswith('differ from those that AI developers expect ("2) Safety").')
    second = records["meti:p-2(ii)(stage2)"]
    assert (second.parent, second.label, second.text) == (
        "meti:p-2(ii)",
        "P-2) ii., stage 2",
        'Periodically verify whether the AI system or service is used for proper purposes ("2) Safety").',
    )
    order = [r.id for r in real_en]
    assert order.index("meti:p-6(i)") < order.index("meti:p-2(ii)(stage2)") < order.index("meti:p-4(ii)")
    # the sentence between D-7) ii. and D-10) i. introduces D-10, not Part 3
    assert records["meti:d-10"].text == "The matters at which AI developers are expected to make efforts are listed below:"
    assert records["meti:part-3"].text.endswith("The matters important for AI developers are shown below.")
    assert "meti:d-4" not in records  # only in Table 1, as "Repeat of D-2) i."
    groups = [
        r.id for r in real_en if r.kind == "principle" and r.id[5] in "dpu" and r.id[6] == "-"
    ]
    assert len(groups) == 18
    assert all(r.title in COMMON_TITLES_EN for r in real_en if r.id in groups)
    assert [r.id for r in real_en if r.id in groups and r.text] == ["meti:d-10"]


@pytest.mark.corpus
def test_real_en_advanced_ai_principles(real_en: list[ClauseRecord]) -> None:
    adv = [r for r in real_en if r.id.startswith("meti:adv-")]
    assert [r.id for r in adv] == [f"meti:adv-{n}" for n in range(1, 13)]
    assert all(r.kind == "principle" and r.parent == "meti:part-2.d" for r in adv)
    assert adv[11].label == "Adv. XII"
    assert adv[0].text.startswith(
        "Take appropriate measures throughout the development of advanced AI systems"
    )
    assert adv[11].text.startswith(
        "Promote and contribute to trustworthy and responsible use of advanced AI systems."
    )
    assert adv[11].refs == ("meti:c-5", "meti:c-8")
    coc = [r.id for r in real_en if r.parent == "meti:part-3.coc"]
    assert coc == [f"meti:part-3.coc({n})" for n in range(1, 12)]


@pytest.mark.corpus
def test_real_en_text_hygiene(real_en: list[ClauseRecord]) -> None:
    everything = "\n".join(r.text for r in real_en)
    assert (
        everything.count("Figure 1. Positioning") == 1
    )  # the reference in the preface, no caption
    assert everything.count("Table 1. Important matters") == 2  # two references, no caption
    for furniture in ("Provisional Translation", "Ministry of Economy, Trade and Industry Contents",
                      "Refers to a phenomenon in which automated", "https://", "\uf0b2", "\uf06c",
                      "\uf0d8",
                      "During data preprocessing and training", "biases11", " , "):  # fmt: skip
        assert furniture not in everything
    records = _by_id(real_en)
    assert "y = θ0 + θ1x" in records["meti:def-4"].text
    assert [r.title for r in real_en if r.kind == "part"] == [
        "Definitions",
        "Society to aim for with AI, and matters each AI business actor works on",
        "Matters Related to AI Developers",
        "Matters Related to AI Providers",
        "Matters Related to AI Business Users",
    ]
    assert records["meti:part-5"].text.endswith("The matters important for AI business users are shown below.")
    closing = records["meti:part-5(note1)"]  # printed after U-7) ii., the part's last item
    assert closing.text.startswith("Incidentally, AI business users who handle advanced AI systems")
    assert closing.text.endswith("I) to XI): Comply with them within the appropriate scope. XII): Comply with it.")
    assert [r.id for r in real_en][-1] == "meti:part-5(note1)"


@pytest.mark.corpus
def test_real_ja_matches_the_english_structure(
    real_en: list[ClauseRecord], real_ja: list[ClauseRecord]
) -> None:
    _check_contract(real_ja, "ja")
    # Every id of the English final is found in the Japanese draft, in the same order.
    assert [r.id for r in real_ja] == [r.id for r in real_en]
    english = _by_id(real_en)
    for record in real_ja:
        assert (record.kind, record.parent, record.unit, record.number) == (
            english[record.id].kind,
            english[record.id].parent,
            english[record.id].unit,
            english[record.id].number,
        )
        if record.kind != "definition":  # definitions are labelled by their term
            assert record.label == english[record.id].label
    assert [r.title for r in _common_principles(real_ja)] == COMMON_TITLES_JA
    assert _actor_items(real_ja) == ACTOR_ITEMS
    assert [r.id for r in real_ja if r.id.startswith("meti:adv-")] == [
        f"meti:adv-{n}" for n in range(1, 13)
    ]


@pytest.mark.corpus
def test_real_ja_text(real_ja: list[ClauseRecord]) -> None:
    records = _by_id(real_ja)
    assert records["meti:c-1(1)"].title == "人間の尊厳及び個人の自律"
    assert records["meti:d-2(i)"].title == "適切なデータの学習"
    assert records["meti:d-2"].title == "安全性"
    assert records["meti:def-2"].label == "Part 1 (AIシステム)"
    assert records["meti:c-7"].title == "アカウンタビリティ"  # footnote marker 21 dropped
    assert records["meti:c-1(2)"].text.startswith(
        "人間の意思決定、認知等、感情を不当に操作することを目的とした"
    )
    assert "自動化バイアス等のAIに過度に依存する" in records["meti:c-1(2)"].text  # marker 11 gone
    assert records["meti:adv-12"].text.startswith(
        "高度なAIシステムの信頼でき責任ある利用を促進し、貢献する"
    )
    everything = "".join(r.text for r in real_ja)
    assert "AI システム" not in everything  # no space between Latin and kana
    assert "\uf0b2" not in everything and "図 1." not in everything and "https://" not in everything


# --- lead-in, items, closing note: the line stream, golden ---------------------------------------

BODY_PT = 10.56


def _at(x: float, text: str, size: float = BODY_PT) -> PdfLine:
    return PdfLine(page=1, x=x, y=500.0, size=size, text=text)


def _actor_part_lines() -> list[PdfLine]:
    """Part 3 with text between two groups (it introduces the second) and Part 4 with a note after
    its last item, as the official layout sets them (margin 70.8/81.4, items 92.9, text 114.7)."""
    heading, principle = BODY_PT + 6, BODY_PT + 1.5
    return [
        _at(70.8, "Preface", heading),
        _at(81.4, "Guidelines."),
        _at(70.8, "Part 2 Principles", heading),
        _at(70.8, "C. Common guiding principles", BODY_PT + 3.4),
        _at(92.9, "1) Human-centric", principle),
        _at(92.9, "Respect people."),
        _at(70.8, "Part 3 Matters Related to AI Developers", heading),
        _at(81.4, "Developers shape AI models."),
        _at(81.4, "The matters important for AI developers are shown below."),
        _at(70.8, "\u2022  When developing AI"),
        _at(92.9, "\u2022  D-2) i. Proper data training"),
        _at(114.7, "\u2022  Collect data lawfully."),
        _at(70.8, "The matters developers are expected to try are listed below:"),
        _at(92.9, "\u2022  D-10) i. Contribution to innovation"),
        _at(114.7, "\u2022  Share what you learn."),
        _at(70.8, "Part 4 Matters Related to AI Providers", heading),
        _at(81.4, "Providers add value."),
        _at(92.9, "\u2022  P-2) i. Proper use"),
        _at(114.7, "\u2022  State how to use the system."),
        _at(81.4, "Incidentally, providers of advanced AI comply as follows:"),
        _at(92.9, "I) to XI): Comply within the appropriate scope."),
    ]


def test_text_between_and_after_actor_items_goes_where_it_reads() -> None:
    records = structure_lines(_actor_part_lines(), BODY_PT, "en")
    got = [(r.id, r.kind, r.parent, r.text) for r in records if re.match(r"meti:(part-[34]|[dp]-)", r.id)]
    assert got == [
        ("meti:part-3", "part", None, "Developers shape AI models. The matters important for AI developers are shown below."),
        ("meti:d-2", "principle", "meti:part-3", ""),
        ("meti:d-2(i)", "item", "meti:d-2", "Collect data lawfully."),
        ("meti:d-10", "principle", "meti:part-3", "The matters developers are expected to try are listed below:"),
        ("meti:d-10(i)", "item", "meti:d-10", "Share what you learn."),
        ("meti:part-4", "part", None, "Providers add value."),
        ("meti:p-2", "principle", "meti:part-4", ""),
        ("meti:p-2(i)", "item", "meti:p-2", "State how to use the system."),
        ("meti:part-4(note1)", "statement", "meti:part-4",
         "Incidentally, providers of advanced AI comply as follows: I) to XI): Comply within the appropriate scope."),
    ]  # fmt: skip
