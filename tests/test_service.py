"""AssistantService: loading the served build, and not hammering a damaged one."""

from __future__ import annotations

import pytest

from assistant.index import IndexCorrupt, current_build
from assistant.service import AssistantService


def _damaged_service(tmp_path, build_fake_rsi_index, monkeypatch):
    settings = build_fake_rsi_index(tmp_path)
    build = current_build(settings.index_dir)
    (build / "chunks.jsonl").write_text("not what the checksum says\n", encoding="utf-8")
    service = AssistantService(settings)
    loads = []
    real_load = service.store.load
    monkeypatch.setattr(
        service.store, "load", lambda *a, **k: loads.append(1) or real_load(*a, **k)
    )
    return service, loads


def test_a_damaged_build_is_not_reloaded_for_every_question(
    tmp_path, build_fake_rsi_index, monkeypatch
):
    service, loads = _damaged_service(tmp_path, build_fake_rsi_index, monkeypatch)
    for _ in range(3):
        with pytest.raises(IndexCorrupt):
            service.assistant()
    assert len(loads) == 1  # the two later questions got the remembered problem


def test_a_damaged_build_is_tried_again_after_the_pause(
    tmp_path, build_fake_rsi_index, monkeypatch
):
    service, loads = _damaged_service(tmp_path, build_fake_rsi_index, monkeypatch)
    with pytest.raises(IndexCorrupt):
        service.assistant()
    service.retry_failed_load_s = 0.0
    with pytest.raises(IndexCorrupt):
        service.assistant()
    assert len(loads) == 2


def test_a_new_build_is_loaded_at_once_after_a_failed_one(
    tmp_path, build_fake_rsi_index, monkeypatch
):
    service, loads = _damaged_service(tmp_path, build_fake_rsi_index, monkeypatch)
    with pytest.raises(IndexCorrupt):
        service.assistant()
    monkeypatch.setattr(service.store, "served_build", lambda: "a-newer-build")
    with pytest.raises(Exception):  # noqa: B017 - the id is fake; what counts is the load
        service.assistant()
    assert len(loads) == 2
