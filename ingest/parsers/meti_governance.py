"""METI's AI governance action targets (行動目標), as the appendix overview of the AI Guidelines for
Business lists them (text extracted with ``pdftotext -layout``).

The overview deck carries, on one slide, the table of the governance action targets by category
(分類): ``1. 環境・リスク分析     1-1 便益/リスクの理解`` — a category number and name on the line of its
first target, the further targets of the category on the lines below. A later slide gives the full
wording of one target (``行動目標1-1【便益/リスクの理解】：`` followed by its sentence) and its practice
points (``[実践のポイント]``: a lead-in and ``•`` bullets). Slides are laid out in two columns; the
right one is the slide's commentary (解説), dropped here: a line that starts far right is
commentary only, and a left-column line ends where a run of three or more spaces begins.

Records: ``<source>:cat-1`` … (kind "section", the category), ``<source>:1-1``, ``<source>:3-1-1``
… (kind "item", the target: its full wording where the text has it, else its short name) and
``<source>:1-1(p1)`` … (kind "point", the practice points where the text has them). Language "ja".

The ids are the targets' own numbers, so a fuller text of the same targets (the appendix itself,
or the Governance Guidelines Ver. 1.1) can later replace this one through a registry update
without changing an id: the history then records the wording as amended. Quirks:

* The overview subdivides no target in its table ("※ 「3-1-1」のように更に細分化されているものもあり"),
  but three-part numbers are read all the same.
* The wording and practice points of the example target end in ``・ ・ ・`` on the slide: what is
  there is kept; the points list is what the slide shows, not the appendix's whole list.
* Records are in reading order, so a target whose wording is spelled out (1-1) comes after the
  table, where its wording is, followed by its practice points.
"""

from __future__ import annotations

import re
from dataclasses import replace

from ingest.parsers import ParseError, decode_text
from kb.ids import ClauseId, InvalidClauseId
from kb.records import ClauseRecord
from kb.text import join_wrapped

_LANGUAGE = "ja"
_TABLE_HEADER = re.compile(r"分類\s+行動目標")
_TARGET_ROW = re.compile(
    r"^\s*(?:(?P<cat>\d)\.\s*(?P<cat_name>\S+?)\s{2,})?(?P<number>\d-\d(?:-\d)?)\s+(?P<name>\S.*?)\s*$"
)
_WORDING_HEAD = re.compile(r"行動目標(?P<number>\d-\d(?:-\d)?)【(?P<name>[^】]+)】[：:]")
_POINTS_HEAD = "[実践のポイント]"
_COMMENTARY_INDENT = 10  # a line indented further than this holds only the right column
_COLUMN_GAP = re.compile(r"\s{3,}")


def parse_governance_targets(data: bytes, *, source: str = "meti-gg") -> list[ClauseRecord]:
    """Categories, action targets and practice points, in reading order."""
    _check_source(source)
    lines = decode_text(data, "text").replace("\f", "\n").splitlines()
    rows = _table_rows(lines)
    wordings = _wordings(lines)
    points = _practice_points(lines)
    records: list[ClauseRecord] = []
    spelled_out: list[ClauseRecord] = []  # targets with their wording, read where the wording is
    category = None
    for cat, cat_name, number, name in rows:
        if cat is not None:
            category = f"{source}:cat-{cat}"
            records.append(_category_record(category, cat, cat_name))
        if category is None or not number.startswith(f"{category.rsplit('-', 1)[1]}-"):
            raise ParseError(f"action target {number} is not under a category of its number")
        target = f"{source}:{number}"
        (spelled_out if number in wordings else records).append(
            _target_record(target, category, number, name, wordings.get(number))
        )
    for record in spelled_out:
        records.append(record)
        records += [
            _point_record(record.id, record.number, k, p) for k, p in enumerate(points.get(record.number, []), 1)
        ]
    return [_at(record, i) for i, record in enumerate(records)]


def layout_text(data: bytes) -> str:
    """The text as the parser reads it (for the fidelity check): the rows of the targets' table
    whole, the left column of every other line (the commentary column dropped)."""
    lines = decode_text(data, "text").replace("\f", "\n").splitlines()
    return "\n".join(line.strip() if _TARGET_ROW.match(line) else _left_column(line) for line in lines)


def _check_source(source: str) -> None:
    try:
        ClauseId.parse(f"{source}:1-1")
    except InvalidClauseId as exc:
        raise ParseError(f"invalid source name {source!r}: {exc}") from exc


def _left_column(line: str) -> str:
    """The left column's words on a layout line ('' for a commentary-only line)."""
    stripped = line.lstrip()
    if not stripped or len(line) - len(stripped) > _COMMENTARY_INDENT:
        return ""
    return _COLUMN_GAP.split(stripped, maxsplit=1)[0].strip()


def _table_rows(lines: list[str]) -> list[tuple[str | None, str | None, str, str]]:
    """(category number, category name, target number, target name) of the targets' table."""
    start = next((i for i, line in enumerate(lines) if _TABLE_HEADER.search(line)), None)
    if start is None:
        raise ParseError("no table of action targets (a line '分類 … 行動目標') found")
    rows = []
    for line in lines[start + 1 :]:
        match = _TARGET_ROW.match(line)
        if match:
            rows.append((match["cat"], match["cat_name"], match["number"], match["name"]))
        elif line.strip():
            break  # the slide's page number, or the next slide
    if not rows:
        raise ParseError("the table of action targets has no rows ('1-1 …')")
    numbers = [number for _, _, number, _ in rows]
    if len(set(numbers)) != len(numbers):
        raise ParseError(f"an action target is listed twice: {numbers}")
    return rows


def _paragraph_after(lines: list[str], start: int) -> list[str]:
    """The left-column lines from ``start`` to the next blank (or commentary-only) line."""
    taken = []
    for line in lines[start:]:
        left = _left_column(line)
        if not left:
            break
        taken.append(left)
    return taken


def _wordings(lines: list[str]) -> dict[str, str]:
    """The full wording of each target the text spells out, by number."""
    found = {}
    for i, line in enumerate(lines):
        match = _WORDING_HEAD.search(_left_column(line))
        if match:
            text = ""
            for part in _paragraph_after(lines, i + 1):
                text = join_wrapped(text, part)
            if text:
                found[match["number"]] = _normalise(text)
    return found


def _practice_points(lines: list[str]) -> dict[str, list[str]]:
    """The practice points that follow a target's wording, by the target's number."""
    found: dict[str, list[str]] = {}
    current = None
    for i, line in enumerate(lines):
        match = _WORDING_HEAD.search(_left_column(line))
        if match:
            current = match["number"]
        elif current and _left_column(line) == _POINTS_HEAD:
            found[current] = _bullets(_paragraph_after(lines, i + 1))
            current = None
    return found


def _bullets(parts: list[str]) -> list[str]:
    """Bulleted points (the lead-in before the first bullet is not a point)."""
    points: list[str] = []
    for part in parts:
        if part.startswith("•"):
            points.append(part.lstrip("• ").strip())
        elif points:
            points[-1] = join_wrapped(points[-1], part)
    return [_normalise(p) for p in points]


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _category_record(clause_id: str, number: str, name: str | None) -> ClauseRecord:
    return ClauseRecord(
        id=clause_id,
        kind="section",
        number=number,
        label=f"Category {number}",
        text=name or "",
        unit=clause_id,
        title=name,
        language=_LANGUAGE,
    )


def _target_record(clause_id: str, category: str, number: str, name: str, wording: str | None) -> ClauseRecord:
    return ClauseRecord(
        id=clause_id,
        kind="item",
        number=number,
        label=f"Action target {number}",
        text=wording or name,
        parent=category,
        unit=clause_id,
        title=name,
        language=_LANGUAGE,
    )


def _point_record(target: str, number: str, k: int, text: str) -> ClauseRecord:
    return ClauseRecord(
        id=f"{target}(p{k})",
        kind="point",
        number=f"p{k}",
        label=f"Action target {number}, practice point {k}",
        text=text,
        parent=target,
        unit=target,
        language=_LANGUAGE,
    )


def _at(record: ClauseRecord, position: int) -> ClauseRecord:
    return replace(record, position=position)
