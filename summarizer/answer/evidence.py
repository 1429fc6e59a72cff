"""Step 2, gather evidence per document: a short document whole, a long one's sentences that bear on the question
from across it, as passages of a few adjacent sentences numbered from 1 within the document.

A whole document's passages do not depend on the question, so its prompt prefix (system text and passages) is the
same for every question about it and the model's cache of that prefix is reused (summarizer.llm.prefix_cache)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from retrieval.instructions import has_instructions, strip_instructions
from retrieval.records import Chunk
from retrieval.sentences import split_sentences

from summarizer.answer import prompts
from summarizer.answer.records import Passage
from summarizer.answer.spans import passage_span
from summarizer.support import content_terms, name_in

ArticleText = Callable[[str], "str | None"]  # doc_id -> the article's text (None when unknown)
LEXICAL_CANDIDATES = 60  # a long document's sentences scored by the encoder: the best by shared words, plus hits'


class SentenceEncoder(Protocol):
    def encode(self, texts: list[str]) -> np.ndarray: ...

    def encode_query(self, text: str) -> np.ndarray: ...


@dataclass(frozen=True)
class Sentence:
    """One body sentence of a document, with the chunk it came from (its span hint in the original)."""

    text: str
    chunk: Chunk


@dataclass
class DocEvidence:
    """One document's passages (numbered 1..m), and whether they are the whole document."""

    doc_id: str
    passages: list[Passage]
    whole: bool

    @property
    def councils(self) -> list[str]:
        return self.passages[0].councils if self.passages else []

    def naming(self, council: str) -> list[Passage]:
        """The passages that name council: the evidence for a council the document mentions beside its own."""
        return [p for p in self.passages if name_in(council, p.text)]


def doc_sentences(chunks: list[Chunk]) -> list[Sentence]:
    """The document's body sentences in order, each once (chunks overlap by a sentence), without text addressed to
    a model (never evidence)."""
    out: list[Sentence] = []
    for c in sorted(chunks, key=lambda c: c.ordinal):
        if c.role != "body":
            continue
        text = strip_instructions(c.text) if has_instructions(c.text) else c.text
        for s, e in split_sentences(text):
            sent = text[s:e].strip()
            if sent and sent not in {x.text for x in out[-3:]}:
                out.append(Sentence(sent, c))
    return out


def _scores(question: str, sents: list[Sentence], hit_chunks: set[str], encoder: SentenceEncoder | None) -> np.ndarray:
    """How much each sentence bears on the question: shared content words, plus the encoder's similarity for the
    best lexical candidates and the sentences of chunks search found (the rest score by words alone)."""
    qterms = content_terms(question)
    lex = np.array([len(qterms & content_terms(s.text)) / (len(qterms) or 1) for s in sents])
    if encoder is None:
        return lex
    cand = set(map(int, np.argsort(-lex)[:LEXICAL_CANDIDATES])) | {
        i for i, s in enumerate(sents) if s.chunk.id in hit_chunks}
    idx = sorted(cand)
    dense = np.zeros(len(sents))
    dense[idx] = encoder.encode([sents[i].text for i in idx]) @ encoder.encode_query(question)
    return lex + dense


def select(sents: list[Sentence], score: np.ndarray, budget: int) -> list[int]:
    """Indices (in document order) of the best-scoring sentences that fit in budget characters."""
    keep: list[int] = []
    used = 0
    for i in map(int, np.argsort(-score, kind="stable")):
        if used + len(sents[i].text) + 1 <= budget:
            keep.append(i)
            used += len(sents[i].text) + 1
    return sorted(keep)


def _group(sents: list[Sentence], chosen: list[int], passage_chars: int) -> list[list[Sentence]]:
    """Adjacent chosen sentences of one chunk as passages of at most passage_chars (one sentence may be longer)."""
    groups: list[list[Sentence]] = []
    prev = None
    for i in chosen:
        s = sents[i]
        cur = groups[-1] if groups else None
        fits = cur is not None and sum(len(x.text) + 1 for x in cur) + len(s.text) <= passage_chars
        if cur is not None and prev == i - 1 and cur[-1].chunk.id == s.chunk.id and fits:
            cur.append(s)
        else:
            groups.append([s])
        prev = i
    return groups


@dataclass(frozen=True)
class DocInfo:
    """What a passage carries about its document (from the stored document, or a search hit)."""

    id: str
    title: str
    date: str | None
    source: str | None
    councils: list[str]


def doc_evidence(question: str, doc: DocInfo, chunks: list[Chunk], doc_text: str | None, hit_chunks: set[str],
                 encoder: SentenceEncoder | None, budget: int, passage_chars: int) -> DocEvidence:
    """The document's evidence for the question: all of it when it fits budget characters, else its sentences that
    bear most on the question, from across the document."""
    sents = doc_sentences(chunks)
    whole = sum(len(s.text) + 1 for s in sents) <= budget
    chosen = list(range(len(sents))) if whole else select(sents, _scores(question, sents, hit_chunks, encoder), budget)
    passages = []
    for n, group in enumerate(_group(sents, chosen, passage_chars), 1):
        text = " ".join(s.text for s in group)
        c = group[0].chunk
        start, end = passage_span(doc_text, text, c.start, group[-1].chunk.end)
        passages.append(Passage(n, doc.id, c.id, doc.title, text, start, end, doc.date, doc.source,
                                list(doc.councils or c.councils)))
    return DocEvidence(doc.id, passages, whole)




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
