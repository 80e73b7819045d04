"""Search on the real, ingested corpus: the questions a reviewer asks find the articles that answer them."""

import pytest

from kb.search import Filters, InvalidQuery
from kb.service import ClauseMap

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def service(ingested, embedder) -> ClauseMap:
    return ClauseMap(ingested, embedder)


@pytest.mark.parametrize(
    "query, article",
    [
        ("decision about a loan made only by an algorithm, no human involved", "gdpr:art-22"),
        ("customer wants all their data deleted", "gdpr:art-17"),
        ("we were hacked and customer data leaked, who must we notify and how fast", "gdpr:art-33"),
    ],
)
def test_example_queries_find_the_article_in_the_top_3(service: ClauseMap, query: str, article: str) -> None:
    hits = service.search(query, k=10, filters=Filters(sources=("gdpr",))).hits
    assert article in [h.unit.id for h in hits[:3]], [h.citation for h in hits[:5]]


def test_results_carry_citation_title_snippet_and_official_link(service: ClauseMap) -> None:
    hit = service.search(
        "right not to be subject to automated decision-making", k=5, filters=Filters(sources=("gdpr",))
    ).hits[0]
    assert hit.citation.startswith("GDPR Art. 22")
    assert hit.unit.title == "Automated individual decision-making, including profiling"
    assert hit.snippet
    assert hit.clause.url.startswith("https://eur-lex.europa.eu/")


def test_article_grouping_returns_each_article_once(service: ClauseMap) -> None:
    hits = service.search("consent of a child for online services", k=10).hits
    units = [h.unit.id for h in hits]
    assert len(units) == len(set(units)) == 10
    assert all(h.unit.kind != "recital" for h in hits)


def test_clause_grouping_returns_clauses(service: ClauseMap) -> None:
    hits = service.search("data protection officer", k=10, group="clause").hits
    assert len({h.clause.id for h in hits}) == 10


def test_filters_apply_before_ranking(service: ClauseMap) -> None:
    hits = service.search("personal data", k=20, filters=Filters(sources=("gdpr",))).hits
    assert len(hits) == 20 and {h.clause.source_id for h in hits} == {"gdpr"}


@pytest.mark.parametrize("query", ["", "   ", "x" * 5000])
def test_bad_queries_are_refused_with_a_reason(service: ClauseMap, query: str) -> None:
    with pytest.raises(InvalidQuery):
        service.search(query)


def test_k_is_bounded(service: ClauseMap) -> None:
    with pytest.raises(InvalidQuery, match="k must be"):
        service.search("consent", k=0)
    with pytest.raises(InvalidQuery, match="k must be"):
        service.search("consent", k=10_000)


def test_unknown_source_filter_is_refused(service: ClauseMap) -> None:
    with pytest.raises(InvalidQuery, match="unknown source"):
        service.search("consent", filters=Filters(sources=("nope",)))
