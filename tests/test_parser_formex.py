"""The Formex parser on a tiny act written for the tests, and on the real GDPR file."""

from collections import Counter
from pathlib import Path

import pytest

from ingest.parsers import ParseError
from ingest.parsers.formex import parse_formex

GDPR_FILE = "gdpr/consolidated-with-corrected-preamble/gdpr-consolidated-with-corrected-preamble-en.xml"


@pytest.fixture
def mini(fixture_bytes) -> dict:
    return {r.id: r for r in parse_formex(fixture_bytes("formex", "mini-act.xml"), source="mini")}


def test_structure_of_a_tiny_act(mini: dict) -> None:
    assert list(mini) == [
        "mini:recital-1",
        "mini:recital-2",
        "mini:chapter-1",
        "mini:art-1",
        "mini:art-1(1)",
        "mini:art-1(2)",
        "mini:art-1(2)(a)",
        "mini:art-1(2)(b)",
        "mini:chapter-1.section-1",
        "mini:art-2",
        "mini:art-2(1)",
        "mini:art-2(1)(a)",
        "mini:art-2(1)(b)",
        "mini:art-2(2)",
    ]
    assert [r.position for r in mini.values()] == list(range(14))
    art2 = mini["mini:art-2"]
    assert (art2.kind, art2.title, art2.parent, art2.anchor) == (
        "article",
        "Duties of robots",
        "mini:chapter-1.section-1",
        "art_2",
    )
    point = mini["mini:art-2(1)(a)"]
    assert (point.kind, point.parent, point.unit, point.label) == (
        "point",
        "mini:art-2(1)",
        "mini:art-2",
        "Art. 2(1)(a)",
    )
    assert mini["mini:art-1(2)(a)"].kind == "subpoint"
    assert mini["mini:chapter-1"].title == "General provisions"


def test_text_is_own_words_with_quotes_and_without_footnotes(mini: dict) -> None:
    assert mini["mini:art-2(1)"].text == "A robot shall:"  # the points are clauses of their own
    assert mini["mini:art-1"].text == "For the purposes of this Act:"
    assert mini["mini:recital-2"].text == "Kindness should be ‘measurable’."
    assert mini["mini:art-1(1)"].text == "‘robot’ means a machine;"


def test_cross_references_resolve_inside_the_act_only(mini: dict) -> None:
    assert mini["mini:art-2(1)(a)"].refs == ("mini:art-1(2)",)
    # "Article 8 of Directive 95/46/EC" is another act's article: not a reference into this one
    assert mini["mini:art-2(2)"].refs == ("mini:art-2(1)(a)", "mini:art-1", "mini:art-2")


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "empty"),
        (b"<ACT><ENACTING.TERMS><ARTICLE IDENTIFIER='001'>", "malformed XML"),
        (b"<HTML><BODY>not formex</BODY></HTML>", "not a Formex act"),
        (b"<ACT><PREAMBLE/></ACT>", "no <ENACTING.TERMS>"),
        (b"<ACT><ENACTING.TERMS/></ACT>", "no articles"),
    ],
)
def test_bad_input_raises_parse_error(data: bytes, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        parse_formex(data)


def test_truncated_real_file_raises(corpus_dir: Path) -> None:
    data = (corpus_dir / GDPR_FILE).read_bytes()
    with pytest.raises(ParseError):
        parse_formex(data[: len(data) // 2])


@pytest.fixture(scope="module")
def gdpr(corpus_dir: Path) -> dict:
    return {r.id: r for r in parse_formex((corpus_dir / GDPR_FILE).read_bytes(), source="gdpr")}


def test_real_gdpr_counts(gdpr: dict) -> None:
    kinds = Counter(r.kind for r in gdpr.values())
    assert kinds["article"] == 99
    assert kinds["recital"] == 173
    assert kinds["chapter"] == 11
    assert [r.number for r in gdpr.values() if r.kind == "recital"] == [str(n) for n in range(1, 174)]
    assert all(r.title for r in gdpr.values() if r.kind == "article")


def test_real_gdpr_article_22_and_9(gdpr: dict) -> None:
    assert [c for c in gdpr if c.startswith("gdpr:art-22(") and c.count("(") == 1] == [
        f"gdpr:art-22({n})" for n in range(1, 5)
    ]
    assert [c for c in gdpr if c.startswith("gdpr:art-9(2)(")] == [f"gdpr:art-9(2)({x})" for x in "abcdefghij"]
    assert gdpr["gdpr:art-22"].title == "Automated individual decision-making, including profiling"
    assert "solely on automated processing" in gdpr["gdpr:art-22(1)"].text
    assert set(gdpr["gdpr:art-22(4)"].refs) >= {"gdpr:art-9(1)", "gdpr:art-9(2)(a)", "gdpr:art-9(2)(g)"}


def test_real_gdpr_corrigendum_applied(gdpr: dict) -> None:
    # the 2018 corrigendum corrected recital 71 and Art. 37(1)(c) ("special categories of data")
    assert "decision, which may include a measure" in gdpr["gdpr:recital-71"].text
    assert "special categories of data pursuant to Article 9" in gdpr["gdpr:art-37(1)(c)"].text


def test_real_gdpr_ranges_expand(gdpr: dict) -> None:
    refs = gdpr["gdpr:art-23(1)"].refs
    assert {f"gdpr:art-{n}" for n in range(12, 23)} <= set(refs)
