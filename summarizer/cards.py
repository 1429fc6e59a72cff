"""Judgement cards: an inspection report's judgement table, read by code, shown to the model as one plain passage.

Report tables reach the index as broken lines ("Judgement Grade The impact of leaders on social work practice ...
Outstanding The experiences ..."), which a small model misreads. The table's grades are read exactly at ingest
(retrieval/metadata.py), so a question about judgements gets them as a short passage whose span is the table itself.
"""
from __future__ import annotations

import re
from datetime import date

from retrieval.store import StoredDocument

from .records import Passage

AREA_LABELS = {
    "overall effectiveness": "overall effectiveness",
    "impact of leaders": "the impact of leaders on social work practice with children and families",
    "help and protection": "the experiences and progress of children who need help and protection",
    "children in care": "the experiences and progress of children in care",
    "care leavers": "the experiences and progress of care leavers",
}
_ASKS_JUDGEMENT = re.compile(
    r"\b(grade[sd]?|grading|rat(?:ed|e|ing|ings)|judge?ments?|judged|verdict|inadequate|requires?\s+improvement|"
    r"good|outstanding|effectiveness)\b", re.I)
MAX_CARDS = 2


def asks_about_judgements(question: str) -> bool:
    return bool(_ASKS_JUDGEMENT.search(question))


def _human_date(iso: str) -> str:
    try:
        d = date.fromisoformat(iso)
    except ValueError:
        return iso
    return f"{d.day} {d.strftime('%B')} {d.year}"


def judgement_card(doc: StoredDocument) -> Passage | None:
    """The report's judgement table as one passage (n is set by the caller), or None when it has none."""
    rows = [j for j in doc.meta.judgements if j.area and j.start is not None and j.end is not None]
    if doc.meta.doc_type != "report" or not rows:
        return None
    seen: dict[str, str] = {}
    for j in rows:
        seen.setdefault(j.area, j.grade)
    council = next((j.council for j in rows if j.council), None) or (doc.meta.councils[0] if doc.meta.councils else "")
    when = doc.meta.inspection_dates
    dates = f" (inspection dates: {' to '.join(_human_date(d) for d in when[:2])})" if when else ""
    text = (f"Ofsted's judgements on {council or 'the council'}'s children's services{dates}: "
            + "; ".join(f"{AREA_LABELS.get(a, a)}: {g}" for a, g in seen.items()) + ".")
    return Passage(0, doc.id, f"{doc.id}#judgements", doc.title, text, min(j.start for j in rows),
                   max(j.end for j in rows), doc.date, doc.source, [council] if council else list(doc.meta.councils))


def with_judgement_cards(question: str, passages: list[Passage], document) -> list[Passage]:
    """Passages with the judgement card of each report among them (at most MAX_CARDS) placed before the report's
    first passage, renumbered; unchanged when the question is not about judgements."""
    if not asks_about_judgements(question):
        return passages
    out: list[Passage] = []
    carded: set[str] = set()
    for p in passages:
        if p.doc_id not in carded and len(carded) < MAX_CARDS:
            doc = document(p.doc_id)
            card = judgement_card(doc) if doc is not None else None
            if card is not None:
                carded.add(p.doc_id)
                out.append(card)
        out.append(p)
    for i, p in enumerate(out, 1):
        p.n = i
    return out
