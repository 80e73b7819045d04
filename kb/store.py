"""Where the knowledge base lives on disk, and how a new version is published in one step.

Layout of the data directory::

    data/CURRENT                 name of the published version (replaced atomically)
    data/versions/<name>/kb.sqlite   its tables (SQLite, the default; on PostgreSQL a schema, see kb.database)
    data/versions/<name>/index/  the FAISS index directory (see kb.index) of the primary embedding model
    data/versions/<name>/index.<model>/  one more per further dense leg (``KB_MODEL_NAME=a+b``)

Ingestion writes a complete new version beside the live one and then replaces ``CURRENT``; a
reader always sees one whole version, and a crash mid-ingest leaves the previous one serving.
"""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from kb.database import PREFIX_FILE, SQLITE_FILE, DatabaseError, SQLiteVersions, VersionDatabase, version_database
from kb.errors import KBError
from kb.settings import Settings

log = logging.getLogger(__name__)

INDEX_DIR = "index"
KEEP_VERSIONS = 3


def leg_index_dirs(version: Path, model_names: list[str]) -> list[Path]:
    """The index directory of each dense leg: ``index`` for the primary model, ``index.<model>``
    for the others (a path-like model name has its separators replaced)."""
    return [version / INDEX_DIR] + [version / f"{INDEX_DIR}.{_file_name(name)}" for name in model_names[1:]]


def _file_name(model_name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in model_name).strip(".") or "model"


class NotIngested(KBError, RuntimeError):
    """No version of the knowledge base has been published yet."""

    code = "not_ingested"
    http_status = 503


class IngestRunning(KBError, RuntimeError):
    """Another ingest holds the data directory."""

    code = "ingest_running"
    http_status = 409


class DataDir:
    def __init__(self, root: Path, database: VersionDatabase | None = None) -> None:
        self.root = root
        self.versions = root / "versions"
        self.pointer = root / "CURRENT"
        self.database = database or SQLiteVersions()

    @classmethod
    def of(cls, settings: Settings) -> DataDir:
        return cls(settings.data_dir, version_database(settings))

    def current(self) -> Path | None:
        """The published version's directory, or None before the first ingest."""
        try:
            name = self.pointer.read_text().strip()
        except FileNotFoundError:
            return None
        path = self.versions / name
        return path if name and path.is_dir() else None

    def require_current(self) -> Path:
        current = self.current()
        if current is None:
            raise NotIngested(f"no knowledge base in {self.root}: run `kb ingest` first")
        return current

    def new_version(self) -> Path:
        """A fresh, empty directory for a version being built (its store: ``kb.database.prepare_version``).

        Versions left by an ingest that was killed before publishing are removed first.
        """
        self.versions.mkdir(parents=True, exist_ok=True)
        self.remove_unpublished()
        path = self.versions / datetime.now(UTC).strftime("v%Y%m%dT%H%M%S%fZ")
        path.mkdir()
        return path

    def publish(self, version: Path) -> None:
        """Make ``version`` the live one in a single atomic rename, then prune old versions."""
        _fsync_tree(version)
        staging = self.root / "CURRENT.tmp"
        staging.write_text(version.name + "\n")
        with staging.open("rb") as handle:
            os.fsync(handle.fileno())
        os.replace(staging, self.pointer)
        self.prune(keep=KEEP_VERSIONS)

    def remove_unpublished(self) -> None:
        """Versions newer than the live one were never published: a killed ingest left them."""
        live = self.current()
        for path in self.versions.iterdir():
            if path.is_dir() and path != live and (live is None or path.name > live.name):
                self.discard(path)

    @contextmanager
    def writer_lock(self) -> Iterator[None]:
        """One ingest at a time per data directory; a second one fails at once with a clear message."""
        self.root.mkdir(parents=True, exist_ok=True)
        with (self.root / "ingest.lock").open("w") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise IngestRunning(f"another ingest is running on {self.root}; try again when it ends") from None
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def discard(self, version: Path) -> None:
        """Remove a version: its store first, then its directory (a kill in between leaves a
        directory without a store, which the next ingest removes). If the database cannot drop the
        store now, the directory stays, so that a later ingest tries again."""
        try:
            self.database.drop(version)
        except DatabaseError as exc:
            log.warning("could not remove %s now, the next ingest tries again: %s", version.name, exc)
            return
        shutil.rmtree(version, ignore_errors=True)

    def copy_to(self, target: Path) -> DataDir:
        """A copy of this data directory with its versions' stores (a backup, or a scratch copy)."""
        ignore = shutil.ignore_patterns(SQLITE_FILE, PREFIX_FILE, "*.lock")
        shutil.copytree(self.root, target, ignore=ignore)
        copy = DataDir(target, self.database)
        for version in sorted(self.versions.iterdir()) if self.versions.is_dir() else []:
            if self.database.exists(version):
                self.database.copy(version, copy.versions / version.name)
        return copy

    def prune(self, keep: int) -> None:
        """Remove all but the newest ``keep`` versions; never the live one."""
        live = self.current()
        versions = sorted(p for p in self.versions.iterdir() if p.is_dir())
        for old in versions[:-keep]:
            if old != live:
                self.discard(old)


def _fsync_tree(directory: Path) -> None:
    for path in directory.rglob("*"):
        if path.is_file():
            with path.open("rb") as handle:
                os.fsync(handle.fileno())
