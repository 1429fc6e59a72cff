"""Step 2, gather evidence: each hit trimmed to its most question-relevant sentences (text addressed to a model
removed), the judgement cards of reports, numbered once; then as many as fit the model's context."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from retrieval.instructions import has_instructions, strip_instructions
from retrieval.records import Hit
from retrieval.sentences import split_sentences

from summarizer.answer import prompts
from summarizer.answer.cards import with_judgement_cards
from summarizer.answer.records import Passage, number_passages
from summarizer.answer.spans import ELISION, passage_span
from summarizer.support import content_terms

ArticleText = Callable[[str], "str | None"]  # doc_id -> the article's text (None when unknown)


class SentenceEncoder(Protocol):
    def encode(self, texts: list[str]) -> np.ndarray: ...

    def encode_query(self, text: str) -> np.ndarray: ...


@dataclass(frozen=True)
class Trimmed:
    """A chunk cut down to its most relevant sentences, with its span in the original article."""

    text: str
    start: int
    end: int


def _chosen_sentences(sents: list[str], score: np.ndarray, budget: int) -> list[int]:
    """Indices (in order) of the best-scoring sentences that fit in budget characters; the best one always."""
    keep = {int(np.argmax(score))}
    used = len(sents[next(iter(keep))])
    for i in map(int, np.argsort(-score)):
        if i in keep or used + len(sents[i]) + 1 > budget:
            continue
        keep.add(i)
        used += len(sents[i]) + 1
    return sorted(keep)


def trim_passage(hit: Hit, doc_text: str | None, question: str, qvec: np.ndarray | None,
                 encoder: SentenceEncoder | None, budget: int) -> Trimmed:
    """The chunk's most question-relevant run of sentences within budget characters, with its original span."""
    text = hit.chunk.text
    if has_instructions(text):  # an index built before ingest set such text apart: it is still not evidence
        text = strip_instructions(text)
    if len(text) > budget:
        sents = [text[s:e] for s, e in split_sentences(text)]
        qterms = content_terms(question)
        lex = np.array([len(qterms & content_terms(s)) / (len(qterms) or 1) for s in sents])
        dense = encoder.encode(sents) @ qvec if encoder is not None and qvec is not None else np.zeros(len(sents))
        out, prev = [], None
        for i in _chosen_sentences(sents, dense + lex, budget):
            if prev is not None and i != prev + 1:
                out.append(ELISION)
            out.append(sents[i])
            prev = i
        text = " ".join(out)
    return Trimmed(text, *passage_span(doc_text, text, hit.chunk.start, hit.chunk.end))


def gather_passages(question: str, hits: list[Hit], doc_text: ArticleText, document: Callable[[str], object],
                    encoder: SentenceEncoder | None, budget: int) -> list[Passage]:
    """The hits as trimmed passages, with the judgement cards of reports among them, numbered 1..n."""
    qvec = encoder.encode_query(question) if encoder is not None else None
    out = []
    for h in hits:
        t = trim_passage(h, doc_text(h.chunk.doc_id), question, qvec, encoder, budget)
        out.append(Passage(0, h.chunk.doc_id, h.chunk.id, h.title, t.text, t.start, t.end, h.date, h.source,
                           list(h.chunk.councils)))
    return number_passages(with_judgement_cards(question, out, document))


def fit_context(passages: list[Passage], question: str, llm, margin_tokens: int,
                doc_text: ArticleText = lambda doc_id: None) -> list[Passage]:
    """The passages that fit the model's context with the answer's tokens to spare (the last ones go first; the
    first is shortened when alone it is too long, and its span follows its text)."""
    count = getattr(llm, "count_tokens", None) or (lambda t: len(t) // 3)
    ms = llm.settings
    room = getattr(ms, "n_ctx", 4096) - ms.max_answer_tokens - margin_tokens
    while len(passages) > 1 and count(prompts.answer_prompt(passages, question)) > room:
        passages = passages[:-1]
    first = passages[0] if passages else None
    while first is not None and count(prompts.answer_prompt(passages, question)) > room and len(first.text) > 200:
        first.text = first.text[: len(first.text) * 2 // 3]
        first.start, first.end = passage_span(doc_text(first.doc_id), first.text, first.start, first.end)
    return passages
