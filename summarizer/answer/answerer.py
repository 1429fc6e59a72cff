"""Grounded question answering: retrieve, gate, generate with citations, and check every sentence."""
from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

import numpy as np

from retrieval.records import Hit, SearchResult
from retrieval.search import SearchFilters
from retrieval.sentences import split_sentences

from summarizer.answer.answerer import prompts
from summarizer.answer.cards import card_conflict, with_judgement_cards
from summarizer.llm.local import LocalLLM
from summarizer.answer.events import AnswerReady, AskEvent, PassagesFound, SentenceChecked, TokenStreamed
from summarizer.answer.records import Answer, AnswerSentence, Passage
from summarizer.settings import AnswerSettings
from summarizer.support import (asks_quantity, check_support, content_terms, name_in, names, number_in, numbers,
                     states_quantity, years)

NOT_IN_ARTICLES = "The articles don't say."
_CITE = re.compile(r"\s*\[(\d+(?:\s*(?:,|and|&)\s*\d+)*)\]")
_CITE_AFTER_STOP = re.compile(r"([.!?])\s*((?:\[\d+[^\]]*\]\s*)+)")
_GENERIC_NAMES = {"Ofsted", "Council", "Children", "Services", "Social", "Inspectors", "Inspection"}
# how a question frames what it asks (speech, naming, the articles themselves): an answer repeating one of these has
# not repeated an unsupported premise ("Who spoke for..." is answered by a passage where someone "said")
_FRAMING_WORDS = ("say said says spoke speak speaking call called calls sign signed want wanted wants name named "
                  "names mention mentioned mentions tell told article "
                  "articles report reported reports")


class Retriever(Protocol):
    """What the answerer needs from retrieval (and nothing more)."""

    def search(self, query: str, k: int | None = None, filters: SearchFilters | None = None) -> SearchResult: ...


class SentenceEncoder(Protocol):
    def encode(self, texts: list[str]) -> np.ndarray: ...

    def encode_query(self, text: str) -> np.ndarray: ...


def heading(p: Passage) -> str:
    """What the model is told about a passage: the councils it is about and its date (titles are not evidence)."""
    return f"({', '.join(p.councils[:3]) or 'article'}; {p.date or 'undated'})"


def trim_passage(hit: Hit, doc_text: str | None, question: str, qvec: np.ndarray | None,
                 encoder: SentenceEncoder | None, budget: int) -> tuple[str, int, int]:
    """The chunk's most question-relevant run of sentences within budget characters, with its original span."""
    text = hit.chunk.text
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


@lru_cache(maxsize=1)
def _framing_terms() -> frozenset[str]:
    return frozenset(content_terms(_FRAMING_WORDS))


def parse_sentence(raw: str) -> tuple[str, list[int]]:
    """Split a generated sentence into its text and cited passage numbers."""
    cites: list[int] = []
    for m in _CITE.finditer(raw):
        cites.extend(int(x) for x in re.findall(r"\d+", m.group(1)))
    text = _CITE.sub("", raw).strip()
    text = re.sub(r"\s+([.,;:])", r"\1", text)
    return text, list(dict.fromkeys(cites))


def _verdict(text: str, cited: list[Passage], min_support: float) -> tuple[str, float]:
    """Why the cited passages fail to support text ('' when they support it), and the word coverage."""
    source = " ".join(f"{p.date or ''} {p.text}" for p in cited)  # titles are ours, not evidence
    chk = check_support(text, source)
    if chk.missing_numbers:
        return f"numbers not in the cited passages: {', '.join(chk.missing_numbers)}", chk.coverage
    if chk.missing_grades:
        return f"judgement not in the cited passages: {', '.join(chk.missing_grades)}", chk.coverage
    if chk.missing_names:
        return f"names not in the cited passages: {', '.join(chk.missing_names)}", chk.coverage
    if chk.coverage < min_support:
        return f"only {chk.coverage:.0%} of its words are in the cited passages", chk.coverage
    return "", chk.coverage


def check_sentence(raw: str, passages: list[Passage], min_support: float, question: str = "",
                   known_terms: set[str] | None = None) -> AnswerSentence:
    """Keep a sentence only if its cited passages contain its numbers, names and most of its words.

    A sentence that cites the wrong passage (or none) is re-cited when one shown passage clearly supports it.
    A word the sentence takes from the question that neither the passages nor their articles contain is the question's premise
    repeated without evidence, so it sinks the sentence too.
    """
    text, cites = parse_sentence(raw)
    if len(re.findall(r"[A-Za-z]{2,}", text)) < 2:
        return AnswerSentence(text, cites, False, 0.0, "not a sentence")
    if question:
        # known_terms: the passages' and their articles' words, computed once per answer by the caller
        everywhere = known_terms if known_terms is not None else content_terms(" ".join(p.text for p in passages))
        premise = sorted((content_terms(text) & content_terms(question)) - everywhere - _framing_terms())
        if premise:
            shown = [w for w in re.findall(r"[A-Za-z][\w'’-]*", question) if content_terms(w) & set(premise)]
            return AnswerSentence(text, cites, False, 0.0,
                                  f"repeats the question's {', '.join(repr(w) for w in dict.fromkeys(shown))}, "
                                  "which no article found mentions")
        asked, stated = years(question), years(text)
        if asked and stated and all(min(asked) - 1 > y or y > max(asked) + 1 for y in stated):
            return AnswerSentence(text, cites, False, 0.0,
                                  f"is about {', '.join(map(str, sorted(stated)))}, not the "
                                  f"{', '.join(map(str, sorted(asked)))} the question asks about")
    by_n = {p.n: p for p in passages}
    valid = [c for c in cites if c in by_n]
    why, coverage = _verdict(text, [by_n[c] for c in valid], min_support) if valid else ("no citation", 0.0)
    # a misread judgement table is wrong whichever passage it cites: another passage must not "rescue" it
    misread = card_conflict(text, passages, valid)
    if misread:
        return AnswerSentence(text, valid, False, coverage, misread)
    if not why:
        note = "citation to a passage that does not exist was removed" if valid != cites else ""
        return AnswerSentence(text, valid, True, coverage, note)
    # a clear match in another single passage: correct the citation rather than lose a supported sentence
    strict = max(min_support, 0.7)
    best = None
    for p in passages:
        if p.n in valid:
            continue
        reason, cov = _verdict(text, [p], strict)
        if not reason and (best is None or cov > best[1]):
            best = (p.n, cov)
    if best is not None:
        note = "citation added by the checker" if not valid else f"citation corrected by the checker (was {valid})"
        return AnswerSentence(text, [best[0]], True, best[1], note)
    return AnswerSentence(text, valid, False, coverage, why)


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
        qvec = self.encoder.encode_query(question) if self.encoder is not None else None
        out = []
        for i, h in enumerate(result.hits[: self.settings.passages], 1):
            text, start, end = trim_passage(h, self.doc_text(h.chunk.doc_id), question, qvec, self.encoder,
                                            self.settings.passage_chars)
            out.append(Passage(i, h.chunk.doc_id, h.chunk.id, h.title, text, start, end, h.date, h.source,
                               list(h.chunk.councils)))
        return out

    def _judge(self, sent: AnswerSentence, pairs: list[tuple[str, str]], question: str) -> None:
        """The model's own yes/no on a checked sentence; cheap because the passages are already in its cache."""
        p = self.llm.yes_probability(prompts.claim_prompt(pairs, question, sent.text, sent.citations))
        sent.judge = round(p, 3)
        if p < self.settings.judge_threshold:
            sent.supported = False
            sent.note = f"the model judged it unsupported by its passages (P(yes)={p:.2f})"

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
        question = question.strip()
        result = self.retriever.search(question, k=max(self.settings.passages, 5), filters=filters)
        t_search = time.perf_counter() - t0
        if result.missing_councils and not result.hits:
            names_ = ", ".join(result.missing_councils)
            yield AnswerReady(Answer(question, "council_not_covered",
                           f"The articles don't cover {names_}, so they can't answer this.",
                           missing=result.missing_councils, timings={"search_s": t_search, "total_s": t_search}))
            return
        if not result.hits:
            yield AnswerReady(Answer(question, "not_in_articles", NOT_IN_ARTICLES + " No passage matched the question.",
                           timings={"search_s": t_search, "total_s": t_search}))
            return
        passages = with_judgement_cards(question, self.passages_for(question, result), self.document)
        yield PassagesFound(passages)
        pairs = [(heading(p), p.text) for p in passages]
        articles = [t for t in dict.fromkeys(self.doc_text(p.doc_id) for p in passages) if t]
        gaps = question_gaps(question, passages, articles)
        timings = {"search_s": t_search}
        if gaps:
            timings["total_s"] = time.perf_counter() - t0
            yield AnswerReady(Answer(question, "not_in_articles",
                           f"{NOT_IN_ARTICLES} The closest passages do not mention {', '.join(gaps)}.",
                           passages=passages, missing=gaps, timings=timings))
            return
        p_yes = self.llm.yes_probability(prompts.gate_prompt(pairs, question))
        timings["gate_s"] = time.perf_counter() - t0 - t_search
        if p_yes < self.settings.answerable_threshold:
            timings["total_s"] = time.perf_counter() - t0
            yield AnswerReady(Answer(question, "not_in_articles",
                           f"{NOT_IN_ARTICLES} The closest passages found are shown below.",
                           passages=passages, p_answerable=p_yes, timings=timings,
                           prompt_tokens=self.llm.last.prompt_tokens))
            return
        # once per answer, not once per sentence: every word of the passages shown and of their articles
        known_terms = content_terms(" ".join(articles)) | content_terms(" ".join(p.text for p in passages))
        kept: list[AnswerSentence] = []
        dropped: list[AnswerSentence] = []
        drafts: list[AnswerSentence] = []
        buf = ""
        first_token = None

        def settle(final: bool) -> None:
            """Move complete sentences (with their citations) from the buffer to drafts, exact-checked."""
            nonlocal buf
            buf = _CITE_AFTER_STOP.sub(lambda m: " " + m.group(2).strip() + m.group(1) + " ", buf)
            spans = split_sentences(buf)
            done = spans if final else spans[:-1]
            for s, e in done:
                raw = buf[s:e]
                if raw.strip() and re.search(r"\w", raw):
                    drafts.append(check_sentence(raw, passages, self.settings.min_support, question, known_terms))
            if done:
                buf = buf[done[-1][1]:] if not final else ""

        for tok in self.llm.stream(prompts.answer_prompt(pairs, question), self.llm.settings.max_answer_tokens,
                                   stop=["<|im_end|>", "\n\n\n"]):
            if first_token is None:
                first_token = time.perf_counter() - t0
            buf += tok
            yield TokenStreamed(tok)
            if re.search(r"[.!?]\s*(\[\d+[^\]]*\]\s*)*\s[^\s\[]", buf) or "\n" in buf:
                settle(False)
                texts = [d.text.lower() for d in drafts]
                if len(texts) != len(set(texts)):  # greedy decoding has started to loop
                    buf = ""
                    break
        settle(True)
        stats = self.llm.last
        timings["generate_s"] = time.perf_counter() - t0
        # the model's own check runs after generation: one context cannot judge while it writes
        seen: set[str] = set()
        for sent in drafts:
            if sent.supported and sent.text.lower() in seen:
                sent.supported, sent.note = False, "repeats an earlier sentence"
            if sent.supported and self.settings.judge_threshold > 0:
                self._judge(sent, pairs, question)
            if sent.supported:
                seen.add(sent.text.lower())
            (kept if sent.supported else dropped).append(sent)
            yield SentenceChecked(sent)
        timings.update(first_token_s=first_token or 0.0, total_s=time.perf_counter() - t0)
        premise = [d for d in dropped if d.note.startswith("repeats the question's")]
        if premise:  # the model tried to answer the question's premise and the passages do not hold it
            yield AnswerReady(Answer(question, "not_in_articles",
                           f"{NOT_IN_ARTICLES} None of the articles found mentions the question's "
                           f"{premise[0].note.split('question' + chr(39) + 's ')[1].split(', which')[0]}.",
                           dropped=kept + dropped, passages=passages, p_answerable=p_yes, timings=timings,
                           prompt_tokens=stats.prompt_tokens))
            return
        if kept and asks_quantity(question) and not any(states_quantity(k.text) for k in kept):
            # the question asks for a number and no checked sentence gives one: what was said does not answer it
            for k in kept:
                k.supported, k.note = False, "no figure, and the question asks for one"
            dropped, kept = kept + dropped, []
        if not kept:
            yield AnswerReady(Answer(question, "not_in_articles",
                           f"{NOT_IN_ARTICLES} The closest passages found are shown below.", dropped=dropped,
                           passages=passages, p_answerable=p_yes, timings=timings, prompt_tokens=stats.prompt_tokens))
            return
        yield AnswerReady(Answer(question, "answered", render(kept), kept, dropped, passages, p_yes,
                                        timings=timings, prompt_tokens=stats.prompt_tokens))
