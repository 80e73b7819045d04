"""Shared fixtures. ``tiny_kb`` builds a tiny knowledge base from the parsers' fixtures once per run
(the fast tier, what plain ``pytest`` runs); ``ingested`` builds the real one (tests marked
``corpus``, run by ``scripts/test`` and CI)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from kb.embedding import Embedder
from kb.settings import Settings
from kb.store import DataDir

FIXTURES = Path(__file__).parent / "fixtures"
ARTIFACTS = Path(__file__).parent / "artifacts"
TINY_REGISTRY = FIXTURES / "tiny-kb"  # its sources are the parser fixtures: sources_dir is FIXTURES
REAL_CORPUS_FIXTURES = frozenset({"ingested", "corpus_dir", "copy_of_corpus", "reworded_oecd"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test that needs the real corpus, directly or through a fixture, is marked ``corpus``: the
    default run (pyproject's addopts) leaves it to ``scripts/test``."""
    for item in items:
        if REAL_CORPUS_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.corpus)


@pytest.fixture(scope="session")
def tiny_kb(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Settings:
    """Settings of a tiny knowledge base, ingested once per run with its history and the real model:
    the parser fixtures of six formats (tests/fixtures/tiny-kb/sources.toml), its own crosswalk."""
    from ingest.pipeline import ingest

    settings = Settings(
        data_dir=tmp_path_factory.mktemp("tiny-kb"), sources_dir=FIXTURES, registry_dir=TINY_REGISTRY
    )
    report = ingest(settings, embedder, history=True)
    assert not report.failed, [f.message for f in report.failed]
    return settings


@pytest.fixture(scope="session")
def tiny_service(tiny_kb: Settings, embedder: Embedder):
    """The service over the tiny knowledge base, sharing the run's model."""
    from kb.service import ClauseMap

    return ClauseMap(tiny_kb, embedder)


@pytest.fixture(scope="session")
def tiny_client(tiny_service) -> Iterator:
    """The app over the tiny knowledge base, in process (where a real server is not the point)."""
    from fastapi.testclient import TestClient

    from api.app import create_app

    with TestClient(create_app(tiny_service.settings, tiny_service)) as client:
        yield client


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    """The real corpus (``../shared/corpus`` or KB_SOURCES_DIR); tests that need it skip without it."""
    path = Settings().sources_dir
    if not path.is_dir():
        pytest.skip(f"real corpus not available at {path}")
    return path


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    """The configured model, loaded once for the whole run."""
    return Embedder(Settings().model_name)


@pytest.fixture(scope="session")
def ingested(tmp_path_factory: pytest.TempPathFactory, corpus_dir: Path, embedder: Embedder) -> Settings:
    """Settings of a data directory holding the real corpus, ingested and published."""
    from ingest.pipeline import ingest

    reuse = os.environ.get("KB_TEST_DATA_DIR")  # a developer may point at an ingested directory
    data_dir = Path(reuse) if reuse else tmp_path_factory.mktemp("data")
    settings = Settings(data_dir=data_dir, sources_dir=corpus_dir)
    report = ingest(settings, embedder, history=True)  # as the README does: earlier versions on record
    assert not report.failed, [f.message for f in report.failed]
    return settings


def copy_data_dir(source: Path, target: Path) -> Path:
    """A private copy of an ingested data directory, for a test that ingests into it or damages it.
    On PostgreSQL (KB_DATABASE_URL) the copy gets its own copies of the versions' schemas."""
    DataDir.of(Settings(data_dir=source)).copy_to(target)
    return target


@pytest.fixture
def fixture_bytes() -> Iterator:
    def read(*parts: str) -> bytes:
        return FIXTURES.joinpath(*parts).read_bytes()

    yield read


@pytest.fixture
def copy_of_corpus(tmp_path: Path, corpus_dir: Path):
    """A writable copy of chosen source folders, for tests that damage a source."""

    def make(*sources: str) -> Path:
        target = tmp_path / "corpus"
        for source in sources:
            shutil.copytree(corpus_dir / source, target / source)
        return target

    return make


REWORDED = (b"AI actors should ensure traceability", b"AI actors should ensure full traceability")


@pytest.fixture
def reworded_oecd(ingested: Settings, copy_of_corpus) -> Path:
    """A sources directory holding only the OECD source, with one clause reworded (``REWORDED``):
    ``ingest -s oecd`` from it embeds that clause and publishes a new version."""
    from kb.registry import load_registry

    corpus = copy_of_corpus("oecd-ai")
    for path in corpus.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    entry = next(e for e in load_registry(ingested.registry_dir) if e.id == "oecd")
    path = corpus / entry.files[0]
    old, new = REWORDED
    assert path.read_bytes().count(old) == 1
    path.write_bytes(path.read_bytes().replace(old, new))
    return corpus
