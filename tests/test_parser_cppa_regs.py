"""The CCPA regulations (Cal. Code Regs. tit. 11, § 7000 ff.) from the CPPA's compiled PDF."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from ingest.parsers import ParseError
from ingest.parsers.cppa_regs_pdf import parse_cppa_regs_pdf
from tests.golden import assert_golden

TINY = Path(__file__).parent / "fixtures" / "cppa_regs" / "tiny_regs.pdf"
REAL = Path("cppa-regs") / "cppa-regs-compiled-2024-04" / "ccpa_regulations.pdf"
SECTIONS = [
    *range(7000, 7005), *range(7010, 7017), *range(7020, 7029), *range(7050, 7054), *range(7060, 7064),
    *range(7070, 7073), 7080, 7081, 7100, 7101, 7102, *range(7300, 7305), 7500, 7600,
]  # fmt: skip


def test_tiny_pdf_parses_to_its_golden_records() -> None:
    assert_golden(parse_cppa_regs_pdf(TINY.read_bytes()), TINY)


def test_tiny_layout_rules() -> None:
    records = {r.id: r for r in parse_cppa_regs_pdf(TINY.read_bytes())}
    assert [i for i, r in records.items() if r.kind == "article"] == [
        "cppa-regs:7000", "cppa-regs:7001", "cppa-regs:7002",
    ]  # the bold contents entry is not a section; CHAPTER/ARTICLE headings are not clauses
    assert records["cppa-regs:7002"].title == "Restrictions on the Use of Data and on Its Retention"
    assert records["cppa-regs:7001(b)"].title == "Privacy policy"
    assert records["cppa-regs:7002(c)(1)(A)"].text == "Business F sells data."  # "(A)" set as its own run
    assert records["cppa-regs:7000(note)"].kind == "statement"
    assert records["cppa-regs:7000(b)"].text.endswith("violation of the Act.")  # the note is not run on
    assert records["cppa-regs:7002(note)"].text.startswith("NOTE: Authority cited")
    assert records["cppa-regs:7002(a)"].refs == ("cppa-regs:7001(a)", "cppa-regs:7001(b)")
    assert records["cppa-regs:7002(b)"].refs == ("cppa-regs:7002(a)",)
    assert not any(r.text == "CPPA" or "Page" in r.text for r in records.values())


def test_definitions_past_z_go_on_with_doubled_letters() -> None:
    """After (z) the Code of Regulations letters (aa), (bb), (cc) (the Civil Code: (aa), (ab)): (bb)
    opens its own definition, and its wrapped lines are not run into (aa) or § 7001's own text."""
    records = {r.id: r for r in parse_cppa_regs_pdf(TINY.read_bytes())}
    letters = [r.number for r in records.values() if r.kind == "definition"]
    assert len(letters) == 29 and letters[-4:] == ["(z)", "(aa)", "(bb)", "(cc)"]
    assert records["cppa-regs:7001"].text == "In addition to the definitions of the Act, these definitions apply:"
    assert records["cppa-regs:7001(aa)"].text.endswith(
        "the use of data, pursuant to Civil Code section 1798.121, subdivision (a)."
    )
    assert records["cppa-regs:7001(bb)"].text == (
        "\u201cRequest to resume\u201d means an action showing that the consumer has asked the business to resume the use of data."
    )
    assert records["cppa-regs:7001(bb)"].title == "Request to resume"
    assert records["cppa-regs:7001(cc)"].parent == "cppa-regs:7001"


def test_a_section_without_its_note_is_refused() -> None:
    data = TINY.read_bytes().replace(b"(NOTE: Authority cited", b"(Later: Authority cited")
    with pytest.raises(ParseError, match="no authority note"):
        parse_cppa_regs_pdf(data)


def test_not_a_pdf_is_refused() -> None:
    with pytest.raises(ParseError, match="not a PDF"):
        parse_cppa_regs_pdf(b"<html>")


@pytest.mark.corpus
def test_real_compilation(corpus_dir: Path) -> None:
    records = parse_cppa_regs_pdf((corpus_dir / REAL).read_bytes())
    by_id = {r.id: r for r in records}
    counts = Counter(r.kind for r in records)
    assert (counts["article"], counts["statement"], counts["definition"]) == (44, 44, 39)  # (a) … (z), (aa) … (mm)
    assert [r.number for r in records if r.kind == "definition"][-3:] == ["(kk)", "(ll)", "(mm)"]
    assert by_id["cppa-regs:7001(bb)"].title == "Request to opt-in to sale/sharing"
    assert by_id["cppa-regs:7001"].text.endswith("for purposes of these regulations:")
    assert [r.id for r in records if r.kind == "article"] == [f"cppa-regs:{n}" for n in SECTIONS]
    assert by_id["cppa-regs:7012"].title == "Notice at Collection of Personal Information"
    assert by_id["cppa-regs:7050"].title == "Service Providers and Contractors"
    assert by_id["cppa-regs:7012(e)(3)"].refs == ("cppa-regs:7012(e)(1)",)
    assert by_id["cppa-regs:7001(x)"].title == "Request to correct"
    assert by_id["cppa-regs:7600(a)"].text == "The annual fee to register as a data broker is $400.00."
    assert all(by_id[f"cppa-regs:{n}(note)"].text.lower().startswith("note: authority") for n in SECTIONS)
