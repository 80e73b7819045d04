"""METI's governance action targets, read from the appendix overview's text layout."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import pytest

from ingest.fidelity import check_source
from ingest.parsers import ParseError
from ingest.parsers.meti_governance import parse_governance_targets
from kb.ids import ClauseId

FIXTURES = Path(__file__).parent / "fixtures" / "meti-gg"
REAL_FILE = Path("meti") / "aigfb_v1.0_ja_appendix-overview_DRAFT_2024-04.txt"


def _records(data: bytes) -> list[dict]:
    records = [asdict(r) for r in parse_governance_targets(data)]
    for record in records:
        record["refs"] = list(record["refs"])
    return records


def test_tiny_fixture_matches_its_golden_output() -> None:
    expected = json.loads((FIXTURES / "tiny_targets.expected.json").read_text(encoding="utf-8"))
    assert _records((FIXTURES / "tiny_targets.ja.txt").read_bytes()) == expected


def test_the_commentary_column_is_dropped_and_ids_round_trip() -> None:
    data = (FIXTURES / "tiny_targets.ja.txt").read_bytes()
    records = parse_governance_targets(data)
    assert not any("解説" in r.text for r in records)
    for record in records:
        assert str(ClauseId.parse(record.id)) == record.id
        assert record.unit == str(ClauseId.parse(record.id).unit)
    # reading order: the target spelled out (1-1) comes where its wording is, after the table
    assert [r.id for r in records if r.kind == "item"] == [
        "meti-gg:1-2",
        "meti-gg:2-1",
        "meti-gg:3-1-1",
        "meti-gg:3-1-2",
        "meti-gg:1-1",
    ]
    assert check_source("meti-governance-text", [data], records) == []


def test_a_text_without_the_targets_table_is_refused() -> None:
    with pytest.raises(ParseError, match="no table of action targets"):
        parse_governance_targets("分類のない資料\n".encode())


def test_a_target_under_the_wrong_category_is_refused() -> None:
    text = " 分類   行動目標\n 1. 環境     2-1 ずれた番号\n"
    with pytest.raises(ParseError, match="not under a category"):
        parse_governance_targets(text.encode())


def test_the_real_overview_lists_six_categories_and_fourteen_targets(corpus_dir: Path) -> None:
    records = parse_governance_targets((corpus_dir / REAL_FILE).read_bytes())
    kinds = [r.kind for r in records]
    assert (kinds.count("section"), kinds.count("item"), kinds.count("point")) == (6, 14, 4)
    by_id = {r.id: r for r in records}
    assert by_id["meti-gg:1-1"].text.startswith("各主体は、経営層のリーダーシップの下")
    assert by_id["meti-gg:1-1"].text.endswith("適時に理解を更新する。")
    assert by_id["meti-gg:6-1"].parent == "meti-gg:cat-6"


def test_every_clause_of_the_shipped_meti_framework_is_in_the_real_text(corpus_dir: Path) -> None:
    from kb.frameworks import load_frameworks
    from kb.settings import REPO_ROOT

    parsed = {r.id for r in parse_governance_targets((corpus_dir / REAL_FILE).read_bytes())}
    framework = load_frameworks(REPO_ROOT / "corpus")["meti-gg"]
    referenced = {i.clause for i in framework.items} | {c.clause for c in framework.categories}
    assert referenced <= parsed, sorted(referenced - parsed)
    assert {i for i in parsed if "(" not in i and ":cat-" not in i} == {i.clause for i in framework.items}
