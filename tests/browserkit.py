"""Helpers for the browser tests (tests/test_widget.py, tests/test_axe.py): serve an app
and a host page over HTTP in threads, launch Debian chromium, take screenshots, and run
axe-core in a page.

Not a test module (no ``test_`` prefix); tests import it as ``browserkit``.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 740}

# Where .ci/run installs axe-core (npm install --prefix .cache/axe axe-core@4); AXE_CORE_JS
# may name another copy of axe.min.js.
AXE_CANDIDATES = [
    ROOT / ".cache" / "axe" / "node_modules" / "axe-core" / "axe.min.js",
    ROOT / "node_modules" / "axe-core" / "axe.min.js",
]
AXE_INSTALL = "npm install --no-save --prefix .cache/axe axe-core@4"


def find_axe() -> Path | None:
    named = os.environ.get("AXE_CORE_JS")
    for path in ([Path(named)] if named else []) + AXE_CANDIDATES:
        if path.is_file():
            return path
    return None


@contextlib.contextmanager
def serve_app(app) -> Iterator[str]:
    """Run an ASGI app with uvicorn on a free local port; yields its base URL."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the app server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def host_page(script_src: str) -> bytes:
    """A plain Danish page on another origin that embeds the widget."""
    return (
        "<!doctype html><html lang='da'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        "<title>Værtsside</title></head><body>"
        "<main><h1>Værtssiden</h1><p>En almindelig side, der viser chat-widgetten.</p></main>"
        f'<script src="{script_src}" async></script>'
        "</body></html>"
    ).encode()


@contextlib.contextmanager
def serve_page(html: bytes) -> Iterator[str]:
    """Serve one HTML page at ``/`` on a free local port; yields its URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            if self.path.split("?")[0] not in ("/", "/index.html"):
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(html)))
            self.end_headers()
            self.wfile.write(html)

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()


def launch(playwright):
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)


def shot(page, name: str, full_page: bool = False) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=full_page)


def run_axe(page, axe_js: Path, context: str | None = None) -> list[dict]:
    """axe-core's violations for the page (or the ``context`` selector), WCAG 2.x A/AA
    and best practices; each as {id, impact, help, nodes: [{target, summary}]}."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.add_script_tag(content=axe_js.read_text(encoding="utf-8"))
    return page.evaluate(
        """async (context) => {
            const result = await axe.run(context ? document.querySelector(context) : document, {
                resultTypes: ["violations"],
            });
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => ({target: n.target, summary: n.failureSummary})),
            }));
        }""",
        context,
    )


def serious(violations: list[dict]) -> list[dict]:
    return [v for v in violations if v["impact"] in ("serious", "critical")]


def describe(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']}")
        for node in v["nodes"][:5]:
            lines.append(f"    {node['target']}: {(node['summary'] or '').splitlines()[:3]}")
    return "\n".join(lines) or "none"
