"""The learned combination: a logistic model over the judge's logits, the exact flags and simple features of a
statement (its claims aggregated), fitted with balanced class weights, so 0.5 is the threshold of equal error
costs. Fitted by eval/checker/summedits.py and shipped as weights.json with how it was made."""
from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from summarizer.checking.signals import ClaimSignals
from summarizer.files import write_atomic

WEIGHTS_PATH = Path(__file__).with_name("weights.json")
FLAGS = ("number", "date", "name", "negation", "antonym", "swap")
# what the source plainly contradicts or lacks: decides verdicts when the model gives no logprobs
VETO_FLAGS = frozenset({"number", "date", "name", "antonym", "swap"})


def logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


def _min_logit(values: Callable[[ClaimSignals], float | None]) -> Callable[[list[ClaimSignals]], float]:
    return lambda claims: min(logit(v) if (v := values(c)) is not None else 0.0 for c in claims)


# a statement's features, each from all its claims: the weakest claim decides (a statement is as good as its worst part)
FEATURES: dict[str, Callable[[list[ClaimSignals]], float]] = {
    "whole": _min_logit(lambda c: c.p_whole),
    "local": _min_logit(lambda c: c.p_local),
    "first_window": _min_logit(lambda c: c.p_first),
    **{f"flag_{f}": (lambda f: lambda claims: float(any(f in c.exact.flags for c in claims)))(f) for f in FLAGS},
    "flag_veto": lambda claims: float(any(set(c.exact.flags) & VETO_FLAGS for c in claims)),
    "coverage": lambda claims: min(c.exact.coverage for c in claims),
    "log_words": lambda claims: math.log1p(max(len(c.claim.split()) for c in claims)),
    "log_claims": lambda claims: math.log(len(claims)),
}
DEFAULT_FEATURES = ("whole", "local", *(f"flag_{f}" for f in FLAGS), "coverage", "log_words", "log_claims")


# the direction each feature may push the score: more model support or more of the claim's words in the source can
# only raise it, a flag only lower it; a fit that says otherwise has learned an artefact of its data
SIGNS = {"whole": 1, "local": 1, "first_window": 1, "coverage": 1, "log_words": 0, "log_claims": 0,
         **{f"flag_{f}": -1 for f in (*FLAGS, "veto")}}


def feature_matrix(items: Sequence[list[ClaimSignals]], names: Sequence[str]) -> np.ndarray:
    """One row per statement (its claims' signals), one column per feature."""
    return np.array([[FEATURES[n](claims) for n in names] for claims in items], dtype=np.float64).reshape(len(items), len(names))


@dataclass
class Calibration:
    """A fitted logistic model: score = sigmoid(w . (x - mean) / scale + b); supported when score >= threshold."""

    features: tuple[str, ...]
    mean: list[float]
    scale: list[float]
    weights: list[float]
    bias: float
    threshold: float = 0.5
    about: dict = field(default_factory=dict)  # how it was made: data, protocol, date, commit

    def score_matrix(self, x: np.ndarray) -> np.ndarray:
        z = ((x - np.asarray(self.mean)) / np.asarray(self.scale)) @ np.asarray(self.weights) + self.bias
        return 1 / (1 + np.exp(-np.clip(z, -700, 700)))

    def score(self, claims: list[ClaimSignals]) -> float:
        """The calibrated support score of one statement from its claims' signals."""
        return float(self.score_matrix(feature_matrix([claims], self.features))[0])

    def signs_hold(self) -> bool:
        """Whether every weight points the way its feature may push the score (SIGNS)."""
        return all(SIGNS.get(f, 0) * w >= 0 for f, w in zip(self.features, self.weights))

    def windows_needed(self) -> int:
        """How many of a claim's best windows the features read (2: its best of two, 1: the first, 0: none)."""
        return 2 if "local" in self.features else 1 if "first_window" in self.features else 0

    @property
    def needs_whole(self) -> bool:
        return "whole" in self.features

    def save(self, path: Path = WEIGHTS_PATH) -> None:
        """Write then rename: a reader never sees half a file."""
        write_atomic(path, json.dumps({**asdict(self), "features": list(self.features)}, indent=1) + "\n")

    @classmethod
    def load(cls, path: Path = WEIGHTS_PATH) -> "Calibration":
        data = json.loads(Path(path).read_text())
        data["features"] = tuple(data["features"])
        return cls(**data)


@lru_cache(maxsize=1)
def shipped_calibration() -> Calibration:
    """The weights shipped with brief (loaded once)."""
    return Calibration.load(WEIGHTS_PATH)


def fit_logistic(x: np.ndarray, y: np.ndarray, names: Sequence[str], l2: float = 1.0, iters: int = 50) -> Calibration:
    """L2-regularised logistic regression by Newton's method, classes weighted to equal total weight."""
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    xs = np.hstack([(x - mean) / scale, np.ones((len(x), 1))])
    y = y.astype(np.float64)
    pos = max(1.0, y.sum())
    neg = max(1.0, len(y) - y.sum())
    sw = np.where(y == 1, len(y) / (2 * pos), len(y) / (2 * neg))
    w = np.zeros(xs.shape[1])
    reg = np.full(xs.shape[1], l2)
    reg[-1] = 0.0  # the intercept is not shrunk
    for _ in range(iters):
        p = 1 / (1 + np.exp(-np.clip(xs @ w, -700, 700)))
        grad = xs.T @ (sw * (p - y)) + reg * w
        hess = (xs * (sw * p * (1 - p))[:, None]).T @ xs + np.diag(reg)
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return Calibration(tuple(names), mean.tolist(), scale.tolist(), w[:-1].tolist(), float(w[-1]))
