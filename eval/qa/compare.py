"""Comparing two QA run results: which metrics and which questions improved or regressed from run A to run B."""
from __future__ import annotations

NEUTRAL = {"questions", "answerable", "unanswerable", "claims_checked"}  # counts: changed, neither better nor worse
LOWER_IS_BETTER = {"false_refusal_rate", "false_refusals", "hallucinated_answers", "sentences_dropped_share",
                   "wrong_answers",
                   "answers_attributing_comments",
                   "answer_total_s_p50", "total_s_p50", "first_token_s_p50", "prompt_tokens_p50"}


def flat_metrics(summary: dict) -> dict[str, float]:
    """A run summary as flat numeric metrics ("retrieval.dense.mrr", "multi.recall@5", "by_blind.blind.recall@5",
    "extractive.key_facts_correct")."""
    out = {}
    for k, v in summary.items():
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            out[k] = v
        elif k == "retrieval" and isinstance(v, dict):
            for name, m in v.items():
                for mk, mv in m.items():
                    out[f"retrieval.{name}.{mk}"] = mv
        elif k in ("extractive_baseline", "no_council_filter_baseline") and isinstance(v, dict):
            for mk, mv in v.items():
                if isinstance(mv, (int, float)) and mk != "questions":
                    out[f"{k.removesuffix('_baseline')}.{mk}"] = mv
        elif k in ("by_type", "by_blind") and isinstance(v, dict):
            prefix = "" if k == "by_type" else "by_blind."
            for t, m in v.items():
                for mk, mv in m.items():
                    if mk != "n" and isinstance(mv, (int, float)):
                        out[f"{prefix}{t}.{mk}"] = mv
    return out


def _metric_change(k: str, va, vb) -> str:
    if va is None or vb is None:
        return "new" if va is None else "gone"
    if abs(vb - va) < 1e-9:
        return "same"
    if k in NEUTRAL:
        return "changed"
    better = (vb < va) if k.split(".")[-1] in LOWER_IS_BETTER else (vb > va)
    return "improved" if better else "regressed"


def _item_changes(a: dict, b: dict) -> list[dict]:
    """Questions of both runs whose refusal, key-fact or faithfulness verdict changed."""
    ia = {r["id"]: r for r in a["items"]}
    items = []
    for r in b["items"]:
        p = ia.get(r["id"])
        if p is None:
            continue
        for key in ("refusal_correct", "facts_all"):
            if key in r and key in p and bool(r[key]) != bool(p[key]):
                items.append({"id": r["id"], "question": r["question"], "what": key,
                              "change": "improved" if r[key] else "regressed", "a": p["answer"], "b": r["answer"]})
        fa_, fb_ = p.get("faithfulness"), r.get("faithfulness")
        if fa_ is not None and fb_ is not None and abs(fa_ - fb_) > 1e-9:
            items.append({"id": r["id"], "question": r["question"], "what": "faithfulness",
                          "change": "improved" if fb_ > fa_ else "regressed", "a": p["answer"], "b": r["answer"]})
    return items


def compare_results(a: dict, b: dict) -> dict:
    """What improved and what regressed from run a to run b: metrics, and questions whose verdict changed."""
    fa, fb = flat_metrics(a["summary"]), flat_metrics(b["summary"])
    metrics = []
    for k in sorted(set(fa) | set(fb), key=lambda k: (k.count("."), k)):
        va, vb = fa.get(k), fb.get(k)
        metrics.append({"metric": k, "a": va, "b": vb, "delta": None if va is None or vb is None else round(vb - va, 4),
                        "change": _metric_change(k, va, vb)})
    ids_a, ids_b = {r["id"] for r in a["items"]}, {r["id"] for r in b["items"]}
    return {"same_questions": ids_a == ids_b, "only_a": sorted(ids_a - ids_b), "only_b": sorted(ids_b - ids_a),
            "a": {k: a.get(k) for k in ("run_dir", "model", "git_commit", "date", "file", "unfinished")},
            "b": {k: b.get(k) for k in ("run_dir", "model", "git_commit", "date", "file")},
            "metrics": metrics, "items": _item_changes(a, b)}
