"""The parser contract: every registered format turns its fixture into one ParsedDocument."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.formats import PARSERS
from ingest.parsers import ParsedDocument
from kb.records import ClauseRecord

FIXTURES = Path(__file__).parent / "fixtures"
SAMPLES = {
    "formex": (["formex/mini-act.xml"], "mini"),
    "formex-package": (["formex/mini-act.xml", "formex/mini-annex.xml"], "mini"),
    "ccpa-pdf": (["ccpa/tiny_ccpa.pdf"], "ccpa"),
    "hleg-pdf": (["hleg/mini_hleg.pdf"], "hleg"),
    "oecd-markdown": (["oecd/tiny-2024.md"], "oecd"),
    "oecd-commonaccord": (["oecd/tiny-2019.md"], "oecd"),
    "meti-pdf-en": (["meti/mini_meti_en.pdf"], "meti"),
    "meti-pdf-ja": (["meti/mini_meti_ja.pdf"], "meti"),
    "guideline-yaml": (["internal/tiny_guideline.yaml"], "tiny-co"),
    "japanese-law-xml": (["japanese_law/tiny-egov.xml"], "mihon"),
    "nist-airc-html": (["nist/tiny_core.html"], "nist-ai-rmf"),
    "colorado-session-law-pdf": (["colorado/tiny_2026.pdf"], "co-ai-act"),
    "cppa-regs-pdf": (["cppa_regs/tiny_regs.pdf"], "cppa-regs"),
    "meti-governance-text": (["meti-gg/tiny_targets.ja.txt"], "meti-gg"),
}


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_every_format_returns_one_parsed_document(name: str) -> None:
    files, source = SAMPLES[name]
    document = PARSERS[name]([(FIXTURES / f).read_bytes() for f in files], source)
    assert isinstance(document, ParsedDocument)
    assert document.records and all(isinstance(r, ClauseRecord) for r in document.records)
    assert all(r.id.startswith(f"{source}:") for r in document.records)


def test_a_guideline_yields_records_checks_and_its_own_metadata_from_one_read() -> None:
    document = PARSERS["guideline-yaml"]([(FIXTURES / "internal/tiny_guideline.yaml").read_bytes()], "tiny-co")
    assert {c.clause_id for c in document.checks} <= {r.id for r in document.records}
    assert document.checks and document.source["id"] == "tiny-co" and document.source["title"] == "Tiny Co Checks"


def test_every_registered_format_has_a_sample() -> None:
    assert set(PARSERS) - set(SAMPLES) <= {"principles-text"}  # NEC's format needs the real seven headings
