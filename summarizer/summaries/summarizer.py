"""Structured summary of one article or inspection report.

The model only writes short statements, each with a short verbatim quote; code turns quotes into sentence spans of
the original text and checks every item (evidence.py). Items that fail are regenerated once, then dropped with the
reason recorded in the record's ``dropped`` list. Report grades, dates, lead inspector and the improvement list are
read by code from the report itself (code_entries.py); the model reads only the headline findings. Articles covering
several councils are split by council (one entry each); parts longer than ``part_chars`` are summarised in pieces
and merged (parts.py).
"""
from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from retrieval.ofsted import GRADE_EVIDENCE
from retrieval.store import StoredDocument

from summarizer.checking.checker import ClaimChecker
from summarizer.llm.backends import Backend, BackendError, BackendUnavailable
from summarizer.summaries.code_entries import code_judgement, inspection_kind, report_entry_from_code
from summarizer.summaries.evidence import DocText, check_item, doc_text, ground, span
from summarizer.summaries.figures import code_figures
from summarizer.summaries.distilled import Encode, remembering, shipped_labeller
from summarizer.summaries.findings import (DeepRead, FindingRule, LabelModel, add_findings, candidate_sentences,
                                          statement)
from summarizer.summaries.model_checks import checked_person, model_judgements
from summarizer.summaries.parts import Part, council_parts, split_part
from summarizer.summaries.report_overview import overview_sentences
from summarizer.summaries.report_parts import AREA_CHARS, HEADLINE_CHARS, area_sections, finding_spans, report_headline
from summarizer.summaries.schema import (AREAS, ITEM_SCHEMA, PROMPT_VERSION, ArticleSummary, CouncilEntry, DroppedItem,
                                         Item, Span, SummaryStats, extraction_schema)
from summarizer.support import number_words_pattern, numbers

log = logging.getLogger("brief.summaries")

SYSTEM = ("You extract facts from news articles and Ofsted reports about English councils' children's services. "
          "Use only what the text says. Reply in JSON.")
_GRADE_WORDS = GRADE_EVIDENCE
_NUMBER_WORDS = number_words_pattern("half", "third", "quarter", "dozen")
_FIELDS = ("weaknesses", "strengths", "actions", "figures")
_EXTRACT = (
    "List facts about {c} in this text as JSON. Each item: \"text\" is a short plain statement (under 20 "
    "words); \"quote\" copies the exact words of the text it rests on (one sentence or less). "
    "weaknesses and strengths: what inspectors found. actions: what must improve or what the council will "
    "do. figures: statements with a number or percentage, keeping the number exactly. people: people "
    "named, with role and organisation. Leave figures, actions or people empty if the text has none."
)
_EXTRACT_FACTS = (
    "List facts about {c} in this text as JSON. Each item: \"text\" is a short plain statement (under 20 "
    "words); \"quote\" copies the exact words of the text it rests on (one sentence or less). "
    "figures: statements with a number or percentage, keeping the number exactly. people: people named, with role "
    "and organisation. Leave either empty if the text has none."
)
_EXTRACT_JUDGEMENT = (" judgement: the most recent Ofsted rating of {c} stated in the text (inadequate, requires "
                      "improvement, good, outstanding, adequate) or null; previous_judgement: an earlier rating if "
                      "stated, else null; quote the sentence for each.")


@dataclass
class _Budget:
    stats: SummaryStats
    repairs_left: int


@dataclass
class SummaryOptions:
    part_chars: int = 4200  # ~1,000 tokens: above this a council's text is map-reduced
    max_repairs: int = 4  # regeneration calls per document (each failed item gets at most one)
    items_per_field: int = 2
    extract_tokens: int = 520
    facts_tokens: int = 240  # the figures-and-people call when findings are labelled by sentence
    overview_chars: int = 1400
    overview_tokens: int = 110
    # judgements come from code (the judgement words found in the text, checked per council); set True to also ask
    # the model when code finds none (its answer must quote a sentence that says the grade)
    model_judgements: bool = False
    report_headline_chars: int = HEADLINE_CHARS
    area_chars: int = AREA_CHARS  # the opening of each judgement area's section in a report
    # the rest of each area's section is labelled by the distilled labeller (distilled.py), given an encoder
    deep_report: bool = True
    # a report's overview is chosen from its headline by code (report_overview.py); True asks the model instead
    model_report_overview: bool = False
    max_figures: int = 6  # model figures first, then figures code reads from the text (summarizer/figures.py)
    # with a backend that gives label probabilities, every sentence is labelled (findings.py) and these apply
    findings: FindingRule = field(default_factory=FindingRule)
    max_findings: int = 60  # per kind and council


@dataclass
class Summarizer:
    """Summarizes documents with one backend; ``on_call()``, when given, is told before each model call."""

    backend: Backend
    options: SummaryOptions = field(default_factory=SummaryOptions)
    on_call: Callable[[], None] | None = None
    checker: ClaimChecker | None = None  # the faithfulness checker, for what the model writes in its own words
    encode: Encode | None = None  # sentence embeddings, for the distilled labeller's reading of long reports

    @property
    def labeler(self) -> LabelModel | None:
        """The backend, when it can label sentences from logits (findings by sentence); else None (JSON lists)."""
        return self.backend if isinstance(self.backend, LabelModel) else None

    def _cap_items(self, entry: CouncilEntry) -> None:
        _cap(entry, self.options.max_findings if self.labeler else self.options.items_per_field + 1)

    def _label(self, entry: CouncilEntry, dt: DocText, spans: list[tuple[int, int]], budget: _Budget,
               deep: DeepRead | None = None) -> None:
        """Findings by sentence over spans, when the backend can label (the JSON call then gives figures and people)."""
        if self.labeler is not None:
            budget.stats.calls += add_findings(entry, dt, spans, self.labeler, self.options.findings, self.on_call,
                                               deep)

    def _deep_read(self, doc: StoredDocument, encode: Encode | None) -> DeepRead | None:
        """A report's whole judgement-area sections for the distilled labeller (None without one or an encoder)."""
        labeller = shipped_labeller() if self.options.deep_report and encode is not None else None
        if labeller is None or encode is None:
            return None
        return DeepRead(area_sections(doc.text, self.options.report_headline_chars), labeller, encode,
                        limit=self.options.max_findings)

    # --- entry point ------------------------------------------------------------------------------------------
    def summarize(self, doc: StoredDocument) -> ArticleSummary:
        t0 = time.perf_counter()
        dt = doc_text(doc.text, doc.comment_start)
        budget = _Budget(SummaryStats(), self.options.max_repairs)
        rec = ArticleSummary(doc_id=doc.id, title=doc.title, date=doc.date, doc_type=doc.meta.doc_type,
                             content_hash=doc.hash, model_id=self.backend.model_id, backend=self.backend.name,
                             prompt_version=PROMPT_VERSION, created=time.strftime("%Y-%m-%dT%H:%M:%S"))
        encode = remembering(self.encode) if self.encode is not None else None  # each sentence embedded once
        if doc.meta.doc_type == "report":
            self._report(doc, dt, rec, budget, encode)
        else:
            self._article(doc, dt, rec, budget)
        self._overview(doc, dt, rec, budget, encode)
        budget.stats.seconds = round(time.perf_counter() - t0, 2)
        rec.stats = budget.stats
        return ArticleSummary.model_validate(rec.model_dump())  # full validation of the finished record

    # --- articles -----------------------------------------------------------------------------------------------
    def _article(self, doc: StoredDocument, dt: DocText, rec: ArticleSummary, budget: _Budget) -> None:
        parts = council_parts(doc, dt)
        by_council: dict[str, list[Part]] = {}
        for p in parts:
            for piece in split_part(p, dt, self.options.part_chars):
                by_council.setdefault(p.council, []).append(piece)
        budget.stats.parts = sum(len(v) for v in by_council.values())
        for council, pieces in by_council.items():
            entry = CouncilEntry(council=council, inspection_kind=inspection_kind(doc), date=doc.date or _year(doc))
            code_judgement(doc, dt, entry)
            for piece in pieces:
                self._extract(piece, dt, entry, rec, budget, doc,
                              with_judgement=self.options.model_judgements and entry.judgement is None)
            spans = [sp for piece in pieces for sp in piece.spans]
            self._label(entry, dt, spans, budget)
            self._cap_items(entry)
            self._add_code_figures(entry, dt, spans)
            rec.councils.append(entry)

    # --- reports ------------------------------------------------------------------------------------------------
    def _report(self, doc: StoredDocument, dt: DocText, rec: ArticleSummary, budget: _Budget,
                encode: Encode | None) -> None:
        """Grades, dates and the improvement list by code; findings from the headline and each area's opening
        (labelled by sentence, or one JSON call over the headline when the backend cannot label)."""
        entry = report_entry_from_code(doc, dt)
        head = report_headline(doc.text, self.options.report_headline_chars)
        spans = finding_spans(doc.text, self.options.report_headline_chars, self.options.area_chars)
        if self.labeler is not None:
            self._label(entry, dt, spans, budget, self._deep_read(doc, encode))
        elif head:
            piece = Part(council=entry.council, spans=[head], text=_squash(doc.text[head[0]:head[1]]), first=True)
            self._extract(piece, dt, entry, rec, budget, doc, with_judgement=False)
        self._cap_items(entry)
        self._add_code_figures(entry, dt, spans)
        rec.councils.append(entry)

    def _add_code_figures(self, entry: CouncilEntry, dt: DocText, spans: list[tuple[int, int]]) -> None:
        """Fill in the quantities of the council's text that the model's figures left out."""
        known = {n for it in entry.figures for n in numbers(it.text)}
        room = self.options.max_figures - len(entry.figures)
        if room > 0:
            entry.figures.extend(code_figures(dt, spans, known, limit=room))

    # --- one extraction call and its checks -------------------------------------------------------------------------
    def _prompt_head(self, piece: Part, doc: StoredDocument) -> str:
        what = "Ofsted report" if doc.meta.doc_type == "report" else "Article"
        return f"{what} text about {piece.council}:\n\"\"\"\n{piece.text}\n\"\"\"\n"

    def _before_call(self) -> None:
        """Tell ``on_call`` that a model call is about to be made."""
        if self.on_call is not None:
            self.on_call()

    def _call(self, user: str, schema: dict, budget: _Budget, max_tokens: int) -> dict:
        self._before_call()
        g = self.backend.generate_json(SYSTEM, user, schema, max_tokens=max_tokens)
        budget.stats.calls += 1
        budget.stats.prompt_tokens += g.prompt_tokens
        budget.stats.completion_tokens += g.completion_tokens
        return g.data

    def _extract(self, piece: Part, dt: DocText, entry: CouncilEntry, rec: ArticleSummary, budget: _Budget,
                 doc: StoredDocument, with_judgement: bool) -> None:
        c = piece.council
        instr = (_EXTRACT_FACTS if self.labeler else _EXTRACT).format(c=c)
        instr += _EXTRACT_JUDGEMENT.format(c=c) if with_judgement else ""
        schema = extraction_schema(with_overview=False, with_judgement=with_judgement, n=self.options.items_per_field,
                                   findings=self.labeler is None)
        head = self._prompt_head(piece, doc)
        try:
            tokens = self.options.facts_tokens if self.labeler else self.options.extract_tokens
            data = self._call(head + instr, schema, budget, tokens)
        except BackendUnavailable:
            raise
        except BackendError as e:
            rec.dropped.append(DroppedItem(council=c, field="extraction", text=f"part {piece.spans[0]}",
                                           reason=f"model output unusable: {e}"))
            return
        if with_judgement:
            model_judgements(data, dt, entry, rec, c)
        for f in _FIELDS:
            for raw in data.get(f) or []:
                text, quote = str(raw.get("text", "")).strip(), str(raw.get("quote", "")).strip()
                if not text:
                    continue
                item = self._checked_item(f, text, quote, dt, head, c, rec, budget)
                if item and not _duplicate(getattr(entry, f), item):
                    getattr(entry, f).append(item)
        for raw in data.get("people") or []:
            person = checked_person(raw, dt, c, rec)
            if person and all(p.name.lower() != person.name.lower() for p in entry.people):
                entry.people.append(person)

    def _checked_item(self, f: str, text: str, quote: str, dt: DocText, head: str, council: str,
                      rec: ArticleSummary, budget: _Budget) -> Item | None:
        if f in ("strengths", "weaknesses") and re.search(r"\b(?:rated|judged)\b", text, re.I) and \
                any(re.search(p, text, re.I) for p in _GRADE_WORDS.values()):
            rec.dropped.append(DroppedItem(council=council, field=f, text=text, quote=quote,
                                           reason="restates the judgement; not a finding"))
            return None
        ev, reason = _grounded(f, text, quote, dt)
        if reason is None:
            return Item(text=text, evidence=ev)
        if budget.repairs_left > 0:
            item, reason = self._regenerated(f, text, reason, dt, head, council, budget)
            if item is not None:
                return item
        else:
            reason = f"{reason} (no regeneration budget left)"
        log.info("dropped %s item for %s: %s (%s)", f, council, text, reason)
        rec.dropped.append(DroppedItem(council=council, field=f, text=text, quote=quote, reason=reason))
        return None

    def _regenerated(self, f: str, text: str, first_reason: str, dt: DocText, head: str, council: str,
                     budget: _Budget) -> tuple[Item | None, str]:
        """One regeneration of a failed item: the fixed item, or None and why it still fails."""
        budget.repairs_left -= 1
        budget.stats.regenerated += 1
        user = (head + f"This statement about {council} failed a check ({first_reason}):\n{text}\n"
                "Rewrite it as JSON with \"text\" (a short statement using only facts and numbers in the text) and "
                "\"quote\" (the exact sentence of the text that supports it).")
        try:
            fixed = self._call(user, ITEM_SCHEMA, budget, 160)
            text2, quote2 = str(fixed.get("text", "")).strip(), str(fixed.get("quote", "")).strip()
            ev, reason = _grounded(f, text2, quote2, dt)
            if reason is None:
                return Item(text=text2, evidence=ev), ""
            return None, f"{first_reason}; after regeneration: {reason}"
        except BackendUnavailable:
            raise
        except BackendError as e:
            return None, f"{first_reason}; regeneration failed: {e}"

    # --- overview ---------------------------------------------------------------------------------------------------
    def _checked_overview(self, text: str, ev: list[Span], rec: ArticleSummary) -> str | None:
        """The overview's score by the faithfulness checker; why it fails (None when it holds or was not checked)."""
        if self.checker is None:
            return None
        v = self.checker.check(text, " ".join(e.text for e in ev))
        rec.overview_score = v.score
        if v.supported:
            return None
        rec.overview_score = None
        return f"the faithfulness checker scored it {v.score:.2f}, below {v.threshold:.2f}"

    def _overview(self, doc: StoredDocument, dt: DocText, rec: ArticleSummary, budget: _Budget,
                  encode: Encode | None) -> None:
        if doc.meta.doc_type == "report" and not self.options.model_report_overview:
            sents = overview_sentences(dt, self.options.report_headline_chars, encode)
            rec.overview = " ".join(statement(dt, a, b) for a, b in sents)
            rec.overview_evidence = [span(dt, a, b) for a, b in sents]
            return
        lede = _lede(dt, self.options.overview_chars if doc.meta.doc_type == "article" else 0, doc)
        if not lede:
            return
        s, e = lede
        councils = ", ".join(c.council for c in rec.councils) or "the council"
        user = (f"Text:\n\"\"\"\n{_squash(doc.text[s:e])}\n\"\"\"\nWrite a plain-English overview of this text in 2 "
                f"or 3 short sentences (councils: {councils}). Use only facts in the text; keep any numbers exact.")
        reason = None
        text = ""
        for attempt in range(2):
            try:
                self._before_call()
                text = "".join(self.backend.stream_text(SYSTEM, user, max_tokens=self.options.overview_tokens)).strip()
                budget.stats.calls += 1
            except BackendUnavailable:
                raise
            except BackendError as ex:
                reason = f"overview generation failed: {ex}"
                continue
            text = _whole_sentences(text)
            ev = [span(dt, a, b) for a, b in dt.sentences if a >= s and b <= e]
            reason = check_item(text, ev, dt) if ev else "no evidence"
            if reason is None:
                reason = self._checked_overview(text, ev, rec)
            if reason is None and len(text) > 20:
                rec.overview, rec.overview_evidence = text, ev
                return
            reason = reason or "overview too short"
            if attempt == 0:
                budget.stats.regenerated += 1
                user += f"\n(Your previous overview failed a check: {reason}. Write it again.)"
        rec.dropped.append(DroppedItem(field="overview", text=text, reason=reason or ""))
        _extractive_overview(dt, s, e, rec)


# --- helpers -------------------------------------------------------------------------------------------------------
def _grounded(f: str, text: str, quote: str, dt: DocText) -> tuple[list[Span], str | None]:
    """An item's evidence spans and why it fails (None when it holds); a figure must state a number."""
    ev, reason = ground(text, quote, dt)
    if reason is None and f == "figures" and not (numbers(text) or _NUMBER_WORDS.search(text)):
        reason = "a figure without a number"
    return ev, reason


def _extractive_overview(dt: DocText, s: int, e: int, rec: ArticleSummary) -> None:
    """Fallback overview: the lede's first two whole sentences (joined across line wraps)."""
    sents = (candidate_sentences(dt, [(s, e)]) or [(a, b) for a, b in dt.sentences if a >= s and b <= e])[:2]
    if sents:
        rec.overview = " ".join(statement(dt, a, b) for a, b in sents)
        rec.overview_evidence = [span(dt, a, b) for a, b in sents]


def _squash(text: str) -> str:
    return re.sub(r"[ \t]*\n[ \t]*(?:\n[ \t]*)+", "\n", re.sub(r"[ \t]+", " ", text)).strip()


def _whole_sentences(text: str) -> str:
    text = text.strip()
    if text and text[-1] not in ".!?\"'”’":
        cut = max(text.rfind(". "), text.rfind(".\n"))
        if cut > 0:
            text = text[: cut + 1]
    return text


def _year(doc: StoredDocument) -> str | None:
    return None


def _lede(dt: DocText, chars: int, doc: StoredDocument) -> tuple[int, int] | None:
    if doc.meta.doc_type == "report":
        head = report_headline(doc.text, 1400)
        return head
    if not dt.allowed:
        return None
    s = dt.allowed[0][0]
    end = s
    for a, b in dt.sentences:
        if b - s > chars and end > s:
            break
        end = b
    return (s, end) if end > s else None


def _duplicate(items: list[Item], item: Item) -> bool:
    return any(i.evidence[0].start == item.evidence[0].start and i.text[:40].lower() == item.text[:40].lower()
               or i.text.strip().lower() == item.text.strip().lower() for i in items)


def _cap(entry: CouncilEntry, n: int) -> None:
    for f in _FIELDS:
        setattr(entry, f, getattr(entry, f)[:n])


__all__ = ["Part", "Summarizer", "SummaryOptions", "council_parts", "report_entry_from_code", "split_part", "AREAS"]
