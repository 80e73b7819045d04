"""A data directory that cannot be written — full disk, quota, read-only mount, no permission — told
in words a maintainer can act on.

Ingestion builds a new version beside the live one (see ``kb.store``); when the disk fills up or
the data directory turns out to be read-only, the half-built version is discarded and the live one
keeps serving. ``unwritable`` recognises such a failure wherever it surfaced (an ``OSError`` from
Python, SQLite's "database or disk is full", FAISS's write error) and turns it into
``DataDirUnwritable`` with a message that says what happened, what is still served and what to do.
"""

from __future__ import annotations

import errno
import os
import sqlite3
from pathlib import Path

from kb.errors import KBError
from kb.store import DataDir

FULL, QUOTA, READ_ONLY, DENIED = "full", "quota", "read-only", "denied"
_ERRNOS = {
    errno.ENOSPC: FULL,
    errno.EDQUOT: QUOTA,
    errno.EROFS: READ_ONLY,
    errno.EACCES: DENIED,
    errno.EPERM: DENIED,
}
_WHAT = {FULL: "no space left on device", QUOTA: "disk quota exceeded"}
_SQLITE = {"SQLITE_FULL": FULL, "SQLITE_READONLY": READ_ONLY, "SQLITE_READONLY_DIRECTORY": READ_ONLY}


class DataDirUnwritable(KBError, RuntimeError):
    """The data directory cannot be written; nothing was published and the live version still serves."""

    code = "data_dir_unwritable"
    http_status = 507

    def __init__(self, message: str, cause: str, path: str | None) -> None:
        super().__init__(message)
        self.cause = cause  # full, quota, read-only or denied
        self.path = path


def unwritable(exc: BaseException, data: DataDir, action: str = "ingest stopped") -> DataDirUnwritable | None:
    """``exc`` (or what caused it) as a ``DataDirUnwritable`` about an ingest in ``data``; None when it
    is something else. ``action`` opens the message (what did not happen)."""
    found = _cause(exc, data.root)
    if found is None:
        return None
    cause, path, part = found
    live = data.current()
    served = f"the published version {live.name} is still served" if live else "nothing has been published yet"
    where = path or f"{part} of a new version in {data.versions}"
    again = "run `kb ingest` again"
    if cause in (FULL, QUOTA):
        need = f" (a new version needs about {_mib(_size(live))} MiB)" if live else ""
        message = f"{action}: {_WHAT[cause]} while writing {where} (data directory {data.root}); {served}; "
        message += f"free some space{need} and {again}"
    elif cause == READ_ONLY:
        message = (
            f"{action}: data directory {data.root} is read-only (cannot write {where}); {served}; remount it "
            f"read-write or set KB_DATA_DIR to a writable directory, then {again}"
        )
    else:
        message = (
            f"{action}: permission denied writing {where} in data directory {data.root}; {served}; let the user "
            f"running `kb ingest` write there, then {again}"
        )
    return DataDirUnwritable(message, cause, path)


def mapping_unstored(exc: BaseException, data_dir: Path) -> DataDirUnwritable | None:
    """``exc`` as a ``DataDirUnwritable`` about storing a mapping (``data/mappings.sqlite``)."""
    found = _cause(exc, data_dir)
    if found is None:
        return None
    cause, path, _ = found
    where = path or f"the stored mappings' database in {data_dir}"
    action = "the mapping was made but could not be stored"
    remedy = "or set KB_MAPPINGS_URL to a writable database, then send the request again"
    if cause in (FULL, QUOTA):
        message = f"{action}: {_WHAT[cause]} while writing {where}; free some space {remedy}"
    elif cause == READ_ONLY:
        message = f"{action}: data directory {data_dir} is read-only (cannot write {where}); "
        message += f"remount it read-write {remedy}"
    else:
        message = f"{action}: permission denied writing {where}; let the server's user write there {remedy}"
    return DataDirUnwritable(message, cause, path)


def _cause(exc: BaseException, root: Path) -> tuple[str, str | None, str] | None:
    """(cause, the path written if known, what was being written) of ``exc`` or what led to it."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        found = _one(current, root)
        if found is not None:
            return found
        current = current.__cause__ or current.__context__
    return None


def _one(exc: BaseException, root: Path) -> tuple[str, str | None, str] | None:
    if isinstance(exc, OSError) and exc.errno in _ERRNOS:
        cause = _ERRNOS[exc.errno]
        path = exc.filename2 or exc.filename  # shutil.copy puts the destination in filename2
        path = os.fsdecode(path) if path is not None else None
        if cause in (READ_ONLY, DENIED) and path is not None and not _inside(Path(path), root):
            return None  # a source, the model or the registry: not the data directory's fault
        return cause, path, "the files"
    if isinstance(exc, sqlite3.Error):
        cause = _SQLITE.get(getattr(exc, "sqlite_errorname", None) or "")
        return (cause, None, "the database") if cause else None
    if type(exc) is RuntimeError:  # FAISS reports a failed write as a RuntimeError carrying strerror
        text = str(exc)
        for number, cause in _ERRNOS.items():
            if cause in (FULL, QUOTA, READ_ONLY) and os.strerror(number) in text:
                return cause, None, "the index"
    return None


def _inside(path: Path, root: Path) -> bool:
    try:
        return path.resolve().is_relative_to(root.resolve())
    except OSError:
        return False


def _size(directory: Path) -> int:
    return sum(p.stat().st_size for p in directory.rglob("*") if p.is_file())


def _mib(size: int) -> str:
    return f"{size / 2**20:.1f}"
