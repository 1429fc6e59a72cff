"""`brief eval --qa`: retrieval, answer faithfulness, citations, key facts and refusals, with baselines.

Per question:
- retrieval: recall@k (k = 1..10) and MRR of the articles that hold the answer, for hybrid search (what the answerer
  uses), dense-only and BM25-only retrieval;
- the answer (through the same service path as `brief ask`): key facts found, refusal correctness (false refusals
  counted apart from hallucinated answers), citation validity (exact checks), and, with the faithfulness checker,
  every atomic claim checked against the passages it cites and against all retrieved passages:
  faithfulness = share of claims supported by the retrieved passages; citation precision = share of citations whose
  passage supports the claim; citation recall = share of supported claims whose citations support them;
- an extractive baseline: the top passage's best sentences, scored for key facts like an answer.

This module orchestrates a run; the parts live beside it: loading (QA files), metrics (pure scoring), groups (the
same metrics per question type and for blind / not-blind questions, council-list precision and recall), faithfulness
(claim checks), formatting (text output), compare (run diffs), report (Markdown/HTML), protocols (what the service
must offer), and eval/runs.py (RunStore: where runs are stored under eval/runs/<timestamp>/, with settings, model
id, git commit and items.jsonl written as it goes, so an interrupted run resumes).
"""
from __future__ import annotations

from collections.abc import Callable

import hashlib
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, is_dataclass
from pathlib import Path

from eval.qa.compare import compare_results
from eval.qa.faithfulness import check_answer_claims, default_checker, passage_source  # noqa: F401 - re-exported
from eval.qa.formatting import format_comparison, format_summary  # noqa: F401 - re-exported
from eval.qa.loading import QAFileError, QAItem, load_qa  # noqa: F401 - re-exported
from eval.qa.metrics import (HEADLINE, KS, RETRIEVAL_K, answer_outcome, claim_metrics,  # noqa: F401 - re-exported
                             comment_attributions, extractive_answer, facts_found, recall_at, reciprocal_rank,
                             retrieval_record, says_wrong, score_item, summarise)
from eval.qa.protocols import QAService
from eval.runs import REPO, RUNS_DIR, RunStore, append_item, read_items, read_settings, write_json, write_jsonl

# --- run directories (kept here for the callers of the old eval.qa.run API; RunStore is the home) -------------------

OnItem = Callable[[int, int], None]


def new_run_dir(root: Path | None = None) -> Path:
    """A fresh QA run directory under root (default eval/runs), named by the time."""
    return RunStore(root).new_run_dir()


def resolve_run(ref: str | Path, root: Path | None = None) -> Path:
    """A run directory from a path, a run name under eval/runs, or 'latest'."""
    return RunStore(root).resolve(ref)


def load_run(ref: str | Path) -> dict:
    """A stored run's result (an unfinished run scored on what it has)."""
    return RunStore().load(ref)


def compare_runs(a: dict, b: dict) -> dict:
    """What improved and what regressed from run a to run b: metrics, and questions whose verdict changed."""
    return compare_results(a, b)


# --- one question ---------------------------------------------------------------------------------------------------

def _git(*args: str) -> str | None:
    try:
        r = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, timeout=10)
        return r.stdout.strip() if r.returncode == 0 else None
    except Exception:
        return None


def _jsonable(obj):
    if is_dataclass(obj):
        return {k: _jsonable(v) for k, v in asdict(obj).items()}
    if isinstance(obj, dict):
        return {k: _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, Path):
        return str(obj)
    return obj


def _doc_ids(hits) -> list[str]:
    return [h.chunk.doc_id for h in hits]


def comment_texts(service: QAService) -> dict[str, list[str]]:
    """The reader-comment sentences of every indexed document that has them (never evidence)."""
    from retrieval.sentences import split_sentences
    from summarizer.support import content_terms

    out: dict[str, list[str]] = {}
    try:
        docs = service.documents()
    except Exception:  # noqa: BLE001 - documents that cannot be listed (no index yet, a stand-in) hold no comments
        return out
    for d in docs:
        if d.comment_start is not None and d.comment_start < len(d.text):
            tail = d.text[d.comment_start:]
            out[d.id] = [tail[a:b] for a, b in split_sentences(tail) if len(content_terms(tail[a:b])) >= 3]
    return out


def _baseline_retrieval(service: QAService, question: str, hit_docs: list[str], no_filter) -> dict[str, list[str]]:
    """The articles retrieved by hybrid search with and without the council filter, dense-only and BM25-only."""
    r = service.retriever
    return {"hybrid": hit_docs,
            "hybrid_no_council_filter": _doc_ids(service.search(question, RETRIEVAL_K, no_filter).hits),
            "dense": _doc_ids(r.dense_only(question, RETRIEVAL_K)),
            "bm25": _doc_ids(r.bm25_only(question, RETRIEVAL_K))}


def evaluate_item(service: QAService, item: QAItem, checker=None, baselines: bool = True,
                  council_baseline: bool = False, comments: dict[str, list[str]] | None = None) -> dict:
    """Search, ask, check and score one question.

    council_baseline also answers the question with the council filter off (retrieval over every council), so the
    filter's effect on answers is measured in the same run.
    """
    from retrieval.search import SearchFilters

    res = service.search(item.question, k=RETRIEVAL_K)
    hit_docs = _doc_ids(res.hits)
    retrieval = extractive = None
    no_filter = SearchFilters(councils_from_query=False)
    if baselines:
        retrieval = _baseline_retrieval(service, item.question, hit_docs, no_filter)
        extractive = extractive_answer(item.question, res.hits[0].chunk.text) if res.hits else ""
    answer = service.ask(item.question)
    t0 = time.perf_counter()
    claims = check_answer_claims(answer, checker) if checker is not None else None
    rec = score_item(item, answer, hit_docs[:5], claims, retrieval, extractive)
    if checker is not None:
        rec["timings"] = {**rec["timings"], "check_s": round(time.perf_counter() - t0, 3)}
    rec["comment_attributions"] = comment_attributions(answer, comments or {})
    if council_baseline:
        rec["no_council_filter"] = answer_outcome(item, service.ask(item.question, no_filter))
    return rec


# --- a run ----------------------------------------------------------------------------------------------------------

def _open_run(rd: Path, path: Path, resume: bool, settings_fn) -> dict[str, dict]:
    """Prepare run_dir: on resume, the items already scored (after checking the QA file is the same); otherwise
    a fresh items.jsonl and settings.json (from settings_fn(qa_sha256))."""
    rd.mkdir(parents=True, exist_ok=True)
    settings_path = rd / "settings.json"
    qa_hash = hashlib.sha256(path.read_bytes()).hexdigest()
    if resume and settings_path.is_file():
        prev = read_settings(rd)
        if prev.get("qa_sha256") != qa_hash:
            raise ValueError(f"{rd} was run on a different QA file ({prev.get('qa_file')}); start a new run instead")
        done = {r["id"]: r for r in read_items(rd / "items.jsonl")}
        # rewrite the completed items so a line cut short by the interruption cannot corrupt the next one
        write_jsonl(rd / "items.jsonl", done.values())
        return done
    (rd / "items.jsonl").unlink(missing_ok=True)
    write_json(settings_path, settings_fn(qa_hash))
    return {}


def _run_settings(service: QAService, path: Path, limit, checker, baselines: bool, council_baseline: bool,
                  qa_hash: str) -> dict:
    """What settings.json records: QA file and hash, model, git commit, checker and service settings."""
    return {"qa_file": str(path), "qa_sha256": qa_hash, "limit": limit, "model": service.llm.model_id,
            "git_commit": _git("rev-parse", "HEAD"), "git_dirty": bool(_git("status", "--porcelain")),
            "started": time.strftime("%Y-%m-%d %H:%M:%S"), "baselines": baselines,
            "council_baseline": council_baseline,
            "checker": checker.describe() if checker is not None else None,
            "settings": _jsonable(service.settings)}


def _score_all(service: QAService, items: list[QAItem], done: dict[str, dict], rd: Path | None, progress: bool,
               on_item: OnItem | None = None, **kw) -> list[dict]:
    """Every question's record, asking those not already done and appending each to items.jsonl as it completes."""
    records = []
    bar = None
    comments = comment_texts(service)
    todo = [it for it in items if it.id not in done]
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(items), initial=len(items) - len(todo), desc="questions", unit="q", file=sys.stderr)
    for item in items:
        if item.id in done:
            records.append(done[item.id])
            continue
        if on_item is not None:
            on_item(len(records), len(items))
        rec = evaluate_item(service, item, comments=comments, **kw)
        records.append(rec)
        if rd is not None:
            append_item(rd / "items.jsonl", rec)
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    return records


def _checker_stats(checker, records: list[dict]) -> dict:
    """The checker's cost over the run: model calls, cache hits, seconds per answer, claims."""
    stats = {**checker.stats(), "checker": checker.describe()}
    secs = [c for r in records for c in [r["timings"].get("check_s")] if c is not None]
    stats["seconds_per_answer_p50"] = round(statistics.median(secs), 2) if secs else None
    stats["claims"] = sum(len(r.get("claims") or []) for r in records)
    return stats


def run_qa_eval(service: QAService, path: Path, limit: int | None = None, out: str | None = None,
                progress: bool = True, *, checker=None, use_checker: bool = True, baselines: bool = True,
                run_dir: str | Path | None = None, resume: bool = False, report: bool = True,
                council_baseline: bool = False, on_item: OnItem | None = None) -> dict:
    """Ask every question through the service (the same path as the CLI) and score the answers.

    With run_dir, each scored question is appended to run_dir/items.jsonl as it completes; with resume=True, the
    questions already there are not asked again. At the end result.json and the reports are written there.
    ``on_item(done, total)`` is told before each question is asked (a UI's progress bar).
    """
    path = Path(path)
    items = load_qa(path)[:limit] if limit else load_qa(path)
    if use_checker and checker is None:
        checker = default_checker(service)
    if not use_checker:
        checker = None
    rd = Path(run_dir) if run_dir else None
    done: dict[str, dict] = {}
    if rd is not None:
        done = _open_run(rd, path, resume, lambda qa_hash: _run_settings(
            service, path, limit, checker, baselines, council_baseline, qa_hash))
    records = _score_all(service, items, done, rd, progress, on_item, checker=checker, baselines=baselines,
                         council_baseline=council_baseline)
    result = {"file": str(path), "summary": summarise(records), "items": records,
              "model": service.llm.model_id, "date": time.strftime("%Y-%m-%d %H:%M"),
              "git_commit": _git("rev-parse", "HEAD"), "resumed_items": len(done)}
    if checker is not None:
        result["checker"] = _checker_stats(checker, records)
    if rd is not None:
        result["run_dir"] = str(rd)
        RunStore(rd.parent).save(rd, result)
        if report:
            from eval.qa.report import write_report

            write_report(rd, result)
    if out:
        write_json(Path(out), result)
    return result


__all__ = ["HEADLINE", "KS", "RETRIEVAL_K", "RUNS_DIR", "QAFileError", "QAItem", "check_answer_claims",
           "claim_metrics", "comment_attributions", "comment_texts", "compare_runs", "default_checker",
           "evaluate_item", "extractive_answer", "facts_found", "format_comparison", "format_summary", "load_qa",
           "load_run", "new_run_dir", "passage_source", "recall_at", "reciprocal_rank", "resolve_run",
           "retrieval_record", "run_qa_eval", "says_wrong", "score_item", "summarise"]
