"""Settings: short aliases and the environment handed to a child process."""

from __future__ import annotations

from assistant.settings import Settings, child_environment


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
    monkeypatch.delenv("RSI_RATE_LIMIT")  # not a setting of this version
    monkeypatch.delenv("RSI_TOP_K")  # the server process does not get it
    again = Settings()
    dirs = {k: getattr(settings, k).resolve() for k in ("corpus_dir", "index_dir", "data_dir")}
    assert again == settings.model_copy(update=dirs)
