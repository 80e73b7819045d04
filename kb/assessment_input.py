"""Reading an assessment from a file (``kb assess create|revise FILE``): YAML with the fields of
``AssessmentIn`` (id, framework, organisation, business_unit, assessed_on, author, entries), or CSV
with one row per item (columns ``item, current, target, evidence, links``; links separated by
spaces) whose other fields come from the command's options."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import yaml

from kb.assessment import InvalidAssessment

CSV_COLUMNS = ("item", "current", "target", "evidence", "links")


def read_assessment_file(path: Path) -> dict:
    """The file's fields as a dict for ``AssessmentIn`` / ``RevisionIn`` (validated by the caller)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidAssessment(f"cannot read {path}: {exc}") from exc
    if path.suffix.lower() == ".csv":
        return {"entries": _csv_entries(text, path.name)}
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InvalidAssessment(f"{path.name}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise InvalidAssessment(f"{path.name}: expected a mapping with 'entries' (and id, framework, …)")
    return data


def _csv_entries(text: str, name: str) -> list[dict]:
    reader = csv.DictReader(io.StringIO(text))
    columns = tuple(reader.fieldnames or ())
    unknown = set(columns) - set(CSV_COLUMNS)
    if "item" not in columns or unknown:
        raise InvalidAssessment(
            f"{name}: the columns must be among {', '.join(CSV_COLUMNS)} with 'item' present; "
            f"found {', '.join(columns)}"
        )
    entries = []
    for line, row in enumerate(reader, start=2):
        entry: dict = {"item": (row.get("item") or "").strip()}
        for level in ("current", "target"):
            value = (row.get(level) or "").strip().removeprefix("Lv.").removeprefix("lv.")
            if value:
                if not value.isdigit():
                    raise InvalidAssessment(f"{name} line {line}: {level} {value!r} is not a level number")
                entry[level] = int(value)
        entry["evidence"] = (row.get("evidence") or "").strip()
        entry["links"] = (row.get("links") or "").split()
        entries.append(entry)
    return entries
