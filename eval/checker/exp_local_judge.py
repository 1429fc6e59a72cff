"""Experiment (not the shipped checker): judge each SummEdits claim against its k closest source sentences only.

The shipped checker asks the model about a claim against the whole source (prefix-cached per document). Its P(yes)
level moves from document to document, so a threshold learned on a few documents does not transfer. This
experiment gives the model a short context instead: the k source sentences sharing most content words with the
claim. Verdicts are appended to a JSONL file (resumable); `--analyse` compares them with a stored
`brief eval --checker` run (the whole-source P(yes) and the exact-check flags of the same claims).

    python -m eval.checker.exp_local_judge --split evaluation --k 3 --out /tmp/lj/evaluation.jsonl
    python -m eval.checker.exp_local_judge --analyse eval/runs/checker-.../checker_verdicts.jsonl /tmp/lj/*.jsonl
"""
from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import numpy as np

from eval.checker.summedits import DEFAULT_PATH, balanced_accuracy

SYSTEM = "You check whether a claim is supported by a source text. Judge only from the source."
VETO = {"number", "date", "name", "antonym"}


def _chat(user: str) -> str:
    return f"<|im_start|>system\n{SYSTEM}<|im_end|>\n<|im_start|>user\n{user}<|im_end|>\n<|im_start|>assistant\n"


def run(split: str, k: int, out: Path, bench: Path = DEFAULT_PATH) -> None:
    from summarizer.llm.local import LocalLLM
    from summarizer.settings import Settings
    from summarizer.support import content_terms

    from eval.checker.judge import _sentences
    from eval.claims import split_claims

    items = [x for x in json.loads(Path(bench).read_text()) if x["split"] == split]
    done = {json.loads(line)["id"] for line in out.open()} if out.is_file() else set()
    llm = LocalLLM(Settings.from_env().model)
    t0, n = time.time(), 0
    with out.open("a") as f:
        for x in sorted(items, key=lambda x: (x["doc"], x["id"])):
            if x["id"] in done:
                continue
            sents = _sentences(x["doc"])
            terms = [content_terms(s) for s in sents]
            ps = []
            for c in split_claims(x["summary"]) or [x["summary"]]:
                ct = content_terms(c)
                score = [len(ct & t) / max(1, len(ct)) for t in terms]
                top = sorted(np.argsort(score)[::-1][:k])
                src = " ".join(sents[i] for i in top)
                ps.append(llm.yes_probability(_chat(f"Source: {src}\n\nClaim: {c.strip()}\n"
                                                    "Is every part of the claim supported by the source? Answer yes or no.")))
                n += 1
            f.write(json.dumps({"id": x["id"], "doc": x["doc"][:40], "label": x["label"], "p_local": ps}) + "\n")
            f.flush()
    print(f"{n} claims in {time.time() - t0:.0f} s")


def _auc(s: np.ndarray, y: np.ndarray) -> float | None:
    pos, neg = s[y == 1], s[y == 0]
    if not len(pos) or not len(neg):
        return None
    return float((pos[:, None] > neg[None, :]).mean() + 0.5 * (pos[:, None] == neg[None, :]).mean())


def analyse(checker_verdicts: Path, files: list[Path]) -> dict:
    """Balanced accuracy at fixed thresholds and AUC: whole source vs k closest sentences vs their mean logit."""
    full_run = {r["id"]: r for r in map(json.loads, checker_verdicts.open())}
    loc = [json.loads(line) for f in files for line in f.open()]
    lg = lambda p: math.log(max(p, 1e-6) / max(1 - p, 1e-6))  # noqa: E731
    y, docs, veto, scores = [], [], [], {"whole source": [], "closest sentences": [], "mean of both": []}
    for r in loc:
        v = full_run[r["id"]]["verdicts"]
        y.append(r["label"])
        docs.append(r["doc"])
        veto.append(any(set(x["flags"]) & VETO for x in v))
        scores["whole source"].append(min(x["p_llm"] for x in v))
        scores["closest sentences"].append(min(r["p_local"]))
        scores["mean of both"].append(min(1 / (1 + math.exp(-(lg(x["p_llm"]) + lg(p)) / 2)) for x, p in zip(v, r["p_local"])))
    y, docs, veto = np.array(y), np.array(docs), np.array(veto)
    out = {"pairs": len(y), "documents": len(set(docs))}
    for name, s in scores.items():
        s = np.array(s)
        per_doc = [a for d in set(docs) if (a := _auc(s[docs == d], y[docs == d])) is not None]
        out[name] = {"auc": round(_auc(s, y), 3), "per_document_auc": round(float(np.mean(per_doc)), 3),
                     **{f"t={t}": round(balanced_accuracy(y, s >= t), 3) for t in (0.4, 0.5, 0.6, 0.7)},
                     **{f"t={t}+vetoes": round(balanced_accuracy(y, (s >= t) & ~veto), 3) for t in (0.4, 0.5, 0.6, 0.7)}}
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--split", default="evaluation")
    ap.add_argument("--k", type=int, default=3)
    ap.add_argument("--out", type=Path)
    ap.add_argument("--analyse", nargs="+", type=Path, metavar="FILE",
                    help="checker_verdicts.jsonl of a `brief eval --checker` run, then the experiment's JSONL files")
    args = ap.parse_args(argv)
    if args.analyse:
        print(json.dumps(analyse(args.analyse[0], args.analyse[1:]), indent=2))
    else:
        run(args.split, args.k, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
