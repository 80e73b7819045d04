"""The ``kb`` command, run in-process on the real ingested corpus."""

import json

import pytest
from typer.testing import CliRunner

from cli.main import app

pytestmark = pytest.mark.slow


@pytest.fixture
def run(ingested, monkeypatch):
    monkeypatch.setenv("KB_DATA_DIR", str(ingested.data_dir))
    monkeypatch.setenv("KB_SOURCES_DIR", str(ingested.sources_dir))
    runner = CliRunner()
    return lambda *args: runner.invoke(app, list(args))


def test_search_prints_citations_titles_and_links(run) -> None:
    result = run("search", "decision about a loan made only by an algorithm, no human involved", "-s", "gdpr")
    assert result.exit_code == 0, result.output
    assert "GDPR Art. 22" in result.output and "https://eur-lex.europa.eu/" in result.output


def test_search_json_matches_the_api_shape(run) -> None:
    result = run("search", "customer wants all their data deleted", "--json", "-k", "3", "-s", "gdpr")
    results = json.loads(result.stdout)
    assert len(results) == 3 and "gdpr:art-17" in [r["unit_id"] for r in results]


def test_show(run) -> None:
    result = run("show", "gdpr:art-22(4)")
    assert result.exit_code == 0 and "GDPR Art. 9(1)" in result.output
    assert json.loads(run("show", "gdpr:art-22", "--json").stdout)["children"]


def test_show_prints_a_paragraph_in_the_documents_order(run) -> None:
    """Lead-in, points, then the subparagraph that follows them (not glued to the lead-in)."""
    lines = run("show", "gdpr:art-6(1)").output.splitlines()
    lead_in = next(i for i, line in enumerate(lines) if line.startswith("Processing shall be lawful only if"))
    point_f = next(i for i, line in enumerate(lines) if line.strip().startswith("(f) processing is necessary"))
    tail = next(i for i, line in enumerate(lines) if line.strip().startswith("second subparagraph"))
    assert lead_in < point_f < tail
    assert "Point (f) of the first subparagraph shall not apply" in lines[tail]
    assert not lines[lead_in].endswith("shall not apply to processing carried out by public authorities in the performance of their tasks.")


def test_changes_shows_the_oecd_renumbering_as_moves(run) -> None:
    output = run("changes", "--source", "oecd").output
    assert "moved    OECD 1.4(b) → OECD 1.5(b)" in output
    assert "moved    OECD 1.4(c) → OECD 1.5(c)" in output


def test_map_prints_themes_and_exports_markdown(run) -> None:
    text = run("map", "An AI model decides automatically who gets a loan", "--phase", "design")
    assert text.exit_code == 0, text.output
    assert "GDPR Art. 22" in text.stdout
    markdown = run("map", "Face recognition at our office entrance", "--format", "md")
    assert markdown.exit_code == 0 and markdown.stdout.startswith("# Use-case mapping")
    assert run("map", "loans", "--phase", "testing").exit_code == 1
