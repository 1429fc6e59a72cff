"""Step 3's evidence, the question's best fragments: each of the top search hits trimmed to its most
question-relevant sentences (text addressed to a model removed), with the judgement cards of reports, numbered once.
The answerable gate reads these short fragments rather than whole documents: over a whole document the small model
says yes to nearly any question about its council (BENCHMARKS.md, fourth session)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from retrieval.instructions import has_instructions, strip_instructions
from retrieval.records import Hit
from retrieval.sentences import split_sentences

from summarizer.answer.cards import with_judgement_cards
from summarizer.answer.evidence import ArticleText, SentenceEncoder
from summarizer.answer.records import Passage, number_passages
from summarizer.answer.spans import ELISION, passage_span
from summarizer.support import content_terms


@dataclass(frozen=True)
class Trimmed:
    """A chunk cut down to its most relevant sentences, with its span in the original article."""

    text: str
    start: int
    end: int


# a sentence right after a relevant one often holds the answer it sets up ("recruiting has been difficult. Senior
# leaders responded by ..."): it scores at least this share of its predecessor's relevance
_CARRY = 0.85


@dataclass(frozen=True)
class Scored:
    """A chunk's text (model-addressed text removed), its sentences and their relevance to the question."""

    hit: Hit
    text: str
    sents: list[str]
    score: np.ndarray

    @property
    def best(self) -> float:
        return float(self.score.max()) if len(self.score) else 0.0


def _score(hit: Hit, question: str, qvec: np.ndarray | None, encoder: SentenceEncoder | None) -> Scored:
    """Each sentence of the chunk scored by meaning and shared words, carried forward one sentence."""
    text = hit.chunk.text
    if has_instructions(text):  # an index built before ingest set such text apart: it is still not evidence
        text = strip_instructions(text)
    sents = [text[a:b] for a, b in split_sentences(text)] or [text]
    qterms = content_terms(question)
    lex = np.array([len(qterms & content_terms(x)) / (len(qterms) or 1) for x in sents])
    dense = encoder.encode(sents) @ qvec if encoder is not None and qvec is not None else np.zeros(len(sents))
    raw = dense + lex
    carried = np.maximum(raw, _CARRY * np.concatenate([[0.0], raw[:-1]]))
    return Scored(hit, text, sents, carried)


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


def trim_passage(scored: Scored, doc_text: str | None, budget: int) -> Trimmed:
    """The chunk's most question-relevant run of sentences within budget characters, with its original span."""
    text, hit = scored.text, scored.hit
    if len(text) > budget:
        out, prev = [], None
        for i in _chosen_sentences(scored.sents, scored.score, budget):
            if prev is not None and i != prev + 1:
                out.append(ELISION)
            out.append(scored.sents[i])
            prev = i
        text = " ".join(out)
    return Trimmed(text, *passage_span(doc_text, text, hit.chunk.start, hit.chunk.end))


def gather_passages(question: str, hits: list[Hit], doc_text: ArticleText, document: Callable[[str], object],
                    encoder: SentenceEncoder | None, budget: int, count: int) -> list[Passage]:
    """The count chunks among the hits whose best sentence bears most on the question (search ranks whole chunks:
    a long chunk holding the answer can rank below shorter near-misses), each trimmed to its most relevant
    sentences, with the judgement cards of reports among them, numbered 1..n."""
    qvec = encoder.encode_query(question) if encoder is not None else None
    unique = list({h.chunk.id: h for h in hits}.values())
    scored = [_score(h, question, qvec, encoder) for h in unique]
    top = sorted(range(len(scored)), key=lambda i: -scored[i].best)[:count] if qvec is not None else \
        list(range(min(count, len(scored))))  # no encoder: search's order
    out = []
    for i in top:
        h, t = scored[i].hit, trim_passage(scored[i], doc_text(scored[i].hit.chunk.doc_id), budget)
        out.append(Passage(0, h.chunk.doc_id, h.chunk.id, h.title, t.text, t.start, t.end, h.date, h.source,
                           list(h.chunk.councils)))
    return number_passages(with_judgement_cards(question, out, document))
