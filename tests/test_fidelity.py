"""Every clause exactly as the official text: lead-in, points and tail in the document's order, the
fidelity check (on tiny fixtures, and on every real source), and history across renumbering."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlmodel import Session, SQLModel, select

from ingest.fidelity import OFFICIAL_TEXT, check_fidelity, check_source, formex_text, official_text
from ingest.formats import parser_for
from ingest.history import apply_version, find_moves, kept
from ingest.parsers import ParseError
from ingest.parsers.formex import parse_formex_package
from ingest.parsers.provisions import split_provision, subparagraph_id, subparagraph_label
from kb.knowledge import clause_versions
from kb.models import KNOWLEDGE_TABLES, ClauseVersion, Source, SourceVersion
from kb.records import ClauseRecord
from kb.registry import SourceEntry, load_registry

FORMEX = Path(__file__).parent / "fixtures" / "formex"
TAILS = ("tails-act.xml", "tails-annex-1.xml", "tails-annex-2.xml")
REGISTRY = Path(__file__).parent.parent / "corpus"


def _record(cid: str, text: str, position: int, kind: str = "paragraph") -> ClauseRecord:
    return ClauseRecord(id=cid, kind=kind, number="", label=cid, text=text, position=position)


# --- the shared split ------------------------------------------------------------------------------


def test_the_blocks_after_the_first_points_are_the_tail() -> None:
    blocks = ["intro", "lead-in with points", "after", "after again"]
    provision = split_provision(blocks, lambda b: "points" in b)
    assert provision.lead_in == ("intro", "lead-in with points")
    assert provision.tail == ((3, "after"), (4, "after again"))
    assert split_provision(["a", "b"], lambda b: False).tail == ()  # no points: all lead-in, in order
    assert subparagraph_id("gdpr:art-6(1)", 2) == "gdpr:art-6(1)(sub2)"
    assert subparagraph_label("Art. 6(1)", 2) == "Art. 6(1), second subparagraph"


# --- Formex: golden file -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tails() -> list[ClauseRecord]:
    return parse_formex_package([(FORMEX / name).read_bytes() for name in TAILS], source="mini")


def test_formex_lead_in_points_tail_golden(tails: list[ClauseRecord]) -> None:
    golden = json.loads((FORMEX / "tails.golden.json").read_text())
    got = [dict(id=r.id, kind=r.kind, number=r.number, label=r.label, parent=r.parent, text=r.text) for r in tails]
    assert got == golden
    assert [r.position for r in tails] == list(range(len(tails)))


def test_formex_fixture_reads_as_the_document(tails: list[ClauseRecord]) -> None:
    official = formex_text([(FORMEX / name).read_bytes() for name in TAILS])
    assert check_fidelity(tails, official) == []
    # the old way, the tail glued to the lead-in, is caught
    by_id = {r.id: r for r in tails}
    glued = replace(by_id["mini:art-1(1)"], text=f"{by_id['mini:art-1(1)'].text} {by_id['mini:art-1(1)(sub2)'].text}")
    findings = check_fidelity([glued if r.id == glued.id else r for r in tails if r.id != "mini:art-1(1)(sub2)"], official)
    assert [(f.clause_id, f.problem) for f in findings] == [("mini:art-1(1)", "not found")]


# --- the check itself --------------------------------------------------------------------------------


def test_the_check_ignores_whitespace_only() -> None:
    official = "Article 1\n  Robots shall\nbe kind:\n(a) to cats;\n(b) to dogs."
    records = [_record("x:art-1", "Robots shall be kind:", 0), _record("x:art-1(a)", "to  cats;", 1)]
    assert check_fidelity(records, official) == []
    assert [f.problem for f in check_fidelity([_record("x:art-1", "Robots shall be nice:", 0)], official)] == [
        "not found"
    ]


def test_the_check_wants_the_document_order() -> None:
    official = "Lead-in: (a) first; (b) second. After the points."
    swapped = [_record("x:1", "After the points.", 0), _record("x:1(a)", "first;", 1)]
    findings = check_fidelity(swapped, official)
    assert [(f.clause_id, f.problem) for f in findings] == [("x:1(a)", "out of order")]
    merged = [_record("x:1", "Lead-in: After the points.", 0)]  # two passages glued: not one passage
    assert [f.problem for f in check_fidelity(merged, official)] == ["not found"]


def test_a_format_without_an_official_text_reader_is_named() -> None:
    with pytest.raises(ParseError, match="no official-text reader for the 'nope' format"):
        official_text("nope", [b""])


# --- every real source ---------------------------------------------------------------------------------


# Defects the check finds in a source, known and reported, not yet fixed: the test is expected to
# fail for them (strictly: once fixed, the entry must go).
KNOWN_DEFECTS: dict[str, str] = {}


def _variants() -> list:
    out = []
    for entry in load_registry(REGISTRY):
        out.append((entry.id, entry.parser, entry.files, entry.in_registry))
        out += [(f"{entry.id}@{h.version_date}", h.parser, h.files, False) for h in entry.history]
        out += [(f"{entry.id}#{t.language}", t.parser, t.files, False) for t in entry.translations]
    return [
        pytest.param(*v, marks=pytest.mark.xfail(strict=True, reason=KNOWN_DEFECTS[v[0]])) if v[0] in KNOWN_DEFECTS else v
        for v in out
    ]


@pytest.mark.corpus
@pytest.mark.parametrize("name, parser, files, in_registry", _variants(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_clause_of_every_source_is_the_official_text(
    corpus_dir: Path, name: str, parser: str, files: tuple[str, ...], in_registry: bool
) -> None:
    """Each source (and each earlier version and translation on record): every clause's text is found
    verbatim, after whitespace normalisation, in its official file's text, in position order."""
    assert parser in OFFICIAL_TEXT, f"{name}: register how to read the official text of {parser!r} files"
    base = REGISTRY if in_registry else corpus_dir
    data = [(base / f).read_bytes() for f in files]
    records = parser_for(parser)(data, name.split("@")[0].split("#")[0]).records
    findings = check_source(parser, data, records)
    assert not findings, "\n".join(str(f) for f in findings[:20])


# --- history across renumbering --------------------------------------------------------------------------

TRACEABILITY = "To this end, AI actors should ensure traceability, including in relation to datasets and processes."
RISK = "AI actors should apply a systematic risk management approach to each phase of the AI system lifecycle."
NEW_14B = "Mechanisms should be in place to ensure that AI systems that risk causing undue harm can be overridden."


def test_find_moves_follows_words_to_their_new_number() -> None:
    before = {"x:1.4(b)": TRACEABILITY, "x:1.4(c)": RISK, "x:2": "Unchanged words stay where they are, all of them."}
    after = {
        "x:1.4(b)": NEW_14B,
        "x:1.5(b)": TRACEABILITY.replace("datasets", "data sets"),
        "x:1.5(c)": RISK + " It also adopts responsible business conduct.",
        "x:2": "Unchanged words stay where they are, all of them.",
    }
    assert find_moves(before, after) == {"x:1.5(b)": "x:1.4(b)", "x:1.5(c)": "x:1.4(c)"}
    assert find_moves(before, {**before, "x:9": "Something else entirely, written anew for this version."}) == {}
    assert kept(RISK, RISK + " More.") == 1.0


@pytest.fixture
def store(tmp_path: Path) -> Session:
    engine = create_engine(f"sqlite:///{tmp_path / 'kb.sqlite'}")
    SQLModel.metadata.create_all(engine, tables=[t for t in SQLModel.metadata.sorted_tables if t.name in KNOWLEDGE_TABLES])
    with Session(engine) as session:
        yield session
    engine.dispose()


def _entry() -> SourceEntry:
    return SourceEntry(
        id="x", title="X", short_name="X", issuer="I", jurisdiction="OECD", kind="principles", binding=False,
        language="en", version_date=date(2024, 5, 3), official_url="https://example.org/x",
        clause_url="https://example.org/x#{number}", parser="oecd-markdown", files=("x.md",),
    )  # fmt: skip


def _version(texts: dict[str, str]) -> list[ClauseRecord]:
    return [_record(cid, text, i, kind="item") for i, (cid, text) in enumerate(texts.items())]


def test_a_renumbered_provision_is_a_move_and_its_history_follows_it(store: Session, tmp_path: Path) -> None:
    entry = _entry()
    source = Source(id="x", title="X", short_name="X", issuer="I", jurisdiction="OECD", kind="principles",
                    binding=False, official_url="https://example.org/x")  # fmt: skip
    v2019 = _version({"x:1.4(b)": TRACEABILITY, "x:1.4(c)": RISK})
    v2024 = _version({"x:1.4(b)": NEW_14B, "x:1.4(c)": "", "x:1.5(b)": TRACEABILITY, "x:1.5(c)": RISK})
    apply_version(store, entry, source, v2019, [], "h2019", date(2019, 5, 22))
    changes = apply_version(store, entry, source, v2024, [], "h2024", date(2024, 5, 3))
    assert changes.moved == [("x:1.4(b)", "x:1.5(b)"), ("x:1.4(c)", "x:1.5(c)")]
    assert changes.added == ["x:1.4(b)"]  # new words at the freed number; 1.4(c), left empty, is no news
    assert changes.amended == [] and changes.repealed == []
    first, second = store.exec(select(SourceVersion).order_by(SourceVersion.effective_at)).all()
    assert (second.added, second.amended, second.repealed, second.moved) == (1, 0, 0, 2)
    move = next(c for c in second.changes if c["clause_id"] == "x:1.5(b)")
    assert (move["change"], move["from_id"], move["diff"]) == ("moved", "x:1.4(b)", [["=", TRACEABILITY]])
    versions = store.exec(select(ClauseVersion)).all()
    assert all(v.source_version_id in (first.id, second.id) for v in versions)
    assert {v.clause_id for v in versions if v.source_version_id == first.id} == {"x:1.4(b)", "x:1.4(c)"}
    moved = next(v for v in versions if v.clause_id == "x:1.5(b)")
    assert (moved.moved_from, moved.source_version_id) == ("x:1.4(b)", second.id)
    assert [(v.clause_id, v.text) for v in clause_versions(store, "x:1.5(b)")] == [
        ("x:1.4(b)", TRACEABILITY),
        ("x:1.5(b)", TRACEABILITY),
    ]
    assert [v.text for v in clause_versions(store, "x:1.4(b)")] == [TRACEABILITY, NEW_14B]
