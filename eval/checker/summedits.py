"""`brief eval --checker`: the faithfulness checker against human labels (SummEdits, news domain).

819 (document, summary) pairs over 25 documents; label 1 = consistent. The decision threshold and the weights that
combine the LLM judge with the exact checks are chosen on the "evaluation" split (133 pairs); balanced accuracy is
reported on the "test" split (686 pairs), for the combined checker and for its parts alone. Pairs are scored sorted
by document, so each document's prompt prefix is evaluated once (KV cache) and every summary costs only its own
tokens; verdicts are cached, so a rerun costs seconds.
"""
from __future__ import annotations

import itertools
import json
import platform
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

import numpy as np

from eval.checker.judge import CheckerConfig, FaithfulnessChecker, Verdict, combine
from eval.claims import split_claims

REPO = Path(__file__).resolve().parents[1]
DEFAULT_PATH = REPO.parent / "shared" / "benchmarks" / "summedits" / "summedits_news.json"
TUNE_SPLIT, REPORT_SPLIT = "evaluation", "test"

PUBLISHED = [("human annotators", 90.0), ("GPT-4", 83.3), ("Gemini-pro", 77.6), ("Claude 2.1", 77.2),
             ("QAFactEval", 74.4), ("ChatGPT (gpt-3.5)", 74.4), ("PaLM-bison", 68.4), ("Vicuna-13b", 63.5),
             ("SummaC-Conv", 61.9), ("DAE", 60.9), ("Mistral-7b", 59.8), ("Llama2-13b", 59.3), ("Llama2-7b", 50.6)]

# the search space for the combination weights (chosen on the tuning split)
GRID = {
    "w_number": (0.0, 1.0, 3.0),
    "w_date": (0.0, 1.0, 3.0),
    "w_name": (0.0, 1.0, 3.0),
    "w_negation": (0.0, 0.5, 1.5),
    "w_antonym": (0.0, 0.5, 1.5),
    "w_coverage": (0.0, 2.0, 6.0),
}
# the LLM's source-specific calibration (CheckerConfig.reference, w_ref)
REFERENCES = (("closest", 1.0), ("closest", 0.5), ("null", 1.0), ("null", 0.5))


class BenchmarkMissing(FileNotFoundError):
    pass


def load_summedits(path: Path | None = None) -> list[dict]:
    path = Path(path or DEFAULT_PATH)
    if not path.is_file():
        raise BenchmarkMissing(f"No SummEdits file at {path} (expected ../shared/benchmarks beside the checkout)")
    return json.loads(path.read_text(encoding="utf-8"))


def balanced_accuracy(labels, preds) -> float:
    labels = np.asarray(labels, dtype=bool)
    preds = np.asarray(preds, dtype=bool)
    recalls = []
    for v in (True, False):
        m = labels == v
        if m.any():
            recalls.append(float((preds[m] == v).mean()))
    return float(np.mean(recalls)) if recalls else float("nan")


def best_threshold(scores, labels) -> tuple[float, float]:
    """The threshold on scores (predict supported when score >= t) with the highest balanced accuracy."""
    s = np.asarray(scores, dtype=float)
    y = np.asarray(labels, dtype=bool)
    uniq = np.unique(s)
    cands = np.concatenate([[uniq[0] - 1e-9], (uniq[:-1] + uniq[1:]) / 2, [uniq[-1] + 1e-9]]) if len(uniq) else np.array([0.5])
    pos, neg = max(1, y.sum()), max(1, (~y).sum())
    best_t, best_ba = 0.5, -1.0
    for t in cands:
        p = s >= t
        ba = 0.5 * ((p & y).sum() / pos + (~p & ~y).sum() / neg) if y.any() and (~y).any() else float((p == y).mean())
        if ba > best_ba + 1e-12:
            best_t, best_ba = float(t), float(ba)
    return best_t, best_ba


def item_scores(item_verdicts: list[list[Verdict]], cfg: CheckerConfig) -> np.ndarray:
    """An item (summary) is as supported as its least supported claim."""
    return np.array([min(combine(v.p_llm, v.exact, cfg, v.p_ref) for v in vs) for vs in item_verdicts])


def tune(item_verdicts: list[list[Verdict]], labels: list[int], base: CheckerConfig, use_llm: bool, use_exact: bool,
         references: tuple[tuple[str, float], ...] = (("none", 1.0),)) -> tuple[CheckerConfig, float]:
    """Weights (grid), LLM reference and threshold maximising balanced accuracy; ties go to the smaller total weight."""
    best = (-1.0, 0.0, base)
    for ref, w_ref in (references if use_llm else (("none", 1.0),)):
        cfg0 = replace(base, use_llm=use_llm, use_exact=use_exact, reference=ref, w_ref=w_ref)
        if not use_exact:
            t, ba = best_threshold(item_scores(item_verdicts, cfg0), labels)
            if ba > best[0] + 1e-9:
                best = (ba, 0.0, replace(cfg0, threshold=t))
            continue
        keys = list(GRID)
        for combo in itertools.product(*(GRID[k] for k in keys)):
            w = dict(zip(keys, combo))
            if not use_llm and all(v == 0 for v in w.values()):
                continue
            cfg = replace(cfg0, **w)
            t, ba = best_threshold(item_scores(item_verdicts, cfg), labels)
            if ba > best[0] + 1e-9 or (abs(ba - best[0]) <= 1e-9 and sum(combo) < best[1]):
                best = (ba, sum(combo), replace(cfg, threshold=t))
    return best[2], best[0]


def threshold_protocols(item_verdicts: list[list[Verdict]], labels: list[int], splits: list[str], docs: list[str],
                        configs: dict[str, CheckerConfig]) -> dict:
    """Balanced accuracy when only the decision threshold is learned, under three protocols per configuration:
    the tuning split -> the report split (the headline protocol), the reverse (20 documents -> 4), and
    leave-one-document-out over all pairs (threshold from the other documents, scored on the held-out one)."""
    y = np.asarray(labels, dtype=bool)
    sp = np.asarray(splits)
    dd = np.asarray(docs)
    out = {}
    for name, cfg in configs.items():
        sc = item_scores(item_verdicts, cfg)
        row = {}
        for a, b in ((TUNE_SPLIT, REPORT_SPLIT), (REPORT_SPLIT, TUNE_SPLIT)):
            ta, tb = sp == a, sp == b
            if ta.any() and tb.any():
                t, _ = best_threshold(sc[ta], y[ta])
                row[f"{a}->{b}"] = {"threshold": round(t, 4), "balanced_accuracy": round(balanced_accuracy(y[tb], sc[tb] >= t), 4)}
        preds = np.zeros(len(y), dtype=bool)
        thresholds = []
        for d in sorted(set(docs)):
            held = dd == d
            if (~held).any():
                t, _ = best_threshold(sc[~held], y[~held])
                thresholds.append(t)
                preds[held] = sc[held] >= t
        row["leave_one_document_out"] = {"balanced_accuracy": round(balanced_accuracy(y, preds), 4),
                                         "threshold_range": [round(min(thresholds), 4), round(max(thresholds), 4)]
                                         if thresholds else None, "folds": len(thresholds)}
        row["fixed_threshold"] = {"threshold": cfg.threshold,
                                  "balanced_accuracy_all": round(balanced_accuracy(y, sc >= cfg.threshold), 4)}
        out[name] = row
    return out


def _git_commit() -> str | None:
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, timeout=10).stdout.strip() or None
    except Exception:
        return None


def _load_items(path: Path | None, limit: int | None) -> list[dict]:
    """The tuning split's pairs then the report split's, each sorted by document (the first `limit` of each)."""
    by_split: dict[str, list[dict]] = defaultdict(list)
    for x in sorted(load_summedits(path), key=lambda x: (x["split"], x["doc"], x["id"])):
        by_split[x["split"]].append(x)
    if limit:
        by_split = {k: v[:limit] for k, v in by_split.items()}
    return [x for k in (TUNE_SPLIT, REPORT_SPLIT) for x in by_split.get(k, [])]


def _score_items(checker: FaithfulnessChecker, items: list[dict], granularity: str,
                 progress: bool) -> tuple[list[tuple[str, str]], list[Verdict], list[list[Verdict]], float]:
    """Score each item's claims (the whole summary, or its atomic claims): (pairs, verdicts, verdicts per item, wall s)."""
    claims_of = [([x["summary"].strip()] if granularity == "summary" else (split_claims(x["summary"]) or [x["summary"].strip()]))
                 for x in items]
    pairs = [(c, x["doc"]) for x, cs in zip(items, claims_of) for c in cs]
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(pairs), desc="checker", unit="claim", file=sys.stderr)

    def tick(done: int, total: int) -> None:
        if bar is not None:
            bar.total = total
            bar.n = done
            bar.refresh()

    t0 = time.time()
    verdicts = checker.score_many(pairs, progress=tick, references=tuple(sorted({r for r, _ in REFERENCES})))
    wall = time.time() - t0
    if bar is not None:
        bar.close()
    item_verdicts, pos = [], 0
    for cs in claims_of:
        item_verdicts.append(verdicts[pos:pos + len(cs)])
        pos += len(cs)
    return pairs, verdicts, item_verdicts, wall


def _tuned_part(name: str, item_verdicts: list[list[Verdict]], labels: list[int], idx: dict[str, list[int]],
                base: CheckerConfig, use_llm: bool, use_exact: bool, references=(("none", 1.0),)) -> dict:
    """One configuration tuned on the tuning split and scored on the report split."""
    iv = [item_verdicts[i] for i in idx[TUNE_SPLIT]]
    cfg, tune_ba = tune(iv, [labels[i] for i in idx[TUNE_SPLIT]], base, use_llm, use_exact, references)
    scores = item_scores(item_verdicts, cfg)
    preds = scores >= cfg.threshold
    rep = idx[REPORT_SPLIT]
    return {"name": name, "config": cfg, "tune_balanced_accuracy": round(tune_ba, 4),
            "balanced_accuracy": round(balanced_accuracy([labels[i] for i in rep], preds[rep]), 4) if rep else None,
            "threshold": round(cfg.threshold, 4), "preds": preds, "scores": scores}


def _shipped_part(sh: CheckerConfig, item_verdicts: list[list[Verdict]], labels: list[int],
                  idx: dict[str, list[int]]) -> dict:
    """The configuration brief ships (CheckerConfig defaults), untuned, for comparison."""
    sh_scores = item_scores(item_verdicts, sh)
    sh_preds = sh_scores >= sh.threshold
    return {"name": "shipped_default", "config": sh, "threshold": round(sh.threshold, 4), "preds": sh_preds,
            "scores": sh_scores,
            "tune_balanced_accuracy": round(balanced_accuracy([labels[i] for i in idx[TUNE_SPLIT]], sh_preds[idx[TUNE_SPLIT]]), 4),
            "balanced_accuracy": round(balanced_accuracy([labels[i] for i in idx[REPORT_SPLIT]], sh_preds[idx[REPORT_SPLIT]]), 4)
            if idx[REPORT_SPLIT] else None}


def _all_parts(checker: FaithfulnessChecker, item_verdicts: list[list[Verdict]], labels: list[int],
               idx: dict[str, list[int]]) -> list[dict]:
    """The tuned configurations (the checker's parts alone and combined) and the shipped default."""
    base = checker.config
    args = (item_verdicts, labels, idx, base)
    return [_tuned_part("combined", *args, True, True), _tuned_part("llm_only", *args, True, False),
            _tuned_part("exact_only", *args, False, True), _tuned_part("llm_calibrated", *args, True, False, REFERENCES),
            _tuned_part("combined_calibrated", *args, True, True, REFERENCES),
            _shipped_part(base, item_verdicts, labels, idx)]


def _by_edit_type(items: list[dict], rep: list[int], parts: list[dict]) -> dict[str, dict]:
    """Accuracy of each configuration per edit type (and label) on the report split."""
    by_edit: dict[str, dict] = {}
    for i in rep:
        x = items[i]
        types = x["edit_types"] or (["none (consistent)"] if x["label"] else ["unlabelled edit"])
        for t in types:
            key = f"{t} [label {x['label']}]"
            d = by_edit.setdefault(key, {"n": 0, **{p['name']: 0 for p in parts}})
            d["n"] += 1
            for p in parts:
                d[p["name"]] += int(bool(p["preds"][i]) == bool(x["label"]))
    for d in by_edit.values():
        for p in parts:
            d[p["name"]] = round(d[p["name"]] / d["n"], 3)
    return by_edit


def _cost(pairs: list[tuple[str, str]], verdicts: list[Verdict], items: list[dict], wall: float) -> dict:
    """Cost: the first claim of a source pays for its prefix, the rest only for their own tokens."""
    firsts, rest, seen = [], [], set()
    for (c, doc), v in zip(pairs, verdicts):
        key = (doc, v.window)
        (rest if key in seen else firsts).append(v.seconds)
        seen.add(key)
    llm_s = sum(v.seconds for v in verdicts)
    return {"claims": len(pairs), "items": len(items), "documents": len({x["doc"] for x in items}),
            "llm_seconds_total": round(llm_s, 1), "seconds_per_claim_all_in": round(llm_s / max(1, len(pairs)), 3),
            "seconds_per_claim_marginal_p50": round(statistics.median(rest), 3) if rest else None,
            "seconds_per_source_prefix_p50": round(statistics.median(firsts), 2) if firsts else None,
            "wall_seconds_this_run": round(wall, 1), "cached_this_run": sum(v.cached for v in verdicts)}


def _errors(items: list[dict], rep: list[int], comb: dict, item_verdicts: list[list[Verdict]]) -> list[dict]:
    """The report-split items the headline checker gets wrong."""
    worst = []
    for i in rep:
        if bool(comb["preds"][i]) != bool(items[i]["label"]):
            vs = item_verdicts[i]
            worst.append({"id": items[i]["id"], "label": items[i]["label"], "edit_types": items[i]["edit_types"],
                          "summary": items[i]["summary"], "score": round(float(comb["scores"][i]), 4),
                          "p_llm": [round(v.p_llm, 4) if v.p_llm is not None else None for v in vs],
                          "flags": sorted({f for v in vs for f in v.flags})})
    return worst


def _save_run(out_dir: Path, result: dict, items: list[dict], item_verdicts: list[list[Verdict]], parts: list[dict],
              comb: dict, has_report: bool) -> None:
    """Verdicts, then the result (written last: marks the run complete), then the calibration plot."""
    from eval.runs import RunStore, write_jsonl

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_jsonl(out_dir / "checker_verdicts.jsonl", (
        {"id": x["id"], "split": x["split"], "label": x["label"], "edit_types": x["edit_types"],
         **{f"score_{p['name']}": round(float(p["scores"][i]), 6) for p in parts},
         "score_headline": round(float(comb["scores"][i]), 6),
         **{f"pred_{p['name']}": bool(p["preds"][i]) for p in parts},
         "verdicts": [v.to_dict() for v in vs]} for i, (x, vs) in enumerate(zip(items, item_verdicts))))
    RunStore(out_dir.parent).save(out_dir, result, "checker_result.json")  # written last: marks the run complete
    from eval.qa.report import plot_calibration

    try:
        plot_calibration(out_dir / "checker_verdicts.jsonl", out_dir / "calibration.png", REPORT_SPLIT if has_report else TUNE_SPLIT)
    except Exception as e:  # a plot must not lose the run
        print(f"calibration plot failed: {e}", file=sys.stderr)


def run_checker_benchmark(checker: FaithfulnessChecker, path: Path | None = None, limit: int | None = None,
                          granularity: str = "claims", out_dir: Path | None = None, progress: bool = True) -> dict:
    """Score every SummEdits pair, tune on the evaluation split, report on the test split."""
    items = _load_items(path, limit)
    pairs, verdicts, item_verdicts, wall = _score_items(checker, items, granularity, progress)
    idx = {k: [i for i, x in enumerate(items) if x["split"] == k] for k in (TUNE_SPLIT, REPORT_SPLIT)}
    labels = [int(x["label"]) for x in items]
    parts = _all_parts(checker, item_verdicts, labels, idx)
    sh = checker.config
    protocols = threshold_protocols(item_verdicts, labels, [x["split"] for x in items], [x["doc"] for x in items],
                                    {"shipped_rule": sh, "llm_only": replace(sh, use_exact=False)})
    # the headline checker: of the two full checkers, the one better on the tuning split (never the report split)
    comb = max((parts[4], parts[0]), key=lambda p: p["tune_balanced_accuracy"])
    rep = idx[REPORT_SPLIT]
    flag_counts: dict[str, dict[str, int]] = defaultdict(lambda: {"label0": 0, "label1": 0})
    for i in rep:
        for f in sorted({f for v in item_verdicts[i] for f in v.flags}):
            flag_counts[f][f"label{items[i]['label']}"] += 1
    result = {
        "benchmark": "SummEdits news", "file": str(path or DEFAULT_PATH), "granularity": granularity,
        "tune_split": TUNE_SPLIT, "report_split": REPORT_SPLIT,
        "n_tune": len(idx[TUNE_SPLIT]), "n_report": len(rep),
        "balanced_accuracy": comb["balanced_accuracy"], "threshold": comb["threshold"], "headline": comb["name"],
        "headline_config": comb["config"].to_dict(),
        "configurations": {p["name"]: {"balanced_accuracy": p["balanced_accuracy"],
                                       "tune_balanced_accuracy": p["tune_balanced_accuracy"],
                                       "threshold": p["threshold"], "config": p["config"].to_dict()} for p in parts},
        "threshold_protocols": protocols,
        "by_edit_type": dict(sorted(_by_edit_type(items, rep, parts).items())),
        "flags_on_report_split": dict(flag_counts),
        "cost": _cost(pairs, verdicts, items, wall), "model": checker.model_id, "prompt_version": checker.prompt_version,
        "date": time.strftime("%Y-%m-%d %H:%M %Z"), "git_commit": _git_commit(),
        "machine": f"{platform.machine()} {platform.system()}", "published": PUBLISHED,
        "errors": _errors(items, rep, comb, item_verdicts)[:40], "limit": limit,
    }
    if out_dir:
        _save_run(out_dir, result, items, item_verdicts, parts, comb, bool(rep))
    return result


def format_checker_result(r: dict) -> str:
    lines = [f"Faithfulness checker on {r['benchmark']} ({r['granularity']} granularity; model {r['model']})",
             f"  threshold and weights chosen on '{r['tune_split']}' ({r['n_tune']} pairs); reported on '{r['report_split']}' ({r['n_report']} pairs)",
             "",
             f"  {'configuration':14} {'balanced acc (report)':>22} {'(tune split)':>13} {'threshold':>10}"]
    for name, c in r["configurations"].items():
        ba = "—" if c["balanced_accuracy"] is None else f"{100 * c['balanced_accuracy']:.1f}"
        lines.append(f"  {name:14} {ba:>22} {100 * c['tune_balanced_accuracy']:>13.1f} {c['threshold']:>10.3f}")
    w = r["headline_config"]
    lines.append(f"  headline ({r['headline']}, chosen on the tuning split): balanced accuracy {r['balanced_accuracy']}, "
                 f"threshold {r['threshold']}, reference={w['reference']} (w_ref={w['w_ref']}), "
                 + ", ".join(f"{k}={w[k]}" for k in GRID))
    if r.get("threshold_protocols"):
        lines.append("")
        lines.append("  threshold-only protocols (balanced accuracy, %): tune->report / report->tune / leave-one-document-out"
                     " / fixed threshold on all pairs")
        for name, p in r["threshold_protocols"].items():
            cells = [p.get(f"{r['tune_split']}->{r['report_split']}"), p.get(f"{r['report_split']}->{r['tune_split']}")]
            txt = [f"{100 * c['balanced_accuracy']:.1f} (t={c['threshold']:.2f})" if c else "—" for c in cells]
            lodo = p["leave_one_document_out"]
            txt.append(f"{100 * lodo['balanced_accuracy']:.1f}")
            txt.append(f"{100 * p['fixed_threshold']['balanced_accuracy_all']:.1f} (t={p['fixed_threshold']['threshold']})")
            lines.append(f"    {name:14} " + " / ".join(txt))
    lines.append("")
    names = list(r["configurations"])
    lines.append(f"  accuracy by edit type on '{r['report_split']}' ({' / '.join(names)}):")
    for k, d in r["by_edit_type"].items():
        lines.append(f"    {k:40} n={d['n']:4}  " + " / ".join(f"{d[n]:.2f}" for n in names))
    lines.append("  exact flags raised on the report split: " + ", ".join(
        f"{f} ({c['label0']} inconsistent, {c['label1']} consistent)" for f, c in r["flags_on_report_split"].items()))
    c = r["cost"]
    lines.append("")
    lines.append(f"  cost: {c['claims']} claims over {c['documents']} documents; {c['seconds_per_claim_all_in']} s per claim all in, "
                 f"{c['seconds_per_claim_marginal_p50']} s per extra claim on a cached source (p50), "
                 f"{c['seconds_per_source_prefix_p50']} s per source prefix (p50); this run {c['wall_seconds_this_run']} s "
                 f"({c['cached_this_run']} cached)")
    return "\n".join(lines)
