"""Rate limiting per client (ui/ratelimit.py, RSI_RATE_LIMIT): a flood gets 429 with
Retry-After and the Danish body; X-Forwarded-For counts only from a trusted proxy;
"off" turns it off; only the routes that cost an answer are counted."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from assistant import wording
from assistant.settings import Settings
from ui.app import create_app
from ui.ratelimit import is_limited

EMPTY = {"question": ""}  # refused with 400 after the limiter counted it: cheap to send


@pytest.fixture(scope="module")
def built(tmp_path_factory, build_fake_rsi_index):
    root = tmp_path_factory.mktemp("ratelimit")
    build_fake_rsi_index(root)
    return root


@pytest.fixture
def make_client(built, tmp_path):
    def make(peer: str = "192.0.2.10", **server) -> TestClient:
        settings = Settings(
            corpus_dir=built / "corpus",
            index_dir=built / "index",
            data_dir=tmp_path / "data",
            embedder={"backend": "fake"},
            server=server,
        )
        app = create_app(settings, with_chat=False)
        return TestClient(app, raise_server_exceptions=False, client=(peer, 40000))

    return make


def test_flood_gets_429_with_retry_after(make_client):
    client = make_client(rate_limit="5/minute")
    statuses = [client.post("/api/ask", json=EMPTY).status_code for _ in range(5)]
    assert statuses == [400] * 5
    r = client.post("/api/ask", json={"question": "Hvad er RSI?"})
    assert r.status_code == 429
    assert r.json() == {"error": "rate_limited", "message": wording.ERROR_RATE_LIMITED}
    assert 1 <= int(r.headers["retry-after"]) <= 60
    # one budget per client across the question routes
    for path in ("/api/chat", "/api/feedback", "/v1/chat/completions"):
        assert client.post(path, json={}).status_code == 429
    # what costs no answer is not counted
    assert client.get("/healthz").status_code == 200
    assert client.get("/v1/models").status_code == 200


def test_loopback_is_limited_too(make_client):
    client = make_client(peer="127.0.0.1", rate_limit="2/minute")
    assert [client.post("/api/ask", json=EMPTY).status_code for _ in range(3)] == [400, 400, 429]


def test_limit_is_per_client(make_client, built, tmp_path):
    settings = Settings(
        corpus_dir=built / "corpus",
        index_dir=built / "index",
        data_dir=tmp_path / "data",
        embedder={"backend": "fake"},
        server={"rate_limit": "2/minute"},
    )
    app = create_app(settings, with_chat=False)
    one = TestClient(app, client=("192.0.2.1", 1))
    two = TestClient(app, client=("192.0.2.2", 1))
    assert [one.post("/api/ask", json=EMPTY).status_code for _ in range(3)] == [400, 400, 429]
    assert two.post("/api/ask", json=EMPTY).status_code == 400


def test_forwarded_for_is_ignored_from_an_untrusted_peer(make_client):
    client = make_client(peer="192.0.2.10", rate_limit="3/minute", trusted_proxies=["10.0.0.1"])
    statuses = [
        client.post(
            "/api/ask", json=EMPTY, headers={"X-Forwarded-For": f"198.51.100.{i}"}
        ).status_code
        for i in range(4)
    ]
    assert statuses == [400, 400, 400, 429]  # a made-up header does not buy a new budget


def test_forwarded_for_names_the_client_behind_a_trusted_proxy(make_client):
    client = make_client(peer="10.0.0.1", rate_limit="2/minute", trusted_proxies=["10.0.0.0/8"])

    def ask(client_ip: str) -> int:
        headers = {"X-Forwarded-For": client_ip}
        return client.post("/api/ask", json=EMPTY, headers=headers).status_code

    assert [ask("198.51.100.7") for _ in range(3)] == [400, 400, 429]
    assert ask("198.51.100.8") == 400  # another client behind the same proxy
    # a client that spoofs the header in front of the proxy is still known by its address
    assert ask("203.0.113.1, 198.51.100.7") == 429


@pytest.mark.parametrize("value", ["off", "", "OFF"])
def test_off_disables_it(make_client, value):
    client = make_client(rate_limit=value)
    assert {client.post("/api/ask", json=EMPTY).status_code for _ in range(40)} == {400}


def test_environment_settings(monkeypatch):
    monkeypatch.setenv("RSI_RATE_LIMIT", "off")
    monkeypatch.setenv("RSI_TRUSTED_PROXIES", "10.0.0.1, 192.168.0.0/16")
    monkeypatch.setenv("RSI_RATE_LIMIT_STORAGE", "memory://")
    server = Settings().server
    assert server.rate_limit == ""
    assert server.trusted_proxies == ["10.0.0.1", "192.168.0.0/16"]
    monkeypatch.delenv("RSI_RATE_LIMIT")
    assert Settings().server.rate_limit == "30/minute"  # the default is on


@pytest.mark.parametrize(
    "server", [{"rate_limit": "many"}, {"rate_limit": "30/fortnight"}, {"trusted_proxies": ["x"]}]
)
def test_bad_settings_are_refused(server):
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        Settings(server=server)


def test_cors_clients_can_read_retry_after(make_client):
    client = make_client(rate_limit="1/minute")
    origin = {"Origin": "https://nogen.example"}
    client.post("/api/ask", json=EMPTY, headers=origin)
    r = client.post("/api/ask", json=EMPTY, headers=origin)
    assert r.status_code == 429
    assert r.headers["access-control-allow-origin"] == "https://nogen.example"
    assert "retry-after" in r.headers["access-control-expose-headers"].lower()


@pytest.mark.parametrize(
    ("method", "path", "limited"),
    [
        ("POST", "/api/ask", True),
        ("POST", "/api/ask/", True),
        ("POST", "/api/chat", True),
        ("POST", "/api/feedback", True),
        ("POST", "/v1/chat/completions", True),
        ("POST", "/gradio_api/queue/join", True),
        ("POST", "/gradio_api/call/v2/respond", True),
        ("POST", "/gradio_api/run/predict", True),
        ("GET", "/gradio_api/queue/data", False),
        ("GET", "/gradio_api/call/respond/abc", False),
        ("OPTIONS", "/api/ask", False),
        ("GET", "/healthz", False),
        ("GET", "/", False),
    ],
)
def test_which_routes_count(method, path, limited):
    assert is_limited(method, path) is limited


def test_gradio_chat_calls_are_limited(built, tmp_path):
    settings = Settings(
        corpus_dir=built / "corpus",
        index_dir=built / "index",
        data_dir=tmp_path / "data",
        embedder={"backend": "fake"},
        server={"rate_limit": "2/minute"},
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        statuses = [client.post("/gradio_api/queue/join", json={}).status_code for _ in range(3)]
        assert statuses[:2] != [429, 429] and statuses[2] == 429
        assert client.get("/").status_code == 200  # the page itself is not counted


def test_unusable_storage_stops_serve_with_one_line(make_settings, tmp_path, monkeypatch):
    import uvicorn

    import ui.app

    monkeypatch.setattr(uvicorn, "run", lambda *a, **kw: pytest.fail("must not start"))
    settings = make_settings(tmp_path, server={"rate_limit_storage": "nosuch://host"})
    with pytest.raises(SystemExit) as stop:
        ui.app.serve(settings)
    assert "RSI_RATE_LIMIT_STORAGE='nosuch://host' cannot be used" in str(stop.value)
