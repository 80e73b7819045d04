"""Ingestion of the real corpus: counts, history, validation against the registry, safety."""

import shutil
from pathlib import Path

import pytest
from sqlmodel import Session, select

from ingest.pipeline import ingest
from kb.knowledge import Library
from kb.models import Clause, Source
from kb.registry import load_registry
from kb.settings import Settings
from kb.store import DataDir
from tests.conftest import copy_data_dir

pytestmark = pytest.mark.slow


def test_every_available_source_is_ingested_with_the_registry_counts(ingested: Settings) -> None:
    kb = Library(ingested).get()
    for entry in load_registry(ingested.registry_dir):
        source = kb.sources[entry.id]
        assert source.status == "ingested", (entry.id, source.status_reason)
        for kind, expected in entry.expected.items():
            found = sum(1 for c in kb.clauses.values() if c.source_id == entry.id and c.kind == kind)
            assert found == expected, (entry.id, kind)


def test_gdpr_clauses_are_stored_with_hierarchy_and_references(ingested: Settings) -> None:
    kb = Library(ingested).get()
    art22 = kb.clauses["gdpr:art-22(1)"]
    assert art22.unit_id == "gdpr:art-22" and art22.parent_id == "gdpr:art-22"
    assert [a.id for a in kb.ancestors(art22)] == ["gdpr:chapter-3", "gdpr:chapter-3.section-4", "gdpr:art-22"]
    _, incoming = kb.references("gdpr:art-9(1)")
    assert "gdpr:art-22(4)" in incoming


@pytest.fixture
def live_copy(ingested: Settings, tmp_path: Path) -> Settings:
    """A private copy of the ingested data directory, for tests that ingest again."""
    data_dir = tmp_path / "data"
    copy_data_dir(ingested.data_dir, data_dir)
    return Settings(data_dir=data_dir, sources_dir=ingested.sources_dir)


def test_unchanged_reingest_embeds_nothing(live_copy: Settings, embedder) -> None:
    report = ingest(live_copy, embedder)
    assert report.embedded == 0
    assert {s.status for s in report.sources} == {"unchanged"}


def _damaged_gdpr(live_copy: Settings, tmp_path: Path, damage) -> Settings:
    corpus = tmp_path / "corpus"
    shutil.copytree(live_copy.sources_dir, corpus, ignore=shutil.ignore_patterns("*.pdf", "eurlex-html"))
    path = corpus / load_registry(live_copy.registry_dir)[0].files[0]
    path.chmod(0o644)
    path.write_bytes(damage(path.read_bytes()))
    return Settings(data_dir=live_copy.data_dir, sources_dir=corpus)


def _drop_article_99(data: bytes) -> bytes:
    start = data.index(b'<ARTICLE IDENTIFIER="099">')
    end = data.index(b"</ARTICLE>", start) + len(b"</ARTICLE>")
    return data[:start] + data[end:]


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda d: d[: len(d) // 3], "cannot parse"),
        (_drop_article_99, "expected 99 article(s), found 98"),
    ],
)
def test_a_damaged_source_fails_alone_and_the_old_data_stays_served(
    live_copy: Settings, tmp_path: Path, embedder, damage, message: str
) -> None:
    before = Library(live_copy).get()
    settings = _damaged_gdpr(live_copy, tmp_path, damage)
    report = ingest(settings, embedder, only=["gdpr"])
    (gdpr,) = report.sources
    assert gdpr.status == "failed" and message in gdpr.message and "gdpr" in gdpr.message
    after = Library(settings).get()
    assert after.version != before.version
    assert after.sources["gdpr"].status == "failed"
    assert after.clauses["gdpr:art-99"].text == before.clauses["gdpr:art-99"].text
    assert len(after.index.keys) == len(before.index.keys)


def test_missing_sources_directory_is_a_clear_error(tmp_path: Path, embedder) -> None:
    from ingest.pipeline import SourceFailed

    with pytest.raises(SourceFailed, match=r"sources directory .* does not exist"):
        ingest(Settings(data_dir=tmp_path / "d", sources_dir=tmp_path / "nowhere"), embedder)
    assert DataDir(tmp_path / "d").current() is None


def test_versions_are_recorded(ingested: Settings) -> None:
    kb = Library(ingested).get()
    with Session(kb.engine) as session:
        source = session.get(Source, "gdpr")
        assert source.raw_hash and source.clause_count > 1000
        # only a source whose current version repealed and re-enacted the earlier one has repealed clauses
        reenacted = [e.id for e in load_registry(ingested.registry_dir) if e.reenacted]
        repealed = select(Clause).where(Clause.repealed == True, Clause.source_id.not_in(reenacted))  # noqa: E712
        assert session.exec(repealed).first() is None
