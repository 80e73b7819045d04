"""NIST AI RMF 1.0: the Core from NIST's AIRC web edition (HTML)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from ingest.parsers import ParseError
from ingest.parsers.nist_airc_html import parse_nist_airc_html
from tests.golden import assert_golden

TINY = Path(__file__).parent / "fixtures" / "nist" / "tiny_core.html"
REAL = Path("nist-ai-rmf") / "airc-html-2026-07-20" / "nist-airc-ai-rmf-1-0-core-2026-07-20.html"


def test_tiny_page_parses_to_its_golden_records() -> None:
    assert_golden(parse_nist_airc_html(TINY.read_bytes()), TINY)


def test_tiny_page_hierarchy_and_small_capitals() -> None:
    records = {r.id: r for r in parse_nist_airc_html(TINY.read_bytes())}
    assert records["nist-ai-rmf:govern-1.2"].parent == "nist-ai-rmf:govern-1"
    assert records["nist-ai-rmf:govern-1.2"].unit == "nist-ai-rmf:govern-1"
    assert records["nist-ai-rmf:govern-1.2"].text == "Trustworthy AI is built into MAP work."  # small caps as capitals
    assert records["nist-ai-rmf:govern"].text.startswith("The GOVERN function: • sets a culture")
    assert "Playbook" not in records["nist-ai-rmf:govern"].text  # the "Table 1 lists …" pointer is not the function
    assert "9.9" not in " ".join(r.text for r in records.values())  # scripts and navigation are not text


@pytest.mark.parametrize(
    ("html", "message"),
    [
        (b"<html><body><h2 id='ssec:govern'>Govern</h2></body></html>", "four Core functions"),
        (TINY.read_bytes().replace(b"Govern 1.1</span>:", b"Map 1.1</span>:"), "outcome id"),
        (TINY.read_bytes().replace(b"Govern 1.2</span>", b"Govern 2.2</span>"), "under its category"),
        (b"\xff\xfe<html>", "UTF-8"),
    ],
)
def test_bad_pages_raise_parse_error(html: bytes, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        parse_nist_airc_html(html)


@pytest.mark.corpus
def test_real_core_has_every_function_category_and_subcategory(corpus_dir: Path) -> None:
    records = parse_nist_airc_html((corpus_dir / REAL).read_bytes())
    assert Counter(r.kind for r in records) == {"function": 4, "category": 19, "subcategory": 72}
    per_function = Counter(r.id.split(":")[1].split("-")[0] for r in records if r.kind == "subcategory")
    assert per_function == {"govern": 19, "map": 18, "measure": 22, "manage": 13}
    by_id = {r.id: r for r in records}
    assert by_id["nist-ai-rmf:govern-1.1"].text == (
        "Legal and regulatory requirements involving AI are understood, managed, and documented."
    )
    assert by_id["nist-ai-rmf:govern-4"].text.startswith("Organizational teams are committed to a culture")
    assert by_id["nist-ai-rmf:manage-4.3"].label == "MANAGE 4.3"
    assert all(r.text for r in records)
