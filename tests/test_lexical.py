"""BM25 over the clauses (kb.lexical): the top k are exactly the best k of the full ranking,
ties broken by row order, and filters apply before ranking."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from kb.lexical import LexicalIndex, tokenize

TEXTS = ["consent", "consent to profiling", "right to erasure", "consent consent", "profiling of a child"]


@settings(max_examples=60, deadline=None)
@given(documents=st.lists(st.sampled_from(TEXTS), min_size=1, max_size=300), k=st.integers(1, 25))
def test_top_k_is_the_head_of_the_full_ranking(documents: list[str], k: int) -> None:
    index = LexicalIndex(documents)  # a few distinct texts: many exactly tied scores
    scores = index.scores("consent to profiling")
    positive = np.flatnonzero(scores > 0)
    expected = [int(r) for r in positive[np.argsort(-scores[positive], kind="stable")][:k]]
    assert [row for row, _ in index.search("consent to profiling", k)] == expected


def test_filtered_rows_are_never_returned() -> None:
    index = LexicalIndex(["consent of a child", "consent to processing", "right to erasure"])
    allowed = np.array([False, True, True])
    assert [row for row, _ in index.search("consent", 5, allowed)] == [1]


def test_japanese_is_searched_by_bigrams() -> None:
    assert tokenize("顔認証") == ["顔認", "認証"]
    index = LexicalIndex(["顔認証の利用", "個人情報の保護"])
    assert [row for row, _ in index.search("顔認証 プライバシー", 2)] == [0]
