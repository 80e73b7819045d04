"""The project's own cross-framework knowledge: themes (``corpus/crosswalk.yaml``) and triggers
(``corpus/triggers.yaml``), loaded into small immutable types and checked against the knowledge base."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from kb.errors import KBError

CROSSWALK_FILE = "crosswalk.yaml"
TRIGGERS_FILE = "triggers.yaml"


class CrosswalkError(KBError, ValueError):
    """A crosswalk or triggers file is malformed; the message names the file and the entry."""

    code = "crosswalk_invalid"
    http_status = 503


@dataclass(frozen=True)
class Link:
    id: str
    why: str


@dataclass(frozen=True)
class Theme:
    id: str
    title: str
    description: str
    principles: tuple[Link, ...]
    clauses: tuple[Link, ...]

    @property
    def links(self) -> tuple[Link, ...]:
        return self.principles + self.clauses


@dataclass(frozen=True)
class Trigger:
    id: str
    title: str
    terms: tuple[str, ...]
    themes: tuple[str, ...]
    clauses: tuple[Link, ...]


@dataclass(frozen=True)
class Crosswalk:
    themes: tuple[Theme, ...]
    triggers: tuple[Trigger, ...]

    def theme(self, theme_id: str) -> Theme:
        return next(t for t in self.themes if t.id == theme_id)

    def missing_ids(self, known: set[str]) -> list[str]:
        """Linked clause ids that the knowledge base does not hold."""
        linked = [link.id for t in self.themes for link in t.links] + [
            link.id for t in self.triggers for link in t.clauses
        ]
        return sorted({i for i in linked if i not in known})


def load_crosswalk(registry_dir: Path) -> Crosswalk:
    themes = tuple(_theme(raw, i) for i, raw in enumerate(_read(registry_dir / CROSSWALK_FILE, "themes")))
    triggers = tuple(_trigger(raw, i) for i, raw in enumerate(_read(registry_dir / TRIGGERS_FILE, "triggers")))
    theme_ids = {t.id for t in themes}
    for trigger in triggers:
        unknown = set(trigger.themes) - theme_ids
        if unknown:
            raise CrosswalkError(f"{TRIGGERS_FILE}: trigger {trigger.id!r} names unknown theme(s) {sorted(unknown)}")
    return Crosswalk(themes, triggers)


def _read(path: Path, key: str) -> list[dict]:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise CrosswalkError(f"{path.name}: {exc}") from exc
    entries = document.get(key)
    if not isinstance(entries, list) or not entries:
        raise CrosswalkError(f"{path.name}: expected a non-empty list under {key!r}")
    return entries


def _links(raw: object, where: str) -> tuple[Link, ...]:
    if not isinstance(raw, list):
        raise CrosswalkError(f"{where}: expected a list of {{id, why}}")
    try:
        return tuple(Link(str(item["id"]), str(item["why"])) for item in raw)
    except (KeyError, TypeError) as exc:
        raise CrosswalkError(f"{where}: every link needs an id and a why ({exc})") from exc


def _theme(raw: dict, position: int) -> Theme:
    where = f"{CROSSWALK_FILE}: themes[{position}]"
    try:
        return Theme(
            id=raw["id"],
            title=raw["title"],
            description=" ".join(str(raw["description"]).split()),
            principles=_links(raw.get("principles", []), f"{where}.principles"),
            clauses=_links(raw.get("clauses", []), f"{where}.clauses"),
        )
    except (KeyError, TypeError) as exc:
        raise CrosswalkError(f"{where}: missing field {exc}") from exc


def _trigger(raw: dict, position: int) -> Trigger:
    where = f"{TRIGGERS_FILE}: triggers[{position}]"
    try:
        return Trigger(
            id=raw["id"],
            title=raw["title"],
            terms=tuple(str(t) for t in raw["terms"]),
            themes=tuple(str(t) for t in raw.get("themes", [])),
            clauses=_links(raw.get("clauses", []), f"{where}.clauses"),
        )
    except (KeyError, TypeError) as exc:
        raise CrosswalkError(f"{where}: missing field {exc}") from exc
