"""Benchmark: `brief ask` time to first token, total time and prompt size over the dev questions.

Usage: python -m eval.bench.ask [--index DIR] [--limit N] [--ids q01,q02]
       python -m eval.bench.ask --compare-llamaindex [--limit N] [--ids q01,q02]

--compare-llamaindex answers each question with brief, then with a default LlamaIndex pipeline on the same GGUF
and embedder (eval/bench/llamaindex_baseline.py: a worker process in .venv-llamaindex, made by
scripts/llamaindex_venv.sh), scores both as `brief eval --qa` does (eval/bench/compare_scoring.py), prints a table
and writes eval/runs/bench-llamaindex-<time>.json (with the worker's log beside it). Started with
.venv-llamaindex's python, the bench runs itself again with .venv's, where brief is installed.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from eval.bench.llamaindex_baseline import LlamaIndexWorker
    from eval.qa.loading import QAItem
    from summarizer.service import BriefService

REPO = Path(__file__).resolve().parents[2]
DEV = REPO / "eval" / "datasets" / "dev.jsonl"


def _args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index", default=".brief/index")
    ap.add_argument("--limit", type=int, default=None, help="only the first N questions (after --ids)")
    ap.add_argument("--ids", default=None, help="comma-separated question ids, e.g. q01,q17")
    ap.add_argument("--compare-llamaindex", action="store_true",
                    help="beside a default LlamaIndex pipeline (needs .venv-llamaindex: scripts/llamaindex_venv.sh)")
    return ap.parse_args(argv)


def _items(args: argparse.Namespace) -> list[QAItem]:
    """The dev questions chosen by --ids and --limit (SystemExit naming unknown ids)."""
    from eval.qa.loading import load_qa

    items = load_qa(DEV)
    if args.ids:
        wanted = [i.strip() for i in args.ids.split(",") if i.strip()]
        by_id = {it.id: it for it in items}
        unknown = [i for i in wanted if i not in by_id]
        if unknown:
            raise SystemExit(f"unknown question ids in {DEV.name}: {', '.join(unknown)}")
        items = [by_id[i] for i in wanted]
    return items[: args.limit]


def _reexec_in_product_venv() -> None:
    """Started by .venv-llamaindex's python: replace this process with the same command under .venv's."""
    product = REPO / ".venv" / "bin" / "python"
    if Path(sys.prefix).resolve() == (REPO / ".venv-llamaindex").resolve() and product.is_file():
        os.execv(str(product), [str(product), "-m", "eval.bench.ask", *sys.argv[1:]])


def timings(args: argparse.Namespace) -> None:
    """brief alone: load time, then per-question total, first-token and gate seconds and prompt tokens."""
    from summarizer.service import BriefService
    from summarizer.settings import Settings

    svc = BriefService(Settings.from_env(args.index))
    items = _items(args)
    t = time.perf_counter()
    svc.llm.llm  # load the model once, outside the timings
    load_s = time.perf_counter() - t
    rows = []
    for it in items:
        t = time.perf_counter()
        a = svc.ask(it.question)
        rows.append({"id": it.id, "status": a.status, "total_s": time.perf_counter() - t,
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


def _compare_one(svc: BriefService, worker: LlamaIndexWorker, item: QAItem) -> dict:
    """One question through brief, then through the LlamaIndex worker, both scored alike."""
    from eval.bench.compare_scoring import baseline_answer, refusal_phrase, score_answer

    t = time.perf_counter()
    a = svc.ask(item.question)
    brief = score_answer(item, a, time.perf_counter() - t)
    res = worker.ask(item.id, item.question)
    base = score_answer(item, baseline_answer(res["answer"]), res["total_s"])
    base.update({"refusal_phrase": refusal_phrase(res["answer"]), "sources": res["sources"]})
    if res.get("error"):
        base["error"] = res["error"]
    print(f"{item.id}: brief {brief['total_s']:.1f}s {brief['status']} | llamaindex {base['total_s']:.1f}s "
          f"{base['status']}", file=sys.stderr, flush=True)
    return {"id": item.id, "question": item.question, "type": item.type, "answerable": item.answerable,
            "brief": brief, "llamaindex": base}


def _warm_brief(svc: BriefService) -> float:
    """Load brief's model, embedder and index outside the timings (as the worker builds its pipeline first)."""
    t = time.perf_counter()
    svc.llm.llm
    svc.search("children's services inspection", k=1)
    return round(time.perf_counter() - t, 2)


def compare_llamaindex(args: argparse.Namespace) -> dict:
    """brief beside the default LlamaIndex pipeline, question by question; the result written to eval/runs/."""
    from eval.bench.compare_scoring import compare_summary, format_table
    from eval.bench.llamaindex_baseline import LlamaIndexWorker
    from eval.runs import RUNS_DIR, write_json
    from summarizer.llm.model_files import ensure_model
    from summarizer.service import BriefService
    from summarizer.settings import Settings

    items = _items(args)
    svc = BriefService(Settings.from_env(args.index))
    ms = svc.settings.model
    model = ms.model_path or ensure_model(ms.cache_dir / "models")
    out = RUNS_DIR / f"bench-llamaindex-{time.strftime('%Y%m%d-%H%M%S')}.json"
    worker = LlamaIndexWorker(Path(model), ms.n_threads, out.with_suffix(".log"))
    setup = {"brief_load_s": _warm_brief(svc)}
    try:
        setup["llamaindex"] = worker.start()
        rows = [_compare_one(svc, worker, it) for it in items]
    finally:
        worker.close()
    summary = compare_summary(rows)
    result = {"settings": {"questions_file": str(DEV.relative_to(REPO)), "ids": args.ids, "limit": args.limit,
                           "index": args.index, "model": str(model), "threads": ms.n_threads},
              "setup": setup, "summary": summary, "items": rows}
    write_json(out, result)
    print(format_table(summary))
    print(f"written to {out.relative_to(REPO)}")
    return result


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark the command line asks for."""
    _reexec_in_product_venv()
    args = _args(argv)
    if args.compare_llamaindex:
        compare_llamaindex(args)
    else:
        timings(args)


if __name__ == "__main__":
    main()
