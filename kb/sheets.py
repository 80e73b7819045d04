"""Company check sheets and their scope: a sheet's principles and checks come back only for use cases
it covers (``scope`` in ``corpus/internal/*.yaml``), and the answer says, for every sheet, whether it
applies and why, instead of showing the nearest sheet for everything.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ingest.parsers import ParseError
from ingest.parsers.guideline_yaml import SheetScope, guideline_source
from kb.cues import Cue, Text
from kb.registry import INTERNAL_DIR


@dataclass(frozen=True)
class Sheet:
    source_id: str
    title: str
    scope: SheetScope | None  # None: the sheet declares no scope and applies to every use case


@dataclass(frozen=True)
class SheetDecision:
    """Whether a company sheet applies to the use case, and why (the words that put it in scope)."""

    source_id: str
    title: str
    applies: bool
    why: str


@lru_cache(maxsize=4)
def load_sheets(registry_dir: Path) -> tuple[Sheet, ...]:
    """Every company guideline in ``internal/``; a file that does not parse is left to ingest to report."""
    sheets = []
    for path in sorted((registry_dir / INTERNAL_DIR).glob("*.yaml")):
        try:
            source = guideline_source(path.read_bytes())
        except (OSError, ParseError):
            continue
        sheets.append(Sheet(source.id, source.title, source.scope))
    return tuple(sheets)


def decide(sheets: tuple[Sheet, ...], description: str, present: set[str]) -> list[SheetDecision]:
    """One decision per sheet ingested in the knowledge base (``present``)."""
    text = Text(description)
    out = []
    for sheet in sheets:
        if sheet.source_id not in present:
            continue
        if sheet.scope is None:
            why = "the sheet declares no scope: it covers every use case"
            out.append(SheetDecision(sheet.source_id, sheet.title, True, why))
            continue
        words = text.match_any(tuple(Cue(cue) for cue in sheet.scope.match))
        veto = text.match_any(tuple(Cue(cue) for cue in sheet.scope.unless)) if words else None
        if words and veto:
            why = f"out of scope: {', '.join(repr(w) for w in veto)} — the sheet covers {_lower(sheet.scope.summary)}"
            out.append(SheetDecision(sheet.source_id, sheet.title, False, why))
            continue
        if words:
            why = f"in scope ({sheet.scope.summary}): the description says {', '.join(repr(w) for w in words)}"
        else:
            why = f"out of scope: the sheet covers {_lower(sheet.scope.summary)}"
        out.append(SheetDecision(sheet.source_id, sheet.title, bool(words), why))
    return out


def _lower(sentence: str) -> str:
    return sentence[:1].lower() + sentence[1:]
