"""Grounded question answering, read top to bottom in Answerer.ask_stream:
normalise question -> retrieve -> plan -> gather evidence per document -> answerable? (each part) -> compose (each
sentence checked) -> judge -> assemble. Each step is its own module; this one only wires them."""
from __future__ import annotations

import time
from collections.abc import Callable, Generator, Iterator

from retrieval.instructions import strip_instructions
from retrieval.records import Chunk, SearchResult
from retrieval.search import SearchFilters

from summarizer.answer import prompts  # noqa: F401 - part of this module's API
from summarizer.answer.assemble import assemble, render  # noqa: F401 - render re-exported
from summarizer.answer.cards import with_judgement_cards
from summarizer.answer.check import (check_sentence, focus_terms, parse_sentence, premise_words,  # noqa: F401
                                     question_gaps)
from summarizer.answer.compose import compose
from summarizer.answer.events import AnswerReady, AskEvent, PassagesFound, SentenceChecked
from summarizer.answer.extract import candidates, judge_candidates
from summarizer.answer.evidence import ArticleText, DocEvidence, DocInfo, SentenceEncoder, doc_evidence, fit_context
from summarizer.answer.gate import GateResult, gate
from summarizer.answer.gather import gather_passages
from summarizer.answer.judge import judge
from summarizer.answer.members import member_sentence
from summarizer.answer.plan import Plan, PlanKind, asks_for_points, plan_question
from summarizer.answer.points import FindingsOf, asked_kinds, cited_lines, question_council, select
from summarizer.answer.prompts import heading  # noqa: F401 - part of this module's API (eval)
from summarizer.answer.question import QuestionError, QuestionTooLong, normalise_question  # noqa: F401
from summarizer.answer.records import Answer, AnswerSentence, DropCode, DropReason, Passage, number_passages
from summarizer.answer.retrieve import Retriever, nothing_found, retrieve
from summarizer.llm import interface
from summarizer.checking.checker import ClaimChecker
from summarizer.llm.interface import logprobs_available, yes_probability_or_none
from summarizer.settings import AnswerSettings
from summarizer.support import content_terms, name_in

Drafts = Generator[AskEvent, None, list[AnswerSentence]]


class Answerer:
    """Answers questions from the documents search finds, with a local model; never from the model's memory."""

    def __init__(self, retriever: Retriever, llm: interface.Generator, settings: AnswerSettings,
                 encoder: SentenceEncoder | None = None, doc_text: ArticleText | None = None,
                 document: Callable[[str], object] | None = None,
                 doc_chunks: Callable[[str], list[Chunk]] | None = None, findings: FindingsOf | None = None) -> None:
        self.retriever = retriever
        self.llm = llm
        self.settings = settings
        self.encoder = encoder
        self.doc_text = doc_text or (lambda doc_id: None)
        self.document = document or (lambda doc_id: None)  # the StoredDocument, for reports' judgement cards
        self.doc_chunks = doc_chunks or (lambda doc_id: [])
        self.findings = findings  # a document's classified findings, for why and what-found questions
        self.checker = ClaimChecker(llm) if settings.check_sentences else None  # the one faithfulness checker

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
        s = self.settings
        question = normalise_question(question, s.max_question_chars)
        result = retrieve(self.retriever, question, s.search_hits, filters)
        timings = {"search_s": time.perf_counter() - t0}
        if (early := nothing_found(question, result, timings)) is not None:
            yield AnswerReady(early)
            return
        plan = plan_question(question, result, s.max_docs, s.fallback_docs)
        fragments = self.fragments(question, result) if plan.kind is PlanKind.SINGLE else []
        if fragments and not asks_for_points(question):  # one fact: composed from the fragments the gate reads
            evidence = [DocEvidence(fragments[0].doc_id, fragments, False)]
        else:  # every reason or finding, or each document's part: from whole documents
            evidence = [self.evidence(question, doc_id, result) for doc_id in plan.doc_ids]
        shown = _numbered_globally(evidence)
        timings["evidence_s"] = time.perf_counter() - t0 - timings["search_s"]
        yield PassagesFound(shown)
        docs = dict.fromkeys([*plan.doc_ids, *(p.doc_id for p in shown)])
        known = content_terms(" ".join(self._article(d) for d in docs) + " " + " ".join(p.text for p in shown))
        answer = yield from self._answer(question, plan, evidence, shown, fragments, known, timings, t0)
        answer.exact_check_only = not logprobs_available(self.llm)
        timings["total_s"] = time.perf_counter() - t0
        yield AnswerReady(answer)

    def evidence(self, question: str, doc_id: str, result: SearchResult) -> DocEvidence:
        """Step 2: one document's numbered passages (with a report's judgement card), fitted to the context."""
        hits = [h for h in result.hits if h.chunk.doc_id == doc_id]
        doc = self.document(doc_id)
        info = (DocInfo(doc_id, doc.title, doc.date, doc.source, list(doc.meta.councils)) if doc is not None else
                DocInfo(doc_id, hits[0].title, hits[0].date, hits[0].source, list(hits[0].chunk.councils)))
        chunks = self.doc_chunks(doc_id) or [h.chunk for h in hits]
        ev = doc_evidence(question, info, chunks, self.doc_text(doc_id), {h.chunk.id for h in hits}, self.encoder,
                          self.settings.doc_chars, self.settings.passage_chars)
        passages = number_passages(with_judgement_cards(question, ev.passages, self.document))
        ev.passages = fit_context(passages, question, self.llm, self.settings.prompt_margin_tokens, self.doc_text)
        return ev

    def _article(self, doc_id: str) -> str:
        return strip_instructions(self.doc_text(doc_id) or "")

    def fragments(self, question: str, result: SearchResult) -> list[Passage]:
        """Step 3's evidence: the top hits trimmed to their most relevant sentences, fitted to the context."""
        s = self.settings
        found = gather_passages(question, result.hits, self.doc_text, self.document, self.encoder,
                                s.gate_passage_chars, s.gate_passages)
        return fit_context(found, question, self.llm, s.prompt_margin_tokens, self.doc_text)

    def _answer(self, question: str, plan: Plan, evidence: list[DocEvidence], shown: list[Passage],
                fragments: list[Passage], known: set[str], timings: dict[str, float],
                t0: float) -> Generator[AskEvent, None, Answer]:
        """Steps 3-7: is the question (or which part of it) answered by its best fragments? If so, compose from the
        first evidence that answers (single), every document that does (per document), or every council a
        document supports (list)."""
        if plan.kind is not PlanKind.SINGLE:  # each document is gated on its own evidence
            drafts, p_yes = yield from self._each_document(question, plan, evidence, timings, t0)
            return assemble(question, drafts, shown, p_yes, timings, self.llm.last.prompt_tokens)
        articles = [self._article(d) for d in dict.fromkeys(p.doc_id for p in fragments)]
        g = gate(question, fragments, articles, self.llm, self.settings.answerable_threshold, timings, t0,
                 plan.parts)
        if not g.passed:
            return g.refusal
        drafts = yield from self._single(question, g, evidence, known, timings, t0)
        return assemble(question, drafts, shown, g.p_yes, timings, self.llm.last.prompt_tokens, g.unanswered,
                        premise_refuses=True, parts=plan.parts)

    def _single(self, question: str, g: GateResult, evidence: list[DocEvidence], known: set[str],
                timings: dict[str, float], t0: float) -> Drafts:
        """The answered parts, from the first document whose answer keeps a sentence."""
        asked = question if not g.unanswered else " ".join(g.answered)
        drafts: list[AnswerSentence] = []
        offset = 0
        for ev in evidence:
            if asks_for_points(question) and not g.unanswered:
                drafts += yield from self._points(question, ev, offset, known, timings)
            if not any(d.supported for d in drafts):
                prompt = prompts.answer_prompt(ev.passages, asked, points=asks_for_points(question))
                drafts += yield from self._part(prompt, asked, question, ev, offset, known, timings, t0, None)
            if not any(d.supported for d in drafts):  # every composed sentence dropped: its own sentences that answer
                council = next((c for c in ev.councils if name_in(c, question)), None)
                drafts += yield from self._extract(asked, ev, offset, known, timings, council)
            if any(d.supported for d in drafts):
                break
            offset += len(ev.passages)
        return drafts

    def _each_document(self, question: str, plan: Plan, evidence: list[DocEvidence],
                       timings: dict[str, float], t0: float) -> Generator[AskEvent, None, tuple[list, float | None]]:
        """Per document (each council named) or per list member: every document whose own evidence the model
        says answers; returns the drafts and the best P(yes) (None when no document passed)."""
        drafts: list[AnswerSentence] = []
        offset, best = 0, None
        focus = focus_terms(question)
        every = [self._article(e.doc_id) for e in evidence]  # a part's year or name may be in another document
        held = content_terms(" ".join(every))  # a premise is one no document of the plan holds
        for ev, article in zip(evidence, every):
            known = content_terms(article + " " + " ".join(p.text for p in ev.passages))  # its own words only
            if plan.kind is PlanKind.LIST and focus and not focus & known:  # it holds nothing the list is about
                offset += len(ev.passages)
                continue
            others = [p for e in evidence if e is not ev for p in e.passages[:1]]  # their dates: a side's year
            g = gate(question, ev.passages, every, self.llm, self.settings.answerable_threshold, timings, t0,
                     others=others if plan.kind is PlanKind.PER_DOCUMENT else ())
            if g.passed:
                best = max(best or 0.0, g.p_yes or 0.0)
            if g.passed and plan.kind is PlanKind.LIST:
                for event in self._list_items(question, ev, offset, timings, list(drafts)):
                    drafts.append(event.sentence)
                    yield event
            elif g.passed:
                drafts += yield from self._document_part(question, ev, offset, known | held, timings, t0)
            offset += len(ev.passages)
        return drafts, best

    def _document_part(self, question: str, ev: DocEvidence, offset: int, known: set[str],
                       timings: dict[str, float], t0: float) -> Drafts:
        """One document's part of a question across documents, for each council of it the question names (its own
        when it names none): the findings asked for, else its sentences that answer, else a composed answer."""
        named = [c for c in ev.councils if name_in(c, question)] or ev.councils[:1]
        drafts: list[AnswerSentence] = []
        for council in named or [None]:
            part = (yield from self._points(question, ev, offset, known, timings, council)) \
                if asks_for_points(question) else []
            if not any(d.supported for d in part):
                part += yield from self._extract(question, ev, offset, known, timings, council)
            if not any(d.supported for d in part):  # cited lines: composing over a whole document, the small
                # model drops the citation at each sentence's end (a comparison it writes as a list)
                about = [council] if council else []
                prompt = prompts.answer_prompt(ev.passages, question, about, points=True)
                part += yield from self._part(prompt, question, question, ev, offset, known, timings, t0, about)
            drafts += part
        return drafts

    def _extract(self, question: str, ev: DocEvidence, offset: int, known: set[str], timings: dict[str, float],
                 council: str | None) -> Drafts:
        """The document's sentences about council that the model says answer the question, each quoted with its
        citation and checked like a composed sentence; the others are dropped as off the question."""
        s, t = self.settings, time.perf_counter()
        found = candidates(question, ev.passages, self.encoder, council, s.extract_candidates)
        drafts = []
        if premise_words(question, question, known, min_len=4):  # it asks about what no document holds: no
            return []  # sentence of theirs answers it (a quote never repeats the premise, so its check can't tell)
        judged = judge_candidates(question, ev.passages, found, self.llm)
        for e in judged:
            d = check_sentence(e.line, ev.passages, s.min_support, question, known)
            if d.supported and e.p_yes is not None and e.p_yes < s.extract_threshold:
                d.reject(DropReason(DropCode.OFF_QUESTION, {"p_yes": round(e.p_yes or 0.0, 3)}))
            d.citations = [c + offset for c in d.citations]
            d.about, d.relevance, d.closeness = council or "", e.p_yes, round(e.candidate.score, 3)
            drafts.append(d)
            yield SentenceChecked(d)
        timings["extract_s"] = timings.get("extract_s", 0.0) + time.perf_counter() - t
        return drafts

    def _list_items(self, question: str, ev: DocEvidence, offset: int, timings: dict[str, float],
                    earlier: list[AnswerSentence]) -> Iterator[SentenceChecked]:
        """For a list question: each council the document names that the model says belongs in the answer (and no
        earlier document has already put there), with the sentence of its evidence that says so. The document's
        own council is judged on the whole document; another it names only on the passages that name it, so a
        council mentioned in passing (an improvement partner) is not given the document's findings."""
        named = {d.about for d in earlier if d.supported}
        said = {d.text for d in earlier if d.supported}  # one sentence naming two members is given once
        for i, council in enumerate(ev.councils[: self.settings.list_councils_per_doc]):
            own = ev.passages if i == 0 else ev.naming(council)
            if council in named or not own:
                continue
            g0 = time.perf_counter()
            p = yes_probability_or_none(self.llm, prompts.member_prompt(own, question, council))
            timings["gate_s"] = timings.get("gate_s", 0.0) + time.perf_counter() - g0
            item = member_sentence(question, council, own, i == 0, self.encoder) if p is None or p >= \
                self.settings.answerable_threshold else None  # None: no logprobs, the sentence found decides
            if item is not None and item.text not in said:
                said.add(item.text)
                item.citations = [c + offset for c in item.citations]
                item.judge = round(p, 3) if p is not None else None
                yield SentenceChecked(item)

    def _points(self, question: str, ev: DocEvidence, offset: int, known: set[str], timings: dict[str, float],
                about: str | None = None) -> Drafts:
        """Every finding of the kind asked that the document states about the council asked (the question's, or
        about for one document's part), each quoted with its citation and checked like a composed sentence (points.py);
        [] when there are none (then the model composes)."""
        if self.findings is None or not (kinds := asked_kinds(question, self.llm)):
            return []
        t = time.perf_counter()
        council = about or question_council(question, ev.councils)
        found = select(question, self.findings(ev.doc_id), kinds, council, self.encoder)
        drafts = [check_sentence(line, ev.passages, self.settings.min_support, question, known)
                  for line in cited_lines(found, ev.passages)]
        timings["points_s"] = timings.get("points_s", 0.0) + time.perf_counter() - t
        for d in drafts:
            d.citations = [c + offset for c in d.citations]
            d.about = about or ""
            yield SentenceChecked(d)
        return drafts

    def _part(self, prompt: str, asked: str, question: str, ev: DocEvidence, offset: int, known: set[str],
              timings: dict[str, float], t0: float, about: list[str] | None, max_tokens: int | None = None) -> Drafts:
        """Compose, check and judge one document's answer; citations renumbered to the passages shown."""
        s = self.settings
        check = lambda raw: check_sentence(raw, ev.passages, s.min_support, question, known)  # noqa: E731
        drafts = yield from compose(self.llm, prompt, check, timings, t0, max_tokens)
        for event in judge(drafts, ev.passages, asked, self.llm, self.checker, s.relevance_threshold):
            event.sentence.citations = [c + offset for c in event.sentence.citations]
            event.sentence.about = about[0] if about else ""
            yield SentenceChecked(event.sentence)
        return drafts

    def warm(self, doc_ids: list[str]) -> int:
        """Read each document shown whole into the model's prefix cache, so the first question about it starts at
        once; returns how many were read (a report, shown by its relevant sentences, is not)."""
        result = SearchResult(query="", hits=[], query_councils=[], missing_councils=[])
        done = 0
        for doc_id in doc_ids:
            ev = self.evidence("", doc_id, result)
            if ev.whole and ev.passages:
                yes_probability_or_none(self.llm, prompts.gate_prompt(ev.passages, "?"))
                done += 1
        return done


def _numbered_globally(evidence: list[DocEvidence]) -> list[Passage]:
    """Every document's passages in one list numbered 1..n (what the user sees); each prompt numbers its own
    document's passages from 1, so its prefix is the same whichever documents are shown beside it."""
    out, offset = [], 0
    for ev in evidence:
        for p in ev.passages:
            out.append(Passage(p.n + offset, p.doc_id, p.chunk_id, p.title, p.text, p.start, p.end, p.date, p.source,
                               list(p.councils)))
        offset += len(ev.passages)
    return out
