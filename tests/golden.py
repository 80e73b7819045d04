"""Golden outputs of the parser fixtures: the records a tiny fixture must parse to, as JSON beside it.

A golden file is written once from a reviewed parse (``python -m tests.golden FIXTURE PARSER``) and
then only compared: any change in what a parser yields for its fixture shows up as a failing diff.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

from kb.records import ClauseRecord


def as_json(records: list[ClauseRecord]) -> list[dict]:
    return [{**dataclasses.asdict(r), "refs": list(r.refs)} for r in records]


def golden_path(fixture: Path) -> Path:
    return fixture.with_name(fixture.stem + ".expected.json")


def assert_golden(records: list[ClauseRecord], fixture: Path) -> None:
    expected = json.loads(golden_path(fixture).read_text(encoding="utf-8"))
    got = as_json(records)
    assert [r["id"] for r in got] == [r["id"] for r in expected]
    for mine, theirs in zip(got, expected, strict=True):
        assert mine == theirs, mine["id"]


def write_golden(fixture: Path, parser_name: str) -> None:
    from ingest.formats import parser_for

    records = parser_for(parser_name)([fixture.read_bytes()], "").records
    text = json.dumps(as_json(records), ensure_ascii=False, indent=1) + "\n"
    golden_path(fixture).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    write_golden(Path(sys.argv[1]), sys.argv[2])
