"""Make the distilled sentence labeller (summarizer/summaries/distilled.py) from the local model's own labels.

Step 1 (model, ~0.65 s a sentence) labels sentences sampled across whole judgement-area sections of Ofsted reports
whose councils are not in the findings gold, so the gold stays held out. Step 2 (seconds) fits the softmax layer,
reports agreement with the model on reports held out by document, then refits on all and writes the shipped file.

    python -m eval.distill_labeller label --reports 50 --per-report 30 --out /tmp/labels.jsonl
    python -m eval.distill_labeller fit --labels /tmp/labels.jsonl [--write]
"""
from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path

import numpy as np

from eval.findings_eval import FINDINGS_GOLD, REPORTS
from summarizer.summaries.distilled import LABELLER_FILE, fit_labeller
from summarizer.summaries.findings import LABELS

FIELDS = ("weakness", "strength", "action")


def training_reports(n: int, seed: int = 0) -> list:
    """n (report, council) pairs, shuffled by seed, about councils the findings gold does not cover."""
    from retrieval.cleaning import clean_text
    from retrieval.loaders import load_paths
    from retrieval.metadata import extract_metadata

    gold_councils = {json.loads(line)["council"].lower() for line in FINDINGS_GOLD.open(encoding="utf-8")}
    docs, _ = load_paths([REPORTS])
    random.Random(seed).shuffle(docs)
    pool = []
    for d in docs:
        councils = extract_metadata(d, clean_text(d.text)).councils
        if councils and councils[0].lower() not in gold_councils:
            pool.append((d, councils[0]))
        if len(pool) == n:
            break
    return pool


def label(n_reports: int, per_report: int, out: Path, seed: int = 0) -> None:
    """Append the model's label distribution for up to per_report sentences of each report (resumable)."""
    from summarizer.llm.shared import shared_llm
    from summarizer.settings import Settings
    from summarizer.summaries.evidence import doc_text
    from summarizer.summaries.findings import candidate_sentences, label_prompt, statement
    from summarizer.summaries.report_parts import HEADLINE_CHARS, area_sections, report_headline

    llm = shared_llm(Settings())
    done = {json.loads(line)["key"] for line in out.open(encoding="utf-8")} if out.exists() else set()
    rng, t0 = random.Random(seed), time.time()
    with out.open("a", encoding="utf-8") as f:
        for d, council in training_reports(n_reports, seed):
            dt = doc_text(d.text)
            head = report_headline(d.text, HEADLINE_CHARS)
            sentences = candidate_sentences(dt, ([head] if head else []) + area_sections(d.text))
            for a, b in sorted(rng.sample(sentences, min(per_report, len(sentences)))):
                if f"{d.id}:{a}" in done:
                    continue
                text = statement(dt, a, b)
                probs = llm.choice_probabilities(label_prompt(council, text), LABELS)
                f.write(json.dumps({"key": f"{d.id}:{a}", "doc": d.id, "council": council, "text": text,
                                    "probs": probs}) + "\n")
                f.flush()
            print(f"{d.id}: {time.time() - t0:.0f} s", flush=True)


def _agreement(pred: np.ndarray, target: np.ndarray) -> dict:
    """How often the distilled labeller keeps what the model keeps (P(none) < 0.5) and gives its kind."""
    keep_p, keep_t = pred[:, 3] < 0.5, target[:, 3] < 0.5
    kind_p, kind_t = pred[:, :3].argmax(1), target[:, :3].argmax(1)
    both = keep_p & keep_t
    kind = round(float((kind_p[both] == kind_t[both]).mean()), 3) if both.any() else None
    return {"sentences": int(len(pred)), "keep_agreement": round(float((keep_p == keep_t).mean()), 3),
            "model_kept": int(keep_t.sum()), "kept_recall": round(float(both.sum() / max(1, keep_t.sum())), 3),
            "kind_agreement_when_both_keep": kind}


def fit(labels_path: Path, write: bool, holdout: float = 0.25, seed: int = 0) -> dict:
    """Agreement on held-out reports, then (with write) the shipped file fitted on every labelled sentence."""
    from retrieval.embedding import shared_embedder

    rows = [json.loads(line) for line in labels_path.open(encoding="utf-8")]
    emb = shared_embedder()
    x = emb.encode([r["text"] for r in rows])
    y = np.array([[r["probs"][k] for k in LABELS] for r in rows])
    docs = sorted({r["doc"] for r in rows})
    random.Random(seed).shuffle(docs)
    test_docs = set(docs[: max(1, int(len(docs) * holdout))])
    test = np.array([r["doc"] in test_docs for r in rows])
    held = fit_labeller(x[~test], y[~test], LABELS)
    pred = np.array([[p[k] for k in LABELS] for p in held.probabilities(x[test])])
    report = {"held_out_reports": len(test_docs), "train_reports": len(docs) - len(test_docs),
              "held_out": _agreement(pred, y[test])}
    if write:
        final = fit_labeller(x, y, LABELS)
        final = type(final)(final.labels, final.weights, final.bias, {
            "embedder": emb.model_id, "made_by": "python -m eval.distill_labeller fit --write",
            "labels_from": "the local model's findings prompt (summarizer/summaries/findings.py) over sentences "
                           "sampled across whole judgement-area sections",
            "reports": len(docs), "sentences": len(rows), "gold_councils_excluded": True,
            "created": time.strftime("%Y-%m-%d"), **report})
        final.save(LABELLER_FILE)
    return report


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="step", required=True)
    a = sub.add_parser("label")
    a.add_argument("--reports", type=int, default=50)
    a.add_argument("--per-report", type=int, default=30)
    a.add_argument("--out", type=Path, required=True)
    b = sub.add_parser("fit")
    b.add_argument("--labels", type=Path, required=True)
    b.add_argument("--write", action="store_true")
    args = ap.parse_args(argv)
    if args.step == "label":
        label(args.reports, args.per_report, args.out)
    else:
        print(json.dumps(fit(args.labels, args.write), indent=2))


if __name__ == "__main__":
    main()
