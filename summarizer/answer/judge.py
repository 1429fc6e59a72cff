"""Step 6, judge: the faithfulness checker (summarizer.checking) scores each sentence the exact checks kept against
the passages it cites, with the same calibrated score and threshold as `brief eval`; then the model's yes/no on
whether it answers the question."""
from __future__ import annotations

from collections.abc import Iterator

from summarizer.answer import prompts
from summarizer.answer.events import SentenceChecked
from summarizer.answer.gate import YesNoModel
from summarizer.answer.records import AnswerSentence, DropCode, DropReason, Passage
from summarizer.checking.checker import ClaimChecker
from summarizer.llm.interface import yes_probability_or_none


def cited_text(sent: AnswerSentence, passages: list[Passage]) -> str:
    """The passages a sentence cites as the checker reads them: each with the heading the answer prompt showed (the
    councils it is about, its date), so "In Darlington, ..." rests on a Darlington passage."""
    by_n = {p.n: p for p in passages}
    return "\n\n".join(f"{prompts.heading(by_n[n])} {by_n[n].text}" for n in sent.citations if n in by_n)


def _check(sent: AnswerSentence, passages: list[Passage], checker: ClaimChecker) -> None:
    source = cited_text(sent, passages)
    if not source:
        return
    v = checker.check(sent.text, source)
    sent.judge = v.score  # None: exact checks only (no logprobs)
    if v.score is not None and not v.supported:
        sent.reject(DropReason(DropCode.JUDGE_REJECTED, {"score": v.score, "threshold": v.threshold}))


def judge(drafts: list[AnswerSentence], passages: list[Passage], question: str, llm: YesNoModel,
          checker: ClaimChecker | None, relevance_threshold: float = 0.0) -> Iterator[SentenceChecked]:
    """Each draft with its final verdict, in order: a repeat of a kept sentence is dropped; with a checker a kept
    sentence gets its calibrated support score (sentence.judge) and is dropped below the checker's threshold; with
    relevance_threshold > 0 one that does not answer the question is dropped too. A model without logprobs judges
    nothing: the exact checks' verdicts stand (sentence.judge stays None). Drafts are updated in place."""
    seen: set[str] = set()
    for sent in drafts:
        if sent.supported and sent.text.lower() in seen:
            sent.reject(DropReason(DropCode.REPEATED))
        if sent.supported and checker is not None:
            _check(sent, passages, checker)
        if sent.supported and relevance_threshold > 0:
            p = yes_probability_or_none(llm, prompts.relevance_prompt(passages, question, sent.text))
            if p is not None and p < relevance_threshold:
                sent.reject(DropReason(DropCode.OFF_QUESTION, {"p_yes": round(p, 3)}))
        if sent.supported:
            seen.add(sent.text.lower())
        yield SentenceChecked(sent)
