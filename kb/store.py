"""Where the knowledge base lives on disk, and how a new version is published in one step.

Layout of the data directory (SQLite, the default)::

    data/CURRENT                 name of the published version (replaced atomically)
    data/versions/<name>/kb.sqlite
    data/versions/<name>/index/  the FAISS index directory (see kb.index)

Ingestion writes a complete new version beside the live one and then replaces ``CURRENT``; a
reader always sees one whole version, and a crash mid-ingest leaves the previous one serving.
"""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel, create_engine

from kb import models  # noqa: F401 - registers the tables on SQLModel.metadata

DB_FILE = "kb.sqlite"
INDEX_DIR = "index"
KEEP_VERSIONS = 3


class NotIngested(RuntimeError):
    """No version of the knowledge base has been published yet."""


class IngestRunning(RuntimeError):
    """Another ingest holds the data directory."""


class DataDir:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.versions = root / "versions"
        self.pointer = root / "CURRENT"

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
        """A fresh directory for a version being built, seeded with a copy of the live database.

        Directories left by an ingest that was killed before publishing are removed first.
        """
        self.versions.mkdir(parents=True, exist_ok=True)
        self.remove_unpublished()
        name = datetime.now(UTC).strftime("v%Y%m%dT%H%M%S%fZ")
        path = self.versions / name
        path.mkdir()
        live = self.current()
        if live is not None and (live / DB_FILE).is_file():
            shutil.copy2(live / DB_FILE, path / DB_FILE)
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
                shutil.rmtree(path, ignore_errors=True)

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
        shutil.rmtree(version, ignore_errors=True)

    def prune(self, keep: int) -> None:
        """Remove all but the newest ``keep`` versions; never the live one."""
        live = self.current()
        versions = sorted(p for p in self.versions.iterdir() if p.is_dir())
        for old in versions[:-keep]:
            if old != live:
                shutil.rmtree(old, ignore_errors=True)


def sqlite_url(version: Path) -> str:
    return f"sqlite:///{version / DB_FILE}"


def open_engine(url: str, tables: list[type[SQLModel]] | None = None) -> Engine:
    """An engine with the schema (or just ``tables``) created; SQLite connections check foreign keys."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = create_engine(url, pool_pre_ping=True)
    chosen = [t.__table__ for t in tables] if tables else None  # type: ignore[attr-defined]
    SQLModel.metadata.create_all(engine, tables=chosen)
    return engine


def _sqlite_pragmas(connection, _record) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _fsync_tree(directory: Path) -> None:
    for path in directory.rglob("*"):
        if path.is_file():
            with path.open("rb") as handle:
                os.fsync(handle.fileno())
