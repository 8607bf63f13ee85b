"""Accessibility: axe-core (npm ``axe-core``, injected with Playwright) on the widget and
the Gradio chat page, at desktop (1280x800) and phone (375x740) size, after a real
answer with an open source. Any serious or critical violation fails.

``.ci/run`` installs axe-core under ``.cache/axe`` (git-ignored); without it these tests
skip, saying how to install it. Full results and screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import browserkit
import pytest

from assistant import wording

if not browserkit.CHROMIUM.exists():
    pytest.skip(
        f"browser tests need Debian chromium at {browserkit.CHROMIUM}", allow_module_level=True
    )
sync_api = pytest.importorskip("playwright.sync_api", reason="needs the playwright package")
expect = sync_api.expect

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
QUESTION = "Hvem er formand for RSI-direktørkredsen?"
ANSWER_TIMEOUT_MS = 30_000
SIZES = {"desktop": browserkit.DESKTOP, "phone": browserkit.PHONE}


@pytest.fixture(scope="module")
def axe_js() -> Path:
    path = browserkit.find_axe()
    if path is None:
        reason = (
            "axe-core is not installed: run `"
            + browserkit.AXE_INSTALL
            + "` (as .ci/run does) or set AXE_CORE_JS to an axe.min.js"
        )
        if os.environ.get("AXE_REQUIRED"):  # CI: a missing axe is a failure, not a skip
            pytest.fail(reason)
        pytest.skip(reason)
    return path


@pytest.fixture(scope="module")
def axe_settings(tmp_path_factory):
    from assistant.embedders import make_embedder
    from assistant.index import build_index
    from assistant.settings import Settings

    base = tmp_path_factory.mktemp("axe")
    (base / "corpus").mkdir()
    shutil.copy(ROOT / "corpus" / "regionernes-sundheds-it.txt", base / "corpus")
    # An address and a date, so the sources show their link and date too.
    (base / "corpus" / "regionernes-sundheds-it.txt.meta.json").write_text(
        '{"url": "https://www.regioner.dk/rsi", "date": "2024-05-01"}', encoding="utf-8"
    )
    with pytest.MonkeyPatch.context() as mp:  # module scope: conftest's autouse is not active
        for name in [n for n in os.environ if n.startswith("RSI_")]:
            mp.delenv(name)
        settings = Settings(
            corpus_dir=base / "corpus",
            index_dir=base / "index",
            data_dir=base / "data",
            embedder={"backend": "fake"},
        )
    build_index(settings, make_embedder(settings.embedder))
    return settings


@pytest.fixture(scope="module")
def urls(axe_settings, axe_js):
    from ui.app import create_app

    with browserkit.serve_app(create_app(axe_settings)) as api:
        with browserkit.serve_page(browserkit.host_page(api + "/widget.js")) as host:
            yield {"api": api, "host": host}


@pytest.fixture(scope="module")
def browser(urls):
    with sync_api.sync_playwright() as pw:
        browser = browserkit.launch(pw)
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser):
    contexts = []

    def make(size: dict):
        context = browser.new_context(viewport=size, is_mobile=size["width"] < 500)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def _check(page, axe_js: Path, name: str) -> None:
    violations = browserkit.run_axe(page, axe_js)
    browserkit.ARTIFACTS.mkdir(exist_ok=True)
    (browserkit.ARTIFACTS / f"axe-{name}.json").write_text(
        json.dumps(violations, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    browserkit.shot(page, f"axe-{name}.png")
    bad = browserkit.serious(violations)
    assert not bad, f"axe: serious or critical violations on {name}:\n" + browserkit.describe(bad)


@pytest.mark.parametrize("size", SIZES)
def test_widget_has_no_serious_axe_violations(new_page, urls, axe_js, size):
    page = new_page(SIZES[size])
    page.goto(urls["host"], wait_until="load")
    page.get_by_test_id("rsi-launcher").click()
    expect(page.get_by_test_id("rsi-panel")).to_be_visible()
    _check(page, axe_js, f"widget-{size}-open")  # greeting only

    box = page.get_by_test_id("rsi-input")
    box.fill(QUESTION)
    box.press("Enter")
    answer = page.locator('[data-testid="rsi-answer"][data-state="done"]').last
    expect(answer).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    expect(answer.get_by_test_id("rsi-feedback")).to_be_visible()
    answer.get_by_test_id("rsi-feedback-up").click()
    expect(answer.get_by_test_id("rsi-feedback-status")).to_have_text(
        wording.WIDGET_LABELS["feedback_thanks"]
    )
    answer.get_by_test_id("rsi-cite").first.click()
    expect(answer.get_by_test_id("rsi-passage")).to_be_visible()
    _check(page, axe_js, f"widget-{size}-answer")

    # A failed question, with its "Prøv igen" button.
    page.route("**/api/chat", lambda route: route.abort())
    box.fill("Og hvem er medlemmer?")
    box.press("Enter")
    failed = page.locator('[data-testid="rsi-answer"][data-state="done"]').last
    expect(failed.get_by_test_id("rsi-retry")).to_be_visible()
    _check(page, axe_js, f"widget-{size}-error")


def test_axe_sees_inside_the_widget(new_page, urls, axe_js):
    """The widget lives in a shadow root: axe must look inside it, or the test above
    proves nothing. A nameless button planted there must be reported."""
    page = new_page(SIZES["desktop"])
    page.goto(urls["host"], wait_until="load")
    page.get_by_test_id("rsi-launcher").click()
    expect(page.get_by_test_id("rsi-panel")).to_be_visible()
    page.evaluate(
        """() => {
            const root = document.querySelector("rsi-chat-widget").shadowRoot;
            const b = document.createElement("button");
            b.className = "planted";
            root.querySelector(".log").append(b);
        }"""
    )
    found = {v["id"] for v in browserkit.serious(browserkit.run_axe(page, axe_js))}
    assert "button-name" in found


@pytest.mark.parametrize("size", SIZES)
def test_chat_page_has_no_serious_axe_violations(new_page, urls, axe_js, size):
    page = new_page(SIZES[size])
    page.goto(urls["api"] + "/", wait_until="load")
    box = page.get_by_role("textbox").first
    expect(box).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    box.fill(QUESTION)
    box.press("Enter")
    expect(page.get_by_text("Danske Regioner").first).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    sources = page.get_by_text(wording.SOURCES_HEADING, exact=True).last
    expect(sources).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    cite = page.locator('#rsi-chatbot a[href^="#rsi-kilde-"]').first
    cite.click()  # "[1]" opens the source list and shows its source
    expect(page.locator("#" + cite.get_attribute("href")[1:])).to_be_focused()
    page.wait_for_timeout(600)  # Gradio slides it open
    _check(page, axe_js, f"chat-{size}-answer")
