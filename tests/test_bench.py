"""`rsi-assistant bench`: the worst-case ratio and a tiny load run (a real server process)."""

from __future__ import annotations

import json

import pytest

from assistant.cli import main
from assistant.evals import bench
from assistant.evals.bench import worst_case_question


def test_worst_case_ratio_is_reported(tmp_path, build_fake_rsi_index):
    from assistant.answer import Assistant

    settings = build_fake_rsi_index(tmp_path)
    assistant = Assistant.load(settings)
    result = bench.bench_worst_case(assistant, ["Hvad er RSI?"], samples=2)
    assert result["worst_case_chars"] == settings.server.max_question_chars
    assert result["worst_case_p50_ms"] > 0 and result["worst_followup_p50_ms"] > 0
    worst = max(result["worst_case_p50_ms"], result["worst_followup_p50_ms"])
    assert result["worst_case_ratio"] == pytest.approx(
        worst / result["worst_case_normal_p50_ms"], rel=0.01
    )


def test_worst_case_question_fits_the_question_limit():
    q = worst_case_question(1000, seed=3)
    assert 990 <= len(q) <= 1000 and q == worst_case_question(1000, seed=3)


def test_tiny_load_run(tmp_path, build_fake_rsi_index, monkeypatch, capsys):
    settings = build_fake_rsi_index(tmp_path)
    for key, value in {
        "RSI_CORPUS_DIR": settings.corpus_dir,
        "RSI_INDEX_DIR": settings.index_dir,
        "RSI_DATA_DIR": settings.data_dir,
        "RSI_EMBEDDER": "fake",
    }.items():
        monkeypatch.setenv(key, str(value))
    assert main(["bench", "--load", "--clients", "3", "--questions", "10", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["requests"] == 10 and result["clients"] == 3
    assert result["statuses"] == {"200": 10} and result["errors"] == {}
    assert result["throughput_rps"] > 0
    assert 0 < result["p50_ms"] <= result["p95_ms"] <= result["p99_ms"] <= result["max_ms"]
    assert result["rss_before_mb"] > 0 and result["rss_after_mb"] > 0
    assert result["embedder"] == "fake"
    assert result["store"] == "files" and result["workers"] == 1


def test_load_needs_positive_sizes(capsys):
    assert main(["bench", "--load", "--clients", "0"]) == 2
    assert "at least 1" in capsys.readouterr().err


def test_a_server_that_cannot_start_is_a_clear_error(tmp_path, monkeypatch):
    from assistant.settings import Settings

    settings = Settings(
        corpus_dir=tmp_path / "none", index_dir=tmp_path / "ix", embedder={"backend": "fake"}
    )
    monkeypatch.setattr(bench, "_questions", lambda: ["Hvad er RSI?"])
    monkeypatch.setattr("assistant.store.FileStore.ensure", lambda self, **kw: None)
    with pytest.raises(bench.BenchError, match="exited with code"):
        bench.load(settings, clients=1, questions=1, progress=False)
