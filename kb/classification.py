"""The EU AI Act class of a described use case, and the duties that follow for the caller's role.

The rules are data (``corpus/ai-act-classes.yaml``): Art. 5(1) points, Annex III points and Annex I,
Art. 50 paragraphs, each with cues (groups of phrases that must all occur, kb/cues.py). The class is the
most severe rule that fired; the answer quotes the words that led there, lists the exceptions that could
change it (Art. 6(3), the carve-outs of each point), asks the questions that would settle it, and gives a
confidence. A caller's structured answers (role, sector, general-purpose model, EU market) override or
complete what the description says.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

import yaml

from kb.cues import Cue, CueError, Text, parse_cues
from kb.errors import KBError

CLASSES_FILE = "ai-act-classes.yaml"
OUT_OF_SCOPE = "out-of-scope"
SEVERITY = ("prohibited", "high-risk", "gpai", "transparency", "minimal")  # most severe first
CLASSES = (OUT_OF_SCOPE, *SEVERITY)
MAX_QUESTIONS = 5


class ClassificationRulesError(KBError, ValueError):
    """The AI Act classes file is malformed; the message names the entry."""

    code = "classification_rules_invalid"
    http_status = 503  # the project's own rule files are wrong: the service cannot map until they are fixed


@dataclass(frozen=True)
class Caveat:
    """An exception that could change the class, with the provision that says so."""

    provision: str
    text: str


@dataclass(frozen=True)
class Rule:
    id: str
    klass: str
    provision: str
    title: str
    applies_from: date | None
    cues: tuple[Cue, ...]
    sectors: tuple[str, ...] = ()
    question: str | None = None
    exceptions: tuple[Caveat, ...] = ()
    unless: tuple[Cue, ...] = ()  # a situation that rules the rule out (the exclusion of its point)
    unless_text: str | None = None
    provider_only: bool = False  # only a provider can be in this class (general-purpose models)
    sector_group: int = 0  # the group of each cue that a sector answer stands in for
    refs: tuple[str, ...] = ()  # further provisions that decide the class with it (Art. 6(1) and Annex I)


@dataclass(frozen=True)
class DutyRule:
    provision: str
    roles: tuple[str, ...]
    title: str
    applies_from: date | None = None
    when: tuple[str, ...] = ()  # only when one of these rules fired
    annex_iii_only: bool = False
    cues: tuple[Cue, ...] = ()  # only when the description shows the situation (e.g. a provider abroad)


@dataclass(frozen=True)
class ExemptionRule:
    provision: str
    text: str
    cues: tuple[Cue, ...]


@dataclass(frozen=True)
class Rules:
    class_titles: dict[str, str]
    roles: tuple[str, ...]
    sectors: tuple[str, ...]
    rules: tuple[Rule, ...]
    role_cues: dict[str, tuple[Cue, ...]]
    profiling_cues: tuple[Cue, ...]
    eu_cues: tuple[Cue, ...]
    art_6_3: str
    art_6_3_conditions: tuple[ExemptionRule, ...]
    profiling_text: str
    duties: dict[str, tuple[DutyRule, ...]]
    class_themes: dict[str, tuple[str, ...]] = field(default_factory=dict)  # crosswalk themes a class is about


@dataclass(frozen=True)
class Answers:
    """What the caller may state instead of leaving it to the description."""

    role: str | None = None
    sector: str | None = None
    general_purpose: bool | None = None
    eu_market: bool | None = None


@dataclass
class Finding:
    """A rule that fired, the words that led there, and what could change it."""

    rule: Rule
    words: list[str]
    via: str  # "description", "sector answer", "your answer", or "ruled out" (its `unless` words)


@dataclass
class Duty:
    provision: str
    title: str
    roles: tuple[str, ...]
    condition: str
    applies_from: date | None
    for_caller: bool


@dataclass
class Classification:
    klass: str
    title: str
    findings: list[Finding]
    exceptions: list[Caveat]
    confidence: float
    questions: list[str]
    role: str | None
    role_basis: str
    duties: list[Duty]
    in_scope: bool | None
    scope_note: str
    gpai: bool
    basis: list[str] = field(default_factory=list)  # the provisions that decide the class
    would_be: str | None = None  # out of scope for want of an EU link: the class it would have
    ruled_out: list[Finding] = field(default_factory=list)  # rules an exception took out
    effective: list[str] = field(default_factory=list)  # the classes that hold after Art. 6(3)
    profiling: list[str] = field(default_factory=list)

    @property
    def confidence_label(self) -> str:
        return "high" if self.confidence >= 0.75 else "medium" if self.confidence >= 0.55 else "low"

    @property
    def classes(self) -> list[str]:
        """Every class that holds, most severe first (a high-risk chatbot also has Art. 50 duties)."""
        return self.effective or ["minimal"]

    @property
    def transparency(self) -> list[str]:
        """The Art. 50 paragraphs that apply as well as (or as) the class."""
        return [f.rule.provision for f in self.findings if f.rule.klass == "transparency"]

    def matched(self, klass: str) -> list[Finding]:
        """The findings of a class that holds (none for an Annex III point Art. 6(3) took out)."""
        return [f for f in self.findings if f.rule.klass == klass and klass in self.effective]


def classify(rules: Rules, description: str, answers: Answers, jurisdictions: tuple[str, ...] = ()) -> Classification:
    text = Text(description)
    role, role_basis = _role(rules, text, answers)
    findings, ruled_out, near = _findings(rules, text, answers, role)
    if answers.general_purpose and role in (None, "provider") and not any(f.rule.klass == "gpai" for f in findings):
        gpai_rule = next((r for r in rules.rules if r.klass == "gpai"), None)
        if gpai_rule is not None:
            findings.append(Finding(gpai_rule, ["general-purpose model"], "your answer"))
    questions = [q for q in near if q]
    profiling = text.match_any(rules.profiling_cues) or []
    substantive = [f for f in findings if f.rule.klass != OUT_OF_SCOPE]
    classes = [c for c in SEVERITY if any(f.rule.klass == c for f in substantive)]
    klass = classes[0] if classes else "minimal"
    basis = [p for f in substantive if f.rule.klass == klass for p in (f.rule.provision, *f.rule.refs)]
    exceptions = [e for f in substantive if f.rule.klass == klass for e in f.rule.exceptions]
    confidence = 0.85 if findings else 0.8
    if any(f.via != "description" for f in substantive if f.rule.klass == klass):
        confidence -= 0.05
    demoted = False
    high_risk = [f for f in substantive if f.rule.klass == "high-risk"]
    if klass == "high-risk" and all(f.rule.provision.startswith("euaia:annex-3") for f in high_risk):
        exceptions, hinted = _art_6_3(rules, text, profiling, exceptions)
        if hinted is not None:
            demoted = True
            classes = [c for c in classes if c != "high-risk"]
            klass = classes[0] if classes else "minimal"
            basis = [f.rule.provision for f in substantive if f.rule.klass == klass] or [rules.art_6_3]
            confidence -= 0.15
            questions.insert(0, hinted)
    if klass == "minimal" and not basis:
        basis = [f.rule.provision for f in ruled_out]
        exceptions += [Caveat(f.rule.provision, f.rule.unless_text or "excluded") for f in ruled_out]
    in_scope, scope_note = _scope(rules, text, answers, jurisdictions)
    excluded = in_scope is False or any(f.rule.klass == OUT_OF_SCOPE for f in findings)
    if role is None and (klass != "minimal" or ruled_out) and not excluded:  # the duties depend on it
        questions.append(
            "Needs an answer: are you the provider (you develop it or have it developed and put it on the market "
            "under your name) or the deployer (you use it under your authority)?"
        )
    exclusions = [f for f in findings if f.rule.klass == OUT_OF_SCOPE]
    would_be = None
    if exclusions:
        would_be, klass, basis = klass, OUT_OF_SCOPE, [f.rule.provision for f in exclusions]
        scope_note = "; ".join(f"{f.rule.title} ({cite(f.rule.provision)})" for f in exclusions)
    elif in_scope is False:
        would_be, klass, basis = klass, OUT_OF_SCOPE, []
    elif in_scope is None:
        questions.append(
            "Needs an answer: will it be placed on the EU market or used in the EU, or its output used in the EU?"
        )
    confidence -= 0.05 * min(len(questions), 4)
    duties = [] if klass == OUT_OF_SCOPE else _duties(rules, text, findings, classes, role, demoted)
    return Classification(
        klass=klass,
        title=rules.class_titles[klass],
        findings=substantive,
        exceptions=exceptions,
        confidence=round(max(confidence, 0.3), 2),
        questions=questions[:MAX_QUESTIONS],
        role=role,
        role_basis=role_basis,
        duties=duties,
        in_scope=in_scope if not exclusions else False,
        scope_note=scope_note,
        gpai="gpai" in classes,
        basis=basis,
        would_be=would_be,
        ruled_out=ruled_out,
        effective=classes if klass != OUT_OF_SCOPE else [],
        profiling=profiling,
    )


def _findings(
    rules: Rules, text: Text, answers: Answers, role: str | None
) -> tuple[list[Finding], list[Finding], list[str]]:
    """Rules that fired, rules an exception took out, and the questions of the near misses (the first
    group of a rule's first cue present, the rest not). A sector answer stands in for one group of a
    rule of that sector, and only when the description alone found nothing in the sector."""
    findings, ruled_out, near, pending = [], [], [], []
    for rule in rules.rules:
        if rule.provider_only and role not in (None, "provider"):
            continue
        words = text.match_any(rule.cues)
        if words is None:
            pending.append(rule)
            continue
        _record(rule, words, "description", text, findings, ruled_out)
    sector = (answers.sector or "").strip().lower().replace(" ", "-")
    covered = {s for f in findings + ruled_out for s in f.rule.sectors}
    for rule in pending:
        words = _sector_match(text, rule) if sector and sector in rule.sectors and sector not in covered else None
        if words is not None:
            _record(rule, [f"sector: {answers.sector}", *words], "sector answer", text, findings, ruled_out)
            continue
        anchor = rule.cues[0]
        if rule.question and len(anchor.groups) > 1 and text.first(anchor.groups[0]):
            near.append(f"Needs an answer: {rule.question[0].lower()}{rule.question[1:]}")
    fired = {f.rule.klass for f in findings}
    if "prohibited" in fired or "high-risk" in fired:  # near misses of milder classes matter less
        near = near[:2]
    order = {r.id: i for i, r in enumerate(rules.rules)}
    findings.sort(key=lambda f: order[f.rule.id])
    return findings, ruled_out, near


def _record(
    rule: Rule, words: list[str], via: str, text: Text, findings: list[Finding], ruled_out: list[Finding]
) -> None:
    exception = text.match_any(rule.unless) if rule.unless else None
    if exception is not None:
        ruled_out.append(Finding(rule, exception, "ruled out"))
    else:
        findings.append(Finding(rule, words, via))


def _sector_match(text: Text, rule: Rule) -> list[str] | None:
    """The words of a cue whose groups all occur but the one the sector answer stands in for."""
    for cue in rule.cues:
        if len(cue.groups) < 2 or rule.sector_group >= len(cue.groups):
            continue
        rest = Cue(tuple(g for i, g in enumerate(cue.groups) if i != rule.sector_group))
        found = text.match(rest)
        if found is not None:
            return found
    return None


def _art_6_3(
    rules: Rules, text: Text, profiling: list[str], exceptions: list[Caveat]
) -> tuple[list[Caveat], str | None]:
    """Art. 6(3): an Annex III system that only does a narrow or preparatory task is not high-risk,
    unless it profiles people. Returns the exceptions to show and, when the description shows one of
    those tasks, the question that confirms it (the class is then not high-risk)."""
    if profiling:
        return [*exceptions, Caveat(rules.art_6_3, f"{rules.profiling_text} (words: {', '.join(profiling)})")], None
    shown = [*exceptions, *(Caveat(c.provision, f"not high-risk if {c.text}") for c in rules.art_6_3_conditions)]
    hinted = [c for c in rules.art_6_3_conditions if text.match_any(c.cues) is not None]
    if not hinted:
        return shown, None
    return shown, (
        f"Needs an answer: does it only perform a task where {hinted[0].text} ({cite(hinted[0].provision)})? "
        "It is then not high-risk, provided the provider documents that assessment (Art. 6(4)) and registers "
        "the system (Art. 49(2)); if it profiles people or does more, it is high-risk."
    )


def _role(rules: Rules, text: Text, answers: Answers) -> tuple[str | None, str]:
    if answers.role:
        return answers.role, "your answer"
    found = [role for role, cues in rules.role_cues.items() if text.match_any(cues) is not None]
    if "importer" in found or "distributor" in found:  # an importer that resells is still the importer
        found = ["importer"] if "importer" in found else ["distributor"]
    if len(found) == 1:
        return found[0], f"the description ({', '.join(text.match_any(rules.role_cues[found[0]]) or [])})"
    return None, "not stated"


def _scope(rules: Rules, text: Text, answers: Answers, jurisdictions: tuple[str, ...]) -> tuple[bool | None, str]:
    if answers.eu_market is False:
        return False, (
            "You said it is neither placed on the EU market nor used in the EU: the AI Act then does not apply "
            "(Art. 2(1)), unless its output is used in the EU."
        )
    if answers.eu_market:
        return True, "Placed on the EU market or used in the EU (your answer): the AI Act applies (Art. 2(1))."
    if "EU" in jurisdictions:
        return True, "EU named as a jurisdiction: the AI Act applies to systems placed on the market or used there " \
            "(Art. 2(1))."
    words = text.match_any(rules.eu_cues)
    if words:
        return True, f"The description places it in the EU ({', '.join(words)}): the AI Act applies (Art. 2(1))."
    if jurisdictions:
        return False, (
            "No EU link: the jurisdictions named do not include the EU, so the AI Act does not apply (Art. 2(1)); "
            "it would if the system were placed on the EU market, used in the EU, or its output used in the EU."
        )
    return None, "Whether the AI Act applies depends on the EU market or use in the EU (Art. 2(1))."


def _duties(
    rules: Rules, text: Text, findings: list[Finding], classes: list[str], role: str | None, demoted: bool
) -> list[Duty]:
    """The duties of the classes that fired (most severe first), then those of any AI system; the
    caller's role first. An Annex III system taken out by Art. 6(3) keeps the provider's two duties."""
    fired = {f.rule.id for f in findings}
    annex_iii = [f for f in findings if f.rule.provision.startswith("euaia:annex-3")]
    out: list[Duty] = []
    groups = [c for c in classes if c in rules.duties] + (["art-6-3"] if demoted else []) + ["any"]
    if not classes:
        groups.append("minimal")
    for group in groups:
        for duty in rules.duties.get(group, ()):
            if duty.when and not fired & set(duty.when):
                continue
            if duty.annex_iii_only and not annex_iii:
                continue
            if duty.cues and text.match_any(duty.cues) is None:
                continue
            if any(d.provision == duty.provision for d in out):
                continue
            condition = _condition(group, duty, findings)
            out.append(
                Duty(duty.provision, duty.title, duty.roles, condition, duty.applies_from or _from(group, findings),
                     role is None or role in duty.roles)
            )
    return sorted(out, key=lambda d: not d.for_caller)


def _condition(group: str, duty: DutyRule, findings: list[Finding]) -> str:
    roles = "applies to " + " and ".join(f"{r}s" for r in duty.roles)
    if group == "any":
        return f"{roles} of any AI system"
    if group == "gpai":
        return f"{roles} of general-purpose AI models"
    if group == "art-6-3":
        return f"applies if Art. 6(3) takes the Annex III system out of high-risk; {roles}"
    matched = [f for f in findings if f.rule.klass == group and (not duty.when or f.rule.id in duty.when)]
    points = ", ".join(cite(f.rule.provision) for f in matched)
    labels = {"high-risk": "high-risk", "prohibited": "a prohibited practice", "transparency": "Art. 50"}
    label = labels.get(group, group)
    return f"applies if {label}: {points} matched; {roles}"


def _from(group: str, findings: list[Finding]) -> date | None:
    dates = [f.rule.applies_from for f in findings if f.rule.klass == group and f.rule.applies_from]
    return min(dates) if dates else None


def cite(provision: str) -> str:
    """``euaia:annex-3(4)(a)`` -> ``Annex III(4)(a)``; ``euaia:art-5(1)(f)`` -> ``Art. 5(1)(f)``."""
    body = provision.split(":", 1)[1]
    if body.startswith("annex-"):
        number, _, rest = body[len("annex-") :].partition("(")
        roman = {"1": "I", "3": "III"}.get(number, number)
        return f"Annex {roman}" + (f"({rest}" if rest else "")
    return "Art. " + body.removeprefix("art-")



@lru_cache(maxsize=4)
def load_classification_rules(registry_dir: Path) -> Rules:
    path = registry_dir / CLASSES_FILE
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        class_titles = {c["id"]: str(c["title"]) for c in doc["classes"]}
        if tuple(class_titles) != CLASSES:
            raise ClassificationRulesError(f"{CLASSES_FILE}: classes must be {list(CLASSES)} in that order")
        rules = tuple(_rule(raw, i, class_titles) for i, raw in enumerate(doc["rules"]))
        art = doc["art_6_3"]
        return Rules(
            class_titles=class_titles,
            roles=tuple(doc["roles"]),
            sectors=tuple(doc["sectors"]),
            rules=rules,
            role_cues={r: parse_cues(c, f"role_cues.{r}") for r, c in doc["role_cues"].items()},
            profiling_cues=parse_cues(doc["profiling_cues"], "profiling_cues"),
            eu_cues=parse_cues(doc["eu_cues"], "eu_cues"),
            art_6_3=str(art["provision"]),
            art_6_3_conditions=tuple(
                ExemptionRule(str(c["provision"]), str(c["text"]), parse_cues(c["cues"], f"art_6_3[{i}]"))
                for i, c in enumerate(art["conditions"])
            ),
            profiling_text=str(art["profiling_text"]),
            duties={group: tuple(_duty(d) for d in items) for group, items in doc["duties"].items()},
            class_themes={c["id"]: tuple(c.get("themes", [])) for c in doc["classes"]},
        )
    except (OSError, yaml.YAMLError, KeyError, TypeError, AttributeError, CueError) as exc:
        raise ClassificationRulesError(str(exc) if isinstance(exc, CueError) else f"{CLASSES_FILE}: {exc}") from exc


def _rule(raw: dict, position: int, classes: dict[str, str]) -> Rule:
    where = f"{CLASSES_FILE}: rules[{position}]"
    if raw.get("class") not in classes:
        raise ClassificationRulesError(f"{where}: unknown class {raw.get('class')!r}; known: {list(classes)}")
    return Rule(
        id=str(raw["id"]),
        klass=str(raw["class"]),
        provision=str(raw["provision"]),
        title=str(raw["title"]),
        applies_from=raw.get("applies_from"),
        cues=parse_cues(raw["cues"], f"{where}.cues"),
        sectors=tuple(raw.get("sectors", [])),
        question=raw.get("question"),
        exceptions=tuple(Caveat(str(e["provision"]), str(e["text"])) for e in raw.get("exceptions", [])),
        unless=parse_cues(raw["unless"], f"{where}.unless") if raw.get("unless") else (),
        unless_text=raw.get("unless_text"),
        provider_only=bool(raw.get("provider_only", False)),
        sector_group=int(raw.get("sector_group", 0)),
        refs=tuple(raw.get("refs", [])),
    )


def _duty(raw: dict) -> DutyRule:
    return DutyRule(
        provision=str(raw["provision"]),
        roles=tuple(raw["roles"]),
        title=str(raw["title"]),
        applies_from=raw.get("applies_from"),
        when=tuple(raw.get("when", [])),
        annex_iii_only=bool(raw.get("annex_iii_only", False)),
        cues=parse_cues(raw["cues"], f"duties {raw['provision']}") if raw.get("cues") else (),
    )
