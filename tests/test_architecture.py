"""The layers import one way: core <- evals <- cli, and core <- ui.

Walks every module's imports (top level and inside functions) with ``ast`` and
fails on any import that points up a layer, so a circle cannot come back.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).parent.parent

# layer of a module -> the layers it may import from
LAYERS = {
    "core": {"core"},
    "evals": {"core", "evals"},
    "ui": {"core", "ui"},
    "cli": {"core", "evals", "ui", "cli"},
}


def layer(module: str) -> str | None:
    if module == "assistant.cli" or module == "assistant.__main__":
        return "cli"
    if module == "assistant.evals" or module.startswith("assistant.evals."):
        return "evals"
    if module == "assistant" or module.startswith("assistant."):
        return "core"
    if module == "ui" or module.startswith("ui."):
        return "ui"
    return None  # third-party or standard library


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def imports(path: Path, root: Path = ROOT) -> list[tuple[int, str]]:
    """Every module ``path`` imports, with line numbers (relative imports resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    name = module_name(path, root)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            found.append((node.lineno, base))
            # ``from assistant import evals`` names a submodule
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return found


def violations(root: Path = ROOT) -> list[str]:
    problems = []
    for path in sorted([*root.glob("assistant/**/*.py"), *root.glob("ui/**/*.py")]):
        here = layer(module_name(path, root))
        assert here is not None, path
        for lineno, target in imports(path, root):
            there = layer(target)
            if there is not None and there not in LAYERS[here]:
                where = path.relative_to(root)
                problems.append(f"{where}:{lineno} ({here}) imports {target} ({there})")
    return problems


def test_imports_point_one_way():
    assert violations() == []


def test_the_walker_sees_function_level_and_relative_imports(tmp_path):
    # A lazy import inside a function is still an import: the check must catch it.
    (tmp_path / "assistant" / "evals").mkdir(parents=True)
    (tmp_path / "assistant" / "_probe_layering.py").write_text(
        "def f():\n    from assistant.cli import main\n    from ui import app\n", encoding="utf-8"
    )
    (tmp_path / "assistant" / "ok.py").write_text("from . import normalize\n", encoding="utf-8")
    (tmp_path / "assistant" / "up.py").write_text("from .evals import runner\n", encoding="utf-8")
    found = violations(tmp_path)
    assert {p.split(" ")[0] for p in found} == {
        "assistant/_probe_layering.py:2",
        "assistant/_probe_layering.py:3",
        "assistant/up.py:1",
    }
    assert any("up.py:1" in p and "assistant.evals" in p for p in found)
    assert any("_probe_layering.py:2" in p and "assistant.cli" in p for p in found)
    assert any("_probe_layering.py:3" in p and "(ui)" in p for p in found)


def test_layers_are_classified():
    assert layer("assistant.index") == "core"
    assert layer("assistant.evals.runner") == "evals"
    assert layer("assistant.cli") == "cli"
    assert layer("ui.chat") == "ui"
    assert layer("numpy") is None
