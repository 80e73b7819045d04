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


def test_bilingual_terms_cross_languages_both_ways() -> None:
    from kb.lexical import QueryExpander

    expander = QueryExpander({}, [("個人情報", ["personal data"]), ("同意", ["consent"])])
    japanese = expander.expand(tokenize("個人情報の提供に同意は要るか"))
    assert {"person", "data", "consent"} <= set(japanese)
    english = expander.expand(tokenize("Is consent needed to share personal data?"))
    assert {"個人", "人情", "情報", "同意"} <= set(english)


def test_a_bilingual_term_must_occur_whole() -> None:
    """"personal" alone, or "data personal", is not the term "personal data"."""
    from kb.lexical import QueryExpander

    expander = QueryExpander({}, [("個人情報", ["personal data"])])
    assert expander.expand(tokenize("personal details")) == tokenize("personal details")
    assert "個人" not in expander.expand(tokenize("data personal"))
