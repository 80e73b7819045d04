"""A full disk or a read-only data directory during ingest: a clear error, and no damage.

The data directory is a small tmpfs holding a copy of the published knowledge base, and a source
has changed so that ingest must build and publish a new version. The free space is set with a
ballast file beside the data directory: room for the live version, not for a second one. Each test
checks that ingest stops with ``DataDirUnwritable`` (the CLI: ``error: …``, exit 1, no traceback;
the admin endpoint: a failed job, or 507), that nothing in the data directory changed (``CURRENT``,
no half-built version), that the live version still loads and answers, and that once space is
freed (or the file system is writable again) the next ingest publishes — the writer lock was
released.

Mounting needs root; without it, or where mounting is not permitted, those tests skip. The first
tests need no mount: they check how ``kb.diskerrors`` recognises such failures wherever they surface.
"""

from __future__ import annotations

import errno
import gc
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from ingest.pipeline import ingest
from kb.diskerrors import DataDirUnwritable, unwritable
from kb.knowledge import Library
from kb.search import Filters
from kb.service import ClauseMap
from kb.settings import Settings
from kb.store import DataDir
from tests.conftest import copy_data_dir
from tests.test_api import start_server, stop_server

ADMIN = "admin-token-for-disk-fault-tests"
CHANGED_CLAUSE_TEXT = "ensure full traceability"
QUERY = "traceability of datasets, processes and decisions"
MiB = 2**20


# --- recognising the failure (no mount needed) ----------------------------------------------------


@pytest.fixture
def published(tmp_path: Path) -> DataDir:
    """A data directory with a published version of 3 MiB (files only: the messages need no more)."""
    data = DataDir(tmp_path / "data")
    version = data.versions / "v20260101T000000000000Z"
    (version / "index").mkdir(parents=True)
    (version / "kb.sqlite").write_bytes(b"\0" * 2 * MiB)
    (version / "index" / "vectors.faiss").write_bytes(b"\0" * MiB)
    data.pointer.write_text(version.name + "\n")
    return data


def test_a_full_disk_is_told_with_the_file_the_live_version_and_what_to_do(published: DataDir) -> None:
    target = published.versions / "v20260102T000000000000Z" / "kb.sqlite"
    copying = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "/elsewhere/kb.sqlite", None, str(target))
    problem = unwritable(copying, published)  # shutil.copy2 names the destination second
    assert problem is not None and problem.cause == "full" and problem.path == str(target)
    assert str(problem) == (
        f"ingest stopped: no space left on device while writing {target} (data directory {published.root}); "
        "the published version v20260101T000000000000Z is still served; free some space (a new version needs "
        "about 3.0 MiB) and run `kb ingest` again"
    )


def test_sqlite_and_faiss_reports_of_a_full_disk_are_recognised(published: DataDir) -> None:
    engine = create_engine("sqlite://")
    with pytest.raises(OperationalError) as caught, engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (x TEXT)"))
        connection.execute(text("PRAGMA max_page_count = 2"))  # a database that cannot grow: SQLITE_FULL
        for _ in range(100):
            connection.execute(text("INSERT INTO t VALUES (:x)"), {"x": "x" * 1000})
    assert isinstance(caught.value.__cause__, sqlite3.OperationalError)  # SQLAlchemy's wrapper around it
    problem = unwritable(caught.value, published)
    assert problem is not None and problem.cause == "full"
    assert f"while writing the database of a new version in {published.versions}" in str(problem)
    faiss_error = RuntimeError("write error in /x/vectors.faiss: 10 != 20 (No space left on device)")
    assert "while writing the index of a new version" in str(unwritable(faiss_error, published))


def test_a_read_only_data_directory_is_named_even_behind_a_later_error(published: DataDir) -> None:
    try:
        try:
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(published.root / "ingest.lock"))
        except OSError:
            raise RuntimeError("cleaning up failed too")  # noqa: B904 - as a failing cleanup in a handler would
    except RuntimeError as exc:
        problem = unwritable(exc, published)  # found through __context__: the cleanup does not mask it
    assert problem is not None and problem.cause == "read-only"
    assert str(problem).startswith(f"ingest stopped: data directory {published.root} is read-only (cannot write ")


def test_other_failures_are_left_alone(published: DataDir, tmp_path: Path) -> None:
    model = tmp_path / "model" / "weights.bin"
    assert unwritable(OSError(errno.EACCES, "Permission denied", str(model)), published) is None  # not ours
    assert unwritable(OSError(errno.ENOENT, "No such file or directory", "x"), published) is None
    assert unwritable(ValueError("bad value"), published) is None
    assert unwritable(RuntimeError("Error in faiss: bad index"), published) is None
    denied = unwritable(OSError(errno.EACCES, "Permission denied", str(published.root / "x")), published)
    assert denied is not None and denied.cause == "denied"


# --- on a small tmpfs -----------------------------------------------------------------------------


@dataclass
class SmallDisk:
    mount: Path
    settings: Settings  # the data directory on the tmpfs, the changed corpus beside

    @property
    def data_dir(self) -> Path:
        return self.settings.data_dir

    @property
    def ballast(self) -> Path:
        return self.mount / "ballast"

    def live(self) -> str:
        current = DataDir(self.data_dir).current()
        assert current is not None
        return current.name

    def version_file(self, name: str) -> int:
        return (DataDir(self.data_dir).versions / self.live() / name).stat().st_size

    def version_size(self, directory: str) -> int:
        root = DataDir(self.data_dir).versions / self.live() / directory
        return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())

    def leave_free(self, room: int) -> None:
        """Fill the file system with the ballast until ``room`` bytes are left."""
        self.free_up()
        size = _free(self.mount) - room
        assert size > 0, "the tmpfs is too small for this test"
        with self.ballast.open("wb") as handle:
            os.posix_fallocate(handle.fileno(), 0, size)
        assert abs(_free(self.mount) - room) <= 64 * 1024

    def free_up(self) -> None:
        self.ballast.unlink(missing_ok=True)
        gc.collect()  # an in-process ingest's engine may still hold a deleted file open

    def read_only(self) -> None:
        _mount("-o", "remount,ro", str(self.mount))

    def read_write(self) -> None:
        _mount("-o", "remount,rw", str(self.mount))

    def files(self) -> dict[str, int]:
        """Every file of the data directory with its size, but the lock and admin job logs."""
        return {
            str(p.relative_to(self.data_dir)): p.stat().st_size
            for p in self.data_dir.rglob("*")
            if p.is_file() and p.name != "ingest.lock" and not p.name.startswith("ingest-")
        }


def _free(path: Path) -> int:
    stat = os.statvfs(path)
    return stat.f_bavail * stat.f_frsize


def _mount(*args: str) -> None:
    done = subprocess.run(["mount", *args], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def _tree_size(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


@pytest.fixture
def small_disk(ingested: Settings, reworded_oecd: Path, tmp_path: Path) -> Iterator[SmallDisk]:
    """A tmpfs twice the size of the ingested data directory, holding a copy of it; the sources
    directory is the reworded OECD source (conftest), so that ingest must publish."""
    if ingested.database_url:
        pytest.skip("KB_DATABASE_URL is set: the clause store is not in the data directory (these tests are SQLite's)")
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    if shutil.which("mount") is None:
        pytest.skip("no mount command")
    mount = tmp_path / "disk"
    mount.mkdir()
    size_mib = 2 * _tree_size(ingested.data_dir) // MiB + 16
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size_mib}m", "tmpfs", str(mount)], capture_output=True, text=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        copy_data_dir(ingested.data_dir, mount / "data")
        yield SmallDisk(mount, Settings(data_dir=mount / "data", sources_dir=reworded_oecd))
    finally:
        gc.collect()  # engines of in-process ingests and readers hold files on the tmpfs open
        if subprocess.run(["umount", str(mount)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "--lazy", str(mount)], check=True)  # detached now, freed when closed


def _answers(settings: Settings, embedder, version: str) -> None:
    """The live version opens (database, index checksum) and answers a search."""
    outcome = ClauseMap(settings, embedder).search(QUERY, k=5, filters=Filters(sources=("oecd",)))
    assert outcome.kb.version == version
    assert outcome.hits


def _republishes(disk: SmallDisk, embedder, before: str) -> None:
    report = ingest(disk.settings, embedder, only=["oecd"])  # the writer lock was released
    assert report.published and report.embedded >= 1
    kb = Library(disk.settings).get()
    assert kb.version != before
    assert any(CHANGED_CLAUSE_TEXT in (c.text or "") for c in kb.clauses.values() if c.source_id == "oecd")


@pytest.mark.slow
@pytest.mark.parametrize(
    "room, stops_at",
    [
        ("half the database", "kb.sqlite"),  # not even the copy of the live database fits
        ("the database", "the database of a new version"),  # the copy fits, SQLite's first write does not
        ("the database and a third of the index", "vectors.faiss"),  # the database is written, the index is not
    ],
)
def test_a_full_disk_stops_ingest_with_a_clear_error_and_no_damage(
    small_disk: SmallDisk, embedder, room: str, stops_at: str
) -> None:
    disk = small_disk
    live, before = disk.live(), disk.files()
    database, index = disk.version_file("kb.sqlite"), disk.version_size("index")
    disk.leave_free({"kb.sqlite": database // 2, "vectors.faiss": database + index // 3}.get(stops_at, database))

    with pytest.raises(DataDirUnwritable) as caught:
        ingest(disk.settings, embedder, only=["oecd"])
    error = caught.value
    message = str(error)
    assert error.cause == "full"
    assert message.startswith("ingest stopped: no space left on device while writing ")
    assert stops_at in message and f"(data directory {disk.data_dir})" in message
    assert f"the published version {live} is still served" in message
    assert "free some space" in message and "`kb ingest`" in message
    del caught, error

    assert disk.files() == before  # CURRENT as it was, no half-built version, nothing else left
    _answers(disk.settings, embedder, live)
    disk.free_up()
    _republishes(disk, embedder, live)


@pytest.mark.slow
def test_a_read_only_data_directory_stops_ingest_with_a_clear_error(small_disk: SmallDisk, embedder) -> None:
    disk = small_disk
    live, before = disk.live(), disk.files()
    disk.read_only()

    with pytest.raises(DataDirUnwritable) as caught:
        ingest(disk.settings, embedder, only=["oecd"])
    message = str(caught.value)
    assert caught.value.cause == "read-only"
    assert message.startswith(f"ingest stopped: data directory {disk.data_dir} is read-only")
    assert f"the published version {live} is still served" in message
    assert "remount it read-write or set KB_DATA_DIR" in message
    del caught

    assert disk.files() == before
    _answers(disk.settings, embedder, live)  # a reader needs no write access
    disk.read_write()
    _republishes(disk, embedder, live)


def _cli_ingest(settings: Settings) -> subprocess.CompletedProcess:
    env = {**os.environ, "KB_DATA_DIR": str(settings.data_dir), "KB_SOURCES_DIR": str(settings.sources_dir)}
    return subprocess.run(
        [sys.executable, "-m", "cli", "ingest", "-s", "oecd"], env=env, capture_output=True, text=True, timeout=600
    )


def _admin_ingest(base: str) -> tuple[int, dict]:
    """Start an ingest over the API; a started job is followed to its end."""
    auth = {"Authorization": f"Bearer {ADMIN}"}
    started = httpx.post(f"{base}/v1/admin/ingest", json={"sources": ["oecd"]}, headers=auth, timeout=30)
    if started.status_code != 202:
        return started.status_code, started.json()
    job = started.json()
    deadline = time.monotonic() + 300
    while job["status"] == "running" and time.monotonic() < deadline:
        time.sleep(1)
        job = httpx.get(f"{base}/v1/admin/ingest/{job['id']}", headers=auth, timeout=30).json()
    return 202, job


def _serves(base: str, version: str) -> None:
    health = httpx.get(f"{base}/healthz", timeout=30)
    assert health.status_code == 200 and health.json()["version"] == version, health.text
    search = httpx.get(f"{base}/v1/search", params={"q": QUERY, "source": "oecd", "k": 5}, timeout=60)
    assert search.status_code == 200 and search.json()["results"], search.text


@pytest.mark.slow
@pytest.mark.parametrize("fault", ["full", "read-only"])
def test_kb_ingest_and_the_admin_endpoint_say_so_and_the_server_keeps_serving(small_disk: SmallDisk, fault) -> None:
    disk = small_disk
    live, before = disk.live(), disk.files()
    if fault == "read-only":
        disk.read_only()
    process, base = start_server(disk.settings, {"KB_ADMIN_TOKEN": ADMIN})
    try:
        _serves(base, live)
        if fault == "full":
            disk.leave_free(disk.version_file("kb.sqlite") // 2)

        result = _cli_ingest(disk.settings)
        assert result.returncode == 1, result.stdout + result.stderr
        assert "Traceback" not in result.stdout + result.stderr
        expected = "no space left on device" if fault == "full" else f"data directory {disk.data_dir} is read-only"
        assert result.stderr.startswith(f"error: ingest stopped: {expected}"), result.stderr
        assert f"the published version {live} is still served" in result.stderr

        status, answer = _admin_ingest(base)
        if fault == "full":  # the job starts, and fails saying why
            assert status == 202 and answer["status"] == "failed" and answer["exit_code"] == 1, answer
            assert "error: ingest stopped: no space left on device" in answer["output"], answer
            assert "Traceback" not in answer["output"]
        else:  # not even the job's log can be written: refused at once
            assert status == 507 and answer["error"]["code"] == "data_dir_unwritable", answer
            assert f"data directory {disk.data_dir} is read-only" in answer["error"]["message"]

        assert disk.files() == before
        _serves(base, live)

        if fault == "full":
            disk.free_up()
        else:
            disk.read_write()
        result = _cli_ingest(disk.settings)
        assert result.returncode == 0 and "published" in result.stdout, result.stdout + result.stderr
        published = disk.live()
        assert published != live
        deadline = time.monotonic() + 10
        while httpx.get(f"{base}/healthz", timeout=30).json()["version"] != published:
            assert time.monotonic() < deadline, "the server did not switch to the new version"
            time.sleep(0.5)
        _serves(base, published)
    finally:
        stop_server(process)


@pytest.mark.slow
@pytest.mark.parametrize("fault", ["full", "read-only"])
def test_a_mapping_that_cannot_be_stored_says_why_and_search_still_works(small_disk: SmallDisk, fault) -> None:
    disk = small_disk
    live = disk.live()
    if fault == "full":
        disk.leave_free(0)
    else:
        disk.read_only()
    expected = "no space left on device" if fault == "full" else f"data directory {disk.data_dir} is read-only"
    description = "face recognition of customers at the shop entrance"
    process, base = start_server(disk.settings)
    try:
        _serves(base, live)
        response = httpx.post(f"{base}/v1/map", json={"description": description}, timeout=60)
        assert response.status_code == 507, response.text
        error = response.json()["error"]
        assert error["code"] == "data_dir_unwritable"
        assert error["message"].startswith(f"the mapping was made but could not be stored: {expected}"), error
        page = httpx.get(f"{base}/map", params={"description": description}, timeout=60)
        assert page.status_code == 507 and "could not be stored" in page.text
        _serves(base, live)
    finally:
        stop_server(process)
    env = {**os.environ, "KB_DATA_DIR": str(disk.data_dir), "KB_SOURCES_DIR": str(disk.settings.sources_dir)}
    result = subprocess.run(
        [sys.executable, "-m", "cli", "map", description], env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert result.stderr.startswith(f"error: the mapping was made but could not be stored: {expected}")
