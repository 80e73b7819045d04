"""PostgreSQL in a shared deployment (these run in the PostgreSQL half of ``scripts/test``):
replicas with a read-only role serve and follow new versions, a role that may not create schemas
cannot ingest and is told why, and a database outage is a 503 from which the service recovers."""

from __future__ import annotations

import secrets
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from ingest.pipeline import ingest
from kb.database import DatabaseError, PostgresVersions, driver_url, mappings_engine
from kb.settings import Settings
from kb.store import DataDir
from tests.conftest import copy_data_dir
from tests.test_api import start_server, stop_server

URL = Settings().database_url
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(URL is None, reason="needs KB_DATABASE_URL=postgresql://… (the second run of scripts/test)"),
]


@pytest.fixture
def private(ingested: Settings, tmp_path: Path) -> Settings:
    copy_data_dir(ingested.data_dir, tmp_path / "data")
    return Settings(data_dir=tmp_path / "data", sources_dir=ingested.sources_dir)


def _admin(sql: list[str]) -> None:
    engine = create_engine(driver_url(URL))
    with engine.begin() as connection:
        for statement in sql:
            connection.execute(text(statement))
    engine.dispose()


@pytest.fixture
def reader_url(private: Settings) -> Iterator[str]:
    """A login role that may read the versions and write the stored mappings, as docs/scaling.md
    tells a replica's role to be set up; it may not create schemas."""
    role, owner = f"kb_reader_{secrets.token_hex(3)}", make_url(URL).username
    data = DataDir.of(private)
    live = PostgresVersions(URL).schema(data.require_current())
    mappings_engine(private).dispose()  # the stored mappings' schema, created by the writer's role
    prefix = (private.data_dir / "SCHEMA_PREFIX").read_text().strip()
    _admin(
        [
            f"CREATE ROLE {role} LOGIN",
            f"GRANT USAGE ON SCHEMA {live} TO {role}",
            f"GRANT SELECT ON ALL TABLES IN SCHEMA {live} TO {role}",
            f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} GRANT USAGE ON SCHEMAS TO {role}",
            f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} GRANT SELECT ON TABLES TO {role}",
            f"GRANT USAGE ON SCHEMA {prefix}_mappings TO {role}",
            f"GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA {prefix}_mappings TO {role}",
        ]
    )
    yield make_url(URL).set(username=role).render_as_string(hide_password=False)
    _admin(
        [
            f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} REVOKE ALL ON SCHEMAS FROM {role}",
            f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} REVOKE ALL ON TABLES FROM {role}",
            f"DROP OWNED BY {role}",
            f"DROP ROLE {role}",
        ]
    )


def test_a_replica_with_a_read_only_role_serves_and_follows_new_versions(
    private: Settings, reader_url: str, reworded_oecd: Path, embedder
) -> None:
    process, base = start_server(private, {"KB_DATABASE_URL": reader_url})
    try:
        assert httpx.get(f"{base}/v1/search", params={"q": "right to erasure"}).status_code == 200
        assert httpx.get(f"{base}/v1/clauses/gdpr:art-17/history").status_code == 200
        mapped = httpx.post(f"{base}/v1/map", json={"description": "face recognition at shop entrances"})
        assert mapped.status_code == 200, mapped.text
        assert httpx.get(f"{base}/v1/map/{mapped.json()['id']}").status_code == 200

        changed = private.model_copy(update={"sources_dir": reworded_oecd})
        report = ingest(changed, embedder, only=["oecd"])  # by the writer's role
        assert report.published and report.sources[0].amended
        deadline = time.monotonic() + 20
        while httpx.get(f"{base}/healthz").json().get("version") != report.version:
            assert time.monotonic() < deadline, "the replica did not switch to the new version"
            time.sleep(0.3)
        changes = httpx.get(f"{base}/v1/sources/oecd/changes")  # read from the new version's schema
        assert changes.status_code == 200 and report.sources[0].amended[0] in changes.text, changes.text
    finally:
        stop_server(process)


def test_a_role_that_may_not_create_schemas_cannot_ingest_and_is_told_why(
    private: Settings, reader_url: str, reworded_oecd: Path, embedder
) -> None:
    live = DataDir.of(private).require_current()
    reader = private.model_copy(update={"sources_dir": reworded_oecd, "database_url": reader_url})
    with pytest.raises(DatabaseError, match="permission denied"):
        ingest(reader, embedder, only=["oecd"])
    assert DataDir.of(private).require_current() == live


class Cuttable:
    """A TCP relay to the database that the test can cut and restore: a database outage."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.open = True
        self.sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.open:
                client.close()
                continue
            server = socket.create_connection(self.target)
            self.sockets += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                s.close()

    def cut(self) -> None:
        self.open = False
        for s in self.sockets:
            s.close()
        self.sockets.clear()

    def restore(self) -> None:
        self.open = True

    def close(self) -> None:
        self.cut()
        self.listener.close()


def test_a_database_outage_is_a_503_and_the_service_recovers(private: Settings) -> None:
    url = make_url(URL)
    relay = Cuttable(url.host or "127.0.0.1", url.port or 5432)
    through_relay = url.set(host="127.0.0.1", port=relay.port).render_as_string(hide_password=False)
    process, base = start_server(private, {"KB_DATABASE_URL": through_relay})
    try:
        history = f"{base}/v1/clauses/gdpr:art-17/history"
        assert httpx.get(history).status_code == 200
        relay.cut()
        assert httpx.get(f"{base}/v1/search", params={"q": "right to erasure"}).status_code == 200  # in memory
        down = httpx.get(history, timeout=30)
        assert down.status_code == 503, down.text
        assert down.json()["error"]["code"] == "database_unavailable"
        assert "password" not in down.text and str(relay.port) not in down.text
        relay.restore()
        assert httpx.get(history, timeout=30).status_code == 200
    finally:
        stop_server(process)
        relay.close()
