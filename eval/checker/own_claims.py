"""The checker on brief's own output: claims taken from real answers and summary items, each labelled supported or
unsupported against the evidence brief cited for it (eval/datasets/answer_claims.jsonl). SummEdits edits are
synthetic; these are the errors brief really makes, and the paraphrases it really writes."""
from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import numpy as np

from eval.checker.protocols import auc, balanced_accuracy
from summarizer.checking.checker import ClaimChecker

OWN_CLAIMS = Path(__file__).resolve().parents[1] / "datasets" / "answer_claims.jsonl"


def load_own_claims(path: Path = OWN_CLAIMS) -> list[dict]:
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]


def _groups(rows: list[dict], preds: np.ndarray, key: str) -> dict[str, dict]:
    """Per value of key: how many, how many labelled supported, the share judged right."""
    out: dict[str, list[int]] = defaultdict(list)
    for i, r in enumerate(rows):
        out[str(r[key])].append(i)
    return {k: {"n": len(ix), "supported_label": int(sum(rows[i]["label"] for i in ix)),
                "accuracy": round(float(np.mean([bool(preds[i]) == bool(rows[i]["label"]) for i in ix])), 3)}
            for k, ix in sorted(out.items())}


def run_own_claims(checker: ClaimChecker, path: Path = OWN_CLAIMS) -> dict:
    """Balanced accuracy of the shipped checker (its own threshold, nothing refitted) on brief's own claims."""
    rows = load_own_claims(path)
    verdicts = checker.check_many([(r["claim"], "\n\n".join(r["evidence"])) for r in rows])
    y = np.array([int(r["label"]) for r in rows])
    preds = np.array([v.supported for v in verdicts])
    scores = np.array([v.score if v.score is not None else float(v.supported) for v in verdicts])
    wrong = [{"id": r["id"], "kind": r["kind"], "label": r["label"], "score": v.score, "claim": r["claim"],
              "note": r.get("note", "")} for r, v in zip(rows, verdicts) if bool(v.supported) != bool(r["label"])]
    return {"file": str(path), "claims": len(rows), "unsupported": int((y == 0).sum()),
            "balanced_accuracy": round(balanced_accuracy(y, preds), 4), "auc": auc(scores, y),
            "by_kind": _groups(rows, preds, "kind"), "by_origin": _groups(rows, preds, "origin"),
            "threshold": checker.threshold, "errors": wrong}


def format_own_claims(r: dict) -> str:
    lines = [f"  brief's own claims ({r['claims']}, {r['unsupported']} unsupported; {r['file']}): balanced accuracy "
             f"{100 * r['balanced_accuracy']:.1f} at the shipped threshold {r['threshold']}, AUC "
             f"{'—' if r['auc'] is None else round(r['auc'], 3)}"]
    for key in ("by_kind", "by_origin"):
        lines += [f"    {k:22} n={d['n']:4} (supported {d['supported_label']:3})  right {d['accuracy']:.2f}"
                  for k, d in r[key].items()]
    return "\n".join(lines)
