"""Defects found while trying the knowledge base as a user would (issue 16, item 6): sections with no
heading, subdivisions shown without their words, a point cited as its paragraph, a title change
reported as an empty diff. Fast checks on the pieces, then the real corpus through CLI, API and web."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from typer.testing import CliRunner

from cli.main import app, render_diff
from ingest.parsers.eu_references import extract_references
from kb.presenters import title_diff
from kb.records import NO_HEADING, heading_note
from kb.settings import Settings
from kb.views import ClauseChange
from tests.test_api import start_server, stop_server

ART_5 = {"euaia:art-5", "euaia:art-5(1)", "euaia:art-5(1)(h)", "euaia:art-5(2)", "euaia:art-5(3)"}


def test_a_point_of_a_paragraph_after_its_subparagraph_is_the_point() -> None:
    text = "the objectives referred to in paragraph 1, first subparagraph, point (h), shall be deployed"
    assert extract_references(text, "euaia:art-5(2)", ART_5) == ("euaia:art-5(1)(h)",)
    both = "For the purposes of paragraph 1, first subparagraph, point (h) and paragraph 2, each use"
    assert extract_references(both, "euaia:art-5(3)", ART_5) == ("euaia:art-5(1)(h)", "euaia:art-5(2)")
    assert extract_references("referred to in paragraph 1", "euaia:art-5(3)", ART_5) == ("euaia:art-5(1)",)


def test_only_an_untitled_section_gets_the_no_heading_note() -> None:
    assert heading_note("article", None) == NO_HEADING == "(no heading in the official text)"
    assert heading_note("article", "Definitions") is None
    assert heading_note("paragraph", None) is None  # subdivisions have no headings anywhere


def test_a_title_change_is_part_of_the_change_shown() -> None:
    change = {"clause_id": "oecd:1.2", "change": "amended", "title_before": "Human-centred values and fairness",
              "title_after": "Respect for the rule of law and fairness", "diff": [["=", "Same words."]]}
    runs = title_diff(change)
    assert ["-", "Human-centred values"] in runs and ["+", "Respect for the rule of law"] in runs
    shown = render_diff(ClauseChange(citation="OECD 1.2", title_diff=runs, **change))
    assert shown.startswith("title: [-Human-centred values-] {+Respect for the rule of law+} and fairness;")
    assert title_diff({**change, "title_after": change["title_before"]}) is None
    assert title_diff({"clause_id": "x:1", "change": "added", "title_after": "New"}) is None


# --- the real corpus -------------------------------------------------------------------------



@pytest.fixture
def run(ingested: Settings, monkeypatch):
    monkeypatch.setenv("KB_DATA_DIR", str(ingested.data_dir))
    monkeypatch.setenv("KB_SOURCES_DIR", str(ingested.sources_dir))
    runner = CliRunner()
    return lambda *args: runner.invoke(app, list(args))


@pytest.fixture(scope="module")
def http(ingested: Settings) -> Iterator[httpx.Client]:
    process, base = start_server(ingested)
    with httpx.Client(base_url=base, timeout=60) as client:
        yield client
    stop_server(process)


@pytest.mark.slow
@pytest.mark.corpus
def test_show_gives_untitled_sections_their_note_and_subdivisions_their_words(run) -> None:
    shown = run("show", "ccpa:1798.148")
    assert shown.exit_code == 0, shown.output
    assert shown.output.splitlines()[0] == "CCPA § 1798.148  (no heading in the official text)"
    assert "(a) A business or other person shall not reidentify" in shown.output
    assert "(5) If otherwise required by law." in shown.output  # every level, with its words
    opt_out = run("show", "ccpa:1798.120").output
    assert "(1) A consumer shall have the right, at any time, to direct a business" in opt_out
    assert "(d) A business that has received direction from a consumer" in opt_out
    assert "CCPA § 1798.196  (no heading in the official text)" in run("show", "ccpa:1798.196").output
    # the second subparagraph is a clause of its own after the first (issue 20): each cites what it names
    assert "cites: AI Act Art. 5(1)(h)\n" in run("show", "euaia:art-5(2)").output
    assert "cites: AI Act Art. 27, AI Act Art. 49, AI Act Art. 5(1)(h)" in run("show", "euaia:art-5(2)(sub2)").output


@pytest.mark.slow
@pytest.mark.corpus
def test_changes_show_the_oecd_title_changes(run) -> None:
    output = run("changes", "-s", "oecd").output
    line = next(row for row in output.splitlines() if " OECD 1.2:" in row)
    assert "title: [-Human-centred values-]" in line
    data = json.loads(run("changes", "-s", "oecd", "--json").stdout)
    changes = {c["clause_id"]: c for v in data for c in v["changes"] if c["change"] == "amended"}
    assert changes["oecd:2.3"]["title_diff"] and any(op != "=" for op, _ in changes["oecd:2.3"]["title_diff"])


@pytest.mark.slow
@pytest.mark.corpus
def test_api_and_web_say_the_same(http: httpx.Client) -> None:
    clause = http.get("/v1/clauses/ccpa:1798.148").json()
    assert clause["title"] is None and clause["title_note"] == NO_HEADING
    assert clause["children"][0]["text"].startswith("A business or other person shall not reidentify")
    assert http.get("/v1/clauses/ccpa:1798.100").json()["title_note"] is None
    assert NO_HEADING in http.get("/clauses/ccpa:1798.199.40").text
    changes = http.get("/v1/sources/oecd/changes").json()
    titled = [c for v in changes for c in v["changes"] if c["title_diff"]]
    assert {"oecd:1.2", "oecd:2.3"} <= {c["clause_id"] for c in titled}
    page = http.get("/changes", params={"source": "oecd"}).text
    assert "Title:</span>" in page
    history = http.get("/v1/clauses/oecd:1.2/history").json()
    assert any(op == "+" for op, _ in history[-1]["title_diff_from_previous"])
    assert "Title:</span>" in http.get("/clauses/oecd:1.2").text
