"""The reviewers' web page.

Fast tests of what the page computes (highlighting, the form read from the URL); HTTP tests of the
HTML routes against a real ``kb serve``; and end-to-end tests in headless Chromium (Playwright)
against that server: typing a query, opening a result, following a cross-reference, ticking a
filter, a phone-width screen and the keyboard. Screenshots go to ``tests/artifacts/``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from starlette.datastructures import QueryParams

from api.web.view import SearchForm, clause_href, highlight, web_url
from kb.settings import Settings
from tests.conftest import ARTIFACTS
from tests.test_api import start_server, stop_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LOAN = "decision about a loan made only by an algorithm, no human involved"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 740}


def e2e(test):
    """A browser test: needs the real corpus, a server and Chromium."""
    return pytest.mark.slow(pytest.mark.browser(test))


# --- what the page computes -----------------------------------------------------------------


def test_highlight_marks_words_by_stem_and_escapes_the_rest() -> None:
    html = str(highlight("Decisions <b>based</b> solely on automated processing.", "automated decision"))
    assert html == "<mark>Decisions</mark> &lt;b&gt;based&lt;/b&gt; solely on <mark>automated</mark> processing."


def test_highlight_leaves_stop_words_and_unrelated_words_alone() -> None:
    assert str(highlight("The data of the subject", "the of")) == "The data of the subject"


def test_highlight_marks_japanese_by_character_bigrams() -> None:
    assert str(highlight("個人のプライバシーを尊重", "プライバシー保護")) == "個人の<mark>プライバシー</mark>を尊重"
    assert str(highlight("人権ポリシー", "プライバシー")) == "人権ポリシー"  # one shared bigram is not a match
    assert str(highlight("AIと人権", "人権")) == "AIと<mark>人権</mark>"


def test_form_reads_filters_from_the_query_string_and_writes_them_back() -> None:
    params = QueryParams("q=consent&source=gdpr&source=ccpa&source=gdpr&binding=true&language=&group=clause&k=20")
    form = SearchForm.from_params(params, max_k=100)
    assert not form.errors
    assert form.sources == ("gdpr", "ccpa") and form.binding is True and form.languages == ()
    assert (form.group, form.k) == ("clause", 20)
    assert form.filters().sources == ("gdpr", "ccpa") and form.filters(without="source").sources == ()
    assert parse_qs(form.query_string(k=30)) == {
        "q": ["consent"],
        "source": ["gdpr", "ccpa"],
        "binding": ["true"],
        "group": ["clause"],
        "k": ["30"],
    }


def test_form_turns_bad_values_into_messages() -> None:
    form = SearchForm.from_params(QueryParams("q=x&binding=maybe&group=chapter&k=0"), max_k=100)
    assert len(form.errors) == 3
    assert any("binding" in e for e in form.errors) and any("1 to 100" in e for e in form.errors)


def test_links() -> None:
    assert clause_href("gdpr:art-22(4)") == "/clauses/gdpr:art-22(4)"
    assert web_url("https://eur-lex.europa.eu/x") == "https://eur-lex.europa.eu/x"
    assert web_url("corpus/internal/checks.yaml") is None


# --- the HTML routes over HTTP --------------------------------------------------------------


@pytest.fixture(scope="module")
def site(ingested: Settings) -> Iterator[str]:
    process, base = start_server(ingested)
    yield base
    stop_server(process)


@pytest.fixture
def http(site: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=site, timeout=30) as client:
        yield client


@pytest.mark.slow
def test_pages_are_utf8_html_in_english(http: httpx.Client) -> None:
    for path in ("/", f"/search?q={LOAN}", "/clauses/gdpr:art-22(4)", "/sources"):
        response = http.get(path)
        assert response.status_code == 200, path
        assert response.headers["content-type"] == "text/html; charset=utf-8"
        assert '<html lang="en">' in response.text and '<meta charset="utf-8">' in response.text


@pytest.mark.slow
def test_search_page_shows_what_the_api_returns(http: httpx.Client) -> None:
    api = http.get("/v1/search", params={"q": LOAN, "k": 10}).json()
    page = http.get("/search", params={"q": LOAN}).text
    assert re.findall(r'data-clause="([^"]+)"', page) == [r["id"] for r in api["results"]]
    assert '<span class="badge badge--binding">Binding law</span>' in page
    assert "<mark>" in page


@pytest.mark.slow
def test_facet_counts_count_the_search_without_that_facet(http: httpx.Client) -> None:
    page = http.get("/search", params={"q": LOAN, "source": "gdpr"}).text
    option = r'name="source" value="([^"]+)"[^>]*>\s*<label[^>]*><span>[^<]*</span>\s*<span class="count">(\d+)'
    counts = dict(re.findall(option, page))
    assert int(counts["gdpr"]) > 0 and sum(int(c) for c in counts.values()) == 50  # the other sources still count
    assert set(re.findall(r'data-clause="([^:]+):', page)) == {"gdpr"}


@pytest.mark.slow
@pytest.mark.parametrize(
    "path, status, text",
    [
        ("/search?q=" + "x" * 2001, 422, "the limit is 2000"),
        ("/search?q=consent&source=nope", 422, "unknown source"),
        ("/search?q=consent&k=ten", 422, "whole number"),
        ("/clauses/gdpr:art-999", 404, "no clause"),
        ("/clauses/not%20an%20id", 422, "invalid clause id"),
    ],
)
def test_problems_are_messages_on_the_page(http: httpx.Client, path: str, status: int, text: str) -> None:
    response = http.get(path)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    assert 'role="alert"' in response.text and text in response.text.lower()


@pytest.mark.slow
def test_japanese_text_is_marked_as_japanese(http: httpx.Client) -> None:
    page = http.get("/clauses/nec:p1").text
    assert re.search(r'<div class="clause__text" lang="ja"><p>[^<]*NEC', page)
    translated = http.get("/clauses/meti:c-3").text  # an English clause with its Japanese text
    assert '<p class="translation__title" lang="ja">公平性</p>' in translated, "METI C-3's Japanese title"
    assert re.search(r'<p lang="ja">各主体は', translated), "METI C-3's Japanese text"


@pytest.mark.slow
def test_clause_page_shows_recitals_themes_and_history(http: httpx.Client) -> None:
    article = http.get("/clauses/gdpr:art-22").text
    assert 'href="/clauses/gdpr:recital-71"' in article  # related recitals
    assert "Fairness and non-discrimination" in article and 'href="/clauses/nec:p1"' in article  # crosswalk
    recital = http.get("/clauses/gdpr:recital-71").text
    assert "Articles this recital explains" in recital and 'href="/clauses/gdpr:art-22"' in recital
    amended = http.get("/clauses/gdpr:art-43(3)").text
    assert "<del>" in amended and "<ins>" in amended  # the 2018 corrigendum, word by word


# --- in a real browser ----------------------------------------------------------------------


@pytest.fixture(scope="session")  # session, like ``ingested``: so it is set up (or skips) before the corpus is built
def browser() -> Iterator:
    if not CHROMIUM.exists():
        pytest.skip(f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="browser tests need playwright (pip install)")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, site: str) -> Iterator:  # browser first: without Chromium, skip before starting a server
    context = browser.new_context(base_url=site, viewport=DESKTOP)
    context.set_default_timeout(30_000)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    yield tab
    context.close()
    assert not errors, f"JavaScript errors: {errors}"


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def search_box(page):
    return page.get_by_label("Describe the situation, or name the topic")


@e2e
def test_type_a_query_and_press_enter(page) -> None:
    page.goto("/")
    shot(page, "start")
    search_box(page).fill(LOAN)
    search_box(page).press("Enter")
    page.wait_for_url(re.compile(r"/search\?q=decision"))
    results = page.locator("li.result")
    assert results.count() == 10
    assert "gdpr:art-22" in [results.nth(i).get_attribute("data-unit") for i in range(results.count())]
    art22 = page.locator('li.result[data-unit="gdpr:art-22"]')
    assert "Automated individual decision-making" in art22.locator("h3").inner_text()
    assert art22.locator(".badge").inner_text() == "Binding law"
    assert art22.locator("mark").count() > 0
    assert art22.get_by_role("link", name="Official text").get_attribute("href").startswith("https://eur-lex")
    shot(page, "results")


@e2e
def test_open_a_result_and_follow_a_cross_reference(page) -> None:
    page.goto(f"/search?q={LOAN}")
    page.locator('li.result[data-unit="gdpr:art-22"] h3 a').click()
    page.wait_for_url("**/clauses/gdpr:art-22")
    crumbs = page.get_by_role("navigation", name="Breadcrumb").locator("li").all_inner_texts()
    assert crumbs == ["GDPR", "Chapter III", "Section 4", "Art. 22"]
    shot(page, "article-22")
    text = page.locator("section", has=page.get_by_role("heading", name="Text", exact=True))
    text.get_by_role("link", name="Art. 22(4)", exact=True).click()
    page.wait_for_url("**/clauses/gdpr:art-22(4)")
    cites = page.locator("section", has=page.get_by_role("heading", name="Cross-references"))
    cites.get_by_role("link", name="GDPR Art. 9(1)").click()
    page.wait_for_url("**/clauses/gdpr:art-9(1)")
    assert page.get_by_role("heading", level=1).inner_text().startswith("GDPR Art. 9(1)")
    cited_by = page.locator("h3:has-text('Cited by') + ul")
    assert cited_by.get_by_role("link", name="GDPR Art. 22(4)").count() == 1
    shot(page, "article-9-1")


@e2e
def test_a_source_filter_ticked_in_the_facets_changes_the_url(page) -> None:
    page.goto(f"/search?q={LOAN}")
    sources = page.get_by_role("group", name="Source")
    ccpa = sources.get_by_label(re.compile(r"^CCPA"))
    assert int(ccpa.locator("xpath=following-sibling::label//span[@class='count']").inner_text().split()[0]) > 0
    ccpa.check()
    page.wait_for_url(re.compile(r"[?&]source=ccpa"))
    assert parse_qs(urlsplit(page.url).query)["source"] == ["ccpa"]
    assert sources.get_by_label(re.compile(r"^CCPA")).is_checked()
    assert page.evaluate("document.activeElement.name") == "source"  # focus comes back to the filter
    cited = {page.locator("li.result").nth(i).get_attribute("data-clause") for i in range(3)}
    assert all(c.startswith("ccpa:") for c in cited), cited
    shot(page, "results-ccpa")


@e2e
def test_keyboard_tab_reaches_the_search_box_and_enter_submits(page) -> None:
    page.goto("/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to main content"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "q"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"  # the focus is visible
    shot(page, "keyboard-focus")
    page.keyboard.type("automated decision")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/search\?q=automated\+decision"))
    assert page.locator("li.result").count() > 0


@e2e
@pytest.mark.parametrize(
    "path", ["/", f"/search?q={LOAN}", "/clauses/gdpr:art-22", "/clauses/nec:p1", "/sources", "/clauses/gdpr:art-43(3)"]
)
def test_phone_width_has_no_horizontal_scroll(page, path: str) -> None:
    page.set_viewport_size(PHONE)
    response = page.goto(path)
    assert response.status == 200
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"{path}: content {width[0]} px wide in a {width[1]} px window"
    name = re.sub(r"[^a-z0-9]+", "-", path.split("?")[0].lower()).strip("-") or "start"
    shot(page, f"phone-{name}{'-results' if '?' in path else ''}")


@e2e
def test_japanese_is_rendered_as_japanese(page) -> None:
    page.goto("/clauses/nec:p1")
    text = page.locator(".clause__text")
    assert text.get_attribute("lang") == "ja"
    assert "利活用" in text.inner_text()
    assert page.evaluate("document.characterSet") == "UTF-8"
    shot(page, "nec-p1")
    page.goto("/clauses/meti:c-3")  # English, with the Japanese text as a translation
    translation = page.locator(".translation p[lang='ja']").last
    assert "各主体は" in translation.inner_text()
    shot(page, "meti-c-3")


@e2e
def test_a_too_long_query_is_a_message_not_an_error_page(page) -> None:
    response = page.goto("/search?q=" + "x" * 2001)
    assert response.status == 422
    assert "The query is 2001 characters long; the limit is 2000" in page.get_by_role("alert").inner_text()
    assert search_box(page).is_visible()
    shot(page, "error-too-long")


@e2e
def test_sources_page_lists_every_source_with_its_status(page, http: httpx.Client) -> None:
    page.goto("/sources")
    rows = page.locator("table.sources tbody tr")
    api = http.get("/v1/sources").json()
    assert rows.count() == len(api)
    gdpr = page.locator("tr#source-gdpr")
    assert gdpr.locator("td[data-label='Legal force']").inner_text() == "Binding law"
    assert gdpr.locator("td[data-label='Status']").inner_text().startswith("Ingested")
    gdpr.get_by_role("link", name="Search in GDPR").click()
    page.wait_for_url(re.compile(r"/search\?source=gdpr$"))
    search_box(page).fill("consent of a child")
    search_box(page).press("Enter")
    page.wait_for_url(re.compile(r"q=consent.*source=gdpr|source=gdpr.*q=consent"))
    assert {page.locator("li.result").nth(i).get_attribute("data-clause").split(":")[0] for i in range(3)} == {"gdpr"}
    page.goto("/sources")
    shot(page, "sources")
