"""What code reads for a council entry without the model: a report's judgement table grades, dates, lead inspector
and improvement list, and an article council's current and previous judgement from the judgement words found."""
from __future__ import annotations

import re

from retrieval.store import StoredDocument

from summarizer.summaries.evidence import DocText, doc_text, span
from summarizer.summaries.report_parts import improvement_items, lead_inspector, previous_report_judgement
from summarizer.summaries.schema import GRADES, AreaGrade, CouncilEntry, Item, Person

_PREVIOUS_CUE = re.compile(r"\b(previous|previously|earlier|last\s+inspection|between|since|in\s+(?:19|20)\d\d|"
                           r"following\s+a\s+similar|before)\b", re.I)


def inspection_kind(doc: StoredDocument) -> str | None:
    """The document's inspection kind when it is one the summary schema knows, else None."""
    k = doc.meta.inspection_kind
    return k if k in ("full inspection", "monitoring visit", "focused visit", "other") else None


def report_entry_from_code(doc: StoredDocument, dt: DocText | None = None) -> CouncilEntry:
    """A report's council entry from code alone: judgement table grades, dates, lead inspector, improvement list."""
    dt = dt or doc_text(doc.text, doc.comment_start)
    council = doc.meta.councils[0] if doc.meta.councils else (doc.extra.get("local_authority") or "unknown")
    dates = list(doc.meta.inspection_dates)
    entry = CouncilEntry(council=council, inspection_kind=inspection_kind(doc) or "full inspection",
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


Graded = tuple[str, tuple[int, int]]  # (grade, the sentence that says it)


def _council_grades(doc: StoredDocument, dt: DocText, council: str) -> list[Graded]:
    """The council's overall grades found by code in the body, each with its sentence."""
    found: list[Graded] = []
    for j in doc.meta.judgements:
        if j.council != council or j.start is None or j.grade not in GRADES:
            continue
        if j.area and j.area != "overall effectiveness":
            continue
        if not dt.in_allowed(j.start, j.end):
            continue
        sent = next(((a, b) for a, b in dt.sentences if a <= j.start < b), (j.start, j.end))
        found.append((j.grade, sent))
    return found


def _current_grade(dt: DocText, found: list[Graded]) -> tuple[Graded | None, Graded | None]:
    """(current, previous): the first grade in a sentence without a past cue, else a two-grade sentence's last
    and first grades."""
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
    return current, previous


def code_judgement(doc: StoredDocument, dt: DocText, entry: CouncilEntry) -> None:
    """Current and previous judgement of one council from the code-found judgement words (article text).

    A sentence with two different grades for the council ("rated inadequate between 2016 and the reinspection in
    2019, when judged requires improvement") gives previous = the first, current = the last. Otherwise the first
    grade in a sentence without a cue of the past is current, and a different grade in a sentence with such a cue
    ("since the authority was rated adequate in 2013") is previous. Area grades (care leavers: good) are skipped.
    """
    found = _council_grades(doc, dt, entry.council)
    if not found:
        return
    current, previous = _current_grade(dt, found)
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
