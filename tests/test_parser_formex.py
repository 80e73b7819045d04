"""The Formex parser on a tiny act and annex written for the tests, on the real GDPR file and on the
real AI Act package (main act + 13 annexes)."""

from collections import Counter
from pathlib import Path

import pytest
from lxml import etree

from ingest.parsers import ParseError
from ingest.parsers.eu_references import extract_references
from ingest.parsers.formex import parse_formex, parse_formex_package
from kb.ids import ClauseId
from kb.registry import load_registry

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


# --- packages: an act with its annexes -----------------------------------------------------------

ANNEX_II = """<ANNEX><TITLE><TI><P>ANNEX\u00a0II</P><P>Registration data</P></TI></TITLE><CONTENTS>
<GR.SEQ LEVEL="1"><TITLE><TI><P>Section A \u2014 Owners</P></TI></TITLE><P>Owners shall give:</P>
<LIST TYPE="ARAB"><ITEM><NP><NO.P>1.</NO.P><TXT>their name;</TXT></NP></ITEM>
<ITEM><NP><NO.P>2.</NO.P><TXT>the robot referred to in point 1.</TXT></NP></ITEM></LIST></GR.SEQ>
<GR.SEQ LEVEL="1"><TITLE><TI><P>Section B</P></TI><STI><P>Makers</P></STI></TITLE>
<LIST TYPE="DASH"><ITEM><P>a licence,</P></ITEM><ITEM><P>an address.</P></ITEM></LIST></GR.SEQ>
</CONTENTS></ANNEX>""".encode()

ANNEX_III = b"""<ANNEX><TITLE><TI><P>ANNEX III</P></TI><STI><P>Kindness</P></STI></TITLE><CONTENTS>
<P>Robots shall be kind:</P><LIST TYPE="DASH"><ITEM><P>to cats,</P></ITEM><ITEM><P>to dogs.</P></ITEM></LIST>
</CONTENTS></ANNEX>"""


@pytest.fixture
def mini_package(fixture_bytes) -> dict:
    files = [fixture_bytes("formex", "mini-act.xml"), fixture_bytes("formex", "mini-annex.xml"), ANNEX_II, ANNEX_III]
    return {r.id: r for r in parse_formex_package(files, source="mini")}


def test_package_keeps_the_act_and_adds_annexes_in_order(mini_package: dict, mini: dict) -> None:
    ids = list(mini_package)
    assert ids[: len(mini)] == list(mini)
    assert ids[len(mini) :] == [
        "mini:annex-1",
        "mini:annex-1(1)",
        "mini:annex-1(1)(a)",
        "mini:annex-1(1)(b)",
        "mini:annex-1(2)",
        "mini:annex-1(3)",
        "mini:annex-1(3)(1)",
        "mini:annex-1(3)(2)",
        "mini:annex-2",
        "mini:annex-2(A)",
        "mini:annex-2(A)(1)",
        "mini:annex-2(A)(2)",
        "mini:annex-2(B)",
        "mini:annex-3",
        "mini:annex-3(indent1)",
        "mini:annex-3(indent2)",
    ]
    assert [r.position for r in mini_package.values()] == list(range(len(ids)))
    assert all(str(ClauseId.parse(i)) == i for i in ids)


def test_annex_clauses(mini_package: dict) -> None:
    annex = mini_package["mini:annex-1"]
    assert (annex.kind, annex.number, annex.label, annex.title, annex.anchor, annex.unit, annex.parent) == (
        "annex",
        "I",
        "Annex I",
        "Robots referred to in Article 2(1)",
        "anx_I",
        "mini:annex-1",
        None,
    )
    assert annex.text == "The robots referred to in Article 2(1) are:"
    point = mini_package["mini:annex-1(1)(a)"]
    assert (point.kind, point.number, point.label, point.parent, point.unit, point.anchor) == (
        "subpoint",
        "(a)",
        "Annex I(1)(a)",
        "mini:annex-1(1)",
        "mini:annex-1",
        "anx_I",
    )
    assert point.text == "vacuum cleaners. This shall not include brooms."
    assert mini_package["mini:annex-1(1)"].kind == "point"
    assert mini_package["mini:annex-1(1)"].text == "Household robots:"
    assert mini_package["mini:annex-1(1)(b)"].text == "lawn mowers."  # the footnote is dropped


def test_annex_groups_dotted_points_and_sections(mini_package: dict) -> None:
    group = mini_package["mini:annex-1(3)"]
    assert (group.kind, group.number, group.title, group.text) == ("point", "3", "Testing", "")
    dotted = mini_package["mini:annex-1(3)(1)"]
    assert (dotted.kind, dotted.number, dotted.label, dotted.parent) == (
        "subpoint",
        "3.1",
        "Annex I(3.1)",
        "mini:annex-1(3)",
    )
    section = mini_package["mini:annex-2(A)"]
    assert (section.kind, section.number, section.label, section.title, section.text, section.unit) == (
        "section",
        "A",
        "Annex II, Section A",
        "Owners",
        "Owners shall give:",
        "mini:annex-2",
    )
    assert mini_package["mini:annex-2(A)(1)"].label == "Annex II, Section A(1)"
    assert mini_package["mini:annex-2(A)(1)"].kind == "point"
    assert mini_package["mini:annex-2(B)"].title == "Makers"  # from the STI
    assert mini_package["mini:annex-2(B)"].text == "a licence, an address."  # dash items are not numbered
    assert mini_package["mini:annex-2"].title == "Registration data"  # Annex X style: no STI
    dash_list = mini_package["mini:annex-3"]  # an annex that is a lead-in and a dash list: one clause per indent
    assert (dash_list.title, dash_list.text) == ("Kindness", "Robots shall be kind:")
    indent = mini_package["mini:annex-3(indent2)"]
    assert (indent.kind, indent.number, indent.label, indent.parent, indent.text) == (
        "item",
        "second indent",
        "Annex III, second indent",
        "mini:annex-3",
        "to dogs.",
    )


def test_annex_references(mini_package: dict) -> None:
    assert mini_package["mini:annex-1"].refs == ("mini:art-2(1)",)
    assert mini_package["mini:annex-1(2)"].refs == ("mini:annex-1(1)(b)",)  # "point 1(b)": this annex
    assert mini_package["mini:annex-1(3)(2)"].refs == ("mini:annex-1(3)(1)", "mini:art-1")
    assert mini_package["mini:annex-2(A)(2)"].refs == ("mini:annex-2(A)(1)",)  # "point 1": this section


@pytest.mark.parametrize(
    "text, refs",
    [
        ("systems referred to in Annex III shall", ["x:annex-3"]),
        ("listed in point 1 of Annex III", ["x:annex-3(1)"]),
        ("listed in points 1, 6 and 7 of Annex III", ["x:annex-3(1)", "x:annex-3(6)", "x:annex-3(7)"]),
        ("listed in points 2 to 4 of Annex III", ["x:annex-3(2)", "x:annex-3(3)", "x:annex-3(4)"]),
        ("referred to in Annex III, point 1(a), and", ["x:annex-3(1)(a)"]),
        ("referred to in point 1 (a), of Annex III", ["x:annex-3(1)(a)"]),
        ("referred to in points 5 (b) and (c) of Annex III", ["x:annex-3(5)(b)", "x:annex-3(5)(c)"]),
        ("in point 3 of Section A of Annex VIII", ["x:annex-8(A)(3)"]),
        # points 8 and 9 are not known here: they resolve to the section, the finest clause that exists
        (
            "Section B, points 1 to 2, and points 8 and 9 of Annex VIII",
            ["x:annex-8(B)(1)", "x:annex-8(B)(2)", "x:annex-8(B)"],
        ),
        ("The data listed in Sections A and B of Annex VIII", ["x:annex-8(A)", "x:annex-8(B)"]),
        ("to amend Annexes VI and VII", ["x:annex-6", "x:annex-7"]),
        ("in point 9 of Annex III, which does not exist", ["x:annex-3"]),
        ("pursuant to Article R23 of Annex I to Decision No 768/2008/EC", []),
        ("In Annex I to Directive (EU) 2020/1828", []),
        ("the application referred to in point 3", []),  # bare points only inside annexes
        ("as in Article 5(1), first subparagraph, point (h)(iii), and", ["x:art-5(1)(h)(iii)"]),
        ("aircrafts referred to in Article 5(1), points (a) and (b) thereof", []),
        ("biometric data as defined in Article 5, point (a) of Regulation (EU) 2016/679", []),
    ],
)
def test_references_to_annexes(text: str, refs: list[str]) -> None:
    known = {
        "x:art-1",
        "x:art-5",
        "x:art-5(1)",
        "x:art-5(1)(a)",
        "x:art-5(1)(h)",
        "x:art-5(1)(h)(iii)",
        *(f"x:annex-{n}" for n in range(1, 14)),
        *(f"x:annex-3({n})" for n in range(1, 9)),
        "x:annex-3(1)(a)",
        "x:annex-3(5)(b)",
        "x:annex-3(5)(c)",
        *(f"x:annex-8({s})" for s in "ABC"),
        *(f"x:annex-8({s})({n})" for s in "ABC" for n in range(1, 4)),
    }
    assert list(extract_references(text, "x:art-1", known)) == refs


@pytest.mark.parametrize(
    "files, message",
    [
        ([], "no files"),
        ([ANNEX_II], "must be the main act"),
        ([b"<DOC><FMX/></DOC>"], "manifest"),
        ([b"<HTML/>"], "not a Formex act"),
        (["act", ANNEX_II], "is Annex II, expected Annex I"),
        (["act", "annex", ANNEX_III], "is Annex III, expected Annex II"),
        (["act", b"<ACT/>"], "not a Formex annex"),
        (["act", b"<ANNEX><TITLE><TI><P>ANNEX I</P></TI></TITLE></ANNEX>"], "no <CONTENTS>"),
        (["act", b"<ANNEX><TITLE><TI><P>Annex one</P></TI></TITLE><CONTENTS/></ANNEX>"], "no 'ANNEX <number>'"),
        (["act", b"<ANNEX><TITLE><TI><P>ANNEX I</P></TI></TITLE><CONTENTS/></ANNEX>"], "has no text"),
        (["act", "annex-truncated"], "malformed XML"),
        (
            [
                "act",
                b"<ANNEX><TITLE><TI><P>ANNEX I</P></TI></TITLE><CONTENTS><NP><NO.P>4.1.</NO.P><TXT>x</TXT>"
                b"</NP></CONTENTS></ANNEX>",
            ],
            "not inside point 4",
        ),
    ],
)
def test_bad_packages_raise_parse_error(fixture_bytes, files: list, message: str) -> None:
    named = {
        "act": fixture_bytes("formex", "mini-act.xml"),
        "annex": fixture_bytes("formex", "mini-annex.xml"),
        "annex-truncated": fixture_bytes("formex", "mini-annex.xml")[:600],
    }
    with pytest.raises(ParseError, match=message):
        parse_formex_package([named.get(f, f) if isinstance(f, str) else f for f in files], source="mini")


# --- the real AI Act: main act + 13 annexes ------------------------------------------------------

AI_ACT_DIR = "eu-ai-act/formex"


def _ai_act_files(corpus_dir: Path) -> list[Path]:
    """The main act, then the annexes in the order of the package manifest (DOC.SUB.PUB)."""
    manifest = etree.parse(str(corpus_dir / AI_ACT_DIR / "L_202401689EN.doc.fmx.xml")).getroot()
    main = manifest.find(".//DOC.MAIN.PUB/REF.PHYS").get("FILE")
    annexes = [ref.get("FILE") for ref in manifest.findall(".//DOC.SUB.PUB[@TYPE='ANNEX']/REF.PHYS")]
    return [corpus_dir / AI_ACT_DIR / name for name in [main, *annexes]]


@pytest.fixture(scope="module")
def ai_act(corpus_dir: Path) -> dict:
    files = [path.read_bytes() for path in _ai_act_files(corpus_dir)]
    return {r.id: r for r in parse_formex_package(files, source="euaia")}


def test_registry_lists_the_ai_act_files_in_manifest_order(corpus_dir: Path) -> None:
    entry = next(e for e in load_registry(Path(__file__).parents[1] / "corpus") if e.id == "euaia")
    assert [corpus_dir / f for f in entry.files] == _ai_act_files(corpus_dir)
    assert entry.parser == "formex-package"


def test_real_ai_act_counts(ai_act: dict) -> None:
    kinds = Counter(r.kind for r in ai_act.values())
    assert (kinds["article"], kinds["recital"], kinds["chapter"], kinds["annex"]) == (113, 180, 13, 13)
    articles = [r for r in ai_act.values() if r.kind == "article"]
    assert [r.number for r in articles] == [str(n) for n in range(1, 114)]
    assert all(r.title for r in articles)
    assert [r.number for r in ai_act.values() if r.kind == "recital"] == [str(n) for n in range(1, 181)]
    assert all(str(ClauseId.parse(i)) == i for i in ai_act)
    assert [r.position for r in ai_act.values()] == list(range(len(ai_act)))


def test_real_ai_act_annexes(ai_act: dict) -> None:
    annexes = [r for r in ai_act.values() if r.kind == "annex"]
    assert [r.id for r in annexes] == [f"euaia:annex-{n}" for n in range(1, 14)]
    assert [r.number for r in annexes] == [
        "I",
        "II",
        "III",
        "IV",
        "V",
        "VI",
        "VII",
        "VIII",
        "IX",
        "X",
        "XI",
        "XII",
        "XIII",
    ]
    assert all(r.title for r in annexes)
    assert ai_act["euaia:annex-3"].title == "High-risk AI systems referred to in Article 6(2)"
    assert ai_act["euaia:annex-10"].title.startswith("Union legislative acts on large-scale IT systems")
    assert [c for c in ai_act if c.startswith("euaia:annex-3(") and c.count("(") == 1] == [
        f"euaia:annex-3({n})" for n in range(1, 9)
    ]
    point = ai_act["euaia:annex-3(1)(a)"]
    assert (point.kind, point.label, point.unit, point.anchor) == (
        "subpoint",
        "Annex III(1)(a)",
        "euaia:annex-3",
        "anx_III",
    )
    assert point.text.startswith("remote biometric identification systems.")
    assert [c for c in ai_act if c.startswith("euaia:annex-8(") and c.count("(") == 1] == [
        "euaia:annex-8(A)",
        "euaia:annex-8(B)",
        "euaia:annex-8(C)",
    ]
    assert ai_act["euaia:annex-7(4)(6)"].label == "Annex VII(4.6)"
    # Annex II is a lead-in and a dash list: one clause per indent, in order
    assert ai_act["euaia:annex-2"].text.endswith("point (h)(iii):")
    indents = [r for r in ai_act.values() if r.parent == "euaia:annex-2"]
    assert [r.id for r in indents] == [f"euaia:annex-2(indent{n})" for n in range(1, 17)]
    assert (indents[0].text, indents[-1].label) == ("terrorism,", "Annex II, sixteenth indent")


def test_real_ai_act_articles(ai_act: dict) -> None:
    assert [c for c in ai_act if c.startswith("euaia:art-5(1)(") and c.count("(") == 2] == [
        *(f"euaia:art-5(1)({x})" for x in "abcdefgh"),
        "euaia:art-5(1)(sub2)",  # "Point (h) of the first subparagraph is without prejudice …"
    ]
    assert "euaia:art-5(1)(h)(iii)" in ai_act
    assert "euaia:annex-3" in ai_act["euaia:art-6(2)"].refs
    assert ai_act["euaia:art-6"].title == "Classification rules for high-risk AI systems"
    # Art. 43(1): the second subparagraph's points are numbered (a) to (d) again
    assert ai_act["euaia:art-43(1)(sub2)"].label == "Art. 43(1), second subparagraph"
    assert ai_act["euaia:art-43(1)(sub2)(d)"].parent == "euaia:art-43(1)(sub2)"
    assert ai_act["euaia:art-43(1)(b)"].parent == "euaia:art-43(1)"
    assert ai_act["euaia:art-43(1)(sub3)"].text.startswith("For the purposes of the conformity assessment")


def test_real_ai_act_references(ai_act: dict) -> None:
    assert ai_act["euaia:art-14(5)"].refs[0] == "euaia:annex-3(1)(a)"
    assert set(ai_act["euaia:art-49(4)(b)"].refs) == {f"euaia:annex-8(B)({n})" for n in (1, 2, 3, 4, 5, 8, 9)}
    assert ai_act["euaia:annex-8(A)(9)"].refs == ("euaia:annex-8(A)(8)",)
    assert "euaia:art-47" in ai_act["euaia:annex-5"].refs
    # quoted amendments and the points of an amending article name the amended act's articles
    assert ai_act["euaia:art-108(1)"].refs == ()
    assert ai_act["euaia:art-106"].refs == ()
    assert ai_act["euaia:recital-126"].refs == ()  # "Article R23 of Annex I to Decision No 768/2008/EC"


def test_truncated_ai_act_annex_raises(corpus_dir: Path) -> None:
    files = [path.read_bytes() for path in _ai_act_files(corpus_dir)]
    files[3] = files[3][: len(files[3]) // 2]
    with pytest.raises(ParseError, match="malformed XML"):
        parse_formex_package(files, source="euaia")


def test_missing_ai_act_annex_raises(corpus_dir: Path) -> None:
    files = [path.read_bytes() for path in _ai_act_files(corpus_dir)]
    with pytest.raises(ParseError, match="is Annex IV, expected Annex III"):
        parse_formex_package(files[:3] + files[4:], source="euaia")
