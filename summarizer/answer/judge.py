"""Step 6, judge: the model's yes/no on each sentence the exact checks kept (cheap: the passages are in its cache)."""
from __future__ import annotations

from collections.abc import Iterator

from summarizer.answer import prompts
from summarizer.answer.events import SentenceChecked
from summarizer.answer.gate import YesNoModel
from summarizer.answer.records import AnswerSentence, DropCode, DropReason, Passage
from summarizer.llm.interface import yes_probability_or_none


def judge(drafts: list[AnswerSentence], passages: list[Passage], question: str, llm: YesNoModel,
          threshold: float, relevance_threshold: float = 0.0) -> Iterator[SentenceChecked]:
    """Each draft with its final verdict, in order: a repeat of a kept sentence is dropped; with threshold > 0 a kept
    sentence gets the model's P(yes) (sentence.judge) and is dropped below threshold; with relevance_threshold > 0
    one that does not answer the question is dropped too. A model without logprobs judges nothing: the exact checks'
    verdicts stand (sentence.judge stays None). Drafts are updated in place."""
    seen: set[str] = set()
    for sent in drafts:
        if sent.supported and sent.text.lower() in seen:
            sent.reject(DropReason(DropCode.REPEATED))
        if sent.supported and threshold > 0:
            p = yes_probability_or_none(llm, prompts.claim_prompt(passages, question, sent.text, sent.citations))
            sent.judge = round(p, 3) if p is not None else None  # None: exact check only (no logprobs)
            if p is not None and p < threshold:
                sent.reject(DropReason(DropCode.JUDGE_REJECTED, {"p_yes": p}))
        if sent.supported and relevance_threshold > 0:
            p = yes_probability_or_none(llm, prompts.relevance_prompt(passages, question, sent.text))
            if p is not None and p < relevance_threshold:
                sent.reject(DropReason(DropCode.OFF_QUESTION, {"p_yes": round(p, 3)}))
        if sent.supported:
            seen.add(sent.text.lower())
        yield SentenceChecked(sent)
