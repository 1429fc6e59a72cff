"""Grounded question answering, read top to bottom in Answerer.ask_stream:
retrieve -> gather evidence -> answerable? -> compose (each sentence checked) -> judge -> assemble."""
from __future__ import annotations

import time
from collections.abc import Generator, Iterator
from typing import Protocol

import numpy as np

from retrieval.records import Hit, SearchResult
from retrieval.search import SearchFilters
from retrieval.instructions import has_instructions, strip_instructions
from retrieval.sentences import split_sentences

from summarizer.answer import prompts
from summarizer.answer.prompts import heading  # noqa: F401 - part of this module's API (eval)
from summarizer.answer.question import QuestionError, QuestionTooLong, normalise_question  # noqa: F401
from summarizer.answer.retrieve import NOT_IN_ARTICLES, Retriever, nothing_found, retrieve
from summarizer.answer.cards import with_judgement_cards
from summarizer.answer.compose import SentenceBuffer
from summarizer.answer.check import check_sentence, parse_sentence  # noqa: F401 - re-exported
from summarizer.answer.events import AnswerReady, AskEvent, PassagesFound, SentenceChecked, TokenStreamed
from summarizer.answer.records import Answer, AnswerSentence, DropCode, DropReason, Passage, number_passages
from summarizer.llm.local import LocalLLM
from summarizer.settings import AnswerSettings
from summarizer.support import asks_quantity, content_terms, name_in, names, number_in, numbers, states_quantity

_GENERIC_NAMES = {"Ofsted", "Council", "Children", "Services", "Social", "Inspectors", "Inspection"}


class SentenceEncoder(Protocol):
    def encode(self, texts: list[str]) -> np.ndarray: ...

    def encode_query(self, text: str) -> np.ndarray: ...


def trim_passage(hit: Hit, doc_text: str | None, question: str, qvec: np.ndarray | None,
                 encoder: SentenceEncoder | None, budget: int) -> tuple[str, int, int]:
    """The chunk's most question-relevant run of sentences within budget characters, with its original span."""
    text = hit.chunk.text
    if has_instructions(text):  # an index built before ingest set such text apart: it is still not evidence
        text = strip_instructions(text)
    if len(text) <= budget:
        return text, hit.chunk.start, hit.chunk.end
    spans = split_sentences(text)
    sents = [text[s:e] for s, e in spans]
    qterms = content_terms(question)
    lex = np.array([len(qterms & content_terms(s)) / (len(qterms) or 1) for s in sents])
    if encoder is not None and qvec is not None:
        dense = encoder.encode(sents) @ qvec
    else:
        dense = np.zeros(len(sents))
    score = dense + lex
    keep = {int(np.argmax(score))}
    used = len(sents[next(iter(keep))])
    for i in np.argsort(-score):
        i = int(i)
        if i in keep:
            continue
        if used + len(sents[i]) + 1 > budget:
            continue
        keep.add(i)
        used += len(sents[i]) + 1
    chosen = sorted(keep)
    out, prev = [], None
    for i in chosen:
        if prev is not None and i != prev + 1:
            out.append("…")
        out.append(sents[i])
        prev = i
    first, last = sents[chosen[0]], sents[chosen[-1]]
    start, end = hit.chunk.start, hit.chunk.end
    if doc_text:
        a = doc_text.find(first[:60], hit.chunk.start, hit.chunk.end + 1)
        b = doc_text.find(last[-60:], hit.chunk.start, hit.chunk.end + 1)
        if a >= 0:
            start = a
        if b >= 0:
            end = b + len(last[-60:])
    return " ".join(out), start, end


def question_gaps(question: str, passages: list[Passage], articles: list[str] | None = None) -> list[str]:
    """Years, numbers and names the question asks about that neither the passages nor their articles mention."""
    evidence = " ".join(f"{p.title} {p.date or ''} {p.text}" for p in passages) + " " + " ".join(articles or [])
    # a report is published some months after its inspection: an article dated 2016 may describe a 2015 visit
    years = {int(p.date[:4]) for p in passages if p.date and p.date[:4].isdigit()}
    evidence += " " + " ".join(str(y - 1) for y in years)
    gaps = [n for n in numbers(question) if not number_in(n, evidence)]
    for name in names(question):
        parts = name.split()
        if question.lstrip().startswith(name):  # a sentence-initial word may be a verb ("Ask", "Did")
            parts = parts[1:]
        parts = [w for w in parts if w not in _GENERIC_NAMES]
        if parts and not name_in(" ".join(parts), evidence):
            gaps.append(name)
    return gaps


def render(sentences: list[AnswerSentence]) -> str:
    return " ".join(s.text + "".join(f" [{c}]" for c in s.citations) for s in sentences)


class Answerer:
    """Answers questions from retrieved passages with a local model; never from the model's memory."""

    def __init__(self, retriever: Retriever, llm: LocalLLM, settings: AnswerSettings,
                 encoder: SentenceEncoder | None = None, doc_text=None, document=None) -> None:
        self.retriever = retriever
        self.llm = llm
        self.settings = settings
        self.encoder = encoder
        self.doc_text = doc_text or (lambda doc_id: None)
        self.document = document or (lambda doc_id: None)  # the StoredDocument, for reports' judgement cards

    def passages_for(self, question: str, result: SearchResult) -> list[Passage]:
        """Step 2, gather evidence: trimmed passages (text addressed to a model removed), cards, numbered once."""
        qvec = self.encoder.encode_query(question) if self.encoder is not None else None
        out = []
        for h in result.hits[: self.settings.passages]:
            text, start, end = trim_passage(h, self.doc_text(h.chunk.doc_id), question, qvec, self.encoder,
                                            self.settings.passage_chars)
            out.append(Passage(0, h.chunk.doc_id, h.chunk.id, h.title, text, start, end, h.date, h.source,
                               list(h.chunk.councils)))
        return number_passages(with_judgement_cards(question, out, self.document))

    def fit_context(self, passages: list[Passage], question: str) -> list[Passage]:
        """The passages that fit the model's context with the answer's tokens to spare (the last ones go first)."""
        count = getattr(self.llm, "count_tokens", None) or (lambda t: len(t) // 3)
        ms = self.llm.settings
        room = getattr(ms, "n_ctx", 4096) - ms.max_answer_tokens - self.settings.prompt_margin_tokens
        while len(passages) > 1 and count(prompts.answer_prompt(passages, question)) > room:
            passages = passages[:-1]
        while count(prompts.answer_prompt(passages, question)) > room and len(passages[0].text) > 200:
            passages[0].text = passages[0].text[: len(passages[0].text) * 2 // 3]
        return passages

    def ask(self, question: str, filters: SearchFilters | None = None) -> Answer:
        answer = None
        for ev in self.ask_stream(question, filters):
            if isinstance(ev, AnswerReady):
                answer = ev.answer
        assert answer is not None
        return answer

    def ask_stream(self, question: str, filters: SearchFilters | None = None) -> Iterator[AskEvent]:
        """Events as the answer forms: passages, raw tokens, checked sentences, then the final Answer.

        retrieve -> gather evidence -> answerable? -> compose (checking each sentence) -> judge -> assemble."""
        t0 = time.perf_counter()
        question = normalise_question(question, self.settings.max_question_chars)
        result = retrieve(self.retriever, question, self.settings.passages, filters)
        timings = {"search_s": time.perf_counter() - t0}
        if (early := nothing_found(question, result, timings)) is not None:
            yield AnswerReady(early)
            return
        passages = self.fit_context(self.passages_for(question, result), question)
        yield PassagesFound(passages)
        articles = [strip_instructions(t) for t in dict.fromkeys(self.doc_text(p.doc_id) for p in passages) if t]
        refusal, p_yes = self.gate(question, passages, articles, timings, t0)
        if refusal is not None:
            yield AnswerReady(refusal)
            return
        known = content_terms(" ".join(articles)) | content_terms(" ".join(p.text for p in passages))
        drafts = yield from self.compose(question, passages, known, timings, t0)
        prompt_tokens = self.llm.last.prompt_tokens
        yield from self.judge(drafts, passages, question)
        timings["total_s"] = time.perf_counter() - t0
        yield AnswerReady(assemble(question, drafts, passages, p_yes, timings, prompt_tokens))

    def gate(self, question: str, passages: list[Passage], articles: list[str], timings: dict[str, float],
             t0: float) -> tuple[Answer | None, float | None]:
        """Step 3, answerable? A question word no passage holds, or the model's P(yes) below threshold, refuses."""
        gaps = question_gaps(question, passages, articles)
        if gaps:
            timings["total_s"] = time.perf_counter() - t0
            return Answer(question, "not_in_articles",
                          f"{NOT_IN_ARTICLES} The closest passages do not mention {', '.join(gaps)}.",
                          passages=passages, missing=gaps, timings=timings), None
        p_yes = self.llm.yes_probability(prompts.gate_prompt(passages, question))
        timings["gate_s"] = time.perf_counter() - t0 - timings["search_s"]
        if p_yes >= self.settings.answerable_threshold:
            return None, p_yes
        timings["total_s"] = time.perf_counter() - t0
        return Answer(question, "not_in_articles", f"{NOT_IN_ARTICLES} The closest passages found are shown below.",
                      passages=passages, p_answerable=p_yes, timings=timings,
                      prompt_tokens=self.llm.last.prompt_tokens), p_yes

    def compose(self, question: str, passages: list[Passage], known: set[str], timings: dict[str, float],
                t0: float) -> Generator[AskEvent, None, list[AnswerSentence]]:
        """Steps 4-5, compose and check: stream tokens, exact-check each sentence as it completes."""
        buf, drafts = SentenceBuffer(), []
        check = lambda raw: check_sentence(raw, passages, self.settings.min_support, question, known)  # noqa: E731
        first_token = None
        for tok in self.llm.stream(prompts.answer_prompt(passages, question), self.llm.settings.max_answer_tokens,
                                   stop=["<|im_end|>", "\n\n\n"]):
            first_token = first_token if first_token is not None else time.perf_counter() - t0
            yield TokenStreamed(tok)
            drafts.extend(check(raw) for raw in buf.add(tok))
            texts = [d.text.lower() for d in drafts]
            if len(texts) != len(set(texts)):  # greedy decoding has started to loop
                buf.text = ""
                break
        drafts.extend(check(raw) for raw in buf.flush())
        timings.update(generate_s=time.perf_counter() - t0, first_token_s=first_token or 0.0)
        return drafts

    def judge(self, drafts: list[AnswerSentence], passages: list[Passage], question: str) -> Iterator[AskEvent]:
        """Step 6, judge: the model's yes/no on each kept sentence (cheap: the passages are in its cache)."""
        seen: set[str] = set()
        for sent in drafts:
            if sent.supported and sent.text.lower() in seen:
                sent.reject(DropReason(DropCode.REPEATED))
            if sent.supported and self.settings.judge_threshold > 0:
                p = self.llm.yes_probability(prompts.claim_prompt(passages, question, sent.text, sent.citations))
                sent.judge = round(p, 3)
                if p < self.settings.judge_threshold:
                    sent.reject(DropReason(DropCode.JUDGE_REJECTED, {"p_yes": p}))
            if sent.supported:
                seen.add(sent.text.lower())
            yield SentenceChecked(sent)


def assemble(question: str, drafts: list[AnswerSentence], passages: list[Passage], p_yes: float | None,
             timings: dict[str, float], prompt_tokens: int) -> Answer:
    """Step 7, assemble: the answer from the kept sentences, or a refusal saying why."""
    kept = [d for d in drafts if d.supported]
    dropped = [d for d in drafts if not d.supported]
    common = dict(passages=passages, p_answerable=p_yes, timings=timings, prompt_tokens=prompt_tokens)
    premise = next((d.drop for d in dropped if d.drop and d.drop.code == DropCode.PREMISE), None)
    if premise is not None:  # the model tried to answer the question's premise and the passages do not hold it
        words = ", ".join(repr(w) for w in premise.details["words"])
        return Answer(question, "not_in_articles", f"{NOT_IN_ARTICLES} None of the articles found mentions the "
                      f"question's {words}.", dropped=kept + dropped, **common)
    if kept and asks_quantity(question) and not any(states_quantity(k.text) for k in kept):
        for k in kept:  # the question asks for a number and no checked sentence gives one
            k.reject(DropReason(DropCode.NO_FIGURE))
        dropped, kept = kept + dropped, []
    if not kept:
        return Answer(question, "not_in_articles", f"{NOT_IN_ARTICLES} The closest passages found are shown below.",
                      dropped=dropped, **common)
    return Answer(question, "answered", render(kept), kept, dropped, **common)
