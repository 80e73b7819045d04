"""A company's own AI guidelines and risk-check items, written in YAML (``clausemap-guideline/1``).

The format is documented for authors in ``corpus/internal/README.md``; in short::

    format: clausemap-guideline/1
    source: {id, title, issuer, language, version_date, [url], [based_on], [summary]}
    scope: {summary, match, [technologies], [data_categories], [purposes]}   # optional
    principles:                     # optional; kind "principle"
      - {id, title, statement, [number], [checks]}
    sections:                       # optional checklist sections; kind "section"
      - {id, title, [statement], [number], [checks]}
    checks:                         # optional checks outside any section; kind "item"
      - {id, question, statement, phases, [data_categories], [principles], [number]}

Records: ``<source.id>:<id>`` for every principle, section and check (ids are written without
the source prefix and are unique across the whole document). A check's parent is the section
or principle it is nested in (None at top level); every record is its own unit; ``title`` is a
check's question and ``text`` its statement; ``refs`` holds the check's links to principles of
the same document. Lifecycle phases, data categories and all principle links (including
other sources' ids such as ``nec:p2``, only checked for id syntax here) are not
``ClauseRecord`` fields: ``guideline_checks`` returns them as ``CheckItem`` values, and
``guideline_source`` returns the source metadata for the registry, with the ``scope`` of use cases
the sheet covers (``match``: groups of phrases that must all occur in a description). All three are pure
functions of the bytes and validate the whole document the same way.

Quirks and rules:

* The phase keys are exactly ``planning`` (planning/proposal), ``design`` (design/development)
  and ``operation`` (operation/maintenance); they are returned in that lifecycle order.
* A check nested under a principle implements it: that principle is added first to its links.
* Keys starting with ``x-`` are the author's own and ignored; any other unknown key, a missing
  field, a wrong type, a duplicate id or YAML key, an unknown phase or a dangling
  same-document link raises ``ParseError`` naming the YAML path
  (``sections[1].checks[0].phases[2]``) and its line.
* Text fields have their whitespace normalised to single spaces (block scalars are welcome).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from dataclasses import dataclass, field, replace
from typing import Any, NoReturn

import yaml

from ingest.parsers import ParsedDocument, ParseError, decode_text
from kb.ids import ClauseId, InvalidClauseId
from kb.records import ClauseRecord
from kb.vocabulary import LANGUAGES, PHASE_NAMES, PHASES

FORMAT_TAG = "clausemap-guideline/1"
PHASE_LABELS = PHASE_NAMES
# Suggested values for ``data_categories``; any lower-case slug is accepted.
RECOMMENDED_DATA_CATEGORIES = (
    "biometric",
    "location",
    "children",
    "health",
    "behavioural",
    "employee",
    "special-category",
)
SUPPORTED_LANGUAGES = LANGUAGES

_SLUG_RE = re.compile(r"^[a-z][a-z0-9-]*$")
_TRAILING_NUMBER_RE = re.compile(r"(\d+)$")
_LAST_PATH_STEP_RE = re.compile(r"(^|\.)[^.\[]+$|\[\d+\]$")

_TOP_KEYS = ({"format", "source"}, {"scope", "principles", "sections", "checks"})
_SCOPE_KEYS = ({"summary", "match"}, {"unless", "technologies", "data_categories", "purposes"})
_SOURCE_KEYS = (
    {"id", "title", "issuer", "language", "version_date"},
    {"url", "based_on", "summary"},
)
_PRINCIPLE_KEYS = ({"id", "title", "statement"}, {"number", "checks"})
_SECTION_KEYS = ({"id", "title"}, {"statement", "number", "checks"})
_CHECK_KEYS = (
    {"id", "question", "statement", "phases"},
    {"data_categories", "principles", "number"},
)


@dataclass(frozen=True)
class CheckItem:
    """What a risk check carries beyond its record: when it applies, to what data, and why.

    ``phases`` are keys of ``PHASES`` in lifecycle order; ``principles`` are full clause ids
    (same-document ones resolved, other sources' ids as written, to be validated by ingest).
    """

    clause_id: str
    phases: tuple[str, ...]
    data_categories: tuple[str, ...] = ()
    principles: tuple[str, ...] = ()


@dataclass(frozen=True)
class SheetScope:
    """The use cases a sheet covers: its items come back only for a use case in scope.

    ``match`` holds cues, each a tuple of groups of alternative phrases that must all occur in the
    description (``kb/cues.py``); the use case is in scope when one cue matches and no ``unless`` cue
    does.
    """

    summary: str
    match: tuple[tuple[tuple[str, ...], ...], ...]
    unless: tuple[tuple[tuple[str, ...], ...], ...] = ()  # cues that take a use case out ("no face recognition")
    technologies: tuple[str, ...] = ()
    data_categories: tuple[str, ...] = ()
    purposes: tuple[str, ...] = ()


@dataclass(frozen=True)
class GuidelineSource:
    """The document's ``source`` block, for the source registry."""

    id: str
    title: str
    issuer: str
    language: str
    version_date: str  # ISO date, YYYY-MM-DD
    url: str | None = None
    based_on: tuple[str, ...] = ()
    summary: str | None = None
    scope: SheetScope | None = None  # None: the document applies to every use case


def parse_guideline_yaml(data: bytes) -> list[ClauseRecord]:
    """Principles, sections and checks of a guideline document, in document order."""
    return _Parser(data).parse().records


def guideline_checks(data: bytes) -> list[CheckItem]:
    """Phases, data categories and principle links of every check, in document order."""
    return _Parser(data).parse().checks


def parse_guideline_document(data: bytes) -> ParsedDocument:
    """Records, checks and source metadata of a guideline document, from one read of it."""
    result = _Parser(data).parse()
    metadata = dataclasses.asdict(result.source)
    source = {k: str(v) for k, v in metadata.items() if v not in (None, ()) and k != "scope"}  # scope: kb/sheets.py
    return ParsedDocument(result.records, result.checks, source)


def guideline_source(data: bytes) -> GuidelineSource:
    """The validated source metadata of a guideline document."""
    return _Parser(data).parse().source


@dataclass
class _Result:
    source: GuidelineSource
    records: list[ClauseRecord] = field(default_factory=list)
    checks: list[CheckItem] = field(default_factory=list)


@dataclass
class _PendingCheck:
    """A check whose principle links are resolved once every principle id is known."""

    record: ClauseRecord
    phases: tuple[str, ...]
    data_categories: tuple[str, ...]
    links: list[tuple[str, str]]  # (link as written, its YAML path)


class _Parser:
    """One pass over one document; keeps the YAML line of every path for error messages."""

    def __init__(self, data: bytes) -> None:
        self._text = decode_text(data, "YAML")
        self._lines: dict[str, int] = {}
        self._ids: dict[str, str] = {}  # local id -> YAML path of its definition
        self._principle_ids: set[str] = set()
        self._records: list[ClauseRecord] = []
        self._pending: list[_PendingCheck] = []
        self._source_id = ""
        self._language = "en"

    # -- entry point -------------------------------------------------------------------

    def parse(self) -> _Result:
        document = self._load()
        if isinstance(document, dict) and document.get("format") != FORMAT_TAG:
            found = document.get("format")
            self._fail(
                "format",
                f"expected 'format: {FORMAT_TAG}', found {found!r}: not a guideline document?",
            )
        self._require_mapping(document, "", _TOP_KEYS)
        source = self._source(document["source"], "source")
        if "scope" in document:
            source = replace(source, scope=self._scope(document["scope"], "scope"))
        self._source_id, self._language = source.id, source.language
        for key, value in document.items():
            if key == "principles":
                self._principles(value, key)
            elif key == "sections":
                self._sections(value, key)
            elif key == "checks":
                self._checks(value, key, parent=None)
        if not self._records:
            self._fail("", "the document has no principles, sections or checks")
        checks = [self._resolve(pending) for pending in self._pending]
        own_principles = {self._full(p) for p in self._principle_ids}
        refs = {c.clause_id: tuple(p for p in c.principles if p in own_principles) for c in checks}
        records = [
            replace(record, position=i, refs=refs.get(record.id, ()))
            for i, record in enumerate(self._records)
        ]
        return _Result(source, records, checks)

    # -- YAML loading ------------------------------------------------------------------

    def _load(self) -> Any:
        """Parse the YAML, remembering each path's line and rejecting duplicate keys."""
        try:
            root = yaml.compose(self._text, Loader=yaml.SafeLoader)
            value = yaml.safe_load(self._text)
        except yaml.YAMLError as exc:
            raise ParseError(f"not valid YAML: {_yaml_problem(exc)}") from exc
        if root is None:
            raise ParseError("empty document: expected a YAML mapping with 'format' and 'source'")
        self._index(root, "")
        return value

    def _index(self, node: yaml.Node, path: str) -> None:
        self._lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            seen: set[Any] = set()
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    self._fail(path, "mapping keys must be plain names")
                key = key_node.value
                if key in seen:
                    line = key_node.start_mark.line + 1
                    raise ParseError(f"{_join(path, key)}: duplicate key (line {line})")
                seen.add(key)
                self._index(value_node, _join(path, key))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                self._index(item, f"{path}[{i}]")

    # -- blocks ------------------------------------------------------------------------

    def _source(self, value: Any, path: str) -> GuidelineSource:
        self._require_mapping(value, path, _SOURCE_KEYS)
        source_id = self._string(value, "id", path)
        if not _SLUG_RE.match(source_id):
            self._fail(
                f"{path}.id",
                f"source id {source_id!r} must be a lower-case slug "
                "like 'acme-frs' (letters, digits, hyphens)",
            )
        language = self._string(value, "language", path)
        if language not in SUPPORTED_LANGUAGES:
            self._fail(
                f"{path}.language",
                f"unsupported language {language!r}; use one of {SUPPORTED_LANGUAGES}",
            )
        url = self._string(value, "url", path, required=False)
        if url is not None and not url.startswith(("https://", "http://")):
            self._fail(f"{path}.url", f"expected an http(s) URL, got {url!r}")
        based_on = self._string_list(value, "based_on", path)
        for i, other in enumerate(based_on):
            if not _SLUG_RE.match(other):
                self._fail(f"{path}.based_on[{i}]", f"{other!r} is not a source id")
        return GuidelineSource(
            id=source_id,
            title=self._string(value, "title", path),
            issuer=self._string(value, "issuer", path),
            language=language,
            version_date=self._date(value, "version_date", path),
            url=url,
            based_on=tuple(based_on),
            summary=self._string(value, "summary", path, required=False),
        )

    def _scope(self, value: Any, path: str) -> SheetScope:
        self._require_mapping(value, path, _SCOPE_KEYS)
        return SheetScope(
            summary=self._string(value, "summary", path),
            match=self._cues(value["match"], f"{path}.match"),
            unless=self._cues(value["unless"], f"{path}.unless") if "unless" in value else (),
            technologies=tuple(self._string_list(value, "technologies", path)),
            data_categories=self._data_categories(value, path),
            purposes=tuple(self._string_list(value, "purposes", path)),
        )

    def _cues(self, match: Any, path: str) -> tuple[tuple[tuple[str, ...], ...], ...]:
        """``[[a, b], [c]]`` (one cue: groups of phrases that must all occur) or a list of such cues."""
        several = isinstance(match, list) and all(
            isinstance(c, list) and c and all(isinstance(g, list) for g in c) for c in match
        )
        cues = match if several and match else [match]
        parsed = []
        for i, cue in enumerate(cues):
            cue_path = f"{path}[{i}]" if several else path
            if not isinstance(cue, list) or not cue:
                self._fail(cue_path, "expected groups of phrases, e.g. [[face, facial], [recognition, verify]]")
            groups = []
            for k, group in enumerate(cue):
                phrases = group if isinstance(group, list) else [group]
                if not phrases or not all(isinstance(p, str) and p.strip() for p in phrases):
                    self._fail(f"{cue_path}[{k}]", "expected a non-empty list of phrases")
                groups.append(tuple(" ".join(p.split()) for p in phrases))
            parsed.append(tuple(groups))
        return tuple(parsed)

    def _principles(self, value: Any, path: str) -> None:
        for i, item in enumerate(self._list(value, path)):
            item_path = f"{path}[{i}]"
            self._require_mapping(item, item_path, _PRINCIPLE_KEYS)
            local = self._local_id(item, item_path)
            self._principle_ids.add(local)
            number = self._number(item, item_path, local)
            title = self._string(item, "title", item_path)
            clause_id = self._full(local)
            self._records.append(
                ClauseRecord(
                    id=clause_id,
                    kind="principle",
                    number=number,
                    label=f"Principle {number} {title}" if number else title,
                    text=self._string(item, "statement", item_path),
                    unit=clause_id,
                    title=title,
                    language=self._language,
                )
            )
            if "checks" in item:
                self._checks(item["checks"], f"{item_path}.checks", parent=local, implements=local)

    def _sections(self, value: Any, path: str) -> None:
        for i, item in enumerate(self._list(value, path)):
            item_path = f"{path}[{i}]"
            self._require_mapping(item, item_path, _SECTION_KEYS)
            local = self._local_id(item, item_path)
            number = self._number(item, item_path, local)
            title = self._string(item, "title", item_path)
            clause_id = self._full(local)
            self._records.append(
                ClauseRecord(
                    id=clause_id,
                    kind="section",
                    number=number,
                    label=f"Section {number} {title}" if number else title,
                    text=self._string(item, "statement", item_path, required=False) or "",
                    unit=clause_id,
                    title=title,
                    language=self._language,
                )
            )
            if "checks" in item:
                self._checks(item["checks"], f"{item_path}.checks", parent=local)

    def _checks(
        self, value: Any, path: str, *, parent: str | None, implements: str | None = None
    ) -> None:
        for i, item in enumerate(self._list(value, path)):
            item_path = f"{path}[{i}]"
            self._require_mapping(item, item_path, _CHECK_KEYS)
            local = self._local_id(item, item_path)
            number = self._number(item, item_path, local)
            clause_id = self._full(local)
            record = ClauseRecord(
                id=clause_id,
                kind="item",
                number=number,
                label=f"Check {number or local}",
                text=self._string(item, "statement", item_path),
                parent=self._full(parent) if parent else None,
                unit=clause_id,
                title=self._string(item, "question", item_path),
                language=self._language,
            )
            links = [
                (link, f"{item_path}.principles[{k}]")
                for k, link in enumerate(self._string_list(item, "principles", item_path))
            ]
            if implements and implements not in [link for link, _ in links]:
                links.insert(0, (implements, item_path))
            self._records.append(record)
            self._pending.append(
                _PendingCheck(
                    record=record,
                    phases=self._phases(item, item_path),
                    data_categories=self._data_categories(item, item_path),
                    links=links,
                )
            )

    # -- check fields ------------------------------------------------------------------

    def _phases(self, item: dict[str, Any], path: str) -> tuple[str, ...]:
        phases = self._string_list(item, "phases", path)
        if not phases:
            self._fail(f"{path}.phases", f"list at least one phase of {list(PHASES)}")
        for k, phase in enumerate(phases):
            if phase not in PHASES:
                known = ", ".join(f"{key} ({label})" for key, label in PHASE_LABELS.items())
                self._fail(f"{path}.phases[{k}]", f"unknown phase {phase!r}; use {known}")
        self._no_duplicates(phases, f"{path}.phases")
        return tuple(p for p in PHASES if p in phases)

    def _data_categories(self, item: dict[str, Any], path: str) -> tuple[str, ...]:
        categories = self._string_list(item, "data_categories", path)
        for k, category in enumerate(categories):
            if not _SLUG_RE.match(category):
                self._fail(
                    f"{path}.data_categories[{k}]",
                    f"{category!r} is not a lower-case slug like 'biometric'",
                )
        self._no_duplicates(categories, f"{path}.data_categories")
        return tuple(categories)

    def _resolve(self, pending: _PendingCheck) -> CheckItem:
        """Turn written principle links into full ids, checking same-document ones exist."""
        resolved: list[str] = []
        for link, path in pending.links:
            if ":" not in link:
                full = self._full_link(link, path)
            else:
                try:
                    full = str(ClauseId.parse(link))
                except InvalidClauseId as exc:
                    self._fail(path, str(exc))
                if full.split(":", 1)[0] == self._source_id:
                    self._full_link(full.split(":", 1)[1], path)
            if full in resolved:
                self._fail(path, f"principle {link!r} is linked twice")
            resolved.append(full)
        return CheckItem(
            pending.record.id, pending.phases, pending.data_categories, tuple(resolved)
        )

    def _full_link(self, local: str, path: str) -> str:
        if local not in self._principle_ids:
            known = ", ".join(sorted(self._principle_ids)) or "none"
            self._fail(
                path,
                f"{local!r} is not a principle of this document (principles: "
                f"{known}); link another source's principle as 'nec:p2'",
            )
        return self._full(local)

    # -- field helpers -----------------------------------------------------------------

    def _require_mapping(self, value: Any, path: str, keys: tuple[set[str], set[str]]) -> None:
        required, optional = keys
        if not isinstance(value, dict):
            self._fail(path, f"expected a mapping with {sorted(required)}, got {_type_name(value)}")
        for key in value:
            if not isinstance(key, str):
                self._fail(path, f"key {key!r} must be a name, not {_type_name(key)}")
            if key not in required | optional and not key.startswith("x-"):
                allowed = ", ".join(sorted(required | optional))
                self._fail(
                    _join(path, key),
                    f"unknown field {key!r}; allowed: {allowed} (or an 'x-' extension)",
                )
        for key in sorted(required - set(value)):
            self._fail(_join(path, key), "missing required field")

    def _string(
        self, item: dict[str, Any], key: str, path: str, *, required: bool = True
    ) -> str | None:
        value = item.get(key)
        field_path = _join(path, key)
        if value is None:
            if required:
                self._fail(field_path, "missing value")
            return None
        if not isinstance(value, str):
            self._fail(
                field_path,
                f"expected text, got {_type_name(value)} {value!r} "
                "(quote it if it is meant as text)",
            )
        text = " ".join(value.split())
        if not text:
            self._fail(field_path, "must not be empty")
        return text

    def _string_list(self, item: dict[str, Any], key: str, path: str) -> list[str]:
        value = item.get(key)
        field_path = _join(path, key)
        if value is None:
            return []
        if not isinstance(value, list):
            self._fail(field_path, f"expected a list like [a, b], got {_type_name(value)}")
        for k, element in enumerate(value):
            if not isinstance(element, str) or not element.strip():
                self._fail(
                    f"{field_path}[{k}]", f"expected non-empty text, got {_type_name(element)}"
                )
        return [element.strip() for element in value]

    def _list(self, value: Any, path: str) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            self._fail(path, f"expected a list, got {_type_name(value)}")
        return value

    def _date(self, item: dict[str, Any], key: str, path: str) -> str:
        value = item.get(key)
        if isinstance(value, dt.datetime):
            self._fail(_join(path, key), "expected a date YYYY-MM-DD without a time")
        if isinstance(value, dt.date):
            return value.isoformat()
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value.strip()).isoformat()
            except ValueError:
                pass
        self._fail(_join(path, key), f"expected a date YYYY-MM-DD, got {value!r}")

    def _local_id(self, item: dict[str, Any], path: str) -> str:
        local = self._string(item, "id", path)
        id_path = f"{path}.id"
        if ":" in local:
            self._fail(
                id_path,
                f"write the id without the source prefix "
                f"({local.split(':', 1)[1]!r}); it is added automatically",
            )
        try:
            parsed = ClauseId.parse(f"{self._source_id}:{local}")
        except InvalidClauseId:
            parsed = None
        if parsed is None or parsed.subdivisions or parsed.base != local:
            self._fail(
                id_path,
                f"invalid id {local!r}: use letters, digits, '.' and '-', e.g. 'check-3' or 'p2'",
            )
        if local in self._ids:
            self._fail(id_path, f"duplicate id {local!r} (first defined at {self._ids[local]})")
        self._ids[local] = id_path
        return local

    def _number(self, item: dict[str, Any], path: str, local: str) -> str:
        """Display number: the ``number`` field, else the id's trailing digits, else ''."""
        value = item.get("number")
        if value is None:
            match = _TRAILING_NUMBER_RE.search(local)
            return match[1] if match else ""
        if isinstance(value, bool) or not isinstance(value, str | int):
            self._fail(f"{path}.number", f"expected text or an integer, got {_type_name(value)}")
        return " ".join(str(value).split())

    def _no_duplicates(self, values: list[str], path: str) -> None:
        for k, value in enumerate(values):
            if value in values[:k]:
                self._fail(f"{path}[{k}]", f"{value!r} is listed twice")

    def _full(self, local: str) -> str:
        return f"{self._source_id}:{local}"

    def _fail(self, path: str, problem: str) -> NoReturn:
        raise ParseError(f"{path or 'document'}: {problem} (line {self._line(path)})")

    def _line(self, path: str) -> int:
        """The line of ``path``, or of its closest enclosing path when the field is absent."""
        while path and path not in self._lines:
            shorter = _LAST_PATH_STEP_RE.sub("", path)
            path = shorter if shorter != path else ""
        return self._lines.get(path, 1)


def _yaml_problem(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    return f"{problem} (line {mark.line + 1})" if mark is not None else problem


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else str(key)


def _type_name(value: Any) -> str:
    if value is None:
        return "nothing"
    return {dict: "a mapping", list: "a list", str: "text", bool: "true/false"}.get(
        type(value), type(value).__name__
    )
