"""Structured summary of one article or inspection report.

The model only writes short statements, each with a short verbatim quote; code turns quotes into sentence spans of
the original text and checks every item (evidence.py). Items that fail are regenerated once, then dropped with the
reason recorded in the record's ``dropped`` list. Report grades, dates, lead inspector and the improvement list are
read by code from the report itself; the model reads only the headline findings. Articles covering several councils
are split by council (one entry each); parts longer than ``part_chars`` are summarised in pieces and merged.
"""
from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field

from retrieval.councils import find_councils
from retrieval.ofsted import GRADE_EVIDENCE
from retrieval.store import StoredDocument

from summarizer.llm.backends import Backend, BackendError, BackendUnavailable
from summarizer.summaries.evidence import DocText, doc_text, ground, locate, span
from summarizer.summaries.figures import code_figures
from summarizer.summaries.report_parts import improvement_items, lead_inspector, previous_report_judgement, report_headline
from summarizer.summaries.schema import (AREAS, GRADES, ITEM_SCHEMA, PROMPT_VERSION, AreaGrade, ArticleSummary, CouncilEntry,
                     DroppedItem, Item, Person, Span, SummaryStats, extraction_schema)
from summarizer.support import numbers

log = logging.getLogger("brief.summaries")

SYSTEM = ("You extract facts from news articles and Ofsted reports about English councils' children's services. "
          "Use only what the text says. Reply in JSON.")
_GRADE_WORDS = GRADE_EVIDENCE
_NUMBER_WORDS = re.compile(r"\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|hundred|"
                           r"half|third|quarter|dozen)\b", re.I)
_FIELDS = ("weaknesses", "strengths", "actions", "figures")


@dataclass
class _Budget:
    stats: SummaryStats
    repairs_left: int


@dataclass
class Part:
    council: str
    spans: list[tuple[int, int]]  # paragraphs (original offsets)
    text: str = ""
    first: bool = False


@dataclass
class SummaryOptions:
    part_chars: int = 4200  # ~1,000 tokens: above this a council's text is map-reduced
    max_repairs: int = 4  # regeneration calls per document (each failed item gets at most one)
    items_per_field: int = 2
    extract_tokens: int = 520
    overview_chars: int = 1400
    overview_tokens: int = 110
    # judgements come from code (the judgement words found in the text, checked per council); set True to also ask
    # the model when code finds none (its answer must quote a sentence that says the grade)
    model_judgements: bool = False
    report_headline_chars: int = 2600
    max_figures: int = 6  # model figures first, then figures code reads from the text (summarizer/figures.py)


@dataclass
class Summarizer:
    backend: Backend
    options: SummaryOptions = field(default_factory=SummaryOptions)

    # --- entry point ------------------------------------------------------------------------------------------
    def summarize(self, doc: StoredDocument) -> ArticleSummary:
        t0 = time.perf_counter()
        dt = doc_text(doc.text, doc.comment_start)
        budget = _Budget(SummaryStats(), self.options.max_repairs)
        rec = ArticleSummary(doc_id=doc.id, title=doc.title, date=doc.date, doc_type=doc.meta.doc_type,
                             content_hash=doc.hash, model_id=self.backend.model_id, backend=self.backend.name,
                             prompt_version=PROMPT_VERSION, created=time.strftime("%Y-%m-%dT%H:%M:%S"))
        if doc.meta.doc_type == "report":
            self._report(doc, dt, rec, budget)
        else:
            self._article(doc, dt, rec, budget)
        self._overview(doc, dt, rec, budget)
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
            entry = CouncilEntry(council=council, inspection_kind=_kind(doc), date=doc.date or _year(doc))
            _code_judgement(doc, dt, entry)
            for piece in pieces:
                self._extract(piece, dt, entry, rec, budget, doc,
                              with_judgement=self.options.model_judgements and entry.judgement is None)
            _cap(entry, self.options.items_per_field + 1)
            self._add_code_figures(entry, dt, [sp for piece in pieces for sp in piece.spans])
            rec.councils.append(entry)

    # --- reports ------------------------------------------------------------------------------------------------
    def _report(self, doc: StoredDocument, dt: DocText, rec: ArticleSummary, budget: _Budget) -> None:
        entry = report_entry_from_code(doc, dt)
        council = entry.council
        head = report_headline(doc.text, self.options.report_headline_chars)
        if head:
            s, e = head
            piece = Part(council=council, spans=[(s, e)], text=_squash(doc.text[s:e]), first=True)
            self._extract(piece, dt, entry, rec, budget, doc, with_judgement=False)
        _cap(entry, self.options.items_per_field + 1)
        if head:
            self._add_code_figures(entry, dt, [head])
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

    def _call(self, user: str, schema: dict, budget: _Budget, max_tokens: int) -> dict:
        g = self.backend.generate_json(SYSTEM, user, schema, max_tokens=max_tokens)
        budget.stats.calls += 1
        budget.stats.prompt_tokens += g.prompt_tokens
        budget.stats.completion_tokens += g.completion_tokens
        return g.data

    def _extract(self, piece: Part, dt: DocText, entry: CouncilEntry, rec: ArticleSummary, budget: _Budget,
                 doc: StoredDocument, with_judgement: bool) -> None:
        c = piece.council
        instr = (
            f"List facts about {c} in this text as JSON. Each item: \"text\" is a short plain statement (under 20 "
            "words); \"quote\" copies the exact words of the text it rests on (one sentence or less). "
            "weaknesses and strengths: what inspectors found. actions: what must improve or what the council will "
            "do. figures: statements with a number or percentage, keeping the number exactly. people: people "
            "named, with role and organisation. Leave figures, actions or people empty if the text has none."
        )
        if with_judgement:
            instr += (f" judgement: the most recent Ofsted rating of {c} stated in the text (inadequate, requires "
                      "improvement, good, outstanding, adequate) or null; previous_judgement: an earlier rating if "
                      "stated, else null; quote the sentence for each.")
        schema = extraction_schema(with_overview=False, with_judgement=with_judgement, n=self.options.items_per_field)
        head = self._prompt_head(piece, doc)
        try:
            data = self._call(head + instr, schema, budget, self.options.extract_tokens)
        except BackendUnavailable:
            raise
        except BackendError as e:
            rec.dropped.append(DroppedItem(council=c, field="extraction", text=f"part {piece.spans[0]}",
                                           reason=f"model output unusable: {e}"))
            return
        if with_judgement:
            self._judgements(data, dt, entry, rec, c)
        for f in _FIELDS:
            for raw in data.get(f) or []:
                text, quote = str(raw.get("text", "")).strip(), str(raw.get("quote", "")).strip()
                if not text:
                    continue
                item = self._checked_item(f, text, quote, dt, head, c, rec, budget)
                if item and not _duplicate(getattr(entry, f), item):
                    getattr(entry, f).append(item)
        for raw in data.get("people") or []:
            person = self._checked_person(raw, dt, c, rec)
            if person and all(p.name.lower() != person.name.lower() for p in entry.people):
                entry.people.append(person)

    def _checked_item(self, f: str, text: str, quote: str, dt: DocText, head: str, council: str,
                      rec: ArticleSummary, budget: _Budget) -> Item | None:
        if f in ("strengths", "weaknesses") and re.search(r"\b(?:rated|judged)\b", text, re.I) and \
                any(re.search(p, text, re.I) for p in _GRADE_WORDS.values()):
            rec.dropped.append(DroppedItem(council=council, field=f, text=text, quote=quote,
                                           reason="restates the judgement; not a finding"))
            return None
        ev, reason = ground(text, quote, dt)
        if reason is None and f == "figures" and not (numbers(text) or _NUMBER_WORDS.search(text)):
            reason = "a figure without a number"
        if reason is None:
            return Item(text=text, evidence=ev)
        first_reason = reason
        if budget.repairs_left > 0:
            budget.repairs_left -= 1
            budget.stats.regenerated += 1
            user = (head + f"This statement about {council} failed a check ({reason}):\n{text}\n"
                    "Rewrite it as JSON with \"text\" (a short statement using only facts and numbers in the text) and "
                    "\"quote\" (the exact sentence of the text that supports it).")
            try:
                fixed = self._call(user, ITEM_SCHEMA, budget, 160)
                text2, quote2 = str(fixed.get("text", "")).strip(), str(fixed.get("quote", "")).strip()
                ev, reason = ground(text2, quote2, dt)
                if reason is None and f == "figures" and not (numbers(text2) or _NUMBER_WORDS.search(text2)):
                    reason = "a figure without a number"
                if reason is None:
                    return Item(text=text2, evidence=ev)
                reason = f"{first_reason}; after regeneration: {reason}"
            except BackendUnavailable:
                raise
            except BackendError as e:
                reason = f"{first_reason}; regeneration failed: {e}"
        else:
            reason = f"{first_reason} (no regeneration budget left)"
        log.info("dropped %s item for %s: %s (%s)", f, council, text, reason)
        rec.dropped.append(DroppedItem(council=council, field=f, text=text, quote=quote, reason=reason))
        return None

    def _checked_person(self, raw: dict, dt: DocText, council: str, rec: ArticleSummary) -> Person | None:
        name = str(raw.get("name", "")).strip()
        role = str(raw.get("role", "")).strip() or None
        org = str(raw.get("organisation", "")).strip() or None
        quote = str(raw.get("quote", "")).strip()
        if not name:
            return None
        ev, reason = ground(f"{name}", quote or name, dt, extra_names=[name], min_support=0.0)
        if reason is None and not ev:
            reason = "no evidence"
        if reason is None:
            # the person must be named in (or next to) the evidence sentence
            near = dt.text[max(0, ev[0].start - 400): ev[0].end + 400]
            last = name.split()[-1]
            if last.lower() not in near.lower():
                found, _ = locate(name, dt)
                if found is None:
                    reason = f"{name} is not named near the quoted sentence"
                else:
                    ev = [span(dt, *found)]
        if reason is None and org:
            from summarizer.summaries.evidence import named_in_text
            from summarizer.support import name_in

            missing = [n for n in named_in_text(org) if not name_in(n, dt.body)]
            if missing:
                org = None  # an invented organisation is removed, the person is kept
        if reason is not None:
            rec.dropped.append(DroppedItem(council=council, field="people", text=name, quote=quote, reason=reason))
            return None
        return Person(name=name, role=role, organisation=org, evidence=ev)

    def _judgements(self, data: dict, dt: DocText, entry: CouncilEntry, rec: ArticleSummary, council: str) -> None:
        for fld, qfld, target in (("judgement", "judgement_quote", "judgement"),
                                  ("previous_judgement", "previous_quote", "previous_judgement")):
            grade = data.get(fld)
            if not grade or grade not in GRADES or getattr(entry, target):
                continue
            quote = str(data.get(qfld) or "")
            found, how = locate(quote, dt, hint=grade)
            reason = None
            if found is None:
                reason = how
            else:
                ev_text = dt.text[found[0]:found[1]]
                if not re.search(_GRADE_WORDS[grade], ev_text, re.I):
                    reason = f"the quoted sentence does not say {grade!r}"
            if reason:
                rec.dropped.append(DroppedItem(council=council, field=target, text=grade, quote=quote, reason=reason))
                continue
            setattr(entry, target, grade)
            setattr(entry, "judgement_evidence" if target == "judgement" else "previous_evidence",
                    [span(dt, *found)])
        if entry.judgement and entry.previous_judgement == entry.judgement and \
                entry.previous_evidence == entry.judgement_evidence:
            entry.previous_judgement, entry.previous_evidence = None, []

    # --- overview ---------------------------------------------------------------------------------------------------
    def _overview(self, doc: StoredDocument, dt: DocText, rec: ArticleSummary, budget: _Budget) -> None:
        lede = _lede(dt, self.options.overview_chars if doc.meta.doc_type == "article" else 0, doc)
        if not lede:
            return
        s, e = lede
        councils = ", ".join(c.council for c in rec.councils) or "the council"
        user = (f"Text:\n\"\"\"\n{_squash(doc.text[s:e])}\n\"\"\"\nWrite a plain-English overview of this text in 2 "
                f"or 3 short sentences (councils: {councils}). Use only facts in the text; keep any numbers exact.")
        reason = None
        for attempt in range(2):
            try:
                text = "".join(self.backend.stream_text(SYSTEM, user, max_tokens=self.options.overview_tokens)).strip()
                budget.stats.calls += 1
            except BackendUnavailable:
                raise
            except BackendError as ex:
                reason = f"overview generation failed: {ex}"
                continue
            text = _whole_sentences(text)
            ev = [span(dt, a, b) for a, b in dt.sentences if a >= s and b <= e]
            from summarizer.summaries.evidence import check_item

            reason = check_item(text, ev, dt) if ev else "no evidence"
            if reason is None and len(text) > 20:
                rec.overview, rec.overview_evidence = text, ev
                return
            reason = reason or "overview too short"
            if attempt == 0:
                budget.stats.regenerated += 1
                user += f"\n(Your previous overview failed a check: {reason}. Write it again.)"
        rec.dropped.append(DroppedItem(field="overview", text=text if "text" in locals() else "", reason=reason or ""))
        # extractive fallback: the first two body sentences
        sents = [(a, b) for a, b in dt.sentences if a >= s and b <= e][:2]
        if sents:
            rec.overview = " ".join(dt.text[a:b] for a, b in sents)
            rec.overview_evidence = [span(dt, a, b) for a, b in sents]


def report_entry_from_code(doc: StoredDocument, dt: DocText | None = None) -> CouncilEntry:
    """A report's council entry from code alone: judgement table grades, dates, lead inspector, improvement list."""
    dt = dt or doc_text(doc.text, doc.comment_start)
    council = doc.meta.councils[0] if doc.meta.councils else (doc.extra.get("local_authority") or "unknown")
    dates = list(doc.meta.inspection_dates)
    entry = CouncilEntry(council=council, inspection_kind=_kind(doc) or "full inspection",
                         date=(dates[0] if dates else doc.date), inspection_dates=dates)
    for j in doc.meta.judgements:
        if j.area and j.start is not None and j.end is not None and j.grade in GRADES:
            if any(a.area == j.area for a in entry.areas):
                continue
            entry.areas.append(AreaGrade(area=j.area, grade=j.grade, evidence=[span(dt, j.start, j.end)]))
    overall = next((a for a in entry.areas if a.area == "overall effectiveness"), None)
    if overall:
        entry.judgement, entry.judgement_evidence = overall.grade, overall.evidence
    prev = previous_report_judgement(doc.text)
    if prev and prev[0] in GRADES:
        entry.previous_judgement, entry.previous_evidence = prev[0], [span(dt, *prev[1])]
    li = lead_inspector(doc.text)
    if li:
        entry.lead_inspector = Person(name=li[0], role="lead inspector", organisation="Ofsted",
                                      evidence=[span(dt, *li[1])])
    for text, (s, e) in improvement_items(doc.text):
        if dt.in_allowed(s, e):
            entry.improvements.append(Item(text=text, evidence=[span(dt, s, e)]))
    return entry


# --- helpers -------------------------------------------------------------------------------------------------------
def _squash(text: str) -> str:
    return re.sub(r"[ \t]*\n[ \t]*(?:\n[ \t]*)+", "\n", re.sub(r"[ \t]+", " ", text)).strip()


def _whole_sentences(text: str) -> str:
    text = text.strip()
    if text and text[-1] not in ".!?\"'”’":
        cut = max(text.rfind(". "), text.rfind(".\n"))
        if cut > 0:
            text = text[: cut + 1]
    return text


def _kind(doc: StoredDocument) -> str | None:
    k = doc.meta.inspection_kind
    return k if k in ("full inspection", "monitoring visit", "focused visit", "other") else None


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


_PREVIOUS_CUE = re.compile(r"\b(previous|previously|earlier|last\s+inspection|between|since|in\s+(?:19|20)\d\d|"
                          r"following\s+a\s+similar|before)\b", re.I)


def _code_judgement(doc: StoredDocument, dt: DocText, entry: CouncilEntry) -> None:
    """Current and previous judgement of one council from the code-found judgement words (article text).

    A sentence with two different grades for the council ("rated inadequate between 2016 and the reinspection in
    2019, when judged requires improvement") gives previous = the first, current = the last. Otherwise the first
    grade in a sentence without a cue of the past is current, and a different grade in a sentence with such a cue
    ("since the authority was rated adequate in 2013") is previous. Area grades (care leavers: good) are skipped.
    """
    found: list[tuple[str, tuple[int, int]]] = []
    for j in doc.meta.judgements:
        if j.council != entry.council or j.start is None or j.grade not in GRADES:
            continue
        if j.area and j.area != "overall effectiveness":
            continue
        if not dt.in_allowed(j.start, j.end):
            continue
        sent = next(((a, b) for a, b in dt.sentences if a <= j.start < b), (j.start, j.end))
        found.append((j.grade, sent))
    if not found:
        return
    current = previous = None
    by_sentence: dict[tuple[int, int], list[str]] = {}
    for g, sent in found:
        by_sentence.setdefault(sent, []).append(g)
    for g, sent in found:
        if current is None and not _PREVIOUS_CUE.search(dt.text[sent[0]:sent[1]]):
            current = (g, sent)
    if current is None:
        multi = [(sent, gs) for sent, gs in by_sentence.items() if len(set(gs)) > 1]
        if multi:
            sent, gs = multi[0]
            current, previous = (gs[-1], sent), (gs[0], sent)
    if current is None:
        return
    if entry.judgement is None:
        entry.judgement, entry.judgement_evidence = current[0], [span(dt, *current[1])]
    if previous is None:
        for g, sent in found:
            if g != entry.judgement and _PREVIOUS_CUE.search(dt.text[sent[0]:sent[1]]):
                previous = (g, sent)
                break
    if entry.previous_judgement is None and previous is not None and previous[0] != entry.judgement:
        entry.previous_judgement, entry.previous_evidence = previous[0], [span(dt, *previous[1])]


def council_parts(doc: StoredDocument, dt: DocText) -> list[Part]:
    """Split an article's body into one part per council it reports on (paragraphs follow the council last named).

    Subject councils: the first council named, and any other council the article gives a judgement for or names in
    at least three sentences (a council mentioned once in passing, such as an improvement partner, is not a subject).
    """
    councils = list(doc.meta.councils)
    if not councils:
        councils = ["unknown"]
    mention_count: dict[str, int] = {}
    paragraphs: list[tuple[int, int]] = []
    for s, e in dt.allowed:
        for m in re.finditer(r"[^\n]+", dt.text[s:e]):
            a, b = s + m.start(), s + m.end()
            if dt.text[a:b].strip():
                paragraphs.append((a, b))
    para_mentions: list[list[str]] = []
    for a, b in paragraphs:
        names = [c for c, _, _ in find_councils(dt.text[a:b])]
        para_mentions.append(names)
        for n in set(names):
            mention_count[n] = mention_count.get(n, 0) + 1
    judged = {j.council for j in doc.meta.judgements if j.council}
    subjects = [councils[0]] + [c for c in councils[1:] if c in judged or mention_count.get(c, 0) >= 3]
    if len(subjects) == 1:
        return [Part(council=subjects[0], spans=paragraphs, text=_join(dt, paragraphs), first=True)]
    assign: dict[str, list[tuple[int, int]]] = {c: [] for c in subjects}
    current = subjects[0]
    pending: list[tuple[int, int]] = []
    for (a, b), names in zip(paragraphs, para_mentions):
        named = [n for n in names if n in subjects]
        if named and current not in named:
            current = named[0]
        is_heading = len(dt.text[a:b].split()) <= 14 and not re.search(r"[.!?\"”]\s*$", dt.text[a:b])
        if is_heading and not named:
            pending.append((a, b))
            continue
        assign[current].extend(pending + [(a, b)])
        pending = []
    assign[current].extend(pending)
    out = [Part(council=c, spans=sp, text=_join(dt, sp), first=(i == 0)) for i, (c, sp) in enumerate(assign.items())
           if sp]
    return out


def _join(dt: DocText, spans: list[tuple[int, int]]) -> str:
    return "\n".join(dt.text[a:b].strip() for a, b in spans)


def split_part(part: Part, dt: DocText, max_chars: int) -> list[Part]:
    """Map step of map-reduce: a council's text in pieces of whole paragraphs under max_chars."""
    if len(part.text) <= max_chars:
        return [part]
    pieces: list[list[tuple[int, int]]] = [[]]
    size = 0
    for a, b in part.spans:
        if pieces[-1] and size + (b - a) > max_chars:
            pieces.append([])
            size = 0
        pieces[-1].append((a, b))
        size += b - a + 1
    return [Part(council=part.council, spans=p, text=_join(dt, p), first=part.first and i == 0)
            for i, p in enumerate(pieces) if p]


__all__ = ["Summarizer", "SummaryOptions", "council_parts", "split_part", "AREAS"]
