"""Benchmark: `brief ask` time to first token, total time and prompt size over the dev questions.

Usage: python -m eval.bench.ask [--index DIR] [--limit N]
"""
from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from summarizer.service import BriefService
from summarizer.settings import Settings

DEV = Path(__file__).resolve().parent / "datasets" / "dev.jsonl"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--index", default=".brief/index")
    ap.add_argument("--limit", type=int, default=None)
    args = ap.parse_args()
    svc = BriefService(Settings.from_env(args.index))
    items = [json.loads(l) for l in DEV.read_text().splitlines() if l.strip()][: args.limit]
    t = time.perf_counter()
    svc.llm.llm  # load the model once, outside the timings
    load_s = time.perf_counter() - t
    rows = []
    for it in items:
        t = time.perf_counter()
        a = svc.ask(it["question"])
        rows.append({"id": it["id"], "status": a.status, "total_s": time.perf_counter() - t,
                     "first_token_s": a.timings.get("first_token_s"), "gate_s": a.timings.get("gate_s"),
                     "prompt_tokens": a.prompt_tokens})
    answered = [r for r in rows if r["status"] == "answered"]
    med = lambda xs: round(statistics.median(xs), 2) if xs else None  # noqa: E731
    print(json.dumps({
        "questions": len(rows), "answered": len(answered), "model_load_s": round(load_s, 1),
        "all_total_s_p50": med([r["total_s"] for r in rows]),
        "answered_first_token_s_p50": med([r["first_token_s"] for r in answered]),
        "answered_total_s_p50": med([r["total_s"] for r in answered]),
        "answered_total_s_max": round(max((r["total_s"] for r in answered), default=0), 2),
        "refused_total_s_p50": med([r["total_s"] for r in rows if r["status"] != "answered"]),
        "prompt_tokens_p50": med([r["prompt_tokens"] for r in answered]),
    }, indent=2))


if __name__ == "__main__":
    main()
