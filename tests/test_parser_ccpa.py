"""CCPA as amended by the CPRA (Cal. Civ. Code §§ 1798.100–1798.199.100): the CPPA-PDF parser."""

from __future__ import annotations

import io
import re
from collections import Counter
from pathlib import Path

import pypdf
import pytest

from ingest.parsers import ParseError
from ingest.parsers.ccpa_pdf import parse_ccpa_pdf
from kb.ids import ClauseId
from kb.records import ClauseRecord

TINY_PDF = Path(__file__).parent / "fixtures" / "ccpa" / "tiny_ccpa.pdf"
REAL_PDF = Path("ccpa") / "cppa-statute-pdf-2025-01" / "ccpa_statute.pdf"

SECTIONS = [
    "1798.100", "1798.105", "1798.106", "1798.110", "1798.115", "1798.120", "1798.121",
    "1798.125", "1798.130", "1798.135", "1798.140", "1798.145", "1798.146", "1798.148",
    "1798.150", "1798.155", "1798.160", "1798.175", "1798.180", "1798.185", "1798.190",
    "1798.192", "1798.194", "1798.196", "1798.198", "1798.199",
    *(f"1798.199.{n}" for n in range(10, 101, 5)),
]  # fmt: skip
WITHOUT_HEADING = {"1798.146", "1798.148", "1798.194", "1798.196", "1798.198", "1798.199"} | {
    f"1798.199.{n}" for n in range(10, 101, 5)
}
DEFINITION_LETTERS = [chr(c) for c in range(ord("a"), ord("z") + 1)] + [
    f"a{chr(c)}" for c in range(ord("a"), ord("k") + 1)
]  # (a) … (z), (aa) … (ak): 37


def _by_id(records: list[ClauseRecord]) -> dict[str, ClauseRecord]:
    return {record.id: record for record in records}


def _assert_contract(records: list[ClauseRecord]) -> None:
    """What every parser promises: valid unique ids, order, parents before children, refs known."""
    ids = [record.id for record in records]
    assert len(ids) == len(set(ids))
    assert [record.position for record in records] == list(range(len(records)))
    seen: set[str] = set()
    for record in records:
        assert str(ClauseId.parse(record.id)) == record.id
        assert record.unit == str(ClauseId.parse(record.id).unit)
        assert record.parent is None or record.parent in seen
        assert record.anchor is None and record.language == "en"
        assert record.text == " ".join(record.text.split())
        assert set(record.refs) <= set(ids) and record.id not in record.refs
        seen.add(record.id)


# --- the tiny fixture (made-up words, same layout) --------------------------------------------


@pytest.fixture(scope="module")
def tiny() -> list[ClauseRecord]:
    return parse_ccpa_pdf(TINY_PDF.read_bytes())


def test_tiny_ids_kinds_and_order(tiny: list[ClauseRecord]) -> None:
    assert [(r.id, r.kind) for r in tiny] == [
        ("ccpa:1798.100", "article"),
        ("ccpa:1798.100(a)", "paragraph"),
        ("ccpa:1798.100(a)(1)", "point"),
        ("ccpa:1798.100(a)(2)", "point"),
        ("ccpa:1798.100(b)", "paragraph"),
        ("ccpa:1798.100(c)", "paragraph"),
        ("ccpa:1798.100(c)(1)", "point"),
        ("ccpa:1798.100(c)(2)", "point"),
        ("ccpa:1798.105", "article"),
        ("ccpa:1798.140", "article"),
        ("ccpa:1798.140(a)", "definition"),
        ("ccpa:1798.140(b)", "definition"),
        ("ccpa:1798.140(b)(1)", "point"),
        ("ccpa:1798.140(b)(1)(A)", "subpoint"),
        ("ccpa:1798.140(b)(1)(B)", "subpoint"),
        ("ccpa:1798.140(b)(2)", "point"),
        *((f"ccpa:1798.140({c})", "definition") for c in "cdefg"),
        ("ccpa:1798.140(h)", "definition"),
        ("ccpa:1798.140(h)(1)", "point"),
        ("ccpa:1798.140(h)(1)(A)", "subpoint"),
        ("ccpa:1798.140(h)(1)(A)(i)", "subpoint"),  # roman: under (A), indented
        ("ccpa:1798.140(h)(1)(A)(ii)", "subpoint"),
        ("ccpa:1798.140(h)(2)", "point"),
        ("ccpa:1798.140(i)", "definition"),  # the letter after (h), at the margin
        ("ccpa:1798.199.100", "article"),
    ]
    _assert_contract(tiny)


def test_tiny_fields(tiny: list[ClauseRecord]) -> None:
    by_id = _by_id(tiny)
    section = by_id["ccpa:1798.100"]
    assert (section.number, section.label, section.parent, section.unit) == (
        "1798.100",
        "§ 1798.100",
        None,
        "ccpa:1798.100",
    )
    assert section.title == "Sample Duties of Businesses that Collect Data"  # wrapped heading
    assert section.text == ""  # all its words are in its subdivisions
    point = by_id["ccpa:1798.100(a)(1)"]
    assert (point.number, point.label, point.parent, point.unit, point.title) == (
        "(1)",
        "§ 1798.100(a)(1)",
        "ccpa:1798.100(a)",
        "ccpa:1798.100",
        None,
    )
    # "(2) of this subdivision" starts a printed line but continues a citation.
    assert point.text == (
        "What it collects, within the limits set by paragraph (2) of this subdivision "
        "and by Section 1798.140."
    )
    assert point.refs == ("ccpa:1798.100(a)(2)", "ccpa:1798.140")
    assert by_id["ccpa:1798.100(a)"].text == "A business shall tell consumers the following:"
    # the footnote marker goes with the footnote
    assert by_id["ccpa:1798.100(a)(2)"].text == "How long it keeps the data ($100) per record."
    assert (
        by_id["ccpa:1798.100(b)"].text == "Subdivision (a) does not apply to a non-profit archive."
    )
    assert by_id["ccpa:1798.100(b)"].refs == ("ccpa:1798.100(a)",)
    # "(c) (1) …" on one line: (c) keeps only the words printed after its list
    assert by_id["ccpa:1798.100(c)"].text == "Closing words of subdivision (c) after its list."
    assert by_id["ccpa:1798.100(c)(1)"].text == (
        "An item opened on the same line as its subdivision."
    )
    assert by_id["ccpa:1798.100(c)(2)"].refs == ("ccpa:1798.100(c)(1)",)


def test_tiny_sections_without_heading_and_ranges(tiny: list[ClauseRecord]) -> None:
    by_id = _by_id(tiny)
    bare = by_id["ccpa:1798.105"]
    assert bare.title is None
    assert bare.text == "A section without a heading; see subdivision (b) of Section 1798.100."
    assert bare.refs == ("ccpa:1798.100(b)",)
    last = by_id["ccpa:1798.199.100"]
    assert last.title is None
    assert last.text == (
        "The agency shall consider Sections 1798.100 to 1798.140, inclusive, and Section 1798.81.5."
    )
    # the range takes only sections that exist; 1798.81.5 is outside this title
    assert last.refs == ("ccpa:1798.100", "ccpa:1798.105", "ccpa:1798.140")


def test_tiny_definitions(tiny: list[ClauseRecord]) -> None:
    by_id = _by_id(tiny)
    assert by_id["ccpa:1798.140"].title == "Definitions"
    assert by_id["ccpa:1798.140"].text == "For purposes of this title:"
    assert by_id["ccpa:1798.140(a)"].title == "Agency"
    assert by_id["ccpa:1798.140(a)"].text == "“Agency” means the privacy agency."
    assert by_id["ccpa:1798.140(b)"].title == "Business or firm"
    assert by_id["ccpa:1798.140(h)"].title == "Holder"  # the term is in (h)(1)
    assert by_id["ccpa:1798.140(h)"].text == ""
    assert by_id["ccpa:1798.140(i)"].title == "Infer or inference"
    assert by_id["ccpa:1798.140(h)(1)(A)(i)"].text == "Storing it."
    assert by_id["ccpa:1798.140(h)(2)"].refs == ("ccpa:1798.140(h)(1)(A)",)
    assert by_id["ccpa:1798.140(b)(2)"].refs == ("ccpa:1798.140(b)(1)",)


def test_tiny_drops_cover_contents_footers_and_footnotes(tiny: list[ClauseRecord]) -> None:
    text = " ".join(f"{r.title or ''} {r.text}" for r in tiny)
    for furniture in ("Page ", "CALIFORNIA CONSUMER PRIVACY ACT", "Contents", "....", "Pursuant"):
        assert furniture not in text
    assert "*" not in text


def test_parse_is_deterministic() -> None:
    data = TINY_PDF.read_bytes()
    assert parse_ccpa_pdf(data) == parse_ccpa_pdf(data)


# --- bad input ----------------------------------------------------------------------------------


def _pdf_with_pages(data: bytes, pages: list[int]) -> bytes:
    reader = pypdf.PdfReader(io.BytesIO(data))
    writer = pypdf.PdfWriter()
    for index in pages:
        writer.add_page(reader.pages[index])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _blank_pdf() -> bytes:
    writer = pypdf.PdfWriter()
    writer.add_blank_page(width=612, height=792)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"<html><body>CCPA</body></html>", "not a PDF"),
        (TINY_PDF.read_bytes()[: len(TINY_PDF.read_bytes()) // 2], "truncated"),
        (b"%PDF-1.4\n" + b"\x00garbage" * 50, "truncated"),
        (_pdf_with_pages(TINY_PDF.read_bytes(), [0, 1]), "pages are missing"),
        (_blank_pdf(), "no section heading"),
    ],
    ids=["empty", "html", "cut-in-half", "garbage", "last-page-missing", "no-sections"],
)
def test_bad_input_raises_parse_error(data: bytes, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        parse_ccpa_pdf(data)


# --- the real file --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real(corpus_dir: Path) -> list[ClauseRecord]:
    path = corpus_dir / REAL_PDF
    if not path.is_file():
        pytest.skip(f"{path} not available")
    return parse_ccpa_pdf(path.read_bytes())


def test_real_sections(real: list[ClauseRecord]) -> None:
    sections = [r for r in real if r.kind == "article"]
    assert [r.id for r in sections] == [f"ccpa:{n}" for n in SECTIONS]  # 45, in order
    for record in sections:
        number = record.id.removeprefix("ccpa:")
        if number in WITHOUT_HEADING:
            assert record.title is None, record.id
        else:
            assert record.title, record.id
    by_id = _by_id(real)
    assert by_id["ccpa:1798.100"].title == (
        "General Duties of Businesses that Collect Personal Information"
    )
    assert by_id["ccpa:1798.110"].title == (
        "Consumers’ Right to Know What Personal Information is Being Collected. "
        "Right to Access Personal Information"
    )
    assert by_id["ccpa:1798.140"].title == "Definitions"
    assert real[-1].unit == "ccpa:1798.199.100"
    assert real[-1].text.endswith("for the same violation.")


def test_real_counts(real: list[ClauseRecord]) -> None:
    _assert_contract(real)
    assert Counter(r.kind for r in real) == {
        "article": 45,
        "definition": 37,
        "paragraph": 126,
        "point": 206,
        "subpoint": 195,
    }


def test_real_definitions(real: list[ClauseRecord]) -> None:
    definitions = [r for r in real if r.kind == "definition"]
    assert [r.id for r in definitions] == [f"ccpa:1798.140({c})" for c in DEFINITION_LETTERS]
    assert all(r.parent == "ccpa:1798.140" and r.title for r in definitions)
    by_id = _by_id(real)
    assert by_id["ccpa:1798.140(a)"].title == "Advertising and marketing"
    assert by_id["ccpa:1798.140(i)"].title == "Consumer"  # the letter (i), not a roman one
    assert by_id["ccpa:1798.140(v)"].title == "Personal information"  # the term is in (v)(1)
    assert by_id["ccpa:1798.140(ak)"].title == "Verifiable consumer request"
    assert "“Neural data” means" in by_id["ccpa:1798.140(ae)(1)(G)(ii)"].text
    assert "Abstract digital formats" in by_id["ccpa:1798.140(v)(4)(C)"].text
    # numbered items under a definition, and the levels below them
    assert by_id["ccpa:1798.140(d)(1)(A)"].parent == "ccpa:1798.140(d)(1)"
    assert by_id["ccpa:1798.140(v)(2)(B)(i)(III)"].kind == "subpoint"


def test_real_structure_and_text(real: list[ClauseRecord]) -> None:
    by_id = _by_id(real)
    point = by_id["ccpa:1798.100(a)(1)"]
    assert point.kind == "point" and point.label == "§ 1798.100(a)(1)"
    assert point.text.startswith("The categories of personal information to be collected")
    assert by_id["ccpa:1798.185(a)(18)(A)(vi)(III)"].parent == "ccpa:1798.185(a)(18)(A)(vi)"
    assert by_id["ccpa:1798.185(a)(19)(B)(v)"].parent == "ccpa:1798.185(a)(19)(B)"  # roman (v)
    assert "On January 1, 2025, and on January 1 of any odd-numbered year" in (
        by_id["ccpa:1798.199.95(d)(1)"].text
    )
    for record in real:
        assert not re.search(r"Page \d+ of \d+", record.text), record.id
        assert "CALIFORNIA CONSUMER PRIVACY ACT OF 2018" not in record.text
        assert "cppa.ca.gov" not in record.text
        assert "this monetary amount has been updated" not in record.text
        assert ")*" not in record.text


def test_real_references(real: list[ClauseRecord]) -> None:
    by_id = _by_id(real)
    assert by_id["ccpa:1798.100(f)"].refs == ("ccpa:1798.185(a)(3)",)
    assert by_id["ccpa:1798.100(d)(5)"].refs == ("ccpa:1798.100(d)(4)",)
    assert by_id["ccpa:1798.130(a)"].refs == tuple(
        f"ccpa:{n}"
        for n in ("1798.100", "1798.105", "1798.106", "1798.110", "1798.115", "1798.125")
    )
    assert by_id["ccpa:1798.121(a)"].refs[:4] == tuple(
        f"ccpa:1798.140(e)({n})" for n in (2, 4, 5, 8)
    )
    assert "ccpa:1798.110(a)(4)" in by_id["ccpa:1798.110(b)"].refs  # "(1) to (4), inclusive"
    assert by_id["ccpa:1798.145(d)(2)"].refs == ("ccpa:1798.145(d)(1)",)  # "Paragraph (1) shall"
    # citations of other laws do not become CCPA refs
    assert by_id["ccpa:1798.145(l)"].refs == ()
    assert by_id["ccpa:1798.150(a)(1)"].refs == ()  # "… of Section 1798.81.5"
