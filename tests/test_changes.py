"""When a law changes: exact diffs between real official versions, history, as_of, incremental
embedding, and a kill at any point of ingestion leaving the previous version serving."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from sqlmodel import select

from ingest.pipeline import ingest
from kb.knowledge import Library
from kb.models import ClauseVersion, SourceVersion
from kb.registry import load_registry
from kb.search import Filters
from kb.service import ClauseMap
from kb.settings import Settings
from kb.store import DataDir
from tests.conftest import copy_data_dir

pytestmark = pytest.mark.slow

CORRIGENDUM_2018 = {
    "gdpr:recital-71",
    "gdpr:art-37(1)(c)",
    "gdpr:art-41(3)",
    "gdpr:art-41(5)",
    "gdpr:art-42(7)",
    "gdpr:art-43(3)",
    "gdpr:art-43(6)",
    "gdpr:art-57(1)(p)",
    "gdpr:art-64(1)(c)",
    "gdpr:art-64(6)",
    "gdpr:art-64(7)",
    "gdpr:art-64(8)",
    "gdpr:art-65(1)(a)",
    "gdpr:art-69(2)",
    "gdpr:art-70(1)(l)",
    "gdpr:art-70(1)(o)",
    "gdpr:art-70(1)(p)",
}


@pytest.fixture(scope="module")
def with_history(tmp_path_factory, corpus_dir: Path, embedder) -> Settings:
    """GDPR and OECD ingested from their earliest official version to the current one."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("history"), sources_dir=corpus_dir)
    report = ingest(settings, embedder, only=["gdpr", "oecd"], history=True)
    assert not report.failed
    return settings


@pytest.fixture(scope="module")
def service(with_history: Settings, embedder) -> ClauseMap:
    return ClauseMap(with_history, embedder)


def _versions(service: ClauseMap, source: str) -> list:
    return list(reversed(service.changes(source=source)))  # oldest first


def test_gdpr_2016_to_2018_reports_exactly_the_corrigendum(service: ClauseMap) -> None:
    first, second = _versions(service, "gdpr")
    assert (first.version_date.isoformat(), first.added, first.amended) == ("2016-05-04", 1060, 0)
    assert second.version_date.isoformat() == "2018-05-23"
    assert (second.added, second.repealed) == (0, 0)
    assert {c["clause_id"] for c in second.changes} == CORRIGENDUM_2018
    art_43_3 = next(c for c in second.changes if c["clause_id"] == "gdpr:art-43(3)")
    assert ["-", "criteria"] in art_43_3["diff"] and ["+", "requirements"] in art_43_3["diff"]


def test_oecd_2019_to_2024_reports_real_amendments_only(service: ClauseMap) -> None:
    _, amended = _versions(service, "oecd")
    # 2024 renumbered: 1.4(b) traceability and 1.4(c) risk management became 1.5(b) and 1.5(c),
    # and the words of 1.5 went to its new point (a); 1.4(b) and 1.4(c) hold new provisions
    moves = {c["from_id"]: c["clause_id"] for c in amended.changes if c["change"] == "moved"}
    assert moves == {"oecd:1.4(b)": "oecd:1.5(b)", "oecd:1.4(c)": "oecd:1.5(c)", "oecd:1.5": "oecd:1.5(a)"}
    assert amended.moved == 3
    added = {c["clause_id"] for c in amended.changes if c["change"] == "added"}
    assert added == {"oecd:1.4(b)", "oecd:1.4(c)"}
    assert amended.repealed == 0
    changed = {c["clause_id"]: c for c in amended.changes if c["change"] == "amended"}
    assert "oecd:def-ai-system" in changed and "oecd:1.4(b)" not in changed
    for change in changed.values():  # no spurious "amended" from whitespace or layout
        real_edit = any(op != "=" for op, _ in change["diff"]) or change["title_before"] != change["title_after"]
        assert real_edit, change["clause_id"]


def test_a_moved_provision_keeps_its_history_and_every_version_its_source_version(service: ClauseMap) -> None:
    kb = service.kb()
    history = kb.history("oecd:1.5(b)")
    assert [v.clause_id for v in history] == ["oecd:1.4(b)", "oecd:1.5(b)"]
    assert "ensure traceability" in history[0].text and history[1].moved_from == "oecd:1.4(b)"
    with kb.session() as session:
        versions = session.exec(select(ClauseVersion)).all()
        ingests = {v.id for v in session.exec(select(SourceVersion))}
    assert versions and all(v.source_version_id in ingests for v in versions)


def test_as_of_answers_as_the_knowledge_base_stood_then(service: ClauseMap) -> None:
    kb, before = service.clause("gdpr:art-43(3)", datetime(2017, 1, 1))
    assert "on the basis of criteria approved" in before.text
    _, now = service.clause("gdpr:art-43(3)")
    assert "on the basis of requirements approved" in now.text
    assert [v.valid_to is None for v in kb.history("gdpr:art-43(3)")] == [False, True]
    hits_2017 = service.search(
        "carry out the accreditation of certification bodies",
        k=3,
        filters=Filters(sources=("gdpr",), as_of=datetime(2017, 1, 1)),
    ).hits
    assert "carry out the accreditation" in next(h for h in hits_2017 if h.unit.id == "gdpr:art-70").clause.text
    assert service.search("personal data", filters=Filters(sources=("gdpr",), as_of=datetime(2015, 1, 1))).hits == []


def _copy(settings: Settings, tmp_path: Path) -> Settings:
    data_dir = tmp_path / "data"
    copy_data_dir(settings.data_dir, data_dir)
    corpus = tmp_path / "corpus"
    for source in ("gdpr", "oecd-ai"):
        shutil.copytree(settings.sources_dir / source, corpus / source)
    for path in corpus.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    return Settings(data_dir=data_dir, sources_dir=corpus)


def _gdpr_file(settings: Settings) -> Path:
    return settings.sources_dir / load_registry(settings.registry_dir)[0].files[0]


def test_unchanged_reingest_embeds_nothing_and_publishes_nothing(
    with_history: Settings, tmp_path: Path, embedder
) -> None:
    settings = _copy(with_history, tmp_path)
    live = DataDir(settings.data_dir).current()
    started = time.perf_counter()
    report = ingest(settings, embedder, only=["gdpr", "oecd"])
    assert (report.published, report.embedded) == (False, 0)
    assert time.perf_counter() - started < 10
    assert DataDir(settings.data_dir).current() == live


def test_one_changed_clause_is_the_only_one_embedded_again(with_history: Settings, tmp_path: Path, embedder) -> None:
    settings = _copy(with_history, tmp_path)
    path = _gdpr_file(settings)
    old = b"processing is necessary in order to protect the vital interests of the data subject"
    assert path.read_bytes().count(old) == 1
    path.write_bytes(path.read_bytes().replace(old, old.replace(b"vital", b"essential")))
    report = ingest(settings, embedder, only=["gdpr", "oecd"])
    gdpr = next(s for s in report.sources if s.source_id == "gdpr")
    assert (gdpr.added, gdpr.amended, gdpr.repealed) == ([], ["gdpr:art-6(1)(d)"], [])
    assert report.embedded == 1
    diff = ClauseMap(settings, embedder).changes(source="gdpr")[0].changes[0]["diff"]
    assert ["-", "vital"] in diff and ["+", "essential"] in diff


def test_a_removed_article_is_repealed_not_deleted(with_history: Settings, tmp_path: Path, embedder) -> None:
    settings = _copy(with_history, tmp_path)
    path = _gdpr_file(settings)
    data = path.read_bytes()
    start = data.index(b'<ARTICLE IDENTIFIER="099">')
    path.write_bytes(data[:start] + data[data.index(b"</ARTICLE>", start) + 10 :])
    shutil.copytree(settings.registry_dir, tmp_path / "registry")
    registry = tmp_path / "registry" / "sources.toml"
    registry.write_text(registry.read_text().replace("article = 99,", "article = 98,", 1))
    settings = Settings(data_dir=settings.data_dir, sources_dir=settings.sources_dir, registry_dir=registry.parent)
    report = ingest(settings, embedder, only=["gdpr"])
    assert set(report.sources[0].repealed) == {"gdpr:art-99", "gdpr:art-99(1)", "gdpr:art-99(2)"}
    service = ClauseMap(settings, embedder)
    _, repealed = service.clause("gdpr:art-99")
    assert repealed.repealed
    assert "gdpr:art-99" not in [h.unit.id for h in service.search("entry into force and application", k=20).hits]
    _, then = service.clause("gdpr:art-99(2)", datetime(2020, 1, 1))
    assert "25 May 2018" in then.text


def _rewrite_many_clauses(settings: Settings) -> None:
    path = _gdpr_file(settings)
    path.write_bytes(path.read_bytes().replace(b"supervisory authority", b"supervisory body"))


def test_a_killed_ingest_leaves_the_previous_version_serving(with_history: Settings, tmp_path: Path) -> None:
    settings = _copy(with_history, tmp_path)
    _rewrite_many_clauses(settings)
    data = DataDir(settings.data_dir)
    before = data.current()
    env = {**os.environ, "KB_DATA_DIR": str(settings.data_dir), "KB_SOURCES_DIR": str(settings.sources_dir)}
    rng = random.Random(7)
    for _ in range(3):
        process = subprocess.Popen(
            [sys.executable, "-m", "cli", "ingest", "-s", "gdpr"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(1.0, 12.0))
        process.send_signal(signal.SIGKILL)
        process.wait()
        current = data.current()
        assert current is not None
        kb = Library(settings).get()  # opens: database readable, index checksum verified
        assert kb.version in (before.name, current.name) and kb.index.index.ntotal > 1000
    result = subprocess.run(
        [sys.executable, "-m", "cli", "ingest", "-s", "gdpr"], env=env, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "supervisory body" in Library(settings).get().clauses["gdpr:art-51(1)"].text
    leftovers = [p for p in data.versions.iterdir() if p != data.current()]
    assert len(leftovers) <= 2  # killed attempts are cleaned up, only kept versions remain


def test_a_running_server_keeps_answering_and_switches_version_without_restart(
    with_history: Settings, tmp_path: Path
) -> None:
    from tests.test_api import start_server, stop_server

    settings = _copy(with_history, tmp_path)
    _rewrite_many_clauses(settings)
    process, base = start_server(settings)
    try:
        old_version = httpx.get(f"{base}/healthz").json()["version"]
        env = {**os.environ, "KB_DATA_DIR": str(settings.data_dir), "KB_SOURCES_DIR": str(settings.sources_dir)}
        ingesting = subprocess.Popen(
            [sys.executable, "-m", "cli", "ingest", "-s", "gdpr"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        statuses = []
        with httpx.Client(base_url=base, timeout=30) as client:
            while ingesting.poll() is None:
                statuses.append(client.get("/v1/search", params={"q": "supervisory authority powers"}).status_code)
            assert ingesting.returncode == 0
            time.sleep(1.5)
            assert client.get("/healthz").json()["version"] != old_version
            text = client.get("/v1/clauses/gdpr:art-51(1)").json()["text"]
        assert statuses and set(statuses) == {200}
        assert "supervisory body" in text
    finally:
        stop_server(process)
