"""Extractive answer lines: a document's own sentences that answer the question, each quoted with its citation.

Code ranks the document's sentences by closeness to the question (shared words and the encoder); the model gives
P(yes) that each of the best few answers the question, over the document's cached prompt prefix. The sentence is
the answer line, so it is never a paraphrase and never cut off. A document about several councils is read council
by council: a sentence belongs to the council it names, and the few after it that name no other council."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from retrieval.sentences import split_sentences

from summarizer.answer import prompts
from summarizer.answer.check import focus_terms
from summarizer.answer.evidence import SentenceEncoder
from summarizer.answer.records import Passage
from summarizer.llm.interface import yes_probability_or_none
from summarizer.support import content_terms, name_in

MIN_WORDS = 5  # shorter lines are headings or fragments, not answers


@dataclass(frozen=True)
class Candidate:
    """One sentence of the shown passages: its text, the passage that holds it, its council, its closeness."""

    text: str
    n: int
    council: str
    score: float = 0.0


@dataclass(frozen=True)
class Extracted:
    """A candidate with the model's P(it answers the question) (None: no logprobs)."""

    candidate: Candidate
    p_yes: float | None

    @property
    def line(self) -> str:
        return f"{self.candidate.text} [{self.candidate.n}]"


def sentences(passages: Sequence[Passage]) -> list[tuple[str, int]]:
    """The passages' sentences in order, each with its passage's number."""
    return [(p.text[a:b].strip(), p.n) for p in passages for a, b in split_sentences(p.text) if p.text[a:b].strip()]


def owners(texts: Sequence[str], councils: Sequence[str], follow: int = 3) -> list[str]:
    """The council each sentence is about: one it names (the document's own when it names that too), carried to
    the next follow sentences that name none; else the document's own council (its first)."""
    if not councils:
        return ["" for _ in texts]
    primary, cur, left, out = councils[0], councils[0], 0, []
    for t in texts:
        named = [c for c in councils if name_in(c, t)]
        if named:
            cur, left = (primary if primary in named else named[0]), follow
        elif left > 0:
            left -= 1
        else:
            cur = primary
        out.append(cur)
    return out


def candidates(question: str, passages: Sequence[Passage], encoder: SentenceEncoder | None, council: str | None,
               top: int) -> list[Candidate]:
    """The top sentences about council (any council when None) by shared question words plus the encoder's
    similarity, best first."""
    sents = sentences(passages)
    about = owners([t for t, _ in sents], passages[0].councils if passages else [])
    pool = [(t, n, c) for (t, n), c in zip(sents, about)
            if len(t.split()) >= MIN_WORDS and (council is None or c == council)]
    if not pool:
        return []
    qterms = focus_terms(question) or content_terms(question)  # the topic, not the framing ("how did ... change")
    score = np.array([len(qterms & content_terms(t)) / (len(qterms) or 1) for t, _, _ in pool])
    if encoder is not None:
        score = score + np.asarray(encoder.encode([t for t, _, _ in pool])) @ encoder.encode_query(question)
    best = np.argsort(-score, kind="stable")[:top]
    return [Candidate(pool[i][0], pool[i][1], pool[i][2], float(score[i])) for i in best]


def judge_candidates(question: str, passages: list[Passage], found: Sequence[Candidate], llm) -> list[Extracted]:
    """Each candidate with the model's P(yes) that it directly answers the question (the relevance prompt, which
    shares the gate's and the answer's prefix), in document order."""
    order = {key: i for i, key in enumerate(sentences(passages))}
    out = [Extracted(c, yes_probability_or_none(llm, prompts.relevance_prompt(passages, question, c.text)))
           for c in found]
    return sorted(out, key=lambda e: order.get((e.candidate.text, e.candidate.n), 0))
