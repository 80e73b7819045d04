"""The Colorado AI Act (C.R.S. 6-1 part 17) from Colorado session-law PDFs, and its history:
SB 24-205 (2024), repealed and re-enacted by SB 26-189 (2026)."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import Session, select

from ingest.history import apply_version
from ingest.parsers import ParseError
from ingest.parsers.colorado_session_law_pdf import parse_colorado_session_law_pdf
from kb.database import sqlite_engine, upgrade
from kb.models import ClauseVersion, Source, SourceVersion
from kb.registry import load_registry
from tests.golden import assert_golden

FIXTURES = Path(__file__).parent / "fixtures" / "colorado"
TINY_2024, TINY_2026 = FIXTURES / "tiny_2024.pdf", FIXTURES / "tiny_2026.pdf"
REAL_2024 = Path("colorado-ai-act") / "sb24-205-original" / "us-co-sb24-205-ch198-session-law.pdf"
REAL_2026 = Path("colorado-ai-act") / "sb26-189-current" / "us-co-sb26-189-ch131-session-law.pdf"
REGISTRY = Path(__file__).parents[1] / "corpus"


@pytest.mark.parametrize("fixture", [TINY_2024, TINY_2026], ids=["2024", "2026"])
def test_tiny_acts_parse_to_their_golden_records(fixture: Path) -> None:
    assert_golden(parse_colorado_session_law_pdf(fixture.read_bytes()), fixture)


def test_tiny_layout_rules() -> None:
    records = {r.id: r for r in parse_colorado_session_law_pdf(TINY_2024.read_bytes())}
    first = records["co-ai-act:6-1-1701"]
    assert first.text == "As used in this part 17, unless the context otherwise requires:"  # case restored
    assert records["co-ai-act:6-1-1702"].title == "Developer duty to avoid discrimination - required documentation"
    assert records["co-ai-act:6-1-1701(2)"].title == "System"  # the term of (2)(a), as in "(2) (a) "System" means"
    assert records["co-ai-act:6-1-1701(2)(a)"].text.endswith("tool that infers outputs from inputs.")
    # a "(2)" wrapped to the start of a line is a reference, not a new subsection
    assert records["co-ai-act:6-1-1702(1)"].text.endswith("except as provided in subsection (2) of this section.")
    assert records["co-ai-act:6-1-1702(1)"].refs == ("co-ai-act:6-1-1702(2)",)
    assert records["co-ai-act:6-1-1702(2)"].refs == ("co-ai-act:6-1-1701(2)(b)",)
    assert records["co-ai-act:6-1-1702(3)(a)(I)"].text == "Networking; and"  # the letter after (H), not roman one
    assert "co-ai-act:6-1-1702(3)(b)" in records  # the list goes back up a level after (I)
    texts = " ".join(r.text for r in records.values())
    assert "indicate new material" not in texts and "Safety clause" not in texts and "Ch. 9" not in texts
    later = {r.id: r for r in parse_colorado_session_law_pdf(TINY_2026.read_bytes())}
    assert later["co-ai-act:6-1-1701(2)"].text.endswith("Output includes scores.")  # a letter-spaced line


def test_a_pdf_without_part_17_is_refused() -> None:
    data = TINY_2024.read_bytes().replace(b"(6-1-1701.  Definitions. )", b"(6-1-1301.  Definitions. )")
    with pytest.raises(ParseError):
        parse_colorado_session_law_pdf(data)
    with pytest.raises(ParseError, match="not a PDF"):
        parse_colorado_session_law_pdf(b"plain text")


def _apply_both(tmp_path: Path, older: bytes, newer: bytes) -> Session:
    entry = next(e for e in load_registry(REGISTRY) if e.id == "co-ai-act")
    engine = sqlite_engine(tmp_path / "kb.sqlite")
    upgrade(engine)
    session = Session(engine)
    source = Source(id=entry.id, title=entry.title, short_name=entry.short_name, issuer=entry.issuer,
                    jurisdiction=entry.jurisdiction, kind=entry.kind, binding=entry.binding,
                    official_url=entry.official_url)
    apply_version(session, entry, source, parse_colorado_session_law_pdf(older), [], "old", date(2024, 5, 17))
    apply_version(session, entry, source, parse_colorado_session_law_pdf(newer), [], "new", entry.version_date,
                  entry.reenacted)
    return session


def test_repeal_and_reenactment_is_recorded_as_such(tmp_path: Path) -> None:
    session = _apply_both(tmp_path, TINY_2024.read_bytes(), TINY_2026.read_bytes())
    first, second = session.exec(select(SourceVersion).order_by(SourceVersion.effective_at)).all()
    assert first.version_date == date(2024, 5, 17) and first.added == 22
    changes = {c["clause_id"]: c for c in second.changes}
    assert {c["change"] for c in second.changes} == {"re-enacted", "repealed", "added"}
    assert all(c["note"].startswith("SB 26-189") for c in second.changes)
    # a section carried on under its number is re-enacted, even where its words did not change
    assert changes["co-ai-act:6-1-1701"]["change"] == "re-enacted"
    assert changes["co-ai-act:6-1-1701"]["diff"] == [["=", first_text := changes["co-ai-act:6-1-1701"]["diff"][0][1]]]
    assert first_text.startswith("As used in this part 17")
    assert changes["co-ai-act:6-1-1702"]["title_before"].startswith("Developer duty")
    assert changes["co-ai-act:6-1-1702(3)"]["change"] == "repealed"
    assert changes["co-ai-act:6-1-1703"]["change"] == "added"
    assert (second.added, second.amended, second.repealed) == (1, 5, 17)
    versions = session.exec(select(ClauseVersion).where(ClauseVersion.clause_id == "co-ai-act:6-1-1701")).all()
    assert len(versions) == 2 and versions[0].valid_to is not None  # the 2024 text is closed, not overwritten


def test_reparsing_the_same_version_records_no_reenactment(tmp_path: Path) -> None:
    session = _apply_both(tmp_path, TINY_2024.read_bytes(), TINY_2026.read_bytes())
    entry = next(e for e in load_registry(REGISTRY) if e.id == "co-ai-act")
    source = session.get(Source, "co-ai-act")
    changes = apply_version(session, entry, source, parse_colorado_session_law_pdf(TINY_2026.read_bytes()), [],
                            "new", entry.version_date, entry.reenacted)
    assert not changes


@pytest.mark.corpus
def test_real_acts(corpus_dir: Path) -> None:
    current = parse_colorado_session_law_pdf((corpus_dir / REAL_2026).read_bytes())
    original = parse_colorado_session_law_pdf((corpus_dir / REAL_2024).read_bytes())
    assert [r.id for r in current if r.kind == "article"] == [f"co-ai-act:6-1-17{n:02d}" for n in range(1, 10)]
    assert [r.id for r in original if r.kind == "article"] == [f"co-ai-act:6-1-17{n:02d}" for n in range(1, 8)]
    assert Counter(r.kind for r in current)["definition"] == 17
    assert Counter(r.kind for r in original)["definition"] == 12
    by_id = {r.id: r for r in current}
    assert by_id["co-ai-act:6-1-1703"].title == "Deployer record keeping"
    assert by_id["co-ai-act:6-1-1701(6)(b)"].text.startswith("Employment or an employment opportunity")
    assert by_id["co-ai-act:6-1-1701(2)(a)"].text.startswith(
        '"Automated decision-making technology" or "ADMT" means a technology that processes personal data'
    )
    assert "generate output, including predictions" in by_id["co-ai-act:6-1-1701(2)(a)"].text
    assert by_id["co-ai-act:6-1-1701(2)(b)(I)(I)"].text == "Networking;"
    assert by_id["co-ai-act:6-1-1706(1)(b)"].refs == tuple(f"co-ai-act:6-1-170{n}" for n in (2, 3, 4, 5))
    assert not any("indicate new material" in r.text or "Consumer and Commercial" in r.text for r in current)
    old = {r.id: r for r in original}
    assert old["co-ai-act:6-1-1703"].title.startswith("Deployer duty to avoid algorithmic discrimination")


@pytest.mark.corpus
def test_real_history_is_a_reenactment(tmp_path: Path, corpus_dir: Path) -> None:
    session = _apply_both(tmp_path, (corpus_dir / REAL_2024).read_bytes(), (corpus_dir / REAL_2026).read_bytes())
    _, second = session.exec(select(SourceVersion).order_by(SourceVersion.effective_at)).all()
    kinds = Counter(c["change"] for c in second.changes)
    assert "amended" not in kinds and kinds["re-enacted"] == second.amended > 0
    changes = {c["clause_id"]: c for c in second.changes}
    assert changes["co-ai-act:6-1-1707"]["title_before"] == "Rules"
    assert changes["co-ai-act:6-1-1707"]["title_after"].startswith("Liability - fault - allocation")
    assert changes["co-ai-act:6-1-1709"]["change"] == "added"
