"""Settings are built one way: ``Settings()`` reads RSI_* variables, nested and short."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic import ValidationError

from assistant.settings import SHORT_ALIASES, Settings, child_environment, library_environment


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in list(os.environ):
        if name.startswith("RSI_"):
            monkeypatch.delenv(name)


def test_short_aliases_reach_their_nested_fields(monkeypatch):
    monkeypatch.setenv("RSI_EMBEDDER", "sentence-transformers")
    monkeypatch.setenv("RSI_EMBEDDER_MODEL", "/models/e5")
    monkeypatch.setenv("RSI_TOP_K", "8")
    monkeypatch.setenv("RSI_REFUSAL_THRESHOLD", "0.3")
    monkeypatch.setenv("RSI_CHUNK_WORDS", "60")
    monkeypatch.setenv("RSI_ALLOWED_ORIGINS", "https://a.example, https://b.example")
    s = Settings()
    assert (s.embedder.backend, s.embedder.model) == ("sentence-transformers", "/models/e5")
    assert s.retrieval.top_k == 8
    assert s.answer.refusal_threshold == 0.3
    assert s.chunking.max_words == 60
    assert s.server.allowed_origins == ["https://a.example", "https://b.example"]


def test_nested_variables_and_short_aliases_combine(monkeypatch):
    monkeypatch.setenv("RSI_RETRIEVAL__RRF_K", "7")
    monkeypatch.setenv("RSI_TOP_K", "9")
    s = Settings()
    assert (s.retrieval.rrf_k, s.retrieval.top_k) == (7, 9)


def test_explicit_arguments_win_over_the_environment(monkeypatch):
    monkeypatch.setenv("RSI_TOP_K", "9")
    monkeypatch.setenv("RSI_INDEX_DIR", "/elsewhere")
    s = Settings(retrieval={"top_k": 3}, index_dir=Path("idx"))
    assert s.retrieval.top_k == 3
    assert s.index_dir == Path("idx")


def test_every_short_alias_names_a_real_field():
    defaults = Settings()
    for var, (group, key) in SHORT_ALIASES.items():
        assert var.startswith("RSI_")
        assert hasattr(getattr(defaults, group), key), var


def test_bad_values_are_refused(monkeypatch):
    monkeypatch.setenv("RSI_TOP_K", "mange")
    with pytest.raises(ValidationError):
        Settings()
    with pytest.raises(ValidationError):
        Settings(retrieval={"no_such_setting": 1})


def test_library_environment_never_overrides_the_user(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    monkeypatch.delenv("GRADIO_ANALYTICS_ENABLED", raising=False)
    library_environment()
    assert os.environ["HF_HUB_OFFLINE"] == "0"
    assert os.environ["GRADIO_ANALYTICS_ENABLED"] == "False"


def test_child_environment_reproduces_the_settings(tmp_path, monkeypatch):
    monkeypatch.setenv("RSI_TOP_K", "9")  # the caller's variables do not leak through
    settings = Settings(
        index_dir=tmp_path / "ix",
        embedder={"backend": "fake", "batch_size": 4},
        retrieval={"top_k": 3},
        server={"allowed_origins": ["http://a.example"]},
        feedback={"enabled": False},
    )
    env = child_environment(settings, RSI_RATE_LIMIT="off")
    assert env["RSI_RATE_LIMIT"] == "off" and "RSI_TOP_K" not in env
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("RSI_RATE_LIMIT")  # an extra for the child, not part of `settings`
    monkeypatch.delenv("RSI_TOP_K")  # the server process does not get it
    again = Settings()
    dirs = {k: getattr(settings, k).resolve() for k in ("corpus_dir", "index_dir", "data_dir")}
    assert again == settings.model_copy(update=dirs)
