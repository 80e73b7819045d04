"""The registry of sources (``corpus/sources.toml``): the project's own description of each source."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from kb.errors import KBError


class RegistryError(KBError, ValueError):
    """The registry file is missing or malformed."""

    code = "registry_invalid"
    http_status = 503


@dataclass(frozen=True)
class Translation:
    """Another language's text of a source, attached clause by clause. ``version_date`` is the date
    of the text it translates; ``original`` the files of that original-language text, when it is
    older than the source's: a clause whose current text differs from it is marked outdated."""

    language: str
    parser: str
    files: tuple[str, ...]
    version_date: date | None = None
    legal_effect: bool = False
    note: str | None = None
    original: tuple[str, ...] = ()


@dataclass(frozen=True)
class EarlierVersion:
    """An earlier official version of a source, ingested before the current one by
    ``kb ingest --history`` so that history, diffs and ``as_of`` reach back to it."""

    version_date: date
    parser: str
    files: tuple[str, ...]
    omits: tuple[str, ...] = ()  # clause kinds the earlier file does not hold (not "added" later)


@dataclass(frozen=True)
class SourceEntry:
    id: str
    title: str
    short_name: str
    issuer: str
    jurisdiction: str
    kind: str
    binding: bool
    language: str
    version_date: date | None
    official_url: str
    clause_url: str
    parser: str
    files: tuple[str, ...]
    expected: dict[str, int] = field(default_factory=dict)
    download: tuple[str, ...] = ()
    sha256: tuple[str, ...] = ()
    translations: tuple[Translation, ...] = ()
    in_registry: bool = False  # files live in the registry directory (a company's own guidelines)
    history: tuple[EarlierVersion, ...] = ()
    # set when this version repealed the earlier one and enacted a new text in its place (not an
    # amendment): says which act did it; kept with every clause change of this version
    reenacted: str = ""

    def url_for(self, anchor: str | None, unit_number: str) -> str:
        """The link to a clause on the official site, as fine as the site allows."""
        if "{anchor}" in self.clause_url:
            return self.clause_url.format(anchor=anchor) if anchor else self.official_url
        return self.clause_url.format(number=unit_number)


_KINDS = {"law", "regulation", "guideline", "principles", "internal"}


INTERNAL_DIR = "internal"
INTERNAL_PARSER = "guideline-yaml"


def load_registry(registry_dir: Path) -> list[SourceEntry]:
    """Every ``*.toml`` file in the registry directory, each holding ``[[source]]`` tables, plus
    one source per company guideline in ``internal/*.yaml`` (a maintainer adds one without code)."""
    files = sorted(registry_dir.glob("*.toml"))
    if not files:
        raise RegistryError(f"no registry (*.toml) found in {registry_dir}")
    entries: list[SourceEntry] = []
    for path in files:
        with path.open("rb") as handle:
            try:
                document = tomllib.load(handle)
            except tomllib.TOMLDecodeError as exc:
                raise RegistryError(f"{path.name}: {exc}") from exc
        entries.extend(_entry(raw, path.name) for raw in document.get("source", []))
    entries.extend(_internal_entry(path, registry_dir) for path in sorted((registry_dir / INTERNAL_DIR).glob("*.yaml")))
    ids = [e.id for e in entries]
    duplicates = {i for i in ids if ids.count(i) > 1}
    if duplicates:
        raise RegistryError(f"source ids registered twice: {sorted(duplicates)}")
    return entries


def _entry(raw: dict, where: str) -> SourceEntry:
    try:
        kind = raw["kind"]
        if kind not in _KINDS:
            raise RegistryError(f"{where}: source {raw['id']!r} has kind {kind!r}, not one of {_KINDS}")
        return SourceEntry(
            id=raw["id"],
            title=raw["title"],
            short_name=raw.get("short_name", raw["id"].upper()),
            issuer=raw["issuer"],
            jurisdiction=raw["jurisdiction"],
            kind=kind,
            binding=bool(raw["binding"]),
            language=raw.get("language", "en"),
            version_date=_date(raw.get("version_date")),
            official_url=raw["official_url"],
            clause_url=raw.get("clause_url", raw["official_url"]),
            parser=raw["parser"],
            files=tuple(raw["files"]),
            expected=dict(raw.get("expected", {})),
            download=tuple(raw.get("download", ())),
            sha256=tuple(raw.get("sha256", ())),
            translations=tuple(_translation(t) for t in raw.get("translations", [])),
            history=tuple(sorted((_earlier(h) for h in raw.get("history", [])), key=lambda h: h.version_date)),
            reenacted=str(raw.get("reenacted", "")),
        )
    except KeyError as exc:
        raise RegistryError(f"{where}: a source lacks the field {exc.args[0]!r}") from exc


def _earlier(raw: dict) -> EarlierVersion:
    return EarlierVersion(
        _date(raw["version_date"]), raw["parser"], tuple(raw["files"]), tuple(raw.get("omits", ()))
    )


def _translation(raw: dict) -> Translation:
    return Translation(
        raw["language"],
        raw["parser"],
        tuple(raw["files"]),
        version_date=_date(raw.get("version_date")),
        legal_effect=bool(raw.get("legal_effect", False)),
        note=raw.get("note"),
        original=tuple(raw.get("original", ())),
    )


def _date(value: object) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _internal_entry(path: Path, registry_dir: Path) -> SourceEntry:
    """A company guideline describes itself in its ``source:`` block; read just that block here,
    the full document is validated by its parser at ingest."""
    import yaml

    try:
        block = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("source") or {}
        source_id, title = block["id"], block["title"]
    except (yaml.YAMLError, UnicodeDecodeError, AttributeError, KeyError, TypeError) as exc:
        raise RegistryError(f"{path.name}: not a guideline document with a source id and title ({exc})") from exc
    relative = str(path.relative_to(registry_dir))
    return SourceEntry(
        id=str(source_id),
        title=str(title),
        short_name=str(block.get("short_name", str(source_id).upper())),
        issuer=str(block.get("issuer", "")),
        jurisdiction="internal",
        kind="internal",
        binding=False,
        language=str(block.get("language", "en")),
        version_date=_date(block.get("version_date")),
        official_url=str(block.get("url") or f"corpus/{relative}"),
        clause_url=str(block.get("url") or f"corpus/{relative}"),
        parser=INTERNAL_PARSER,
        files=(relative,),
        in_registry=True,
    )
