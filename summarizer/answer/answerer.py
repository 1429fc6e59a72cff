"""Grounded question answering, read top to bottom in Answerer.ask_stream:
normalise question -> retrieve -> gather evidence -> fit context -> answerable? -> compose (each sentence checked)
-> judge -> assemble. Each step is its own module; this one only wires them."""
from __future__ import annotations

import time
from collections.abc import Callable, Iterator

from retrieval.instructions import strip_instructions
from retrieval.records import SearchResult
from retrieval.search import SearchFilters

from summarizer.answer import prompts  # noqa: F401 - part of this module's API
from summarizer.answer.assemble import assemble, render  # noqa: F401 - render re-exported
from summarizer.answer.check import check_sentence, parse_sentence, question_gaps  # noqa: F401 - re-exported
from summarizer.answer.compose import compose
from summarizer.answer.events import AnswerReady, AskEvent, PassagesFound
from summarizer.answer.gate import gate
from summarizer.answer.gather import (ArticleText, SentenceEncoder, fit_context, gather_passages,  # noqa: F401
                                      trim_passage)
from summarizer.answer.judge import judge
from summarizer.answer.prompts import heading  # noqa: F401 - part of this module's API (eval)
from summarizer.answer.question import QuestionError, QuestionTooLong, normalise_question  # noqa: F401
from summarizer.answer.records import Answer, Passage
from summarizer.answer.retrieve import Retriever, nothing_found, retrieve
from summarizer.llm.local import LocalLLM
from summarizer.settings import AnswerSettings
from summarizer.support import content_terms


class Answerer:
    """Answers questions from retrieved passages with a local model; never from the model's memory."""

    def __init__(self, retriever: Retriever, llm: LocalLLM, settings: AnswerSettings,
                 encoder: SentenceEncoder | None = None, doc_text: ArticleText | None = None,
                 document: Callable[[str], object] | None = None) -> None:
        self.retriever = retriever
        self.llm = llm
        self.settings = settings
        self.encoder = encoder
        self.doc_text = doc_text or (lambda doc_id: None)
        self.document = document or (lambda doc_id: None)  # the StoredDocument, for reports' judgement cards

    def passages_for(self, question: str, result: SearchResult) -> list[Passage]:
        """Step 2, gather evidence (summarizer.answer.gather) from the first settings.passages hits."""
        return gather_passages(question, result.hits[: self.settings.passages], self.doc_text, self.document,
                               self.encoder, self.settings.passage_chars)

    def fit_context(self, passages: list[Passage], question: str) -> list[Passage]:
        """The passages that fit the model's context with the answer's tokens to spare."""
        return fit_context(passages, question, self.llm, self.settings.prompt_margin_tokens, self.doc_text)

    def ask(self, question: str, filters: SearchFilters | None = None) -> Answer:
        answer = None
        for ev in self.ask_stream(question, filters):
            if isinstance(ev, AnswerReady):
                answer = ev.answer
        assert answer is not None
        return answer

    def ask_stream(self, question: str, filters: SearchFilters | None = None) -> Iterator[AskEvent]:
        """Events as the answer forms: passages, raw tokens, checked sentences, then the final Answer."""
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
        gated = gate(question, passages, articles, self.llm, self.settings.answerable_threshold, timings, t0)
        if gated.refusal is not None:
            yield AnswerReady(gated.refusal)
            return
        known = content_terms(" ".join(articles)) | content_terms(" ".join(p.text for p in passages))
        check = lambda raw: check_sentence(raw, passages, self.settings.min_support, question, known)  # noqa: E731
        drafts = yield from compose(self.llm, question, passages, check, timings, t0)
        prompt_tokens = self.llm.last.prompt_tokens
        yield from judge(drafts, passages, question, self.llm, self.settings.judge_threshold)
        timings["total_s"] = time.perf_counter() - t0
        yield AnswerReady(assemble(question, drafts, passages, gated.p_yes, timings, prompt_tokens))
