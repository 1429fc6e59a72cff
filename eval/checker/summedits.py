"""`brief eval --checker`: the faithfulness checker against human labels (SummEdits, news domain).

819 (document, summary) pairs over 25 documents; label 1 = consistent. Each summary is split into atomic claims and
each claim is read against its document (summarizer.checking.signals). The combination is a logistic model over the
signals (summarizer.checking.calibration); its headline figure is leave-one-document-out: fitted on 24 documents,
scored on the 25th, pooled. `--fit-weights` refits it on all 25 documents and writes the shipped weights file.
"""
from __future__ import annotations

import json
import platform
import statistics
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

from eval.checker.own_claims import format_own_claims, run_own_claims
from eval.checker.protocols import L2, auc, balanced_accuracy, inner_choice, nested_scores, nested_transfer, protocol_figures
from summarizer.checking.calibration import DEFAULT_FEATURES, Calibration, FLAGS, WEIGHTS_PATH, feature_matrix, fit_logistic
from summarizer.checking.checker import ClaimChecker, statement_claims
from summarizer.checking.signals import PROMPT_VERSION, ClaimSignals, SignalReader

REPO = Path(__file__).resolve().parents[2]
DEFAULT_PATH = REPO.parent / "shared" / "benchmarks" / "summedits" / "summedits_news.json"

PUBLISHED = [("human annotators", 90.0), ("GPT-4", 83.3), ("Gemini-pro", 77.6), ("Claude 2.1", 77.2),
             ("QAFactEval", 74.4), ("ChatGPT (gpt-3.5)", 74.4), ("PaLM-bison", 68.4), ("Vicuna-13b", 63.5),
             ("SummaC-Conv", 61.9), ("DAE", 60.9), ("Mistral-7b", 59.8), ("Llama2-13b", 59.3), ("Llama2-7b", 50.6)]

_EXACT = (*(f"flag_{f}" for f in FLAGS), "coverage")
_VETOES = ("flag_veto", "flag_negation")
# the candidate feature sets, simplest first: inside every fold the one with the best leave-one-document-out figure
# on the training documents is chosen (protocols.nested_scores), so the choice is part of the fitting
FEATURE_SETS: dict[str, tuple[str, ...]] = {
    "judge: whole source": ("whole",),
    "judge: best windows": ("local",),
    "exact checks only": _EXACT,
    "both judges": ("whole", "local"),
    "best windows + veto": ("local", "flag_veto"),
    "best windows + veto + coverage": ("local", "flag_veto", "coverage"),
    "whole source + vetoes": ("whole", *_VETOES),
    "best windows + vetoes": ("local", *_VETOES),
    "first window + vetoes": ("first_window", *_VETOES),
    "both judges + vetoes": ("whole", "local", *_VETOES),
    "best windows + exact": ("local", *_EXACT),
    "all features": DEFAULT_FEATURES,
}


class BenchmarkMissing(FileNotFoundError):
    pass


def load_summedits(path: Path | None = None) -> list[dict]:
    path = Path(path or DEFAULT_PATH)
    if not path.is_file():
        raise BenchmarkMissing(f"No SummEdits file at {path} (expected ../shared/benchmarks beside the checkout)")
    return json.loads(path.read_text(encoding="utf-8"))


def _load_items(path: Path | None, limit: int | None) -> list[dict]:
    """Every pair sorted by split, document and id (with limit, the first `limit` of each split)."""
    by_split: dict[str, list[dict]] = defaultdict(list)
    for x in sorted(load_summedits(path), key=lambda x: (x["split"], x["doc"], x["id"])):
        by_split[x["split"]].append(x)
    return [x for k in sorted(by_split) for x in (by_split[k][:limit] if limit else by_split[k])]


def read_signals(checker: ClaimChecker, items: list[dict], progress: bool) -> list[list[ClaimSignals]]:
    """Each summary's claims' signals against its document: every signal any candidate feature set uses, whatever
    the shipped calibration reads."""
    split = [statement_claims(x["summary"]) for x in items]
    pairs = [(c, x["doc"]) for x, cs in zip(items, split) for c in cs]
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(pairs), desc="checker", unit="call", file=sys.stderr)

    def tick(done: int, total: int) -> None:
        if bar is not None:
            bar.total, bar.n = total, done
            bar.refresh()

    flat = iter(SignalReader(checker.reader.llm, checker.cache).read(pairs, tick))
    if bar is not None:
        bar.close()
    return [[next(flat) for _ in cs] for cs in split]


def _by_edit_type(items: list[dict], y: np.ndarray, preds: np.ndarray) -> dict[str, dict]:
    """Share judged right per edit type (the headline's leave-one-document-out predictions)."""
    out: dict[str, list[int]] = defaultdict(list)
    for x, label, pred in zip(items, y, preds):
        for t in x["edit_types"] or (["none (consistent)"] if label else ["unlabelled edit"]):
            out[f"{t} [label {int(label)}]"].append(int(bool(pred) == bool(label)))
    return {k: {"n": len(v), "accuracy": round(float(np.mean(v)), 3)} for k, v in sorted(out.items())}


def _cost(signals: list[list[ClaimSignals]]) -> dict:
    """Model seconds per claim: a text's first claim pays for its prefix, the rest only for their own tokens."""
    secs = [c.seconds for cs in signals for c in cs]
    return {"claims": len(secs), "statements": len(signals),
            "seconds_per_claim_p50": round(statistics.median(secs), 3) if secs else None,
            "seconds_per_claim_mean": round(statistics.fmean(secs), 3) if secs else None,
            "model_seconds_total": round(sum(secs), 1), "cached": sum(c.cached for cs in signals for c in cs)}


def _git_commit() -> str | None:
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True,
                              timeout=10).stdout.strip() or None
    except Exception:
        return None


def _errors(items: list[dict], y: np.ndarray, scores: np.ndarray, limit: int = 40) -> list[dict]:
    wrong = [i for i in range(len(items)) if bool(scores[i] >= 0.5) != bool(y[i])]
    return [{"id": items[i]["id"], "label": int(y[i]), "edit_types": items[i]["edit_types"],
             "summary": items[i]["summary"], "score": round(float(scores[i]), 4)} for i in wrong[:limit]]


def fit_shipped(xs: dict[str, np.ndarray], y: np.ndarray, docs: np.ndarray, figures: dict, path: Path) -> dict:
    """Choose the feature set on every document (leave-one-document-out), fit it on every pair, and write the
    weights file with how it was made. xs: each candidate's feature matrix."""
    chosen = inner_choice(xs, y, docs, np.ones(len(y), dtype=bool), FEATURE_SETS)
    names = FEATURE_SETS[chosen]
    cal = fit_logistic(xs[chosen], y, names, L2)
    cal.about = {"data": "SummEdits news (../shared/benchmarks/summedits/summedits_news.json), all 819 pairs, 25 documents",
                 "feature_set": chosen, "candidates": {k: list(v) for k, v in FEATURE_SETS.items()},
                 "model": f"L2-regularised logistic regression (l2={L2} on standardised features), balanced class weights;"
                          " the feature set with the best leave-one-document-out balanced accuracy among those whose"
                          " weights point the way their features may push the score (calibration.SIGNS)",
                 "threshold": "0.5: equal cost for both errors (balanced weights); not tuned",
                 "prompt_version": PROMPT_VERSION, "date": time.strftime("%Y-%m-%d %H:%M %Z"),
                 "git_commit": _git_commit(), "held_out_figures": figures}
    cal.save(path)
    return {"path": str(path), "feature_set": chosen,
            "weights": dict(zip(cal.features, [round(w, 4) for w in cal.weights])), "bias": round(cal.bias, 4)}


def _learned(xs: dict[str, np.ndarray], y: np.ndarray, docs: np.ndarray, splits: np.ndarray) -> dict:
    """The learned checker (feature set chosen inside each fold) under every protocol, and each candidate alone."""
    lodo, chosen = nested_scores(xs, y, docs, FEATURE_SETS)
    out = {"scores": lodo, "chosen": dict(Counter(chosen)),
           "leave_one_document_out": {"balanced_accuracy": round(balanced_accuracy(y, lodo >= 0.5), 4),
                                      "auc": auc(lodo, y), "folds": len(chosen)}}
    for a, b in (("evaluation", "test"), ("test", "evaluation")):
        train = splits == a
        if train.any() and (splits == b).any():
            s, name = nested_transfer(xs, y, docs, train, FEATURE_SETS)
            out[f"{a}->{b}"] = {"balanced_accuracy": round(balanced_accuracy(y[~train], s >= 0.5), 4),
                                "auc": auc(s, y[~train]), "feature_set": name}
    out["feature_sets"] = {k: protocol_figures(xs[k], y, docs, splits, v)[0] for k, v in FEATURE_SETS.items()}
    return out


def run_checker_benchmark(checker: ClaimChecker, path: Path | None = None, limit: int | None = None,
                          out_dir: Path | None = None, progress: bool = True, fit_weights: Path | None = None,
                          own_claims: Path | None = None) -> dict:
    """Read every SummEdits pair's signals, then score the learned checker under the held-out protocols; with
    fit_weights, refit it on every pair and write it there; with own_claims, also score the (refitted) checker on
    brief's own labelled claims."""
    items = _load_items(path, limit)
    signals = read_signals(checker, items, progress)
    y = np.array([int(x["label"]) for x in items])
    docs = np.array([x["doc"] for x in items])
    splits = np.array([x["split"] for x in items])
    xs = {k: feature_matrix(signals, v) for k, v in FEATURE_SETS.items()}  # each candidate's features, once
    learned = _learned(xs, y, docs, splits)
    head_scores = learned.pop("scores")
    protocols = {k: learned[k] for k in ("leave_one_document_out", "evaluation->test", "test->evaluation") if k in learned}
    result = {
        "benchmark": "SummEdits news", "file": str(path or DEFAULT_PATH), "pairs": len(items),
        "documents": int(len(set(docs))),
        "protocol": "leave-one-document-out (feature set chosen and model fitted on the other documents, pooled)",
        "balanced_accuracy": protocols["leave_one_document_out"]["balanced_accuracy"], "threshold": 0.5,
        "evaluation->test": protocols.get("evaluation->test", {}).get("balanced_accuracy"),
        "test->evaluation": protocols.get("test->evaluation", {}).get("balanced_accuracy"),
        "protocols": protocols, "chosen_in_folds": learned["chosen"], "feature_sets": learned["feature_sets"],
        "by_edit_type": _by_edit_type(items, y, head_scores >= 0.5),
        "cost": _cost(signals), "model": checker.model_id, "prompt_version": PROMPT_VERSION,
        "date": time.strftime("%Y-%m-%d %H:%M %Z"), "git_commit": _git_commit(),
        "machine": f"{platform.machine()} {platform.system()}", "published": PUBLISHED,
        "errors": _errors(items, y, head_scores), "limit": limit,
    }
    if fit_weights:
        figures = {k: v["balanced_accuracy"] for k, v in protocols.items()}
        result["fitted"] = fit_shipped(xs, y, docs, figures, Path(fit_weights))
        checker.calibration = Calibration.load(Path(fit_weights))
    if own_claims is not None:
        result["own_claims"] = run_own_claims(checker, own_claims)
    if out_dir:
        _save_run(Path(out_dir), result, items, signals, head_scores)
    return result


def _save_run(out_dir: Path, result: dict, items: list[dict], signals: list[list[ClaimSignals]],
              scores: np.ndarray) -> None:
    """Signals, then the result (written last: marks the run complete), then the calibration plot."""
    from eval.qa.report import plot_calibration
    from eval.runs import RunStore, write_jsonl

    out_dir.mkdir(parents=True, exist_ok=True)
    write_jsonl(out_dir / "checker_verdicts.jsonl", (
        {"id": x["id"], "split": x["split"], "label": x["label"], "edit_types": x["edit_types"],
         "score_headline": round(float(s), 6), "verdicts": [c.to_dict() for c in cs]}
        for x, cs, s in zip(items, signals, scores)))
    RunStore(out_dir.parent).save(out_dir, result, "checker_result.json")
    try:
        plot_calibration(out_dir / "checker_verdicts.jsonl", out_dir / "calibration.png", "test")
    except Exception as e:  # a plot must not lose the run
        print(f"calibration plot failed: {e}", file=sys.stderr)


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{100 * v:.1f}"


def format_checker_result(r: dict) -> str:
    lines = [f"Faithfulness checker on {r['benchmark']}: {r['pairs']} pairs, {r['documents']} documents; model {r['model']}",
             f"  learned checker, {r['protocol']}: balanced accuracy {100 * r['balanced_accuracy']:.1f} "
             f"(threshold {r['threshold']}); evaluation->test {_pct(r['evaluation->test'])}, "
             f"test->evaluation {_pct(r['test->evaluation'])}",
             "  feature sets chosen in the folds: " + ", ".join(f"{k} ({n})" for k, n in r["chosen_in_folds"].items()),
             "", "  each candidate feature set alone (balanced accuracy, %):",
             f"  {'feature set':24} {'leave-one-doc-out':>18} {'evaluation->test':>17} {'test->evaluation':>17} {'AUC (lodo)':>11}"]
    for name, f in r["feature_sets"].items():
        cells = [f.get(k, {}).get("balanced_accuracy") for k in ("leave_one_document_out", "evaluation->test", "test->evaluation")]
        txt = ["—" if c is None else f"{100 * c:.1f}" for c in cells]
        a = f["leave_one_document_out"].get("auc")
        lines.append(f"  {name:24} {txt[0]:>18} {txt[1]:>17} {txt[2]:>17} {'—' if a is None else f'{a:.3f}':>11}")
    lines += ["", "  published (same data): " + ", ".join(f"{n} {v}" for n, v in r["published"]), "",
              "  accuracy by edit type (learned checker, leave-one-document-out):"]
    lines += [f"    {k:44} n={d['n']:4}  {d['accuracy']:.2f}" for k, d in r["by_edit_type"].items()]
    c = r["cost"]
    lines += ["", f"  cost: {c['claims']} claims; model seconds per claim p50 {c['seconds_per_claim_p50']}, mean "
                  f"{c['seconds_per_claim_mean']} (a text's first claim pays for its prefix); {c['cached']} cached"]
    if r.get("own_claims"):
        lines += ["", format_own_claims(r["own_claims"])]
    if r.get("fitted"):
        lines.append(f"  weights refitted on all pairs ({r['fitted']['feature_set']}) and written to {r['fitted']['path']}")
    return "\n".join(lines)
