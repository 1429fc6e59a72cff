"""Why and what-found questions answered from the document's classified findings: the weaknesses (or strengths, or
actions) the summarizer labelled sentence by sentence, each quoted and cited, so an answer gives every reason the
document gives and never a council's reply as a reason. The kind asked for is read from the model's logits over
the question; which findings answer it is decided by their closeness to the question, relative to the closest."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from retrieval.instructions import neutralise_chat_tokens

from summarizer.answer.evidence import SentenceEncoder
from summarizer.answer.records import Passage
from summarizer.llm.backends import chatml
from summarizer.llm.errors import NoLogprobs
from summarizer.llm.interface import logprobs_available
from summarizer.support import name_in

KINDS: tuple[str, ...] = ("weakness", "strength", "action")


@dataclass(frozen=True)
class DocFinding:
    """One classified finding of a document: its kind, the council it is about and its span in the text."""

    kind: str
    council: str
    start: int
    end: int
    text: str


FindingsOf = Callable[[str], list[DocFinding]]  # doc_id -> its findings (stored summary, or labelled on demand)

_KIND_PROMPT = ("Question: {q}\nDoes the question ask for problems or failings that were found (weakness), for "
                "good points or progress that were found (strength), or for what must or will be done to improve "
                "(action)? Answer with one word: weakness, strength or action.")


def asked_kinds(question: str, llm) -> list[str]:
    """The kind of finding the question asks for (the two most probable when the first is under 0.6); [] when the
    model cannot give label probabilities."""
    score = getattr(llm, "choice_probabilities", None)
    if score is None or not logprobs_available(llm):
        return []
    try:
        probs = score(chatml("You classify questions.", _KIND_PROMPT.format(q=neutralise_chat_tokens(question))), KINDS)
    except NoLogprobs:  # a server that gives none: the model composes instead
        return []
    ranked = sorted(KINDS, key=lambda k: -probs[k])
    return ranked[:1] if probs[ranked[0]] >= 0.6 else ranked[:2]


def select(question: str, findings: Sequence[DocFinding], kinds: Sequence[str], council: str | None,
           encoder: SentenceEncoder | None, margin: float = 0.4, limit: int = 12) -> list[DocFinding]:
    """The findings of the kinds asked about the council that answer the question: those whose similarity to the
    question is within margin of the closest one's (a general question keeps most, a narrow one its few), at most
    limit, in document order."""
    mine = [f for f in findings if f.kind in kinds and (council is None or f.council == council)]
    if len(mine) <= 1 or encoder is None:
        return mine[:limit]
    sims = np.asarray(encoder.encode([f.text for f in mine])) @ encoder.encode_query(question)
    keep = [i for i in np.argsort(-sims)[:limit] if sims[i] >= sims.max() - margin]
    return [mine[i] for i in sorted(keep)]


def cited_lines(found: Sequence[DocFinding], passages: Sequence[Passage]) -> list[str]:
    """Each finding as an answer line citing the shown passage that holds its span (skipped when none does)."""
    lines = []
    for f in found:
        holder = next((p for p in passages if p.start <= f.start and f.end <= p.end), None)
        holder = holder or next((p for p in passages if p.start < f.end and f.start < p.end), None)
        if holder is not None:
            lines.append(f"{f.text} [{holder.n}]")
    return lines


def question_council(question: str, councils: Sequence[str]) -> str | None:
    """The document's council the question names (None when it names none of them)."""
    return next((c for c in councils if name_in(c, question)), None)
