"""The project's own cross-framework knowledge: themes (``corpus/crosswalk.yaml``) and triggers
(``corpus/triggers.yaml``), loaded into small immutable types.

Every link is *qualified*: it says how the linked text relates to the theme or trigger (``type``),
why (``rationale``), what a reader must not infer from it (``limits``), when it applies
(``condition``, ``role``, ``applies_from``), how sure we are (``confidence``) and when it was
checked against the texts (``checked``). The format is documented in the header of
``corpus/crosswalk.yaml``; ``check_crosswalk`` (``kb check``) checks the links against a knowledge base.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from kb.errors import KBError
from kb.ids import ClauseId, InvalidClauseId

if TYPE_CHECKING:
    from kb.knowledge import CatalogEntry, KnowledgeBase

CROSSWALK_FILE = "crosswalk.yaml"
TRIGGERS_FILE = "triggers.yaml"

LINK_TYPES = ("equivalent", "partial-overlap", "implements", "stricter", "soft-law-alignment")
CONFIDENCES = ("high", "medium", "low")
ROLES = (
    "any",  # whoever processes the data or runs the system
    "controller",
    "processor",
    "provider",
    "deployer",
    "importer",
    "distributor",
    "business",  # CCPA
    "service-provider",  # CCPA
    "employer",
    "developer",  # Colorado AI Act
    "company",  # a company's own internal policy binds the company
)
ALWAYS = "always"  # the conventional condition of a link with no condition beyond its theme or trigger


class CrosswalkError(KBError, ValueError):
    """A crosswalk or triggers file is malformed; the message names the file and the entry."""

    code = "crosswalk_invalid"
    http_status = 503


@dataclass(frozen=True)
class Link:
    """One qualified link from a theme or trigger to a clause of the knowledge base."""

    id: str  # a clause id at the level that applies: gdpr:art-22(1), euaia:annex-3(1)(a)
    type: str  # one of LINK_TYPES
    rationale: str  # why the clause belongs here, in one or two sentences
    limits: str  # what a reader must not infer from the link
    condition: str  # when it applies, as data: "high-risk (Annex III)", "solely automated ..."; ALWAYS if none
    confidence: str  # one of CONFIDENCES
    checked: dt.date  # when the link was last checked against the text
    roles: tuple[str, ...] = ("any",)  # whom the clause binds (ROLES)
    applies_from: dt.date | None = None  # when the clause starts to apply, if later than entry into force

    @property
    def why(self) -> str:
        """The rationale (the name earlier versions of the format used)."""
        return self.rationale

    @property
    def conditional(self) -> bool:
        return self.condition != ALWAYS

    def applies_on(self, day: dt.date) -> bool:
        return self.applies_from is None or day >= self.applies_from


@dataclass(frozen=True)
class Theme:
    id: str
    title: str
    description: str
    principles: tuple[Link, ...]
    clauses: tuple[Link, ...]
    note: str | None = None  # e.g. why a theme has no binding clause

    @property
    def links(self) -> tuple[Link, ...]:
        return self.principles + self.clauses


@dataclass(frozen=True)
class Rule:
    """One way a trigger can fire: every group has one of its terms present, within one sentence or
    the next, and none of the ``unless`` terms is there."""

    groups: tuple[tuple[str, ...], ...]
    unless: tuple[str, ...] = ()


@dataclass(frozen=True)
class Trigger:
    id: str
    title: str
    requires: str  # what must be present for the trigger to apply, in words (the rules detect it)
    rules: tuple[Rule, ...]
    themes: tuple[str, ...]
    clauses: tuple[Link, ...]

    @property
    def terms(self) -> tuple[str, ...]:
        """Every term that any rule names (for display; detection uses the rules)."""
        return tuple(dict.fromkeys(t for r in self.rules for g in r.groups for t in g))


@dataclass(frozen=True)
class Crosswalk:
    themes: tuple[Theme, ...]
    triggers: tuple[Trigger, ...]

    def theme(self, theme_id: str) -> Theme:
        return next(t for t in self.themes if t.id == theme_id)

    def links(self) -> list[tuple[str, Link]]:
        """Every link with where it is (``theme:<id>`` or ``trigger:<id>``)."""
        return [(f"theme:{t.id}", link) for t in self.themes for link in t.links] + [
            (f"trigger:{t.id}", link) for t in self.triggers for link in t.clauses
        ]

    def missing_ids(self, known: set[str]) -> list[str]:
        """Linked clause ids that the knowledge base does not hold."""
        return sorted({link.id for _, link in self.links() if link.id not in known})


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


def _text(raw: dict, key: str, where: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise CrosswalkError(f"{where}: {key!r} is required (a non-empty text)")
    return " ".join(value.split())


def _choice(raw: dict, key: str, allowed: tuple[str, ...], where: str) -> str:
    value = raw.get(key)
    if value not in allowed:
        raise CrosswalkError(f"{where}: {key!r} must be one of {list(allowed)}, not {value!r}")
    return value


def _date(value: object, key: str, where: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as exc:
        raise CrosswalkError(f"{where}: {key!r} must be a date like 2026-11-30, not {value!r}") from exc


def _roles(raw: dict, where: str) -> tuple[str, ...]:
    value = raw.get("role", "any")
    roles = tuple(value) if isinstance(value, list) else (value,)
    unknown = [r for r in roles if r not in ROLES]
    if unknown or not roles:
        raise CrosswalkError(f"{where}: 'role' must be one or a list of {list(ROLES)}, not {value!r}")
    return roles


def _link(raw: object, where: str) -> Link:
    if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
        raise CrosswalkError(f"{where}: a link is a mapping with at least an 'id'")
    where = f"{where} ({raw['id']})"
    if "why" in raw and "rationale" not in raw:
        raise CrosswalkError(f"{where}: 'why' is now 'rationale', and a link needs type, limits, condition too")
    if "checked" not in raw:
        raise CrosswalkError(f"{where}: 'checked' is required (the date the link was checked against the text)")
    applies_from = raw.get("applies_from")
    return Link(
        id=raw["id"].strip(),
        type=_choice(raw, "type", LINK_TYPES, where),
        rationale=_text(raw, "rationale", where),
        limits=_text(raw, "limits", where),
        condition=_text(raw, "condition", where),
        confidence=_choice(raw, "confidence", CONFIDENCES, where),
        checked=_date(raw["checked"], "checked", where),
        roles=_roles(raw, where),
        applies_from=None if applies_from is None else _date(applies_from, "applies_from", where),
    )


def _links(raw: object, where: str) -> tuple[Link, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise CrosswalkError(f"{where}: expected a list of links")
    return tuple(_link(item, f"{where}[{i}]") for i, item in enumerate(raw))


def _theme(raw: dict, position: int) -> Theme:
    where = f"{CROSSWALK_FILE}: themes[{position}]"
    if not isinstance(raw, dict):
        raise CrosswalkError(f"{where}: expected a mapping")
    where = f"{CROSSWALK_FILE}: theme {raw.get('id')!r}"
    theme = Theme(
        id=_text(raw, "id", where),
        title=_text(raw, "title", where),
        description=_text(raw, "description", where),
        principles=_links(raw.get("principles"), f"{where}.principles"),
        clauses=_links(raw.get("clauses"), f"{where}.clauses"),
        note=" ".join(str(raw["note"]).split()) if raw.get("note") else None,
    )
    if not theme.clauses and not theme.note:
        raise CrosswalkError(f"{where}: a theme without clauses must say why in a 'note'")
    return theme


def _terms(raw: object, where: str) -> tuple[str, ...]:
    if not isinstance(raw, list) or not raw or not all(isinstance(t, str) and t.strip() for t in raw):
        raise CrosswalkError(f"{where}: expected a non-empty list of terms")
    return tuple(t.strip() for t in raw)


def _rule(raw: object, where: str) -> Rule:
    if not isinstance(raw, dict) or not isinstance(raw.get("all"), list) or not raw["all"]:
        raise CrosswalkError(f"{where}: a rule is a mapping with 'all' (a list of term groups) and optional 'unless'")
    groups = tuple(_terms(group, f"{where}.all[{i}]") for i, group in enumerate(raw["all"]))
    unless = _terms(raw["unless"], f"{where}.unless") if raw.get("unless") else ()
    return Rule(groups, unless)


def _trigger(raw: dict, position: int) -> Trigger:
    where = f"{TRIGGERS_FILE}: triggers[{position}]"
    if not isinstance(raw, dict):
        raise CrosswalkError(f"{where}: expected a mapping")
    where = f"{TRIGGERS_FILE}: trigger {raw.get('id')!r}"
    if "terms" in raw:
        raise CrosswalkError(f"{where}: bare 'terms' fire on a word alone; write 'detect' rules instead")
    rules = raw.get("detect")
    if not isinstance(rules, list) or not rules:
        raise CrosswalkError(f"{where}: 'detect' (a non-empty list of rules) is required")
    return Trigger(
        id=_text(raw, "id", where),
        title=_text(raw, "title", where),
        requires=_text(raw, "requires", where),
        rules=tuple(_rule(r, f"{where}.detect[{i}]") for i, r in enumerate(rules)),
        themes=tuple(str(t) for t in raw.get("themes") or []),
        clauses=_links(raw.get("clauses"), f"{where}.clauses"),
    )


# --- validation against a knowledge base ---------------------------------------------------------

NOT_LINKABLE_KINDS = frozenset({"institutional", "final"})  # provisions that oblige no company


@dataclass(frozen=True)
class Finding:
    """One problem with one link: an error fails ``kb check``; a warning is reported only."""

    severity: str  # "error" or "warning"
    where: str  # theme:<id> or trigger:<id>
    link_id: str
    message: str

    def __str__(self) -> str:
        return f"{self.severity}: {self.where}: {self.link_id}: {self.message}"


def check_crosswalk(
    crosswalk: Crosswalk,
    clauses: Mapping[str, CatalogEntry],
    binding: Mapping[str, bool],
    kind_of: Callable[[CatalogEntry], str],
    today: dt.date | None = None,
    conditional: Callable[[str], str | None] = lambda _: None,
) -> list[Finding]:
    """Every problem of every link, checked against one knowledge-base version.

    ``binding`` maps each ingested source to whether it is binding law; ``kind_of`` names the kind of a
    provision (kb.provisions: obligation, right, institutional, final, ...); ``conditional`` says when a
    provision's duty holds only in a situation (kb.provisions conditions), so that a link to it must
    state a condition rather than ``always``. A link to a source that is
    not ingested is a warning (the source may be on its way; the mapping skips the link); a link to a
    missing, repealed or institutional clause of an ingested source is an error.
    """
    today = today or dt.date.today()
    findings: list[Finding] = []
    for where, links in _link_groups(crosswalk):
        seen: set[str] = set()
        for link in links:
            problems = _check_link(link, where, clauses, binding, kind_of, today)
            findings += problems
            holds_only = None if problems else conditional(link.id)
            if holds_only and not link.conditional:
                findings.append(Finding("error", where, link.id, f"says 'always' but the provision {holds_only}"))
            if link.id in seen:
                findings.append(Finding("error", where, link.id, "linked twice in the same list"))
            seen.add(link.id)
    return findings


def _link_groups(crosswalk: Crosswalk) -> list[tuple[str, tuple[Link, ...]]]:
    return [
        *((f"theme:{t.id}.principles", t.principles) for t in crosswalk.themes),
        *((f"theme:{t.id}.clauses", t.clauses) for t in crosswalk.themes),
        *((f"trigger:{t.id}", t.clauses) for t in crosswalk.triggers),
    ]


def _check_link(
    link: Link,
    where: str,
    clauses: Mapping[str, CatalogEntry],
    binding: Mapping[str, bool],
    kind_of: Callable[[CatalogEntry], str],
    today: dt.date,
) -> list[Finding]:
    def error(message: str) -> list[Finding]:
        return [Finding("error", where, link.id, message)]

    try:
        parsed = ClauseId.parse(link.id)
    except InvalidClauseId as exc:
        return error(str(exc))
    if parsed.source not in binding:
        return [Finding("warning", where, link.id, f"source {parsed.source!r} is not ingested; the link is skipped")]
    clause = clauses.get(str(parsed))
    if clause is None:
        return error("no such clause in the knowledge base")
    if clause.repealed:
        return error("the clause is repealed")
    kind = kind_of(clause)
    if kind in NOT_LINKABLE_KINDS:
        return error(f"an {kind} provision obliges no company; link the provision that does")
    if link.checked > today:
        return error(f"checked on {link.checked}, a date in the future")
    soft = link.type == "soft-law-alignment"
    if soft and binding[parsed.source]:
        return error("'soft-law-alignment' links a non-binding text; this source is binding law")
    if not soft and link.type != "partial-overlap" and not binding[parsed.source]:
        return error(f"{link.type!r} is for binding law; a non-binding text is 'soft-law-alignment'")
    return []


def check_knowledge_base(kb: KnowledgeBase, registry_dir: Path) -> list[Finding]:
    """``check_crosswalk`` for the crosswalk and triggers of ``registry_dir`` against a published version,
    with the provision kinds of ``corpus/provision-kinds.yaml``. A malformed file raises CrosswalkError."""
    from kb.provisions import KINDS_FILE, ProvisionKindsError, load_provision_kinds

    crosswalk = load_crosswalk(registry_dir)
    binding = {source.id: source.binding for source in kb.sources.values()}
    if not (registry_dir / KINDS_FILE).is_file():  # a registry without provision kinds (a test's tiny one)
        unchecked = Finding("warning", "registry", KINDS_FILE, "absent: institutional provisions are not checked")
        return [unchecked, *check_crosswalk(crosswalk, kb.clauses, binding, lambda _: "obligation")]
    try:
        kinds = load_provision_kinds(registry_dir)
    except ProvisionKindsError as exc:  # the check cannot tell institutional provisions apart without it
        raise CrosswalkError(f"cannot check the crosswalk: {exc}") from exc

    def conditional(clause_id: str) -> str | None:
        condition = kinds.condition_of(clause_id)
        return condition.text if condition else None

    return check_crosswalk(
        crosswalk, kb.clauses, binding, lambda clause: kinds.kind_of(kb, clause).id, conditional=conditional
    )
