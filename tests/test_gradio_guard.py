"""The Gradio chat page under attack (issue 7, item 1; security review #1-#3, #8, #9, #15).

Every test mounts the real chat page (``create_app(..., with_chat=True)``) over the
fake-embedder RSI index and talks to Gradio's own routes the way an attacker would:
file paths smuggled into the chat history, uploads, malformed and oversized calls.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import uuid
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from assistant import wording
from assistant.settings import Settings
from ui.app import create_app

QUESTION = "Hvem er formand for RSI-direktørkredsen?"
FOLLOW_UP = "Hvem er medlemmer af den?"
CPR = "311299-9999"
DANISH = [
    re.compile(re.escape(v).replace(re.escape("{limit}"), r"\d+") + "$")
    for k, v in vars(wording).items()
    if k.startswith("ERROR_") and isinstance(v, str)
]


# --- fixtures and helpers -----------------------------------------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory, build_fake_rsi_index) -> Path:
    root = tmp_path_factory.mktemp("guard")
    build_fake_rsi_index(root)
    return root


def _settings(built: Path, data: Path, **server) -> Settings:
    return Settings(
        corpus_dir=built / "corpus",
        index_dir=built / "index",
        data_dir=data,
        embedder={"backend": "fake"},
        server={"rate_limit": "off", **server},  # tests/test_ratelimit.py covers the limit
    )


@pytest.fixture
def make_client(built, tmp_path):
    """``make_client(**server)``: a started app (lifespan on) with a fresh data dir."""
    clients = []

    def make(**server) -> TestClient:
        client = TestClient(
            create_app(_settings(built, tmp_path / "data", **server)),
            raise_server_exceptions=False,
        )
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("guard-data")


@pytest.fixture(scope="module")
def client(built, data_dir) -> TestClient:
    """One started app with default limits, shared by the module (sessions differ)."""
    with TestClient(
        create_app(_settings(built, data_dir)), raise_server_exceptions=False
    ) as client:
        yield client


@pytest.fixture
def secret(tmp_path) -> Path:
    """A file the server can read and nobody may download (unique name, so copies are
    found wherever Gradio would put them)."""
    path = tmp_path / f"secret-{uuid.uuid4().hex}.txt"
    path.write_text("TOPSECRET feedback row with CPR 311299-9999\n", encoding="utf-8")
    return path


def file_data(path: Path | str) -> dict:
    return {"path": str(path), "meta": {"_type": "gradio.FileData"}}


def file_history(path: Path | str) -> list[dict]:
    return [{"role": "user", "content": [{"type": "file", "file": file_data(path)}]}]


def config(client) -> dict:
    return client.get("/config").json()


def fn_index(client, trigger: str) -> int:
    """The dependency triggered by ``trigger`` (e.g. "rsi-send.click")."""
    cfg = config(client)
    ids = {c["props"].get("elem_id"): c["id"] for c in cfg["components"]}
    elem, event = trigger.split(".")
    for dep in cfg["dependencies"]:
        if [ids[elem], event] in [list(t) for t in dep["targets"]]:
            return dep["id"]
    raise AssertionError(f"no dependency for {trigger}")


def input_count(client, index: int) -> int:
    return len(next(d for d in config(client)["dependencies"] if d["id"] == index)["inputs"])


def join(client, index: int, data: list, session: str, **extra):
    body = {"data": data, "fn_index": index, "session_hash": session, "event_data": None}
    return client.post("/gradio_api/queue/join", json={**body, **extra})


def events(client, session: str) -> list[dict]:
    """Every message of the session's queue stream, up to the close."""
    out = []
    with client.stream("GET", "/gradio_api/queue/data", params={"session_hash": session}) as r:
        assert r.status_code == 200, r.read()
        for line in r.iter_lines():
            if line.startswith("data: "):
                msg = json.loads(line[6:])
                out.append(msg)
                if msg.get("msg") == "close_stream":
                    break
    return out


def ask(client, question: str, session: str) -> list[dict]:
    """Ask through the page's Send button; returns the final chatbot value."""
    index = fn_index(client, "rsi-send.click")
    data = [question] + [None] * (input_count(client, index) - 1)
    r = join(client, index, data, session)
    assert r.status_code == 200, r.text
    done = [m for m in events(client, session) if m.get("msg") == "process_completed"]
    assert done and done[-1]["success"], done
    return done[-1]["output"]["data"][0]


def assert_danish_error(r, *statuses: int) -> None:
    assert r.status_code in statuses, (r.status_code, r.text)
    body = r.json()
    assert set(body) == {"error", "message"}, body
    assert any(p.match(body["message"]) for p in DANISH), body


def copies_of(name: str, *roots: Path) -> list[Path]:
    return [p for root in roots if root.exists() for p in root.rglob(name)]


def gradio_roots(data_dir: Path) -> list[Path]:
    return [data_dir, Path(tempfile.gettempdir()) / "gradio"]


# --- the file-read hole (review #1) ---------------------------------------------------------


def test_filedata_history_on_call_v2_is_refused_and_nothing_is_served(client, secret, data_dir):
    r = client.post(
        "/gradio_api/call/v2/respond",
        json={"message": "hej", "history": file_history(secret)},
    )
    # Before the fix this returned an event id, the stream named a cached copy of the file
    # and GET /gradio_api/file=<copy> served it.
    leaked = []
    if r.status_code == 200 and "event_id" in r.text:
        stream = client.get(f"/gradio_api/call/v2/respond/{r.json()['event_id']}").text
        for url in set(re.findall(r"/gradio_api/file=[^\"\s]+", stream)):
            got = client.get(url)
            if "TOPSECRET" in got.text:
                leaked.append(url)
    assert leaked == [], "the server file was downloadable"
    assert_danish_error(r, 400, 403, 404)
    # Nothing to download, in any form Gradio would name the copy.
    for url in (
        f"/gradio_api/file={secret}",
        f"/gradio_api/file/{secret}",
        "/gradio_api/file=" + str(Path(tempfile.gettempdir()) / "gradio" / secret.name),
    ):
        got = client.get(url)
        assert got.status_code in (403, 404), url
        assert "TOPSECRET" not in got.text
    assert copies_of(secret.name, *gradio_roots(data_dir)) == []


@pytest.mark.parametrize("slot", ["question", "state", "extra"])
def test_filedata_in_any_queue_join_slot_is_refused(client, secret, data_dir, slot):
    index = fn_index(client, "rsi-send.click")
    n = input_count(client, index)
    data: list = ["hej"] + [None] * (n - 1)
    if slot == "question":
        data[0] = file_data(secret)
    elif slot == "state":
        data[1] = file_history(secret)
    else:  # the old chatbot-history slot: one more input than the page has
        data.append(file_history(secret))
    r = join(client, index, data, "attacker01")
    assert_danish_error(r, 400, 422)
    assert "TOPSECRET" not in r.text and str(secret) not in r.text
    assert copies_of(secret.name, *gradio_roots(data_dir)) == []


def test_no_existence_oracle(client, secret):
    """An existing and a missing path get byte-identical answers."""
    index = fn_index(client, "rsi-send.click")
    n = input_count(client, index)
    answers = []
    for path in (secret, secret.with_name("does-not-exist.txt")):
        for data in ([file_data(path)] + [None] * (n - 1), ["hej", None, file_history(path)]):
            r = join(client, index, data[: max(n, len(data))], "oracle0001")
            answers.append((r.status_code, r.content))
        r = client.post("/gradio_api/call/v2/respond", json={"history": file_history(path)})
        answers.append((r.status_code, r.content))
    assert answers[:3] == answers[3:]


def test_the_chat_page_has_no_file_components(client):
    types = {c["type"] for c in config(client)["components"]}
    assert not types & {"file", "uploadbutton", "image", "audio", "video", "gallery", "model3d"}
    assert "multimodaltextbox" not in types
    # The chatbot is never an input: the conversation lives on the server.
    cfg = config(client)
    chatbot = next(c["id"] for c in cfg["components"] if c["type"] == "chatbot")
    assert all(chatbot not in d["inputs"] for d in cfg["dependencies"])


# --- uploads (review #3) ------------------------------------------------------------------


def test_upload_is_refused(client, data_dir):
    name = f"upload-{uuid.uuid4().hex}.html"
    r = client.post(
        "/gradio_api/upload", files={"files": (name, b"<script>1</script>", "text/html")}
    )
    assert_danish_error(r, 403, 404)
    chunked = client.post(
        "/gradio_api/upload",
        content=iter([b"--x\r\n", b"a" * 100_000]),
        headers={"content-type": "multipart/form-data; boundary=x"},
    )
    assert_danish_error(chunked, 403, 404)
    assert_danish_error(client.get("/gradio_api/upload_progress?upload_id=1"), 403, 404)
    assert copies_of(name, *gradio_roots(data_dir)) == []


# --- malformed and unknown calls (review #8, #9) --------------------------------------------


@pytest.mark.parametrize(
    "method, path, body",
    [
        (
            "post",
            "/gradio_api/queue/join",
            {"data": ["hej"], "fn_index": 999, "session_hash": "a1"},
        ),
        ("post", "/gradio_api/queue/join", {"data": ["hej"], "fn_index": -1, "session_hash": "a1"}),
        ("post", "/gradio_api/queue/join", {"data": ["hej"], "fn_index": "1", "session_hash": "a"}),
        ("post", "/gradio_api/queue/join", {"data": "hej", "fn_index": 1, "session_hash": "a1"}),
        ("post", "/gradio_api/queue/join", {"data": ["hej", None], "fn_index": 1}),
        ("post", "/gradio_api/queue/join", {}),
        ("post", "/gradio_api/queue/join", []),
        ("post", "/gradio_api/queue/join", "not json"),
        ("post", "/gradio_api/run/predict", {"data": [], "fn_index": 999, "session_hash": "a1"}),
        ("post", "/gradio_api/call/v2/respond", {}),
        ("post", "/gradio_api/call/v2/feedback", {}),
        ("post", "/gradio_api/call/v2/lambda", {}),
        ("post", "/gradio_api/call/respond", {"data": ["hej"]}),
        ("post", "/gradio_api/api/respond", {"data": ["hej"]}),
        ("post", "/gradio_api/component_server", {}),
        ("post", "/gradio_api/process_recording", {}),
        ("post", "/gradio_api/cancel", {}),
        ("get", "/gradio_api/nonexistent", None),
        ("get", "/gradio_api/runs", None),
        ("get", "/gradio_api/run-history/records", None),
        ("get", "/gradio_api/info", None),
        ("get", "/gradio_api/openapi.json", None),
        ("get", "/gradio_api/file=/etc/passwd", None),
        ("get", "/gradio_api/proxy=http://example.com/x", None),
        ("get", "/monitoring", None),
        ("get", "/no/such/page", None),
        ("delete", "/", None),
        ("put", "/gradio_api/queue/join", {}),
    ],
)
def test_malformed_and_unknown_calls_get_a_danish_4xx(client, capfd, method, path, body):
    if isinstance(body, str):
        r = client.request(method, path, content=body, headers={"content-type": "application/json"})
    elif body is None:
        r = client.request(method, path)
    else:
        r = client.request(method, path, json=body)
    assert_danish_error(r, 400, 403, 404, 405, 413, 422)
    assert "Traceback" not in capfd.readouterr().err


def test_validation_errors_do_not_echo_user_text(client, capfd, caplog):
    index = fn_index(client, "rsi-send.click")
    n = input_count(client, index)
    bad = [
        [{"text": f"Mit CPR er {CPR}"}] + [None] * (n - 1),  # not a string
        [f"Mit CPR er {CPR}", f"CPR {CPR}"] + [None] * (n - 2),  # the state is server-side
        [f"Mit CPR er {CPR}"] * (n + 1),  # one input too many
    ]
    for data in bad:
        r = join(client, index, data, "echo000001")
        assert_danish_error(r, 400, 422)
        assert CPR not in r.text
    out = capfd.readouterr()
    assert CPR not in out.out + out.err
    assert CPR not in caplog.text


# --- limits the same as /api (review #2) ----------------------------------------------------


def test_huge_history_is_refused_quickly(client):
    index = fn_index(client, "rsi-send.click")
    n = input_count(client, index)
    history = [{"role": "user", "content": "x" * 60} for _ in range(10_000)]
    r = join(client, index, ["hej"] + [None] * (n - 1) + [history], "huge000001")
    assert_danish_error(r, 400, 413)
    # Nor can the history be smuggled in as the server-side state.
    r = join(client, index, ["hej", history] + [None] * (n - 2), "huge000002")
    assert_danish_error(r, 400, 413)


def test_huge_chunked_call_is_refused_before_gradio_reads_it(client):
    body = b'{"data": ["' + b"x" * 5_000_000 + b'"], "fn_index": 1, "session_hash": "c1"}'
    r = client.post(
        "/gradio_api/queue/join",
        content=iter([body[i : i + 65536] for i in range(0, len(body), 65536)]),
        headers={"content-type": "application/json"},
    )
    assert_danish_error(r, 413)


def test_examples_ask_only_their_own_text(client, monkeypatch):
    """A click on an example sends its index; the question asked is the server's text
    for that index, whatever the event's value says."""
    service = client.app.state.service
    asked: list[str] = []
    original = service.stream

    def spy(question, history=None):
        asked.append(question)
        return original(question, history)

    monkeypatch.setattr(service, "stream", spy)
    index = fn_index(client, "rsi-chatbot.example_select")
    data = [None] * input_count(client, index)
    event = {"index": 1, "value": {"text": "Injected", "files": [file_data("/etc/passwd")]}}
    r = join(client, index, data, "example001", event_data=event)
    assert r.status_code == 200, r.text
    assert [m for m in events(client, "example001") if m.get("msg") == "process_completed"]
    assert asked == [wording.UI_EXAMPLES[1]]
    for bad in ("1", None, [1, 2, 3], {"i": 1}):
        r = join(client, index, data, "example002", event_data={"index": bad})
        assert_danish_error(r, 400)


def test_question_limit_is_the_api_limit(make_client):
    client = make_client(max_question_chars=40)
    index = fn_index(client, "rsi-send.click")
    n = input_count(client, index)
    r = join(client, index, ["x" * 41] + [None] * (n - 1), "long000001")
    assert_danish_error(r, 413)
    assert r.json()["error"] == "question_too_long"
    # and the page itself will not take more (the textarea's maxlength)
    box = next(c for c in config(client)["components"] if c["props"].get("elem_id") == "rsi-input")
    assert box["props"]["max_length"] == 40
    # a question at the limit is answered
    ask(client, "x" * 40, "long000002")


def test_history_sent_to_the_assistant_is_trimmed_to_the_api_limits(make_client, monkeypatch):
    client = make_client(max_history_messages=2, max_history_chars=300)
    seen: list[list[dict]] = []
    service = client.app.state.service
    original = service.stream

    def spy(question, history=None):
        seen.append(list(history or []))
        return original(question, history)

    monkeypatch.setattr(service, "stream", spy)
    for i in range(4):
        ask(client, f"{QUESTION} ({i})", "trim000001")
    assert seen[0] == []
    assert all(len(h) <= 2 for h in seen)
    assert all(sum(len(m["content"]) for m in h) <= 300 for h in seen)
    assert seen[-1] and seen[-1][-1]["role"] == "assistant"


# --- the conversation lives on the server ----------------------------------------------------


def test_conversation_is_server_side_and_follow_ups_work(client, monkeypatch):
    service = client.app.state.service
    seen: list[list[dict]] = []
    original = service.stream

    def spy(question, history=None):
        seen.append(list(history or []))
        return original(question, history)

    monkeypatch.setattr(service, "stream", spy)
    first = ask(client, QUESTION, "conv000001")
    assert any("Danske Regioner" in json.dumps(m, ensure_ascii=False) for m in first)
    ask(client, FOLLOW_UP, "conv000001")
    assert [m["role"] for m in seen[1]] == ["user", "assistant"]
    assert seen[1][0]["content"] == QUESTION
    assert "Danske Regioner" in seen[1][1]["content"]
    # Another session starts afresh.
    ask(client, FOLLOW_UP, "conv000002")
    assert seen[2] == []


def test_feedback_from_the_page_is_stored(client):
    from assistant.feedback import rows as feedback_rows

    session = "like000001"
    ask(client, QUESTION, session)
    index = fn_index(client, "rsi-chatbot.like")
    event = {"index": 1, "value": "ignored", "liked": True}
    r = join(client, index, [None] * input_count(client, index), session, event_data=event)
    assert r.status_code == 200, r.text
    assert [m for m in events(client, session) if m.get("msg") == "process_completed"]
    rows = feedback_rows(client.app.state.service.settings)
    assert len(rows) == 1 and rows[0]["question"] == QUESTION and rows[0]["rating"] == 1


# --- Gradio's cache and switches (review #1, #15) ------------------------------------------


def test_cache_is_inside_the_data_dir_and_emptied_at_start(built, tmp_path):
    cache = tmp_path / "data" / "gradio-cache"
    (cache / "old").mkdir(parents=True)
    (cache / "old" / "passwd").write_text("left over from a previous run")
    app = create_app(_settings(built, tmp_path / "data"))
    own = cache / str(os.getpid())  # this process's own folder, empty
    assert list(cache.iterdir()) == [own] and list(own.iterdir()) == []
    from ui.gradio_guard import mounted_blocks

    blocks = mounted_blocks(app)
    assert {Path(b.GRADIO_CACHE) for b in [blocks, *blocks.blocks.values()]} == {own.resolve()}


def test_run_history_and_analytics_are_off(client):
    cfg = config(client)
    assert cfg["run_history"] is False
    assert cfg["analytics_enabled"] is False
    assert not re.search(r'"show_error":\s*true', json.dumps(cfg))
    assert client.get("/gradio_api/runs").status_code == 404


def test_the_page_still_loads(client):
    r = client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert client.get("/theme.css").status_code == 200
    assert client.get("/config").status_code == 200


def test_workers_starting_together_each_get_the_empty_cache(make_settings, tmp_path):
    """`serve --workers N` starts N processes that empty the same cache folder at once:
    none may fail on a folder another one just removed or created."""
    import stat
    from concurrent.futures import ThreadPoolExecutor

    from ui.gradio_guard import fresh_cache

    settings = make_settings(tmp_path)
    cache = tmp_path / "data" / "gradio-cache"
    for round_ in range(20):
        cache.mkdir(parents=True, exist_ok=True)
        (cache / f"old-{round_}.txt").write_text("x")
        with ThreadPoolExecutor(max_workers=4) as pool:
            results = list(pool.map(lambda _: fresh_cache(settings), range(4)))
        assert len(set(results)) == 1 and results[0].is_dir()
        assert not list(results[0].iterdir())
        assert stat.S_IMODE(results[0].stat().st_mode) == 0o700
    # Another worker's folder stays while it runs; a dead process's folder goes.
    (cache / "1").mkdir()  # pid 1 always runs
    (cache / "1" / "served.txt").write_text("x")
    dead = 2**22 + 12345  # above Linux's pid limit: no such process
    (cache / str(dead)).mkdir()
    fresh_cache(settings)
    assert (cache / "1" / "served.txt").exists() and not (cache / str(dead)).exists()
