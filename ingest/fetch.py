"""Download registered sources from their official URLs into the sources directory, safely.

A source's ``download`` URLs are parallel to its ``files``: URL i is saved as file i (see the header
of ``corpus/sources.toml``). Each file is streamed to a hidden temporary file beside its target,
checked (complete against Content-Length, under the size limit, not empty, of the kind its name
says, equal to the pinned ``sha256`` if any) and only then moved into place with ``os.replace``, all
files of a source together after every one of them passed. On any error nothing is replaced, the
previous files stay as they were and no temporary file is left, so ingest never reads a partial or
wrong download.

The ETag and Last-Modified of each successful download are kept in a JSON state file
(``<data_dir>/fetch-state.json``, written atomically) and sent back as ``If-None-Match`` /
``If-Modified-Since`` next time, so an unchanged file costs a ``304 Not Modified``. They are sent only
while the local file still has the checksum recorded with them: a file edited or deleted by hand is
downloaded again in full.

One source's failure is reported and the others go ahead.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx

from kb.errors import KBError
from kb.registry import SourceEntry, load_registry
from kb.settings import Settings

log = logging.getLogger(__name__)

USER_AGENT = "clausemap/0.1"
MAX_BYTES = 200 * 1024 * 1024  # the largest official document we accept (the corpus' largest is a few MB)
MAX_REDIRECTS = 5
STATE_FILE = "fetch-state.json"
NO_URL = "no official download URL registered (kept the local copy)"

_CHUNK = 64 * 1024
_SHA256 = re.compile(r"[0-9a-fA-F]{64}")


class FetchError(KBError):
    """One file could not be fetched; the message names the URL and says why."""

    code = "fetch_failed"
    http_status = 502


class UnknownSource(KBError, ValueError):
    """A requested source id is not in the registry."""

    code = "unknown_source"
    http_status = 404


@dataclass(frozen=True)
class FetchReport:
    """What fetching one source did.

    ``status`` is ``downloaded`` (at least one file replaced), ``not_modified`` (the server said every
    file is unchanged), ``failed`` (nothing replaced; ``message`` says why) or ``skipped`` (no official
    URL). ``files`` / ``sha256s`` are the source's files now in place and their checksums (empty when
    failed or skipped); ``bytes`` is what was downloaded this time.
    """

    source_id: str
    status: str
    message: str
    files: tuple[str, ...] = ()
    bytes: int = 0
    sha256s: tuple[str, ...] = ()

    @property
    def failed(self) -> bool:
        return self.status == "failed"


@dataclass
class _Fetched:
    """One file's outcome before it is put in place: a verified temporary file, or a 304."""

    relpath: str
    url: str
    target: Path
    temp: Path | None  # None: not modified, the target stays
    sha256: str
    size: int
    etag: str | None
    last_modified: str | None
    final_url: str
    same_as_before: bool = False


def state_path_for(settings: Settings) -> Path:
    return settings.data_dir / STATE_FILE


def fetch_registered(
    settings: Settings,
    only: Sequence[str] | None = None,
    *,
    timeout: float = 30.0,
    client: httpx.Client | None = None,
) -> list[FetchReport]:
    """Fetch every registered source (or ``only`` those) as configured: what ``kb fetch`` and
    ``kb ingest --fetch`` run."""
    entries = load_registry(settings.registry_dir)
    if only:
        unknown = set(only) - {e.id for e in entries}
        if unknown:
            raise UnknownSource(f"unknown source(s) {sorted(unknown)}; registered: {[e.id for e in entries]}")
        entries = [e for e in entries if e.id in only]
    return fetch_sources(entries, settings.sources_dir, state_path_for(settings), timeout=timeout, client=client)


def fetch_sources(
    entries: Iterable[SourceEntry],
    sources_dir: Path,
    state_path: Path,
    *,
    timeout: float = 30.0,
    client: httpx.Client | None = None,
    max_bytes: int = MAX_BYTES,
) -> list[FetchReport]:
    """Download each source's files from its official URLs; one report per source, in order.

    ``timeout`` bounds connecting and each wait for data. A given ``client`` is used as it is (and
    not closed); requests still carry our User-Agent, timeout and redirect policy.
    """
    state = _load_state(state_path)
    own_client = client is None
    if client is None:
        client = httpx.Client(
            headers={"User-Agent": USER_AGENT}, timeout=timeout, follow_redirects=True, max_redirects=MAX_REDIRECTS
        )
    reports = []
    try:
        for entry in entries:
            report = _fetch_source(client, entry, Path(sources_dir), state, timeout, max_bytes)
            if report.status in ("downloaded", "not_modified"):
                try:
                    _save_state(state_path, state)
                except OSError as exc:
                    report = _with_note(report, f"could not save the fetch state to {state_path}: {exc}")
            reports.append(report)
    finally:
        if own_client:
            client.close()
    return reports


def _fetch_source(
    client: httpx.Client, entry: SourceEntry, sources_dir: Path, state: dict, timeout: float, max_bytes: int
) -> FetchReport:
    """All of one source's files, put in place together only when every one of them arrived intact."""
    if not entry.download:
        return FetchReport(entry.id, "skipped", NO_URL)
    problem = _registry_problem(entry, sources_dir)
    if problem:
        return FetchReport(entry.id, "failed", f"registry: {problem}")
    targets = [_target(sources_dir, relpath) for relpath in entry.files]
    fetched: list[_Fetched] = []
    try:
        for index, (relpath, url, target) in enumerate(zip(entry.files, entry.download, targets, strict=True)):
            pin = (entry.sha256[index] if entry.sha256 else "").lower()
            previous = _usable_state(state.get(relpath), url, target, pin)
            fetched.append(_fetch_file(client, relpath, url, target, previous, pin, timeout, max_bytes))
        _install(fetched)
    except FetchError as exc:
        return FetchReport(entry.id, "failed", f"{exc} ({_what_was_kept(targets)})")
    finally:
        for item in fetched:
            if item.temp is not None:
                item.temp.unlink(missing_ok=True)  # already moved into place on success
    now = datetime.now(UTC).isoformat(timespec="seconds")
    for item in fetched:
        _remember(state, entry.id, item, now)
    return _success_report(entry.id, fetched)


def _registry_problem(entry: SourceEntry, sources_dir: Path) -> str | None:
    """Why this entry cannot be fetched as registered, or None."""
    if len(entry.download) != len(entry.files):
        return (
            f"{len(entry.download)} download URL(s) for {len(entry.files)} file(s); "
            "`download` must be parallel to `files`"
        )
    if entry.sha256 and len(entry.sha256) != len(entry.files):
        return (
            f"{len(entry.sha256)} sha256 value(s) for {len(entry.files)} file(s); `sha256` must be parallel to `files`"
        )
    for index, pin in enumerate(entry.sha256, 1):
        if pin and not _SHA256.fullmatch(pin):
            return f"sha256 #{index} ({pin!r}) is not 64 hex digits"
    for url in entry.download:
        if httpx.URL(url).scheme not in ("http", "https"):
            return f"download URL {url!r} is not http(s)"
    for relpath in entry.files:
        root = sources_dir.resolve()
        if Path(relpath).is_absolute() or not _target(sources_dir, relpath).resolve().is_relative_to(root):
            return f"file {relpath!r} is outside the sources directory"
    return None


def _target(sources_dir: Path, relpath: str) -> Path:
    return sources_dir / relpath


def _usable_state(saved: dict | None, url: str, target: Path, pin: str) -> dict | None:
    """The validators saved for this file, if a 304 would still mean "the file you have is right":
    same URL, the local file unchanged since, and agreeing with the pinned checksum."""
    if not saved or saved.get("url") != url or not (saved.get("etag") or saved.get("last_modified")):
        return None
    if pin and saved.get("sha256") != pin:
        return None
    try:
        if _file_sha256(target) != saved.get("sha256"):
            return None
    except OSError:
        return None
    return saved


def _fetch_file(
    client: httpx.Client,
    relpath: str,
    url: str,
    target: Path,
    previous: dict | None,
    pin: str,
    timeout: float,
    max_bytes: int,
) -> _Fetched:
    """Download one URL into a verified temporary file beside ``target`` (or note a 304)."""
    headers = {"User-Agent": USER_AGENT}
    if previous and previous.get("etag"):
        headers["If-None-Match"] = previous["etag"]
    if previous and previous.get("last_modified"):
        headers["If-Modified-Since"] = previous["last_modified"]
    try:
        with client.stream("GET", url, headers=headers, timeout=timeout, follow_redirects=True) as response:
            final_url = str(response.url)
            where = url if final_url == url else f"{url} (redirected to {final_url})"
            etag, modified = response.headers.get("ETag"), response.headers.get("Last-Modified")
            if response.status_code == 304 and previous is not None:
                return _Fetched(
                    relpath,
                    url,
                    target,
                    None,
                    previous["sha256"],
                    0,
                    etag or previous.get("etag"),
                    modified or previous.get("last_modified"),
                    final_url,
                )
            if response.status_code != 200:
                raise FetchError(f"{where}: HTTP {response.status_code} {response.reason_phrase}".rstrip())
            declared = _declared_length(response, where)
            if declared is not None and declared > max_bytes:
                raise FetchError(f"{where}: the file is {declared:,} bytes, over the {max_bytes:,}-byte limit")
            temp, digest, size = _stream_to_temp(response, target, where, declared, pin, max_bytes)
            return _Fetched(relpath, url, target, temp, digest, size, etag, modified, final_url)
    except httpx.ConnectTimeout as exc:
        raise FetchError(f"{url}: timed out after {timeout:g} s connecting to the server") from exc
    except httpx.TimeoutException as exc:
        raise FetchError(f"{url}: timed out after {timeout:g} s waiting for the server to send data") from exc
    except httpx.TooManyRedirects as exc:
        raise FetchError(f"{url}: more than {MAX_REDIRECTS} redirects") from exc
    except httpx.RemoteProtocolError as exc:
        raise FetchError(f"{url}: the response broke off or was malformed ({exc})") from exc
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        raise FetchError(f"{url}: {type(exc).__name__}: {exc or 'request failed'}") from exc


def _declared_length(response: httpx.Response, where: str) -> int | None:
    value = response.headers.get("Content-Length")
    if value is None:
        return None
    if not value.isdigit():
        raise FetchError(f"{where}: invalid Content-Length {value!r}")
    return int(value)


def _stream_to_temp(
    response: httpx.Response, target: Path, where: str, declared: int | None, pin: str, max_bytes: int
) -> tuple[Path, str, int]:
    """Stream the body to a hidden temporary file in the target's directory and check it; the caller
    moves it into place. On any failure the temporary file is removed before the error propagates."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    except OSError as exc:
        raise FetchError(f"{where}: cannot write in {target.parent}: {exc.strerror or exc}") from exc
    temp = Path(name)
    try:
        digest, size, head = hashlib.sha256(), 0, b""
        with os.fdopen(handle, "wb") as out:
            for chunk in response.iter_bytes(_CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise FetchError(f"{where}: the file is larger than the {max_bytes:,}-byte limit")
                if len(head) < 1024:
                    head += chunk[: 1024 - len(head)]
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temp, 0o644)
        _check_body(response, target, where, declared, size, head, digest.hexdigest(), pin)
        return temp, digest.hexdigest(), size
    except OSError as exc:
        temp.unlink(missing_ok=True)
        raise FetchError(f"{where}: cannot write {target}: {exc.strerror or exc}") from exc
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def _check_body(
    response: httpx.Response,
    target: Path,
    where: str,
    declared: int | None,
    size: int,
    head: bytes,
    sha256: str,
    pin: str,
) -> None:
    """Refuse a body that is truncated, empty, of the wrong kind for its file, or not the pinned one."""
    received = response.num_bytes_downloaded  # on the wire, which is what Content-Length counts
    if declared is not None and received != declared:
        raise FetchError(f"{where}: truncated download, received {received:,} of {declared:,} bytes")
    if size == 0:
        raise FetchError(f"{where}: the server sent an empty file")
    wrong = _wrong_kind(target.name, head)
    if wrong:
        raise FetchError(f"{where}: the response is {wrong}, not the {target.suffix or 'plain'} file {target.name}")
    if pin and sha256 != pin:
        raise FetchError(f"{where}: sha256 {sha256} differs from the pinned {pin}")


def _wrong_kind(name: str, head: bytes) -> str | None:
    """Catch the usual wrong answers (an HTML landing or error page served with 200, a PDF where
    the registry expects text) by the first bytes; None when the body may be what the name says."""
    suffix = Path(name).suffix.lower()
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    is_pdf = b"%PDF-" in head
    is_html = start.startswith((b"<!doctype html", b"<html"))
    if suffix == ".pdf":
        return None if is_pdf else "an HTML page" if is_html else "not a PDF"
    if is_pdf:
        return "a PDF"
    if is_html and suffix not in (".html", ".htm", ".xhtml"):
        return "an HTML page"
    if suffix == ".xml" and not start.startswith(b"<"):
        return "not XML"
    return None


def _install(fetched: list[_Fetched]) -> None:
    """Move every verified temporary file over its target (same directory, so each move is atomic)."""
    for item in fetched:
        if item.temp is None:
            continue
        try:
            item.same_as_before = item.target.is_file() and _file_sha256(item.target) == item.sha256
            os.replace(item.temp, item.target)
        except OSError as exc:
            raise FetchError(f"{item.url}: cannot replace {item.target}: {exc.strerror or exc}") from exc
        item.temp = None


def _what_was_kept(targets: list[Path]) -> str:
    present = [t for t in targets if t.is_file()]
    if not present:
        return "nothing written"
    return "kept the previous file" if len(present) == 1 else "kept the previous files"


def _success_report(source_id: str, fetched: list[_Fetched]) -> FetchReport:
    files = tuple(item.relpath for item in fetched)
    sha256s = tuple(item.sha256 for item in fetched)
    downloaded = [item for item in fetched if item.size]
    if not downloaded:
        return FetchReport(source_id, "not_modified", "not modified (kept the local copy)", files, 0, sha256s)
    parts = []
    for item in fetched:
        name = Path(item.relpath).name
        if not item.size:
            parts.append(f"{name} not modified")
            continue
        same = ", same content as before" if item.same_as_before else ""
        via = f", via {item.final_url}" if item.final_url != item.url else ""
        parts.append(f"{name} ({item.size:,} bytes, sha256 {item.sha256[:12]}…{same}{via})")
    size = sum(item.size for item in downloaded)
    return FetchReport(source_id, "downloaded", "downloaded " + "; ".join(parts), files, size, sha256s)


def _with_note(report: FetchReport, note: str) -> FetchReport:
    return FetchReport(
        report.source_id, report.status, f"{report.message}; {note}", report.files, report.bytes, report.sha256s
    )


def _remember(state: dict, source_id: str, item: _Fetched, now: str) -> None:
    entry = {} if item.size else dict(state.get(item.relpath) or {})  # a 304 keeps what was known
    entry.update(
        source=source_id,
        url=item.url,
        final_url=item.final_url,
        etag=item.etag,
        last_modified=item.last_modified,
        sha256=item.sha256,
        checked_at=now,
    )
    if item.size:
        entry.update(bytes=item.size, fetched_at=now)
    state[item.relpath] = entry


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _load_state(path: Path) -> dict:
    """The validators of earlier fetches, by file path; an unreadable state only costs full downloads."""
    try:
        state = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        log.warning("ignoring unreadable fetch state %s (%s); files will be downloaded in full", path, exc)
        return {}
    return state if isinstance(state, dict) else {}


def _save_state(path: Path, state: dict) -> None:
    """Write the state next to its place and move it there, so a crash never leaves half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(state, out, indent=2, sort_keys=True, ensure_ascii=False)
            out.write("\n")
        os.replace(name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(name)
        raise
