"""Embedded batches kept on disk while an ingest runs, so a rerun after a crash (even kill -9) skips them.

Each batch is one ``.npy`` file under ``<index>/ingest-checkpoint/`` named by a hash of the embedder and the
batch's texts, written to a temporary name and renamed: a file that exists is complete. The folder is
removed once the new snapshot is current. Snapshots are untouched: only ``IndexStore.write`` makes one current.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from pathlib import Path

import numpy as np

from retrieval.write_errors import guard_writes

CHECKPOINT_DIR = "ingest-checkpoint"


class EmbedCheckpoint:
    """Embedded batches of one index directory, keyed by embedder and texts."""

    def __init__(self, index_dir: Path, model_id: str, dim: int) -> None:
        self.index_dir = Path(index_dir)
        self.root = self.index_dir / CHECKPOINT_DIR
        self.model_id, self.dim = model_id, dim

    def key(self, texts: list[str]) -> str:
        """The name of a batch: the embedder, its dimension and every text, hashed."""
        h = hashlib.sha256(f"{self.model_id}\0{self.dim}\0{len(texts)}\0".encode())
        for t in texts:
            h.update(t.encode("utf-8", "surrogatepass"))
            h.update(b"\0")
        return h.hexdigest()[:32]

    def load(self, texts: list[str]) -> np.ndarray | None:
        """The stored vectors of this batch, or None when it was never finished (or the file is unusable)."""
        path = self.root / f"{self.key(texts)}.npy"
        try:
            vecs = np.load(path, allow_pickle=False)
        except (OSError, ValueError, EOFError):
            return None
        if vecs.shape != (len(texts), self.dim) or vecs.dtype != np.float32:
            return None
        return vecs

    def save(self, texts: list[str], vecs: np.ndarray) -> None:
        """Store one embedded batch atomically (temp file, fsync, rename)."""
        with guard_writes(self.index_dir):
            self.root.mkdir(parents=True, exist_ok=True)
            final = self.root / f"{self.key(texts)}.npy"
            tmp = self.root / f".{final.name}.{uuid.uuid4().hex[:8]}.tmp"
            try:
                with open(tmp, "wb") as f:
                    np.save(f, np.ascontiguousarray(vecs, dtype="float32"))
                    f.flush()
                    os.fsync(f.fileno())
                os.replace(tmp, final)
            finally:
                tmp.unlink(missing_ok=True)

    def batches(self) -> int:
        """How many finished batches are stored."""
        return len(list(self.root.glob("*.npy"))) if self.root.is_dir() else 0

    def clear(self) -> None:
        """Forget every stored batch (after the snapshot they went into is current)."""
        shutil.rmtree(self.root, ignore_errors=True)
