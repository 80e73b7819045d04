"""Internal guidelines: the NEC plain-text principles and the clausemap-guideline/1 YAML format."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from ingest.parsers import ParseError
from ingest.parsers.guideline_yaml import (
    PHASES,
    CheckItem,
    GuidelineSource,
    guideline_checks,
    guideline_source,
    parse_guideline_yaml,
)
from ingest.parsers.plain_text_principles import NEC_ENGLISH_TITLES, parse_principles_text
from kb.ids import ClauseId
from kb.records import ClauseRecord

FIXTURES = Path(__file__).parent / "fixtures" / "internal"
REPO = Path(__file__).resolve().parents[1]
EXAMPLE_YAML = REPO / "corpus" / "internal" / "face-recognition-risk-checks.yaml"
NEC_FILE = Path("nec") / "nec-ai-human-rights-principles-2019.ja.txt"
TINY_TITLES = {1: "Fairness", 2: "Proper Use", 3: "Dialogue"}


@pytest.fixture
def corpus_dir() -> Path:
    """Local stand-in until tests/conftest.py provides it: the shared corpus, else skip."""
    path = Path("/work/shared/corpus")
    if not path.is_dir():
        pytest.skip("shared corpus not available")
    return path


def _tiny_text() -> bytes:
    return (FIXTURES / "tiny_principles.ja.txt").read_bytes()


def _assert_contract(records: list[ClauseRecord]) -> None:
    """Ids parse and round-trip, are unique, positions count up, parents precede children."""
    ids = [r.id for r in records]
    assert len(ids) == len(set(ids))
    assert [r.position for r in records] == list(range(len(records)))
    seen: set[str] = set()
    for record in records:
        assert str(ClauseId.parse(record.id)) == record.id
        assert record.unit == str(ClauseId.parse(record.id).unit)
        assert record.parent is None or record.parent in seen
        assert set(record.refs) <= set(ids)
        assert record.text == " ".join(record.text.split())
        seen.add(record.id)


# -- plain-text principles: tiny fixture ------------------------------------------------


def test_tiny_principles_exact_records() -> None:
    records = parse_principles_text(_tiny_text(), source="tiny", english_titles=TINY_TITLES)
    _assert_contract(records)
    assert [(r.id, r.kind, r.number, r.label, r.title) for r in records] == [
        ("tiny:preamble", "preamble", "", "Preamble", None),
        ("tiny:p1", "principle", "①", "Principle ① Fairness", "Fairness (公正)"),
        ("tiny:p2", "principle", "②", "Principle ② Proper Use", "Proper Use (適切な利用)"),
        ("tiny:p3", "principle", "③", "Principle ③ Dialogue", "Dialogue (対話)"),
        ("tiny:closing", "statement", "", "Closing statement", None),
    ]
    texts = {r.id: r.text for r in records}
    # Header (title, date) is skipped; a wrapped Japanese line is joined without a space.
    assert texts["tiny:preamble"] == (
        "サンプル社は、データを活用して暮らしを便利にすることを目指します。 "
        "本方針は、社員が日々の業務で守るべき考え方を示すものです。"
    )
    assert texts["tiny:p2"] == (
        "サンプル社は、自社の業務でデータを適切に利用します。 "
        "取引先がデータを利用する場合にも、サンプル社は適切な利用を働きかけます。"
    )
    assert texts["tiny:p3"] == "サンプル社は、外部の意見を聞く機会を設けます。"
    assert texts["tiny:closing"] == "サンプル社は、今後もこの方針を見直していきます。"
    assert all(r.language == "ja" and r.parent is None and r.anchor is None for r in records)
    assert all(r.refs == () for r in records)


def test_tiny_principles_without_english_titles() -> None:
    records = parse_principles_text(_tiny_text(), source="tiny", english_titles={})
    p1 = records[1]
    assert (p1.title, p1.label) == ("公正", "Principle ① 公正")


def test_tiny_principles_titles_must_match_headings() -> None:
    with pytest.raises(ParseError, match="missing"):
        parse_principles_text(_tiny_text(), source="tiny")  # NEC titles expect ① to ⑦


def test_parse_is_deterministic_and_pure() -> None:
    data = _tiny_text()
    assert parse_principles_text(data, english_titles={}) == parse_principles_text(
        data, english_titles={}
    )
    assert NEC_ENGLISH_TITLES[6] == "Development of AI and Talent"


# -- plain-text principles: bad input ---------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"\xff\xfe\x00garbage\x80", "UTF-8"),
        (b"%PDF-1.7\n\x00\x01binary", "NUL"),
        ("ただの文章です。\n\n二つ目の段落です。\n".encode(), "no principle headings"),
        ("題名\n\n①公正\n\n努めます。\n\n以上です。\n".encode(), "no preamble"),
    ],
)
def test_principles_bad_input(data: bytes, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        parse_principles_text(data, english_titles={})


def test_principles_truncated_mid_sentence() -> None:
    text = _tiny_text().decode()
    cut = text[: text.index("外部の意見") + 3]
    with pytest.raises(ParseError, match="sentence punctuation"):
        parse_principles_text(cut.encode(), english_titles={})


def test_principles_truncated_after_a_statement() -> None:
    text = _tiny_text().decode()
    cut = text[: text.index("サンプル社は、今後も")]  # closing paragraph lost
    with pytest.raises(ParseError, match="no statement"):
        parse_principles_text(cut.encode(), english_titles={})


def test_principles_truncated_after_a_heading() -> None:
    text = _tiny_text().decode()
    cut = text[: text.index("③対話") + 3]
    with pytest.raises(ParseError, match="ends with a heading"):
        parse_principles_text(cut.encode(), english_titles={})


def test_principles_numbering_gap() -> None:
    text = _tiny_text().decode().replace("②適切な利用", "④適切な利用")
    with pytest.raises(ParseError, match="consecutive"):
        parse_principles_text(text.encode(), english_titles={})


def test_principles_bad_source_name() -> None:
    with pytest.raises(ParseError, match="source name"):
        parse_principles_text(_tiny_text(), source="NEC Corp", english_titles={})


# -- plain-text principles: the real NEC file ---------------------------------------------


def test_real_nec_principles(corpus_dir: Path) -> None:
    records = parse_principles_text((corpus_dir / NEC_FILE).read_bytes())
    _assert_contract(records)
    assert Counter(r.kind for r in records) == {"preamble": 1, "principle": 7, "statement": 1}
    assert [r.id for r in records] == [
        "nec:preamble",
        *(f"nec:p{n}" for n in range(1, 8)),
        "nec:closing",
    ]
    principles = records[1:8]
    assert [r.number for r in principles] == list("①②③④⑤⑥⑦")
    assert [r.title for r in principles] == [
        "Fairness (公平性)",
        "Privacy (プライバシー)",
        "Transparency (透明性)",
        "Responsibility to Explain (説明する責任)",
        "Proper Utilization (適正利用)",
        "Development of AI and Talent (AIの発展と人材育成)",
        "Dialogue with Multiple Stakeholders (マルチステークホルダーとの対話)",
    ]
    assert principles[0].label == "Principle ① Fairness"
    assert all(r.language == "ja" for r in records)
    # Every principle statement is the company's own commitment ("NECは、…").
    assert all(r.text.startswith("NECは、") for r in principles)
    # The header (title and date line) is not part of any clause.
    assert not any("2019年4月策定" in r.text for r in records)
    assert records[0].text.startswith("「社会価値創造型企業」")
    assert records[0].text.count(" NECは、") == 1  # the preamble's second paragraph joined
    assert records[-1].text.startswith("今後")


def test_real_nec_p5_keeps_both_paragraphs(corpus_dir: Path) -> None:
    records = {r.id: r for r in parse_principles_text((corpus_dir / NEC_FILE).read_bytes())}
    sentences = [s for s in records["nec:p5"].text.split("。") if s.strip()]
    assert len(sentences) == 2
    assert sentences[0].startswith("NECは、")  # the company's own use
    assert sentences[1].strip().startswith("お客さまやパートナー")  # customers' and partners'
    assert all(records[f"nec:p{n}"].text.count("。") == 1 for n in (1, 2, 3, 4, 6, 7))


def test_real_nec_truncated(corpus_dir: Path) -> None:
    data = (corpus_dir / NEC_FILE).read_bytes()
    text = data.decode()
    with pytest.raises(ParseError):
        parse_principles_text(text[: text.index("⑦")].encode())
    with pytest.raises(ParseError):
        parse_principles_text(data[: len(data) // 2].decode(errors="ignore").encode())


# -- guideline YAML: tiny fixture ----------------------------------------------------------


def test_tiny_guideline_records() -> None:
    records = parse_guideline_yaml((FIXTURES / "tiny_guideline.yaml").read_bytes())
    _assert_contract(records)
    assert [(r.id, r.kind, r.number, r.label, r.parent, r.refs) for r in records] == [
        ("tiny-co:p1", "principle", "1", "Principle 1 Be fair", None, ()),
        ("tiny-co:check-1", "item", "1", "Check 1", "tiny-co:p1", ("tiny-co:p1",)),
        ("tiny-co:p2", "principle", "2", "Principle 2 Be clear", None, ()),
        ("tiny-co:notice", "section", "", "Notice", None, ()),
        ("tiny-co:check-2", "item", "2", "Check 2", "tiny-co:notice", ("tiny-co:p2",)),
        ("tiny-co:review-a", "item", "A", "Check A", None, ()),
    ]
    by_id = {r.id: r for r in records}
    assert by_id["tiny-co:p1"].text == "We test for bias."
    assert by_id["tiny-co:p1"].title == "Be fair"
    assert by_id["tiny-co:check-1"].title == "Was bias tested?"
    assert by_id["tiny-co:check-1"].text == "Error rates are compared across groups."
    assert by_id["tiny-co:notice"].text == ""
    assert all(r.language == "en" and r.unit == r.id for r in records)


def test_tiny_guideline_checks_and_source() -> None:
    data = (FIXTURES / "tiny_guideline.yaml").read_bytes()
    assert guideline_checks(data) == [
        CheckItem(
            "tiny-co:check-1", ("design", "operation"), ("biometric",), ("tiny-co:p1", "nec:p1")
        ),
        CheckItem(
            "tiny-co:check-2", ("planning", "design", "operation"), (), ("tiny-co:p2", "nec:p4")
        ),
        CheckItem("tiny-co:review-a", ("operation",), (), ()),
    ]
    assert guideline_source(data) == GuidelineSource(
        id="tiny-co",
        title="Tiny Co Checks",
        issuer="Tiny Co",
        language="en",
        version_date="2024-02-29",
    )


# -- guideline YAML: bad documents ----------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("bad_missing_id.yaml", r"^checks\[0\]\.id: missing required field \(line 6\)"),
        ("bad_duplicate_id.yaml", r"^checks\[1\]\.id: duplicate id 'p1' .*principles\[0\]\.id"),
        ("bad_unknown_phase.yaml", r"^sections\[0\]\.checks\[0\]\.phases\[1\]: unknown phase"),
        ("bad_type.yaml", r"^checks\[0\]\.phases: expected a list"),
        ("bad_dangling_link.yaml", r"^checks\[0\]\.principles\[0\]: 'p9' is not a principle"),
        ("bad_unknown_field.yaml", r"^checks\[0\]\.phase: unknown field"),
        ("bad_duplicate_key.yaml", r"^checks\[0\]\.phases: duplicate key \(line 10\)"),
    ],
)
def test_bad_guideline_fixtures(name: str, expected: str) -> None:
    data = (FIXTURES / name).read_bytes()
    with pytest.raises(ParseError, match=expected):
        parse_guideline_yaml(data)
    with pytest.raises(ParseError, match=expected):
        guideline_checks(data)


_HEAD = (
    "format: clausemap-guideline/1\n"
    "source: {id: t, title: T, issuer: I, language: en, version_date: 2024-01-01}\n"
)
_CHECK = "checks:\n  - {id: c1, question: Q, statement: S, phases: [design]%s}\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "empty document"),
        ("just a string\n", r"^document: expected a mapping"),
        ("services: {web: {image: nginx}}\n", r"^format: expected 'format: clausemap"),
        ("format: clausemap-guideline/1\nsource: [\n", "not valid YAML"),
        (_HEAD.replace("id: t,", "id: Bad Co,"), r"^source\.id: source id"),
        (_HEAD.replace("language: en", "language: fr"), r"^source\.language: unsupported"),
        (_HEAD.replace("2024-01-01", "'April 2024'"), r"^source\.version_date: expected a date"),
        (_HEAD.replace("2024-01-01", "2024-01-01 10:00:00"), r"^source\.version_date"),
        (_HEAD, r"^document: the document has no principles"),
        (_HEAD + "checks: {c1: x}\n", r"^checks: expected a list"),
        (_HEAD + _CHECK % ", principles: [t:c9]", r"^checks\[0\]\.principles\[0\]: 'c9' is not"),
        (_HEAD + _CHECK % ", principles: ['nec p1']", r"^checks\[0\]\.principles\[0\]"),
        (_HEAD + _CHECK % ", principles: [nec:p1, nec:p1]", "linked twice"),
        (_HEAD + _CHECK % ", data_categories: [Bio Metric]", r"data_categories\[0\]: "),
        (_HEAD + _CHECK % ", number: true", r"^checks\[0\]\.number: expected text"),
        (
            _HEAD + _CHECK.replace("phases: [design]", "phases: [design, design]") % "",
            r"^checks\[0\]\.phases\[1\]: 'design' is listed twice",
        ),
        (_HEAD + _CHECK.replace("phases: [design]", "phases: []") % "", "at least one phase"),
        (_HEAD + _CHECK.replace("id: c1", "id: 't:c1'") % "", "without the source prefix"),
        (_HEAD + _CHECK.replace("id: c1", "id: 'c(1)'") % "", "invalid id"),
        (_HEAD + _CHECK.replace("statement: S", "statement: [S]") % "", "expected text"),
        (_HEAD + _CHECK.replace("statement: S", "statement: ' '") % "", "must not be empty"),
    ],
)
def test_bad_guideline_inline(text: str, expected: str) -> None:
    with pytest.raises(ParseError, match=expected):
        parse_guideline_yaml(text.encode())


def test_bad_guideline_binary() -> None:
    with pytest.raises(ParseError, match="UTF-8"):
        parse_guideline_yaml(b"\x89PNG\r\n\x1a\n\xff\xff")


def test_own_full_id_links_and_extensions_are_accepted() -> None:
    text = (
        _HEAD
        + "x-reviewed-by: legal\n"
        + "principles:\n  - {id: p1, title: P, statement: S}\n"
        + _CHECK % ", principles: ['t:p1'], x-note: anything"
    )
    assert guideline_checks(text.encode()) == [CheckItem("t:c1", ("design",), (), ("t:p1",))]
    assert parse_guideline_yaml(text.encode())[-1].refs == ("t:p1",)


# -- guideline YAML: the example file --------------------------------------------------------


def test_example_guideline_parses() -> None:
    data = EXAMPLE_YAML.read_bytes()
    records = parse_guideline_yaml(data)
    checks = guideline_checks(data)
    _assert_contract(records)
    assert guideline_source(data).id == "acme-frs"
    assert guideline_source(data).based_on == ("nec",)
    kinds = Counter(r.kind for r in records)
    assert kinds == {"principle": 4, "section": 8, "item": 23}
    assert 15 <= len(checks) <= 25
    assert [c.clause_id for c in checks] == [r.id for r in records if r.kind == "item"]
    for check in checks:
        assert check.phases and set(check.phases) <= set(PHASES)
        assert list(check.phases) == sorted(check.phases, key=PHASES.index)
    assert {p for c in checks for p in c.phases} == set(PHASES)
    # Every check implements at least one NEC principle, and only ids that NEC has.
    nec_ids = {f"nec:p{n}" for n in range(1, 8)}
    for check in checks:
        linked = {p for p in check.principles if p.startswith("nec:")}
        assert linked and linked <= nec_ids, check.clause_id
    assert {p for c in checks for p in c.principles if p.startswith("nec:")} == nec_ids
    assert all(r.parent for r in records if r.kind == "item")


def test_example_links_resolve_against_nec_parser(corpus_dir: Path) -> None:
    nec_ids = {r.id for r in parse_principles_text((corpus_dir / NEC_FILE).read_bytes())}
    own_ids = {r.id for r in parse_guideline_yaml(EXAMPLE_YAML.read_bytes())}
    for check in guideline_checks(EXAMPLE_YAML.read_bytes()):
        assert set(check.principles) <= nec_ids | own_ids
