"""`brief eval --qa`: retrieval recall, key-fact correctness, refusal accuracy and citation validity."""
from __future__ import annotations

import json
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from summarizer.verify import check_support


@dataclass
class QAItem:
    """One evaluation question (fields as in eval/datasets/README.md)."""

    id: str
    question: str
    answerable: bool
    docs: list[str] = field(default_factory=list)
    facts: list[list[str]] = field(default_factory=list)
    type: str = ""


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
                                type=d.get("type") or ("unanswerable" if not d["answerable"] else "single" if len(d.get("docs", [])) < 2 else "multi")))
        except (ValueError, KeyError, TypeError) as e:
            raise QAFileError(f"{path}:{n}: {e!r}: each line needs question, answerable, docs and facts") from e
    if not items:
        raise QAFileError(f"{path} holds no questions")
    return items


def facts_found(answer_text: str, facts: list[list[str]]) -> tuple[int, int]:
    low = answer_text.lower()
    return sum(1 for g in facts if any(a.lower() in low for a in g)), len(facts)


def recall_at(hit_docs: list[str], gold: list[str], k: int) -> float:
    if not gold:
        return 1.0
    top = set(hit_docs[:k])
    return sum(1 for d in gold if d in top) / len(gold)


def score_item(item: QAItem, answer, hit_docs: list[str]) -> dict:
    """Per-question verdicts."""
    rec = {"id": item.id, "question": item.question, "type": item.type, "answerable": item.answerable,
           "status": answer.status, "answer": answer.text, "p_answerable": answer.p_answerable,
           "timings": answer.timings, "prompt_tokens": answer.prompt_tokens, "retrieved_docs": hit_docs}
    rec["recall@5"] = recall_at(hit_docs, item.docs, 5) if item.answerable else None
    rec["refusal_correct"] = answer.refused == (not item.answerable)
    if item.answerable:
        found, total = facts_found(answer.text if not answer.refused else "", item.facts)
        rec["facts_found"], rec["facts_total"] = found, total
        rec["facts_all"] = (found == total) and not answer.refused
    by_n = {p.n: p for p in answer.passages}
    valid = []
    for s in answer.sentences:
        ok = bool(s.citations) and all(c in by_n for c in s.citations)
        if ok:
            src = " ".join(f"{by_n[c].title} {by_n[c].date or ''} {by_n[c].text}" for c in s.citations)
            chk = check_support(s.text, src)
            ok = not chk.hard_fail and chk.coverage >= 0.5
        valid.append(ok)
    rec["citations_valid"] = valid
    rec["sentences_dropped"] = len(answer.dropped)
    rec["sentences_kept"] = len(answer.sentences)
    return rec


def summarise(records: list[dict]) -> dict:
    def mean(xs):
        xs = [x for x in xs if x is not None]
        return round(sum(xs) / len(xs), 4) if xs else None

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
        "citation_validity": mean(1.0 if v else 0.0 for v in cites),
        "sentences_dropped_share": round(sum(r["sentences_dropped"] for r in records) / max(1, sum(r["sentences_dropped"] + r["sentences_kept"] for r in records)), 4),
        "answer_total_s_p50": round(statistics.median(totals), 2) if totals else None,
        "first_token_s_p50": round(statistics.median(ftoks), 2) if ftoks else None,
        "prompt_tokens_p50": statistics.median([r["prompt_tokens"] for r in records if r["prompt_tokens"]] or [0]),
    }
    by_type: dict[str, dict] = {}
    for t in sorted({r["type"] for r in records}):
        rs = [r for r in records if r["type"] == t]
        by_type[t] = {"n": len(rs), "recall@5": mean(r["recall@5"] for r in rs),
                      "refusal_correct": mean(1.0 if r["refusal_correct"] else 0.0 for r in rs),
                      "key_facts_correct": mean((1.0 if r["facts_all"] else 0.0) if r["answerable"] else None for r in rs)}
    out["by_type"] = by_type
    return out


def run_qa_eval(service, path: Path, limit: int | None = None, out: str | None = None, progress: bool = True) -> dict:
    """Ask every question through the service (the same path as the CLI) and score the answers."""
    items = load_qa(path)[:limit] if limit else load_qa(path)
    records = []
    t0 = time.time()
    for i, item in enumerate(items, 1):
        res = service.search(item.question, k=5)
        hit_docs = [h.chunk.doc_id for h in res.hits]
        answer = service.ask(item.question)
        records.append(score_item(item, answer, hit_docs))
        if progress:
            eta = (time.time() - t0) / i * (len(items) - i)
            print(f"\r[{i}/{len(items)}] eta {eta:.0f}s", end="", file=sys.stderr, flush=True)
    if progress:
        print(file=sys.stderr)
    result = {"file": str(path), "summary": summarise(records), "items": records,
              "model": service.llm.model_id, "date": time.strftime("%Y-%m-%d %H:%M")}
    if out:
        tmp = Path(out).with_suffix(".tmp")
        tmp.write_text(json.dumps(result, indent=2, default=str))
        tmp.replace(out)
    return result


def format_summary(result: dict) -> str:
    s = result["summary"]
    lines = [f"QA eval on {result['file']} ({s['questions']} questions: {s['answerable']} answerable, {s['unanswerable']} unanswerable)"]
    for k in ("recall@5", "key_facts_correct", "key_facts_partial", "refusal_accuracy", "false_refusal_rate",
              "citation_validity", "sentences_dropped_share", "answer_total_s_p50", "first_token_s_p50", "prompt_tokens_p50"):
        lines.append(f"  {k:24} {s[k]}")
    for t, v in s["by_type"].items():
        lines.append(f"  [{t}] " + ", ".join(f"{k}={v[k]}" for k in v))
    bad = [r for r in result["items"] if not r["refusal_correct"] or (r["answerable"] and not r.get("facts_all"))]
    if bad:
        lines.append("  Misses:")
        for r in bad[:15]:
            lines.append(f"    {r['id']} [{r['status']}] {r['question']} -> {r['answer'][:120]}")
    return "\n".join(lines)
