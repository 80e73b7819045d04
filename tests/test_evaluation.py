"""``kb eval``: the metrics on tiny hand-made rankings with known answers, the query file's errors, the
fixed-list baseline, and (slow) the whole development set against the recorded baseline numbers."""

from __future__ import annotations

import json
from math import log2
from pathlib import Path
from types import SimpleNamespace

import pytest
from typer.testing import CliRunner

from cli.main import app
from kb.evaluation import (
    EvalFileError,
    EvalQuery,
    Returned,
    clause_unit,
    evaluate_search,
    first_ranks,
    fixed_list_ranker,
    load_queries,
    macro_recall_at_k,
    most_frequent,
    ndcg_at_k,
    rank_ids,
    recall_at_k,
    reciprocal_rank,
    score,
)
from kb.settings import Settings

BASELINE_FILE = Path(__file__).parent / "eval_baseline.json"
MRR_TOLERANCE = 0.03


# --- metrics -------------------------------------------------------------------------------------


def test_recall_counts_the_expected_labels_found_in_the_top_k() -> None:
    ranked = ["a", "b", "c", "d"]
    assert recall_at_k(ranked, {"b", "d", "x"}, 1) == 0.0
    assert recall_at_k(ranked, {"b", "d", "x"}, 2) == pytest.approx(1 / 3)
    assert recall_at_k(ranked, {"b", "d", "x"}, 4) == pytest.approx(2 / 3)
    assert recall_at_k(ranked, {"b", "d", "x"}, 100) == pytest.approx(2 / 3)
    assert recall_at_k(ranked, set(), 10) == 0.0


def test_reciprocal_rank_is_that_of_the_first_hit() -> None:
    assert reciprocal_rank(["a", "b", "c", "d"], {"d", "b"}) == 0.5
    assert reciprocal_rank(["a", "b"], {"a"}) == 1.0
    assert reciprocal_rank(["a", "b"], {"z"}) == 0.0


def test_ndcg_with_binary_relevance() -> None:
    # hits at ranks 2 and 4 out of three expected labels
    expected = (1 / log2(3) + 1 / log2(5)) / (1 + 1 / log2(3) + 1 / log2(4))
    assert ndcg_at_k(["a", "b", "c", "d"], {"b", "d", "x"}) == pytest.approx(expected)
    assert ndcg_at_k(["b", "d"], {"b", "d"}) == pytest.approx(1.0)
    assert ndcg_at_k(["a", "b"], {"b"}, k=1) == 0.0
    # more expected labels than k: the ideal is k hits
    assert ndcg_at_k(["a", "b"], {"a", "b", "c"}, k=2) == pytest.approx(1.0)


def test_a_position_may_stand_for_several_ids() -> None:
    ranked = [("gdpr:art-9(2)(a)", "gdpr:art-9"), ("gdpr:art-6(1)(f)",), ("gdpr:art-6(1)(f)", "gdpr:art-6")]
    assert first_ranks(ranked, {"gdpr:art-6(1)(f)", "gdpr:art-9", "gdpr:art-5"}) == {
        "gdpr:art-9": 1,
        "gdpr:art-6(1)(f)": 2,
    }
    assert recall_at_k(ranked, {"gdpr:art-6", "gdpr:art-5"}, 2) == 0.0
    assert recall_at_k(ranked, {"gdpr:art-6", "gdpr:art-5"}, 3) == 0.5
    # two expected ids at one position count as one relevant position
    assert ndcg_at_k([("a", "b"), ("c",)], {"a", "b"}) == pytest.approx(1 / (1 + 1 / log2(3)))


def test_macro_recall_weighs_every_label_alike() -> None:
    rankings = [(["a", "b"], {"a"}), (["b"], {"a", "b"}), (["c"], {"a"})]
    # a: found by 1 of the 3 queries expecting it; b: by 1 of 1
    assert macro_recall_at_k(rankings, 10) == pytest.approx((1 / 3 + 1) / 2)
    assert macro_recall_at_k([], 10) == 0.0


def test_an_expected_id_counts_for_its_unit() -> None:
    catalogue = {"ccpa:1798.100(a)": SimpleNamespace(unit_id="ccpa:1798.100")}
    assert clause_unit("ccpa:1798.100(a)", catalogue) == "ccpa:1798.100"
    assert clause_unit("gdpr:art-6(1)(f)", catalogue) == "gdpr:art-6"  # not in the catalogue: the id's unit
    assert clause_unit("gdpr:art-6(1)(f)") == "gdpr:art-6"
    assert clause_unit("fairness") == "fairness"  # a theme counts for itself


# --- scoring a ranker on a tiny set --------------------------------------------------------------

TINY = [
    EvalQuery("q1", "one", ("gdpr:art-6(1)(f)", "gdpr:art-9"), "s1"),
    EvalQuery("q2", "two", ("gdpr:art-22",), "s1"),
    EvalQuery("q3", "three", ("gdpr:art-5", "gdpr:art-17"), "s2"),
]
TINY_RANKINGS = {
    "q1": [
        Returned("gdpr:art-9", ("gdpr:art-9(2)(a)", "gdpr:art-9")),
        Returned("gdpr:art-5", ("gdpr:art-5(1)(a)",)),
        Returned("gdpr:art-6", ("gdpr:art-6(1)(f)", "gdpr:art-6(1)")),
    ],
    "q2": [Returned("gdpr:art-21", ("gdpr:art-21(1)",)), Returned("gdpr:art-22", ("gdpr:art-22(1)",))],
    "q3": [Returned("gdpr:art-6", ("gdpr:art-6(1)",))],
}


def test_score_averages_over_queries_and_groups_by_source() -> None:
    result = score(TINY, lambda query: TINY_RANKINGS[query.id])
    overall = result.overall
    assert overall.queries == 3
    assert overall.recall[1] == pytest.approx((1 / 2 + 0 + 0) / 3)
    assert overall.recall[3] == pytest.approx((1 + 1 + 0) / 3)
    assert overall.recall[20] == pytest.approx(2 / 3)
    assert overall.mrr == pytest.approx((1 + 1 / 2 + 0) / 3)
    q1_ndcg = (1 + 1 / log2(4)) / (1 + 1 / log2(3))
    assert overall.ndcg10 == pytest.approx((q1_ndcg + 1 / log2(3) + 0) / 3)
    # art-6, art-9 and art-22 are found by the one query expecting each; art-5 and art-17 are not
    assert overall.macro_recall10 == pytest.approx(3 / 5)
    # without art-5/6/32/58/83: q1 expects art-9 (found), q2 art-22 (found), q3 art-17 (not)
    assert overall.rare_queries == 3
    assert overall.rare_recall10 == pytest.approx(2 / 3)
    # id level: q1 finds gdpr:art-9 first and gdpr:art-6(1)(f) third; q2 returns only gdpr:art-22(1)
    assert overall.id_recall10 == pytest.approx(1 / 3)
    assert overall.id_mrr == pytest.approx(1 / 3)
    assert list(result.by_source) == ["s1", "s2"]
    assert result.by_source["s1"].mrr == pytest.approx(3 / 4)
    assert result.by_source["s2"].recall[10] == 0.0
    assert result.by_source["s2"].rare_recall10 == 0.0
    assert result.failures == [
        {"id": "q3", "source": "s2", "expected": ["gdpr:art-5", "gdpr:art-17"], "returned": ["gdpr:art-6"]}
    ]
    json.dumps([result.overall.__dict__, result.failures])  # serialisable


def test_recall_on_rare_labels_skips_queries_expecting_only_frequent_ones() -> None:
    queries = [EvalQuery("q", "text", ("gdpr:art-5",), "s")]
    result = score(queries, lambda query: [Returned("gdpr:art-5", ("gdpr:art-5",))])
    assert result.overall.recall[1] == 1.0
    assert result.overall.rare_queries == 0 and result.overall.rare_recall10 is None


def test_fixed_list_baseline_returns_the_most_frequent_labels_for_every_query() -> None:
    queries = [
        EvalQuery("q1", "x", ("gdpr:art-1", "gdpr:art-2"), "s"),
        EvalQuery("q2", "y", ("gdpr:art-1",), "s"),
        EvalQuery("q3", "z", ("gdpr:art-3", "gdpr:art-1(2)"), "s"),
        EvalQuery("q4", "w", ("gdpr:art-2",), "s"),
    ]
    top = most_frequent(([clause_unit(label) for label in q.expected] for q in queries), n=2)
    assert top == ["gdpr:art-1", "gdpr:art-2"]
    result = score(queries, fixed_list_ranker(top))
    assert result.overall.recall[1] == pytest.approx((1 / 2 + 1 + 1 / 2 + 0) / 4)
    assert result.overall.recall[10] == pytest.approx((1 + 1 + 1 / 2 + 1) / 4)
    assert result.overall.mrr == pytest.approx((1 + 1 + 1 + 1 / 2) / 4)
    assert result.failures == []


def test_a_plain_query_to_ids_callable_is_scored_at_both_levels() -> None:
    """The seam for scoring other answers (a mapping's principle ids or themes) with the same metrics."""
    ranker = rank_ids(lambda text: ["gdpr:art-6(1)(f)", "gdpr:art-6(1)(a)", "gdpr:art-9"])
    result = score([EvalQuery("q", "text", ("gdpr:art-9",), "s")], ranker)
    assert result.overall.mrr == 0.5  # articles: art-6, art-9
    assert result.overall.id_mrr == pytest.approx(1 / 3)  # ids: three positions
    themes = rank_ids(lambda text: ["privacy", "fairness"], unit_of=lambda label: label)
    assert score([EvalQuery("q", "text", ("fairness",), "s")], themes).overall.mrr == 0.5


# --- the query file ------------------------------------------------------------------------------


def write(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "set.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


GOOD = json.dumps({"id": "a", "query": "camera on the neighbour", "expected": ["gdpr:art-6(1)(f)"], "source": "x"})


def test_load_reads_one_query_per_line_skipping_blank_ones(tmp_path: Path) -> None:
    other = json.dumps({"id": "b", "query": "q", "expected": ["gdpr:art-5", "gdpr:art-5"], "source": "y", "note": "n"})
    queries = load_queries(write(tmp_path, GOOD, "", other))
    assert queries == [
        EvalQuery("a", "camera on the neighbour", ("gdpr:art-6(1)(f)",), "x", 1),
        EvalQuery("b", "q", ("gdpr:art-5",), "y", 3),
    ]


@pytest.mark.parametrize(
    "line, message",
    [
        ('{"id": "b", "query": ', "not valid JSON"),
        ('["gdpr:art-5"]', "expected a JSON object, got list"),
        ('{"id": "b", "expected": ["gdpr:art-5"], "source": "x"}', "field 'query' must be a non-empty string"),
        ('{"id": "b", "query": "  ", "expected": ["gdpr:art-5"], "source": "x"}', "field 'query'"),
        ('{"id": 7, "query": "q", "expected": ["gdpr:art-5"], "source": "x"}', "field 'id'"),
        ('{"id": "b", "query": "q", "expected": [], "source": "x"}', "field 'expected' must be a non-empty list"),
        ('{"id": "b", "query": "q", "expected": "gdpr:art-5", "source": "x"}', "field 'expected' must be"),
        ('{"id": "b", "query": "q", "expected": ["gdpr:art-5", 5], "source": "x"}', "holds 5"),
        ('{"id": "b", "query": "q", "expected": ["article 5"], "source": "x"}', "'article 5' is not a clause id"),
        ('{"id": "b", "query": "q", "expected": ["gdpr:art-5"]}', "field 'source'"),
        (GOOD, "duplicate id 'a' (first on line 1)"),
    ],
)
def test_a_bad_line_is_reported_with_its_number(tmp_path: Path, line: str, message: str) -> None:
    path = write(tmp_path, GOOD, "", line)
    with pytest.raises(EvalFileError) as error:
        load_queries(path)
    assert f"{path}:3: " in str(error.value) and message in str(error.value)


def test_themes_are_accepted_when_labels_need_not_be_clause_ids(tmp_path: Path) -> None:
    path = write(tmp_path, '{"id": "b", "query": "q", "expected": ["fairness"], "source": "x"}')
    assert load_queries(path, clause_ids=False)[0].expected == ("fairness",)


@pytest.mark.parametrize("content", ["", "\n\n"])
def test_an_empty_file_is_refused(tmp_path: Path, content: str) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_text(content)
    with pytest.raises(EvalFileError, match="no queries"):
        load_queries(path)


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(EvalFileError, match="cannot read"):
        load_queries(tmp_path / "nope.jsonl")


@pytest.mark.parametrize(
    "args, message",
    [
        (["--method", "fuzzy"], "--method must be one of ranked, hybrid, dense, lexical"),
        (["--scope", "some"], "--scope must be one of labels, all"),
        (["--k", "0"], "--k must be between 1 and"),
        (["--limit", "0"], "--limit must be at least 1"),
    ],
)
def test_cli_refuses_bad_options_in_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    result = CliRunner().invoke(app, ["eval", str(write(tmp_path, GOOD)), *args])
    assert result.exit_code == 1 and message in result.output and "Traceback" not in result.output


def test_cli_reports_a_bad_file_in_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["eval", str(write(tmp_path, "nonsense"))])
    assert result.exit_code == 1 and "set.jsonl:1: not valid JSON" in result.output


# --- the development set (slow) ------------------------------------------------------------------


@pytest.fixture(scope="module")
def dev_set() -> Path:
    path = Settings().sources_dir.parent / "eval" / "dev.jsonl"
    if not path.is_file():
        pytest.skip(f"development set not available at {path}")
    return path


QUESTIONS = Path(__file__).parent / "eval" / "questions.jsonl"


def _recorded(file: str) -> dict:
    return next(entry for entry in json.loads(BASELINE_FILE.read_text()) if entry["file"] == file)


def _assert_not_dropped(report, recorded: dict, japanese=None) -> None:
    overall = report.retrieval.overall
    measured = {
        "mrr": round(overall.mrr, 4),
        "recall@10": round(overall.recall[10], 4),
        "macro_recall@10": round(overall.macro_recall10, 4),
        "recall@10_other": round(overall.rare_recall10 or 0.0, 4),
    }
    if japanese is not None:
        measured["japanese_mrr"] = round(japanese.retrieval.overall.mrr, 4)
    print(f"\n{recorded['file']} ({recorded['method']}): {measured}, recorded {recorded}")
    for name, value in measured.items():
        assert value >= recorded[name] - MRR_TOLERANCE, (name, measured, recorded)


@pytest.mark.slow
def test_dev_set_scores_have_not_dropped(ingested, embedder, dev_set: Path) -> None:
    """The default search (the shipped ranking stage) on the development set, against the recorded
    numbers: MRR, recall@10, macro recall@10 and recall@10 on the labels other than the frequent
    ones. In-sample for the ranking stage (it was fitted on this file): a drop means search or the
    ranker broke; the cross-validated numbers are guarded by tests/test_ranking.py."""
    from kb.service import ClauseMap

    recorded = _recorded(dev_set.name)
    report = evaluate_search(ClauseMap(ingested, embedder), load_queries(dev_set), dev_set.name, recorded["method"])
    _assert_not_dropped(report, recorded)


@pytest.mark.slow
def test_question_set_scores_have_not_dropped(ingested, embedder) -> None:
    """Our own reviewer questions, searched over every source as a reviewer does, and their Japanese
    ones alone (cross-lingual included): the numbers of the README, recorded."""
    from kb.service import ClauseMap

    recorded = _recorded(QUESTIONS.name)
    service = ClauseMap(ingested, embedder)
    queries = load_queries(QUESTIONS)
    records = [json.loads(line) for line in QUESTIONS.read_text(encoding="utf-8").splitlines()]
    japanese_ids = {record["id"] for record in records if record["lang"] == "ja"}
    report = evaluate_search(service, queries, QUESTIONS.name, recorded["method"], scope="all")
    japanese = evaluate_search(
        service, [q for q in queries if q.id in japanese_ids], QUESTIONS.name, recorded["method"], scope="all"
    )
    _assert_not_dropped(report, recorded, japanese)


@pytest.mark.slow
def test_cli_eval_prints_the_table_and_writes_the_failures(ingested, dev_set: Path, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("KB_DATA_DIR", str(ingested.data_dir))
    monkeypatch.setenv("KB_SOURCES_DIR", str(ingested.sources_dir))
    failures = tmp_path / "failures.jsonl"
    result = CliRunner().invoke(app, ["eval", str(dev_set), "--limit", "30", "--failures", str(failures)])
    assert result.exit_code == 0, result.output
    assert "overall" in result.output and "fixed-list baseline" in result.output and "MRR" in result.output
    assert all({"id", "expected", "returned"} <= set(json.loads(line)) for line in failures.read_text().splitlines())
    as_json = CliRunner().invoke(app, ["eval", str(dev_set), "--limit", "5", "--json", "--failures", str(failures)])
    report = json.loads(as_json.stdout)
    assert report["retrieval"]["overall"]["queries"] == 5 and len(report["baseline_labels"]) <= 10
