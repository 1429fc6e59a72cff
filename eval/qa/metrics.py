"""Pure metric functions of the QA eval: retrieval recall@k and MRR, key facts, refusals, citations, claim-level
faithfulness, reader-comment attributions, and the run summary. No model, no files: records in, numbers out."""
from __future__ import annotations

import statistics

from eval.qa.groups import by_blind, by_type, council_scores, mean
from summarizer.support import check_support, content_terms

KS = (1, 2, 3, 5, 10)  # the k of recall@k
RETRIEVAL_K = 10  # passages retrieved per question for the retrieval metrics
HEADLINE = ("recall@5", "key_facts_correct", "key_facts_partial", "refusal_accuracy", "false_refusal_rate",
            "false_refusals", "hallucinated_answers", "wrong_answers", "citation_validity", "faithfulness", "claims_supported_share",
            "citation_precision", "citation_recall", "answers_fully_faithful", "answers_attributing_comments",
            "sentences_dropped_share", "answer_total_s_p50", "first_token_s_p50", "prompt_tokens_p50")


# --- one answer -----------------------------------------------------------------------------------------------------

def facts_found(answer_text: str, facts: list[list[str]]) -> tuple[int, int]:
    """(fact groups with an alternative in the answer, fact groups)."""
    low = answer_text.lower()
    return sum(1 for g in facts if any(a.lower() in low for a in g)), len(facts)


def says_wrong(answer_text: str, wrong: list[str]) -> bool:
    """True when the answer contains one of the item's wrong alternatives (e.g. another grade)."""
    low = answer_text.lower()
    return any(w.lower() in low for w in wrong)


def recall_at(hit_docs: list[str], gold: list[str], k: int) -> float:
    """Share of the gold articles among the first k retrieved (1.0 when there is no gold article)."""
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
    """The retrieved articles with their recall@k for every k in KS and MRR."""
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


def answer_outcome(item, answer) -> dict:
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


def citations_valid(answer) -> list[bool]:
    """Per kept sentence: it cites shown passages and the exact check finds it supported by them."""
    by_n = {p.n: p for p in answer.passages}
    valid = []
    for s in answer.sentences:
        ok = bool(s.citations) and all(c in by_n for c in s.citations)
        if ok:
            src = " ".join(f"{by_n[c].date or ''} {by_n[c].text}" for c in s.citations)
            chk = check_support(s.text, src)
            ok = not chk.hard_fail and chk.coverage >= 0.5
        valid.append(ok)
    return valid


def score_item(item, answer, hit_docs: list[str], claims: list[dict] | None = None,
               retrieval: dict[str, list[str]] | None = None, extractive: str | None = None) -> dict:
    """Per-question verdicts."""
    rec = {"id": item.id, "question": item.question, "type": item.type, "answerable": item.answerable,
           "blind": item.blind, "gold_docs": item.docs, "status": answer.status, "answer": answer.text,
           "p_answerable": answer.p_answerable, "timings": answer.timings, "prompt_tokens": answer.prompt_tokens,
           "retrieved_docs": hit_docs}
    if item.councils:
        rec.update(council_scores(answer.text, answer.refused, item.councils, item.question))
    if item.absent:
        rec["absent"] = item.absent
    rec["recall@5"] = recall_at(hit_docs, item.docs, 5) if item.answerable else None
    outcome = answer_outcome(item, answer)
    rec.update({k: v for k, v in outcome.items() if k not in ("status", "answer")})
    if item.answerable:
        rec["facts_total"] = len(item.facts)
    rec["citations_valid"] = citations_valid(answer)
    rec["sentences_dropped"] = len(answer.dropped)
    rec["dropped"] = [{"text": d.text, "citations": d.citations, "code": d.drop.code.value if d.drop else None,
                       "details": d.drop.details if d.drop else {}, "relevance": d.relevance,
                       "closeness": d.closeness, "about": d.about} for d in answer.dropped]
    rec["kept"] = [{"text": d.text, "citations": d.citations, "relevance": d.relevance, "closeness": d.closeness,
                    "about": d.about} for d in answer.sentences]
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


def comment_attributions(answer, comments: dict[str, list[str]]) -> list[dict]:
    """Answer sentences that rest on a reader's comment rather than on the article's own text.

    A sentence counts when most of its content words come from one comment sentence (coverage >= 0.6, at least
    three shared words) and its cited passages support it less well than that comment does.
    """
    if not comments or answer.refused:
        return []
    by_n = {p.n: p for p in answer.passages}
    found = []
    for s in answer.sentences:
        terms = content_terms(s.text)
        if len(terms) < 3:
            continue
        cited = " ".join(by_n[c].text for c in s.citations if c in by_n)
        cited_cov = check_support(s.text, cited).coverage if cited else 0.0
        hit = _comment_hit(terms, cited_cov, comments)
        if hit is not None:
            found.append({"sentence": s.text, **hit})
    return found


def _comment_hit(terms: set[str], cited_cov: float, comments: dict[str, list[str]]) -> dict | None:
    """The first comment sentence covering the sentence's terms better than its citations do."""
    for doc_id, sents in comments.items():
        for c in sents:
            shared = terms & content_terms(c)
            cov = len(shared) / len(terms)
            if len(shared) >= 3 and cov >= 0.6 and cov > cited_cov:
                return {"comment": c, "doc_id": doc_id, "coverage": round(cov, 3)}
    return None


# --- a run ----------------------------------------------------------------------------------------------------------

def _headline(records: list[dict]) -> dict:
    """Counts, retrieval, key facts, refusals, citations and timings over every question."""
    ans = [r for r in records if r["answerable"]]
    una = [r for r in records if not r["answerable"]]
    cites = [v for r in records for v in r["citations_valid"]]
    totals = [r["timings"].get("total_s") for r in records if r["timings"].get("total_s") is not None and r["status"] == "answered"]
    ftoks = [r["timings"].get("first_token_s") for r in records if r["timings"].get("first_token_s")]
    return {
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


def _faithfulness(records: list[dict]) -> dict:
    """Claim-level faithfulness and citation precision/recall over the checked answers ({} without the checker)."""
    if not any("claims" in r for r in records):
        return {}
    checked = [r for r in records if r.get("claims")]
    claims = [c for r in checked for c in r["claims"]]
    cites_ok = [ok for c in claims for ok in c["citation_supports"]]
    supported = [c for c in claims if c["supported"]]
    return {
        "faithfulness": mean(r["faithfulness"] for r in checked),  # mean over answers
        "claims_checked": len(claims),
        "claims_supported_share": round(len(supported) / len(claims), 4) if claims else None,
        "citation_precision": round(sum(cites_ok) / len(cites_ok), 4) if cites_ok else None,
        "citation_recall": round(sum(c["cited_supported"] for c in supported) / len(supported), 4) if supported else None,
        "answers_fully_faithful": mean(1.0 if r["faithfulness"] == 1.0 else 0.0 for r in checked),
    }


def _retrieval(ans: list[dict]) -> dict | None:
    """Mean recall@k and MRR per retriever over the answerable questions (None without baselines)."""
    with_ret = [r for r in ans if "retrieval" in r]
    if not with_ret:
        return None
    return {name: {**{f"recall@{k}": mean(r["retrieval"][name][f"recall@{k}"] for r in with_ret) for k in KS},
                   "mrr": mean(r["retrieval"][name]["mrr"] for r in with_ret)}
            for name in with_ret[0]["retrieval"]}


def _council_baseline(records: list[dict]) -> dict | None:
    """The answers given with the council filter off, beside the same questions' filtered answers."""
    base = [r for r in records if "no_council_filter" in r]
    if not base:
        return None
    b_ans = [r["no_council_filter"] for r in base if r["answerable"]]
    b_una = [r["no_council_filter"] for r in base if not r["answerable"]]
    return {
        "questions": len(base),
        "key_facts_correct": mean(1.0 if b["facts_all"] else 0.0 for b in b_ans),
        "refusal_accuracy": mean(1.0 if b["refusal_correct"] else 0.0 for b in b_una),
        "false_refusals": sum(1 for b in b_ans if b["false_refusal"]),
        "hallucinated_answers": sum(1 for b in b_una if b["hallucinated_answer"]),
        # the same questions answered with the filter on, for a like-for-like comparison
        "with_filter_key_facts_correct": mean(1.0 if r["facts_all"] else 0.0 for r in base if r["answerable"]),
        "with_filter_refusal_accuracy": mean(1.0 if r["refusal_correct"] else 0.0 for r in base if not r["answerable"]),
    }


def summarise(records: list[dict]) -> dict:
    """The run's summary: headline metrics, faithfulness, retrieval and answer baselines, and the same metrics per
    question type (by_type) and for blind and not-blind questions (by_blind; see eval.qa.groups)."""
    ans = [r for r in records if r["answerable"]]
    out = _headline(records)
    out.update(_faithfulness(records))
    retrieval = _retrieval(ans)
    if retrieval is not None:
        out["retrieval"] = retrieval
    out["answers_attributing_comments"] = sum(1 for r in records if r.get("comment_attributions"))
    baseline = _council_baseline(records)
    if baseline is not None:
        out["no_council_filter_baseline"] = baseline
    ext = [r for r in ans if "extractive_facts_all" in r]
    if ext:
        out["extractive_baseline"] = {
            "key_facts_correct": mean(1.0 if r["extractive_facts_all"] else 0.0 for r in ext),
            "key_facts_partial": mean(r["extractive_facts_found"] / r["facts_total"] if r["facts_total"] else 1.0 for r in ext),
        }
    out["by_type"] = by_type(records, "faithfulness" in out)
    out["by_blind"] = by_blind(records, "faithfulness" in out)
    return out
