"""AI HLEG Ethics Guidelines for Trustworthy AI (2019): the official-PDF parser."""

from __future__ import annotations

import importlib.util
import re
from collections import Counter
from pathlib import Path

import pytest

from ingest.parsers import ParseError
from ingest.parsers.hleg_pdf import parse_hleg_pdf
from kb.ids import ClauseId
from kb.records import ClauseRecord

FIXTURES = Path(__file__).parent / "fixtures" / "hleg"
MINI_PDF = FIXTURES / "mini_hleg.pdf"
REAL_PDF = Path("eu-hleg") / "hleg_ethics_guidelines_2019_en.pdf"

SUB_REQUIREMENT_TITLES = {
    "hleg:req-1": ["Fundamental rights", "Human agency", "Human oversight"],
    "hleg:req-2": [
        "Resilience to attack and security",
        "Fallback plan and general safety",
        "Accuracy",
        "Reliability and Reproducibility",
    ],
    "hleg:req-3": [
        "Privacy and data protection",
        "Quality and integrity of data",
        "Access to data",
    ],
    "hleg:req-4": ["Traceability", "Explainability", "Communication"],
    "hleg:req-5": [
        "Avoidance of unfair bias",
        "Accessibility and universal design",
        "Stakeholder Participation",
    ],
    "hleg:req-6": [
        "Sustainable and environmentally friendly AI",
        "Social impact",
        "Society and Democracy",
    ],
    "hleg:req-7": [
        "Auditability",
        "Minimisation and reporting of negative impacts",
        "Trade-offs",
        "Redress",
    ],
}
REQUIREMENT_TITLES = [
    "Human agency and oversight",
    "Technical robustness and safety",
    "Privacy and data governance",
    "Transparency",
    "Diversity, non-discrimination and fairness",
    "Societal and environmental well-being",
    "Accountability",
]
# Assessment-list bullets per requirement, as this parser counts them (a lead-in ending in ':'
# holds its sub-bullets); together they carry all 147 question marks of the list.
QUESTIONS_PER_REQUIREMENT = {
    "hleg:req-1": 16,
    "hleg:req-2": 31,
    "hleg:req-3": 14,
    "hleg:req-4": 19,
    "hleg:req-5": 25,
    "hleg:req-6": 5,
    "hleg:req-7": 13,
}


@pytest.fixture
def corpus_dir() -> Path:
    """Local stand-in until tests/conftest.py provides it: the shared corpus, else skip."""
    path = Path("/work/shared/corpus")
    if not path.is_dir():
        pytest.skip("shared corpus not available")
    return path


def _fixture_builder():
    """The script that generated mini_hleg.pdf, loaded as a module (tests/ is no package)."""
    spec = importlib.util.spec_from_file_location("make_mini_pdf", FIXTURES / "make_mini_pdf.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _assert_contract(records: list[ClauseRecord]) -> None:
    """Ids parse and round-trip and are unique; positions count up; parents/units are emitted."""
    ids = [r.id for r in records]
    assert len(ids) == len(set(ids))
    assert [r.position for r in records] == list(range(len(records)))
    emitted = set(ids)
    for record in records:
        assert str(ClauseId.parse(record.id)) == record.id
        assert record.parent is None or record.parent in emitted
        assert record.unit in emitted
        assert record.anchor is None
        assert record.refs == ()
        assert record.language == "en"
        assert record.text == " ".join(record.text.split()) and record.text


# --- the tiny hand-built fixture -------------------------------------------------------------


def test_fixture_pdf_is_what_the_script_generates() -> None:
    assert MINI_PDF.read_bytes() == _fixture_builder().mini_pdf()
    assert MINI_PDF.stat().st_size < 20_000


def test_mini_pdf_records() -> None:
    records = parse_hleg_pdf(MINI_PDF.read_bytes())
    _assert_contract(records)
    got = [(r.id, r.kind, r.number, r.label, r.parent, r.unit, r.title, r.text) for r in records]
    req = "requirement"
    assert got[:8] == [
        ("hleg:principle-1", "principle", "1", "Principle 1", None, "hleg:principle-1",
         "Respect for human autonomy",
         "Humans must keep full self-determination over themselves and more."),
        ("hleg:principle-2", "principle", "2", "Principle 2", None, "hleg:principle-2",
         "Prevention of harm", "Systems should not cause harm, ever."),
        ("hleg:principle-3", "principle", "3", "Principle 3", None, "hleg:principle-3",
         "Fairness", "Fairness has a procedural side."),
        ("hleg:principle-4", "principle", "4", "Principle 4", None, "hleg:principle-4",
         "Explicability", "Decisions should be explicable."),
        ("hleg:req-1", req, "1", "Req. 1", None, "hleg:req-1",
         "Human agency and oversight", "Intro of requirement 1."),
        ("hleg:req-1.1", req, "1.1", "Req. 1.1", "hleg:req-1", "hleg:req-1",
         "Fundamental rights", "Text of fundamental rights continued on line 2."),
        ("hleg:req-1.2", req, "1.2", "Req. 1.2", "hleg:req-1", "hleg:req-1",
         "Human oversight", "Text of human oversight."),
        ("hleg:req-2", req, "2", "Req. 2", None, "hleg:req-2",
         "Technical robustness and safety", "Intro of requirement 2."),
    ]  # fmt: skip
    questions = [r for r in records if r.kind == "question"]
    assert [(r.id, r.label, r.parent, r.unit, r.title, r.text) for r in questions] == [
        ("hleg:req-1.1(q1)", "Req. 1.1 Q1", "hleg:req-1.1", "hleg:req-1", "Fundamental rights",
         "Did you assess the impact on rights? Did you document it?"),
        # a second-level bullet (square) below a question that is not a lead-in: its point
        ("hleg:req-1.1(q2)", "Req. 1.1 Q2", "hleg:req-1.1(q1)", "hleg:req-1", "Fundamental rights",
         "Could the system affect autonomy?"),
        ("hleg:req-1.2(q1)", "Req. 1.2 Q1", "hleg:req-1.2", "hleg:req-1", "Human oversight",
         "Did you assess: to what extent it is understood? why it was deployed?"),
        ("hleg:req-1.2(q2)", "Req. 1.2 Q2", "hleg:req-1.2", "hleg:req-1", "Human oversight",
         "Is there a stop button?"),
        ("hleg:req-1(q1)", "Req. 1 Q1", "hleg:req-1", "hleg:req-1", "Something else entirely",
         "Did you plan for it?"),
        ("hleg:req-2.1(q1)", "Req. 2.1 Q1", "hleg:req-2.1", "hleg:req-2", "Accuracy",
         "Did you measure accuracy?"),
        ("hleg:req-3.1(q1)", "Req. 3.1 Q1", "hleg:req-3.1", "hleg:req-3",
         "Respect for privacy and data Protection", "Did you protect data?"),
        ("hleg:req-4.1(q1)", "Req. 4.1 Q1", "hleg:req-4.1", "hleg:req-4", "Traceability",
         "Did you document the following methods: Methods used for design: Rule-based systems;"),
        ("hleg:req-5.1(q1)", "Req. 5.1 Q1", "hleg:req-5.1", "hleg:req-5", "Unfair bias avoidance",
         "Did you avoid unfair bias?"),
        ("hleg:req-6.1(q1)", "Req. 6.1 Q1", "hleg:req-6.1", "hleg:req-6", "Social impact",
         "Did you assess the social impact?"),
        ("hleg:req-7.1(q1)", "Req. 7.1 Q1", "hleg:req-7.1", "hleg:req-7", "Ability to redress",
         "Can people obtain redress?"),
    ]  # fmt: skip
    assert Counter(r.kind for r in records) == {"principle": 4, "requirement": 15, "question": 11}
    everything = " ".join(r.text for r in records)
    for dropped in ("footnote", "Tensions text", "Methods text", "We invite", "Adopt an", "12"):
        assert dropped not in everything


def test_parser_is_deterministic() -> None:
    data = MINI_PDF.read_bytes()
    assert parse_hleg_pdf(data) == parse_hleg_pdf(data)


# --- malformed input -----------------------------------------------------------------------


@pytest.mark.parametrize("data", [b"", b"hello, world", b"<html><body>not a pdf</body></html>"])
def test_garbage_raises(data: bytes) -> None:
    with pytest.raises(ParseError, match="not a PDF"):
        parse_hleg_pdf(data)


def test_non_bytes_raises() -> None:
    with pytest.raises(ParseError, match="bytes"):
        parse_hleg_pdf("%PDF-1.4 a string")  # type: ignore[arg-type]


@pytest.mark.parametrize("keep", [20, 0.5, 0.9])
def test_truncated_pdf_raises(keep: float) -> None:
    data = MINI_PDF.read_bytes()
    cut = data[: int(len(data) * keep)] if isinstance(keep, float) else data[:keep]
    with pytest.raises(ParseError):
        parse_hleg_pdf(cut)


def test_pdf_missing_parts_raises() -> None:
    builder = _fixture_builder()
    principles, requirements, list_1, list_2 = (page() for page in builder.PAGES)
    cases = [
        ([requirements, list_1, list_2], "ethical principles"),
        ([principles, list_1, list_2], "requirement headings"),
        ([principles, requirements], "assessment list"),
        ([principles, requirements, list_1], "assessment-list sections 1 to 7"),
        ([principles[:8] + principles[10:], requirements, list_1, list_2], "found 3"),
    ]
    for pages, message in cases:
        with pytest.raises(ParseError, match=message):
            parse_hleg_pdf(builder.build_pdf(pages))


# --- the real file -------------------------------------------------------------------------


@pytest.fixture
def real_records(corpus_dir: Path) -> list[ClauseRecord]:
    path = corpus_dir / REAL_PDF
    if not path.is_file():
        pytest.skip(f"{path} not available")
    return parse_hleg_pdf(path.read_bytes())


@pytest.mark.corpus
def test_real_file(real_records: list[ClauseRecord]) -> None:
    records = real_records
    _assert_contract(records)
    by_id = {r.id: r for r in records}

    principles = [r for r in records if r.kind == "principle"]
    assert [(r.id, r.title) for r in principles] == [
        ("hleg:principle-1", "Respect for human autonomy"),
        ("hleg:principle-2", "Prevention of harm"),
        ("hleg:principle-3", "Fairness"),
        ("hleg:principle-4", "Explicability"),
    ]
    assert by_id["hleg:principle-1"].text.startswith("The fundamental rights upon which the EU")
    assert "full and effective self-determination" in by_id["hleg:principle-1"].text

    requirements = [r for r in records if r.kind == "requirement" and r.parent is None]
    assert [r.title for r in requirements] == REQUIREMENT_TITLES
    assert [r.id for r in requirements] == [f"hleg:req-{n}" for n in range(1, 8)]
    assert by_id["hleg:req-1"].text.startswith("AI systems should support human autonomy")
    assert by_id["hleg:req-1"].text.endswith("and allow for human oversight.")

    subs = [r for r in records if r.kind == "requirement" and r.parent is not None]
    assert len(subs) == 23
    titles = {req: [r.title for r in subs if r.parent == req] for req in SUB_REQUIREMENT_TITLES}
    assert titles == SUB_REQUIREMENT_TITLES
    assert all(r.unit == r.parent for r in subs)
    assert by_id["hleg:req-1.1"].text.endswith("that potentially infringe on fundamental rights.")
    assert "human-in-the-loop (HITL)" in by_id["hleg:req-1.3"].text
    assert "For AI systems to be considered secure, possible" in by_id["hleg:req-2.1"].text

    questions = [r for r in records if r.kind == "question"]
    assert Counter(r.unit for r in questions) == QUESTIONS_PER_REQUIREMENT
    assert sum(r.text.count("?") for r in questions) == 147
    assert all(re.fullmatch(r"hleg:req-\d\.\d\(q\d+\)", r.id) for r in questions)  # all matched
    # every question is below a sub-requirement, or (a second-level bullet) below its question
    first_level = [r for r in questions if r.parent in {s.id for s in subs}]
    assert {r.parent for r in first_level} == {r.id for r in subs}
    nested = [r for r in questions if r not in first_level]
    assert all(by_id[r.parent].kind == "question" and by_id[r.parent].unit == r.unit for r in nested)
    assert len(nested) == 63
    # the audit's sample: second-level bullets under the question they belong to
    for child, parent in [
        ("req-1.2(q2)", "req-1.2(q1)"),
        ("req-1.2(q3)", "req-1.2(q1)"),
        ("req-1.3(q2)", "req-1.3(q1)"),
        ("req-1.3(q5)", "req-1.3(q1)"),
        ("req-2.4(q6)", "req-2.4(q1)"),
        ("req-4.3(q4)", "req-4.3(q2)"),
        ("req-7.2(q5)", "req-7.2(q2)"),
    ]:
        assert by_id[f"hleg:{child}"].parent == f"hleg:{parent}"
    assert by_id["hleg:req-4.2(q3)"].parent == "hleg:req-4.2"  # after a lead-in with its fragments
    q = by_id["hleg:req-5.1(q1)"]
    assert (q.title, q.parent, q.label) == ("Unfair bias avoidance", "hleg:req-5.1", "Req. 5.1 Q1")
    assert by_id["hleg:req-7.2(q1)"].title == "Minimising and reporting negative Impact"
    assert by_id["hleg:req-4.2(q1)"].text.startswith("Did you assess: to what extent the decisions")
    assert by_id["hleg:req-1.1(q1)"].text == (
        "Did you carry out a fundamental rights impact assessment where there could be a negative "
        "impact on fundamental rights? Did you identify and document potential trade-offs made "
        "between the different principles and rights?"
    )

    text = " ".join(r.text for r in records)
    assert not re.search(r"[\ue000-\uf8ff\u25aa\u00ad]", text)  # no bullet glyphs
    assert not re.search(r"\d", text)  # no page numbers, footnote numbers or footnote bodies
    assert "secure,37" not in text and "Avin S." not in text
