"""What kind of provision a clause is (obligation, right, institutional, …) and the condition its duty
carries, from ``corpus/provision-kinds.yaml``: the structure of each law (its chapters and sections),
written once as data, so that "directly triggered" only lists what obliges someone a company can be.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from kb.errors import KBError
from kb.ids import ClauseId, InvalidClauseId
from kb.knowledge import CatalogEntry, KnowledgeBase

KINDS_FILE = "provision-kinds.yaml"
NON_BINDING = "principle"
RECITAL = "recital"


class ProvisionKindsError(KBError, ValueError):
    """The provision-kinds file is malformed; the message names the entry."""

    code = "provision_kinds_invalid"
    http_status = 503  # the project's own rule files are wrong: the service cannot map until they are fixed


@dataclass(frozen=True)
class UnitRange:
    """``gdpr:art-51..76``: units of one source whose base has the same prefix and a number in range."""

    source: str
    prefix: str
    low: tuple[int, ...]
    high: tuple[int, ...]

    @classmethod
    def parse(cls, text: str) -> UnitRange:
        first, _, last = text.partition("..")
        try:
            start = ClauseId.parse(first)
        except InvalidClauseId as exc:
            raise ProvisionKindsError(f"{KINDS_FILE}: {text!r}: {exc}") from exc
        prefix, low = _split(start.base)
        high = _split(last)[1] if last else low
        if not low or not high:
            raise ProvisionKindsError(f"{KINDS_FILE}: {text!r} is not a unit or a range like 'gdpr:art-51..76'")
        return cls(start.source, prefix, low, high)

    def contains(self, source: str, base: str) -> bool:
        prefix, number = _split(base)
        return source == self.source and prefix == self.prefix and bool(number) and self.low <= number <= self.high

    @property
    def span(self) -> tuple[int, ...]:
        return tuple(h - lo for h, lo in zip(self.high, self.low, strict=False))


@lru_cache(maxsize=16384)
def _split(base: str) -> tuple[str, tuple[int, ...]]:
    """``art-51`` -> ("art", (51,)); ``1798.199.100`` -> ("", (1798, 199, 100))."""
    match = re.match(r"^([a-z]*)-?([0-9][0-9.]*)$", base)
    if not match:
        return base, ()
    return match[1], tuple(int(n) for n in match[2].split(".") if n)


@dataclass(frozen=True)
class Kind:
    id: str
    label: str
    directly_triggered: bool


@dataclass(frozen=True)
class Condition:
    ranges: tuple[UnitRange, ...]
    text: str
    requires: str | None  # an AI Act class the classification decides: high-risk, transparency, gpai, prohibited


@dataclass(frozen=True)
class ProvisionKinds:
    kinds: dict[str, Kind]
    defaults: dict[str, str]
    containers: dict[str, str]  # chapter or section id -> kind
    units: tuple[tuple[UnitRange, str], ...]
    conditions: tuple[Condition, ...]
    _cache: dict = field(default_factory=dict, compare=False, repr=False)  # kinds are asked again and again
    _conditions: dict = field(default_factory=dict, compare=False, repr=False)

    def kind_of(self, kb: KnowledgeBase, clause: CatalogEntry) -> Kind:
        """The kind of a clause: its unit's rule, else its section's, else its chapter's, else the law's
        default; sources without rules are principles (non-binding) or obligations (binding)."""
        key = (kb.version, clause.id)
        if key not in self._cache:
            self._cache[key] = self._kind_of(kb, clause)
        return self._cache[key]

    def _kind_of(self, kb: KnowledgeBase, clause: CatalogEntry) -> Kind:
        if clause.kind == "recital":
            return self.kinds[RECITAL]
        source = kb.sources.get(clause.source_id)
        if clause.source_id not in self.defaults:
            return self.kinds[NON_BINDING if source is None or not source.binding else "obligation"]
        kind_id = self._unit_kind(clause) or self._container_kind(kb, clause) or self.defaults[clause.source_id]
        return self.kinds[kind_id]

    def _unit_kind(self, clause: CatalogEntry) -> str | None:
        base = _base(clause.unit_id)
        matching = [(r, k) for r, k in self.units if base and r.contains(clause.source_id, base)]
        if not matching:
            return None
        return min(matching, key=lambda item: item[0].span)[1]

    def _container_kind(self, kb: KnowledgeBase, clause: CatalogEntry) -> str | None:
        unit = kb.clauses.get(clause.unit_id, clause)
        for ancestor in reversed(kb.ancestors(unit)):  # innermost (section) first
            if ancestor.id in self.containers:
                return self.containers[ancestor.id]
        return None

    def condition_of(self, clause_id: str) -> Condition | None:
        if clause_id not in self._conditions:
            self._conditions[clause_id] = self._condition_of(clause_id)
        return self._conditions[clause_id]

    def _condition_of(self, clause_id: str) -> Condition | None:
        try:
            parsed = ClauseId.parse(clause_id)
        except InvalidClauseId:
            return None
        return next(
            (c for c in self.conditions if any(r.contains(parsed.source, parsed.base) for r in c.ranges)), None
        )


def _base(clause_id: str) -> str | None:
    try:
        return ClauseId.parse(clause_id).base
    except InvalidClauseId:
        return None


@lru_cache(maxsize=4)
def load_provision_kinds(registry_dir: Path) -> ProvisionKinds:
    path = registry_dir / KINDS_FILE
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        kinds = {
            k: Kind(k, str(v["label"]), bool(v["directly_triggered"])) for k, v in document["kinds"].items()
        }
        defaults, containers, units = {}, {}, []
        for source, law in document["laws"].items():
            defaults[source] = _known(law["default"], kinds, source)
            for table in ("chapters", "sections"):
                for container, kind in (law.get(table) or {}).items():
                    containers[container] = _known(kind, kinds, container)
            for text, kind in (law.get("units") or {}).items():
                units.append((UnitRange.parse(text), _known(kind, kinds, text)))
        conditions = tuple(
            Condition(tuple(UnitRange.parse(u) for u in c["units"]), str(c["text"]), c.get("requires"))
            for c in document.get("conditions", [])
        )
    except (OSError, yaml.YAMLError, KeyError, TypeError, AttributeError) as exc:
        raise ProvisionKindsError(f"{KINDS_FILE}: {exc}") from exc
    return ProvisionKinds(kinds, defaults, containers, tuple(units), conditions)


def _known(kind: str, kinds: dict[str, Kind], where: str) -> str:
    if kind not in kinds:
        raise ProvisionKindsError(f"{KINDS_FILE}: {where}: unknown kind {kind!r}; known: {sorted(kinds)}")
    return kind
