"""The web face: ``create_app(settings)`` builds one FastAPI app with

- ``/``                         the Gradio chat page (``ui.chat``)
- ``POST /api/ask``             one answer as the JSON contract (``ui.api``)
- ``POST /api/chat``            the same, streamed as server-sent events
- ``POST /api/feedback``        thumbs up/down, stored in SQLite or PostgreSQL
- ``GET /healthz``              index and embedder status
- ``POST /v1/chat/completions`` OpenAI-compatible chat (``ui.openai_compat``)
- ``GET /widget.js``            the embeddable widget (``ui.widget``)
- ``GET /docs``                 Swagger UI from locally installed assets

around one ``AssistantService`` in ``app.state.service``, inside the policy layers of
``ui.policy`` (origins, CORS, security headers, body limit) and ``ui.ratelimit``. Bad
input gets a 4xx with ``{"error": code, "message": "dansk besked"}``, never a 500.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from assistant import wording
from assistant.index import IndexProblem
from assistant.pgconnect import DatabaseUnavailable
from assistant.service import AssistantService
from assistant.settings import Settings, child_environment, library_environment
from ui import api, openai_compat, widget
from ui.errors import RequestError, error_response
from ui.policy import API_PREFIXES, BodyLimit, WebPolicy
from ui.ratelimit import RateLimit, RateLimitStorageError, make_limiter, storage_uri

log = logging.getLogger(__name__)

DOCS_ASSETS = "/docs-assets"


def create_app(settings: Settings, with_chat: bool = True) -> FastAPI:
    """The whole web face for one settings object (a fresh app per call)."""
    app = FastAPI(
        title="RSI-assistenten API",
        version="0.1.0",
        description="Danske svar om Regionernes Sundheds-it med kildehenvisninger.",
        docs_url=None,
        redoc_url=None,
    )
    app.state.service = AssistantService(settings)
    _install_error_handlers(app)
    app.include_router(api.router)
    app.include_router(openai_compat.router)
    app.include_router(widget.router)
    _install_docs(app)
    _install_api_fallback(app, [api.router, openai_compat.router])

    server = settings.server
    app.add_middleware(BodyLimit, max_bytes=server.max_body_bytes)
    if server.rate_limit:
        app.add_middleware(RateLimit, rate=server.rate_limit, limiter=make_limiter(settings))
    app.add_middleware(WebPolicy, server=server)
    if server.trusted_proxies:  # outermost: the client and scheme as the proxy saw them
        from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=server.trusted_proxies)

    if with_chat:
        from ui.gradio_guard import mount_chat

        app = mount_chat(app, app.state.service)
    return app


def create_app_from_env() -> FastAPI:
    """The app of one ``serve --workers N`` worker process (``uvicorn`` calls it by name,
    ``factory=True``): the settings come from the environment that ``serve`` exported
    with ``child_environment``, and the index and model are warmed up as in ``serve``."""
    library_environment()
    if not logging.getLogger().handlers:  # a fresh process: log as the CLI does
        logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    app = create_app(Settings())
    app.state.service.warm_up()
    return app


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 7860, workers: int = 1) -> None:
    """Serve in this process (``workers=1``), or in ``workers`` uvicorn worker processes
    that each build the app from these settings (``create_app_from_env``)."""
    import uvicorn

    library_environment()  # no Gradio analytics, no model hub
    # No "server: uvicorn" banner; X-Forwarded-For is handled by the app itself, and only
    # from RSI_TRUSTED_PROXIES (uvicorn would otherwise trust it from 127.0.0.1).
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_level": "warning",
        "server_header": False,
        "proxy_headers": False,
    }
    banner = f"RSI-assistenten: http://{host}:{port}/  (API docs: /docs, widget: /widget.js)"
    if workers > 1:
        _check_shared_state(settings, workers)
        # The workers are new processes: they build their settings from the environment.
        environment = child_environment(settings)
        os.environ.clear()
        os.environ.update(environment)
        print(f"{banner}; {workers} workers")
        uvicorn.run("ui.app:create_app_from_env", factory=True, workers=workers, **options)
        return
    try:
        app = create_app(settings)
    except RateLimitStorageError as exc:
        raise SystemExit(f"error: {exc}") from None
    # Load the index and model, and with RSI_LLM set warm the language model up, before
    # the first question (failures are logged; the first answer then tries again).
    app.state.service.warm_up()
    print(banner)
    uvicorn.run(app, **options)


def _check_shared_state(settings: Settings, workers: int) -> None:
    """Before starting workers: a storage that cannot be used stops here, once; what each
    worker keeps for itself gets a warning."""
    # Gradio keeps a chat turn's queue in the process that took its queue/join; the
    # stream that reads it may reach another worker, which does not know the session.
    log.warning(
        "with %d workers the chat page at / can lose turns (its queue lives in one worker); "
        "the API and the widget are not affected. Serve the chat page from one worker, or "
        "put a proxy with sticky sessions in front",
        workers,
    )
    server = settings.server
    if not server.rate_limit:
        return
    try:
        make_limiter(settings)
    except RateLimitStorageError as exc:
        raise SystemExit(f"error: {exc}") from None
    if storage_uri(settings) == "memory://":
        log.warning(
            "with %d workers the rate limit (%s) counts per worker, so a client gets up to %d "
            "times as much; set RSI_DATABASE_URL or RSI_RATE_LIMIT_STORAGE to count together",
            workers,
            server.rate_limit,
            workers,
        )


# --- errors ------------------------------------------------------------------------

_HTTP_ERRORS = {
    404: ("not_found", wording.ERROR_NOT_FOUND),
    405: ("method_not_allowed", wording.ERROR_METHOD_NOT_ALLOWED),
    413: ("body_too_large", wording.ERROR_BODY_TOO_LARGE),
}


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestError)
    async def _request_error(request: Request, exc: RequestError) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.message)

    @app.exception_handler(IndexProblem)
    async def _index_problem(request: Request, exc: IndexProblem) -> JSONResponse:
        log.error("index unavailable: %s", exc)
        return error_response(503, "index_unavailable", wording.ERROR_INDEX_MISSING)

    @app.exception_handler(DatabaseUnavailable)
    async def _database_down(request: Request, exc: DatabaseUnavailable) -> JSONResponse:
        log.error("%s %s: %s", request.method, request.url.path, exc)
        return error_response(503, "database_unavailable", wording.ERROR_DATABASE_UNAVAILABLE)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        # Routing and parsing errors keep their status but get the same body as the rest.
        if exc.status_code >= 500:
            code, message = "internal", wording.ERROR_INTERNAL
        else:
            code, message = _HTTP_ERRORS.get(
                exc.status_code, ("invalid_request", wording.ERROR_BAD_REQUEST)
            )
        headers = dict(exc.headers) if exc.headers else None
        return error_response(exc.status_code, code, message, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        not_json = any(e.get("type") == "json_invalid" for e in exc.errors())
        return error_response(
            400 if not_json else 422, "invalid_request", wording.ERROR_BAD_REQUEST
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s", request.url.path)
        return error_response(500, "internal", wording.ERROR_INTERNAL)


def _install_api_fallback(app: FastAPI, routers: list[APIRouter]) -> None:
    """A method that one of our paths does not take is 405 (with Allow), and a path under
    /api or /v1 that we do not serve is 404, both with our body, instead of falling
    through to the chat page mounted at /."""
    routes = [r for router in routers for r in router.routes if isinstance(r, APIRoute)]
    fallback = _Fallback(routes)
    # Routes to a plain ASGI app match any method (TRACE, QUERY, …); each is reached
    # only when no route registered before it took the path and method.
    paths = dict.fromkeys(r.path for r in routes)
    for path in [*paths, *(f"{prefix}{{rest:path}}" for prefix in API_PREFIXES)]:
        app.router.routes.append(Route(path, fallback, include_in_schema=False))


class _Fallback:
    def __init__(self, routes: list[APIRoute]):
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        allowed = {
            method
            for route in self.routes
            if route.path_regex.match(scope["path"])
            for method in route.methods or ()
        }
        if allowed:  # our error handler turns these into the project's body
            raise StarletteHTTPException(405, headers={"Allow": ", ".join(sorted(allowed))})
        raise StarletteHTTPException(404)


# --- /docs -------------------------------------------------------------------------


def _install_docs(app: FastAPI) -> None:
    """Swagger UI from the assets that the ``fastapi-offline`` package ships, so /docs
    works without network access (FastAPI's default loads them from a CDN)."""
    import fastapi_offline

    assets = Path(fastapi_offline.__file__).resolve().parent / "static"
    app.mount(DOCS_ASSETS, StaticFiles(directory=assets), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def docs(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{root}{DOCS_ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{DOCS_ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{root}{DOCS_ASSETS}/favicon.png",
            swagger_ui_parameters={"validatorUrl": None},  # no badge from a remote validator
        )
