"""Mount the Gradio chat page behind a guard that lets through only what the page needs.

Gradio serves far more than our page uses: a programmatic API (``/gradio_api/call``,
``/run``, ``/info``), uploads, a file server, a proxy, run history, monitoring. Its own
checks assume ``launch()``; mounted in FastAPI they are partly off, which is how a chat
history naming ``/etc/passwd`` got the file copied into Gradio's cache and served
(security review #1). So, in front of the mounted Gradio app:

- an allow-list of routes: the page and its assets, the queue (``queue/join``,
  ``queue/data``, ``run/<name>`` for non-queued events) and the heartbeat; anything else
  gets 404 (uploads 403) with the project's Danish ``{"error", "message"}`` body;
- every call is checked before Gradio reads it: a known ``fn_index``, exactly one value
  per input, text where the input is a textbox (within ``max_question_chars``), nothing
  where it is server-side state, and a like/dislike event of the expected shape. The
  body is rebuilt from the checked values, so nothing else (a ``FileData`` path, a
  history, an oversized payload) reaches Gradio's preprocessing;
- any 4xx/5xx Gradio still produces gets the Danish body, and no user text in it.

The conversation itself is server-side session state (``ui.chat``); Gradio's cache lives
in ``<data_dir>/gradio-cache/<pid>`` and is emptied at start.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from assistant import wording
from assistant.service import AssistantService
from assistant.settings import Settings

log = logging.getLogger(__name__)

CACHE_DIR_NAME = "gradio-cache"

# What the page loads and calls (read from a real browser session): GET/HEAD only.
_PAGE_EXACT = {
    "/",
    "/config",
    "/config/",
    "/theme.css",
    "/favicon.ico",
    "/robots.txt",
    "/manifest.json",
    "/gradio_api/queue/data",
}
_PAGE_PREFIXES = ("/assets/", "/static/", "/svelte/", "/gradio_api/heartbeat/")
# Calls that run an event of the page (POST, body checked).
_CALL_PATHS = re.compile(r"^/gradio_api/(queue/join|run/[A-Za-z0-9_]{1,64})/?$")
_UPLOAD_PATHS = re.compile(r"^/gradio_api/(upload|upload_progress|process_recording)(/|$)")
_SESSION_HASH = re.compile(r"^[A-Za-z0-9_-]{1,64}$")

_ERRORS = {
    400: ("invalid_request", wording.ERROR_BAD_REQUEST),
    403: ("upload_not_allowed", wording.ERROR_NO_UPLOADS),
    404: ("not_found", wording.ERROR_NOT_FOUND),
    405: ("method_not_allowed", wording.ERROR_BAD_REQUEST),
    413: ("body_too_large", wording.ERROR_BODY_TOO_LARGE),
}


class Refused(Exception):
    """A request the guard answers itself, with the project's error body."""

    def __init__(self, status: int, code: str | None = None, message: str | None = None):
        default_code, default_message = _ERRORS.get(
            status, ("invalid_request", wording.ERROR_BAD_REQUEST)
        )
        super().__init__(code or default_code)
        self.status = status
        self.code = code or default_code
        self.message = message or default_message


def _error_bytes(code: str, message: str) -> bytes:
    return json.dumps({"error": code, "message": message}, ensure_ascii=False).encode()


async def _respond(send, status: int, code: str, message: str, head: bool = False) -> None:
    body = _error_bytes(code, message)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"cache-control", b"no-store"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": b"" if head else body})


# --- checking one call -----------------------------------------------------------------


def _is_text(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        value.encode("utf-8")  # lone surrogates are valid JSON but not text
    except UnicodeEncodeError:
        return False
    return True


def _check_event_data(event_data: Any) -> dict | None:
    """Nothing, or a like/dislike of one message: its index and the verdict. The
    message's value is never trusted (the server has its own copy)."""
    if event_data is None:
        return None
    if not isinstance(event_data, dict):
        raise Refused(400)
    index = event_data.get("index")
    if isinstance(index, list | tuple):
        if not 1 <= len(index) <= 2 or not all(type(i) is int for i in index):
            raise Refused(400)
    elif type(index) is not int:
        raise Refused(400)
    liked = event_data.get("liked", True)
    if not (liked is None or isinstance(liked, bool) or (_is_text(liked) and len(liked) <= 40)):
        raise Refused(400)
    return {"index": index, "value": None, "liked": liked}


def check_call(body: Any, blocks, settings: Settings) -> dict:
    """The body of a ``queue/join`` or ``run/<name>`` call, checked and rebuilt from
    the allowed fields only; raises ``Refused``."""
    import gradio as gr

    if not isinstance(body, dict):
        raise Refused(400)
    index, data, session = body.get("fn_index"), body.get("data"), body.get("session_hash")
    if type(index) is not int:
        raise Refused(400)
    if index not in blocks.fns:
        raise Refused(404)
    if not isinstance(session, str) or not _SESSION_HASH.match(session):
        raise Refused(400)
    trigger = body.get("trigger_id")
    if trigger is not None and type(trigger) is not int:
        raise Refused(400)
    fn = blocks.fns[index]
    if not isinstance(data, list) or len(data) != len(fn.inputs):
        raise Refused(400)
    limit = settings.server.max_question_chars
    checked: list[Any] = []
    for block, value in zip(fn.inputs, data, strict=True):
        if isinstance(block, gr.State):
            if value is not None:  # the page sends null: the value lives on the server
                raise Refused(400)
            checked.append(None)
        elif isinstance(block, gr.Textbox | gr.Button):
            if value is None:
                value = ""
            if not _is_text(value):
                raise Refused(400)
            if len(value.strip()) > limit:
                raise Refused(413, "question_too_long", wording.ERROR_TOO_LONG.format(limit=limit))
            checked.append(value)
        elif isinstance(block, gr.Dataset):  # an example: its index, nothing else
            if type(value) is not int or not 0 <= value < len(block.samples):
                raise Refused(400)
            checked.append(value)
        else:  # no other input kind is part of the page: refuse rather than guess
            raise Refused(400)
    return {
        "data": checked,
        "event_data": _check_event_data(body.get("event_data")),
        "fn_index": index,
        "trigger_id": trigger,
        "session_hash": session,
    }


# --- the ASGI guard ------------------------------------------------------------------------


class GradioGuard:
    """ASGI wrapper around the mounted Gradio app (see the module docstring)."""

    def __init__(self, app, settings: Settings, page: Callable[[str], str] | None = None):
        self.app = app
        self.settings = settings
        self.page = page  # rewrites the served page's HTML (lang, head), if given
        # A checked call is a question and a few ids; anything much larger is not one.
        # (Not the app-wide body limit, which lives with the other middleware.)
        self.max_call_bytes = 6 * settings.server.max_question_chars + 4096

    @property
    def blocks(self):
        return self.app.get_blocks()

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket":  # the page uses none
            await send({"type": "websocket.close", "code": 1008})
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        root = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root) :] or "/"
        method = scope["method"]
        try:
            if method in ("GET", "HEAD"):
                if path in _PAGE_EXACT or path.startswith(_PAGE_PREFIXES):
                    out = _danish_errors(send, method == "HEAD")
                    if path == "/" and method == "GET" and self.page is not None:
                        out = _rewrite_page(out, self.page)
                    await self.app(scope, receive, out)
                    return
                raise Refused(403 if _UPLOAD_PATHS.match(path) else 404)
            if method == "POST":
                if _CALL_PATHS.match(path):
                    await self._call(scope, receive, send)
                    return
                raise Refused(403 if _UPLOAD_PATHS.match(path) else 404)
            raise Refused(405)
        except Refused as refused:
            await _respond(send, refused.status, refused.code, refused.message, method == "HEAD")

    async def _call(self, scope, receive, send) -> None:
        raw = await self._read_body(receive)
        try:
            body = json.loads(raw)
        except ValueError as exc:  # not JSON, or not UTF-8
            raise Refused(400) from exc
        checked = json.dumps(check_call(body, self.blocks, self.settings)).encode()
        headers = [
            (k, v)
            for k, v in scope["headers"]
            if k not in (b"content-length", b"transfer-encoding")
        ]
        headers.append((b"content-length", str(len(checked)).encode()))
        sent = False

        async def replay():
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": checked, "more_body": False}
            return await receive()  # later calls wait for the disconnect

        await self.app({**scope, "headers": headers}, replay, _danish_errors(send))

    async def _read_body(self, receive) -> bytes:
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise Refused(400)
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_call_bytes:
                raise Refused(413)
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)


def _rewrite_page(send, rewrite: Callable[[str], str]):
    """Wrap ``send`` so that a successful HTML page goes out as ``rewrite(page)``."""
    start: dict | None = None
    chunks: list[bytes] = []

    async def wrapped(message):
        nonlocal start
        if message["type"] == "http.response.start":
            content_type = dict(message.get("headers", [])).get(b"content-type", b"")
            if message["status"] == 200 and content_type.startswith(b"text/html"):
                start = message
                return
        elif message["type"] == "http.response.body" and start is not None:
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            body = rewrite(b"".join(chunks).decode("utf-8")).encode("utf-8")
            headers = [(k, v) for k, v in start["headers"] if k != b"content-length"]
            headers.append((b"content-length", str(len(body)).encode()))
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        await send(message)

    return wrapped


def _danish_errors(send, head: bool = False):
    """Wrap ``send`` so that an error response from Gradio (its own JSON, plain text,
    or a message that may quote the input) goes out as the project's error body."""
    replaced = False

    async def wrapped(message):
        nonlocal replaced
        if message["type"] == "http.response.start" and message["status"] >= 400:
            replaced = True
            status = message["status"]
            if status >= 500:
                log.error("the chat page answered %s", status)
                code, text = "internal", wording.ERROR_INTERNAL
            elif status in (404, 405, 413):
                code, text = _ERRORS[status]
            else:
                code, text = "invalid_request", wording.ERROR_BAD_REQUEST
            await _respond(send, status, code, text, head)
            return
        if replaced:  # drop Gradio's own error body
            return
        await send(message)

    return wrapped


# --- mounting --------------------------------------------------------------------------------


def fresh_cache(settings: Settings) -> Path:
    """``<data_dir>/gradio-cache/<pid>``: this process's own folder, created empty
    (private to the server's user).

    With ``serve --workers N`` the workers start together, and one restarted later
    must not delete files another still serves: each has its own folder, and only
    the folders of processes that no longer run (and loose files) are removed."""
    base = (Path(settings.data_dir) / CACHE_DIR_NAME).resolve()
    base.mkdir(parents=True, mode=0o700, exist_ok=True)
    base.chmod(0o700)
    own = base / str(os.getpid())
    own.mkdir(mode=0o700, exist_ok=True)
    for child in base.iterdir():
        if child != own and not (child.name.isdigit() and _running(int(child.name))):
            _remove(child)
    for child in own.iterdir():
        _remove(child)
    return own


def _remove(path: Path) -> None:
    """Remove a file or folder; one that another thread removed or replaced first is
    no error."""
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    except IsADirectoryError:
        shutil.rmtree(path, ignore_errors=True)


def _running(pid: int) -> bool:
    """Is there a process with this id (one of another user counts)?"""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


def _use_cache(blocks, cache: Path) -> None:
    for block in [blocks, *blocks.blocks.values()]:
        block.GRADIO_CACHE = str(cache)


def mount_chat(app, service: AssistantService):
    """Mount the chat page (``ui.chat``) at ``/`` behind ``GradioGuard``."""
    import gradio as gr

    from ui.chat import CSS, THEME, build_chat, page_html

    settings = service.settings
    cache = fresh_cache(settings)
    blocks = build_chat(service)
    _use_cache(blocks, cache)
    app = gr.mount_gradio_app(
        app,
        blocks,
        path="/",
        theme=THEME(),
        css=CSS,
        footer_links=[],
        favicon_path=None,
        run_history=False,
        show_error=False,
        max_file_size=1,
        allowed_paths=[],
        blocked_paths=[str(Path(settings.data_dir).resolve())],
        enable_monitoring=False,
        mcp_server=False,
        pwa=False,
        ssr_mode=False,
    )
    _use_cache(blocks, cache)
    mount = next(r for r in app.routes if getattr(r, "app", None) is _gradio_app(app, blocks))
    mount.app = GradioGuard(mount.app, settings, page=page_html)
    return app


def _gradio_app(app, blocks):
    for route in app.routes:
        inner = getattr(route, "app", None)
        if inner is not None and getattr(inner, "get_blocks", lambda: None)() is blocks:
            return inner
    raise RuntimeError("the Gradio app was not mounted")


def mounted_blocks(app):
    """The chat page's ``gr.Blocks`` inside a ``create_app`` app (for tests)."""
    for route in app.routes:
        inner = getattr(route, "app", None)
        if isinstance(inner, GradioGuard):
            return inner.blocks
    raise LookupError("no chat page mounted")
