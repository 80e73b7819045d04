"""The change feed (Atom 1.0), parsed by a feed library (feedparser): valid, stable, escaped, with the
amendments of the tiny knowledge base's OECD history (2019 -> 2024) and, on the real corpus, the
GDPR corrigendum of 2018 with its word diff; linked from the changes page."""

from __future__ import annotations

from datetime import UTC, date, datetime

import feedparser
import pytest
from fastapi.testclient import TestClient

from kb.feed import FeedLinks, FeedVersion, atom_feed, entry_id
from kb.models import SourceVersion
from kb.review import covered, mapping_items
from kb.views import ClauseChange, SourceChanges

AMENDED = "oecd:op-4(a)"


def parsed(response) -> feedparser.FeedParserDict:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/atom+xml")
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    return feed


def test_the_feed_shows_the_amendments_with_their_diff(tiny_client: TestClient) -> None:
    feed = parsed(tiny_client.get("/v1/changes.atom"))
    assert feed.feed.title == "clausemap: changes to every source"
    assert feed.feed.links[0].href == "http://testserver/v1/changes.atom" and feed.feed.links[0].rel == "self"
    by_link = {e.link: e for e in feed.entries}
    entry = by_link[f"http://testserver/clauses/{AMENDED}#history"]
    assert entry.title == "OECD Para. IV(a) amended (version of 2024-05-03)"
    assert entry.updated_parsed[:3] == (2024, 5, 3)
    assert {t.term for t in entry.tags} == {"amended", "oecd"}
    assert entry.content[0].value == "<p><del>to</del> report back.</p>"  # 2019 "to report back", 2024 "report back"
    history = next(link.href for link in entry.links if link.rel == "related")
    versions = tiny_client.get(history.removeprefix("http://testserver")).json()
    assert len(versions) == 2 and versions[1]["diff_from_previous"]
    removed = [w for op, w in versions[1]["diff_from_previous"] if op == "-"]
    assert removed and all(w in entry.content[0].value for w in removed)
    firsts = [e for e in feed.entries if "entered the knowledge base" in e.title]
    assert {e.tags[1].term for e in firsts} == {s["id"] for s in tiny_client.get("/v1/sources").json()}
    dates = [e.updated_parsed for e in feed.entries]
    assert dates == sorted(dates, reverse=True)  # newest first


def test_entry_ids_are_unique_and_stable(tiny_client: TestClient) -> None:
    first = parsed(tiny_client.get("/v1/changes.atom"))
    again = parsed(tiny_client.get("/v1/changes.atom"))
    ids = [e.id for e in first.entries]
    assert len(set(ids)) == len(ids) and ids == [e.id for e in again.entries]
    assert all(i.startswith("urn:uuid:") for i in ids)
    per_source = parsed(tiny_client.get("/v1/sources/oecd/changes.atom"))
    assert {e.id for e in per_source.entries} <= set(ids)  # the same change has the same id in every feed


def test_the_feed_of_one_source(tiny_client: TestClient) -> None:
    feed = parsed(tiny_client.get("/v1/sources/oecd/changes.atom"))
    assert feed.feed.title == "clausemap: changes to OECD"
    assert {t.term for e in feed.entries for t in e.tags} <= {"oecd", "added", "amended", "repealed"}
    assert any(e.link.endswith(f"/clauses/{AMENDED}#history") for e in feed.entries)
    missing = tiny_client.get("/v1/sources/nosuch/changes.atom")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "unknown_source"


def test_the_feed_of_a_mapping_holds_only_its_clauses(tiny_client: TestClient, tiny_service) -> None:
    description = "Small exact tests of an AI system, with clear reasons said to people"
    mapping = tiny_client.post("/v1/map", json={"description": description, "k": 3}).json()
    cited = set(mapping_items(tiny_service.mapping(mapping["id"])))
    feed = parsed(tiny_client.get(f"/v1/map/{mapping['id']}/changes.atom"))
    linked = [e.link.removeprefix("http://testserver/clauses/").removesuffix("#history") for e in feed.entries]
    expected = [
        c["clause_id"]
        for v in tiny_client.get("/v1/changes").json()
        for c in v["changes"]
        if covered(c["clause_id"], cited) and v["amended"] + v["repealed"]
    ]
    assert linked and sorted(linked) == sorted(expected)
    assert tiny_client.get("/v1/map/" + "0" * 32 + "/changes.atom").status_code == 404


def test_the_changes_page_links_the_feed(tiny_client: TestClient) -> None:
    page = tiny_client.get("/changes").text
    assert '<link rel="alternate" type="application/atom+xml"' in page and 'href="/v1/changes.atom"' in page
    assert '<a href="/v1/changes.atom" type="application/atom+xml">' in page
    assert 'href="/v1/sources/oecd/changes.atom"' in tiny_client.get("/changes?source=oecd").text


def test_text_is_escaped_and_control_characters_dropped() -> None:
    change = ClauseChange(
        clause_id="x:art-1",
        citation="X Art. 1 <b>&",
        change="amended",
        diff=[["=", "a < b &"], ["+", "</content>\x0c"]],
    )
    version = SourceVersion(
        source_id="x", raw_hash="h", effective_at=datetime(2024, 1, 2, tzinfo=UTC), ingested_at=datetime.now(UTC)
    )
    changes = SourceChanges(
        source="x",
        version_date=date(2024, 1, 2),
        effective_at=version.effective_at,
        ingested_at=version.ingested_at,
        added=0,
        amended=1,
        repealed=0,
        changes=[change],
    )
    links = FeedLinks(
        "http://h/f?a=1&b=2", "http://h/changes", lambda c: f"http://h/c/{c}", lambda c: f"http://h/j/{c}"
    )
    body = atom_feed("T & <co>", "k", [FeedVersion(version, changes, False)], links, 10, datetime.now(UTC))
    feed = feedparser.parse(body)
    assert not feed.bozo and feed.feed.title == "T & <co>"
    entry = feed.entries[0]
    assert entry.title == "X Art. 1 <b>& amended (version of 2024-01-02)"
    assert "a &lt; b &amp;" in entry.content[0].value and "<ins>&lt;/content&gt; </ins>" in entry.content[0].value
    assert entry.id == entry_id("x", "h", "amended|x:art-1")


@pytest.fixture(scope="module")
def corpus_client(ingested):
    from api.app import create_app

    with TestClient(create_app(ingested)) as client:
        yield client


def test_the_gdpr_corrigendum_in_the_feed(corpus_client: TestClient) -> None:
    feed = parsed(corpus_client.get("/v1/sources/gdpr/changes.atom"))
    entry = next(e for e in feed.entries if e.link.endswith("/clauses/gdpr:art-43(3)#history"))
    assert entry.title == "GDPR Art. 43(3) amended (version of 2018-05-23)"
    assert "<del>criteria</del> <ins>requirements</ins>" in entry.content[0].value
    amended = [e for e in feed.entries if "amended" in e.title]
    assert len(amended) == 17  # the corrigendum of 2018, exactly
    assert any("GDPR entered the knowledge base" in e.title for e in feed.entries)
