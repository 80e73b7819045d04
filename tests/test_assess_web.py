"""The self-assessment page end to end in headless Chromium (Playwright) against a real ``kb serve``
over the tiny knowledge base: start an assessment of METI's action targets, revise it on two dates,
compare them, see the pictures. The screenshot goes to /tmp/assess.png (and tests/artifacts/) for a
person to look at."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from kb.settings import Settings
from tests.conftest import ARTIFACTS
from tests.test_api import start_server, stop_server
from tests.test_web import CHROMIUM, CHROMIUM_ARGS

SCREENSHOT = Path("/tmp/assess.png")

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # a server and Chromium


@pytest.fixture(scope="module")
def chromium() -> Iterator:
    if not CHROMIUM.exists():
        pytest.skip(f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="browser tests need playwright (pip install)")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def assess_site(chromium, tiny_kb: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    store = tmp_path_factory.mktemp("assessments") / "assessments.sqlite"
    process, base = start_server(tiny_kb, {"KB_ASSESSMENTS_URL": f"sqlite:///{store}"})
    yield base
    stop_server(process)


def _save(tab, day: str, levels: dict[str, tuple[str, str]], evidence: dict[str, str] | None = None) -> None:
    for item, (current, target) in levels.items():
        tab.select_option(f"select[name='current-{item}']", current)
        tab.select_option(f"select[name='target-{item}']", target)
    for item, text in (evidence or {}).items():
        tab.fill(f"textarea[name='evidence-{item}']", text)
    tab.fill("#assessed_on", day)
    tab.click("#revise button[type=submit]")
    tab.wait_for_load_state()


def test_an_assessment_is_created_revised_and_compared_in_the_browser(chromium, assess_site: str) -> None:
    context = chromium.new_context(base_url=assess_site, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(60_000)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))

    tab.goto("/assess")
    tab.fill("#id", "tiny-ai-office")
    tab.select_option("#framework", "meti-gg")
    tab.fill("#organisation", "Tiny Co")
    tab.fill("#business_unit", "AI governance office")
    tab.fill("#assessed_on", "2025-04-01")
    tab.click(".assess-new button")
    tab.wait_for_url("**/assess/tiny-ai-office")
    assert "One date so far" in tab.content()

    _save(
        tab,
        "2025-04-01",
        {"1-1": ("1", "3"), "1-2": ("1", "2"), "2-1": ("2", "4"), "3-1": ("1", "3"), "4-1": ("2", "3")},
        {"1-1": "Risk workshop held once, by the AI office."},
    )
    tab.fill("input[name='links-1-1']", "tiny-co:check-1")
    _save(tab, "2025-10-01", {"1-1": ("3", "3"), "3-1": ("2", "3"), "5-1": ("1", "2")})

    comparison = tab.locator("#comparison")
    assert "2025-04-01" in comparison.inner_text() and "2025-10-01" in comparison.inner_text()
    row = comparison.locator("tr", has_text="1-1 Understanding benefits and risks")
    assert row.locator("td").all_inner_texts() == ["Lv.1", "Lv.3", "+2"]
    assert tab.locator("a[href='/clauses/tiny-co:check-1']").count() >= 1
    for image in tab.locator(".assess-pictures img").all():  # the pictures loaded, not broken
        assert image.evaluate("img => img.complete && img.naturalWidth > 100"), image.get_attribute("src")
    plan = tab.locator(".assess-plan").inner_text()
    assert plan.index("2-1") < plan.index("1-2")  # gap 2 before gap 1

    tab.select_option("#before", "2025-04-01")
    tab.select_option("#after", "2025-04-01")
    tab.click(".assess-compare button")
    assert "+2" not in tab.locator("#comparison").inner_text()

    tab.goto("/assess/tiny-ai-office")
    tab.screenshot(path=str(SCREENSHOT), full_page=True)
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copy(SCREENSHOT, ARTIFACTS / "assess.png")
    context.close()
    assert not errors, f"JavaScript errors: {errors}"
