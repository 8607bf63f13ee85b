"""The web policy (ui/policy.py, ui/app.py) as an attacker or a browser meets it:
framing, security headers, one body limit on every route (Gradio's, chunked), 405 and
404 with the project's body, HEAD /healthz, and /docs without network."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from assistant import wording
from assistant.settings import Settings
from ui.app import create_app

JSON = {"Content-Type": "application/json"}


@pytest.fixture(scope="module")
def built(tmp_path_factory, build_fake_rsi_index):
    root = tmp_path_factory.mktemp("policy")
    build_fake_rsi_index(root)
    return root


@pytest.fixture
def make_app(built, tmp_path):
    def make(with_chat: bool = False, **server) -> TestClient:
        settings = Settings(
            corpus_dir=built / "corpus",
            index_dir=built / "index",
            data_dir=tmp_path / "data",
            embedder={"backend": "fake"},
            server={"rate_limit": "off", **server},
        )
        return TestClient(create_app(settings, with_chat=with_chat), raise_server_exceptions=False)

    return make


@pytest.fixture(scope="module")
def chat_app(built, tmp_path_factory):
    """The whole app, Gradio chat page included, with the default origins ("*")."""
    settings = Settings(
        corpus_dir=built / "corpus",
        index_dir=built / "index",
        data_dir=tmp_path_factory.mktemp("data"),
        embedder={"backend": "fake"},
        server={"rate_limit": "off"},
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


def csp(response) -> dict[str, str]:
    parts = (
        d.strip().split(" ", 1) for d in response.headers["content-security-policy"].split(";")
    )
    return {name: value for name, value in parts}


def assert_project_error(r, status: int, code: str) -> None:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    assert set(r.json()) == {"error", "message"}
    assert r.json()["error"] == code
    assert r.json()["message"] in vars(wording).values()


# --- framing and headers -----------------------------------------------------------------


def test_chat_page_cannot_be_framed_by_other_sites_by_default(chat_app):
    r = chat_app.get("/")
    assert r.status_code == 200 and "gradio" in r.text.lower()
    policy = csp(r)
    assert policy["frame-ancestors"] == "'self'"  # "*" in RSI_ALLOWED_ORIGINS is CORS only
    assert r.headers["x-frame-options"] == "SAMEORIGIN"
    assert policy["default-src"] == "'self'"
    assert policy["object-src"] == "'none'"
    assert "http:" not in r.headers["content-security-policy"]
    assert "*" not in r.headers["content-security-policy"]


def test_explicit_origins_widen_framing_and_star_never_does(make_app):
    allowed = "https://www.regioner.dk"
    for origins, expected in (
        ([allowed], {"'self'", allowed}),
        (["*", allowed], {"'self'", allowed}),
        (["*"], {"'self'"}),
    ):
        r = make_app(allowed_origins=origins).get("/docs")
        assert set(csp(r)["frame-ancestors"].split()) == expected, origins


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/"), ("GET", "/docs"), ("POST", "/api/ask"), ("GET", "/healthz"), ("GET", "/nope")],
)
def test_security_headers_on_every_response(chat_app, method, path):
    r = chat_app.request(method, path, json={"question": "Hvad er RSI?"})
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    permissions = r.headers["permissions-policy"]
    for feature in ("camera", "microphone", "geolocation"):
        assert f"{feature}=()" in permissions
    assert "server" not in r.headers


def test_serve_hides_the_server_banner_and_leaves_forwarded_headers_to_the_app(
    monkeypatch, make_settings, tmp_path
):
    from types import SimpleNamespace

    import uvicorn

    import ui.app

    seen: dict = {}
    service = SimpleNamespace(warm_up=lambda: seen.update(warmed=True))
    app = SimpleNamespace(state=SimpleNamespace(service=service))
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: seen.update(kw))
    monkeypatch.setattr(ui.app, "create_app", lambda settings: app)
    ui.app.serve(make_settings(tmp_path), host="127.0.0.1", port=1)
    assert seen["server_header"] is False
    assert seen["proxy_headers"] is False  # X-Forwarded-For only from RSI_TRUSTED_PROXIES
    assert seen["warmed"]  # index, model and any LLM loaded before the first question


# --- methods and paths -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("GET", "/api/ask", "POST"),
        ("PUT", "/api/chat", "POST"),
        ("DELETE", "/api/feedback", "POST"),
        ("GET", "/v1/chat/completions", "POST"),
        ("POST", "/v1/models", "GET"),
        ("TRACE", "/api/ask", "POST"),
        ("QUERY", "/v1/models", "GET"),
        ("POST", "/healthz", "GET, HEAD"),
        ("DELETE", "/healthz", "GET, HEAD"),
    ],
)
def test_wrong_method_is_405_with_the_project_body(chat_app, method, path, allow):
    r = chat_app.request(method, path)
    assert_project_error(r, 405, "method_not_allowed")
    assert r.headers["allow"] == allow


def test_unknown_api_path_is_404_with_the_project_body_not_gradios(chat_app):
    assert_project_error(chat_app.get("/api/findes-ikke"), 404, "not_found")
    assert_project_error(chat_app.post("/v1/embeddings", json={}), 404, "not_found")


def test_head_healthz(chat_app):
    r = chat_app.head("/healthz")
    assert r.status_code == 200
    assert r.content == b""
    assert chat_app.get("/healthz").json()["status"] == "ok"


# --- one body limit everywhere -----------------------------------------------------------


def _chunked(total: int):
    def body():
        yield b'{"data": ["'
        sent = 0
        while sent < total:
            yield b"a" * 100_000
            sent += 100_000
        yield b'"], "fn_index": 0, "session_hash": "x"}'

    return body()


@pytest.mark.parametrize(
    "path", ["/gradio_api/queue/join", "/gradio_api/call/v2/respond", "/gradio_api/upload"]
)
def test_chunked_oversized_body_to_gradio_is_413(chat_app, path):
    r = chat_app.post(path, content=_chunked(1_200_000), headers=JSON)
    assert "content-length" not in r.request.headers  # sent chunked
    assert_project_error(r, 413, "body_too_large")


def test_declared_oversized_body_to_gradio_is_413(chat_app):
    r = chat_app.post("/gradio_api/upload", content=b"x" * 1_000_001, headers=JSON)
    assert_project_error(r, 413, "body_too_large")


def test_small_chunked_bodies_still_reach_the_routes(chat_app):
    def body():
        yield b'{"question": '
        yield b'"Hvad er RSI?"}'

    r = chat_app.post("/api/ask", content=body(), headers=JSON)
    assert r.status_code == 200, r.text
    assert r.json()["question"] == "Hvad er RSI?"
    # The chat guard gets the replayed body and judges it: "{}" is no valid call (not 413).
    r = chat_app.post("/gradio_api/queue/join", content=iter([b"{", b"}"]), headers=JSON)
    assert_project_error(r, 400, "invalid_request")


def test_body_limit_is_a_setting(make_app):
    client = make_app(max_body_bytes=2048)
    r = client.post("/api/ask", json={"question": "x" * 3000})
    assert_project_error(r, 413, "body_too_large")


# --- /docs without network ---------------------------------------------------------------


def test_docs_use_locally_served_swagger_assets(chat_app):
    page = chat_app.get("/docs")
    assert page.status_code == 200
    assert "cdn." not in page.text and "https://" not in page.text
    for asset, kind in (
        ("/docs-assets/swagger-ui-bundle.js", "javascript"),
        ("/docs-assets/swagger-ui.css", "text/css"),
    ):
        assert asset in page.text
        r = chat_app.get(asset)
        assert r.status_code == 200 and kind in r.headers["content-type"]
        assert len(r.content) > 100_000
    assert "openapi" in chat_app.get("/openapi.json").json()


def test_gradio_run_history_and_analytics_are_off(chat_app):
    config = chat_app.get("/config").json()
    assert config["run_history"] is False
    assert config["analytics_enabled"] is False
