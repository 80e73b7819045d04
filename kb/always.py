"""What applies to any processing of personal data in a jurisdiction (``corpus/always-applies.yaml``):
the lawful basis, the principles, information duties, security, records, processors and transfers where
a vendor abroad is involved. Each comes with its reason; the items that depend on a situation (a
vendor, a transfer, data from elsewhere, financial data) come only when the description shows it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from kb.cues import Cue, CueError, Text, parse_cues
from kb.errors import KBError

ALWAYS_FILE = "always-applies.yaml"


class AlwaysAppliesError(KBError, ValueError):
    """The always-applies file is malformed."""

    code = "always_applies_invalid"
    http_status = 503  # the project's own rule files are wrong: the service cannot map until they are fixed


@dataclass(frozen=True)
class Item:
    id: str
    reason: str
    situations: tuple[str, ...] = ()  # named cue sets, any of which brings it in, e.g. ("vendor",)
    classes: tuple[str, ...] = ()  # AI Act classes that bring it in
    cues: tuple[Cue, ...] = ()
    hints: tuple[Item, ...] = ()

    @property
    def situational(self) -> bool:
        return bool(self.situations or self.classes)


@dataclass(frozen=True)
class Jurisdiction:
    code: str
    title: str
    binding: tuple[str, ...]
    law_name: str
    condition: str | None
    items: tuple[Item, ...]


@dataclass(frozen=True)
class AlwaysRules:
    personal_data: tuple[Cue, ...]
    situations: dict[str, tuple[Cue, ...]]
    jurisdictions: dict[str, Jurisdiction]


@dataclass(frozen=True)
class Applying:
    """An item that applies, with its reason (and the words that showed the situation, if any)."""

    id: str
    reason: str
    words: tuple[str, ...] = ()
    situational: bool = False  # brought in by the situation, not by any processing


def applying(rules: AlwaysRules, jurisdiction: Jurisdiction, text: Text, classes: tuple[str, ...]) -> list[Applying]:
    """The items that apply: every unconditional one, and the situational ones the description shows."""
    out = []
    for item in jurisdiction.items:
        words: tuple[str, ...] = ()
        if item.situational:
            words = _situation_words(rules, item, text, classes)
            if not words:
                continue
        out.append(Applying(item.id, item.reason, words, item.situational))
        for hint in item.hints:
            found = text.match_any(hint.cues)
            if found is not None:
                out.append(Applying(hint.id, hint.reason, tuple(found), True))
    return out


def _situation_words(rules: AlwaysRules, item: Item, text: Text, classes: tuple[str, ...]) -> tuple[str, ...]:
    matched_classes = [c for c in item.classes if c in classes]
    if matched_classes:
        return (f"AI Act class: {matched_classes[0]}",)
    for situation in item.situations:
        found = text.match_any(rules.situations[situation])
        if found is not None:
            return tuple(found)
    return ()


def personal_data_words(rules: AlwaysRules, text: Text) -> list[str] | None:
    return text.match_any(rules.personal_data)


@lru_cache(maxsize=4)
def load_always(registry_dir: Path) -> AlwaysRules:
    try:
        doc = yaml.safe_load((registry_dir / ALWAYS_FILE).read_text(encoding="utf-8")) or {}
        situations = {
            key.removesuffix("_cues"): parse_cues(value, key)
            for key, value in doc.items()
            if key.endswith("_cues") and key != "personal_data_cues"
        }
        jurisdictions = {code: _jurisdiction(code, raw, situations) for code, raw in doc["jurisdictions"].items()}
        return AlwaysRules(parse_cues(doc["personal_data_cues"], "personal_data_cues"), situations, jurisdictions)
    except (OSError, yaml.YAMLError, KeyError, TypeError, AttributeError, CueError) as exc:
        raise AlwaysAppliesError(f"{ALWAYS_FILE}: {exc}") from exc


def _jurisdiction(code: str, raw: dict, situations: dict[str, tuple[Cue, ...]]) -> Jurisdiction:
    return Jurisdiction(
        code=code,
        title=str(raw["title"]),
        binding=tuple(raw["binding"]),
        law_name=str(raw["law_name"]),
        condition=raw.get("condition"),
        items=tuple(_item(i, situations, f"{code}.items[{n}]") for n, i in enumerate(raw["items"])),
    )


def _item(raw: dict, situations: dict[str, tuple[Cue, ...]], where: str) -> Item:
    named = tuple(raw.get("cues") or ())
    for situation in named:
        if situation not in situations:
            known = sorted(situations)
            raise AlwaysAppliesError(f"{ALWAYS_FILE}: {where}: unknown situation {situation!r}; known: {known}")
    hints = tuple(
        Item(str(h["id"]), str(h["reason"]), cues=parse_cues(h["cues"], f"{where}.hints")) for h in raw.get("hints", [])
    )
    return Item(str(raw["id"]), str(raw["reason"]), named, tuple(raw.get("classes") or ()), hints=hints)
