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

Runs are stored under eval/runs/<timestamp>/ (settings, model id, git commit, items.jsonl written as it goes, so an
interrupted run resumes), with result.json and a Markdown + HTML report with plots; `compare_runs` diffs two runs.
"""
from __future__ import annotations

import hashlib
import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field, is_dataclass
from pathlib import Path

from summarizer.support import check_support, content_terms

from eval.claims import split_claims

REPO = Path(__file__).resolve().parents[1]
RUNS_DIR = REPO / "eval" / "runs"
KS = (1, 2, 3, 5, 10)
RETRIEVAL_K = 10


@dataclass
class QAItem:
    """One evaluation question (fields as in eval/datasets/README.md)."""

    id: str
    question: str
    answerable: bool
    docs: list[str] = field(default_factory=list)
    facts: list[list[str]] = field(default_factory=list)
    type: str = ""
    wrong: list[str] = field(default_factory=list)  # strings whose presence makes an answer wrong (other grades)


class QAFileError(ValueError):
    """A QA file that cannot be read; the message names the line and the problem."""


def load_qa(path: Path) -> list[QAItem]:
    items = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
            items.append(QAItem(id=str(d.get("id", f"line{n}")), question=d["question"], answerable=bool(d["answerable"]),
                                docs=list(d.get("docs", [])), facts=[list(g) if isinstance(g, list) else [g] for g in d.get("facts", [])],
                                type=d.get("type") or ("unanswerable" if not d["answerable"] else "single" if len(d.get("docs", [])) < 2 else "multi"),
                                wrong=[str(w) for w in d.get("wrong", [])]))
        except (ValueError, KeyError, TypeError) as e:
            raise QAFileError(f"{path}:{n}: {e!r}: each line needs question, answerable, docs and facts") from e
    if not items:
        raise QAFileError(f"{path} holds no questions")
    return items


# --- metrics ------------------------------------------------------------------------------------------------------

def facts_found(answer_text: str, facts: list[list[str]]) -> tuple[int, int]:
    low = answer_text.lower()
    return sum(1 for g in facts if any(a.lower() in low for a in g)), len(facts)


def says_wrong(answer_text: str, wrong: list[str]) -> bool:
    """True when the answer contains one of the item's wrong alternatives (e.g. another grade)."""
    low = answer_text.lower()
    return any(w.lower() in low for w in wrong)


def recall_at(hit_docs: list[str], gold: list[str], k: int) -> float:
    if not gold:
        return 1.0
    top = set(hit_docs[:k])
    return sum(1 for d in gold if d in top) / len(gold)


def reciprocal_rank(hit_docs: list[str], gold: list[str]) -> float:
    """1 / rank of the first passage from an article that holds the answer (0 when none is retrieved)."""
    for r, d in enumerate(hit_docs, 1):
        if d in gold:
            return 1.0 / r
    return 0.0


def retrieval_record(hit_docs: list[str], gold: list[str]) -> dict:
    return {"docs": hit_docs, **{f"recall@{k}": recall_at(hit_docs, gold, k) for k in KS},
            "mrr": reciprocal_rank(hit_docs, gold)}


def extractive_answer(question: str, passage_text: str, n: int = 2) -> str:
    """The baseline answer: the n sentences of the top passage sharing most content words with the question."""
    from retrieval.sentences import split_sentences

    sents = [passage_text[s:e] for s, e in split_sentences(passage_text)]
    if not sents:
        return ""
    q = content_terms(question)
    ranked = sorted(range(len(sents)), key=lambda i: (-len(q & content_terms(sents[i])), i))
    return " ".join(sents[i] for i in sorted(ranked[:n]))


def passage_source(p) -> str:
    """A passage as the checker sees it: heading (title, date) then text."""
    head = p.title + (f" ({p.date})" if p.date else "")
    return f"{head}: {p.text}"


def check_answer_claims(answer, checker) -> list[dict]:
    """Each atomic claim of the answer checked against its cited passages and against all retrieved passages."""
    if answer.refused or not answer.sentences or checker is None:
        return []
    from summarizer.answer.answerer import heading
    from summarizer.answer.prompts import passages_block

    from eval.checker.judge import passages_support_prompt

    by_n = {p.n: p for p in answer.passages}
    # all retrieved passages, numbered exactly as the answer prompt showed them (so the model's KV cache is reused)
    all_src = passages_block([(heading(p), p.text) for p in answer.passages])
    claims = []
    for s in answer.sentences:
        cites = [c for c in s.citations if c in by_n]
        for c in split_claims(s.text) or [s.text]:
            claims.append((c, cites))
    all_verdicts = iter(checker.score_many([(c, all_src) for c, _ in claims], prompt_fn=passages_support_prompt))
    jobs: list[tuple[str, str]] = []
    for c, cites in claims:
        if cites:
            jobs.append((c, "\n\n".join(passage_source(by_n[n]) for n in cites)))
            if len(cites) > 1:
                jobs.extend((c, passage_source(by_n[n])) for n in cites)
    verdicts = iter(checker.score_many(jobs))
    out = []
    for c, cites in claims:
        v_all = next(all_verdicts)
        rec = {"claim": c, "citations": cites, "supported": v_all.supported, "score": v_all.score,
               "p_llm": v_all.p_llm, "flags": v_all.flags, "closest": v_all.exact.closest}
        if cites:
            v_cited = next(verdicts)
            per = [next(verdicts).supported for _ in cites] if len(cites) > 1 else [v_cited.supported]
            rec.update(cited_supported=v_cited.supported, cited_score=v_cited.score, citation_supports=per)
        else:
            rec.update(cited_supported=False, cited_score=None, citation_supports=[])
        out.append(rec)
    return out


def claim_metrics(claims: list[dict]) -> dict:
    """Faithfulness, citation precision and citation recall of one answer's checked claims (None when no claims)."""
    if not claims:
        return {"n_claims": 0, "faithfulness": None, "citation_precision": None, "citation_recall": None}
    supported = [c for c in claims if c["supported"]]
    cites = [ok for c in claims for ok in c["citation_supports"]]
    return {
        "n_claims": len(claims),
        "claims_supported": len(supported),
        "faithfulness": len(supported) / len(claims),
        "cited_support": sum(c["cited_supported"] for c in claims) / len(claims),
        "citations": len(cites),
        "citations_supporting": sum(cites),
        "citation_precision": (sum(cites) / len(cites)) if cites else None,
        "citation_recall": (sum(c["cited_supported"] for c in supported) / len(supported)) if supported else None,
    }


def _answer_outcome(item: QAItem, answer) -> dict:
    """The refusal and key-fact verdicts of one answer (the main answer and the no-council-filter baseline)."""
    out = {"status": answer.status, "answer": answer.text, "refusal_correct": answer.refused == (not item.answerable),
           "false_refusal": item.answerable and answer.refused,
           "hallucinated_answer": (not item.answerable) and not answer.refused}
    if item.answerable:
        found, total = facts_found(answer.text if not answer.refused else "", item.facts)
        out["facts_found"] = found
        out["says_wrong"] = says_wrong(answer.text, item.wrong) if not answer.refused else False
        out["facts_all"] = (found == total) and not answer.refused and not out["says_wrong"]
    return out


def score_item(item: QAItem, answer, hit_docs: list[str], claims: list[dict] | None = None,
               retrieval: dict[str, list[str]] | None = None, extractive: str | None = None) -> dict:
    """Per-question verdicts."""
    rec = {"id": item.id, "question": item.question, "type": item.type, "answerable": item.answerable,
           "gold_docs": item.docs, "status": answer.status, "answer": answer.text, "p_answerable": answer.p_answerable,
           "timings": answer.timings, "prompt_tokens": answer.prompt_tokens, "retrieved_docs": hit_docs}
    rec["recall@5"] = recall_at(hit_docs, item.docs, 5) if item.answerable else None
    outcome = _answer_outcome(item, answer)
    rec.update({k: v for k, v in outcome.items() if k not in ("status", "answer")})
    if item.answerable:
        rec["facts_total"] = len(item.facts)
    by_n = {p.n: p for p in answer.passages}
    valid = []
    for s in answer.sentences:
        ok = bool(s.citations) and all(c in by_n for c in s.citations)
        if ok:
            src = " ".join(f"{by_n[c].date or ''} {by_n[c].text}" for c in s.citations)
            chk = check_support(s.text, src)
            ok = not chk.hard_fail and chk.coverage >= 0.5
        valid.append(ok)
    rec["citations_valid"] = valid
    rec["sentences_dropped"] = len(answer.dropped)
    rec["sentences_kept"] = len(answer.sentences)
    rec["passages"] = [{"n": p.n, "doc_id": p.doc_id, "title": p.title, "date": p.date, "text": p.text} for p in answer.passages]
    if claims is not None:
        rec["claims"] = claims
        rec.update(claim_metrics(claims))
    if retrieval is not None and item.answerable:
        rec["retrieval"] = {name: retrieval_record(docs, item.docs) for name, docs in retrieval.items()}
    if extractive is not None:
        rec["extractive"] = extractive
        if item.answerable:
            f, t = facts_found(extractive, item.facts)
            rec["extractive_facts_found"], rec["extractive_facts_all"] = f, f == t
    return rec


def _mean(xs):
    xs = [x for x in xs if x is not None]
    return round(sum(xs) / len(xs), 4) if xs else None


def summarise(records: list[dict]) -> dict:
    mean = _mean
    ans = [r for r in records if r["answerable"]]
    una = [r for r in records if not r["answerable"]]
    cites = [v for r in records for v in r["citations_valid"]]
    totals = [r["timings"].get("total_s") for r in records if r["timings"].get("total_s") is not None and r["status"] == "answered"]
    ftoks = [r["timings"].get("first_token_s") for r in records if r["timings"].get("first_token_s")]
    out = {
        "questions": len(records),
        "answerable": len(ans),
        "unanswerable": len(una),
        "recall@5": mean(r["recall@5"] for r in ans),
        "key_facts_correct": mean(1.0 if r["facts_all"] else 0.0 for r in ans),
        "key_facts_partial": mean(r["facts_found"] / r["facts_total"] if r["facts_total"] else 1.0 for r in ans),
        "refusal_accuracy": mean(1.0 if r["refusal_correct"] else 0.0 for r in una),
        "false_refusal_rate": mean(0.0 if r["refusal_correct"] else 1.0 for r in ans),
        "false_refusals": sum(1 for r in ans if not r["refusal_correct"]),
        "wrong_answers": sum(1 for r in ans if r.get("says_wrong")),  # answered with a listed wrong value
        "hallucinated_answers": sum(1 for r in una if not r["refusal_correct"]),
        "citation_validity": mean(1.0 if v else 0.0 for v in cites),
        "sentences_dropped_share": round(sum(r["sentences_dropped"] for r in records) / max(1, sum(r["sentences_dropped"] + r["sentences_kept"] for r in records)), 4),
        "answer_total_s_p50": round(statistics.median(totals), 2) if totals else None,
        "first_token_s_p50": round(statistics.median(ftoks), 2) if ftoks else None,
        "prompt_tokens_p50": statistics.median([r["prompt_tokens"] for r in records if r["prompt_tokens"]] or [0]),
    }
    checked = [r for r in records if r.get("claims")]
    if any("claims" in r for r in records):
        claims = [c for r in checked for c in r["claims"]]
        cites_ok = [ok for c in claims for ok in c["citation_supports"]]
        supported = [c for c in claims if c["supported"]]
        out.update({
            "faithfulness": mean(r["faithfulness"] for r in checked),  # mean over answers
            "claims_checked": len(claims),
            "claims_supported_share": round(len(supported) / len(claims), 4) if claims else None,
            "citation_precision": round(sum(cites_ok) / len(cites_ok), 4) if cites_ok else None,
            "citation_recall": round(sum(c["cited_supported"] for c in supported) / len(supported), 4) if supported else None,
            "answers_fully_faithful": mean(1.0 if r["faithfulness"] == 1.0 else 0.0 for r in checked),
        })
    with_ret = [r for r in ans if "retrieval" in r]
    if with_ret:
        out["retrieval"] = {name: {**{f"recall@{k}": mean(r["retrieval"][name][f"recall@{k}"] for r in with_ret) for k in KS},
                                   "mrr": mean(r["retrieval"][name]["mrr"] for r in with_ret)}
                            for name in with_ret[0]["retrieval"]}
    out["answers_attributing_comments"] = sum(1 for r in records if r.get("comment_attributions"))
    base = [r for r in records if "no_council_filter" in r]
    if base:
        b_ans = [r["no_council_filter"] for r in base if r["answerable"]]
        b_una = [r["no_council_filter"] for r in base if not r["answerable"]]
        out["no_council_filter_baseline"] = {
            "questions": len(base),
            "key_facts_correct": mean(1.0 if b["facts_all"] else 0.0 for b in b_ans),
            "refusal_accuracy": mean(1.0 if b["refusal_correct"] else 0.0 for b in b_una),
            "false_refusals": sum(1 for b in b_ans if b["false_refusal"]),
            "hallucinated_answers": sum(1 for b in b_una if b["hallucinated_answer"]),
            # the same questions answered with the filter on, for a like-for-like comparison
            "with_filter_key_facts_correct": mean(1.0 if r["facts_all"] else 0.0 for r in base if r["answerable"]),
            "with_filter_refusal_accuracy": mean(1.0 if r["refusal_correct"] else 0.0 for r in base if not r["answerable"]),
        }
    ext = [r for r in ans if "extractive_facts_all" in r]
    if ext:
        out["extractive_baseline"] = {
            "key_facts_correct": mean(1.0 if r["extractive_facts_all"] else 0.0 for r in ext),
            "key_facts_partial": mean(r["extractive_facts_found"] / r["facts_total"] if r["facts_total"] else 1.0 for r in ext),
        }
    by_type: dict[str, dict] = {}
    for t in sorted({r["type"] for r in records}):
        rs = [r for r in records if r["type"] == t]
        by_type[t] = {"n": len(rs), "recall@5": mean(r["recall@5"] for r in rs),
                      "refusal_correct": mean(1.0 if r["refusal_correct"] else 0.0 for r in rs),
                      "key_facts_correct": mean((1.0 if r["facts_all"] else 0.0) if r["answerable"] else None for r in rs)}
        if "faithfulness" in out:
            by_type[t]["faithfulness"] = mean(r.get("faithfulness") for r in rs)
        if any("retrieval" in r for r in rs):
            by_type[t]["mrr"] = mean(r["retrieval"]["hybrid"]["mrr"] for r in rs if "retrieval" in r)
    out["by_type"] = by_type
    return out


# --- running ------------------------------------------------------------------------------------------------------

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


def new_run_dir(root: Path | None = None) -> Path:
    root = Path(root or RUNS_DIR)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    d = root / stamp
    n = 1
    while d.exists():
        n += 1
        d = root / f"{stamp}-{n}"
    d.mkdir(parents=True)
    return d


def resolve_run(ref: str | Path, root: Path | None = None) -> Path:
    """A run directory from a path, a run name under eval/runs, or 'latest'."""
    root = Path(root or RUNS_DIR)
    p = Path(ref)
    if str(ref) == "latest":
        runs = sorted(d for d in root.glob("*") if (d / "settings.json").is_file())
        if not runs:
            raise FileNotFoundError(f"No runs under {root}")
        return runs[-1]
    for cand in (p, root / p):
        if (cand / "settings.json").is_file() or (cand / "result.json").is_file():
            return cand
    raise FileNotFoundError(f"No eval run at {ref} (looked in {p} and {root / p})")


def _read_items(path: Path) -> list[dict]:
    """Completed items of a run; a line cut short by an interruption is ignored."""
    out = []
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                break
    return out


def _append_item(path: Path, rec: dict) -> None:
    with path.open("a", encoding="utf-8") as f:
        f.write(json.dumps(rec, default=str, ensure_ascii=False) + "\n")
        f.flush()
        os.fsync(f.fileno())


def default_checker(service):
    from eval.checker.judge import FaithfulnessChecker

    return FaithfulnessChecker(service.llm)


def _doc_ids(hits) -> list[str]:
    return [h.chunk.doc_id for h in hits]


def comment_texts(service) -> dict[str, list[str]]:
    """The reader-comment sentences of every indexed document that has them (never evidence)."""
    from retrieval.sentences import split_sentences

    out: dict[str, list[str]] = {}
    try:
        docs = service.documents()
    except Exception:  # noqa: BLE001 - a fake service without documents has no comments
        return out
    for d in docs:
        if d.comment_start is not None and d.comment_start < len(d.text):
            tail = d.text[d.comment_start:]
            out[d.id] = [tail[a:b] for a, b in split_sentences(tail) if len(content_terms(tail[a:b])) >= 3]
    return out


def comment_attributions(answer, comments: dict[str, list[str]]) -> list[dict]:
    """Answer sentences that rest on a reader's comment rather than on the article's own text.

    A sentence counts when most of its content words come from one comment sentence (coverage >= 0.6, at least
    three shared words) and its cited passages support it less well than that comment does.
    """
    if not comments or getattr(answer, "refused", False):
        return []
    by_n = {p.n: p for p in answer.passages}
    found = []
    for s in answer.sentences:
        terms = content_terms(s.text)
        if len(terms) < 3:
            continue
        cited = " ".join(by_n[c].text for c in s.citations if c in by_n)
        cited_cov = check_support(s.text, cited).coverage if cited else 0.0
        for doc_id, sents in comments.items():
            for c in sents:
                shared = terms & content_terms(c)
                cov = len(shared) / len(terms)
                if len(shared) >= 3 and cov >= 0.6 and cov > cited_cov:
                    found.append({"sentence": s.text, "comment": c, "doc_id": doc_id, "coverage": round(cov, 3)})
                    break
            else:
                continue
            break
    return found


def evaluate_item(service, item: QAItem, checker=None, baselines: bool = True, council_baseline: bool = False,
                  comments: dict[str, list[str]] | None = None) -> dict:
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
        retrieval = {"hybrid": hit_docs,
                     "hybrid_no_council_filter": _doc_ids(service.search(item.question, RETRIEVAL_K, no_filter).hits)}
        r = getattr(service, "retriever", None)
        if r is not None and hasattr(r, "dense_only"):
            retrieval["dense"] = _doc_ids(r.dense_only(item.question, RETRIEVAL_K))
            retrieval["bm25"] = _doc_ids(r.bm25_only(item.question, RETRIEVAL_K))
        extractive = extractive_answer(item.question, res.hits[0].chunk.text) if res.hits else ""
    answer = service.ask(item.question)
    t0 = time.perf_counter()
    claims = check_answer_claims(answer, checker) if checker is not None else None
    rec = score_item(item, answer, hit_docs[:5], claims, retrieval, extractive)
    if checker is not None:
        rec["timings"] = {**rec["timings"], "check_s": round(time.perf_counter() - t0, 3)}
    rec["comment_attributions"] = comment_attributions(answer, comments or {})
    if council_baseline:
        rec["no_council_filter"] = _answer_outcome(item, service.ask(item.question, no_filter))
    return rec


def run_qa_eval(service, path: Path, limit: int | None = None, out: str | None = None, progress: bool = True, *,
                checker=None, use_checker: bool = True, baselines: bool = True, run_dir: str | Path | None = None,
                resume: bool = False, report: bool = True, council_baseline: bool = False) -> dict:
    """Ask every question through the service (the same path as the CLI) and score the answers.

    With run_dir, each scored question is appended to run_dir/items.jsonl as it completes; with resume=True, the
    questions already there are not asked again. At the end result.json and the reports are written there.
    """
    path = Path(path)
    items = load_qa(path)[:limit] if limit else load_qa(path)
    if use_checker and checker is None:
        checker = default_checker(service)
    if not use_checker:
        checker = None
    model_id = getattr(getattr(service, "llm", None), "model_id", None)
    done: dict[str, dict] = {}
    rd = Path(run_dir) if run_dir else None
    if rd is not None:
        rd.mkdir(parents=True, exist_ok=True)
        settings_path = rd / "settings.json"
        qa_hash = hashlib.sha256(path.read_bytes()).hexdigest()
        if resume and settings_path.is_file():
            prev = json.loads(settings_path.read_text())
            if prev.get("qa_sha256") != qa_hash:
                raise ValueError(f"{rd} was run on a different QA file ({prev.get('qa_file')}); start a new run instead")
            done = {r["id"]: r for r in _read_items(rd / "items.jsonl")}
            # rewrite the completed items so a line cut short by the interruption cannot corrupt the next one
            tmp = rd / "items.jsonl.tmp"
            tmp.write_text("".join(json.dumps(r, default=str, ensure_ascii=False) + "\n" for r in done.values()),
                           encoding="utf-8")
            tmp.replace(rd / "items.jsonl")
        else:
            (rd / "items.jsonl").unlink(missing_ok=True)
            settings = {"qa_file": str(path), "qa_sha256": qa_hash, "limit": limit, "model": model_id,
                        "git_commit": _git("rev-parse", "HEAD"), "git_dirty": bool(_git("status", "--porcelain")),
                        "started": time.strftime("%Y-%m-%d %H:%M:%S"), "baselines": baselines,
                        "council_baseline": council_baseline,
                        "checker": ({"config": checker.config.to_dict(), "model": checker.model_id,
                                     "prompt_version": checker.prompt_version} if checker is not None else None),
                        "settings": _jsonable(getattr(service, "settings", None))}
            tmp = settings_path.with_suffix(".tmp")
            tmp.write_text(json.dumps(settings, indent=2, default=str))
            tmp.replace(settings_path)
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
        rec = evaluate_item(service, item, checker, baselines, council_baseline, comments)
        records.append(rec)
        if rd is not None:
            _append_item(rd / "items.jsonl", rec)
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    result = {"file": str(path), "summary": summarise(records), "items": records,
              "model": model_id, "date": time.strftime("%Y-%m-%d %H:%M"),
              "git_commit": _git("rev-parse", "HEAD"), "resumed_items": len(done)}
    if checker is not None:
        result["checker"] = {**checker.stats(), "config": checker.config.to_dict()}
        secs = [c for r in records for c in [r["timings"].get("check_s")] if c is not None]
        nclaims = sum(len(r.get("claims") or []) for r in records)
        result["checker"]["seconds_per_answer_p50"] = round(statistics.median(secs), 2) if secs else None
        result["checker"]["claims"] = nclaims
    if rd is not None:
        result["run_dir"] = str(rd)
        _write_json(rd / "result.json", result)
        if report:
            from eval.qa.report import write_report

            write_report(rd, result)
    if out:
        _write_json(Path(out), result)
    return result


def _write_json(path: Path, obj) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(obj, indent=2, default=str, ensure_ascii=False))
    tmp.replace(path)


# --- text output --------------------------------------------------------------------------------------------------

HEADLINE = ("recall@5", "key_facts_correct", "key_facts_partial", "refusal_accuracy", "false_refusal_rate",
            "false_refusals", "hallucinated_answers", "wrong_answers", "citation_validity", "faithfulness", "claims_supported_share",
            "citation_precision", "citation_recall", "answers_fully_faithful", "answers_attributing_comments",
            "sentences_dropped_share", "answer_total_s_p50", "first_token_s_p50", "prompt_tokens_p50")


def format_summary(result: dict) -> str:
    s = result["summary"]
    lines = [f"QA eval on {result['file']} ({s['questions']} questions: {s['answerable']} answerable, {s['unanswerable']} unanswerable)"]
    for k in HEADLINE:
        if k in s:
            lines.append(f"  {k:24} {s[k]}")
    if "retrieval" in s:
        lines.append("  retrieval (answerable questions):")
        for name, v in s["retrieval"].items():
            lines.append(f"    {name:8} " + ", ".join(f"{k}={v[k]}" for k in v))
    if "extractive_baseline" in s:
        e = s["extractive_baseline"]
        lines.append(f"  extractive baseline (top passage's best sentences): key_facts_correct={e['key_facts_correct']}, "
                     f"key_facts_partial={e['key_facts_partial']}")
    if "no_council_filter_baseline" in s:
        b = s["no_council_filter_baseline"]
        lines.append(f"  answerer without the council filter ({b['questions']} questions): key_facts_correct="
                     f"{b['key_facts_correct']} (with filter {b['with_filter_key_facts_correct']}), refusal_accuracy="
                     f"{b['refusal_accuracy']} (with filter {b['with_filter_refusal_accuracy']}), false_refusals="
                     f"{b['false_refusals']}, hallucinated_answers={b['hallucinated_answers']}")
    for t, v in s["by_type"].items():
        lines.append(f"  [{t}] " + ", ".join(f"{k}={v[k]}" for k in v))
    attributed = [(r["id"], a) for r in result["items"] for a in r.get("comment_attributions") or []]
    if attributed:
        lines.append("  Answer sentences resting on a reader's comment (never evidence):")
        for rid, a in attributed[:10]:
            lines.append(f"    {rid}: {a['sentence'][:110]} <- comment in {a['doc_id']}")
    if result.get("checker"):
        c = result["checker"]
        lines.append(f"  checker: {c.get('claims')} claims, {c['llm_calls']} model calls, {c['llm_seconds']} s "
                     f"({c['cache_hits']} cached); p50 {c.get('seconds_per_answer_p50')} s per answer")
    bad = [r for r in result["items"] if not r["refusal_correct"] or (r["answerable"] and not r.get("facts_all"))]
    if bad:
        lines.append("  Misses:")
        for r in bad[:15]:
            lines.append(f"    {r['id']} [{r['status']}] {r['question']} -> {r['answer'][:120]}")
    unsupported = [(r["id"], c) for r in result["items"] for c in r.get("claims") or [] if not c["supported"]]
    if unsupported:
        lines.append("  Claims the checker found unsupported:")
        for rid, c in unsupported[:10]:
            lines.append(f"    {rid}: {c['claim'][:110]} (score {c['score']:.2f}{', ' + '/'.join(c['flags']) if c['flags'] else ''})")
    if result.get("run_dir"):
        lines.append(f"  run stored in {result['run_dir']} (report.md, report.html, result.json)")
    return "\n".join(lines)


# --- comparing runs -----------------------------------------------------------------------------------------------

NEUTRAL = {"questions", "answerable", "unanswerable", "claims_checked"}  # counts: changed, neither better nor worse
LOWER_IS_BETTER = {"false_refusal_rate", "false_refusals", "hallucinated_answers", "sentences_dropped_share",
                   "wrong_answers",
                   "answers_attributing_comments",
                   "answer_total_s_p50", "first_token_s_p50", "prompt_tokens_p50"}


def _flat(summary: dict) -> dict[str, float]:
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
        elif k == "by_type" and isinstance(v, dict):
            for t, m in v.items():
                for mk, mv in m.items():
                    if mk != "n" and isinstance(mv, (int, float)):
                        out[f"{t}.{mk}"] = mv
    return out


def load_run(ref: str | Path) -> dict:
    d = resolve_run(ref)
    if (d / "result.json").is_file():
        return json.loads((d / "result.json").read_text())
    recs = _read_items(d / "items.jsonl")  # an unfinished run: score what it has
    settings = json.loads((d / "settings.json").read_text())
    return {"file": settings.get("qa_file"), "summary": summarise(recs), "items": recs, "model": settings.get("model"),
            "git_commit": settings.get("git_commit"), "run_dir": str(d), "unfinished": True}


def compare_runs(a: dict, b: dict) -> dict:
    """What improved and what regressed from run a to run b: metrics, and questions whose verdict changed."""
    fa, fb = _flat(a["summary"]), _flat(b["summary"])
    metrics = []
    for k in sorted(set(fa) | set(fb), key=lambda k: (k.count("."), k)):
        va, vb = fa.get(k), fb.get(k)
        if va is None or vb is None:
            change = "new" if va is None else "gone"
        elif abs(vb - va) < 1e-9:
            change = "same"
        elif k in NEUTRAL:
            change = "changed"
        else:
            better = (vb < va) if k.split(".")[-1] in LOWER_IS_BETTER else (vb > va)
            change = "improved" if better else "regressed"
        metrics.append({"metric": k, "a": va, "b": vb, "delta": None if va is None or vb is None else round(vb - va, 4),
                        "change": change})
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
    ids_a, ids_b = {r["id"] for r in a["items"]}, {r["id"] for r in b["items"]}
    return {"same_questions": ids_a == ids_b, "only_a": sorted(ids_a - ids_b), "only_b": sorted(ids_b - ids_a),
            "a": {k: a.get(k) for k in ("run_dir", "model", "git_commit", "date", "file", "unfinished")},
            "b": {k: b.get(k) for k in ("run_dir", "model", "git_commit", "date", "file")},
            "metrics": metrics, "items": items}


def format_comparison(c: dict) -> str:
    lines = [f"A: {c['a'].get('run_dir')} ({c['a'].get('model')}, commit {str(c['a'].get('git_commit'))[:10]})",
             f"B: {c['b'].get('run_dir')} ({c['b'].get('model')}, commit {str(c['b'].get('git_commit'))[:10]})", "",
             f"  {'metric':36} {'A':>10} {'B':>10} {'delta':>9}"]
    if not c.get("same_questions", True):
        lines.insert(2, f"Note: the runs cover different questions ({len(c['only_a'])} only in A, {len(c['only_b'])} only in B); "
                        "their summary figures are not like for like.")
    for side in ("a", "b"):
        if c[side].get("unfinished"):
            lines.insert(2, f"Note: run {side.upper()} is unfinished (scored on the questions it completed).")
    for m in c["metrics"]:
        if m["change"] == "same":
            continue
        mark = {"improved": "+", "regressed": "-", "new": "new", "gone": "gone", "changed": ""}[m["change"]]
        fmt = lambda v: "—" if v is None else (f"{v:.4g}" if isinstance(v, float) else str(v))  # noqa: E731
        lines.append(f"  {m['metric']:36} {fmt(m['a']):>10} {fmt(m['b']):>10} {fmt(m['delta']):>9}  {mark}")
    same = sum(1 for m in c["metrics"] if m["change"] == "same")
    lines.append(f"  ({same} metrics unchanged)")
    for kind in ("improved", "regressed"):
        rows = [i for i in c["items"] if i["change"] == kind]
        if rows:
            lines.append(f"\n  Questions {kind}:")
            for i in rows:
                lines.append(f"    {i['id']} {i['what']}: {i['question'][:80]}")
    return "\n".join(lines)
