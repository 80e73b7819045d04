"""Parsers for the OECD Recommendation on AI: 2024 markdown capture and 2019 CommonAccord markup."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.parsers import ParseError
from ingest.parsers.oecd_commonaccord import parse_oecd_commonaccord
from ingest.parsers.oecd_markdown import normalise_text, parse_oecd_markdown
from kb.ids import ClauseId
from kb.records import ClauseRecord

FIXTURES = Path(__file__).parent / "fixtures" / "oecd"
MARKDOWN_2024 = "oecd-ai/legalinstruments-2024/51a29205-OECD_Legal_Instruments.md"
COMMONACCORD_2019 = "oecd-ai/commonaccord-2019/Recommendations-of-Council-On-AI.md"


def _real(corpus_dir: Path, relative: str) -> bytes:
    path = corpus_dir / relative
    if not path.is_file():
        pytest.skip(f"corpus file not available: {path}")
    return path.read_bytes()


def _by_id(records: list[ClauseRecord]) -> dict[str, ClauseRecord]:
    return {r.id: r for r in records}


def _assert_contract(records: list[ClauseRecord]) -> None:
    """Ids valid and unique, positions in order, parents/units/refs point at emitted clauses."""
    ids = [r.id for r in records]
    assert len(ids) == len(set(ids))
    seen: set[str] = set()
    for position, record in enumerate(records):
        assert str(ClauseId.parse(record.id)) == record.id
        assert record.position == position
        assert record.language == "en" and record.anchor is None
        assert record.text == normalise_text(record.text)
        assert record.parent is None or record.parent in seen
        assert record.unit == record.id or record.unit in seen
        assert set(record.refs) <= set(ids)
        seen.add(record.id)


def _items(records: list[ClauseRecord], owner: str) -> list[str]:
    return [r.number for r in records if r.parent == owner and r.kind == "item"]


# --- tiny fixtures written for these tests ----------------------------------------------------


def test_tiny_markdown_structure_and_texts() -> None:
    records = parse_oecd_markdown((FIXTURES / "tiny-2024.md").read_bytes())
    _assert_contract(records)
    assert [(r.id, r.kind, r.parent, r.text) for r in records] == [
        ("oecd:preamble", "preamble", None, "THE COUNCIL,"),
        ("oecd:preamble-1", "preamble", "oecd:preamble",
         "HAVING REGARD to the Tiny Convention (T/1);"),
        ("oecd:preamble-2", "preamble", "oecd:preamble",
         "RECOGNISING that small tests find big bugs;"),
        ("oecd:preamble-3", "preamble", "oecd:preamble",
         "On the proposal of the Testing Committee:"),
        ("oecd:op-1", "paragraph", None, "AGREES that the following terms are used:"),
        ("oecd:def-test-case", "definition", "oecd:op-1", "A test case is a small check."),
        ("oecd:section-1", "section", None, ""),
        ("oecd:op-2", "paragraph", "oecd:section-1",
         "RECOMMENDS that Adherents apply the principles."),
        ("oecd:1.1", "principle", "oecd:section-1", ""),
        ("oecd:1.1(a)", "item", "oecd:1.1", "Tests should be small."),
        ("oecd:1.1(b)", "item", "oecd:1.1", "Tests should be exact."),
        ("oecd:1.2", "principle", "oecd:section-1", "Actors should be clear:"),
        ("oecd:1.2(i)", "item", "oecd:1.2", "to say what,"),
        ("oecd:1.2(ii)", "item", "oecd:1.2", "to say why."),
        ("oecd:section-2", "section", None, ""),
        ("oecd:op-3", "paragraph", "oecd:section-2",
         "RECOMMENDS that Adherents follow the principles in section 1."),
        ("oecd:2.1", "principle", "oecd:section-2", "Governments should fund tests."),
        ("oecd:op-4", "paragraph", None, "INSTRUCTS the Testing Committee to:"),
        ("oecd:op-4(a)", "item", "oecd:op-4", "report back."),
    ]
    by_id = _by_id(records)
    assert by_id["oecd:1.1"].title == "Small inputs"
    assert (by_id["oecd:1.1"].label, by_id["oecd:1.1"].number) == ("1.1", "1.1")
    assert (by_id["oecd:1.2(ii)"].label, by_id["oecd:1.2(ii)"].number) == ("1.2(ii)", "(ii)")
    assert by_id["oecd:1.2(ii)"].unit == "oecd:1.2"
    assert by_id["oecd:section-2"].title == "Policies for tests"
    assert by_id["oecd:def-test-case"].title == "Test case"
    assert (by_id["oecd:op-4"].number, by_id["oecd:op-4(a)"].label) == ("IV", "Para. IV(a)")
    assert by_id["oecd:op-3"].refs == ("oecd:section-1",)
    all_text = " ".join(f"{r.text} {r.title or ''}" for r in records)
    for furniture in ("Tiny header", "Snapshot", "background", "Ruritania", "©OECD", "Download"):
        assert furniture not in all_text


def test_tiny_commonaccord_matches_markdown_ids_and_unchanged_texts() -> None:
    old = parse_oecd_commonaccord((FIXTURES / "tiny-2019.md").read_bytes())
    new = parse_oecd_markdown((FIXTURES / "tiny-2024.md").read_bytes())
    _assert_contract(old)
    old_by_id, new_by_id = _by_id(old), _by_id(new)
    assert set(new_by_id) - set(old_by_id) == {"oecd:1.2(ii)"}
    assert set(old_by_id) - set(new_by_id) == set()
    changed = {i for i in old_by_id if old_by_id[i].text != new_by_id[i].text}
    assert changed == {"oecd:preamble-3", "oecd:1.2(i)", "oecd:op-4", "oecd:op-4(a)"}
    for cid, record in old_by_id.items():
        assert (record.kind, record.parent, record.unit, record.label, record.title) == (
            new_by_id[cid].kind, new_by_id[cid].parent, new_by_id[cid].unit,
            new_by_id[cid].label, new_by_id[cid].title,
        ), cid
    assert old_by_id["oecd:preamble-3"].text == "On the proposal of the Old Committee:"
    assert old_by_id["oecd:2.1"].text == "Governments should fund tests."  # {Verb} expanded
    assert old_by_id["oecd:op-3"].refs == ("oecd:section-1",)
    assert "editorial note" not in " ".join(r.text for r in old)


def test_parsers_are_deterministic() -> None:
    data = (FIXTURES / "tiny-2019.md").read_bytes()
    assert parse_oecd_commonaccord(data) == parse_oecd_commonaccord(data)


# --- the real documents -----------------------------------------------------------------------


EXPECTED_ITEMS = {
    "oecd:1.1": [], "oecd:1.2": ["(a)", "(b)"], "oecd:1.3": ["(i)", "(ii)", "(iii)", "(iv)"],
    "oecd:1.4": ["(a)", "(b)", "(c)"], "oecd:1.5": ["(a)", "(b)", "(c)"],
    "oecd:2.1": ["(a)", "(b)"], "oecd:2.2": [], "oecd:2.3": ["(a)", "(b)"],
    "oecd:2.4": ["(a)", "(b)", "(c)"], "oecd:2.5": ["(a)", "(b)", "(c)", "(d)"],
}
DEFINITIONS = {"oecd:def-ai-system", "oecd:def-ai-system-lifecycle", "oecd:def-ai-actors",
               "oecd:def-ai-knowledge", "oecd:def-stakeholders"}


def _kinds(records: list[ClauseRecord]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for record in records:
        counts[record.kind] = counts.get(record.kind, 0) + 1
    return counts


def test_real_2024_markdown(corpus_dir: Path) -> None:
    records = parse_oecd_markdown(_real(corpus_dir, MARKDOWN_2024))
    _assert_contract(records)
    by_id = _by_id(records)
    assert _kinds(records) == {"preamble": 13, "paragraph": 8, "definition": 5, "section": 2,
                               "principle": 10, "item": 27}
    assert {r.id for r in records if r.kind == "definition"} == DEFINITIONS
    assert [r.id for r in records if r.kind == "principle"] == list(EXPECTED_ITEMS)
    for principle, items in EXPECTED_ITEMS.items():
        assert _items(records, principle) == items, principle
    assert [r.number for r in records if r.kind == "paragraph"] == [
        "I", "II", "III", "IV", "V", "VI", "VII", "VIII"]
    assert _items(records, "oecd:op-8") == ["(a)", "(b)", "(c)", "(d)"]
    assert "decommissioned safely" in by_id["oecd:1.4(b)"].text
    assert by_id["oecd:1.1"].title == "Inclusive growth, sustainable development and well-being"
    assert by_id["oecd:1.2(a)"].text.startswith("AI actors should respect the rule of law")
    assert by_id["oecd:def-ai-system"].title == "AI system"
    assert by_id["oecd:preamble-1"].text.startswith("HAVING REGARD to Article 5 b) of the")
    assert "(A/RES/70/1)" in by_id["oecd:preamble-3"].text
    assert by_id["oecd:op-5"].refs == ("oecd:section-1",)
    assert records[-1].id == "oecd:op-8(d)"
    everything = " ".join(f"{r.text} {r.title or ''}" for r in records)
    for outside in ("Snapshot date", "**", "Background information", "Argentina",
                    "European Union (EU)", "©OECD", "Compendium", "Download/Print"):
        assert outside not in everything, outside


def test_real_2019_commonaccord(corpus_dir: Path) -> None:
    records = parse_oecd_commonaccord(_real(corpus_dir, COMMONACCORD_2019))
    _assert_contract(records)
    by_id = _by_id(records)
    assert _kinds(records) == {"preamble": 13, "paragraph": 8, "definition": 5, "section": 2,
                               "principle": 10, "item": 24}
    assert {r.id for r in records if r.kind == "definition"} == DEFINITIONS
    expected_2019 = {**EXPECTED_ITEMS, "oecd:1.5": []}  # 1.5 had no items before 2024
    for principle, items in expected_2019.items():
        assert _items(records, principle) == items, principle
    assert _items(records, "oecd:op-8") == ["(a)", "(b)", "(c)", "(d)"]
    assert by_id["oecd:1.2"].title == "Human-centred values and fairness"
    assert by_id["oecd:op-5"].text.startswith("RECOMMENDS that Adherents")
    assert "traceability" in by_id["oecd:1.4(b)"].text
    everything = " ".join(r.text for r in records)
    assert "COVID" not in everything and "<" not in everything and "{" not in everything


def test_real_versions_share_ids_and_compare_equal_when_unchanged(corpus_dir: Path) -> None:
    new = _by_id(parse_oecd_markdown(_real(corpus_dir, MARKDOWN_2024)))
    old = _by_id(parse_oecd_commonaccord(_real(corpus_dir, COMMONACCORD_2019)))
    assert set(new) - set(old) == {"oecd:1.5(a)", "oecd:1.5(b)", "oecd:1.5(c)"}
    assert set(old) - set(new) == set()
    unchanged = {cid for cid in old if old[cid].text == new[cid].text}
    for cid in ("oecd:preamble", "oecd:preamble-1", "oecd:preamble-3", "oecd:op-1", "oecd:op-2",
                "oecd:op-5", "oecd:op-6", "oecd:def-ai-actors", "oecd:def-stakeholders",
                "oecd:1.3", "oecd:2.5(b)", "oecd:2.5(c)", "oecd:section-1", "oecd:section-2"):
        assert cid in unchanged, cid
    for cid in ("oecd:def-ai-system", "oecd:1.4(b)", "oecd:2.5(d)", "oecd:op-8"):
        assert cid not in unchanged, cid  # amended in 2023/2024
    assert len(unchanged) == 33


# --- malformed input ------------------------------------------------------------------------


@pytest.mark.parametrize("data", [b"", b"\x00\x01\xff\xfe garbage", b"just some text\n", b"\xff"])
def test_garbage_raises(data: bytes) -> None:
    with pytest.raises(ParseError):
        parse_oecd_markdown(data)
    with pytest.raises(ParseError):
        parse_oecd_commonaccord(data)


def test_wrong_format_raises() -> None:
    with pytest.raises(ParseError):
        parse_oecd_markdown((FIXTURES / "tiny-2019.md").read_bytes())
    with pytest.raises(ParseError):
        parse_oecd_commonaccord((FIXTURES / "tiny-2024.md").read_bytes())


def test_truncated_markdown_raises() -> None:
    data = (FIXTURES / "tiny-2024.md").read_bytes()
    cut = data[: data.index(b"2.1. Funding")]
    with pytest.raises(ParseError, match="truncated"):
        parse_oecd_markdown(cut)


def test_truncated_commonaccord_raises() -> None:
    data = (FIXTURES / "tiny-2019.md").read_bytes()
    cut = data[: data.index(b"1.1.=[G/Z")]
    with pytest.raises(ParseError, match="truncated"):
        parse_oecd_commonaccord(cut)


def test_missing_item_raises() -> None:
    data = (FIXTURES / "tiny-2024.md").read_bytes()
    data = data.replace(b"b)\nTests should", b"c)\nTests should")
    with pytest.raises(ParseError, match="out of sequence"):
        parse_oecd_markdown(data)


@pytest.mark.parametrize("fraction", [0.3, 0.5, 0.7, 0.85])
def test_truncated_real_files_raise(corpus_dir: Path, fraction: float) -> None:
    new = _real(corpus_dir, MARKDOWN_2024)
    end_of_text = new.index(b"\nBackground information\n\nThe Recommendation")
    with pytest.raises(ParseError):
        parse_oecd_markdown(new[: int(end_of_text * fraction)])
    old = _real(corpus_dir, COMMONACCORD_2019)
    with pytest.raises(ParseError):
        parse_oecd_commonaccord(old[: int(len(old) * fraction)])
