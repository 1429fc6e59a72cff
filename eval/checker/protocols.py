"""Honest protocols for the learned checker: every score of a document comes from a model fitted without that
document's labels (leave-one-document-out), or without its split's (evaluation -> test, test -> evaluation)."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from summarizer.checking.calibration import fit_logistic

L2 = 1.0  # ridge strength on standardised features (fixed before any protocol was run)


def balanced_accuracy(labels, preds) -> float:
    labels = np.asarray(labels, dtype=bool)
    preds = np.asarray(preds, dtype=bool)
    recalls = [float((preds[labels == v] == v).mean()) for v in (True, False) if (labels == v).any()]
    return float(np.mean(recalls)) if recalls else float("nan")


def auc(scores, labels) -> float | None:
    s, y = np.asarray(scores, dtype=float), np.asarray(labels, dtype=bool)
    pos, neg = s[y], s[~y]
    if not len(pos) or not len(neg):
        return None
    return float((pos[:, None] > neg[None, :]).mean() + 0.5 * (pos[:, None] == neg[None, :]).mean())


def held_out_scores(x: np.ndarray, y: np.ndarray, groups: np.ndarray, names: Sequence[str],
                    l2: float = L2) -> np.ndarray:
    """Each group's scores from a model fitted on all the other groups only."""
    out = np.full(len(y), np.nan)
    for g in np.unique(groups):
        held = groups == g
        if (~held).any():
            out[held] = fit_logistic(x[~held], y[~held], names, l2).score_matrix(x[held])
    return out


def transfer_scores(x: np.ndarray, y: np.ndarray, train: np.ndarray, names: Sequence[str], l2: float = L2) -> np.ndarray:
    """Scores of the rows outside `train` from a model fitted on the rows inside it."""
    return fit_logistic(x[train], y[train], names, l2).score_matrix(x[~train])


def protocol_figures(x: np.ndarray, y: np.ndarray, docs: np.ndarray, splits: np.ndarray, names: Sequence[str],
                     threshold: float = 0.5) -> tuple[dict, np.ndarray]:
    """Balanced accuracy (and AUC) of one feature set under each protocol, at the calibration's threshold; and the
    leave-one-document-out scores."""
    lodo = held_out_scores(x, y, docs, names)
    out = {"leave_one_document_out": {"balanced_accuracy": round(balanced_accuracy(y, lodo >= threshold), 4),
                                      "auc": _round(auc(lodo, y)), "folds": int(len(np.unique(docs)))}}
    for a, b in (("evaluation", "test"), ("test", "evaluation")):
        train = splits == a
        if train.any() and (splits == b).any():
            s = transfer_scores(x, y, train, names)
            out[f"{a}->{b}"] = {"balanced_accuracy": round(balanced_accuracy(y[~train], s >= threshold), 4),
                                "auc": _round(auc(s, y[~train]))}
    return out, lodo


def _round(v: float | None) -> float | None:
    return None if v is None else round(v, 4)


def inner_choice(xs: dict[str, np.ndarray], y: np.ndarray, groups: np.ndarray, rows: np.ndarray,
                 names_of: dict[str, Sequence[str]] | None = None) -> str:
    """The candidate feature set with the best leave-one-group-out balanced accuracy on `rows` alone (ties: the
    one listed first, so the simpler ones are listed first). With names_of, a set whose fit on `rows` gives a
    weight the wrong sign (calibration.SIGNS) is not a candidate."""
    best, best_ba = next(iter(xs)), -1.0
    one_group = len(np.unique(groups[rows])) < 2  # nothing to hold out: judged in-sample
    for name, x in xs.items():
        names = list(names_of[name]) if names_of else [f"f{i}" for i in range(x.shape[1])]
        if names_of and not fit_logistic(x[rows], y[rows], names).signs_hold():
            continue
        s = (fit_logistic(x[rows], y[rows], names).score_matrix(x[rows]) if one_group
             else held_out_scores(x[rows], y[rows], groups[rows], names))
        ba = balanced_accuracy(y[rows], s >= 0.5)
        if ba > best_ba + 1e-9:
            best, best_ba = name, ba
    return best


def nested_scores(xs: dict[str, np.ndarray], y: np.ndarray, groups: np.ndarray,
                  names_of: dict[str, Sequence[str]] | None = None) -> tuple[np.ndarray, list[str]]:
    """Leave-one-group-out where the feature set is chosen inside each fold (on the other groups only), so the
    choice is part of the fitting and a group's score never depends on its own labels; and each fold's choice."""
    out, chosen = np.full(len(y), np.nan), []
    for g in np.unique(groups):
        held = groups == g
        name = inner_choice(xs, y, groups, ~held, names_of)
        chosen.append(name)
        names = [f"f{i}" for i in range(xs[name].shape[1])]
        out[held] = fit_logistic(xs[name][~held], y[~held], names).score_matrix(xs[name][held])
    return out, chosen


def nested_transfer(xs: dict[str, np.ndarray], y: np.ndarray, groups: np.ndarray, train: np.ndarray,
                    names_of: dict[str, Sequence[str]] | None = None) -> tuple[np.ndarray, str]:
    """Scores outside `train` from the feature set chosen (leave-one-group-out) and fitted inside it."""
    name = inner_choice(xs, y, groups, train, names_of)
    names = [f"f{i}" for i in range(xs[name].shape[1])]
    return fit_logistic(xs[name][train], y[train], names).score_matrix(xs[name][~train]), name
