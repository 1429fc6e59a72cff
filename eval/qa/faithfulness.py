"""Claim-level faithfulness of an answer: each atomic claim checked against its cited passages and against all
retrieved passages by the faithfulness checker (eval/checker/judge.py)."""
from __future__ import annotations

from eval.claims import split_claims


def default_checker(service):
    """The faithfulness checker over the service's own model (shared, so the model loads once)."""
    from eval.checker.judge import FaithfulnessChecker

    return FaithfulnessChecker(service.llm)


def passage_source(p) -> str:
    """A passage as the checker sees it: heading (title, date) then text."""
    head = p.title + (f" ({p.date})" if p.date else "")
    return f"{head}: {p.text}"


def _claims_with_cites(answer, by_n: dict) -> list[tuple[str, list[int]]]:
    """Every atomic claim of the kept sentences, with the citations of its sentence that name shown passages."""
    claims = []
    for s in answer.sentences:
        cites = [c for c in s.citations if c in by_n]
        for c in split_claims(s.text) or [s.text]:
            claims.append((c, cites))
    return claims


def check_answer_claims(answer, checker) -> list[dict]:
    """Each atomic claim of the answer checked against its cited passages and against all retrieved passages."""
    if answer.refused or not answer.sentences or checker is None:
        return []
    from summarizer.answer.prompts import passages_block

    from eval.checker.judge import passages_support_prompt

    by_n = {p.n: p for p in answer.passages}
    # all retrieved passages, numbered exactly as the answer prompt showed them (so the model's KV cache is reused)
    all_src = passages_block(answer.passages)
    claims = _claims_with_cites(answer, by_n)
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
