"""Assessment frameworks as data: a list of items (METI's governance action targets, NIST AI RMF
subcategories, a company's own list) grouped in categories, plus a maturity scale with level
definitions. One YAML file per framework in ``<registry>/frameworks/`` (format in
corpus/frameworks/README.md); a new framework is a new file, no code.

An item names the clause of the knowledge base it stands for (``clause: meti-gg:1-1``); its wording
is read from the knowledge base when shown, so a fuller text ingested later under the same id shows
with no change to the framework. An item with no clause carries its own ``text``.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from kb.errors import KBError
from kb.ids import ClauseId, InvalidClauseId

FRAMEWORKS_DIR = "frameworks"


class FrameworkError(KBError, ValueError):
    """A framework file is malformed; the message names the file and the field."""

    code = "invalid_framework"
    http_status = 422


class UnknownFramework(KBError, LookupError):
    code = "unknown_framework"
    http_status = 404


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Level(_Strict):
    level: int = Field(ge=0, le=10)
    name: str
    name_ja: str | None = None
    definition: str
    definition_ja: str | None = None


class Category(_Strict):
    id: str
    title: str
    title_ja: str | None = None
    clause: str | None = None


class Item(_Strict):
    id: str
    title: str
    category: str
    clause: str | None = None
    title_ja: str | None = None
    text: str | None = None
    query: str | None = Field(default=None, description="what to search for suggested evidence; default: the title")


class FrameworkInfo(_Strict):
    id: str
    title: str
    title_ja: str | None = None
    source: str | None = None


class Framework(_Strict):
    framework: FrameworkInfo
    scale: list[Level] = Field(min_length=2)
    categories: list[Category] = Field(min_length=1)
    items: list[Item] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Framework:
        levels = [lv.level for lv in self.scale]
        if levels != sorted(set(levels)):
            raise ValueError(f"scale levels must be distinct and ascending, got {levels}")
        categories = [c.id for c in self.categories]
        items = [i.id for i in self.items]
        for name, ids in (("category", categories), ("item", items)):
            if len(ids) != len(set(ids)):
                raise ValueError(f"duplicate {name} id in {ids}")
        for item in self.items:
            if item.category not in categories:
                raise ValueError(f"item {item.id!r} names unknown category {item.category!r}; known: {categories}")
        for clause in [i.clause for i in self.items] + [c.clause for c in self.categories]:
            if clause is not None:
                try:
                    ClauseId.parse(clause)
                except InvalidClauseId as exc:
                    raise ValueError(str(exc)) from exc
        return self

    @property
    def id(self) -> str:
        return self.framework.id

    @property
    def levels(self) -> list[int]:
        return [lv.level for lv in self.scale]

    def item(self, item_id: str) -> Item:
        for item in self.items:
            if item.id == item_id:
                return item
        raise UnknownFramework(f"framework {self.id!r} has no item {item_id!r}")

    def category(self, category_id: str) -> Category:
        return next(c for c in self.categories if c.id == category_id)


def load_framework(path: Path) -> Framework:
    """One framework file, checked."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise FrameworkError(f"{path.name}: cannot read the framework: {exc}") from exc
    try:
        return Framework.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'file'}: {e['msg']}" for e in exc.errors())
        raise FrameworkError(f"{path.name}: {problems}") from exc


def load_frameworks(registry_dir: Path) -> dict[str, Framework]:
    """Every framework of the registry, by id (none when the folder is absent)."""
    return dict(_load_all(registry_dir / FRAMEWORKS_DIR))


@cache
def _load_all(folder: Path) -> tuple[tuple[str, Framework], ...]:
    found: dict[str, Framework] = {}
    for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
        framework = load_framework(path)
        if framework.id in found:
            raise FrameworkError(f"{path.name}: framework id {framework.id!r} is used by another file")
        found[framework.id] = framework
    return tuple(found.items())
