"""A deterministic stand-in for the embedder that records every batch it is asked for, and can fail on cue."""
from __future__ import annotations

import hashlib
import os
import signal
from pathlib import Path

import numpy as np

from retrieval.pipeline import Ingestor
from retrieval.settings import RetrievalSettings
from retrieval.store import IndexStore

BATCH = 4  # passages per checkpointed batch in these tests, so a small corpus takes many batches


class CountingEmbedder:
    """Vectors from a hash of each text (same text, same vector); ``fail_after`` batches, then a crash."""

    model_id = "test/counting-embedder"
    dim = 8

    def __init__(self, fail_after: int | None = None, kill: bool = False) -> None:
        self.batches: list[list[str]] = []
        self.fail_after, self.kill = fail_after, kill

    def encode(self, texts: list[str]) -> np.ndarray:
        if self.fail_after is not None and len(self.batches) >= self.fail_after:
            if self.kill:
                os.kill(os.getpid(), signal.SIGKILL)  # kill -9: no cleanup, no finally blocks
            raise RuntimeError("simulated crash while embedding")
        self.batches.append(list(texts))
        rows = [np.frombuffer(hashlib.sha256(t.encode()).digest()[: self.dim * 4], dtype=np.uint32) for t in texts]
        vecs = np.array(rows, dtype="float64").reshape(len(texts), self.dim) + 1.0
        return (vecs / np.linalg.norm(vecs, axis=1, keepdims=True)).astype("float32")

    def encode_query(self, text: str) -> np.ndarray:
        return self.encode([text])[0]


def word_count(texts: list[str]) -> list[int]:
    """A token counter that needs no tokenizer: whitespace words."""
    return [len(t.split()) for t in texts]


def write_corpus(folder, n_docs: int = 6, sentences: int = 12) -> None:
    """Small articles, each of distinct sentences, enough for several embedding batches."""
    folder.mkdir(parents=True, exist_ok=True)
    for d in range(n_docs):
        body = " ".join(f"Inspectors in council area {d} found issue number {s} with casework item {d * 100 + s}."
                        for s in range(sentences))
        (folder / f"doc{d}.txt").write_text(f"Report {d}\n\n{body}\n")


def settings(index: Path) -> RetrievalSettings:
    """Small passages and small batches: a few short articles make many embedding batches."""
    return RetrievalSettings(index_dir=index, chunk_tokens=30, embed_commit_chunks=BATCH)


def ingest(index: Path, paths: list[Path], embedder: CountingEmbedder):
    return Ingestor(settings(index), embedder, word_count).ingest(paths)


def load(index: Path):
    """The current snapshot of an index built with the counting embedder."""
    return IndexStore(index).load(CountingEmbedder.model_id, CountingEmbedder.dim)[0]
