"""The embeddable widget: how ``/widget.js`` is served (compression, ETag, caching), and
how it behaves in a real browser (feedback, retry, sources, keyboard).

The browser half drives Debian chromium through Playwright against a server over a
fake-embedder index of the RSI page plus one document with a URL and a date; failures
and unusual citations are staged by intercepting ``/api/chat`` in the page.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
from pathlib import Path

import browserkit
import pytest
from fastapi.testclient import TestClient

from assistant import wording
from ui import widget
from ui.app import create_app

ROOT = Path(__file__).resolve().parent.parent
RSI_DOC = ROOT / "corpus" / "regionernes-sundheds-it.txt"

# --- /widget.js over HTTP ---------------------------------------------------------------


@pytest.fixture
def client(make_settings, tmp_path) -> TestClient:
    return TestClient(create_app(make_settings(tmp_path), with_chat=False))


def _plain() -> bytes:
    return widget.render_widget_js(wording.WIDGET_LABELS).encode("utf-8")


def test_widget_js_is_gzipped_when_asked(client):
    r = client.get("/widget.js", headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200
    assert r.headers["content-encoding"] == "gzip"
    assert r.headers["content-type"] == "application/javascript; charset=utf-8"
    assert r.headers["vary"] == "Accept-Encoding"
    assert r.content == _plain()  # httpx decoded it: same script
    raw, _, _ = widget.widget_response("gzip", None)
    assert gzip.decompress(raw) == _plain()
    assert len(raw) < len(_plain()) / 2.5
    assert int(r.headers["content-length"]) == len(raw)


def test_widget_js_uses_brotli_when_importable_and_asked(client):
    brotli = pytest.importorskip("brotli")
    r = client.get("/widget.js", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert r.headers["content-encoding"] == "br"
    raw, headers, status = widget.widget_response("gzip, deflate, br", None)
    assert status == 200 and headers["Content-Encoding"] == "br"
    assert brotli.decompress(raw) == _plain()
    assert len(raw) < len(widget.widget_response("gzip", None)[0])


def test_widget_js_plain_without_accept_encoding(client):
    r = client.get("/widget.js", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in r.headers
    assert r.content == _plain()
    assert r.headers["vary"] == "Accept-Encoding"
    body = r.text
    assert widget.LABELS_TOKEN not in body
    assert wording.WIDGET_LABELS["retry"] in body
    assert wording.WIDGET_LABELS["feedback_thanks"] in body


def test_widget_js_cache_headers(client):
    r = client.get("/widget.js", headers={"Accept-Encoding": "gzip"})
    cache = r.headers["cache-control"]
    assert "max-age=300" in cache and "must-revalidate" in cache
    etag = r.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"'), "a strong ETag"
    # Each encoding is its own representation with its own strong ETag.
    plain = client.get("/widget.js", headers={"Accept-Encoding": "identity"})
    assert plain.headers["etag"] != etag
    assert client.get("/widget.js", headers={"Accept-Encoding": "gzip"}).headers["etag"] == etag


@pytest.mark.parametrize(
    "if_none_match",
    ["{etag}", "W/{etag}", '"other", {etag}', "*"],
)
def test_widget_js_not_modified(client, if_none_match):
    etag = client.get("/widget.js", headers={"Accept-Encoding": "gzip"}).headers["etag"]
    r = client.get(
        "/widget.js",
        headers={"Accept-Encoding": "gzip", "If-None-Match": if_none_match.format(etag=etag)},
    )
    assert r.status_code == 304
    assert r.content == b""
    assert r.headers["etag"] == etag
    assert r.headers["vary"] == "Accept-Encoding"
    assert "max-age=300" in r.headers["cache-control"]


def test_widget_js_etag_of_another_encoding_is_not_a_match(client):
    plain_etag = client.get("/widget.js", headers={"Accept-Encoding": "identity"}).headers["etag"]
    r = client.get("/widget.js", headers={"Accept-Encoding": "gzip", "If-None-Match": plain_etag})
    assert r.status_code == 200
    assert r.headers["content-encoding"] == "gzip"
    assert client.get("/widget.js", headers={"If-None-Match": '"stale"'}).status_code == 200


def test_widget_js_built_once_per_process(monkeypatch):
    widget._variants.cache_clear()
    calls = []
    real = gzip.compress
    monkeypatch.setattr(gzip, "compress", lambda *a, **k: calls.append(1) or real(*a, **k))
    first = widget.widget_response("gzip", None)[0]
    second = widget.widget_response("gzip", None)[0]
    assert first is second
    assert len(calls) == 1
    # The ETag does not depend on the process (gzip without a timestamp).
    widget._variants.cache_clear()
    assert widget.widget_response("gzip", None)[0] == first


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "identity"),
        ("", "identity"),
        ("gzip", "gzip"),
        ("GZIP", "gzip"),
        ("x-gzip", "gzip"),
        ("br", "br"),
        ("gzip, br", "br"),
        ("gzip;q=1.0, br;q=0.5", "gzip"),
        ("br;q=0, gzip;q=0", "identity"),
        ("*", "br"),
        ("*;q=0.5, br;q=0", "gzip"),
        ("identity;q=0, gzip", "gzip"),
        ("deflate", "identity"),
        ("*;q=0", None),
        ("gzip;q=abc", "identity"),
    ],
)
def test_choose_encoding(header, expected):
    assert widget.choose_encoding(header, ("br", "gzip", "identity")) == expected


def test_choose_encoding_without_brotli():
    assert widget.choose_encoding("br, gzip", ("gzip", "identity")) == "gzip"
    assert widget.choose_encoding("br", ("gzip", "identity")) == "identity"


def test_nothing_acceptable_still_gets_the_script():
    body, headers, status = widget.widget_response("*;q=0", None)
    assert status == 200 and "Content-Encoding" not in headers
    assert body == _plain()


def test_labels_for_the_widget_are_danish_and_complete():
    source = widget.WIDGET_PATH.read_text(encoding="utf-8")
    used = {
        *re.findall(r'\bt\("([a-z_]+)"\)', source),
        *(f"feedback_{r}" for r in ("up", "down")),
    }
    missing = used - set(wording.WIDGET_LABELS)
    assert not missing, f"labels used by widget.js but not in WIDGET_LABELS: {missing}"


# --- in a real browser -------------------------------------------------------------------

if not browserkit.CHROMIUM.exists():
    _skip_browser = f"browser tests need Debian chromium at {browserkit.CHROMIUM}"
else:
    _skip_browser = None

QUESTION = "Hvem er formand for RSI-direktørkredsen?"
ANSWER_TIMEOUT_MS = 30_000
DATED_DOC = """---
title: Telemedicin i regionerne
url: https://www.regioner.dk/sundhed/telemedicin
date: 2024-05-01
---
# Telemedicin i regionerne

Telemedicinske løsninger giver patienter mulighed for at måle blodtryk og vægt hjemme og
sende målingerne til hospitalet. Regionerne samarbejder om telemedicin i hele landet.
"""


@pytest.fixture(scope="module")
def pw():
    if _skip_browser:
        pytest.skip(_skip_browser)
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = browserkit.launch(playwright)
        yield sync_api, browser
        browser.close()


@pytest.fixture(scope="module")
def widget_settings(tmp_path_factory):
    from assistant.embedders import make_embedder
    from assistant.index import build_index
    from assistant.settings import Settings

    base = tmp_path_factory.mktemp("widget")
    (base / "corpus").mkdir()
    shutil.copy(RSI_DOC, base / "corpus" / RSI_DOC.name)
    (base / "corpus" / "telemedicin.md").write_text(DATED_DOC, encoding="utf-8")
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
def host(widget_settings, pw):
    with browserkit.serve_app(create_app(widget_settings, with_chat=False)) as api:
        with browserkit.serve_page(browserkit.host_page(api + "/widget.js")) as page_url:
            yield page_url


@pytest.fixture
def page(pw, host):
    sync_api, browser = pw
    context = browser.new_context(viewport=browserkit.DESKTOP)
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(host, wait_until="load")
    page.get_by_test_id("rsi-launcher").click()
    sync_api.expect(page.get_by_test_id("rsi-panel")).to_be_visible()
    yield page
    context.close()
    assert not errors, errors


def _expect():
    from playwright.sync_api import expect

    return expect


def _ask(page, question: str = QUESTION):
    box = page.get_by_test_id("rsi-input")
    box.fill(question)
    box.press("Enter")
    answer = page.locator('[data-testid="rsi-answer"][data-state="done"]').last
    _expect()(answer).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    return answer


def _sse(events: list[tuple[str, dict]]) -> str:
    return "".join(
        f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n" for name, data in events
    )


def _staged_answer(citations: list[dict], answer: str) -> str:
    done = {
        "question": "x",
        "answer": answer,
        "refused": False,
        "citations": citations,
        "mode": "extractive",
        "timings_ms": {},
    }
    return _sse(
        [
            ("delta", {"text": answer}),
            ("citations", {"refused": False, "citations": citations}),
            ("done", done),
        ]
    )


@pytest.mark.browser
def test_feedback_after_a_finished_answer(page, widget_settings):
    from assistant.feedback import rows

    expect = _expect()
    before = len(rows(widget_settings))
    failed_requests: list[str] = []
    page.on("requestfailed", lambda r: failed_requests.append(f"{r.url} {r.failure}"))
    answer = _ask(page)
    feedback = answer.get_by_test_id("rsi-feedback")
    expect(feedback).to_be_visible()
    expect(feedback).to_have_attribute("role", "group")
    expect(feedback).to_contain_text("Var svaret nyttigt?")
    up = answer.get_by_role("button", name="Ja, godt svar")
    down = answer.get_by_role("button", name="Nej, dårligt svar")
    expect(up).to_have_attribute("aria-pressed", "false")
    expect(down).to_have_attribute("aria-pressed", "false")
    # The greeting gets no vote.
    expect(page.get_by_test_id("rsi-greeting").get_by_test_id("rsi-feedback")).to_have_count(0)

    with page.expect_response(lambda r: r.url.endswith("/api/feedback")) as sent:
        up.click()
    assert sent.value.ok
    body = json.loads(sent.value.request.post_data)
    assert body["rating"] == "up"
    assert body["question"] == QUESTION
    assert "Danske Regioner" in body["answer"]
    assert body["citation_ids"] and all("#" in c for c in body["citation_ids"])
    expect(up).to_have_attribute("aria-pressed", "true")
    expect(answer.get_by_test_id("rsi-feedback-status")).to_have_text("Tak for din vurdering.")
    expect(down).to_have_attribute("aria-disabled", "true")
    browserkit.shot(page, "widget-feedback.png")
    down.click(force=True)  # one vote per answer: ignored
    stored = rows(widget_settings)[before:]
    assert [r["rating"] for r in stored] == [1]
    assert stored[0]["question"] == QUESTION
    assert stored[0]["citation_ids"] == body["citation_ids"]

    # No request fails in a normal session (the stream is read to its end, not cancelled).
    page.wait_for_timeout(300)
    assert not failed_requests, failed_requests

    # The vote is kept with the conversation.
    page.reload(wait_until="load")
    page.get_by_test_id("rsi-launcher").click()
    again = page.locator('[data-testid="rsi-answer"][data-state="done"]').last
    expect(again.get_by_role("button", name="Ja, godt svar")).to_have_attribute(
        "aria-pressed", "true"
    )


@pytest.mark.browser
def test_feedback_failure_is_reported_and_can_be_retried(page):
    expect = _expect()
    answer = _ask(page)
    page.route("**/api/feedback", lambda route: route.fulfill(status=503, body="{}"))
    down = answer.get_by_test_id("rsi-feedback-down")
    down.click()
    status = answer.get_by_test_id("rsi-feedback-status")
    expect(status).to_have_text("Vurderingen kunne ikke sendes. Prøv igen.")
    expect(down).to_have_attribute("aria-pressed", "false")
    expect(down).not_to_have_attribute("aria-disabled", "true")
    page.unroute("**/api/feedback")
    down.click()
    expect(status).to_have_text("Tak for din vurdering.")
    expect(down).to_have_attribute("aria-pressed", "true")


@pytest.mark.browser
def test_feedback_buttons_wait_for_the_end_of_the_answer(page):
    expect = _expect()
    page.route(
        "**/api/chat",
        lambda route: route.fulfill(
            status=200,
            headers={"Content-Type": "text/event-stream"},
            body=_sse([("delta", {"text": "Et svar, der aldrig bliver færdigt"})]),
        ),
    )
    page.get_by_test_id("rsi-input").fill(QUESTION)
    page.get_by_test_id("rsi-input").press("Enter")
    answer = page.get_by_test_id("rsi-answer").last
    expect(answer).to_have_attribute("data-state", "done")  # stream closed: kept as it is
    expect(answer).to_contain_text("aldrig bliver færdigt")
    # A stream that ends without `done` still counts as an answer that can be rated,
    # but a failed one cannot.
    expect(answer.get_by_test_id("rsi-feedback")).to_be_visible()
    page.route("**/api/chat", lambda route: route.abort())
    page.get_by_test_id("rsi-input").fill("Og så?")
    page.get_by_test_id("rsi-input").press("Enter")
    failed = page.locator('[data-testid="rsi-answer"][data-state="done"]').last
    expect(failed.get_by_test_id("rsi-error")).to_be_visible()
    expect(failed.get_by_test_id("rsi-feedback")).to_be_hidden()


@pytest.mark.browser
def test_retry_after_a_network_error(page):
    expect = _expect()
    first = _ask(page, "Hvad varetager RSI?")
    first.evaluate("el => { el.dataset.marked = 'yes'; }")
    page.route("**/api/chat", lambda route: route.abort("connectionrefused"))
    page.get_by_test_id("rsi-input").fill(QUESTION)
    page.get_by_test_id("rsi-input").press("Enter")
    failed = page.locator('[data-testid="rsi-answer"][data-state="done"]').last
    error = failed.get_by_test_id("rsi-error")
    expect(error).to_contain_text(wording.WIDGET_LABELS["error_network"])
    retry = failed.get_by_role("button", name="Prøv igen")
    expect(retry).to_be_visible()
    browserkit.shot(page, "widget-network-error.png")

    page.unroute("**/api/chat")
    retry.focus()
    page.keyboard.press("Enter")
    answer = page.locator('[data-testid="rsi-answer"][data-state="done"]').last
    expect(answer).to_contain_text("Danske Regioner", timeout=ANSWER_TIMEOUT_MS)
    expect(page.locator('[data-testid="rsi-error"]:visible')).to_have_count(0)
    # The question is asked once in the conversation, not twice.
    questions = page.get_by_test_id("rsi-question")
    expect(questions).to_have_text(["Dig: Hvad varetager RSI?", "Dig: " + QUESTION])
    expect(page.get_by_test_id("rsi-input")).to_be_focused()
    # Only the failed turn was replaced: the earlier answer is the same element (a live
    # log that re-renders makes screen readers read everything again).
    expect(page.locator('[data-testid="rsi-answer"][data-marked="yes"]')).to_have_count(1)
    # The retried turn, not the failure, is what a reload restores.
    page.reload(wait_until="load")
    page.get_by_test_id("rsi-launcher").click()
    expect(page.get_by_test_id("rsi-question")).to_have_count(2)
    expect(page.locator('[data-testid="rsi-error"]:visible')).to_have_count(0)


@pytest.mark.browser
def test_retry_after_a_server_error_but_not_after_bad_input(page):
    expect = _expect()
    page.route(
        "**/api/chat",
        lambda route: route.fulfill(
            status=503,
            headers={"Content-Type": "application/json"},
            body=json.dumps({"error": "index_unavailable", "message": wording.ERROR_INDEX_MISSING}),
        ),
    )
    _ask(page)
    failed = page.locator('[data-testid="rsi-answer"]').last
    expect(failed.get_by_test_id("rsi-error")).to_contain_text(wording.ERROR_INDEX_MISSING)
    expect(failed.get_by_test_id("rsi-retry")).to_be_visible()

    page.route(
        "**/api/chat",
        lambda route: route.fulfill(
            status=413,
            headers={"Content-Type": "application/json"},
            body=json.dumps({"error": "question_too_long", "message": "For langt."}),
        ),
    )
    _ask(page, "Et andet spørgsmål")
    too_long = page.locator('[data-testid="rsi-answer"]').last
    expect(too_long.get_by_test_id("rsi-error")).to_have_text("For langt.")
    expect(too_long.get_by_test_id("rsi-retry")).to_have_count(0)

    # An error event in the middle of a stream is worth a retry too.
    page.route(
        "**/api/chat",
        lambda route: route.fulfill(
            status=200,
            headers={"Content-Type": "text/event-stream"},
            body=_sse([("error", {"error": "internal", "message": wording.ERROR_INTERNAL})]),
        ),
    )
    _ask(page, "Et tredje spørgsmål")
    broken = page.locator('[data-testid="rsi-answer"]').last
    expect(broken.get_by_test_id("rsi-error")).to_contain_text(wording.ERROR_INTERNAL)
    expect(broken.get_by_test_id("rsi-retry")).to_be_visible()


@pytest.mark.browser
def test_each_passage_is_shown_once_and_opens_from_cite_and_sources(page):
    expect = _expect()
    answer = _ask(page)
    cite = answer.locator('[data-testid="rsi-cite"][data-n="1"]').first  # [1] may recur
    expect(cite).to_be_visible()
    passage = answer.get_by_test_id("rsi-passage")
    expect(passage).to_be_hidden()
    sources = answer.get_by_test_id("rsi-source")
    expect(sources.first).to_be_visible()
    # The Kilder list names the sources but does not repeat their text.
    expect(answer.locator("blockquote")).to_have_count(0)

    cite.click()
    expect(passage).to_be_visible()
    expect(passage).to_be_focused()
    expect(answer.locator("blockquote")).to_have_count(1)
    quote = passage.locator("blockquote").inner_text()
    assert "direktøren for Danske Regioner" in quote
    assert answer.inner_text().count(quote[:60]) == 1
    opener = answer.locator('[data-testid="rsi-source-open"][data-n="1"]')
    expect(cite).to_have_attribute("aria-expanded", "true")
    expect(opener).to_have_attribute("aria-expanded", "true")
    expect(cite).to_have_attribute("aria-controls", passage.get_attribute("id"))

    # The same passage from the Kilder list, then closed from its own button.
    cite.click()
    expect(passage).to_be_hidden()
    expect(cite).to_have_attribute("aria-expanded", "false")
    opener.click()
    expect(passage).to_be_visible()
    expect(answer.locator("blockquote")).to_have_count(1)
    passage.get_by_role("button", name="Luk kilden").click()
    expect(passage).to_be_hidden()
    expect(opener).to_be_focused()
    expect(opener).to_have_attribute("aria-expanded", "false")
    browserkit.shot(page, "widget-sources.png")


@pytest.mark.browser
def test_citations_work_from_the_keyboard(page):
    expect = _expect()
    answer = _ask(page)
    cite = answer.get_by_test_id("rsi-cite").first
    # Shift+Tab from the input walks back through the answer to its last controls; the
    # citation buttons are in the tab order.
    page.get_by_test_id("rsi-input").focus()
    for _ in range(40):
        page.keyboard.press("Shift+Tab")
        if cite.evaluate("el => el.getRootNode().activeElement === el"):
            break
    else:
        pytest.fail("Shift+Tab never reached the [n] button")
    name = cite.get_attribute("aria-label")
    assert name.startswith("Kilde 1: ")
    page.keyboard.press("Enter")
    passage = answer.get_by_test_id("rsi-passage")
    expect(passage).to_be_focused()
    # The region is named after its heading, so a screen reader says which source it is.
    label_id = passage.get_attribute("aria-labelledby")
    heading = answer.locator(f"#{label_id}")
    expect(heading).to_contain_text("[1]")
    page.keyboard.press("Tab")
    close = passage.get_by_test_id("rsi-passage-close")
    expect(close).to_be_focused()
    page.keyboard.press("Enter")
    expect(passage).to_be_hidden()
    assert cite.evaluate("el => el.getRootNode().activeElement === el"), "focus back on [1]"
    # Space works as on any button.
    page.keyboard.press(" ")
    expect(passage).to_be_visible()


@pytest.mark.browser
def test_real_source_with_url_and_date(page):
    expect = _expect()
    answer = _ask(page, "Hvordan kan patienter måle blodtryk hjemme med telemedicin?")
    item = answer.get_by_test_id("rsi-source").filter(has_text="Telemedicin i regionerne")
    expect(item.first).to_be_visible()
    link = item.first.get_by_role("link")
    expect(link).to_have_attribute("href", "https://www.regioner.dk/sundhed/telemedicin")
    expect(link).to_have_attribute("target", "_blank")
    expect(link).to_contain_text("regioner.dk/sundhed/telemedicin")


@pytest.mark.browser
def test_source_titles_sections_links_and_dates(page):
    expect = _expect()
    citations = [
        {
            "n": 1,
            "doc_id": "a",
            "title": "Regionernes Sundheds-it (RSI)",
            "section": "Organisering",
            "url": "https://www.regioner.dk/rsi?x=1",
            "date": "2024-05-01",
            "chunk_id": "a#1",
            "text": "RSI ledes af tre fora.",
            "score": 1,
        },
        {
            "n": 2,
            "doc_id": "a",
            "title": "Regionernes Sundheds-it (RSI)",
            "section": "Projekter",
            "url": "javascript:alert(1)",
            "date": "sommeren 2023",
            "chunk_id": "a#2",
            "text": "<img src=x onerror=alert(2)> Regionerne samarbejder om it-projekter.",
            "score": 1,
        },
        {
            "n": 3,
            "doc_id": "b",
            "title": "Uden afsnit",
            "url": None,
            "chunk_id": "b#0",
            "text": "Tredje kilde.",
            "score": 1,
        },
    ]
    page.route(
        "**/api/chat",
        lambda route: route.fulfill(
            status=200,
            headers={"Content-Type": "text/event-stream"},
            body=_staged_answer(
                citations, "RSI ledes af tre fora [1], har projekter [2] og mere [3]."
            ),
        ),
    )
    answer = _ask(page)
    sources = answer.get_by_test_id("rsi-source")
    expect(sources).to_have_count(3)
    first, second, third = sources.nth(0), sources.nth(1), sources.nth(2)
    expect(first.get_by_test_id("rsi-source-open")).to_have_text(
        "[1]Regionernes Sundheds-it (RSI) – Organisering"
    )
    expect(second.get_by_test_id("rsi-source-open")).to_have_text(
        "[2]Regionernes Sundheds-it (RSI) – Projekter"
    )
    expect(third.get_by_test_id("rsi-source-open")).to_have_text("[3]Uden afsnit")
    link = first.get_by_role("link")
    expect(link).to_have_attribute("href", "https://www.regioner.dk/rsi?x=1")
    expect(link).to_have_attribute("rel", "noopener noreferrer")
    expect(link).to_have_accessible_name("regioner.dk/rsi?x=1 (åbner i et nyt vindue)")
    expect(first.locator("time")).to_have_attribute("datetime", "2024-05-01")
    expect(first.locator("time")).to_have_text("1. maj 2024")
    # javascript: is no link; an unparseable date is shown as given.
    expect(second.get_by_role("link")).to_have_count(0)
    expect(second).to_contain_text("Dato: sommeren 2023")
    expect(third.get_by_test_id("rsi-source-meta")).to_have_count(0)
    answer.locator('[data-testid="rsi-cite"][data-n="3"]').click()
    expect(answer.get_by_test_id("rsi-passage")).to_have_text("[3]Uden afsnitTredje kilde.")
    expect(answer.locator('[data-testid="rsi-cite"][data-n="2"]')).to_have_attribute(
        "aria-label", "Kilde 2: Regionernes Sundheds-it (RSI) – Projekter"
    )
    answer.locator('[data-testid="rsi-cite"][data-n="2"]').click()
    passage = answer.get_by_test_id("rsi-passage")
    expect(passage).to_contain_text("<img src=x onerror=alert(2)>")
    expect(passage).to_contain_text("Regionernes Sundheds-it (RSI) – Projekter")
    assert page.locator("rsi-chat-widget").locator("img").count() == 0
    browserkit.shot(page, "widget-source-meta.png")
