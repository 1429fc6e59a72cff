"""A sentence labeller distilled from the model: a softmax layer over MiniLM sentence embeddings, fitted on the
local model's own label distributions (findings.py's prompt) for sentences of reports outside the findings gold.

It labels the long stretches of a report that the model has no time to read (an Ofsted report's judgement areas
run to hundreds of sentences; the model takes ~0.65 s a sentence, the embedding a few milliseconds). The model
still labels each area's opening; this labels the rest. How the shipped weights were made is in their file.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from summarizer.files import write_atomic

LABELLER_FILE = Path(__file__).with_name("labeller.json")

Encode = Callable[[list[str]], np.ndarray]  # texts -> normalised (n, d) embeddings


@dataclass(frozen=True)
class DistilledLabeller:
    """P(label) for each embedded sentence: softmax(x @ weights + bias), labels in the findings prompt's order."""

    labels: tuple[str, ...]
    weights: np.ndarray  # (d, len(labels))
    bias: np.ndarray  # (len(labels),)
    provenance: dict = field(default_factory=dict)

    def probabilities(self, vecs: np.ndarray) -> list[dict[str, float]]:
        """One label distribution per row of vecs."""
        if len(vecs) == 0:
            return []
        p = _softmax(np.asarray(vecs, dtype=np.float64) @ self.weights + self.bias)
        return [dict(zip(self.labels, map(float, row))) for row in p]

    def save(self, path: Path = LABELLER_FILE) -> None:
        """Write atomically (temporary file, then rename)."""
        write_atomic(path, json.dumps({"labels": list(self.labels), "weights": np.round(self.weights, 6).tolist(),
                                       "bias": np.round(self.bias, 6).tolist(), "provenance": self.provenance}))

    @classmethod
    def load(cls, path: Path = LABELLER_FILE) -> "DistilledLabeller":
        d = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls(tuple(d["labels"]), np.array(d["weights"], dtype=np.float64), np.array(d["bias"], dtype=np.float64),
                   d.get("provenance", {}))


def remembering(encode: Encode) -> Encode:
    """encode, with each text's embedding kept: one report's sentences are embedded once, for its findings and
    again for choosing its overview."""
    seen: dict[str, np.ndarray] = {}

    def run(texts: list[str]) -> np.ndarray:
        new = [t for t in dict.fromkeys(texts) if t not in seen]
        if new:
            seen.update(zip(new, encode(new)))
        return np.array([seen[t] for t in texts]) if texts else np.zeros((0, 0))

    return run


@lru_cache(maxsize=1)
def shipped_labeller() -> DistilledLabeller | None:
    """The labeller shipped with brief (None when its file is missing: reports are then read as before)."""
    return DistilledLabeller.load() if LABELLER_FILE.is_file() else None


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def fit_labeller(vecs: np.ndarray, targets: np.ndarray, labels: tuple[str, ...], l2: float = 1e-3,
                 steps: int = 2000, lr: float = 0.5) -> DistilledLabeller:
    """Softmax regression on soft targets (the model's label distributions), cross-entropy plus an L2 penalty,
    by full-batch gradient descent: a few thousand sentences fit in seconds."""
    x = np.asarray(vecs, dtype=np.float64)
    y = np.asarray(targets, dtype=np.float64)
    w = np.zeros((x.shape[1], y.shape[1]))
    b = np.log(y.mean(axis=0) + 1e-9)
    for _ in range(steps):
        g = (_softmax(x @ w + b) - y) / len(x)
        w -= lr * (x.T @ g + l2 * w)
        b -= lr * g.sum(axis=0)
    return DistilledLabeller(labels, w, b)
