"""Claim-level faithfulness of an answer: each atomic claim checked against its cited passages and against all
retrieved passages by the faithfulness checker (summarizer.checking.checker)."""
from __future__ import annotations

from summarizer.checking.claims import split_claims


def default_checker(service):
    """The faithfulness checker over the service's own model (shared, so the model loads once)."""
    from summarizer.checking.checker import ClaimChecker

    return ClaimChecker(service.llm, cache=True)


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
    by_n = {p.n: p for p in answer.passages}
    all_src = "\n\n".join(passage_source(p) for p in answer.passages)
    claims = _claims_with_cites(answer, by_n)
    jobs: list[tuple[str, str]] = [(c, all_src) for c, _ in claims]
    for c, cites in claims:
        if cites:
            jobs.append((c, "\n\n".join(passage_source(by_n[n]) for n in cites)))
            if len(cites) > 1:
                jobs.extend((c, passage_source(by_n[n])) for n in cites)
    found = checker.check_many(jobs)
    all_verdicts, verdicts = iter(found[:len(claims)]), iter(found[len(claims):])
    out = []
    for c, cites in claims:
        v_all = next(all_verdicts)
        rec = {"claim": c, "citations": cites, "supported": v_all.supported, "score": v_all.score,
               "p_llm": v_all.p_llm, "flags": v_all.flags, "closest": v_all.closest}
        if cites:
            v_cited = next(verdicts)
            per = [next(verdicts).supported for _ in cites] if len(cites) > 1 else [v_cited.supported]
            rec.update(cited_supported=v_cited.supported, cited_score=v_cited.score, citation_supports=per)
        else:
            rec.update(cited_supported=False, cited_score=None, citation_supports=[])
        out.append(rec)
    return out
