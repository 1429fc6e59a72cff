"""Judgement grades of one council in one document, read by code (never the model).

A report's grades are its judgement table, as ``retrieval.metadata`` found it at ingest. An article's overall grade
is the current judgement that ``code_judgement`` picks from the judgement words (a past grade, "rated inadequate in
2015", is not current); its area grades are the areas its sentences grade for that council.
"""
from __future__ import annotations

from dataclasses import dataclass

from retrieval.ofsted import GRADES
from retrieval.store import StoredDocument

from summarizer.summaries.code_entries import code_judgement
from summarizer.summaries.evidence import doc_text
from summarizer.summaries.schema import CouncilEntry

OVERALL = "overall effectiveness"


@dataclass
class AreaMark:
    """One judgement area's grade and the characters of the document that state it."""

    area: str
    grade: str
    doc_id: str
    start: int | None = None
    end: int | None = None
    text: str = ""


def _mark(doc: StoredDocument, area: str, grade: str, start: int | None, end: int | None) -> AreaMark:
    quote = doc.text[start:end].strip()[:300] if start is not None and end is not None else ""
    return AreaMark(area, grade, doc.id, start, end, quote)


def report_grades(doc: StoredDocument, council: str) -> dict[str, AreaMark]:
    """A report's judgement table for the council: area -> grade, first mention of each area."""
    out: dict[str, AreaMark] = {}
    for j in doc.meta.judgements:
        if not j.area or j.grade not in GRADES or j.council not in (council, None) or j.area in out:
            continue
        out[j.area] = _mark(doc, j.area, j.grade, j.start, j.end)
    return out


def article_grades(doc: StoredDocument, council: str) -> dict[str, AreaMark]:
    """An article's current overall judgement of the council, and the areas its sentences grade."""
    dt = doc_text(doc.text, doc.comment_start)
    entry = CouncilEntry(council=council)
    code_judgement(doc, dt, entry)
    out: dict[str, AreaMark] = {}
    if entry.judgement:
        ev = entry.judgement_evidence[0]
        out[OVERALL] = _mark(doc, OVERALL, entry.judgement, ev.start, ev.end)
    for j in doc.meta.judgements:
        if j.council != council or not j.area or j.area == OVERALL or j.area in out or j.grade not in GRADES:
            continue
        if j.start is None or j.end is None or not dt.in_allowed(j.start, j.end):
            continue  # reader comments and boilerplate are never evidence
        sent = next(((a, b) for a, b in dt.sentences if a <= j.start < b), (j.start, j.end))
        out[j.area] = _mark(doc, j.area, j.grade, *sent)
    return out


def code_grades(doc: StoredDocument, council: str) -> dict[str, AreaMark]:
    """Area -> grade of ``council`` in ``doc``, read by code, each with the span that states it."""
    if doc.meta.doc_type == "report":
        return report_grades(doc, council)
    return article_grades(doc, council)


def about(doc: StoredDocument, council: str) -> bool:
    """Whether the document is about the council: its main council, or one it gives a judgement for."""
    return council in doc.meta.councils[:1] or any(j.council == council for j in doc.meta.judgements)
