"""Choosing a few distinct, representative sentences from many: maximal marginal relevance (Carbonell and
Goldstein, 1998) over sentence embeddings, with centrality (mean similarity to the pool) as relevance."""
from __future__ import annotations

import numpy as np


def diverse_pick(vecs: np.ndarray, taken: np.ndarray, k: int, weight: float) -> list[int]:
    """Up to k row indices of vecs (normalised embeddings), each the most central row less its similarity to the
    nearest row already picked or in taken; weight trades centrality (1) against novelty (0). Picks in order."""
    n = len(vecs)
    if k <= 0 or n == 0:
        return []
    if n <= k:
        return list(range(n))
    central = (vecs @ vecs.T).mean(axis=1)
    near = (vecs @ taken.T).max(axis=1) if len(taken) else np.zeros(n)
    free = np.ones(n, dtype=bool)
    picked: list[int] = []
    for _ in range(k):
        j = int(np.argmax(np.where(free, weight * central - (1 - weight) * near, -np.inf)))
        picked.append(j)
        free[j] = False
        near = np.maximum(near, vecs @ vecs[j])
    return picked


def most_central(vecs: np.ndarray, reference: np.ndarray, k: int) -> list[int]:
    """The k rows of vecs most similar on average to reference's rows (LexRank's centrality, against a whole
    document rather than the candidates alone), in row order."""
    if len(vecs) == 0 or len(reference) == 0:
        return list(range(min(k, len(vecs))))
    return sorted(np.argsort(-(vecs @ reference.T).mean(axis=1), kind="stable")[:k].tolist())
